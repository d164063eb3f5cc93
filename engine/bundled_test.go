package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/engine/synth"
	"github.com/carrel-ai/carrel/internal/sharedtest"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// bundledModel is the embedding model that ships with Carrel, from the
// shared test assets (the build fetches the same file).
func bundledModel(t *testing.T) string {
	t.Helper()
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	return sharedtest.Path(t, "models/"+models.BundledFile)
}

// A library indexed by words only (before Carrel bundled a model) is
// embedded in the background when it is opened with the bundled model;
// words keep finding passages meanwhile, and afterwards a question that
// shares no word with the document finds it by meaning.
func TestBundledModelEmbedsAnOlderLibrary(t *testing.T) {
	model := bundledModel(t)
	ctx, cancel := testwait.Context(t)
	defer cancel()
	data, docs := t.TempDir(), writeDocs(t)
	if err := os.WriteFile(filepath.Join(docs, "car.txt"), []byte("The automobile's motor would not turn over on that freezing January morning."), 0o644); err != nil {
		t.Fatal(err)
	}
	old, err := engine.Open(ctx, engine.Options{DataDir: data, NoWatch: true, BundledEmbedModel: engine.NoEmbedModel})
	if err != nil {
		t.Fatal(err)
	}
	if m := old.SearchMethod(); m.Meaning {
		t.Fatalf("opened without a bundled model, it searches %s", m.Describe())
	}
	addAndWait(t, old, "Notes", docs)
	old.Close()

	e, err := engine.Open(ctx, engine.Options{DataDir: data, NoWatch: true, NoIndexing: true, BundledEmbedModel: model})
	if err != nil {
		t.Fatal(err)
	}
	m := e.SearchMethod()
	if !m.Meaning || !m.Bundled || m.Model != model || !strings.Contains(m.Describe(), "built in") {
		t.Fatalf("search method %+v", m)
	}
	// Not yet embedded: words still find the tower.
	res, err := e.Search(ctx, "Eiffel Tower", engine.SearchOptions{Library: "Notes"})
	if err != nil || len(res.Hits) == 0 || !strings.HasSuffix(res.Hits[0].Path, "paris.txt") {
		t.Fatalf("search before embedding: %+v, %v", res.Hits, err)
	}
	e.Close()

	e = openWith(t, data, engine.Options{BundledEmbedModel: model})
	if err := e.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := e.Documents(ctx, "Notes")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Status != status.Ready || !strings.HasPrefix(d.Model, models.BundledFile+"@") {
			t.Errorf("%s: %s, model %q", filepath.Base(d.Path), d.Status, d.Model)
		}
	}
	res, err = e.Search(ctx, "car engine trouble in cold weather", engine.SearchOptions{Library: "Notes", Mode: engine.SearchHybrid})
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("search by meaning: %v", err)
	}
	top := res.Hits[0]
	if !strings.HasSuffix(top.Path, "car.txt") || top.Scores.VectorRank != 1 || top.Scores.LexicalRank != 0 {
		t.Errorf("first hit %s, scores %+v; want car.txt found by meaning alone", filepath.Base(top.Path), top.Scores)
	}
}

// openWith opens an engine that indexes, closed at the end of the test.
func openWith(t *testing.T, data string, o engine.Options) *engine.Engine {
	t.Helper()
	o.DataDir, o.NoWatch = data, true
	e, err := engine.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// The settings choose among the bundled model, none, and a file; a
// bundled model that is missing leaves search by words, saying why.
func TestSearchMethodChoice(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "carrel")
	missing := engine.Options{BundledEmbedModel: ""}.SearchMethodFor(engine.Settings{EmbedModel: engine.NoEmbedModel})
	for _, c := range []struct {
		name    string
		o       engine.Options
		s       string
		meaning bool
		bundled bool
	}{
		{"bundled by default", engine.Options{BundledEmbedModel: "/opt/carrel/models/m.gguf"}, "", true, true},
		{"words only when asked", engine.Options{BundledEmbedModel: "/opt/carrel/models/m.gguf"}, engine.NoEmbedModel, false, false},
		{"a chosen file", engine.Options{BundledEmbedModel: "/opt/carrel/models/m.gguf"}, "/models/e5.gguf", true, false},
		{"no bundled model in this build", engine.Options{BundledEmbedModel: engine.NoEmbedModel}, "", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := c.o.SearchMethodFor(engine.Settings{EmbedModel: c.s})
			if m.Meaning != c.meaning || m.Bundled != c.bundled {
				t.Errorf("%+v", m)
			}
		})
	}
	if missing.Meaning {
		t.Errorf("words only was not honoured: %+v", missing)
	}
	// An installation without the file: found nowhere, and said so.
	if _, err := models.FindBundled(exe); err == nil || !strings.Contains(err.Error(), "no embedding model") {
		t.Errorf("missing model: %v", err)
	}
	// A truncated file is reported as damaged, not loaded.
	os.MkdirAll(filepath.Join(dir, "models"), 0o755)
	os.WriteFile(filepath.Join(dir, "models", models.BundledFile), []byte("GGUF"), 0o644)
	if _, err := models.FindBundled(exe); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged model: %v", err)
	}
}

func TestSuggestEmbedModel(t *testing.T) {
	docs := func(langs ...string) []engine.Document {
		var out []engine.Document
		for _, l := range langs {
			out = append(out, engine.Document{Language: l})
		}
		return out
	}
	bundled := engine.SearchMethod{Meaning: true, Bundled: true, Name: "all-MiniLM-L6-v2"}
	for _, c := range []struct {
		name    string
		docs    []engine.Document
		m       engine.SearchMethod
		suggest bool
		says    string
	}{
		{"an English library", docs("en", "en", "en", "en", "", "zh"), bundled, false, ""},
		{"mostly Chinese and Japanese", docs("zh", "zh", "ja", "en", "en"), bundled, true, "3 of 5 documents here are in Chinese, Japanese"},
		{"a third German", docs("de", "en", "en"), bundled, true, "German"},
		{"too few to tell", docs("zh", "zh"), bundled, false, ""},
		{"a model the person chose", docs("zh", "zh", "zh"), engine.SearchMethod{Meaning: true, Name: "bge-m3"}, false, ""},
		{"words only by choice", docs("zh", "zh", "zh"), engine.SearchMethod{}, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, says, ok := engine.SuggestEmbedModel(c.docs, c.m)
			if ok != c.suggest || !strings.Contains(says, c.says) {
				t.Fatalf("suggest %v %q", ok, says)
			}
			if ok && (m.Kind != engine.EmbeddingModel || !m.Multilingual) {
				t.Errorf("suggested %+v", m)
			}
		})
	}
}

// A reranking model set in the settings re-orders the best passages of a
// search; its scores show on the hits, and the search method names it.
// The model is made from the bundled embedder with a linear head, so the
// head and its negation must give opposite orders.
func TestRerankerSetting(t *testing.T) {
	model := bundledModel(t)
	head := make([]float32, 384)
	for i := range head {
		head[i] = float32(i%7) - 3
	}
	neg := make([]float32, len(head))
	for i, x := range head {
		neg[i] = -x
	}
	ctx := context.Background()
	dir := t.TempDir()
	up, down := filepath.Join(dir, "up.gguf"), filepath.Join(dir, "down.gguf")
	if err := synth.Reranker(ctx, model, up, head); err != nil {
		t.Fatal(err)
	}
	if err := synth.Reranker(ctx, model, down, neg); err != nil {
		t.Fatal(err)
	}
	e := openWith(t, t.TempDir(), engine.Options{BundledEmbedModel: model})
	addAndWait(t, e, "Notes", writeDocs(t))
	order := func() []string {
		res, err := e.Search(ctx, "tower bread colosseum", engine.SearchOptions{Library: "Notes", K: 10})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i, h := range res.Hits {
			if h.Scores.RerankRank != i+1 {
				t.Errorf("hit %d has rerank place %d", i+1, h.Scores.RerankRank)
			}
			out = append(out, filepath.Base(h.Path)+"#"+h.Text[:10])
		}
		return out
	}
	s := e.Settings()
	s.Reranker = up
	if _, err := e.SetSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	if m := e.SearchMethod(); m.Reranker != "up" || !strings.Contains(m.Describe(), "re-ordered by up") {
		t.Errorf("search method %+v", m)
	}
	a := order()
	s.Reranker = down
	if _, err := e.SetSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	b := order()
	rev := slices.Clone(b)
	slices.Reverse(rev)
	if len(a) < 3 || !slices.Equal(a, rev) {
		t.Errorf("with the head: %v; negated: %v; want opposite orders", a, b)
	}
	// A file that is not a reranker is refused, and the one in use stays.
	s.Reranker = model
	if _, err := e.SetSettings(ctx, s); err == nil {
		t.Error("an embedding model was accepted as a reranker")
	}
	if m := e.SearchMethod(); m.Reranker != "down" {
		t.Errorf("after a refused change: %+v", m)
	}
}
