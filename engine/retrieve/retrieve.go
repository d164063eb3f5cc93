// Package retrieve finds the passages that answer a question: lexical
// BM25 and vector similarity, fused by their standardised scores, with each score
// kept so a front end can show why a passage was chosen, and a relevance
// floor so the answer layer can say honestly that the documents do not
// hold the answer.
package retrieve

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/passage"
	"github.com/carrel-ai/carrel/engine/terms"
)

// Embedder embeds queries with the model the library was indexed with.
type Embedder = index.Embedder

// Store is what retrieval needs of a library store: its two rankings,
// the passages by id, and term statistics. *index.Index is one; a server
// store can be another.
type Store interface {
	// Lexical ranks passages by the query's words, returning its terms.
	Lexical(ctx context.Context, query string, f index.Filter, k int) ([]index.Hit, []string, error)
	// Vector ranks passages by similarity to vec, among the vectors of
	// Model; VectorBoth also ranks those of PreviousModel (kept while a
	// library is re-embedded) by prevVec, in one consistent look.
	Vector(ctx context.Context, vec []float32, f index.Filter, k int) ([]index.Hit, error)
	VectorBoth(ctx context.Context, vec, prevVec []float32, f index.Filter, k int) (cur, prev []index.Hit, err error)
	Model() string
	PreviousModel() string
	// Passages fetches passages by id with their documents.
	Passages(ctx context.Context, ids []int64) (map[int64]index.Passage, error)
	// DocFreq counts the passages each term appears in, and all passages.
	DocFreq(ctx context.Context, terms []string) (map[string]int, int, error)
}

// Mode selects the retrievers.
type Mode string

// Modes.
const (
	Hybrid  Mode = "hybrid"
	Lexical Mode = "lexical"
	Vector  Mode = "vector"
)

// Options for a search; zero values pick the defaults.
type Options struct {
	K int // results; 0 means 10
	// Mode; "" means hybrid when an embedder is set, else lexical.
	Mode   Mode
	Filter index.Filter
	// Candidates each retriever contributes to the fusion; 0 means
	// max(100, 5·K).
	Candidates int
	// Fusion combines the two rankings; "" means FuseScores.
	Fusion Fusion
	// RRFK is the reciprocal-rank-fusion constant (FuseRanks); 0 means 60.
	RRFK float64
	// VectorWeight scales the vector side's share of the fused score
	// against the lexical side's (1); 0 means 1.
	VectorWeight float64
	// MinCoverage is the relevance floor for lexical evidence: the share of
	// the query's terms, weighted by their rarity in the library (inverse
	// document frequency), the best passage must contain; 0 means 0.5.
	MinCoverage float64
	// MinSimilarity is the floor for vector evidence: the cosine
	// similarity the best passage must reach; 0 means 0.6 (derived for the
	// bundled all-MiniLM-L6-v2 with carrel eval --holdout; other models
	// spread their similarities differently).
	MinSimilarity float64
}

// Fusion is a way of combining the lexical and vector rankings.
type Fusion string

// Fusions.
const (
	// FuseScores standardises each ranking's scores (how many standard
	// deviations a passage stands above that ranking's candidates) and
	// adds them. Unlike ranks, scores keep how far ahead a passage is: a
	// passage far ahead on one side is not pulled level with the first of
	// a flat ranking on the other. The lexical candidates are counted as
	// a full set, with the passages that hold none of the query's words at
	// their true BM25 of 0, so a rare word that matches three passages
	// stands out as it should. No constant is tuned to any data set.
	FuseScores Fusion = "scores"
	// FuseRanks is reciprocal rank fusion (1/(RRFK + rank) summed).
	FuseRanks Fusion = "ranks"
)

// The relevance floor's defaults (Options.MinCoverage, MinSimilarity).
const (
	DefaultMinCoverage   = 0.5
	DefaultMinSimilarity = 0.6
)

// Scores explain a hit.
type Scores struct {
	Lexical     float64 `json:"lexical"`      // BM25, 0 if not found lexically
	LexicalRank int     `json:"lexical_rank"` // 1-based, 0 if not found
	Vector      float64 `json:"vector"`       // cosine similarity, 0 if not found
	VectorRank  int     `json:"vector_rank"`
	Fused       float64 `json:"fused"`    // the fused score, in (0, 1) for FuseScores
	Coverage    float64 `json:"coverage"` // share of the query's terms in the passage, weighted by rarity
	// Rerank is the reranking model's score and RerankRank the place it
	// gave (1-based); both 0 when no reranker ran.
	Rerank     float64 `json:"rerank,omitempty"`
	RerankRank int     `json:"rerank_rank,omitempty"`
}

// rankWeight is the sum of the reciprocal ranks.
func (s *Scores) rankWeight() float64 {
	w := 0.0
	if s.LexicalRank > 0 {
		w += 1 / float64(s.LexicalRank)
	}
	if s.VectorRank > 0 {
		w += 1 / float64(s.VectorRank)
	}
	return w
}

// Hit is a passage with its place and scores.
type Hit struct {
	ChunkID   int64
	DocID     int64
	LibraryID int64
	Path      string
	Title     string
	Format    string
	Page      int
	Heading   string
	Text      string
	Place     passage.Place
	IndexedAt time.Time
	Scores    Scores
}

// Result is a search's answer.
type Result struct {
	Query string
	Terms []string
	Mode  Mode
	Hits  []Hit
	// Relevant is false when no passage passes the relevance floor: the
	// documents probably do not hold the answer, and Hits are only the
	// closest passages.
	Relevant bool
	Took     time.Duration
}

// Reranker scores passages against a question by reading the two
// together (a cross-encoder): higher is a better answer.
type Reranker interface {
	Score(ctx context.Context, question string, passages []string) ([]float32, error)
}

// RerankDepth is how many of the best fused candidates a reranker reads:
// enough to lift a good passage from the second page, few enough to take
// a fraction of a second with a small model.
const RerankDepth = 20

// Retriever searches a store.
type Retriever struct {
	prev Embedder
	idx  Store
	emb  Embedder
	rr   Reranker
}

// WithReranker re-orders the best RerankDepth candidates of every search
// with rr before the K best are kept.
func (r *Retriever) WithReranker(rr Reranker) *Retriever {
	r.rr = rr
	return r
}

// New returns a Retriever; emb may be nil (lexical search only).
func New(idx Store, emb Embedder) *Retriever { return &Retriever{idx: idx, emb: emb} }

// WithPrevious also searches the vectors the index kept of the embedding
// model before a change (index.ChangeModel), with that model's query
// vectors: while a library is re-embedded, passages not yet done are
// still found by meaning. prev must be that model; otherwise it is unused.
func (r *Retriever) WithPrevious(prev Embedder) *Retriever {
	r.prev = prev
	return r
}

// Search runs a query.
func (r *Retriever) Search(ctx context.Context, query string, o Options) (Result, error) {
	res, vanished, err := r.search(ctx, query, o)
	if err == nil && vanished > 0 {
		// Passages found were replaced while the search ran (a document
		// re-indexed or re-embedded at that moment): search again, once,
		// to find their new versions.
		took := res.Took
		res, _, err = r.search(ctx, query, o)
		res.Took += took
	}
	return res, err
}

// QueryEmbedder is an Embedder that embeds questions differently from
// passages (models trained with a query prefix).
type QueryEmbedder interface {
	EmbedQuery(ctx context.Context, texts []string) ([][]float32, error)
}

// embedQuery embeds a question as emb wants questions embedded.
func embedQuery(ctx context.Context, emb Embedder, query string) ([][]float32, error) {
	if q, ok := emb.(QueryEmbedder); ok {
		return q.EmbedQuery(ctx, []string{query})
	}
	return emb.Embed(ctx, []string{query})
}

// nearest embeds query with emb and ranks the passages of one vector
// store (index.Vector or index.VectorPrevious) by similarity to it.
func nearest(ctx context.Context, emb Embedder, what, query string, search func(context.Context, []float32, index.Filter, int) ([]index.Hit, error), o Options) ([]index.Hit, error) {
	vs, err := embedQuery(ctx, emb, query)
	if err != nil {
		return nil, fmt.Errorf("retrieve: embedding %s: %w", what, err)
	}
	return search(ctx, vs[0], o.Filter, o.Candidates)
}

// search runs a query once; it also says how many passages it found that
// were removed before their text could be read.
func (r *Retriever) search(ctx context.Context, query string, o Options) (Result, int, error) {
	start := time.Now()
	if o.K <= 0 {
		o.K = 10
	}
	if o.Candidates <= 0 {
		o.Candidates = max(100, 5*o.K)
	}
	if o.RRFK <= 0 {
		o.RRFK = 60
	}
	if o.VectorWeight <= 0 {
		o.VectorWeight = 1
	}
	if o.MinCoverage <= 0 {
		o.MinCoverage = DefaultMinCoverage
	}
	if o.MinSimilarity <= 0 {
		o.MinSimilarity = DefaultMinSimilarity
	}
	if o.Mode == "" {
		o.Mode = Lexical
		if r.emb != nil && r.idx.Model() == r.emb.Model() {
			o.Mode = Hybrid
		}
	}
	if (o.Mode == Vector || o.Mode == Hybrid) && r.emb == nil {
		return Result{}, 0, fmt.Errorf("retrieve: %s search needs an embedding model", o.Mode)
	}
	if (o.Mode == Vector || o.Mode == Hybrid) && r.idx.Model() != r.emb.Model() {
		// Vectors of two models are not comparable.
		return Result{}, 0, fmt.Errorf("retrieve: the library's loaded vectors come from %q, not from %q; index with that model first", r.idx.Model(), r.emb.Model())
	}
	res := Result{Query: query, Mode: o.Mode}
	scores := map[int64]*Scores{}
	get := func(id int64) *Scores {
		if s := scores[id]; s != nil {
			return s
		}
		s := &Scores{}
		scores[id] = s
		return s
	}
	// The two retrievers run at once: a hybrid search costs the slower
	// of the two, not their sum.
	var lex, vec, old []index.Hit
	var lexErr, vecErr, oldErr error
	var wg sync.WaitGroup
	if o.Mode != Vector {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lex, res.Terms, lexErr = r.idx.Lexical(ctx, query, o.Filter, o.Candidates)
		}()
	} else {
		res.Terms = terms.Of(query)
	}
	if o.Mode != Lexical {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.prev == nil || r.idx.PreviousModel() != r.prev.Model() || r.prev.Model() == "" {
				vec, vecErr = nearest(ctx, r.emb, "the query", query, r.idx.Vector, o)
				return
			}
			// While the library is re-embedded: the query embedded by both
			// models, both sets searched at once.
			var q, qPrev [][]float32
			q, vecErr = embedQuery(ctx, r.emb, query)
			if vecErr != nil {
				vecErr = fmt.Errorf("retrieve: embedding the query: %w", vecErr)
				return
			}
			if qPrev, oldErr = embedQuery(ctx, r.prev, query); oldErr != nil {
				oldErr = fmt.Errorf("retrieve: embedding the query with the previous model: %w", oldErr)
				return
			}
			vec, old, vecErr = r.idx.VectorBoth(ctx, q[0], qPrev[0], o.Filter, o.Candidates)
		}()
	}
	wg.Wait()
	if lexErr != nil {
		return res, 0, lexErr
	}
	if vecErr != nil {
		return res, 0, vecErr
	}
	if oldErr != nil {
		return res, 0, oldErr
	}
	for i, h := range lex {
		s := get(h.ChunkID)
		s.Lexical, s.LexicalRank = h.Score, i+1
	}
	for i, h := range vec {
		s := get(h.ChunkID)
		s.Vector, s.VectorRank = h.Score, i+1
	}
	// The previous model's ranking covers the chunks not yet re-embedded
	// (a chunk has vectors of one model at a time).
	for i, h := range old {
		s := get(h.ChunkID)
		if s.VectorRank == 0 {
			s.Vector, s.VectorRank = h.Score, i+1
		}
	}
	if o.Fusion == FuseRanks {
		fuseRanks(scores, [][]index.Hit{lex}, [][]index.Hit{vec, old}, o)
	} else {
		fuseScores(scores, lex, [][]index.Hit{vec, old}, o)
	}
	ids := make([]int64, 0, len(scores))
	for id := range scores {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := scores[ids[i]], scores[ids[j]]
		if a.Fused != b.Fused {
			return a.Fused > b.Fused
		}
		// Equal scores (equal similarities): the better placed first.
		if ra, rb := a.rankWeight(), b.rankWeight(); ra != rb {
			return ra > rb
		}
		return ids[i] < ids[j]
	})
	keep := o.K
	if r.rr != nil {
		keep = max(o.K, RerankDepth)
	}
	if len(ids) > keep {
		ids = ids[:keep]
	}
	ps, err := r.idx.Passages(ctx, ids)
	if err != nil {
		return res, 0, err
	}
	qterms, err := r.weights(ctx, res.Terms)
	if err != nil {
		return res, 0, err
	}
	vanished := 0
	for _, id := range ids {
		p, ok := ps[id]
		if !ok {
			vanished++
			continue // removed since the search began
		}
		s := *scores[id]
		s.Coverage = coverage(qterms, p.Heading+"\n"+p.Text)
		res.Hits = append(res.Hits, Hit{
			ChunkID: id, DocID: p.DocID, LibraryID: p.Doc.LibraryID, Path: p.Doc.Path, Title: p.Doc.Title,
			Format: p.Doc.Format, Page: p.Page, Heading: p.Heading, Text: p.Text, Place: p.Place,
			IndexedAt: p.Doc.IndexedAt, Scores: s,
		})
	}
	if r.rr != nil && len(res.Hits) > 1 {
		if err := rerank(ctx, r.rr, query, res.Hits); err != nil {
			return res, 0, err
		}
	}
	if len(res.Hits) > o.K {
		res.Hits = res.Hits[:o.K]
	}
	for _, h := range res.Hits {
		if (h.Scores.LexicalRank > 0 && h.Scores.Coverage >= o.MinCoverage) || (h.Scores.VectorRank > 0 && h.Scores.Vector >= o.MinSimilarity) {
			res.Relevant = true
			break
		}
	}
	res.Took = time.Since(start)
	return res, vanished, nil
}

// rerank orders hits by the reranker's scores of their heading and text
// (ties keep the fused order).
func rerank(ctx context.Context, rr Reranker, query string, hits []Hit) error {
	texts := make([]string, len(hits))
	for i, h := range hits {
		texts[i] = h.Text
		if h.Heading != "" {
			texts[i] = h.Heading + "\n" + h.Text
		}
	}
	scores, err := rr.Score(ctx, query, texts)
	if err != nil {
		return fmt.Errorf("retrieve: reranking: %w", err)
	}
	if len(scores) != len(hits) {
		return fmt.Errorf("retrieve: the reranker scored %d of %d passages", len(scores), len(hits))
	}
	for i := range hits {
		hits[i].Scores.Rerank = float64(scores[i])
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Scores.Rerank > hits[j].Scores.Rerank })
	for i := range hits {
		hits[i].Scores.RerankRank = i + 1
	}
	return nil
}

// fuseRanks adds the reciprocal ranks of each ranking.
func fuseRanks(scores map[int64]*Scores, lex, vec [][]index.Hit, o Options) {
	for _, side := range []struct {
		lists  [][]index.Hit
		weight float64
	}{{lex, 1}, {vec, o.VectorWeight}} {
		for _, l := range side.lists {
			for i, h := range l {
				scores[h.ChunkID].Fused += side.weight / (o.RRFK + float64(i+1))
			}
		}
	}
}

// fuseScores gives each passage the weighted sum of its standard scores
// on the two sides (FuseScores), squashed into (0, 1) so that fused
// scores read alike from one search to the next.
func fuseScores(scores map[int64]*Scores, lex []index.Hit, vec [][]index.Hit, o Options) {
	// Lexical: the candidates are the Candidates best BM25 scores of the
	// library; when fewer passages hold a query word, the rest of that set
	// score exactly 0, and are counted so.
	lz, lmiss := standard(lex, o.Candidates)
	// Vector: every passage has a similarity, so a ranking is always full
	// (or the whole library); a passage beyond it is taken to be as far
	// down as its last.
	vz, vmiss := map[int64]float64{}, math.Inf(1)
	for _, l := range vec {
		z, miss := standard(l, 0)
		for id, v := range z {
			if _, ok := vz[id]; !ok {
				vz[id] = v
			}
		}
		if len(l) > 0 {
			vmiss = min(vmiss, miss)
		}
	}
	wl, wv := 1.0, o.VectorWeight
	if len(lex) == 0 && o.Mode == Vector {
		wl = 0
	}
	if len(vz) == 0 {
		wv, vmiss = 0, 0
	}
	for id, s := range scores {
		l, ok := lz[id]
		if !ok {
			l = lmiss
		}
		v, ok := vz[id]
		if !ok {
			v = vmiss
		}
		f := (wl*l + wv*v) / (wl + wv)
		s.Fused = 1 / (1 + math.Exp(-f))
	}
}

// standard gives each hit its standard score among the ranking's scores,
// with the ranking counted as padTo long (missing scores are 0) when it is
// shorter, and the standard score of a passage not in the ranking: that
// of 0 when padded, else that of the lowest score.
func standard(hits []index.Hit, padTo int) (map[int64]float64, float64) {
	n := max(len(hits), padTo)
	if n == 0 {
		return nil, 0
	}
	var sum, sq float64
	for _, h := range hits {
		sum += h.Score
		sq += h.Score * h.Score
	}
	mean := sum / float64(n)
	sd := math.Sqrt(max(sq/float64(n)-mean*mean, 0))
	z := func(x float64) float64 {
		if sd < 1e-12 {
			return 0
		}
		return (x - mean) / sd
	}
	out := make(map[int64]float64, len(hits))
	miss := z(0)
	if len(hits) >= padTo && len(hits) > 0 {
		miss = z(hits[len(hits)-1].Score)
		for _, h := range hits {
			miss = min(miss, z(h.Score))
		}
	}
	for _, h := range hits {
		out[h.ChunkID] = z(h.Score)
	}
	return out, miss
}

// weights gives each query term its inverse document frequency, as BM25
// does: a rare term says more about what the question is about. A term
// the library never holds weighs the most, since its absence is the
// best evidence that the documents do not answer the question ("capital
// of Mongolia" in a library that mentions capitals but not Mongolia).
func (r *Retriever) weights(ctx context.Context, terms []string) (map[string]float64, error) {
	df, n, err := r.idx.DocFreq(ctx, terms)
	if err != nil {
		return nil, err
	}
	// A small library says little about which words are rare: a word
	// missing from a handful of notes is no evidence. Counting at least
	// minCollection chunks keeps small libraries' weights near equal.
	const minCollection = 1000
	n = max(n, minCollection)
	w := make(map[string]float64, len(df))
	for t, f := range df {
		w[t] = math.Log(1 + (float64(n)-float64(f)+0.5)/(float64(f)+0.5))
	}
	return w, nil
}

// coverage is the weighted share of the query's distinct terms found in
// text.
func coverage(q map[string]float64, text string) float64 {
	var total, found float64
	for _, w := range q {
		total += w
	}
	if total == 0 {
		return 0
	}
	seen := map[string]bool{}
	for _, t := range terms.Of(text) {
		if w, ok := q[t]; ok && !seen[t] {
			seen[t] = true
			found += w
		}
	}
	return found / total
}
