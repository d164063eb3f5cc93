package index

import (
	"math/rand/v2"
	"sort"
	"testing"
)

func randomVec(rng *rand.Rand, d int) []float32 {
	v := make([]float32, d)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return unit(v...)
}

func TestFlatMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := newFlat(16)
	all := map[int64][]float32{}
	for id := int64(1); id <= 20000; id++ {
		v := randomVec(rng, 16)
		f.add(id, v)
		all[id] = v
	}
	for id := int64(1); id <= 20000; id += 3 { // removals free slots…
		f.remove(id)
		delete(all, id)
	}
	for id := int64(30001); id <= 30500; id++ { // …that new vectors reuse
		v := randomVec(rng, 16)
		f.add(id, v)
		all[id] = v
	}
	if f.count() != len(all) || len(f.ids) != 20000 {
		t.Fatalf("count %d, slots %d, want %d and 20000", f.count(), len(f.ids), len(all))
	}
	f.add(5, make([]float32, 3)) // wrong dimensions: ignored
	q := randomVec(rng, 16)
	got, _ := f.search(t.Context(), q, 10)
	type pair struct {
		id int64
		s  float32
	}
	var want []pair
	for id, v := range all {
		want = append(want, pair{id, dot(q, v)})
	}
	sort.Slice(want, func(i, j int) bool { return want[i].s > want[j].s })
	for i := range got {
		if got[i].id != want[i].id {
			t.Fatalf("rank %d: got %d (%.4f), want %d (%.4f)", i, got[i].id, got[i].score, want[i].id, want[i].s)
		}
	}
}

func BenchmarkFlatSearch100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := newFlat(384)
	for id := int64(1); id <= 100000; id++ {
		f.add(id, randomVec(rng, 384))
	}
	q := randomVec(rng, 384)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.search(b.Context(), q, 100)
	}
}
