package ingest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/chunk"
	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/index"

	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/internal/testwait"
)

type env struct {
	idx *index.Index
	in  *Ingester
	lib index.Library
}

func setup(t *testing.T, dataDir string) *env {
	t.Helper()
	idx, err := index.Open(context.Background(), dataDir, "")
	if err != nil {
		t.Fatal(err)
	}
	parser := docs.NewParser("")
	t.Cleanup(func() { parser.Close(); idx.Close() })
	lib, _ := idx.Library(context.Background(), "Test")
	return &env{idx: idx, in: New(idx, parser, Options{Workers: 2, Rescan: time.Hour}, nil), lib: lib}
}

// run processes the queue until it is empty.
func (e *env) run(t *testing.T) {
	t.Helper()
	ctx, cancel := testwait.Context(t)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.in.Run(runCtx); close(done) }()
	if err := e.in.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	stop()
	<-done
}

func write(t *testing.T, path, text string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (e *env) find(t *testing.T, word string) []string {
	t.Helper()
	hits, _, err := e.idx.Lexical(context.Background(), word, index.Filter{}, 20)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ChunkID
	}
	ps, _ := e.idx.Passages(context.Background(), ids)
	var paths []string
	for _, id := range ids {
		paths = append(paths, filepath.Base(ps[id].Doc.Path))
	}
	return paths
}

func TestAddFolder(t *testing.T) {
	src := t.TempDir()
	write(t, filepath.Join(src, "a.txt"), "The aardvark eats ants at night.")
	write(t, filepath.Join(src, "sub", "b.md"), "# Notes\n\nBadgers dig burrows.")
	write(t, filepath.Join(src, "sub", "copy.txt"), "The aardvark eats ants at night.")
	write(t, filepath.Join(src, ".hidden.txt"), "secret hidden words")
	write(t, filepath.Join(src, "photo.png"), "\x89PNG not a document")
	write(t, filepath.Join(src, "draft.tmp"), "temporary")
	write(t, filepath.Join(src, "skip", "c.txt"), "crocodiles are skipped")
	write(t, filepath.Join(src, "broken.docx"), "PK\x03\x04 a zip archive cut short")
	e := setup(t, t.TempDir())
	e.idx.SetIgnore(context.Background(), e.lib.ID, []string{"skip"})
	e.lib, _ = e.idx.FindLibrary(context.Background(), "Test")
	n, err := e.in.Add(context.Background(), e.lib, false, src)
	if err != nil || n != 4 {
		t.Fatalf("queued %d, %v; want 4 (a, b, copy, broken)", n, err)
	}
	e.run(t)
	ds, _ := e.idx.Documents(context.Background(), index.DocFilter{LibraryID: e.lib.ID})
	byName := map[string]index.Document{}
	for _, d := range ds {
		byName[filepath.Base(d.Path)] = d
	}
	// One of the two copies is indexed, the other recorded as its
	// duplicate: which one depends on which worker finished first.
	orig, dup := byName["a.txt"], byName["copy.txt"]
	if orig.DuplicateOf != 0 {
		orig, dup = dup, orig
	}
	if orig.Status != status.Ready || orig.Chunks != 1 || orig.Hash == "" {
		t.Errorf("original %+v", orig)
	}
	if dup.DuplicateOf != orig.ID || dup.Chunks != 0 || dup.Status != status.Ready {
		t.Errorf("duplicate not recognised: %+v", dup)
	}
	if d := byName["broken.docx"]; d.Status != status.Failed || d.ErrorKind != "corrupt" || d.Error == "" {
		t.Errorf("broken.docx %+v", d)
	}
	if got := e.find(t, "badgers"); len(got) != 1 || got[0] != "b.md" {
		t.Errorf("badgers: %v", got)
	}
	if got := e.find(t, "secret crocodiles"); len(got) != 0 {
		t.Errorf("hidden or ignored files indexed: %v", got)
	}
	// Adding again queues nothing: nothing changed.
	if n, _ := e.in.Add(context.Background(), e.lib, false, src); n != 0 {
		t.Errorf("re-add queued %d", n)
	}
	// Removing the original lets its duplicate take its place.
	if _, err := e.in.Remove(context.Background(), e.lib, filepath.Join(src, "a.txt")); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	if got := e.find(t, "aardvark"); len(got) != 1 || got[0] != "copy.txt" {
		t.Errorf("after removing the original: %v", got)
	}
}

func TestUnchangedContentIsNotReindexed(t *testing.T) {
	src := t.TempDir()
	p := filepath.Join(src, "a.txt")
	write(t, p, "Stable content about lighthouses.")
	e := setup(t, t.TempDir())
	e.in.Add(context.Background(), e.lib, false, p)
	e.run(t)
	before, _ := e.idx.Document(context.Background(), e.lib.ID, p)
	// Touch: new mtime, same bytes.
	later := time.Now().Add(time.Minute)
	os.Chtimes(p, later, later)
	if n, _ := e.in.Add(context.Background(), e.lib, false, p); n != 1 {
		t.Fatalf("touched file not queued")
	}
	e.run(t)
	after, _ := e.idx.Document(context.Background(), e.lib.ID, p)
	if after.Status != status.Ready || !after.IndexedAt.Equal(before.IndexedAt) {
		t.Errorf("unchanged content re-indexed: %v → %v", before.IndexedAt, after.IndexedAt)
	}
}

func TestWatcher(t *testing.T) {
	src := t.TempDir()
	write(t, filepath.Join(src, "first.txt"), "Zebras are striped.")
	e := setup(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := e.in.Add(ctx, e.lib, true, src); err != nil {
		t.Fatal(err)
	}
	go e.in.Run(ctx)
	go e.in.Watch(ctx)
	testwait.Until(t, "initial file", func() bool { return len(e.find(t, "zebras")) == 1 })

	p := filepath.Join(src, "new.txt")
	write(t, p, "Giraffes have long necks.")
	testwait.Until(t, "new file", func() bool { return len(e.find(t, "giraffes")) == 1 })

	write(t, p, "Okapis are shy relatives.")
	testwait.Until(t, "modified file", func() bool { return len(e.find(t, "okapis")) == 1 && len(e.find(t, "giraffes")) == 0 })

	moved := filepath.Join(src, "moved.txt")
	if err := os.Rename(p, moved); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "renamed file", func() bool {
		got := e.find(t, "okapis")
		return len(got) == 1 && got[0] == "moved.txt"
	})

	write(t, filepath.Join(src, "deep", "er", "nested.txt"), "Pangolins have scales.")
	testwait.Until(t, "file in a new folder", func() bool { return len(e.find(t, "pangolins")) == 1 })

	os.Remove(moved)
	testwait.Until(t, "deleted file", func() bool { return len(e.find(t, "okapis")) == 0 })
	os.RemoveAll(filepath.Join(src, "deep"))
	testwait.Until(t, "deleted folder", func() bool { return len(e.find(t, "pangolins")) == 0 })
}

// Wait covers a change the watcher has seen and still holds back (its
// debounce): someone who saves a watched file and then waits finds it
// indexed, not the state before the save.
func TestWaitCoversAChangeBeingSettled(t *testing.T) {
	src := t.TempDir()
	write(t, filepath.Join(src, "first.txt"), "Zebras are striped.")
	e := setup(t, t.TempDir())
	watching := make(chan struct{})
	var once sync.Once
	e.in.emit = func(ev event.Event) {
		if ev.Kind == event.Watching {
			once.Do(func() { close(watching) })
		}
	}
	ctx, cancel := testwait.Context(t)
	defer cancel()
	if _, err := e.in.Add(ctx, e.lib, true, src); err != nil {
		t.Fatal(err)
	}
	go e.in.Run(ctx)
	go e.in.Watch(ctx)
	<-watching // files written from now on are the watcher's events
	testwait.Until(t, "initial file", func() bool { return len(e.find(t, "zebras")) == 1 })
	for round, word := range []string{"narwhals", "axolotls", "quokkas"} {
		write(t, filepath.Join(src, word+".txt"), "The "+word+" arrived today.")
		testwait.Until(t, "the watcher seeing the change", func() bool {
			e.in.mu.Lock()
			defer e.in.mu.Unlock()
			return e.in.settling > 0
		})
		if err := e.in.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.find(t, word); len(got) != 1 {
			t.Fatalf("round %d: Wait returned before the watched change was indexed: %q finds %v", round, word, got)
		}
	}
}

// TestCrashSafety kills an ingesting child process with SIGKILL, then
// checks that the library reopens consistent and finishes the work.
func TestCrashSafety(t *testing.T) {
	if dir := os.Getenv("CARREL_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	src, data := t.TempDir(), t.TempDir()
	for i := 0; i < 300; i++ {
		var b strings.Builder
		for j := 0; j < 40; j++ {
			fmt.Fprintf(&b, "Document %d paragraph %d talks about topic%d and word%d.\n\n", i, j, i%17, j)
		}
		write(t, filepath.Join(src, fmt.Sprintf("f%03d.txt", i)), b.String())
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$")
	cmd.Env = append(os.Environ(), "CARREL_CRASH_CHILD="+data, "CARREL_CRASH_SRC="+src)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once some documents are ready and others are not.
	idx, err := index.Open(context.Background(), data, "")
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "child indexing", func() bool {
		ds, _ := idx.Documents(context.Background(), index.DocFilter{Statuses: []status.Status{status.Ready}})
		return len(ds) >= 20
	})
	cmd.Process.Kill()
	cmd.Wait()
	idx.Close()

	e := setup(t, data)
	check := func(stage string) (ready int) {
		ds, _ := e.idx.Documents(context.Background(), index.DocFilter{})
		paths := map[string]bool{}
		db := e.idx.DB()
		for _, d := range ds {
			if paths[d.Path] {
				t.Errorf("%s: %s registered twice", stage, d.Path)
			}
			paths[d.Path] = true
			var rows int
			db.QueryRow(`SELECT COUNT(*) FROM chunks WHERE doc_id = ?`, d.ID).Scan(&rows)
			if d.Status == status.Ready {
				ready++
				if rows != d.Chunks || rows == 0 {
					t.Errorf("%s: %s says %d chunks, has %d", stage, d.Path, d.Chunks, rows)
				}
			}
		}
		var chunks, terms int
		db.QueryRow(`SELECT COUNT(*) FROM chunks`).Scan(&chunks)
		db.QueryRow(`SELECT COUNT(*) FROM chunk_terms`).Scan(&terms)
		if chunks != terms {
			t.Errorf("%s: %d chunks but %d term rows", stage, chunks, terms)
		}
		return ready
	}
	if r := check("after the kill"); r >= 300 {
		t.Skip("the child finished before it was killed; nothing interrupted")
	}
	e.run(t)
	if r := check("after resuming"); r != 300 {
		t.Errorf("%d of 300 ready after resuming", r)
	}
}

func crashChild(data string) {
	idx, err := index.Open(context.Background(), data, "")
	if err != nil {
		os.Exit(3)
	}
	lib, _ := idx.Library(context.Background(), "Test")
	in := New(idx, docs.NewParser(""), Options{Workers: 1}, nil)
	in.Add(context.Background(), lib, false, os.Getenv("CARREL_CRASH_SRC"))
	in.Run(context.Background()) // runs until killed
}

type fakeEmbedder struct{ name string }

func (f fakeEmbedder) Model() string { return f.name }
func (f fakeEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range texts {
		out[i] = []float32{0.6, 0.8}
	}
	return out, nil
}

func TestModelChangeReembeds(t *testing.T) {
	src, data := t.TempDir(), t.TempDir()
	write(t, filepath.Join(src, "a.txt"), "Vectors for everyone.")
	e := setup(t, data)
	e.in.Add(context.Background(), e.lib, false, src)
	e.run(t) // lexical only
	d, _ := e.idx.Document(context.Background(), e.lib.ID, filepath.Join(src, "a.txt"))
	if d.Model != "" {
		t.Fatalf("model %q without an embedder", d.Model)
	}
	e.idx.LoadVectors(context.Background(), "fake-1")
	e.in = New(e.idx, docs.NewParser(""), Options{Workers: 1, Embedder: fakeEmbedder{"fake-1"}}, nil)
	e.run(t)
	d, _ = e.idx.Document(context.Background(), e.lib.ID, filepath.Join(src, "a.txt"))
	if d.Model != "fake-1" || d.Status != status.Ready {
		t.Fatalf("after adding a model: %+v", d)
	}
	hits, err := e.idx.Vector(context.Background(), []float32{0.6, 0.8}, index.Filter{}, 5)
	if err != nil || len(hits) != 1 {
		t.Errorf("vector hits %v, %v", hits, err)
	}
}

func TestPauseResumeCancel(t *testing.T) {
	src := t.TempDir()
	for i := 0; i < 20; i++ {
		write(t, filepath.Join(src, fmt.Sprintf("f%02d.txt", i)), fmt.Sprintf("File number %d about walruses.", i))
	}
	e := setup(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.in.Pause()
	if n, _ := e.in.Add(ctx, e.lib, false, src); n != 20 {
		t.Fatalf("queued %d", n)
	}
	go e.in.Run(ctx)
	time.Sleep(300 * time.Millisecond) // paused: nothing may start
	if got := e.find(t, "walruses"); len(got) != 0 {
		t.Fatalf("indexed while paused: %v", got)
	}
	e.in.Resume()
	testwait.Until(t, "resumed work", func() bool { return len(e.find(t, "walruses")) == 20 })

	// Cancel: what is still queued is marked failed as cancelled.
	e.in.Pause()
	for i := 0; i < 5; i++ {
		write(t, filepath.Join(src, fmt.Sprintf("g%02d.txt", i)), "Narwhals have tusks.")
	}
	e.in.Add(ctx, e.lib, false, src)
	if err := e.in.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	failed, _ := e.idx.Documents(ctx, index.DocFilter{Statuses: []status.Status{status.Failed}})
	if len(failed) != 5 || failed[0].ErrorKind != "cancelled" {
		t.Errorf("after cancel: %d failed (%+v)", len(failed), failed)
	}
	if !e.in.Paused() {
		t.Error("cancel resumed the queue")
	}
}

// gatedEmbedder embeds only after release is closed, and says when a
// call has started.
type gatedEmbedder struct {
	fakeEmbedder
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gatedEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	g.once.Do(func() { close(g.started) })
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.fakeEmbedder.Embed(ctx, texts)
}

// A long new document is searchable by its words while it is embedded,
// and ready with its vectors afterwards; a short one is stored whole.
func TestWordsFirstWhileEmbedding(t *testing.T) {
	src := t.TempDir()
	var long strings.Builder
	for i := range 40 {
		fmt.Fprintf(&long, "# Chapter %d\n\nThe lighthouse keeper of chapter %d counted the ships.\n\n", i, i)
	}
	write(t, filepath.Join(src, "book.md"), long.String())
	e := setup(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.idx.LoadVectors(ctx, "fake-1")
	g := &gatedEmbedder{fakeEmbedder: fakeEmbedder{"fake-1"}, started: make(chan struct{}), release: make(chan struct{})}
	e.in = New(e.idx, docs.NewParser(""), Options{Workers: 1, Embedder: g, Chunk: chunk.Options{Size: 50}}, nil)
	if _, err := e.in.Add(ctx, e.lib, false, src); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.in.Run(ctx); close(done) }()
	<-g.started
	// Embedding has begun and is held: the words are already searchable.
	if got := e.find(t, "lighthouse"); len(got) == 0 {
		t.Fatal("the document is not searchable by words while it is embedded")
	}
	d, _ := e.idx.Document(ctx, e.lib.ID, filepath.Join(src, "book.md"))
	if d.Status != status.Embedding || d.Model != "" || d.Chunks <= wordsFirstPassages {
		t.Fatalf("while embedding: %+v", d)
	}
	close(g.release)
	if err := e.in.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	d, _ = e.idx.Document(ctx, e.lib.ID, filepath.Join(src, "book.md"))
	if d.Status != status.Ready || d.Model != "fake-1" {
		t.Fatalf("after embedding: %+v", d)
	}
	hits, err := e.idx.Vector(ctx, []float32{0.6, 0.8}, index.Filter{}, 100)
	if err != nil || len(hits) != d.Chunks {
		t.Errorf("%d vector hits for %d passages (%v)", len(hits), d.Chunks, err)
	}
	cancel()
	<-done
}

// Workers with nothing to do sleep: they do not wake each other in turn
// (which once kept a core busy while the window sat idle).
func TestIdleWorkersSleep(t *testing.T) {
	e := setup(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { e.in.Run(ctx); close(done) }()
	<-e.in.prepared
	time.Sleep(100 * time.Millisecond)
	before := e.in.looks.Load()
	time.Sleep(500 * time.Millisecond)
	if n := e.in.looks.Load() - before; n > 2 {
		t.Errorf("idle workers looked at the queue %d times in half a second", n)
	}
	// And work still wakes them.
	src := t.TempDir()
	write(t, filepath.Join(src, "a.txt"), "Walruses gather on the ice.")
	write(t, filepath.Join(src, "b.txt"), "Narwhals have tusks.")
	e.in.Add(ctx, e.lib, false, src)
	testwait.Until(t, "both files indexed", func() bool { return len(e.find(t, "walruses")) == 1 && len(e.find(t, "narwhals")) == 1 })
	cancel()
	<-done
}
