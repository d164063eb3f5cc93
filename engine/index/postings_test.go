package index

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// sameRanking compares the ranking over the postings with FTS5's on each
// query: the same scores at every rank, to the last bit, and the same passages except
// among passages tied at the last ranks kept (which of equal scores FTS5
// keeps is its own choice).
func sameRanking(t *testing.T, x *Index, queries []string, f Filter, k int) {
	t.Helper()
	ctx := context.Background()
	s := x.store.(*sqliteStore)
	if _, ok, err := s.readPostings(ctx, []string{"x"}, nil); err != nil || !ok {
		t.Fatalf("the postings do not answer: %v", err)
	}
	compared := 0
	for _, q := range queries {
		got, _, err := x.Lexical(ctx, q, f, k)
		if err != nil {
			t.Fatal(err)
		}
		qterms := dedupe(termsOf(q))
		if len(qterms) == 0 {
			continue
		}
		want, _, err := s.lexicalWith(ctx, x, qterms, f, k, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d hits over the postings, %d in FTS5", q, len(got), len(want))
		}
		wantAt := map[int64]float64{}
		for _, h := range want {
			wantAt[h.ChunkID] = h.Score
		}
		last := 0.0
		if len(want) > 0 {
			last = want[len(want)-1].Score
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Score != w.Score {
				t.Fatalf("%q: rank %d scores %v over the postings, %v in FTS5", q, i+1, g.Score, w.Score)
			}
			if ws, ok := wantAt[g.ChunkID]; (!ok && g.Score != last) || (ok && ws != g.Score) {
				t.Fatalf("%q: rank %d is passage %d (score %v), which FTS5 ranks differently", q, i+1, g.ChunkID, g.Score)
			}
			compared++
		}
	}
	if compared == 0 {
		t.Fatal("no query found anything: the comparison compared nothing")
	}
	t.Logf("%d ranks of %d queries compared, every score equal to the last bit", compared, len(queries))
}

func termsOf(q string) []string { return passageTerms(Chunk{Text: q})[0:] }

// sciFactShaped writes a library shaped like BEIR's SciFact: abstracts of
// 150 to 300 words over a Zipf-distributed vocabulary of 30,000 words,
// 8 to a document, and claims of 8 to 15 words, most taken from an
// abstract and some made of words at random.
func sciFactShaped(t *testing.T, x *Index, passages int) (queries []string, docs []Document) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 183))
	vocab := make([]string, 30000)
	for i := range vocab {
		b := make([]byte, 3+rng.IntN(8))
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		vocab[i] = string(b)
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.07, 2, uint64(len(vocab)-1))
	lib, err := x.Library(ctx, "scifact")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for d := 0; d*8 < passages; d++ {
		var chunks []Chunk
		for i := 0; i < 8 && d*8+i < passages; i++ {
			n := 150 + rng.IntN(150)
			w := make([]string, n)
			for j := range w {
				w[j] = vocab[zipf.Uint64()]
			}
			texts = append(texts, strings.Join(w, " "))
			chunks = append(chunks, Chunk{Text: texts[len(texts)-1], Page: i + 1, Heading: vocab[rng.IntN(len(vocab))]})
		}
		doc, _, err := x.Enqueue(ctx, lib.ID, fmt.Sprintf("/scifact/%05d.txt", d), 1, time.Unix(1, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Replace(ctx, doc.ID, Meta{Hash: fmt.Sprint(d), Format: []string{"text", "pdf"}[d%2]}, chunks, nil, ""); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	for q := 0; q < scaled(80, 25); q++ {
		n := 8 + rng.IntN(8)
		var w []string
		if q%5 == 4 {
			for range n {
				w = append(w, vocab[zipf.Uint64()])
			}
		} else {
			words := strings.Fields(texts[rng.IntN(len(texts))])
			from := rng.IntN(len(words) - n)
			w = words[from : from+n]
		}
		queries = append(queries, strings.Join(w, " "))
	}
	return queries, docs
}

func TestPostingsRankAsFTS5(t *testing.T) {
	ctx := context.Background()
	x := openTest(t, t.TempDir(), "")
	queries, docs := sciFactShaped(t, x, scaled(1200, 300))
	for _, k := range []int{10, 100} {
		sameRanking(t, x, queries, Filter{}, k)
	}
	sameRanking(t, x, queries, Filter{Formats: []string{"pdf"}}, 10)
	// Documents read again with other text, and removed: the postings
	// follow, blocks split and emptied.
	for i, d := range docs {
		switch i % 7 {
		case 1:
			if err := x.Replace(ctx, d.ID, Meta{Hash: "again"}, []Chunk{{Text: queries[i%len(queries)]}, {Text: ""}}, nil, ""); err != nil {
				t.Fatal(err)
			}
		case 3:
			if err := x.Remove(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	sameRanking(t, x, queries, Filter{}, 100)
	// Everything merged into the blocks: the same again.
	waitMerged(t, x)
	checkStats(t, x)
	sameRanking(t, x, queries, Filter{}, 10)
}

// scaled is full, or under the race detector small.
func scaled(full, small int) int {
	if raceEnabled {
		return small
	}
	return full
}

// checkStats checks the postings' statistics against the passages.
func checkStats(t *testing.T, x *Index) {
	t.Helper()
	ctx := context.Background()
	st, err := readLexState(ctx, x.db)
	if err != nil {
		t.Fatal(err)
	}
	var n, dfSum, postings int64
	x.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM chunks WHERE id <= ?`, st.built).Scan(&n)
	x.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(df), 0) FROM lex_terms`).Scan(&dfSum)
	x.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM lex_postings`).Scan(&postings)
	if st.passages != n || dfSum != postings {
		t.Fatalf("the blocks count %d passages of %d, terms' counts sum to %d for %d postings", st.passages, n, dfSum, postings)
	}
	if n == 0 {
		t.Fatal("nothing merged into the blocks: only the tail was compared")
	}
}

func TestPostingsRankAsFTS5OnSQuAD(t *testing.T) {
	dir := sharedtest.Path(t, "qa/squad/beir-v1.1-dev")
	ctx := context.Background()
	x := openTest(t, t.TempDir(), "")
	lib, err := x.Library(ctx, "squad")
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string, each func(id, text string)) {
		f, err := os.Open(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var r struct {
				ID    string `json:"_id"`
				Title string `json:"title"`
				Text  string `json:"text"`
			}
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			each(r.Title, r.Text)
		}
	}
	byTitle := map[string][]Chunk{}
	var titles []string
	read("corpus.jsonl", func(title, text string) {
		if byTitle[title] == nil {
			titles = append(titles, title)
		}
		byTitle[title] = append(byTitle[title], Chunk{Text: text, Heading: title})
	})
	for _, title := range titles {
		d, _, err := x.Enqueue(ctx, lib.ID, "/squad/"+title, 1, time.Unix(1, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Replace(ctx, d.ID, Meta{Hash: title}, byTitle[title], nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	var queries []string
	n := 0
	read("queries.jsonl", func(_, text string) {
		if n++; n%scaled(10, 100) == 0 { // 1,057 of the 10,570 questions: enough, and quick
			queries = append(queries, text)
		}
	})
	sameRanking(t, x, queries, Filter{}, 100)
	waitMerged(t, x)
	checkStats(t, x)
}

// A library made before the postings (or by an older Carrel since) has
// them built in the background, while FTS5 answers; passages stored and
// removed meanwhile land where they should, in the blocks or the tail.
func TestPostingsBuiltForAnOlderLibrary(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x, err := Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	total := scaled(600, 300)
	queries, docs := sciFactShaped(t, x, total)
	// As an older Carrel leaves it: no postings.
	if _, err := x.db.ExecContext(ctx, `DELETE FROM lex_stats`); err != nil {
		t.Fatal(err)
	}
	x.Close()
	x = openTest(t, dir, "")
	// Stop the merger Open started: this test merges step by step, with
	// views of at most 100 passages.
	s := x.store.(*sqliteStore)
	s.close()
	s.view.max = 100
	if _, err := x.db.ExecContext(ctx, `DELETE FROM lex_postings; DELETE FROM lex_terms;
		UPDATE lex_stats SET passages = 0, terms = 0, built = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := x.mergeBatch(ctx, total/6); err != nil {
		t.Fatal(err)
	}
	// Meanwhile FTS5 answers.
	if _, ok, err := s.readPostings(ctx, []string{"x"}, nil); ok || err != nil {
		t.Fatalf("postings answer with %d passages to merge: %v", total-total/6, err)
	}
	if hits, _, err := x.Lexical(ctx, queries[0], Filter{}, 10); err != nil || len(hits) == 0 {
		t.Fatalf("no search while the postings are built: %v %v", hits, err)
	}
	// A document in the merged part read again (its new passages are
	// the tail's), one in the tail removed, and a new one.
	if err := x.Replace(ctx, docs[1].ID, Meta{Hash: "again"}, []Chunk{{Text: queries[3]}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := x.Remove(ctx, docs[len(docs)-2].ID); err != nil {
		t.Fatal(err)
	}
	lib, _ := x.Library(ctx, "scifact")
	d, _, _ := x.Enqueue(ctx, lib.ID, "/new.txt", 1, time.Unix(1, 0), nil)
	if err := x.Replace(ctx, d.ID, Meta{Hash: "new"}, []Chunk{{Text: queries[5]}, {Text: queries[7]}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := x.mergeBatch(ctx, total-total/6-90); err != nil {
		t.Fatal(err)
	}
	// Now the tail is short enough for a view: postings answer, over
	// blocks and tail.
	sameRanking(t, x, queries, Filter{}, 100)
	// Removals in the tail and in the blocks, with the view already
	// made; an id the last passage left taken again.
	if err := x.Remove(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := x.Remove(ctx, docs[2].ID); err != nil {
		t.Fatal(err)
	}
	d, _, _ = x.Enqueue(ctx, lib.ID, "/newer.txt", 1, time.Unix(1, 0), nil)
	if err := x.Replace(ctx, d.ID, Meta{Hash: "newer"}, []Chunk{{Text: queries[9]}, {Text: queries[11]}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	sameRanking(t, x, queries, Filter{}, 100)
	for {
		left, err := x.mergeBatch(ctx, 97)
		if err != nil {
			t.Fatal(err)
		}
		if !left {
			break
		}
	}
	sameRanking(t, x, queries, Filter{}, 100)
	checkStats(t, x)

	// Another writer that does not keep the postings (an older Carrel)
	// is noticed at the next opening: the postings are built anew.
	if _, err := x.db.ExecContext(ctx, `UPDATE lex_stats SET passages = passages + 1`); err != nil {
		t.Fatal(err)
	}
	x.Close()
	x = openTest(t, dir, "")
	waitMerged(t, x)
	sameRanking(t, x, queries, Filter{}, 10)
	checkStats(t, x)
}

// waitMerged waits for the merger to empty the tail.
func waitMerged(t *testing.T, x *Index) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		n, err := x.tailLength(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d passages still to merge after a minute", n)
		}
	}
}

// BenchmarkTailView times a process's first search over a tail of 5,000
// passages of 60 words: the view reads and analyses their text.
func BenchmarkTailView(b *testing.B) {
	ctx := context.Background()
	x, err := Open(ctx, b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	s := x.store.(*sqliteStore)
	s.close() // no merging: everything stays the tail
	lib, _ := x.Library(ctx, "bench")
	rng := rand.New(rand.NewPCG(1, 1))
	for d := range 250 {
		var chunks []Chunk
		for range 20 {
			w := make([]string, 60)
			for j := range w {
				w[j] = fmt.Sprintf("w%d", int(20000*math.Pow(rng.Float64(), 3)))
			}
			chunks = append(chunks, Chunk{Text: strings.Join(w, " ")})
		}
		doc, _, _ := x.Enqueue(ctx, lib.ID, fmt.Sprintf("/%d", d), 1, time.Unix(1, 0), nil)
		if err := x.Replace(ctx, doc.ID, Meta{Hash: fmt.Sprint(d)}, chunks, nil, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		s.view.mu.Lock()
		s.view.valid = false
		s.view.mu.Unlock()
		if _, ok, err := s.readPostings(ctx, []string{"w1", "w7"}, nil); err != nil || !ok {
			b.Fatal(err)
		}
	}
}
