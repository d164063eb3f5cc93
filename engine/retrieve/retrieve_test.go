package retrieve

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/index"
)

// topicEmbedder maps texts to unit vectors by which topic words they
// contain, standing in for a real model: "feline" and "cat" land close.
type topicEmbedder struct{}

func (topicEmbedder) Model() string { return "topics" }
func (topicEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	topics := [][]string{{"cat", "feline", "kitten"}, {"car", "engine", "vehicle"}, {"rain", "weather", "storm"}}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, len(topics)+1)
		v[len(topics)] = 0.1
		low := strings.ToLower(t)
		for k, words := range topics {
			for _, w := range words {
				if strings.Contains(low, w) {
					v[k]++
				}
			}
		}
		var s float32
		for _, x := range v {
			s += x * x
		}
		for k := range v {
			v[k] /= sqrt(s)
		}
		out[i] = v
	}
	return out, nil
}

type otherModel struct{ topicEmbedder }

func (otherModel) Model() string { return "other" }

func sqrt(x float32) float32 {
	z := x
	for i := 0; i < 30; i++ {
		z = (z + x/z) / 2
	}
	return z
}

func build(t *testing.T) (*index.Index, index.Library) {
	t.Helper()
	ctx := context.Background()
	idx, err := index.Open(ctx, t.TempDir(), "topics")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	lib, _ := idx.Library(ctx, "L")
	emb := topicEmbedder{}
	for i, text := range []string{
		"The kitten slept on the warm windowsill all afternoon.",
		"A feline companion needs fresh water and attention.",
		"The engine of the old vehicle rattled on the highway.",
		"Heavy rain and a storm are expected this weekend.",
		"東京の天気は雨です。",
	} {
		d, _, _ := idx.Enqueue(ctx, lib.ID, "/docs/"+string(rune('a'+i))+".txt", 1, time.Unix(int64(i), 0), nil)
		vs, _ := emb.Embed(ctx, []string{text})
		if err := idx.Replace(ctx, d.ID, index.Meta{Hash: text, Format: "text"}, []index.Chunk{{Text: text, Page: 1}}, vs, "topics"); err != nil {
			t.Fatal(err)
		}
	}
	return idx, lib
}

func TestHybridFindsWhatEitherFinds(t *testing.T) {
	idx, _ := build(t)
	r := New(idx, topicEmbedder{})
	ctx := context.Background()
	// "cat" appears in no text: lexical search misses, vectors find both
	// cat passages; hybrid keeps them.
	lex, err := r.Search(ctx, "cat", Options{Mode: Lexical})
	if err != nil || len(lex.Hits) != 0 {
		t.Fatalf("lexical: %d hits, %v", len(lex.Hits), err)
	}
	hyb, err := r.Search(ctx, "cat", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if hyb.Mode != Hybrid || len(hyb.Hits) < 2 || !strings.Contains(hyb.Hits[0].Text+hyb.Hits[1].Text, "kitten") {
		t.Fatalf("hybrid: %+v", hyb.Hits)
	}
	if hyb.Hits[0].Scores.VectorRank != 1 || hyb.Hits[0].Scores.LexicalRank != 0 || hyb.Hits[0].Scores.Fused <= 0 {
		t.Errorf("scores %+v", hyb.Hits[0].Scores)
	}
	if !hyb.Relevant {
		t.Error("a strong vector match is below the floor")
	}
	// A passage both retrievers rank first outranks one found by one only.
	both, _ := r.Search(ctx, "engine vehicle", Options{})
	if both.Hits[0].Scores.LexicalRank != 1 || both.Hits[0].Scores.VectorRank != 1 {
		t.Errorf("top hit %+v", both.Hits[0].Scores)
	}
	if both.Hits[0].Path != "/docs/c.txt" || both.Hits[0].Page != 1 {
		t.Errorf("locator %s p%d", both.Hits[0].Path, both.Hits[0].Page)
	}
}

func TestRelevanceFloor(t *testing.T) {
	idx, _ := build(t)
	r := New(idx, nil)
	ctx := context.Background()
	res, _ := r.Search(ctx, "When is the storm expected?", Options{})
	if !res.Relevant || res.Mode != Lexical || res.Hits[0].Scores.Coverage < 0.5 {
		t.Errorf("answerable question: relevant %v, %+v", res.Relevant, res.Hits)
	}
	res, _ = r.Search(ctx, "quarterly revenue of the storm drain company in Ohio", Options{})
	if res.Relevant {
		t.Errorf("unanswerable question passed the floor: %+v", res.Hits)
	}
	if _, err := r.Search(ctx, "x", Options{Mode: Vector}); err == nil {
		t.Error("vector search without an embedder")
	}
	if _, err := New(idx, otherModel{}).Search(ctx, "x", Options{Mode: Hybrid}); err == nil {
		t.Error("hybrid search with vectors of another model")
	}
}

func TestFiltersAndCJK(t *testing.T) {
	idx, lib := build(t)
	r := New(idx, nil)
	ctx := context.Background()
	res, _ := r.Search(ctx, "東京の雨", Options{})
	if len(res.Hits) != 1 || res.Hits[0].Path != "/docs/e.txt" {
		t.Errorf("CJK: %+v", res.Hits)
	}
	res, _ = r.Search(ctx, "storm", Options{Filter: index.Filter{Libraries: []int64{lib.ID + 1}}})
	if len(res.Hits) != 0 {
		t.Errorf("other library: %+v", res.Hits)
	}
	res, _ = r.Search(ctx, "storm", Options{Filter: index.Filter{Until: time.Unix(3, 0)}})
	if len(res.Hits) != 0 {
		t.Errorf("date filter: %+v", res.Hits)
	}
}

// TestPreviousModelKeepsServing changes the embedding model: documents not
// yet re-embedded are still found by meaning through the previous model's
// vectors, and re-embedded ones through the new model's.
func TestPreviousModelKeepsServing(t *testing.T) {
	idx, lib := build(t)
	ctx := context.Background()
	if err := idx.ChangeModel(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if idx.Model() != "other" || idx.PreviousModel() != "topics" {
		t.Fatalf("models %q, previous %q", idx.Model(), idx.PreviousModel())
	}
	// Re-embed the rain document with the new model.
	d, _ := idx.Document(ctx, lib.ID, "/docs/d.txt")
	text := "Heavy rain and a storm are expected this weekend."
	vs, _ := otherModel{}.Embed(ctx, []string{text})
	if err := idx.Replace(ctx, d.ID, index.Meta{Hash: text + "2", Format: "text"}, []index.Chunk{{Text: text, Page: 1}}, vs, "other"); err != nil {
		t.Fatal(err)
	}
	r := New(idx, otherModel{}).WithPrevious(topicEmbedder{})
	// "cat" is in no text: only vectors can find the cat passages, and
	// they still have only the previous model's vectors.
	res, err := r.Search(ctx, "cat", Options{Mode: Vector})
	if err != nil {
		t.Fatal(err)
	}
	// (Each ranking's first place fuses equally, so the new model's one
	// vector ranks among them: look at the first three.)
	top := ""
	for _, h := range res.Hits[:min(3, len(res.Hits))] {
		top += h.Text
	}
	if !strings.Contains(top, "kitten") || !strings.Contains(top, "feline") || !res.Relevant {
		t.Fatalf("previous model's vectors not searched: %+v", res.Hits)
	}
	// "weather" finds the re-embedded document through the new model.
	res, _ = r.Search(ctx, "weather", Options{Mode: Vector})
	found := false
	for _, h := range res.Hits[:min(2, len(res.Hits))] {
		found = found || h.Path == "/docs/d.txt" && h.Scores.Vector > 0.5
	}
	if !found {
		t.Fatalf("new model's vectors: %+v", res.Hits)
	}
	// Its old vector is gone: it is not found twice.
	seen := map[string]int{}
	for _, h := range res.Hits {
		seen[h.Path]++
	}
	if seen["/docs/d.txt"] != 1 {
		t.Errorf("the re-embedded document appears %d times", seen["/docs/d.txt"])
	}
	// Without the previous model's embedder, only re-embedded documents.
	res, _ = New(idx, otherModel{}).Search(ctx, "cat", Options{Mode: Vector})
	for _, h := range res.Hits {
		if strings.Contains(h.Text, "kitten") && h.Scores.Vector > 0.5 {
			t.Errorf("found by an old vector without the old model: %+v", h)
		}
	}
	idx.DropPrevious()
	if idx.PreviousModel() != "" {
		t.Error("previous vectors kept after DropPrevious")
	}
}
