package lab_test

import (
	"context"
	"testing"

	"github.com/carrel-ai/carrel/internal/sharedtest"
	"github.com/carrel-ai/carrel/lab"
)

// The recall bench on real embeddings: SQuAD passages embedded with the
// bundled model, stored, reopened from their vector file; with every
// passage a candidate, the scan finds exactly the exhaustive answer.
func TestBenchRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("embeds passages")
	}
	model := sharedtest.Path(t, "models/all-MiniLM-L6-v2-Q4_K_M.gguf")
	data := sharedtest.Path(t, "qa/squad/beir-v1.1-dev")
	r, err := lab.BenchRecall(context.Background(), lab.RecallBench{Dataset: data, Model: model, Passages: 120, Queries: 30, Candidates: []int{15, 120}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Passages != 120 || r.Queries != 30 || r.Dims != 384 || len(r.Points) != 2 {
		t.Fatalf("report %+v", r)
	}
	if r.Points[1].Recall != 1 || r.Search != 1 {
		t.Errorf("with every passage a candidate, recall %.3f (search %.3f), want 1", r.Points[1].Recall, r.Search)
	}
	if r.Points[0].Recall <= 0.2 || r.Points[0].Recall > r.Points[1].Recall {
		t.Errorf("15 candidates for the nearest 10 of 120: recall %.3f", r.Points[0].Recall)
	}
	t.Logf("recall@10 with 15 candidates of 120: %.3f", r.Points[0].Recall)
}
