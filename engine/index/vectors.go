package index

import (
	"container/heap"
	"context"
	"runtime"
	"sync"
)

// vectorStore holds one library's vectors of one embedding model and finds
// those nearest a query. The search code sees only this; flat, the exact
// in-memory scan, is the store used now (an approximate or server-side
// store can take its place without touching search).
type vectorStore interface {
	add(id int64, v []float32)
	addAll(ids []int64, vs [][]float32)
	remove(id int64)
	// search returns the k vectors most similar to q, best first, with
	// their exact scores.
	search(ctx context.Context, q []float32, k int) ([]scored, error)
	count() int
	// close lets go of what the store maps; it is not used afterwards.
	close()
}

// vectorSet is a model's vectors: one store a library.
type vectorSet map[int64]vectorStore

// close closes every store of the set.
func (set vectorSet) close() {
	for _, s := range set {
		s.close()
	}
}

// newStore makes an empty store for vectors of dims dimensions, with room
// for n.
func newStore(dims, n int) vectorStore {
	f := newFlat(dims)
	f.vecs = make([]float32, 0, n*dims)
	f.ids = make([]int64, 0, n)
	f.pos = make(map[int64]int32, n)
	return f
}

// flat is an exhaustive vector index: every vector of a library in one
// contiguous slice, scanned in parallel with a top-k heap per worker. For
// the sizes of a personal library (up to about a million passages) an
// exact scan is fast enough, needs no training or tuning, never misses,
// and costs only the vectors' own memory.
//
// (chromem-go, which the design card named, was measured first: 271 ms per
// query at 100,000 × 384 dimensions on the 2-core build machine and 3.3×
// the raw vector memory; this store does the same exact search in a tenth
// of the time at about 1.1×. See docs/benchmarks.md.)
type flat struct {
	dims int
	vecs []float32       // slot i holds vecs[i*dims : (i+1)*dims]
	ids  []int64         // chunk id of each slot; 0 marks a free slot
	pos  map[int64]int32 // chunk id → slot
	free []int32
}

func newFlat(dims int) *flat { return &flat{dims: dims, pos: map[int64]int32{}} }

func (f *flat) count() int { return len(f.pos) }

// add stores v (a unit vector) for id, replacing an earlier one.
func (f *flat) add(id int64, v []float32) {
	if len(v) != f.dims {
		return // a vector of another model: never mixed in
	}
	if s, ok := f.pos[id]; ok {
		copy(f.vecs[int(s)*f.dims:], v)
		return
	}
	var s int32
	if n := len(f.free); n > 0 {
		s = f.free[n-1]
		f.free = f.free[:n-1]
		copy(f.vecs[int(s)*f.dims:], v)
		f.ids[s] = id
	} else {
		s = int32(len(f.ids))
		f.vecs = append(f.vecs, v...)
		f.ids = append(f.ids, id)
	}
	f.pos[id] = s
}

func (f *flat) addAll(ids []int64, vs [][]float32) {
	for i, id := range ids {
		f.add(id, vs[i])
	}
}

func (f *flat) remove(id int64) {
	s, ok := f.pos[id]
	if !ok {
		return
	}
	delete(f.pos, id)
	f.ids[s] = 0
	f.free = append(f.free, s)
}

type scored struct {
	id    int64
	score float32
}

// minHeap keeps the best k: its root is the worst of them.
type minHeap []scored

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i].score < h[j].score }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// search returns the k vectors most similar to q (dot product of unit
// vectors: cosine similarity), best first.
func (f *flat) search(_ context.Context, q []float32, k int) ([]scored, error) {
	n := len(f.ids)
	if n == 0 || k <= 0 || len(q) != f.dims {
		return nil, nil
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, n/4096))
	parts := make([]minHeap, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			h := make(minHeap, 0, k+1)
			lo, hi := n*w/workers, n*(w+1)/workers
			for s := lo; s < hi; s++ {
				if f.ids[s] == 0 {
					continue
				}
				sc := dot(q, f.vecs[s*f.dims:(s+1)*f.dims])
				if len(h) < k {
					heap.Push(&h, scored{f.ids[s], sc})
				} else if sc > h[0].score {
					h[0] = scored{f.ids[s], sc}
					heap.Fix(&h, 0)
				}
			}
			parts[w] = h
		}(w)
	}
	wg.Wait()
	all := make(minHeap, 0, k*workers)
	for _, p := range parts {
		all = append(all, p...)
	}
	heap.Init(&all)
	for all.Len() > k {
		heap.Pop(&all)
	}
	out := make([]scored, all.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&all).(scored)
	}
	return out, nil
}

func (f *flat) close() {}

// dot is the inner product, unrolled in four independent sums so the CPU
// can overlap the multiplications.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
