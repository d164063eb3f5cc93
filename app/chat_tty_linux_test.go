package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/internal/sharedtest"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// openPTY opens a pseudo-terminal: the side a person types into and the
// side the chat reads as its terminal.
func openPTY(t *testing.T) (person, chat *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// At a terminal, `carrel chat --library` edits the question in raw mode and
// tells the engine what is typed: the model reads the question's sources
// before Enter, and the chat says how much it read. The terminal is left
// as it was found.
func TestChatReadsAheadAtATerminal(t *testing.T) {
	needLlama(t)
	person, tty := openPTY(t)
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "paris.txt"), []byte("The Eiffel Tower stands in Paris. The tower is 330 metres tall and was completed in 1889 for the World's Fair."), 0o644); err != nil {
		t.Fatal(err)
	}
	s := engine.DefaultSettings()
	s.ChatModel, s.AnswerTokens, s.EmbedModel = sharedtest.Path(t, "models/stories260K.gguf"), 16, engine.NoEmbedModel
	e, err := engine.Open(context.Background(), engine.Options{DataDir: t.TempDir(), Settings: &s, NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := testwait.Context(t)
	defer cancel()
	if _, err := e.Add(ctx, "Travel", false, docs); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	// What the chat writes to the terminal is read off, so it never
	// blocks on a full terminal.
	var shown bytes.Buffer
	var mu sync.Mutex
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := person.Read(buf)
			mu.Lock()
			shown.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	prompted := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(shown.String(), "> ")
	}
	go func() {
		for !prompted() && ctx.Err() == nil { // typed once the chat shows its prompt
			time.Sleep(10 * time.Millisecond)
		}
		for _, r := range "How tall is the Eiffel Tower? " {
			person.Write([]byte(string(r)))
			time.Sleep(10 * time.Millisecond)
		}
		// The model reads a step of the sources in milliseconds; a
		// person takes longer than this to press Enter.
		time.Sleep(2 * time.Second)
		io.WriteString(person, "\r")
		time.Sleep(2 * time.Second)
		io.WriteString(person, "/exit\r")
	}()
	var info bytes.Buffer
	if err := libraryChat(ctx, e, "Travel", tty, tty, &info); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(info.String(), "read while you typed") || !strings.Contains(shown.String(), "paris.txt") {
		t.Errorf("info %q, terminal %q", info.String(), shown.String())
	}
	after, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Errorf("the terminal was left in another mode: %+v, was %+v", after, before)
	}
}
