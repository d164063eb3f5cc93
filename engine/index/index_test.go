package index

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/passage"
	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/internal/pgtest"
)

func openTest(t *testing.T, dir, model string) *Index {
	t.Helper()
	x, err := Open(context.Background(), dir, model)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// eachStore runs a behaviour test against both stores: SQLite in a new
// folder, and PostgreSQL in a new database of the test server. open opens
// the one library of the test (again, when called again: as a second
// process would).
func eachStore(t *testing.T, test func(t *testing.T, open func(model string) *Index)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		test(t, func(model string) *Index { return openTest(t, dir, model) })
	})
	// On PostgreSQL, similarity search runs on the server with pgvector
	// (when it is installed, as make test does) or in memory over vectors
	// loaded from the server: both.
	for _, mode := range []string{"pgvector", "memory"} {
		t.Run("postgres-"+mode, func(t *testing.T) {
			url := serverURL(t, mode)
			test(t, func(model string) *Index {
				t.Helper()
				x, err := OpenServer(context.Background(), url, model)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { x.Close() })
				return x
			})
		})
	}
}

// serverURL is a new database of the test server, with similarity search
// in mode ("pgvector" or "memory"); pgvector's tests skip where it is not
// installed (unless $CARREL_TEST_PGVECTOR requires it).
func serverURL(t *testing.T, mode string) string {
	t.Helper()
	url := pgtest.Database(t)
	if mode == "pgvector" {
		pgtest.NeedPgvector(t, url)
	}
	return url + "&carrel_vectors=" + mode
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

func unit(v ...float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x * x)
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(s))
	}
	return v
}

func addDoc(t *testing.T, x *Index, lib int64, path, format string, texts []string, vecs [][]float32) Document {
	t.Helper()
	ctx := context.Background()
	d, _, err := x.Enqueue(ctx, lib, path, 10, time.Unix(100, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []Chunk
	for i, s := range texts {
		chunks = append(chunks, Chunk{Text: s, Page: i + 1, Heading: "H"})
	}
	model := ""
	if vecs != nil {
		model = "m"
	}
	if err := x.Replace(ctx, d.ID, Meta{Hash: path, Format: format, Title: path}, chunks, vecs, model); err != nil {
		t.Fatal(err)
	}
	d, _ = x.Document(ctx, lib, path)
	return d
}

func TestLexicalSearchAndFilters(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		x := open("")
		work, _ := x.Library(ctx, "Work")
		home, _ := x.Library(ctx, "Home")
		addDoc(t, x, work.ID, "/w/budget.pdf", "pdf", []string{"The quarterly budget grew by ten percent.", "Travel costs were cut."}, nil)
		addDoc(t, x, work.ID, "/w/notes/plan.docx", "docx", []string{"Planning the budgets of next year."}, nil)
		addDoc(t, x, home.ID, "/h/garden.md", "markdown", []string{"Tomatoes need sun and water."}, nil)
		addDoc(t, x, home.ID, "/h/tokyo.txt", "text", []string{"東京都の人口は約1400万人です。"}, nil)

		hits, terms, err := x.Lexical(ctx, "What was the budget?", Filter{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(terms) != 1 || terms[0] != "budget" || len(hits) != 2 {
			t.Fatalf("terms %v, %d hits", terms, len(hits))
		}
		ps, _ := x.Passages(ctx, []int64{hits[0].ChunkID, hits[1].ChunkID})
		if ps[hits[0].ChunkID].Doc.Path != "/w/budget.pdf" && ps[hits[0].ChunkID].Doc.Path != "/w/notes/plan.docx" {
			t.Errorf("top hit %+v", ps[hits[0].ChunkID])
		}
		for _, tc := range []struct {
			name string
			f    Filter
			want int
		}{
			{"library", Filter{Libraries: []int64{home.ID}}, 0},
			{"folder", Filter{PathPrefix: "/w/notes/"}, 1},
			{"format", Filter{Formats: []string{"pdf"}}, 1},
			{"since", Filter{Since: time.Unix(200, 0)}, 0},
			{"until", Filter{Until: time.Unix(200, 0)}, 2},
		} {
			hits, _, err := x.Lexical(ctx, "budget", tc.f, 10)
			if err != nil || len(hits) != tc.want {
				t.Errorf("%s: %d hits, %v", tc.name, len(hits), err)
			}
		}
		// CJK text is found by a query that shares a character pair.
		hits, _, _ = x.Lexical(ctx, "東京の人口", Filter{}, 10)
		if len(hits) != 1 {
			t.Errorf("CJK: %d hits", len(hits))
		}
		// Accents fold both ways.
		addDoc(t, x, home.ID, "/h/cafe.txt", "text", []string{"Le café est fermé le lundi."}, nil)
		if hits, _, _ := x.Lexical(ctx, "cafe ferme", Filter{}, 10); len(hits) != 1 {
			t.Errorf("accent folding: %d hits", len(hits))
		}
	})
}

func TestReplaceIsAtomicAndRemoveCleans(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		dir := t.TempDir()
		x := openTest(t, dir, "m")
		lib, _ := x.Library(ctx, "L")
		d := addDoc(t, x, lib.ID, "/a.txt", "text", []string{"old apple text"}, [][]float32{unit(1, 0, 0)})
		if d.Status != status.Ready || d.Chunks != 1 || d.Model != "m" {
			t.Fatalf("doc %+v", d)
		}
		// Replace with new content: the old words are gone, the new ones found.
		if err := x.Replace(ctx, d.ID, Meta{Hash: "2"}, []Chunk{{Text: "new banana text"}}, [][]float32{unit(0, 1, 0)}, "m"); err != nil {
			t.Fatal(err)
		}
		if h, _, _ := x.Lexical(ctx, "apple", Filter{}, 5); len(h) != 0 {
			t.Error("old chunk still found")
		}
		if h, _, _ := x.Lexical(ctx, "banana", Filter{}, 5); len(h) != 1 {
			t.Error("new chunk not found")
		}
		vh, err := x.Vector(ctx, unit(0, 1, 0), Filter{}, 5)
		if err != nil || len(vh) != 1 || vh[0].Score < 0.99 {
			t.Fatalf("vector hits %+v, %v", vh, err)
		}
		// Reopen: everything is still there, vectors included.
		x.Close()
		y := openTest(t, dir, "m")
		if h, _, _ := y.Lexical(ctx, "banana", Filter{}, 5); len(h) != 1 {
			t.Error("not found after reopen")
		}
		if vh, _ := y.Vector(ctx, unit(0, 1, 0), Filter{}, 5); len(vh) != 1 {
			t.Error("vector not loaded after reopen")
		}
		if err := y.Remove(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if h, _, _ := y.Lexical(ctx, "banana", Filter{}, 5); len(h) != 0 {
			t.Error("removed document still found")
		}
		if vh, _ := y.Vector(ctx, unit(0, 1, 0), Filter{}, 5); len(vh) != 0 {
			t.Error("removed document's vector still found")
		}
		if _, err := y.Document(ctx, lib.ID, "/a.txt"); !errors.Is(err, ErrNotFound) {
			t.Errorf("removed document: %v", err)
		}
	})
}

func TestEnqueueDetectsChanges(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		x := open("")
		lib, _ := x.Library(ctx, "L")
		d := addDoc(t, x, lib.ID, "/a.txt", "text", []string{"x y z words"}, nil)
		if _, changed, _ := x.Enqueue(ctx, lib.ID, "/a.txt", 10, time.Unix(100, 0), nil); changed {
			t.Error("unchanged file queued again")
		}
		d2, changed, _ := x.Enqueue(ctx, lib.ID, "/a.txt", 11, time.Unix(101, 0), nil)
		if !changed || d2.Status != status.Stale || d2.ID != d.ID {
			t.Errorf("changed file: %+v, %v", d2, changed)
		}
		// A stale document keeps serving its old chunks until re-indexed.
		if h, _, _ := x.Lexical(ctx, "words", Filter{}, 5); len(h) != 1 {
			t.Error("stale document not served")
		}
		if err := x.Fail(ctx, d.ID, "", "h", "it is damaged", "corrupt"); err != nil {
			t.Fatal(err)
		}
		f, _ := x.Document(ctx, lib.ID, "/a.txt")
		if f.Status != status.Failed || f.ErrorKind != "corrupt" || f.Chunks != 0 {
			t.Errorf("failed doc %+v", f)
		}
		if h, _, _ := x.Lexical(ctx, "words", Filter{}, 5); len(h) != 0 {
			t.Error("failed document still served")
		}
	})
}

func TestDocumentPassages(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		x := open("")
		lib, _ := x.Library(ctx, "Work")
		d := addDoc(t, x, lib.ID, "/w/a.pdf", "pdf", []string{"first page", "second page", "third page"}, nil)
		ps, err := x.DocumentPassages(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 3 {
			t.Fatalf("%d passages", len(ps))
		}
		for i, p := range ps {
			if p.Ord != i || p.Page != i+1 || p.Doc.Path != "/w/a.pdf" {
				t.Errorf("passage %d: %+v", i, p)
			}
		}
		if _, err := x.DocumentPassages(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown document: %v", err)
		}
	})
}

// A library indexed before passages kept their places is upgraded in
// place: its passages keep serving, and its documents are queued to be
// read again so that they gain exact places.
func TestMigrateQueuesDocumentsWithoutPlaces(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x := openTest(t, dir, "")
	lib, _ := x.Library(ctx, "L")
	d := addDoc(t, x, lib.ID, "/a.txt", "text", []string{"An old passage about herons."}, nil)
	// Make it look like a database of the previous layout.
	for _, q := range []string{`PRAGMA user_version = 0`, `UPDATE chunks SET section = -1`} {
		if _, err := x.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	x.Close()
	y := openTest(t, dir, "")
	got, err := y.DocumentByID(ctx, d.ID)
	if err != nil || got.Status != status.Queued {
		t.Fatalf("after the upgrade: %v %v", got.Status, err)
	}
	if hits, _, err := y.Lexical(ctx, "herons", Filter{}, 5); err != nil || len(hits) != 1 {
		t.Errorf("the old passage no longer serves: %v %v", hits, err)
	}
	// Opening again changes nothing more.
	y.Close()
	z := openTest(t, dir, "")
	var v int
	z.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v)
	if v != schemaVersion {
		t.Errorf("user_version %d", v)
	}
}

// A model change loads the new set beside the one in use: searches go on
// during the load, and what is written or removed meanwhile is neither
// missed nor kept.
func TestChangeModelWhileWriting(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		x := open("old")
		lib, _ := x.Library(ctx, "L")
		put := func(path, text string, v []float32, model string) Document {
			d, _, err := x.Enqueue(ctx, lib.ID, path, 1, time.Unix(1, 0), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := x.Replace(ctx, d.ID, Meta{Hash: path}, []Chunk{{Text: text}}, [][]float32{v}, model); err != nil {
				t.Fatal(err)
			}
			return d
		}
		put("/a", "alpha", unit(1, 0, 0), "old")
		gone := put("/b", "beta", unit(0, 1, 0), "new")
		put("/c", "gamma", unit(0, 0, 1), "new")
		var delta Document
		x.afterRead = func() {
			// The search lock is free while the set loads.
			if hits, err := x.Vector(ctx, unit(1, 0, 0), Filter{}, 3); err != nil || len(hits) != 1 {
				t.Errorf("search during the load: %v %v", hits, err)
			}
			delta = put("/d", "delta", unit(1, 1, 0), "new")
			if err := x.Remove(ctx, gone.ID); err != nil {
				t.Error(err)
			}
		}
		if x.VectorSearch() == "pgvector" {
			// Nothing is loaded (the vectors stay on the server): the same
			// writes, just before the switch.
			x.afterRead()
		}
		if err := x.ChangeModel(ctx, "new"); err != nil {
			t.Fatal(err)
		}
		x.afterRead = nil
		hits, err := x.Vector(ctx, unit(1, 1, 0), Filter{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		ps, _ := x.Passages(ctx, []int64{hits[0].ChunkID})
		if len(hits) != 2 || ps[hits[0].ChunkID].DocID != delta.ID {
			t.Errorf("new set after the load holds %v, want delta (written during the load) first, and gamma", hits)
		}
		if x.PreviousModel() != "old" {
			t.Errorf("previous model %q", x.PreviousModel())
		}
	})
}

// A document stored words first stays claimed while it is embedded;
// AddVectors completes it for its owner only.
func TestAddVectorsAfterWords(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		x := open("m")
		lib, _ := x.Library(ctx, "L")
		if _, _, err := x.Enqueue(ctx, lib.ID, "/book.txt", 10, time.Unix(100, 0), nil); err != nil {
			t.Fatal(err)
		}
		d, ok, err := x.Claim(ctx, "me", time.Minute, nil)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		chunks := []Chunk{{Text: "The keeper lit the lamp."}, {Text: "Ships passed the rocks."}}
		if err := x.Replace(ctx, d.ID, Meta{Hash: "h", Format: "text", Owner: "me", Embedding: true}, chunks, nil, ""); err != nil {
			t.Fatal(err)
		}
		got, _ := x.DocumentByID(ctx, d.ID)
		if got.Status != status.Embedding || got.Chunks != 2 || got.Model != "" {
			t.Fatalf("after the words: %+v", got)
		}
		if hits, _, _ := x.Lexical(ctx, "keeper", Filter{}, 5); len(hits) != 1 {
			t.Errorf("words not searchable while embedding: %v", hits)
		}
		vecs := [][]float32{unit(1, 0), unit(0, 1)}
		if stored, err := x.AddVectors(ctx, d.ID, "someone else", "m", vecs); stored || err != nil {
			t.Errorf("another owner stored vectors: %v %v", stored, err)
		}
		if _, err := x.AddVectors(ctx, d.ID, "me", "m", vecs[:1]); err == nil {
			t.Error("one vector for two chunks was accepted")
		}
		if stored, err := x.AddVectors(ctx, d.ID, "me", "m", vecs); !stored || err != nil {
			t.Fatalf("owner's vectors: %v %v", stored, err)
		}
		got, _ = x.DocumentByID(ctx, d.ID)
		if got.Status != status.Ready || got.Model != "m" {
			t.Errorf("after the vectors: %+v", got)
		}
		if hits, _ := x.Vector(ctx, unit(0, 1), Filter{}, 5); len(hits) != 2 {
			t.Errorf("vector hits %v", hits)
		}
	})
}

// The layouts of pages read by OCR are stored with the passages, replaced
// with them, and removed with the document.
func TestPageLayoutsFollowTheDocument(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		x := open("")
		lib, _ := x.Library(ctx, "Scans")
		d, _, err := x.Enqueue(ctx, lib.ID, "/s/scan.pdf", 10, time.Unix(100, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		chunks := []Chunk{{Text: "read by OCR", Page: 2, Place: passage.Place{Section: 0, Start: 0, End: 11, CharFirst: 0, CharLast: 10}}}
		meta := Meta{Hash: "h1", Format: "pdf", Sections: []Section{{Page: 2, Text: "read by OCR"}}, Layouts: []Layout{{Page: 2, Data: []byte{1, 2, 3}}}}
		if err := x.Replace(ctx, d.ID, meta, chunks, nil, ""); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			page int
			want []byte
		}{{2, []byte{1, 2, 3}}, {1, nil}} {
			got, ok, err := x.PageLayout(ctx, d.ID, tc.page)
			if err != nil || ok != (tc.want != nil) || !bytes.Equal(got, tc.want) {
				t.Errorf("page %d: %v %v %v", tc.page, got, ok, err)
			}
		}
		// A new version without OCR pages drops the old layouts.
		meta.Hash, meta.Layouts = "h2", nil
		if err := x.Replace(ctx, d.ID, meta, chunks, nil, ""); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := x.PageLayout(ctx, d.ID, 2); ok {
			t.Error("old layout kept")
		}
		meta.Hash, meta.Layouts = "h3", []Layout{{Page: 2, Data: []byte{9}}}
		x.Replace(ctx, d.ID, meta, chunks, nil, "")
		if err := x.Remove(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := x.PageLayout(ctx, d.ID, 2); ok {
			t.Error("layout kept after removal")
		}
	})
}
