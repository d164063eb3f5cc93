package index

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// clustered draws unit vectors around a few centres, as embeddings of a
// library on a few subjects are.
type clustered struct {
	rng     *rand.Rand
	centres [][]float32
}

func newClustered(seed uint64, dims, k int) *clustered {
	c := &clustered{rng: rand.New(rand.NewPCG(seed, 1))}
	for range k {
		c.centres = append(c.centres, randomVec(c.rng, dims))
	}
	return c
}

func (c *clustered) next() []float32 {
	ctr := c.centres[c.rng.IntN(len(c.centres))]
	v := make([]float32, len(ctr))
	for i := range v {
		v[i] = ctr[i] + 0.35*float32(c.rng.NormFloat64())/float32(math.Sqrt(float64(len(ctr))))
	}
	return unit(v...)
}

// library is what the test knows the database holds: chunk id → vector
// and library.
type library struct {
	vecs map[int64][]float32
	lib  map[int64]int64
	docs map[int64][]int64 // document → its chunks
}

func (l *library) add(t *testing.T, x *Index, lib int64, path string, c *clustered, n int) Document {
	t.Helper()
	texts := make([]string, n)
	vecs := make([][]float32, n)
	for i := range texts {
		texts[i] = fmt.Sprintf("%s passage %d", path, i)
		vecs[i] = c.next()
	}
	d := addDoc(t, x, lib, path, "text", texts, vecs)
	ps, err := x.DocumentPassages(context.Background(), d.ID)
	if err != nil || len(ps) != n {
		t.Fatalf("passages of %s: %d, %v", path, len(ps), err)
	}
	for _, id := range l.docs[d.ID] {
		delete(l.vecs, id)
		delete(l.lib, id)
	}
	l.docs[d.ID] = nil
	for i, p := range ps {
		l.vecs[p.ID], l.lib[p.ID] = vecs[i], lib
		l.docs[d.ID] = append(l.docs[d.ID], p.ID)
	}
	return d
}

func (l *library) remove(t *testing.T, x *Index, doc int64) {
	t.Helper()
	if err := x.Remove(context.Background(), doc); err != nil {
		t.Fatal(err)
	}
	for _, id := range l.docs[doc] {
		delete(l.vecs, id)
		delete(l.lib, id)
	}
	delete(l.docs, doc)
}

// check compares the index's nearest passages with an exhaustive search
// of what the database holds, ids and scores.
func (l *library) check(t *testing.T, x *Index, c *clustered, what string, libs ...int64) {
	t.Helper()
	ctx := context.Background()
	x.mu.RLock()
	held := 0
	for _, s := range x.vec {
		held += s.count()
	}
	x.mu.RUnlock()
	if held != len(l.vecs) {
		t.Fatalf("%s: the index counts %d vectors, the database holds %d", what, held, len(l.vecs))
	}
	for q := range 20 {
		qv := c.next()
		got, err := x.Vector(ctx, qv, Filter{Libraries: libs}, 10)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		type pair struct {
			id int64
			s  float32
		}
		var want []pair
		for id, v := range l.vecs {
			if len(libs) == 0 || containsID(libs, l.lib[id]) {
				want = append(want, pair{id, dot(qv, v)})
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i].s > want[j].s })
		want = want[:min(10, len(want))]
		if len(got) != len(want) {
			t.Fatalf("%s, query %d: %d hits, want %d", what, q, len(got), len(want))
		}
		for i := range want {
			if got[i].ChunkID != want[i].id || math.Abs(got[i].Score-float64(want[i].s)) > 1e-5 {
				t.Fatalf("%s, query %d, rank %d: got %d (%.6f), want %d (%.6f)", what, q, i, got[i].ChunkID, got[i].Score, want[i].id, want[i].s)
			}
		}
	}
}

func vecFileCount(t *testing.T, dir string) int {
	t.Helper()
	return len(vecFiles(dir, "m"))
}

// waitRefresh waits for a vector file being written in the background.
func waitRefresh(x *Index) { x.bg.Wait() }

// A library folder keeps its vectors in files that opening maps: what was
// added, replaced or removed since a file was written, by this process
// or another, is searched exactly as the database holds it, a broken file
// is rebuilt, and the log of changes is emptied up to each file.
func TestVectorFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := newClustered(3, 24, 12)
	l := &library{vecs: map[int64][]float32{}, lib: map[int64]int64{}, docs: map[int64][]int64{}}

	x := openTest(t, dir, "m")
	a, _ := x.Library(ctx, "a")
	b, _ := x.Library(ctx, "b")
	var docs []Document
	// 5,200 vectors: past refreshAt's least, a file is written in the
	// background while they are added.
	for i := range 260 {
		lib := a.ID
		if i%3 == 0 {
			lib = b.ID
		}
		docs = append(docs, l.add(t, x, lib, fmt.Sprintf("/d%03d.txt", i), c, 20))
	}
	waitRefresh(x)
	if vecFileCount(t, dir) != 1 {
		t.Fatalf("%d vector files after 5,200 vectors, want 1", vecFileCount(t, dir))
	}
	l.check(t, x, c, "while adding")
	l.check(t, x, c, "one library", b.ID)
	x.Close()

	x = openTest(t, dir, "m")
	if x.vec[a.ID].(*mapped).lib.count == 0 {
		t.Fatal("reopened without the vector file")
	}
	l.check(t, x, c, "reopened")

	// Changes after the file: removed, replaced, a new library.
	for _, d := range docs[:40] {
		l.remove(t, x, d.ID)
	}
	for _, d := range docs[40:60] {
		l.add(t, x, d.LibraryID, d.Path, c, 15)
	}
	n, _ := x.Library(ctx, "new")
	for i := range 5 {
		l.add(t, x, n.ID, fmt.Sprintf("/n%d.txt", i), c, 10)
	}
	l.check(t, x, c, "after changes")
	l.check(t, x, c, "the new library", n.ID)
	x.Close()

	// Another process changes the library while this one is closed.
	y := openTest(t, dir, "")
	for _, d := range docs[60:70] {
		l.remove(t, y, d.ID)
	}
	l.add(t, y, a.ID, "/other.txt", c, 30)
	y.Close()

	x = openTest(t, dir, "m")
	l.check(t, x, c, "reopened after changes here and elsewhere")
	var logged int
	seq := vecFiles(dir, "m")[0].seq
	x.DB().QueryRow(`SELECT COUNT(*) FROM vector_log WHERE seq <= ?`, seq).Scan(&logged)
	if logged != 0 {
		t.Errorf("%d log entries the file includes are still in the log", logged)
	}
	x.Close()

	// A torn file is not trusted: rebuilt from the database.
	path := vecFiles(dir, "m")[0].path
	info, _ := os.Stat(path)
	if err := os.Truncate(path, info.Size()-100); err != nil {
		t.Fatal(err)
	}
	x = openTest(t, dir, "m")
	l.check(t, x, c, "after a torn file")
	if _, err := os.Stat(path); err == nil {
		if fi, _ := os.Stat(path); fi.Size() == info.Size()-100 {
			t.Error("the torn file is still there")
		}
	}
	// A fresh file is written when enough has changed; the old one goes.
	for i := range 220 {
		l.add(t, x, a.ID, fmt.Sprintf("/more%03d.txt", i), c, 20)
	}
	waitRefresh(x)
	l.check(t, x, c, "after a refresh")
	x.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*.cvec"))
	if len(files) != 1 {
		t.Errorf("vector files left: %v", files)
	}
	x = openTest(t, dir, "m")
	l.check(t, x, c, "reopened after a refresh")
}

// Above the candidates a search rescores, the one-bit scan must still
// find the nearest passages of clustered vectors; random vectors, which
// have no neighbourhoods, are the worst case and are measured by `carrel
// bench index`, not here.
func TestVectorFileRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 40,000 vectors")
	}
	ctx := context.Background()
	dir := t.TempDir()
	c := newClustered(9, 64, 400)
	x := openTest(t, dir, "")
	a, _ := x.Library(ctx, "a")
	l := &library{vecs: map[int64][]float32{}, lib: map[int64]int64{}, docs: map[int64][]int64{}}
	for i := range 400 {
		l.add(t, x, a.ID, fmt.Sprintf("/d%03d.txt", i), c, 100)
	}
	x.Close()
	x = openTest(t, dir, "m")
	m := x.vec[a.ID].(*mapped)
	if m.lib.count != 40000 || scanCandidates(40000) >= 40000 {
		t.Fatalf("%d vectors in the file, %d candidates: the scan is not tested", m.lib.count, scanCandidates(40000))
	}
	l.check(t, x, c, "40,000 clustered vectors")
}
