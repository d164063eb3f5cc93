package index

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// exhaustive scores every passage of the lists, the way FTS5 does: the
// reference rankTop must agree with exactly.
func exhaustive(terms [][]posting, idfs []float64, avgdl float64, k int) []Hit {
	scores := map[int64][]float64{}
	for i, ps := range terms {
		for _, p := range ps {
			if scores[p.id] == nil {
				scores[p.id] = make([]float64, len(terms))
			}
			scores[p.id][i] = termScore(idfs[i], p.tf, p.dl, avgdl)
		}
	}
	var hits []Hit
	for id, cs := range scores {
		s := 0.0
		for _, c := range cs {
			s = s + c
		}
		hits = append(hits, Hit{ChunkID: id, Score: s})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ChunkID < hits[j].ChunkID
	})
	return hits[:min(k, len(hits))]
}

func TestRankTopIsExhaustiveRanking(t *testing.T) {
	cases := []struct {
		name    string
		passage int       // passages in the library
		dfs     []float64 // share of passages holding each term
		k       int
	}{
		{"one rare term", 5000, []float64{0.01}, 10},
		{"rare and common", 20000, []float64{0.002, 0.3, 0.45}, 10},
		{"all common", 20000, []float64{0.2, 0.3, 0.4, 0.45}, 100},
		{"many terms", 10000, []float64{0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4}, 100},
		{"k above the matches", 3000, []float64{0.001, 0.002}, 100},
		{"ties: equal lengths and counts", 4000, []float64{0.05, 0.05}, 10},
		{"single passage blocks", 200, []float64{0.5, 0.9}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(c.passage), uint64(len(c.dfs))))
			ties := c.name == "ties: equal lengths and counts"
			dl := make([]int, c.passage+1)
			total := 0
			for id := range dl {
				dl[id] = 20 + rng.IntN(300)
				if ties {
					dl[id] = 50
				}
				total += dl[id]
			}
			avgdl := float64(total) / float64(len(dl))
			var terms [][]posting
			var idfs []float64
			var lists []*termList
			for i, share := range c.dfs {
				var ps []posting
				for id := 1; id <= c.passage; id++ {
					if rng.Float64() < share {
						tf := 1 + rng.IntN(1+rng.IntN(8))
						if ties {
							tf = 1
						}
						ps = append(ps, posting{id: int64(id), tf: tf, dl: dl[id]})
					}
				}
				// Blocks of varying fill, as deletions leave them.
				var bs []lexBlock
				for rest := ps; len(rest) > 0; {
					n := min(len(rest), 1+rng.IntN(blockPostings))
					if c.name == "single passage blocks" {
						n = 1
					}
					bs = append(bs, encodeBlock(rest[:n]))
					rest = rest[n:]
				}
				idf := bm25IDF(int64(len(dl)), int64(len(ps)))
				terms, idfs = append(terms, ps), append(idfs, idf)
				lists = append(lists, newTermList(i, idf, bs, avgdl))
			}
			got := rankTop(lists, len(c.dfs), avgdl, c.k)
			want := exhaustive(terms, idfs, avgdl, c.k)
			if len(got) != len(want) {
				t.Fatalf("%d hits, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("hit %d: %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestBlocksRoundTrip(t *testing.T) {
	ps := []posting{{id: 7, tf: 1, dl: 30}, {id: 8, tf: 3, dl: 12}, {id: 1 << 40, tf: 200, dl: 70000}}
	b := encodeBlock(ps)
	if b.first != 7 || b.last != 1<<40 || b.n != 3 || b.maxTF != 200 || b.minDL != 12 {
		t.Fatalf("block %+v", b)
	}
	got := blockPostingsOf(b)
	for i := range ps {
		if got[i] != ps[i] {
			t.Fatalf("posting %d: %+v, want %+v", i, got[i], ps[i])
		}
	}
}
