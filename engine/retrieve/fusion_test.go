package retrieve

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine/index"
)

// ranking makes hits with ids 1.. in the order given.
func ranking(ids []int64, scores []float64) []index.Hit {
	out := make([]index.Hit, len(ids))
	for i := range ids {
		out[i] = index.Hit{ChunkID: ids[i], Score: scores[i]}
	}
	return out
}

// flat is a vector ranking of n passages (ids from first) whose
// similarities fall slowly, as a weak vector match's do.
func flat(first int64, n int) []index.Hit {
	ids, scores := make([]int64, n), make([]float64, n)
	for i := range n {
		ids[i], scores[i] = first+int64(i), 0.42-0.001*float64(i)
	}
	return ranking(ids, scores)
}

// fused runs a fusion over the two rankings and returns the ids, best
// first.
func fused(f Fusion, lex, vec []index.Hit) []int64 {
	scores := map[int64]*Scores{}
	for i, h := range lex {
		scores[h.ChunkID] = &Scores{Lexical: h.Score, LexicalRank: i + 1}
	}
	for i, h := range vec {
		s := scores[h.ChunkID]
		if s == nil {
			s = &Scores{}
			scores[h.ChunkID] = s
		}
		s.Vector, s.VectorRank = h.Score, i+1
	}
	o := Options{Candidates: 100, RRFK: 60, VectorWeight: 1, Mode: Hybrid}
	if f == FuseRanks {
		fuseRanks(scores, [][]index.Hit{lex}, [][]index.Hit{vec}, o)
	} else {
		fuseScores(scores, lex, [][]index.Hit{vec}, o)
	}
	var ids []int64
	for id := range scores {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if a, b := scores[ids[i]].Fused, scores[ids[j]].Fused; a != b {
			return a > b
		}
		return ids[i] < ids[j]
	})
	return ids
}

func TestFuseScores(t *testing.T) {
	for _, c := range []struct {
		name     string
		lex, vec []index.Hit
		first    int64 // the passage that must come first
		// ranksFirst, when set, is what rank fusion puts first instead:
		// the case where scores and ranks part.
		ranksFirst int64
	}{
		{
			// Passage 500 holds the query's rare words and stands far
			// above every other lexical candidate, but the weak vector
			// side does not have it among its first 50. Passage 1 is second
			// lexically (barely above the pack) and first in the flat
			// vector ranking. Reciprocal ranks prefer 1 (two good ranks);
			// the scores say 500 is the clear match.
			name:       "a clear lexical match the vector side missed beats two middling ranks",
			lex:        append(ranking([]int64{500}, []float64{30}), ranking([]int64{1, 502, 503, 504, 505, 506, 507, 508}, []float64{6, 5.9, 5.8, 5.7, 5.6, 5.5, 5.4, 5.3})...),
			vec:        flat(1, 50),
			first:      500,
			ranksFirst: 1,
		},
		{
			// One passage holds the query's rare words and stands far
			// above the other lexical candidates; the vector side is flat
			// and ranks something else first. Ranks alone tie the two
			// firsts; scores keep the lexical passage's lead.
			name:  "a clear lexical match beats the first of a flat vector ranking",
			lex:   append(ranking([]int64{500}, []float64{30}), ranking([]int64{501, 502, 503, 504, 505, 506, 507, 508}, []float64{6, 5.9, 5.8, 5.7, 5.6, 5.5, 5.4, 5.3})...),
			vec:   append(flat(1, 50), ranking([]int64{500}, []float64{0.36})...),
			first: 500,
		},
		{
			// Only one passage holds a rare query word: the short lexical
			// ranking is no reason to doubt it.
			name:  "a single lexical match counts against the padded set",
			lex:   ranking([]int64{900}, []float64{12}),
			vec:   append(flat(1, 30), ranking([]int64{900}, []float64{0.35})...),
			first: 900,
		},
		{
			// The vector side is sure (one passage far above the rest) and
			// the lexical side weakly prefers another.
			name:  "a clear vector match beats a weak lexical lead",
			lex:   ranking([]int64{1, 2, 3, 4, 5, 6, 7}, []float64{8.1, 8, 7.9, 7.8, 7.7, 7.6, 7.5}),
			vec:   append(ranking([]int64{7}, []float64{0.82}), flat(100, 40)...),
			first: 7,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := fused(FuseScores, c.lex, c.vec); got[0] != c.first {
				t.Errorf("first %d, want %d (order %v)", got[0], c.first, got[:5])
			}
			if c.ranksFirst != 0 {
				if got := fused(FuseRanks, c.lex, c.vec); got[0] != c.ranksFirst {
					t.Errorf("rank fusion put %d first, not %d: the case no longer tells the fusions apart", got[0], c.ranksFirst)
				}
			}
		})
	}
}

// TestFusedScoresAreProbabilityLike: fused scores stay in (0, 1) and a
// passage both sides rank first scores highest.
func TestFusedScoresAreProbabilityLike(t *testing.T) {
	lex := ranking([]int64{1, 2, 3}, []float64{9, 4, 2})
	vec := ranking([]int64{1, 4, 5}, []float64{0.8, 0.5, 0.4})
	scores := map[int64]*Scores{1: {}, 2: {}, 3: {}, 4: {}, 5: {}}
	fuseScores(scores, lex, [][]index.Hit{vec}, Options{Candidates: 100, VectorWeight: 1, Mode: Hybrid})
	for id, s := range scores {
		if s.Fused <= 0 || s.Fused >= 1 {
			t.Errorf("passage %d: fused %v outside (0, 1)", id, s.Fused)
		}
		if id != 1 && s.Fused >= scores[1].Fused {
			t.Errorf("passage %d (%v) at or above the passage first on both sides (%v)", id, s.Fused, scores[1].Fused)
		}
	}
}

// wordReranker scores a passage by how often it holds one word, and
// records what it was asked.
type wordReranker struct {
	word  string
	asked int
}

func (w *wordReranker) Score(_ context.Context, _ string, passages []string) ([]float32, error) {
	w.asked = len(passages)
	out := make([]float32, len(passages))
	for i, p := range passages {
		out[i] = float32(strings.Count(strings.ToLower(p), w.word))
	}
	return out, nil
}

// A reranker reads the best candidates (more than K) and its order wins;
// the scores it gave stay on the hits.
func TestRerankReordersCandidates(t *testing.T) {
	idx, _ := build(t)
	ctx := context.Background()
	plain, err := New(idx, topicEmbedder{}).Search(ctx, "storm weather vehicle", Options{K: 1})
	if err != nil || len(plain.Hits) != 1 || strings.Contains(plain.Hits[0].Text, "kitten") {
		t.Fatalf("without a reranker: %+v, %v", plain.Hits, err)
	}
	rr := &wordReranker{word: "kitten"}
	res, err := New(idx, topicEmbedder{}).WithReranker(rr).Search(ctx, "storm weather vehicle", Options{K: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rr.asked < 2 {
		t.Errorf("the reranker read %d candidates; it should read more than K", rr.asked)
	}
	if len(res.Hits) != 1 || !strings.Contains(res.Hits[0].Text, "kitten") || res.Hits[0].Scores.RerankRank != 1 || res.Hits[0].Scores.Rerank != 1 {
		t.Errorf("reranked: %+v", res.Hits)
	}
}
