package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/status"
)

// libraryFlags are shared by the commands that open a library.
type libraryFlags struct {
	data    string
	library string
}

func (f *libraryFlags) register(fs *flag.FlagSet) {
	dataFlagVar(fs, &f.data)
	fs.StringVar(&f.library, "library", engine.DefaultLibrary, "library `name`")
}

// embedFlag is --embed-model of the commands that index.
func embedFlag(fs *flag.FlagSet) *string {
	return fs.String("embed-model", "", "search by meaning with this GGUF embedding model `file` from now on (saved in the settings, as \"carrel models use --embed\" does); \"built-in\" for the model that ships with Carrel, \"none\" for words only")
}

// libraryServerEnv names the variable that puts a command's libraries on
// a PostgreSQL server (engine.Options.LibraryServer).
const libraryServerEnv = "CARREL_LIBRARY_SERVER"

// openEngine opens the data folder through the facade, as every front end
// does: the saved settings (embedding model, passage size) apply to every
// command alike. Commands that neither answer nor index open it without
// the chat model and the queue.
func openEngine(ctx context.Context, data string, o engine.Options) (*engine.Engine, error) {
	dir, err := dataDir(data)
	if err != nil {
		return nil, err
	}
	o.DataDir = dir
	// A team library's server may be given for one command, as a
	// variable rather than a flag: its password stays out of the process
	// list and the shell's history.
	if u := os.Getenv(libraryServerEnv); u != "" && o.LibraryServer == "" {
		o.LibraryServer = u
	}
	e, err := engine.Open(ctx, o)
	if err != nil {
		return nil, explain(err)
	}
	return e, nil
}

// embedSetting is the settings' value for an --embed-model flag: "none"
// (words only) and "built-in" (the bundled model) as words, else the
// file's absolute path.
func embedSetting(flag string) string {
	if engine.IsServerAddress(flag) {
		return strings.TrimSpace(flag) // a model server, not a file
	}
	switch strings.ToLower(strings.TrimSpace(flag)) {
	case engine.NoEmbedModel:
		return engine.NoEmbedModel
	case "built-in", "builtin", "bundled", "default":
		return ""
	}
	return absPath(flag)
}

// useEmbedder saves path as the embedding model, when it is given and not
// already the one in use.
func useEmbedder(ctx context.Context, e *engine.Engine, path string) error {
	if path == "" {
		return nil
	}
	s := e.Settings()
	abs := embedSetting(path)
	if s.EmbedModel == abs {
		return nil
	}
	s.EmbedModel = abs
	if _, err := e.SetSettings(ctx, s); err != nil {
		return explain(err)
	}
	fmt.Fprintf(os.Stderr, "search %s\n", e.SearchMethod().Describe())
	return nil
}

// progress prints one updating line on a terminal.
type progress struct {
	current string
	last    time.Time
	line    string // the last progress line, without the OCR page
}

func (p *progress) event(ev event.Event) {
	switch ev.Kind {
	case event.Indexing:
		p.current = filepath.Base(ev.Path)
	case event.Failed:
		fmt.Fprintf(os.Stderr, "\r\033[K✗ %s: %v\n", ev.Path, ev.Err)
	case event.Progress:
		if time.Since(p.last) < 100*time.Millisecond && ev.Done < ev.Total {
			return
		}
		p.last = time.Now()
		eta := ""
		switch {
		case ev.ETA > 0:
			eta = " · about " + ev.ETA.Round(time.Second).String() + " left"
		case ev.Done < ev.Total:
			eta = " · estimating the time left…"
		}
		p.line = fmt.Sprintf("indexing %d/%d · %s%s", ev.Done, ev.Total, p.current, eta)
		fmt.Fprintf(os.Stderr, "\r\033[K%s", p.line)
	case event.Page:
		// A scan takes seconds a page: say which page OCR is on.
		if ev.Page < ev.Pages {
			fmt.Fprintf(os.Stderr, "\r\033[K%s · %s: reading page %d of %d (OCR)", p.line, filepath.Base(ev.Path), ev.Page+1, ev.Pages)
		}
	case event.Idle:
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
}

// follow prints the engine's events with f until the returned stop is
// called.
func follow(e *engine.Engine, f func(event.Event)) (stop func()) {
	ch, unsubscribe := e.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			f(ev)
		}
	}()
	return func() { unsubscribe(); <-done }
}

func addCmd() *command {
	fs := flag.NewFlagSet("add", flag.ContinueOnError)
	var lf libraryFlags
	lf.register(fs)
	embedModel := embedFlag(fs)
	watch := fs.Bool("watch", false, "keep the folders watched: changes are indexed when \"carrel watch\" or the app runs")
	asJSON := fs.Bool("json", false, "print a JSON summary instead of progress")
	return &command{
		Name: "add", Usage: "PATH... [--library NAME] [--watch] [--embed-model FILE]",
		Short:   "add files and folders to a library and index them (folders recursively)",
		Flags:   fs,
		Indexes: true,
		Run: func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return usagef("give files or folders to add")
			}
			e, err := openEngine(ctx, lf.data, engine.Options{NoWatch: true, NoChatModel: true})
			if err != nil {
				return storageHint(err)
			}
			defer e.Close()
			if err := useEmbedder(ctx, e, *embedModel); err != nil {
				return err
			}
			if !*asJSON && isTerminal(os.Stderr) {
				p := &progress{}
				defer follow(e, p.event)()
			}
			queued, err := e.Add(ctx, lf.library, *watch, args...)
			if err != nil {
				return storageHint(err)
			}
			if m := e.SearchMethod(); !m.Meaning && !*asJSON {
				why := "search by meaning is off (--embed-model built-in turns it on)"
				if m.Note != "" {
					why = m.Note
				}
				fmt.Fprintf(os.Stderr, "the library is searched by words only: %s\n", why)
			}
			if err := e.WaitIndexed(ctx); err != nil {
				return storageHint(err)
			}
			return reportLibrary(ctx, e, lf.library, queued, *asJSON)
		},
	}
}

// storageHint says what to do when the library could not be written.
func storageHint(err error) error {
	if errors.Is(err, failure.ErrStorage) {
		return fmt.Errorf("indexing stopped: %w\n  free some space on the disk of the data folder and run the same command again: what is indexed is kept, the rest resumes", err)
	}
	return err
}

// reportLibrary prints what a library holds after adding: counts, and
// every failure with its reason.
func reportLibrary(ctx context.Context, e *engine.Engine, library string, queued int, asJSON bool) error {
	ds, err := e.Documents(ctx, library)
	if err != nil {
		return err
	}
	ready, dups, chunks := 0, 0, 0
	var failed []engine.Document
	for _, d := range ds {
		switch {
		case d.Status == status.Failed:
			failed = append(failed, d)
		case d.DuplicateOf != 0:
			dups++
		case d.Status == status.Ready:
			ready++
			chunks += d.Chunks
		}
	}
	if asJSON {
		type failedDoc struct {
			Path   string
			Kind   failure.Kind
			Reason string
		}
		var fl []failedDoc
		for _, d := range failed {
			fl = append(fl, failedDoc{d.Path, d.ErrorKind, d.Error})
		}
		return json.NewEncoder(os.Stdout).Encode(map[string]any{
			"library": library, "queued": queued, "ready": ready, "duplicates": dups, "failed": fl, "chunks": chunks,
		})
	}
	fmt.Printf("%s: %d documents searchable (%d passages)", library, ready, chunks)
	if dups > 0 {
		fmt.Printf(", %d duplicates", dups)
	}
	fmt.Printf(", %d could not be read\n", len(failed))
	for _, d := range failed {
		fmt.Printf("  ✗ %s\n    %s\n", d.Path, d.Error)
	}
	return nil
}

func removeCmd() *command {
	fs := flag.NewFlagSet("remove", flag.ContinueOnError)
	var lf libraryFlags
	lf.register(fs)
	return &command{
		Name: "remove", Usage: "PATH... [--library NAME]",
		Short: "take files, or everything below folders, out of a library (the files themselves are not touched)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return usagef("give files or folders to remove")
			}
			e, err := openEngine(ctx, lf.data, engine.Options{NoIndexing: true, NoWatch: true, NoChatModel: true})
			if err != nil {
				return err
			}
			defer e.Close()
			n, err := e.Remove(ctx, lf.library, args...)
			if err != nil {
				return err
			}
			fmt.Printf("removed %d documents from %s\n", n, lf.library)
			return nil
		},
	}
}

func listCmd() *command {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	var lf libraryFlags
	lf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	all := fs.Bool("all", false, "list every library")
	return &command{
		Name: "list", Usage: "[--library NAME | --all] [--json]",
		Short: "list the documents of a library with their status, and why any failed",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			e, err := openEngine(ctx, lf.data, engine.Options{NoIndexing: true, NoWatch: true, NoChatModel: true})
			if err != nil {
				return err
			}
			defer e.Close()
			library := lf.library
			if *all {
				library = ""
			}
			ds, err := e.Documents(ctx, library)
			if errors.Is(err, engine.ErrNoLibrary) {
				return fmt.Errorf("there is no library %q yet: add documents with \"carrel add\"", lf.library)
			}
			if err != nil {
				return err
			}
			if *asJSON {
				type row struct {
					Path      string       `json:"path"`
					Status    string       `json:"status"`
					Format    string       `json:"format,omitempty"`
					Title     string       `json:"title,omitempty"`
					Chunks    int          `json:"chunks"`
					Pages     int          `json:"pages,omitempty"`
					Error     string       `json:"error,omitempty"`
					Kind      failure.Kind `json:"error_kind,omitempty"`
					Duplicate int64        `json:"duplicate_of,omitempty"`
					Indexed   time.Time    `json:"indexed_at"`
				}
				rows := []row{}
				for _, d := range ds {
					rows = append(rows, row{d.Path, string(d.Status), d.Format, d.Title, d.Chunks, d.Pages, d.Error, d.ErrorKind, d.DuplicateOf, d.IndexedAt})
				}
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			for _, d := range ds {
				detail := fmt.Sprintf("%d passages", d.Chunks)
				switch {
				case d.Status == status.Failed:
					detail = d.Error
				case d.DuplicateOf != 0:
					detail = "same content as another document"
				case d.Status != status.Ready:
					detail = "waiting"
				}
				fmt.Printf("%-9s %-60s %s\n", d.Status, d.Path, strings.TrimSpace(detail))
			}
			return nil
		},
	}
}

func watchCmd() *command {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	data := dataFlag(fs)
	embedModel := embedFlag(fs)
	rescan := fs.Duration("rescan", 2*time.Minute, "interval of the full rescan that catches missed changes")
	return &command{
		Name: "watch", Usage: "[--embed-model FILE]",
		Short:   "stay in the foreground keeping watched folders indexed (add folders with \"carrel add --watch\")",
		Flags:   fs,
		Indexes: true,
		Run: func(ctx context.Context, args []string) error {
			if *rescan < time.Second {
				return usagef("--rescan must be at least 1s")
			}
			e, err := openEngine(ctx, *data, engine.Options{NoChatModel: true, Rescan: *rescan})
			if err != nil {
				return err
			}
			defer e.Close()
			if err := useEmbedder(ctx, e, *embedModel); err != nil {
				return err
			}
			libs, err := e.Libraries(ctx)
			if err != nil {
				return err
			}
			n := 0
			for _, l := range libs {
				for _, w := range l.Watched {
					n++
					fmt.Fprintf(os.Stderr, "watching %s (%s)\n", w, l.Name)
				}
			}
			if n == 0 {
				fmt.Fprintln(os.Stderr, "no folder is watched yet: folders added with \"carrel add --watch FOLDER\" are followed from the moment they are added")
			}
			defer follow(e, func(ev event.Event) {
				at := ev.Time.Format("15:04:05")
				switch ev.Kind {
				case event.Indexed:
					fmt.Fprintf(os.Stderr, "%s indexed %s\n", at, ev.Path)
				case event.Removed:
					fmt.Fprintf(os.Stderr, "%s removed %s\n", at, ev.Path)
				case event.Failed:
					fmt.Fprintf(os.Stderr, "%s could not index %s: %v\n", at, ev.Path, ev.Err)
				case event.Watching:
					fmt.Fprintf(os.Stderr, "%s watching %s\n", at, ev.Path)
				}
			})()
			<-ctx.Done()
			return nil
		},
	}
}
