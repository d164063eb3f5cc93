package lab

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine/index"
)

// A library of real text holds the dataset's passages, then copies of
// them with the same sentences in another order: no copy repeats another,
// every sentence stays findable, and a second build keeps the library.
func TestBuildTextLibrary(t *testing.T) {
	ds := t.TempDir()
	corpus := []map[string]string{
		{"_id": "a#0", "title": "Alpha", "text": "Alpha was founded in 1901. It lies on a river. Its bridge is old."},
		{"_id": "a#1", "title": "Alpha", "text": "The mayor is Ada! Who elected her? The council did."},
		{"_id": "b#0", "title": "Beta", "text": "Beta has one sentence only"},
	}
	var b strings.Builder
	for _, d := range corpus {
		line, _ := json.Marshal(d)
		b.Write(line)
		b.WriteByte('\n')
	}
	writeFile(t, filepath.Join(ds, "corpus.jsonl"), b.String())
	writeFile(t, filepath.Join(ds, "queries.jsonl"), `{"_id": "q1", "text": "When was Alpha founded?"}`+"\n"+`{"_id": "q2", "text": "Unjudged?"}`+"\n")
	writeFile(t, filepath.Join(ds, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\nq1\ta#0\t1\n")

	data := t.TempDir()
	ctx := context.Background()
	const n = 23 // seven copies of three, and two more
	took, err := BuildTextLibrary(ctx, data, ds, n)
	if err != nil {
		t.Fatal(err)
	}
	if took == 0 {
		t.Error("a new library reported no time taken")
	}
	idx, err := index.Open(ctx, filepath.Join(data, "library"), "")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := idx.Documents(ctx, index.DocFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, d := range docs {
		cs, err := idx.DocumentPassages(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			texts = append(texts, c.Text)
		}
	}
	if len(docs) != 2 || len(texts) != n {
		t.Fatalf("%d documents, %d passages; want 2 and %d", len(docs), len(texts), n)
	}
	if docs[0].Title != "Alpha" {
		t.Errorf("first document titled %q, want its first passage's article", docs[0].Title)
	}
	sorted := func(s string) []string {
		ss := sentences(s)
		slices.Sort(ss)
		return ss
	}
	orders := map[string]bool{} // the orders the copies of the first passage take
	for i, text := range texts {
		orig := corpus[i%len(corpus)]["text"]
		if i < len(corpus) && text != orig {
			t.Errorf("passage %d: the first copy is not the passage as it is: %q", i, text)
		}
		if !slices.Equal(sorted(text), sorted(orig)) {
			t.Errorf("passage %d: %q is not %q reordered", i, text, orig)
		}
		if i%len(corpus) == 0 {
			orders[text] = true
		}
	}
	// Eight copies of three sentences (six orders): a repeat may happen,
	// but not copies that are all alike.
	if len(orders) < 3 {
		t.Errorf("eight copies of a three-sentence passage take only %d orders", len(orders))
	}
	idx.Close()

	if took, err := BuildTextLibrary(ctx, data, ds, n); err != nil || took != 0 {
		t.Errorf("a second build: took %v, %v; want the library kept", took, err)
	}
	if _, err := BuildTextLibrary(ctx, data, ds, n+1); err == nil {
		t.Error("a library of another size was built over")
	}
	qs, err := DatasetQuestions(ds)
	if err != nil || !slices.Equal(qs, []string{"When was Alpha founded?"}) {
		t.Errorf("questions %q, %v; want the judged one", qs, err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
