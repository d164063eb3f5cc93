package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/internal/pgtest"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// A file of a team library that is not on this computer is another
// member's: it stays queued for them, and waiting for the queue does not
// wait for it.
func TestOtherMembersFilesStayQueued(t *testing.T) {
	ctx, cancel := testwait.Context(t)
	defer cancel()
	url := pgtest.Database(t)
	idx, err := index.OpenServer(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	lib, _ := idx.Library(ctx, "Team")
	theirs, _, err := idx.Enqueue(ctx, lib.ID, "/home/someone-else/report.txt", 10, time.Unix(1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	write(t, filepath.Join(src, "mine.txt"), "My own note about kingfishers.")
	parser := docs.NewParser("")
	defer parser.Close()
	in := New(idx, parser, Options{Workers: 2, Rescan: time.Hour}, func(event.Event) {})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { in.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	if _, err := in.Add(ctx, lib, false, src); err != nil {
		t.Fatal(err)
	}
	if err := in.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := idx.DocumentByID(ctx, theirs.ID)
	if err != nil || d.Status != status.Queued {
		t.Errorf("the other member's file: %v %v (want it kept, queued)", d.Status, err)
	}
	if mine, err := idx.Document(ctx, lib.ID, filepath.Join(src, "mine.txt")); err != nil || mine.Status != status.Ready {
		t.Errorf("this computer's file: %v %v", mine.Status, err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// Two ingesters on one library, each with its own connection to the
// database, as two processes have: they add the same folder at once, and
// every document is indexed exactly once, none failing or left waiting.
// Also on a team library on PostgreSQL, where the two run side by side.
func TestTwoWritersOnOneLibrary(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		twoWriters(t, func(t *testing.T) opener {
			data := t.TempDir()
			return func(ctx context.Context) (*index.Index, error) { return index.Open(ctx, data, "") }
		})
	})
	t.Run("postgres", func(t *testing.T) {
		twoWriters(t, func(t *testing.T) opener {
			url := pgtest.Database(t)
			return func(ctx context.Context) (*index.Index, error) { return index.OpenServer(ctx, url, "") }
		})
	})
}

// opener opens one library, as each process does.
type opener func(ctx context.Context) (*index.Index, error)

func twoWriters(t *testing.T, newLibrary func(t *testing.T) opener) {
	src := t.TempDir()
	const files = 120
	for i := 0; i < files; i++ {
		write(t, filepath.Join(src, fmt.Sprintf("f%03d.txt", i)), fmt.Sprintf("Note %d tells of heron%d and the weir.\n\nIt goes on about river%d.", i, i, i))
	}
	for round := 0; round < 3; round++ {
		open := newLibrary(t)
		var indexed atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := testwait.Context(t)
				defer cancel()
				errs <- indexOnce(ctx, open, src, func(ev event.Event) {
					if ev.Kind == event.Indexed {
						indexed.Add(1)
					}
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		idx, err := open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ds, _ := idx.Documents(context.Background(), index.DocFilter{})
		ready := 0
		for _, d := range ds {
			if d.Status == status.Ready && d.Chunks > 0 {
				ready++
			} else {
				t.Errorf("round %d: %s is %s (%s)", round, filepath.Base(d.Path), d.Status, d.Error)
			}
		}
		idx.Close()
		if len(ds) != files || ready != files || indexed.Load() != files {
			t.Errorf("round %d: %d registered, %d ready, %d indexings for %d files", round, len(ds), ready, indexed.Load(), files)
		}
	}
}

// indexOnce is one "carrel add": it opens the library, adds the folder,
// indexes until the queue is empty, and closes.
func indexOnce(ctx context.Context, open opener, src string, emit func(event.Event)) error {
	idx, err := open(ctx)
	if err != nil {
		return err
	}
	defer idx.Close()
	parser := docs.NewParser("")
	defer parser.Close()
	lib, err := idx.Library(ctx, "Test")
	if err != nil {
		return err
	}
	in := New(idx, parser, Options{Workers: 2, Rescan: time.Hour}, emit)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { in.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	if _, err := in.Add(ctx, lib, false, src); err != nil {
		return err
	}
	return in.Wait(ctx)
}

// A failure of the moment (the store, a slow machine) is tried again when
// the file is added again; a failure of the file is not.
func TestTransientFailuresAreRetried(t *testing.T) {
	src := t.TempDir()
	write(t, filepath.Join(src, "a.txt"), "Alpha text about otters.")
	write(t, filepath.Join(src, "b.txt"), "Beta text about voles.")
	e := setup(t, t.TempDir())
	ctx := context.Background()
	e.in.Add(ctx, e.lib, false, src)
	e.run(t)
	a, _ := e.idx.Document(ctx, e.lib.ID, filepath.Join(src, "a.txt"))
	b, _ := e.idx.Document(ctx, e.lib.ID, filepath.Join(src, "b.txt"))
	// As if a had failed because the disk was full, and b were damaged.
	if err := e.idx.Fail(ctx, a.ID, "", "", "it could not be stored: disk full", string(failure.Storage)); err != nil {
		t.Fatal(err)
	}
	if err := e.idx.Fail(ctx, b.ID, "", "", "the file is damaged", string(failure.Corrupt)); err != nil {
		t.Fatal(err)
	}
	n, err := e.in.Add(ctx, e.lib, false, src)
	if err != nil || n != 1 {
		t.Fatalf("re-adding queued %d (%v), want the storage failure only", n, err)
	}
	e.run(t)
	if got, _ := e.idx.Document(ctx, e.lib.ID, a.Path); got.Status != status.Ready || got.Attempts != 0 {
		t.Errorf("after the retry: %s, %d attempts", got.Status, got.Attempts)
	}
	if got, _ := e.idx.Document(ctx, e.lib.ID, b.Path); got.Status != status.Failed {
		t.Errorf("a damaged file was retried: %s", got.Status)
	}
	// After three failed attempts, a transient failure is left alone.
	for i := 0; i < 3; i++ {
		e.idx.Fail(ctx, a.ID, "", "", "took too long", string(failure.Timeout))
	}
	if n, _ := e.in.Add(ctx, e.lib, false, src); n != 0 {
		t.Errorf("a file that failed three times was queued again")
	}
}

// A pipe given by path is refused at once and never queued: it would block
// the worker that opened it, and every add after it.
func TestPipeIsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "f.txt")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	e := setup(t, t.TempDir())
	ctx, cancel := testwait.Context(t)
	defer cancel()
	n, err := e.in.Add(ctx, e.lib, false, fifo)
	if n != 0 || !errors.Is(err, failure.ErrUnreadable) {
		t.Fatalf("adding a pipe: %d queued, %v", n, err)
	}
	ds, _ := e.idx.Documents(ctx, index.DocFilter{})
	if len(ds) != 0 {
		t.Errorf("the pipe was registered: %+v", ds)
	}
}
