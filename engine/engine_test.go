package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/synth"
	"github.com/carrel-ai/carrel/internal/sharedtest"

	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// writeDocs makes a small folder of documents for a library.
func writeDocs(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"paris.txt": "The Eiffel Tower stands in Paris. The tower is 330 metres tall and was completed in 1889 for the World's Fair. " +
			"Gustave Eiffel's company designed and built it.",
		"bread.md": "# Sourdough\n\nSourdough bread needs a starter made of flour and water. The starter is fed every day.\n\n" +
			"# Baking\n\nBake the loaf at 250 degrees for forty minutes.",
		"rome.html": "<html><head><title>Rome</title></head><body><article><h1>The Colosseum</h1>" +
			"<p>The Colosseum in Rome held about fifty thousand spectators for games and shows.</p></article></body></html>",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func openEngine(t testing.TB, data string, s *engine.Settings) *engine.Engine {
	t.Helper()
	e, err := engine.Open(context.Background(), engine.Options{DataDir: data, Settings: s, NoWatch: true, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func addAndWait(t testing.TB, e *engine.Engine, library string, paths ...string) {
	t.Helper()
	ctx, cancel := testwait.Context(t)
	defer cancel()
	if _, err := e.Add(ctx, library, true, paths...); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAskWithoutModel(t *testing.T) {
	e := openEngine(t, t.TempDir(), nil)
	docs := writeDocs(t)
	addAndWait(t, e, "Travel", docs)

	libs, err := e.Libraries(context.Background())
	if err != nil || len(libs) != 1 || libs[0].Name != "Travel" || libs[0].Documents != 3 || libs[0].LastIndexed.IsZero() {
		t.Fatalf("libraries %+v, %v", libs, err)
	}
	var streamed strings.Builder
	a, err := e.Ask(context.Background(), "How tall is the Eiffel Tower?", engine.AskOptions{}, func(d engine.Delta) error {
		streamed.WriteString(d.Text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.Outcome != engine.RetrievalOnly || a.Grounded || streamed.String() != a.Text {
		t.Errorf("outcome %s grounded %v, text %q streamed %q", a.Outcome, a.Grounded, a.Text, streamed.String())
	}
	if len(a.Sources) == 0 || filepath.Base(a.Sources[0].Path) != "paris.txt" {
		t.Fatalf("sources %+v", a.Sources)
	}
	if a.IndexedAt.IsZero() || a.Conversation == "" {
		t.Errorf("audit record: indexed at %v, conversation %q", a.IndexedAt, a.Conversation)
	}

	// Nothing about it in the library: declined, with related passages.
	a, err = e.Ask(context.Background(), "What is the boiling point of mercury?", engine.AskOptions{Library: "Travel"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Outcome != engine.NotFound || a.Text != "I could not find this in your documents." || len(a.Sources) != 0 {
		t.Errorf("unrelated question: %s, %q", a.Outcome, a.Text)
	}

	if _, err := e.Ask(context.Background(), "  ", engine.AskOptions{}, nil); !errors.Is(err, engine.ErrEmptyQuestion) {
		t.Errorf("empty question: %v", err)
	}
	if _, err := e.Ask(context.Background(), "Eiffel", engine.AskOptions{Library: "Nope"}, nil); !errors.Is(err, engine.ErrNoLibrary) {
		t.Errorf("unknown library: %v", err)
	}
	if _, err := e.Ask(context.Background(), "Eiffel", engine.AskOptions{Ungrounded: true}, nil); err == nil {
		t.Error("an ungrounded answer without a model should fail")
	}
}

func TestSearchFilters(t *testing.T) {
	e := openEngine(t, t.TempDir(), nil)
	docs := writeDocs(t)
	addAndWait(t, e, "Travel", docs)
	res, err := e.Search(context.Background(), "Colosseum spectators", engine.SearchOptions{Formats: []string{"html"}})
	if err != nil || !res.Relevant || len(res.Hits) != 1 || filepath.Base(res.Hits[0].Path) != "rome.html" {
		t.Fatalf("search %+v, %v", res, err)
	}
	res, _ = e.Search(context.Background(), "Colosseum spectators", engine.SearchOptions{Formats: []string{"markdown"}})
	if len(res.Hits) != 0 {
		t.Errorf("format filter let through %+v", res.Hits)
	}
	ds, err := e.Documents(context.Background(), "Travel")
	if err != nil || len(ds) != 3 {
		t.Fatalf("documents %d, %v", len(ds), err)
	}
	for _, d := range ds {
		if d.Status != status.Ready {
			t.Errorf("%s is %s", d.Path, d.Status)
		}
	}
	if n, err := e.Remove(context.Background(), "Travel", filepath.Join(docs, "rome.html")); err != nil || n != 1 {
		t.Fatalf("remove: %d, %v", n, err)
	}
	if res, _ := e.Search(context.Background(), "Colosseum spectators", engine.SearchOptions{}); res.Relevant {
		t.Error("a removed document is still found")
	}
}

func TestSettingsPersist(t *testing.T) {
	data := t.TempDir()
	e := openEngine(t, data, nil)
	s := e.Settings()
	if !reflect.DeepEqual(s, engine.DefaultSettings()) {
		t.Errorf("a new data folder has settings %+v", s)
	}
	s.Temperature, s.Sources, s.Library = 0.5, 4, "Work"
	// The per-library tables survive config.toml too (the server is
	// away when the engine opens again: it still opens).
	s.LibraryServers = map[string]string{"Team notes": "postgres://ann@127.0.0.1:1/notes?connect_timeout=5"}
	s.LibraryChatServers = map[string]engine.ModelServer{"Work": {URL: "http://gpu.lab:8080/v1", Key: "k"}}
	if _, err := e.SetSettings(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	bad := s
	bad.Temperature = 7
	if _, err := e.SetSettings(context.Background(), bad); err == nil {
		t.Error("a temperature of 7 was accepted")
	}
	e.Close()
	e = openEngine(t, data, nil)
	if got := e.Settings(); !reflect.DeepEqual(got, s) {
		t.Errorf("reopened settings %+v, want %+v", got, s)
	}
	e.Close()
	os.WriteFile(filepath.Join(data, "config.toml"), []byte("temperature = [oops"), 0o600)
	if _, err := engine.Open(context.Background(), engine.Options{DataDir: data}); err == nil || !strings.Contains(err.Error(), "config.toml") {
		t.Errorf("a damaged config.toml: %v", err)
	}
}

func TestEvents(t *testing.T) {
	e := openEngine(t, t.TempDir(), nil)
	ch, stop := e.Subscribe()
	defer stop()
	addAndWait(t, e, "Travel", writeDocs(t))
	indexed := map[string]int{}
	seen := map[event.Kind]int{}
	timeout := time.After(testwait.Bound(t))
	for len(indexed) < 3 || seen[event.Idle] == 0 {
		select {
		case ev := <-ch:
			seen[ev.Kind]++
			if ev.Kind == event.Indexed {
				indexed[filepath.Base(ev.Path)]++
				if ev.Library != "Travel" {
					t.Errorf("event for library %q", ev.Library)
				}
			}
		case <-timeout:
			t.Fatalf("saw %v, indexed %v", seen, indexed)
		}
	}
	for name, n := range indexed {
		if n != 1 {
			t.Errorf("%s indexed %d times", name, n)
		}
	}
	if seen[event.Queued] == 0 || seen[event.Indexing] != 3 || seen[event.Progress] == 0 {
		t.Errorf("events %v", seen)
	}
}

func TestBrokenModel(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	bad := filepath.Join(t.TempDir(), "model.gguf")
	os.WriteFile(bad, []byte("not a model"), 0o644)
	s := engine.DefaultSettings()
	s.ChatModel = bad
	e := openEngine(t, t.TempDir(), &s)
	addAndWait(t, e, "Travel", writeDocs(t))
	_, err := e.Ask(context.Background(), "How tall is the Eiffel Tower?", engine.AskOptions{}, nil)
	if !errors.Is(err, llm.ErrNotGGUF) || !strings.Contains(err.Error(), "model.gguf") {
		t.Errorf("ask with a broken model: %v", err)
	}
	if st := e.ChatModel(); st.State != engine.ModelFailed {
		t.Errorf("model state %s", st.State)
	}
}

// storiesSettings sets the tiny TinyStories model: it cannot reason, but
// the whole pipeline runs on it.
func storiesSettings(t testing.TB) *engine.Settings {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	s := engine.DefaultSettings()
	s.ChatModel = sharedtest.Path(t, "models/stories260K.gguf")
	s.AnswerTokens = 48
	return &s
}

func TestAskWithModel(t *testing.T) {
	s := storiesSettings(t)
	data := t.TempDir()
	e := openEngine(t, data, s)
	addAndWait(t, e, "Travel", writeDocs(t))
	var deltas []engine.Delta
	a, err := e.Ask(context.Background(), "How tall is the Eiffel Tower?", engine.AskOptions{}, func(d engine.Delta) error {
		deltas = append(deltas, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The story model cites nothing: answered from the sources, but not
	// called grounded.
	if a.Outcome != engine.Uncited || a.Grounded || a.Text == "" {
		t.Fatalf("answer %+v", a)
	}
	if len(deltas) < 2 || len(deltas[0].Sources) == 0 || filepath.Base(deltas[0].Sources[0].Path) != "paris.txt" {
		t.Errorf("the stream should start with the sources, paris.txt first: %+v", deltas[0])
	}
	if a.Model.Name == "" || a.Model.ContextSize == 0 || a.Model.Backend == "" || a.Timings.FirstTokenMS <= 0 || a.Timings.TokensPerS <= 0 {
		t.Errorf("audit record: model %+v timings %+v", a.Model, a.Timings)
	}
	for _, c := range a.Citations {
		if c.N < 1 || c.N > len(a.Sources) {
			t.Errorf("citation %d of %d sources", c.N, len(a.Sources))
		}
	}

	// A follow-up continues the conversation; both turns survive a reopen.
	b, err := e.Ask(context.Background(), "When was it completed?", engine.AskOptions{Conversation: a.Conversation}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Conversation != a.Conversation || !strings.Contains(b.Query, "Eiffel") {
		t.Errorf("follow-up: conversation %q, query %q", b.Conversation, b.Query)
	}
	e.Close()
	e = openEngine(t, data, s)
	c, err := e.Conversation(a.Conversation)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Turns) != 2 || c.Turns[0].Text != a.Text || c.Turns[0].Sources[0].Path != a.Sources[0].Path || c.Library != "" {
		t.Errorf("saved conversation %+v", c)
	}
	md, _ := e.ExportConversation(a.Conversation)
	if !strings.Contains(md, "How tall is the Eiffel Tower?") {
		t.Errorf("export:\n%s", md)
	}
	list, _ := e.Conversations()
	if len(list) != 1 || list[0].Turns != 2 {
		t.Errorf("conversations %+v", list)
	}
}

func TestAskCancel(t *testing.T) {
	s := storiesSettings(t)
	s.AnswerTokens = 400
	e := openEngine(t, t.TempDir(), s)
	addAndWait(t, e, "Travel", writeDocs(t))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	a, err := e.Ask(ctx, "How tall is the Eiffel Tower?", engine.AskOptions{}, func(d engine.Delta) error {
		if d.Text != "" {
			if n++; n == 3 {
				cancel()
			}
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || a == nil || a.Text == "" {
		t.Fatalf("cancelled answer %v, %v", a, err)
	}
	c, err := e.Conversation(a.Conversation)
	if err != nil || len(c.Turns) != 1 || c.Turns[0].Stop != "cancelled" {
		t.Errorf("the partial answer should be saved as cancelled: %+v, %v", c, err)
	}
}

// TestConcurrentUse runs questions, searches, listings and additions at
// once; run it under -race.
func TestConcurrentUse(t *testing.T) {
	s := storiesSettings(t)
	e := openEngine(t, t.TempDir(), s)
	docs := writeDocs(t)
	addAndWait(t, e, "Travel", docs)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 4 {
		wg.Add(4)
		go func() {
			defer wg.Done()
			if _, err := e.Ask(ctx, "How tall is the Eiffel Tower?", engine.AskOptions{}, nil); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := e.Search(ctx, "sourdough starter", engine.SearchOptions{}); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := e.Documents(ctx, ""); err != nil {
				errs <- err
			}
			e.ChatModel()
			e.Conversations()
		}()
		go func() {
			defer wg.Done()
			p := filepath.Join(docs, "extra"+string(rune('a'+i))+".txt")
			os.WriteFile(p, []byte("The Louvre is the world's most visited museum."), 0o644)
			if _, err := e.Add(ctx, "Travel", false, p); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := e.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if list, _ := e.Conversations(); len(list) != 4 {
		t.Errorf("%d conversations saved, want 4", len(list))
	}
}

// TestChangeEmbeddingModel re-embeds a library with another model: the
// library stays searchable by meaning throughout, and every document ends
// with vectors of the new model.
func TestChangeEmbeddingModel(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	first := sharedtest.Path(t, "models/stories260K.gguf")
	second := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := synth.Write(context.Background(), second, synth.Options{Shape: synth.Shapes["tiny"], Type: gguf.TensorF32, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	s := engine.DefaultSettings()
	s.EmbedModel = first
	e := openEngine(t, t.TempDir(), &s)
	addAndWait(t, e, "Travel", writeDocs(t))
	ctx := context.Background()
	if res, err := e.Search(ctx, "Eiffel Tower", engine.SearchOptions{Mode: "vector"}); err != nil || len(res.Hits) == 0 {
		t.Fatalf("vector search with the first model: %v", err)
	}
	s.EmbedModel = second
	reindex, err := e.SetSettings(ctx, s)
	if err != nil || !reindex {
		t.Fatalf("change: %v, reindex %v", err, reindex)
	}
	// Searching by meaning works at once, before and while re-embedding.
	if res, err := e.Search(ctx, "Eiffel Tower", engine.SearchOptions{Mode: "vector"}); err != nil || len(res.Hits) == 0 {
		t.Fatalf("vector search during the change: %+v, %v", res, err)
	}
	if err := e.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	ds, _ := e.Documents(ctx, "Travel")
	chunks := 0
	for _, d := range ds {
		chunks += d.Chunks
		if !strings.HasPrefix(d.Model, "tiny.gguf@") || d.Status != status.Ready {
			t.Errorf("%s: model %q, %s", d.Path, d.Model, d.Status)
		}
	}
	res, err := e.Search(ctx, "Eiffel Tower", engine.SearchOptions{Mode: "vector"})
	seen := map[int64]bool{}
	for _, h := range res.Hits {
		seen[h.ChunkID] = true
	}
	if err != nil || len(res.Hits) != chunks || len(seen) != chunks {
		t.Errorf("vector search after the change: %d hits (%d distinct) of %d passages, %v", len(res.Hits), len(seen), chunks, err)
	}
}

// TestUnlockEncrypted indexes a password-protected PDF: it fails, asking
// for the password, until Unlock gives it; a wrong password fails again.
func TestUnlockEncrypted(t *testing.T) {
	src := sharedtest.Path(t, "corpus/pdf/encrypted/pypdf-libreoffice-password.pdf")
	dir := t.TempDir()
	pdf := filepath.Join(dir, "secret.pdf")
	raw, _ := os.ReadFile(src)
	os.WriteFile(pdf, raw, 0o644)
	e := openEngine(t, t.TempDir(), nil)
	addAndWait(t, e, "Vault", pdf)
	ctx := context.Background()
	doc := func() engine.Document {
		ds, _ := e.Documents(ctx, "Vault")
		return ds[0]
	}
	if d := doc(); d.Status != status.Failed || d.ErrorKind != "encrypted" {
		t.Fatalf("without the password: %s %q", d.Status, d.ErrorKind)
	}
	for _, tc := range []struct {
		password string
		want     status.Status
	}{{"wrong", status.Failed}, {"openpassword", status.Ready}} {
		if err := e.Unlock(ctx, "Vault", pdf, tc.password); err != nil {
			t.Fatal(err)
		}
		if err := e.WaitIndexed(ctx); err != nil {
			t.Fatal(err)
		}
		if d := doc(); d.Status != tc.want || (tc.want == status.Ready && d.Chunks == 0) {
			t.Errorf("password %q: %s, %d passages, %q", tc.password, d.Status, d.Chunks, d.Error)
		}
	}
	// Re-indexing an unchanged document reads it again (the password is
	// not kept, so this one fails again, honestly).
	if err := e.Reindex(ctx, "Vault", pdf); err != nil {
		t.Fatal(err)
	}
	e.WaitIndexed(ctx)
	if d := doc(); d.Status != status.Failed || d.ErrorKind != "encrypted" {
		t.Errorf("re-indexed without the password: %s", d.Status)
	}
}

// TestChunkSizeChangeReindexes checks that a new passage size cuts every
// document anew, though no file changed.
func TestChunkSizeChangeReindexes(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "Sentence number %d of a long document about lighthouses and harbours. ", i)
	}
	p := filepath.Join(dir, "long.txt")
	os.WriteFile(p, []byte(b.String()), 0o644)
	e := openEngine(t, t.TempDir(), nil)
	addAndWait(t, e, "L", p)
	ctx := context.Background()
	before, _ := e.Documents(ctx, "L")
	s := e.Settings()
	s.ChunkTokens = 100
	if reindex, err := e.SetSettings(ctx, s); err != nil || !reindex {
		t.Fatalf("%v, reindex %v", err, reindex)
	}
	if err := e.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := e.Documents(ctx, "L")
	if after[0].Status != status.Ready || after[0].Chunks <= before[0].Chunks*2 {
		t.Errorf("passages before %d, after %d (%s)", before[0].Chunks, after[0].Chunks, after[0].Status)
	}
}

// TestAskFitsTheContext asks with passages far longer than the small
// model's window: with the model's own tokenizer, the prompt must be cut
// to fit beside the answer, dropping sources rather than overflowing.
func TestAskFitsTheContext(t *testing.T) {
	s := storiesSettings(t)
	s.ContextSize, s.ChunkTokens, s.AnswerTokens = 512, 400, 64
	dir := t.TempDir()
	for i, topic := range []string{"tower", "bridge", "canal"} {
		var b strings.Builder
		for j := range 300 {
			fmt.Fprintf(&b, "The old %s of the harbour town was repaired in year %d by workers who loved the sea. ", topic, 1800+j)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-%s.txt", i, topic)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := openEngine(t, t.TempDir(), s)
	addAndWait(t, e, "Harbour", dir)
	a, err := e.Ask(context.Background(), "When was the old tower of the harbour town repaired?", engine.AskOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if (a.Outcome != engine.Answered && a.Outcome != engine.Uncited) || a.Text == "" || len(a.Sources) == 0 {
		t.Fatalf("answer %+v", a)
	}
	if a.Model.ContextSize != 512 || a.Timings.PromptTokens <= 0 || a.Timings.PromptTokens+s.AnswerTokens > a.Model.ContextSize {
		t.Errorf("prompt of %d tokens and %d for the answer in a context of %d", a.Timings.PromptTokens, s.AnswerTokens, a.Model.ContextSize)
	}
	if len(a.Sources) >= 6 {
		t.Errorf("%d sources of about 400 tokens each cannot fit in 512 tokens", len(a.Sources))
	}
}

// A folder added while the watcher runs is followed at once: a file
// created in it afterwards is in the library without waiting for the
// periodic rescan (set to an hour here).
func TestFolderAddedWhileWatching(t *testing.T) {
	e, err := engine.Open(context.Background(), engine.Options{DataDir: t.TempDir(), Workers: 2, Rescan: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	events, stop := e.Subscribe()
	defer stop()
	dir := t.TempDir()
	if _, err := e.Add(ctx, "", true, dir); err != nil {
		t.Fatal(err)
	}
	// The watcher says when it follows the folder.
	deadline := time.After(testwait.Bound(t))
	for watching := false; !watching; {
		select {
		case ev := <-events:
			watching = ev.Kind == event.Watching && ev.Path == dir
		case <-deadline:
			t.Fatal("the new folder was never watched")
		}
	}
	path := filepath.Join(dir, "late.md")
	if err := os.WriteFile(path, []byte("# Herons\n\nA grey heron waited by the weir all morning."), 0o600); err != nil {
		t.Fatal(err)
	}
	// The folder's first look may meet the file half written (created,
	// still empty); the write's own event then brings it up to date.
	testwait.Until(t, "a file created in a folder added while watching is found", func() bool {
		res, err := e.Search(ctx, "heron weir", engine.SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Hits) == 1 && res.Hits[0].Path == path
	})
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := e.WaitIndexed(wctx); err != nil {
		t.Fatal(err)
	}
	if ds, err := e.Documents(ctx, ""); err != nil || len(ds) != 1 || ds[0].Chunks != 1 {
		t.Errorf("after watching: %+v %v, want the one file with its passage", ds, err)
	}
}

// The facade's calls that the window makes stay responsive while the
// embedding model changes during an indexing run: the change prepares
// outside the engine's lock (here its model load is held until the calls
// are done) and only swaps under it.
func TestCallsStayResponsiveDuringModelChange(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	models := make([]string, 2)
	for i := range models {
		models[i] = filepath.Join(t.TempDir(), fmt.Sprintf("embed%d.gguf", i))
		if err := synth.Write(context.Background(), models[i], synth.Options{Shape: synth.Shapes["tiny"], Type: gguf.TensorF32, Seed: uint64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	s := engine.DefaultSettings()
	s.EmbedModel = models[0]
	e := openEngine(t, t.TempDir(), &s)
	ctx := context.Background()
	addAndWait(t, e, "", writeDocs(t))
	// Indexing is under way: a large file keeps a worker busy.
	big := filepath.Join(t.TempDir(), "big.txt")
	var b strings.Builder
	for i := 0; b.Len() < 300_000; i++ {
		fmt.Fprintf(&b, "Paragraph %d tells of rivers, bridges and the towns along them, one after another.\n\n", i)
	}
	if err := os.WriteFile(big, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Add(ctx, "", false, big); err != nil {
		t.Fatal(err)
	}
	loading, release := engine.HoldEmbedderLoads(e)
	changed := make(chan error, 1)
	go func() {
		s.EmbedModel = models[1]
		_, err := e.SetSettings(ctx, s)
		changed <- err
	}()
	<-loading
	calls := []struct {
		name string
		call func()
	}{
		{"Settings", func() { e.Settings() }},
		{"Pause", e.Pause},
		{"Paused", func() { e.Paused() }},
		{"Resume", e.Resume},
		{"ChatModel", func() { e.ChatModel() }},
		{"Libraries", func() { e.Libraries(ctx) }},
		{"Documents", func() { e.Documents(ctx, "") }},
		{"Search", func() { e.Search(ctx, "Eiffel Tower", engine.SearchOptions{}) }},
		{"Add", func() { e.Add(ctx, "", false, writeDocs(t)) }},
	}
	for _, c := range calls {
		done := make(chan struct{})
		go func() { c.call(); close(done) }()
		select {
		case <-done:
		case <-time.After(testwait.Bound(t)):
			release()
			t.Fatalf("%s did not return during the model change", c.name)
		}
	}
	select {
	case err := <-changed:
		t.Fatalf("the change ended while its model load was held: %v", err)
	default:
	}
	release()
	if err := <-changed; err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := e.WaitIndexed(wctx); err != nil {
		t.Fatal(err)
	}
	ds, _ := e.Documents(ctx, "")
	for _, d := range ds {
		if d.Status != status.Ready || (d.DuplicateOf == 0 && !strings.HasPrefix(d.Model, "embed1.gguf@")) {
			t.Errorf("%s: %s with %q after the change", filepath.Base(d.Path), d.Status, d.Model)
		}
	}
}

// Chat sends a caller's whole conversation to the model in its template
// and streams the reply; it needs a model and knows its roles.
func TestChatWithCallersHistory(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	ctx := context.Background()
	none := openEngine(t, t.TempDir(), nil)
	if _, err := none.Chat(ctx, []engine.ChatMessage{{Role: "user", Content: "hi"}}, engine.ChatOptions{}, nil); !errors.Is(err, engine.ErrNoChatModel) {
		t.Errorf("without a model: %v", err)
	}
	model := filepath.Join(t.TempDir(), "chat.gguf")
	if err := synth.Write(ctx, model, synth.Options{Shape: synth.Shapes["tiny"], Type: gguf.TensorF32, ChatTemplate: synth.ChatML, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	s := engine.DefaultSettings()
	s.ChatModel = model
	e := openEngine(t, t.TempDir(), &s)
	if _, err := e.Chat(ctx, []engine.ChatMessage{{Role: "robot", Content: "x"}}, engine.ChatOptions{}, nil); err == nil {
		t.Error("an unknown role was accepted")
	}
	seed := int64(1)
	short := []engine.ChatMessage{{Role: "user", Content: "Tell me about rivers."}}
	long := []engine.ChatMessage{
		{Role: "system", Content: "You answer briefly."},
		{Role: "user", Content: "What is a bridge?"},
		{Role: "assistant", Content: "A way across a river."},
		{Role: "user", Content: "Tell me about rivers."},
	}
	var streamed strings.Builder
	r1, err := e.Chat(ctx, long, engine.ChatOptions{MaxTokens: 8, Seed: &seed}, func(s string) error { streamed.WriteString(s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if r1.GeneratedTokens == 0 || r1.Text != streamed.String() || r1.Model == "" {
		t.Errorf("reply %+v, streamed %q", r1, streamed.String())
	}
	r2, err := e.Chat(ctx, short, engine.ChatOptions{MaxTokens: 8, Seed: &seed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r1.PromptTokens <= r2.PromptTokens {
		t.Errorf("the history was not sent: %d prompt tokens with it, %d without", r1.PromptTokens, r2.PromptTokens)
	}
}

// A watching engine (the app, or "carrel watch") and another one adding
// the same folder ("carrel add" in a terminal) share the library: every
// file is indexed exactly once, and both finish.
func TestWatchAndAddTogether(t *testing.T) {
	for round := 0; round < 3; round++ {
		data, dir := t.TempDir(), t.TempDir()
		watcher, err := engine.Open(context.Background(), engine.Options{DataDir: data, Workers: 2, Rescan: time.Hour, NoChatModel: true})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := testwait.Context(t)
		if _, err := watcher.Add(ctx, "", true, dir); err != nil {
			t.Fatal(err)
		}
		const files = 80
		for i := 0; i < files; i++ {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("n%02d.md", i)), []byte(fmt.Sprintf("# Note %d\n\nThe kestrel number %d hovered.", i, i)), 0o600)
		}
		adder, err := engine.Open(ctx, engine.Options{DataDir: data, NoWatch: true, Workers: 2, NoChatModel: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := adder.Add(ctx, "", false, dir); err != nil {
			t.Fatal(err)
		}
		if err := adder.WaitIndexed(ctx); err != nil {
			t.Fatalf("round %d: the adder: %v", round, err)
		}
		if err := watcher.WaitIndexed(ctx); err != nil {
			t.Fatalf("round %d: the watcher: %v", round, err)
		}
		ds, err := adder.Documents(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		ready := 0
		for _, d := range ds {
			if d.Status == status.Ready && d.Chunks == 1 {
				ready++
			}
		}
		if len(ds) != files || ready != files {
			t.Errorf("round %d: %d documents, %d ready with one passage, want %d", round, len(ds), ready, files)
		}
		adder.Close()
		watcher.Close()
		cancel()
	}
}

// A follow-up that stands on its own is answered as well as in a new
// conversation: joining it to the earlier question must not push it under
// the relevance floor.
func TestFollowUpNeverWorseThanAlone(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"walden.txt":     "When visitors come to the woods and find me gone, they leave at my house their cards, a bunch of flowers, or a wreath of evergreen, or a name in pencil on a yellow walnut leaf.",
		"lighthouse.txt": "The lighthouse keeper trims the wick at dusk and winds the clockwork of the lens every four hours through the night.",
		"bakery.txt":     "The bakery opens at six; the sourdough is shaped the evening before and baked at dawn.",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	set := engine.DefaultSettings()
	set.EmbedModel = engine.NoEmbedModel
	e := openEngine(t, t.TempDir(), &set)
	addAndWait(t, e, "", dir)
	ctx := context.Background()
	follow := "What did visitors leave at the house when they came to the woods?"
	alone, err := e.Ask(ctx, follow, engine.AskOptions{}, nil)
	if err != nil || alone.Outcome != engine.RetrievalOnly || filepath.Base(alone.Sources[0].Path) != "walden.txt" {
		t.Fatalf("alone: %v %+v", err, alone)
	}
	first, err := e.Ask(ctx, "How often does the lighthouse keeper wind the clockwork of the lens during the night?", engine.AskOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.Ask(ctx, follow, engine.AskOptions{Conversation: first.Conversation}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Outcome != alone.Outcome || len(second.Sources) == 0 || filepath.Base(second.Sources[0].Path) != "walden.txt" {
		t.Errorf("as a follow-up: %s, sources %v", second.Outcome, second.Sources)
	}
}

// A follow-up keeps what the model read for the question before: with a
// real model, the prompt of the follow-up reuses the KV cache of the whole
// first prompt, sources included (its rewrite comes first and shares it).
func TestFollowUpReusesWhatWasRead(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	ctx := context.Background()
	model := filepath.Join(t.TempDir(), "chat.gguf")
	if err := synth.Write(ctx, model, synth.Options{Shape: synth.Shapes["tiny"], Type: gguf.TensorF32, ChatTemplate: synth.ChatML, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	s := engine.DefaultSettings()
	s.ChatModel, s.EmbedModel, s.AnswerTokens, s.Temperature, s.ContextSize = model, engine.NoEmbedModel, 8, 0, 4096
	e := openEngine(t, t.TempDir(), &s)
	addAndWait(t, e, "Travel", writeDocs(t))
	first, err := e.Ask(ctx, "How tall is the Eiffel Tower?", engine.AskOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	next, err := e.Ask(ctx, "How tall is the Eiffel Tower in metres?", engine.AskOptions{Conversation: first.Conversation}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if next.Carried == 0 || next.Carried != len(first.Sources) {
		t.Errorf("kept %d sources of %d", next.Carried, len(first.Sources))
	}
	if next.Timings.CachedTokens < first.Timings.PromptTokens-1 {
		t.Errorf("the follow-up reused %d tokens of the cache; the first prompt had %d", next.Timings.CachedTokens, first.Timings.PromptTokens)
	}
	t.Logf("first: %d prompt tokens; follow-up: %d prompt tokens, %d cached", first.Timings.PromptTokens, next.Timings.PromptTokens, next.Timings.CachedTokens)
}

// Where libraries live is fixed while an engine is open: a change to it is
// saved, reported as waiting for the next opening (the window offers a
// restart), and used then.
func TestPlacementsWaitForTheNextOpening(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	open := func() *engine.Engine {
		t.Helper()
		e, err := engine.Open(ctx, engine.Options{DataDir: data, NoWatch: true, NoIndexing: true, NoChatModel: true, BundledEmbedModel: engine.NoEmbedModel})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	lab := func(libs []engine.Library) *engine.Library {
		for i := range libs {
			if libs[i].Name == "Lab" {
				return &libs[i]
			}
		}
		return nil
	}
	e := open()
	if got := e.AtNextOpening(); got != nil {
		t.Fatalf("a fresh engine has changes waiting: %q", got)
	}
	s := e.Settings()
	// Nothing listens on port 1: the placed library will be away.
	placed := map[string]string{"Lab": "postgres://carrel@127.0.0.1:1/lab"}
	steps := []struct {
		name   string
		change func(*engine.Settings)
		want   []string
	}{
		{"another setting", func(s *engine.Settings) { s.Sources = 4 }, nil},
		{"a placement", func(s *engine.Settings) { s.LibraryServers = placed }, []string{"libraries on servers"}},
		{"its search model", func(s *engine.Settings) {
			s.LibraryEmbedModels = map[string]engine.EmbedChoice{"Lab": {Model: engine.NoEmbedModel}}
		}, []string{"libraries on servers", "the search models of libraries on servers"}},
		{"the team library", func(s *engine.Settings) { s.LibraryServer = "postgres://carrel@127.0.0.1:1/team" },
			[]string{"the team library", "libraries on servers", "the search models of libraries on servers"}},
		{"the team library back", func(s *engine.Settings) { s.LibraryServer = "" },
			[]string{"libraries on servers", "the search models of libraries on servers"}},
		{"the search model back", func(s *engine.Settings) { s.LibraryEmbedModels = nil }, []string{"libraries on servers"}},
	}
	for _, st := range steps {
		st.change(&s)
		if _, err := e.SetSettings(ctx, s); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := e.AtNextOpening(); !slices.Equal(got, st.want) {
			t.Errorf("after %s: waiting %q, want %q", st.name, got, st.want)
		}
	}
	libs, err := e.Libraries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l := lab(libs); l != nil {
		t.Errorf("the session placed a library before its next opening: %+v", *l)
	}
	e.Close()
	e = open()
	defer e.Close()
	if got := e.AtNextOpening(); got != nil {
		t.Errorf("the next opening still has changes waiting: %q", got)
	}
	if libs, err = e.Libraries(ctx); err != nil {
		t.Fatal(err)
	}
	if l := lab(libs); l == nil || l.Away == "" {
		t.Errorf("the next opening did not place the library on its (unreachable) server: %+v", libs)
	}
}

// A team library that cannot be reached keeps Carrel from opening it, but
// not from opening: NoLibraryServer opens the data folder's libraries with
// the settings unchanged, so the person can correct them, and the team
// library is reported as waiting for the next opening.
func TestTeamLibraryAwayOpensTheDataFolder(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	opts := engine.Options{DataDir: data, NoWatch: true, NoIndexing: true, NoChatModel: true, BundledEmbedModel: engine.NoEmbedModel}
	e, err := engine.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := e.Settings()
	const team = "postgres://carrel:s3cret@127.0.0.1:1/team?connect_timeout=5" // nothing listens on port 1
	s.LibraryServer = team
	if _, err := e.SetSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	e.Close()
	if e, err := engine.Open(ctx, opts); err == nil {
		e.Close()
		t.Fatal("opened on a team library that cannot be reached")
	} else if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the password: %v", err)
	}
	opts.NoLibraryServer = true
	e, err = engine.Open(ctx, opts)
	if err != nil {
		t.Fatalf("the data folder without its team library: %v", err)
	}
	defer e.Close()
	if e.LibraryServer() != "" || e.Settings().LibraryServer != team {
		t.Errorf("session on %q, settings %q", e.LibraryServer(), e.Settings().LibraryServer)
	}
	if _, err := e.Libraries(ctx); err != nil {
		t.Errorf("the data folder's libraries: %v", err)
	}
	for _, st := range []struct {
		server string
		want   []string
	}{{team, []string{"the team library"}}, {"", nil}, {"postgres://carrel@127.0.0.1:2/team", []string{"the team library"}}} {
		s.LibraryServer = st.server
		if _, err := e.SetSettings(ctx, s); err != nil {
			t.Fatal(err)
		}
		if got := e.AtNextOpening(); !slices.Equal(got, st.want) {
			t.Errorf("team library %q saved: waiting %q, want %q", st.server, got, st.want)
		}
	}
}
