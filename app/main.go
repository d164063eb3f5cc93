// Command carrel is a private, offline assistant for a person's own
// documents. Without arguments it opens the desktop app; with a subcommand
// it works in the terminal (run "carrel help").
package main

import (
	"io"

	_ "github.com/carrel-ai/carrel/internal/locale" // before Fyne reads the locale

	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Set by the Makefile through -ldflags.
var (
	version  = "dev"
	cpuFlags = "go default"
)

// command is one subcommand: its flags are registered by its constructor,
// Run gets the arguments left after the flags.
type command struct {
	Name  string
	Usage string // the arguments, after "carrel NAME"
	Short string
	Flags *flag.FlagSet
	Run   func(ctx context.Context, args []string) error
	// Subs, when set, are the command's own subcommands ("bench gen");
	// Run, if set too, runs when none is named.
	Subs map[string]*command
	// Interactive commands handle Ctrl+C themselves (it stops an answer,
	// not the program); for the others it cancels ctx.
	Interactive bool
	// Indexes marks commands that index documents (or keep a library
	// indexed): they run within the ingest memory budget (limitHeap).
	Indexes bool
}

// usageError is a mistake on the command line: exit status 2 and the usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func commands() map[string]*command {
	cs := map[string]*command{}
	for _, c := range []*command{
		infoCmd(), generateCmd(), chatCmd(), embedCmd(), benchCmd(), versionCmd(), extractCmd(), chunkCmd(),
		addCmd(), removeCmd(), listCmd(), watchCmd(), searchCmd(), askCmd(), evalCmd(), modelsCmd(), teachCmd(), screenshotsCmd(), serveCmd(), mcpCmd(),
	} {
		cs[c.Name] = c
	}
	return cs
}

func main() {
	// A release's baseline build hands over to the build for this CPU's
	// best instruction set (AVX2, AVX-512) when the package has one.
	if v := bestVariant(); v != "" {
		runVariant(v)
	}
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if c, ok := commands()[firstArg(os.Args)]; ok && c.Interactive {
		sigs = sigs[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// openWith reports whether args are only files and folders (no command):
// how file managers start an app to open documents with it.
func openWith(args []string) bool {
	if _, isCommand := commands()[args[0]]; isCommand {
		return false
	}
	for _, a := range args {
		if _, err := os.Stat(a); err != nil {
			return false
		}
	}
	return true
}

func firstArg(args []string) string {
	if len(args) > 1 {
		return args[1]
	}
	return ""
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 || openWith(args) {
		// No command, or files given by the desktop ("Open with Carrel"):
		// the window, which adds the files to the library.
		limitHeap()
		if err := openApp(ctx, args...); err != nil {
			fmt.Fprintln(os.Stderr, "carrel:", err)
			return 1
		}
		return 0
	}
	cs := commands()
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		if len(args) > 1 {
			if c, ok := cs[args[1]]; ok {
				c, _ = resolve(c, args[2:])
				printUsage(c)
				return 0
			}
		}
		printHelp(cs)
		return 0
	}
	c, ok := cs[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "carrel: unknown command %q\n\n", name)
		printHelp(cs)
		return 2
	}
	c, rest := resolve(c, args[1:])
	if c.Indexes {
		limitHeap()
	}
	err := dispatch(ctx, c, rest)
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, flag.ErrHelp):
		printUsage(c)
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "carrel %s: %v\n", c.Name, err)
		printUsage(c)
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "carrel: interrupted")
		return 130
	}
	fmt.Fprintf(os.Stderr, "carrel %s: %v\n", c.Name, err)
	return 1
}

// resolve finds the command that args name below c: "gen" under bench.
func resolve(c *command, args []string) (*command, []string) {
	for c.Subs != nil && len(args) > 0 {
		sub, ok := c.Subs[args[0]]
		if !ok {
			break
		}
		c, args = sub, args[1:]
	}
	return c, args
}

// dispatch parses c's flags and runs it (c as resolve found it).
func dispatch(ctx context.Context, c *command, args []string) error {
	// A command with its own Run ("eval DIR") runs when no subcommand
	// ("eval answers DIR") is named; resolve has chosen the subcommand.
	if c.Subs != nil && c.Run == nil {
		if len(args) == 0 {
			return usagef("name one of: %s", strings.Join(subNames(c), ", "))
		}
		return usagef("unknown %s command %q (one of: %s)", c.Name, args[0], strings.Join(subNames(c), ", "))
	}
	// The flag package would print its message and the usage itself; run
	// prints them once, for every usage error alike.
	c.Flags.Usage = func() {}
	rest, err := parseFlags(c.Flags, args)
	if err != nil {
		return err
	}
	return c.Run(ctx, rest)
}

func subNames(c *command) []string {
	var n []string
	for k := range c.Subs {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// parseFlags allows flags after positional arguments ("carrel generate
// PROMPT --seed 1"), as people type them.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func printHelp(cs map[string]*command) {
	fmt.Fprintf(os.Stderr, "Carrel %s: a private, offline assistant for your own documents.\n\n", version)
	fmt.Fprintln(os.Stderr, "Usage:\n  carrel              open the desktop app\n  carrel COMMAND ...  work in the terminal\n\nCommands:")
	var names []string
	for n := range cs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, cs[n].Short)
	}
	fmt.Fprintln(os.Stderr, "\nRun \"carrel help COMMAND\" for a command's flags.")
}

func printUsage(c *command) {
	fmt.Fprintf(os.Stderr, "Usage: carrel %s %s\n\n%s\n", c.Name, c.Usage, c.Short)
	for _, n := range subNames(c) {
		fmt.Fprintf(os.Stderr, "  carrel %s %s\n", c.Subs[n].Name, c.Subs[n].Usage)
	}
	if c.Flags == nil {
		return
	}
	n := 0
	c.Flags.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(os.Stderr, "\nFlags:")
		c.Flags.PrintDefaults()
	}
}

// absPath makes a path absolute for comparison with stored paths.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func versionCmd() *command {
	return &command{
		Name: "version", Short: "print the version", Flags: flag.NewFlagSet("version", flag.ContinueOnError),
		Run: func(context.Context, []string) error { fmt.Println("carrel", version); return nil },
	}
}
