package index

import (
	"container/heap"
	"math"
	"sort"

	"modernc.org/libc"
)

// The lexical ranking of a library in a folder: BM25 with FTS5's formula
// and statistics, over Carrel's own postings (postings.go), with early
// termination: block-max MaxScore. Each term's list carries, per block
// of postings, the largest term count and the shortest passage in it, so
// that an upper bound of the term's score in a block is known without
// reading the block. Once the k best passages so far set a threshold,
// passages that only hold terms whose bounds together stay below it are
// never visited, and blocks that cannot lift a passage above it are
// never decoded. The scores are FTS5's to the last bit: the same
// expression, summed in the query's order (see termScore).

// termScore is one term's BM25 weight in a passage, written exactly as
// FTS5's bm25() computes it (the explicit conversions keep Go from fusing
// multiplications and additions, so the rounding is the same): f is the
// term's count in the passage, d the passage's length in terms.
func termScore(idf float64, f, d int, avgdl float64) float64 {
	k1, b := bm25K1, bm25B
	ff, dd := float64(f), float64(d)
	return float64(idf * (float64(ff*(k1+1)) / (ff + float64(k1*(1-b+float64(b*dd)/avgdl)))))
}

// bm25IDF is FTS5's inverse document frequency of a term held by nHit of
// nRow passages, floored at 1e-6. The logarithm is the C library's that
// FTS5 calls (on Linux, musl's, which may differ from Go's math.Log in
// the last bit): the scores are FTS5's to the last bit. Its argument is
// always positive and finite, a case that never reads the thread state.
func bm25IDF(nRow, nHit int64) float64 {
	idf := libc.Xlog(nil, (float64(nRow-nHit)+0.5)/(float64(nHit)+0.5))
	if idf <= 0 {
		idf = 1e-6
	}
	return idf
}

// lexBlock is a run of up to blockPostings postings of one term, in
// passage order, as stored (see postings.go).
type lexBlock struct {
	first, last  int64 // passage ids of its first and last posting
	n            int
	maxTF, minDL int
	data         []byte
}

// termList is one query term's postings being walked.
type termList struct {
	phrase int // the term's place in the query: scores are summed in it
	idf    float64
	blocks []lexBlock
	ub     float64   // bound of the term's score in any passage
	bubs   []float64 // bound per block

	bi   int // block of the cursor
	pi   int // posting of the cursor within the decoded block
	dec  int // block decoded into ids, tfs and dls (-1: none)
	ids  []int64
	tfs  []int32
	dls  []int32
	done bool
}

func newTermList(phrase int, idf float64, blocks []lexBlock, avgdl float64) *termList {
	l := &termList{phrase: phrase, idf: idf, blocks: blocks, dec: -1, bubs: make([]float64, len(blocks))}
	for i, b := range blocks {
		l.bubs[i] = termScore(idf, b.maxTF, b.minDL, avgdl)
		l.ub = max(l.ub, l.bubs[i])
	}
	l.done = len(blocks) == 0
	return l
}

func (l *termList) decode() {
	if l.dec == l.bi {
		return
	}
	b := l.blocks[l.bi]
	l.ids, l.tfs, l.dls = decodeBlock(b, l.ids[:0], l.tfs[:0], l.dls[:0])
	l.dec = l.bi
}

// cur is the passage at the cursor, or math.MaxInt64 past the end.
func (l *termList) cur() int64 {
	if l.done {
		return math.MaxInt64
	}
	l.decode()
	return l.ids[l.pi]
}

func (l *termList) next() {
	if l.done {
		return
	}
	l.decode()
	l.pi++
	if l.pi >= len(l.ids) {
		l.bi, l.pi = l.bi+1, 0
		l.done = l.bi >= len(l.blocks)
	}
}

// skipTo moves the cursor's block to the first block that may hold d,
// without decoding; it returns that block's bound, or 0 when no block
// holds d (d falls before the block's first posting or past the end).
func (l *termList) skipTo(d int64) float64 {
	if l.done {
		return 0
	}
	if l.blocks[l.bi].last < d {
		rest := l.blocks[l.bi+1:]
		j := sort.Search(len(rest), func(i int) bool { return rest[i].last >= d })
		l.bi, l.pi = l.bi+1+j, 0
		if l.bi >= len(l.blocks) {
			l.done = true
			return 0
		}
	}
	if l.blocks[l.bi].first > d {
		return 0
	}
	return l.bubs[l.bi]
}

// seek moves the cursor to the first posting at or after d.
func (l *termList) seek(d int64) {
	if l.skipTo(d) == 0 && (l.done || l.blocks[l.bi].first > d) {
		return
	}
	l.decode()
	ids := l.ids[l.pi:]
	l.pi += sort.Search(len(ids), func(i int) bool { return ids[i] >= d })
	if l.pi >= len(l.ids) { // cannot happen: the block's last is ≥ d
		l.bi, l.pi = l.bi+1, 0
		l.done = l.bi >= len(l.blocks)
	}
}

func (l *termList) score(avgdl float64) float64 {
	return termScore(l.idf, int(l.tfs[l.pi]), int(l.dls[l.pi]), avgdl)
}

// topHits keeps the k best hits: the worst on top, a lower score or, at
// equal scores, a later passage being worse.
type topHits []Hit

func (h topHits) Len() int { return len(h) }
func (h topHits) Less(i, j int) bool {
	if h[i].Score != h[j].Score {
		return h[i].Score < h[j].Score
	}
	return h[i].ChunkID > h[j].ChunkID
}
func (h topHits) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *topHits) Push(x any)   { *h = append(*h, x.(Hit)) }
func (h *topHits) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// slack keeps the pruning safe from the last bits of rounding: a passage
// is passed over only when its bound is below the threshold by more.
const slack = 1e-9

// rankTop returns the k passages of highest BM25 score over the lists
// (one per query term holding any passage; phrases is the number of
// terms in the query), best first, ties by passage id.
func rankTop(lists []*termList, phrases int, avgdl float64, k int) []Hit {
	if k <= 0 || len(lists) == 0 {
		return nil
	}
	ls := append([]*termList(nil), lists...)
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].ub < ls[j].ub })
	m := len(ls)
	// prefix[j] bounds the score of a passage found only in ls[:j].
	prefix := make([]float64, m+1)
	for j, l := range ls {
		prefix[j+1] = prefix[j] + l.ub
	}
	contrib := make([]float64, phrases)
	top := make(topHits, 0, k)
	theta := math.Inf(-1) // the k-th best score once k are found
	ess := 0              // ls[:ess] are not essential: their sum stays below theta
	below := func(bound float64) bool { return bound < theta-slack*math.Abs(theta) }
	for {
		// The next candidate: the first passage of an essential list.
		d := int64(math.MaxInt64)
		for _, l := range ls[ess:] {
			d = min(d, l.cur())
		}
		if d == math.MaxInt64 {
			break
		}
		partial := 0.0
		for _, l := range ls[ess:] {
			if l.cur() == d {
				c := l.score(avgdl)
				contrib[l.phrase] = c
				partial += c
				l.next()
			}
		}
		ok := true
		for j := ess - 1; j >= 0; j-- {
			if below(partial + prefix[j+1]) {
				ok = false
				break
			}
			l := ls[j]
			bub := l.skipTo(d)
			if bub == 0 {
				continue
			}
			if below(partial + bub + prefix[j]) {
				ok = false
				break
			}
			l.seek(d)
			if l.cur() == d {
				c := l.score(avgdl)
				contrib[l.phrase] = c
				partial += c
			}
		}
		if ok {
			// The exact score: summed in the query's order, as FTS5 does.
			s := 0.0
			for _, c := range contrib {
				s = s + c
			}
			h := Hit{ChunkID: d, Score: s}
			switch {
			case len(top) < k:
				heap.Push(&top, h)
			case s > top[0].Score:
				top[0] = h
				heap.Fix(&top, 0)
			}
			if len(top) == k {
				theta = top[0].Score
				for ess < m && below(prefix[ess+1]) {
					ess++
				}
				if ess == m {
					break
				}
			}
		}
		clear(contrib)
	}
	out := []Hit(top)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ChunkID < out[j].ChunkID
	})
	return out
}
