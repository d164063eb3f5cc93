package federated

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/passage"
)

func TestGlobalSplit(t *testing.T) {
	for _, c := range []struct {
		store int
		local int64
	}{{0, 1}, {0, 1<<shift - 1}, {1, 1}, {5, 123456789}, {MaxStores - 1, 1<<shift - 1}} {
		g := Global(c.store, c.local)
		if c.store == 0 && g != c.local {
			t.Errorf("store 0 changed ID %d to %d", c.local, g)
		}
		if g > 1<<53 {
			t.Errorf("Global(%d, %d) = %d, beyond what JSON numbers hold exactly", c.store, c.local, g)
		}
		if n, l := Split(g); n != c.store || l != c.local {
			t.Errorf("Split(Global(%d, %d)) = %d, %d", c.store, c.local, n, l)
		}
	}
	if Global(3, 0) != 0 {
		t.Error("0 (none) must stay 0 in every store")
	}
}

func unit(v ...float32) []float32 { return v }

// addDoc indexes one document of passages with vectors into x.
func addDoc(t *testing.T, x *index.Index, lib int64, path string, texts []string, vecs [][]float32) index.Document {
	t.Helper()
	ctx := context.Background()
	d, _, err := x.Enqueue(ctx, lib, path, 10, time.Unix(100, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []index.Chunk
	for i, s := range texts {
		chunks = append(chunks, index.Chunk{Text: s, Page: i + 1, Place: passage.Place{Section: -1, CharFirst: passage.NoChars, CharLast: passage.NoChars}})
	}
	if err := x.Replace(ctx, d.ID, index.Meta{Hash: path, Format: "text", Title: path}, chunks, vecs, "m"); err != nil {
		t.Fatal(err)
	}
	d, err = x.Document(ctx, lib, path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func open(t *testing.T) *index.Index {
	t.Helper()
	x, err := index.Open(context.Background(), t.TempDir(), "m")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// Two stores whose IDs coincide (each numbers from 1) are searched as one:
// the merged rankings interleave by score, every ID leads back to its own
// store's row, and a filter naming one store's library leaves the other
// out.
func TestUnionSearchesStoresAsOne(t *testing.T) {
	ctx := context.Background()
	home, team := open(t), open(t)
	hl, err := home.Library(ctx, "Mine")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := team.Library(ctx, "Lab")
	if err != nil {
		t.Fatal(err)
	}
	if hl.ID != tl.ID {
		t.Fatalf("the test needs coinciding IDs: %d vs %d", hl.ID, tl.ID)
	}
	hd := addDoc(t, home, hl.ID, "/home/a.txt", []string{"the orchard apples ripen in autumn", "bread rises overnight"},
		[][]float32{unit(1, 0, 0), unit(0, 1, 0)})
	td := addDoc(t, team, tl.ID, "/lab/b.txt", []string{"apples apples apples orchard harvest notes", "the centrifuge spins"},
		[][]float32{unit(0.9, 0.1, 0), unit(0, 0, 1)})
	u, err := New(home, team)
	if err != nil {
		t.Fatal(err)
	}

	hits, err := u.Vector(ctx, unit(1, 0, 0), index.Filter{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 {
		t.Fatalf("vector hits: %+v", hits)
	}
	ps, err := u.Passages(ctx, []int64{hits[0].ChunkID, hits[1].ChunkID})
	if err != nil {
		t.Fatal(err)
	}
	if p := ps[hits[0].ChunkID]; p.Text != "the orchard apples ripen in autumn" || p.DocID != hd.ID || p.Doc.Path != "/home/a.txt" {
		t.Errorf("best vector hit: %+v", p)
	}
	second := ps[hits[1].ChunkID]
	if second.Text != "apples apples apples orchard harvest notes" || second.Doc.Path != "/lab/b.txt" {
		t.Errorf("second vector hit (the team store's): %+v", second)
	}
	if n, _ := Split(second.DocID); n != 1 || second.Doc.ID != second.DocID || Global(1, td.ID) != second.DocID {
		t.Errorf("the team passage's document ID %d does not lead to store 1's document %d", second.DocID, td.ID)
	}
	if n, _ := Split(second.Doc.LibraryID); n != 1 {
		t.Errorf("the team document's library ID %d is not store 1's", second.Doc.LibraryID)
	}

	lex, terms, err := u.Lexical(ctx, "apples orchard", index.Filter{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(lex) != 2 || len(terms) == 0 {
		t.Fatalf("lexical: %+v %v", lex, terms)
	}
	for i := 1; i < len(lex); i++ {
		if lex[i].Score > lex[i-1].Score {
			t.Errorf("merged ranking out of order: %+v", lex)
		}
	}

	// A filter naming the team's library searches the team store only.
	only, _, err := u.Lexical(ctx, "apples", index.Filter{Libraries: []int64{Global(1, tl.ID)}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(only) != 1 {
		t.Fatalf("filtered to the team library: %+v", only)
	}
	if n, _ := Split(only[0].ChunkID); n != 1 {
		t.Errorf("filtered hit %d is not from the team store", only[0].ChunkID)
	}
	vonly, err := u.Vector(ctx, unit(1, 0, 0), index.Filter{Libraries: []int64{hl.ID}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range vonly {
		if n, _ := Split(h.ChunkID); n != 0 {
			t.Errorf("filtered to the home library, a hit came from store %d", n)
		}
	}

	df, total, err := u.DocFreq(ctx, terms)
	if err != nil {
		t.Fatal(err)
	}
	if total != 4 {
		t.Errorf("passages over both stores: %d, want 4", total)
	}
	for _, term := range terms {
		if df[term] != 2 {
			t.Errorf("%q appears in %d passages of the federation, want 2", term, df[term])
		}
	}

	secs, err := u.DocumentSections(ctx, Global(1, td.ID))
	if err != nil {
		t.Fatal(err)
	}
	_ = secs // a document indexed without sections has none; reaching the store is the point
	if _, err := u.DocumentSections(ctx, Global(7, 1)); !errors.Is(err, ErrUnknownStore) {
		t.Errorf("an ID of a store not joined: %v", err)
	}
	if u.Model() != "m" {
		t.Errorf("model %q", u.Model())
	}

	// A store away (nil) keeps the others' numbers and is passed by.
	gap, err := New(home, nil, team)
	if err != nil {
		t.Fatal(err)
	}
	hits, _, err = gap.Lexical(ctx, "apples", index.Filter{}, 10)
	if err != nil || len(hits) != 2 {
		t.Fatalf("with a store away: %+v %v", hits, err)
	}
	for _, h := range hits {
		if n, _ := Split(h.ChunkID); n == 1 {
			t.Errorf("a hit from the store that is away: %d", h.ChunkID)
		}
	}
	if _, err := gap.DocumentSections(ctx, Global(1, td.ID)); !errors.Is(err, ErrUnknownStore) {
		t.Errorf("a document of the store away: %v", err)
	}
	if _, err := gap.Passages(ctx, []int64{Global(1, 1)}); !errors.Is(err, ErrUnknownStore) {
		t.Errorf("passages of the store away: %v", err)
	}
	if _, err := New(nil, nil); err == nil {
		t.Error("a federation without any store was made")
	}
	// A federation of the second store alone keeps its numbers.
	alone, err := New(nil, team)
	if err != nil {
		t.Fatal(err)
	}
	hits, _, err = alone.Lexical(ctx, "apples", index.Filter{}, 10)
	if err != nil || len(hits) != 1 {
		t.Fatalf("the second store alone: %+v %v", hits, err)
	}
	if n, _ := Split(hits[0].ChunkID); n != 1 || alone.Model() != "m" {
		t.Errorf("the second store alone: hit %d, model %q", hits[0].ChunkID, alone.Model())
	}
}

func TestNewRefusesTooMany(t *testing.T) {
	if _, err := New(); err == nil {
		t.Error("no stores accepted")
	}
	if _, err := New(make([]*index.Index, MaxStores+1)...); err == nil {
		t.Error("more stores than IDs can say accepted")
	}
}
