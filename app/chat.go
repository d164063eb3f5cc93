package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/term"

	"github.com/carrel-ai/carrel/engine"
)

func chatCmd() *command {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	var af askFlags
	var sf samplingFlags
	af.registerModel(fs)
	sf.registerSampling(fs)
	fs.Var(&sf.stop, "stop", "stop a reply when this text appears (repeatable; without --library)")
	system := fs.String("system", "You are a helpful assistant.", "system prompt (without --library)")
	library := fs.String("library", "", "answer from this library's documents, with sources after each answer (\"all\" for every library)")
	return &command{
		Name: "chat", Usage: "[--library NAME] [--model FILE] [flags]",
		Short: "talk with a model in the terminal; with --library, about your documents, citing them",
		Flags: fs, Interactive: true,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("chat takes no arguments; type your messages after it starts")
			}
			lib := *library
			if lib == "all" {
				lib = ""
			}
			af.library = lib
			// Both kinds of chat use the engine, so the settings' model,
			// its adapter and a model server apply to either.
			e, err := af.open(ctx)
			if err != nil {
				return err
			}
			defer e.Close()
			if *library != "" {
				if err := checkLibrary(ctx, e, lib); err != nil {
					return err
				}
				return libraryChat(ctx, e, lib, os.Stdin, os.Stdout, os.Stderr)
			}
			o := engine.ChatOptions{MaxTokens: af.answerTokens, Sampling: &sf.s, Stop: sf.stop}
			return chatLoop(ctx, e, *system, o, os.Stdin, os.Stdout, os.Stderr)
		},
	}
}

// chatLoop talks with the engine's chat model, keeping the conversation
// here. It reads a message per line until end of input or "/exit". Ctrl+C
// while the model answers stops that answer; at the prompt it ends the chat.
func chatLoop(ctx context.Context, e *engine.Engine, system string, o engine.ChatOptions, in io.Reader, out, info io.Writer) error {
	st, err := e.WaitModel(ctx)
	switch {
	case err != nil:
		return err
	case st.State == engine.ModelFailed:
		return explain(st.Err)
	case st.State != engine.ModelReady:
		return fmt.Errorf("%w: give one with --model FILE.gguf or --chat-server URL, or choose one with \"carrel models use FILE\"", engine.ErrNoChatModel)
	}
	fmt.Fprintf(info, "Chatting with %s (%s; %s). Type /reset to start over, /exit to leave.\n",
		st.Info.Name, st.ChatFormat, st.Placement.Reason)
	var msgs []engine.ChatMessage
	if strings.TrimSpace(system) != "" {
		msgs = append(msgs, engine.ChatMessage{Role: "system", Content: system})
	}
	base := len(msgs)
	return converse(ctx, in, out, nil, func(ctx context.Context, line string) error {
		if line == "/reset" {
			msgs = msgs[:base]
			fmt.Fprintln(info, "(conversation cleared)")
			return nil
		}
		msgs = append(msgs, engine.ChatMessage{Role: "user", Content: line})
		r, err := e.Chat(ctx, msgs, o, func(s string) error {
			_, err := io.WriteString(out, s)
			return err
		})
		fmt.Fprintln(out)
		if err != nil && !errors.Is(err, context.Canceled) {
			return explain(err)
		}
		if r == nil {
			return nil
		}
		msgs = append(msgs, engine.ChatMessage{Role: "assistant", Content: r.Text})
		if r.Dropped > 0 {
			fmt.Fprintf(info, "(the conversation outgrew the context: the %d oldest messages were left out)\n", r.Dropped)
		}
		fmt.Fprintf(info, "[prompt %d tokens (%d cached) · generated %d tokens at %.1f tok/s · first token %s · stop: %s]\n",
			r.PromptTokens, r.CachedTokens, r.GeneratedTokens, r.TokensPerSecond, r.FirstToken.Round(time.Millisecond), r.Stop)
		return nil
	})
}

// libraryChat answers each line from the library, continuing one
// conversation, and lists the sources after each answer. Ctrl+C stops an
// answer; at the prompt it ends the chat.
func libraryChat(ctx context.Context, e *engine.Engine, library string, in io.Reader, out, info io.Writer) error {
	st, _ := e.WaitModel(ctx)
	switch st.State {
	case engine.ModelReady:
		fmt.Fprintf(info, "Asking %s with %s (%s). /new starts a new conversation, /exit leaves.\n",
			libraryLabel(library), st.Info.Name, st.Placement.Reason)
	case engine.ModelFailed:
		return explain(st.Err)
	default:
		fmt.Fprintf(info, "No chat model is set: answers are the best passages only. Give one with --model FILE.gguf.\n")
	}
	conv := ""
	// What is typed at the prompt goes to the engine, which reads ahead
	// for a new conversation's first question (see engine.Typing).
	typing := func(text string) { e.Typing(text, engine.AskOptions{Library: library, Conversation: conv}) }
	return converse(ctx, in, out, typing, func(ctx context.Context, line string) error {
		if line == "/new" || line == "/reset" {
			conv = ""
			fmt.Fprintln(info, "(new conversation)")
			return nil
		}
		a, err := e.Ask(ctx, line, engine.AskOptions{Library: library, Conversation: conv}, func(d engine.Delta) error {
			_, err := io.WriteString(out, d.Text)
			return err
		})
		fmt.Fprintln(out)
		if a == nil {
			return explain(err)
		}
		conv = a.Conversation
		printSources(out, a)
		if a.Timings.TokensPerS > 0 {
			ahead := ""
			if a.Timings.ReadAheadTokens > 0 {
				ahead = fmt.Sprintf(" · %d of %d prompt tokens read while you typed", a.Timings.ReadAheadTokens, a.Timings.PromptTokens)
			}
			fmt.Fprintf(info, "[passages in %.0f ms · first word after %.0f ms · %.1f tokens/s%s]\n", a.Timings.RetrieveMS, a.Timings.FirstTokenMS, a.Timings.TokensPerS, ahead)
		}
		return nil
	})
}

// converse runs a chat at the terminal. It reads a line at a time until
// "/exit", the end of input, or Ctrl+C at the prompt, and hands each
// non-empty line to turn with a context that Ctrl+C cancels, so that
// Ctrl+C during an answer stops only that answer. When in is a terminal
// and typing is set, the line is edited in the terminal's raw mode and
// typing is told of it as it is typed.
func converse(ctx context.Context, in io.Reader, out io.Writer, typing func(string), turn func(ctx context.Context, line string) error) error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	lr := readLines(in, out, typing)
	defer lr.close()
	for {
		line, more, err := lr.prompt(ctx, out, sig)
		if !more {
			return err
		}
		if line == "" {
			continue
		}
		tctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-sig:
				cancel()
			case <-tctx.Done():
			}
		}()
		err = turn(tctx, line)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
	}
}

func libraryLabel(name string) string {
	if name == "" {
		return "all your libraries"
	}
	return fmt.Sprintf("the library %q", name)
}

// lineReader reads the lines of a chat on its own goroutine, since
// reading stdin cannot be interrupted. At a terminal it reads a line only
// when asked (want), in raw mode, so that answers print as usual and
// Ctrl+C during one stops it.
type lineReader struct {
	lines chan string
	want  chan struct{} // nil: lines are read as they come
	tty   *terminal
}

// prompt shows "> " and waits for a line. It reports false when the chat
// should end: end of input, "/exit", Ctrl+C at the prompt, or ctx ending
// (then with ctx's error).
func (lr *lineReader) prompt(ctx context.Context, out io.Writer, sig <-chan os.Signal) (string, bool, error) {
	if lr.want != nil {
		fmt.Fprint(out, "\n") // the terminal shows "> " itself
		select {
		case lr.want <- struct{}{}:
		case <-ctx.Done():
			return "", false, ctx.Err()
		}
	} else {
		fmt.Fprint(out, "\n> ")
	}
	select {
	case <-ctx.Done():
		return "", false, ctx.Err()
	case <-sig:
		fmt.Fprintln(out)
		return "", false, nil
	case l, ok := <-lr.lines:
		if !ok {
			fmt.Fprintln(out)
			return "", false, nil
		}
		l = strings.TrimSpace(l)
		return l, l != "/exit" && l != "/quit", nil
	}
}

// close leaves the terminal as it was found.
func (lr *lineReader) close() {
	if lr.tty != nil {
		lr.tty.restore()
	}
}

func readLines(in io.Reader, out io.Writer, typing func(string)) *lineReader {
	lr := &lineReader{lines: make(chan string)}
	if f, ok := in.(*os.File); ok && typing != nil && term.IsTerminal(int(f.Fd())) {
		lr.want = make(chan struct{})
		lr.tty = &terminal{fd: int(f.Fd())}
		go lr.tty.read(f, out, typing, lr.want, lr.lines)
		return lr
	}
	go func() {
		defer close(lr.lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lr.lines <- sc.Text()
		}
	}()
	return lr
}

// terminal edits the chat's lines in raw mode (x/term's line editor:
// arrows, history, Ctrl+U), telling typing of each character typed.
type terminal struct {
	fd  int
	mu  sync.Mutex
	old *term.State // the mode to restore; nil while not raw
}

func (t *terminal) read(in io.Reader, out io.Writer, typing func(string), want <-chan struct{}, lines chan<- string) {
	defer close(lines)
	tt := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{in, out}, "> ")
	tt.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
		// Called before a key is added; a printable one goes in at pos.
		if unicode.IsPrint(key) {
			typing(line[:pos] + string(key) + line[pos:])
		}
		return "", 0, false
	}
	for range want {
		t.mu.Lock()
		old, err := term.MakeRaw(t.fd)
		if err != nil {
			t.mu.Unlock()
			return
		}
		t.old = old
		t.mu.Unlock()
		line, err := tt.ReadLine()
		t.restore()
		if err != nil { // Ctrl+C, Ctrl+D on an empty line, or the end
			return
		}
		typing("")
		lines <- line
	}
}

// restore leaves raw mode, if the terminal is in it.
func (t *terminal) restore() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.old != nil {
		term.Restore(t.fd, t.old)
		t.old = nil
	}
}
