//go:build cgo

package llm_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/synth"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// rerankerFrom makes a reranking model for tests from the shared BERT
// embedding model (synth.Reranker).
func rerankerFrom(t *testing.T, base string, head []float32) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "reranker.gguf")
	if err := synth.Reranker(context.Background(), base, p, head); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReranker(t *testing.T) {
	base := sharedtest.Path(t, "models/all-MiniLM-L6-v2-Q4_K_M.gguf")
	head := make([]float32, 384)
	for i := range head {
		head[i] = float32(math.Sin(float64(i)))
	}
	neg := make([]float32, len(head))
	for i, x := range head {
		neg[i] = -x
	}
	passages := []string{
		"The Eiffel Tower was completed in 1889 for the World's Fair.",
		"Sourdough needs a starter of flour and water.",
		"",
		"A very long passage. " + strings.Repeat("The river flows past the mill and the old church. ", 200),
	}
	score := func(path string) []float32 {
		m := load(t, path)
		r, err := m.NewReranker(llm.EmbedOptions{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		s, err := r.Score(context.Background(), "When was the Eiffel Tower built?", passages)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != len(passages) {
			t.Fatalf("%d scores for %d passages", len(s), len(passages))
		}
		// The same call twice gives the same scores (each pair is scored
		// alone, whatever shares its batch).
		again, err := r.Score(context.Background(), "When was the Eiffel Tower built?", passages[:1])
		if err != nil || math.Abs(float64(again[0]-s[0])) > 1e-3 {
			t.Errorf("alone %v, in a batch %v (%v)", again, s[0], err)
		}
		return s
	}
	a, b := score(rerankerFrom(t, base, head)), score(rerankerFrom(t, base, neg))
	distinct := false
	for i := range a {
		if math.IsNaN(float64(a[i])) || math.Abs(float64(a[i]+b[i])) > 1e-3*(1+math.Abs(float64(a[i]))) {
			t.Errorf("passage %d: %v with the head, %v with it negated; want opposite scores", i, a[i], b[i])
		}
		distinct = distinct || a[i] != a[0]
	}
	if !distinct {
		t.Errorf("every passage scored the same: %v", a)
	}
	// An embedding model is not a reranker, and a reranker does not embed.
	if _, err := load(t, base).NewReranker(llm.EmbedOptions{}); !errors.Is(err, llm.ErrNotReranker) {
		t.Errorf("reranker of an embedding model: %v", err)
	}
	m := load(t, rerankerFrom(t, base, head))
	e, err := m.NewEmbedder(llm.EmbedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Embed(context.Background(), []string{"x"}); err == nil {
		t.Error("a reranker embedded text")
	}
}
