package index

import (
	"container/heap"
	"context"
	"runtime"
	"sort"
	"sync"
)

// mapped is one library's vectors of one model where the library keeps a
// vector file (see vecfile.go): the file's entries for the library
// (mapped, never copied), those removed or replaced since (dead), and the
// vectors added since, held exactly in memory until the next file takes
// them (delta).
//
// A search scans the one-bit codes of every live entry, keeps the
// candidates nearest in Hamming distance, and scores them exactly with
// their full vectors read from the file: the scores it returns are exact;
// only a passage whose one-bit code is far from the query's while its
// vector is near could be missed (recall measured in docs/benchmarks.md).
type mapped struct {
	vf    *vecFile
	lib   vfLib
	dead  []uint64 // a bit per entry of lib
	ndead int
	delta *flat
}

// scanCandidates is how many one-bit candidates a search scores exactly
// for n live entries: all of a small library, 2,000 up to 800,000
// passages, 1 in 400 beyond. On real embeddings (SQuAD, the bundled
// model; `carrel bench recall`) 200 candidates already keep 99.5% of the
// exact 10 nearest in a library of 2,000 passages; each candidate costs a
// read of its vector (about 4 µs), so more would slow every search.
func scanCandidates(n int) int {
	return min(n, max(2000, n/400))
}

func newMapped(vf *vecFile, lib vfLib) *mapped {
	vf.refs.Add(1)
	return &mapped{vf: vf, lib: lib, dead: make([]uint64, (lib.count+63)/64), delta: newFlat(vf.h.dims)}
}

func (m *mapped) ids() []int64 { return m.vf.ids[m.lib.first : m.lib.first+m.lib.count] }

// find is the entry of id in the file, or -1.
func (m *mapped) find(id int64) int {
	ids := m.ids()
	i := sort.Search(len(ids), func(i int) bool { return ids[i] >= id })
	if i < len(ids) && ids[i] == id {
		return i
	}
	return -1
}

func (m *mapped) isDead(i int) bool { return m.dead[i>>6]&(1<<(i&63)) != 0 }

func (m *mapped) kill(i int) {
	if !m.isDead(i) {
		m.dead[i>>6] |= 1 << (i & 63)
		m.ndead++
	}
}

func (m *mapped) count() int { return m.lib.count - m.ndead + m.delta.count() }

// inMemory is how many vectors the store holds in memory, waiting for the
// next file.
func (m *mapped) inMemory() int { return m.delta.count() + m.ndead }

func (m *mapped) add(id int64, v []float32) {
	if len(v) != m.vf.h.dims {
		return
	}
	if i := m.find(id); i >= 0 {
		m.kill(i)
	}
	m.delta.add(id, v)
}

func (m *mapped) addAll(ids []int64, vs [][]float32) {
	for i, id := range ids {
		m.add(id, vs[i])
	}
}

func (m *mapped) remove(id int64) {
	if i := m.find(id); i >= 0 {
		m.kill(i)
	}
	m.delta.remove(id)
}

func (m *mapped) close() {
	if m.vf != nil {
		m.vf.release()
		m.vf = nil
	}
}

func (m *mapped) search(ctx context.Context, q []float32, k int) ([]scored, error) {
	return m.searchScanning(ctx, q, k, scanCandidates)
}

// searchScanning is search keeping cands(live entries) candidates.
func (m *mapped) searchScanning(ctx context.Context, q []float32, k int, cands func(int) int) ([]scored, error) {
	if len(q) != m.vf.h.dims || k <= 0 {
		return nil, nil
	}
	out, err := m.delta.search(ctx, q, k)
	if err != nil {
		return nil, err
	}
	live := m.lib.count - m.ndead
	if live == 0 {
		return out, nil
	}
	best, err := m.score(q, m.candidates(q, cands(live)), k)
	if err != nil {
		return nil, err
	}
	out = append(out, best...)
	sort.Slice(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out[:min(k, len(out))], nil
}

// candidates returns the c live entries whose one-bit codes are nearest
// the query's, in entry order.
func (m *mapped) candidates(q []float32, c int) []int {
	n := m.lib.count
	if c >= n-m.ndead {
		out := make([]int, 0, n-m.ndead)
		for i := 0; i < n; i++ {
			if !m.isDead(i) {
				out = append(out, i)
			}
		}
		return out
	}
	words := m.vf.l.words
	qb := make([]uint64, words)
	signBits(q, m.vf.mean, qb)
	codes := m.vf.bits[m.lib.first*words : (m.lib.first+n)*words]
	dims := m.vf.h.dims
	dist := make([]uint16, n)
	workers := min(runtime.GOMAXPROCS(0), max(1, n/16384))
	hists := make([][]int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			h := make([]int, dims+2)
			lo, hi := n*w/workers, n*(w+1)/workers
			for i := lo; i < hi; i++ {
				if m.isDead(i) {
					dist[i] = uint16(dims + 1)
					continue
				}
				d := hamming(codes[i*words:(i+1)*words], qb)
				dist[i] = uint16(d)
				h[d]++
			}
			hists[w] = h
		}(w)
	}
	wg.Wait()
	// The distance below which c entries lie; of those at it, the first
	// in entry order fill the rest.
	cum, t := 0, 0
	for t = 0; t <= dims; t++ {
		at := 0
		for _, h := range hists {
			at += h[t]
		}
		if cum+at >= c {
			break
		}
		cum += at
	}
	room := c - cum
	out := make([]int, 0, c)
	for i, d := range dist {
		if int(d) < t {
			out = append(out, i)
		} else if int(d) == t && room > 0 {
			out = append(out, i)
			room--
		}
	}
	return out
}

// score scores the candidates exactly and returns the best k, reading
// their vectors on as many threads as the process runs Go on (the reads
// are system calls: they overlap).
func (m *mapped) score(q []float32, cands []int, k int) ([]scored, error) {
	ids := m.ids()
	workers := min(runtime.GOMAXPROCS(0), max(1, len(cands)/256))
	heaps := make([]minHeap, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			v := make([]float32, m.vf.h.dims)
			h := make(minHeap, 0, k+1)
			for _, i := range cands[len(cands)*w/workers : len(cands)*(w+1)/workers] {
				if err := m.vf.vector(m.lib.first+i, v); err != nil {
					errs[w] = err
					return
				}
				s := dot(q, v)
				if len(h) < k {
					heap.Push(&h, scored{ids[i], s})
				} else if s > h[0].score {
					h[0] = scored{ids[i], s}
					heap.Fix(&h, 0)
				}
			}
			heaps[w] = h
		}(w)
	}
	wg.Wait()
	var out []scored
	for w := range heaps {
		if errs[w] != nil {
			return nil, errs[w]
		}
		out = append(out, heaps[w]...)
	}
	return out, nil
}

// release drops one use of the file (the opener's, or a store's); the
// last unmaps it.
func (vf *vecFile) release() {
	if vf.refs.Add(-1) == 0 {
		vf.close()
	}
}
