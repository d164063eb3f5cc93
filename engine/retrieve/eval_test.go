package retrieve

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMetricsByHand(t *testing.T) {
	rel := map[string]int{"a": 1, "c": 1}
	ranked := []string{"b", "a", "d", "c"}
	// DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3).
	want := (1/math.Log2(3) + 1/math.Log2(5)) / (1 + 1/math.Log2(3))
	if got := NDCG(ranked, rel, 10); !near(got, want) {
		t.Errorf("NDCG = %v, want %v", got, want)
	}
	if got := NDCG(ranked, rel, 2); !near(got, (1/math.Log2(3))/(1+1/math.Log2(3))) {
		t.Errorf("NDCG@2 = %v", got)
	}
	if got := Recall(ranked, rel, 2); got != 0.5 {
		t.Errorf("Recall@2 = %v", got)
	}
	if got := Recall(ranked, rel, 10); got != 1 {
		t.Errorf("Recall@10 = %v", got)
	}
	if got := MRR(ranked, rel, 10); got != 0.5 {
		t.Errorf("MRR = %v", got)
	}
	if got := MRR([]string{"x"}, rel, 10); got != 0 {
		t.Errorf("MRR without a hit = %v", got)
	}
	graded := map[string]int{"a": 2, "b": 1}
	if got := NDCG([]string{"a", "b"}, graded, 10); !near(got, 1) {
		t.Errorf("perfect graded NDCG = %v", got)
	}
	var e Evaluation
	e.Add(ranked, rel, 2*time.Millisecond)
	e.Add([]string{"a"}, map[string]int{"a": 1}, 4*time.Millisecond)
	m := e.Metrics()
	if m.Queries != 2 || !near(m.MRR10, 0.75) || !near(m.Recall10, 1) || m.P50ms != 4 {
		t.Errorf("metrics %+v", m)
	}
}

func TestLoadBEIR(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "qrels"), 0o755)
	os.WriteFile(filepath.Join(dir, "corpus.jsonl"), []byte(`{"_id":"d1","title":"T","text":"x"}`+"\n"+`{"_id":"d2","text":"y"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "queries.jsonl"), []byte(`{"_id":"q1","text":"x?"}`+"\n"+`{"_id":"q2","text":"unjudged"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "qrels", "test.tsv"), []byte("query-id\tcorpus-id\tscore\nq1\td1\t1\n"), 0o644)
	b, err := LoadBEIR(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Corpus) != 2 || len(b.Queries) != 1 || b.Qrels["q1"]["d1"] != 1 {
		t.Errorf("%+v", b)
	}
	if _, err := LoadBEIR(t.TempDir()); err == nil {
		t.Error("empty folder loaded")
	}
}
