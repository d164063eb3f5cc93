package lab

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine"

	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/retrieve"
)

// EvalOptions set up a retrieval evaluation; zero values pick the
// defaults.
type EvalOptions struct {
	// Dataset is a folder in the BEIR layout: corpus.jsonl, queries.jsonl
	// and qrels/test.tsv.
	Dataset string
	// Mode is the retrieval to measure; "" means hybrid with an embedding
	// model, else lexical.
	Mode engine.SearchMode
	// EmbedModel is the GGUF embedding model for vector and hybrid
	// retrieval; "" means the bundled one (words only where the
	// installation has none), engine.NoEmbedModel words only.
	EmbedModel string
	// Queries limits the evaluation to the first N queries (0: all).
	Queries int
	// Work is the folder the temporary library is built in; "" means a
	// new temporary folder, removed afterwards.
	Work string
	// MinCoverage overrides the relevance floor (0: the default).
	MinCoverage float64
	// engine.Fusion of a hybrid search; "" means the default.
	Fusion engine.Fusion
	// Holdout leaves this share of the documents (grouped by the id before
	// '#') out of the library, to measure how often questions about them
	// are declined.
	Holdout float64
	// Progress, if set, receives the indexing events.
	Progress func(event.Event)
	// LibraryServer, when set, builds the library on this PostgreSQL
	// server (an empty database) instead of a temporary folder, to
	// measure a team library's search.
	LibraryServer string
}

// EvalReport is what an evaluation measured.
type EvalReport struct {
	retrieve.Metrics
	Mode      engine.SearchMode `json:"mode"`
	Model     string            `json:"embed_model,omitempty"` // the embedding model, "" for words only
	Documents int               `json:"documents"`
	IndexTime time.Duration     `json:"-"`
	IndexS    float64           `json:"index_s"`
	// Floors, with held-out documents and vectors, is the relevance floor
	// at several similarity thresholds (the lexical floor unchanged): how
	// many answerable questions each lets through and how many
	// unanswerable ones it declines. The last row is words alone.
	Floors []FloorPoint `json:"similarity_floors,omitempty"`
	// VectorSearch is where similarity search ran: "memory" or, on a
	// PostgreSQL server, "pgvector".
	VectorSearch string `json:"vector_search"`
}

// FloorPoint is the relevance floor at one similarity threshold.
type FloorPoint struct {
	MinSimilarity        float64 `json:"min_similarity"` // 0: words alone
	AnswerableFound      float64 `json:"answerable_found"`
	UnanswerableDeclined float64 `json:"unanswerable_declined"`
}

// Evaluate measures retrieval on a BEIR-layout dataset the way a person's
// library is searched: each corpus document becomes a file, added and
// indexed through an engine opened on a temporary data folder (the same
// wiring as every front end), then every query is searched and ranked
// against the judgements.
func Evaluate(ctx context.Context, o EvalOptions) (*EvalReport, error) {
	if o.Holdout < 0 || o.Holdout >= 1 {
		return nil, fmt.Errorf("lab: the held-out share must be at least 0 and below 1")
	}
	set, err := retrieve.LoadBEIR(o.Dataset)
	if err != nil {
		return nil, err
	}
	removed := holdoutGroups(set, o.Holdout)
	work := o.Work
	if work == "" {
		if work, err = os.MkdirTemp("", "carrel-eval-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	}
	files := filepath.Join(work, "corpus")
	if err := os.MkdirAll(files, 0o700); err != nil {
		return nil, err
	}
	byFile := map[string]string{}
	for i, d := range set.Corpus {
		if removed[evalGroup(d.ID)] {
			continue
		}
		name := filepath.Join(files, fmt.Sprintf("doc-%07d.txt", i))
		text := d.Text
		if d.Title != "" {
			text = d.Title + "\n\n" + d.Text
		}
		if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
			return nil, err
		}
		byFile[name] = d.ID
	}
	s := engine.DefaultSettings()
	s.EmbedModel = o.EmbedModel
	if s.EmbedModel == "" && o.Mode == engine.SearchLexical {
		s.EmbedModel = engine.NoEmbedModel // nothing to embed for words alone
	}
	const library = "eval"
	start := time.Now()
	e, done, err := measuredLibrary(ctx, engine.Options{DataDir: filepath.Join(work, "data"), Settings: &s, NoWatch: true, NoChatModel: true, LibraryServer: o.LibraryServer},
		nil, o.Progress, library, files)
	if err != nil {
		return nil, err
	}
	defer done()
	// A server's vector index is made as the next opening would make it,
	// so that the questions are searched the way members search.
	if err := e.BuildVectorIndex(ctx); err != nil {
		return nil, err
	}
	rep := &EvalReport{Documents: len(set.Corpus), IndexTime: time.Since(start), Model: e.SearchMethod().Name, VectorSearch: e.SearchMethod().Vectors}
	rep.IndexS = rep.IndexTime.Seconds()
	var ev retrieve.Evaluation
	type evidence struct {
		answerable, words bool
		cos               float64
	}
	var evid []evidence
	queries := set.Queries
	if o.Queries > 0 && o.Queries < len(queries) {
		queries = queries[:o.Queries]
	}
	for _, q := range queries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t0 := time.Now()
		res, err := e.Search(ctx, q.Text, engine.SearchOptions{Library: library, K: 100, Mode: o.Mode, MinCoverage: o.MinCoverage, Fusion: o.Fusion})
		took := time.Since(t0)
		if err != nil {
			return nil, err
		}
		rep.Mode = res.Mode
		answerable := false
		for id := range set.Qrels[q.ID] {
			answerable = answerable || !removed[evalGroup(id)]
		}
		ev.AddRelevance(res.Relevant, answerable)
		got := evidence{answerable: answerable}
		for _, h := range res.Hits {
			got.words = got.words || (h.Scores.LexicalRank > 0 && h.Scores.Coverage >= coverageFloor(o.MinCoverage))
			if h.Scores.VectorRank > 0 {
				got.cos = max(got.cos, h.Scores.Vector)
			}
		}
		evid = append(evid, got)
		if !answerable {
			continue
		}
		var ranked []string
		seen := map[string]bool{}
		for _, h := range res.Hits {
			if id := byFile[h.Path]; id != "" && !seen[id] {
				seen[id] = true
				ranked = append(ranked, id)
			}
		}
		ev.Add(ranked, set.Qrels[q.ID], took)
	}
	rep.Metrics = ev.Metrics()
	if o.Holdout > 0 && rep.Mode != engine.SearchLexical && rep.Model != "" {
		for _, th := range []float64{0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0} {
			var a, af, u, ud int
			for _, q := range evid {
				ok := q.words || (th > 0 && q.cos >= th)
				if q.answerable {
					a++
					if ok {
						af++
					}
				} else {
					u++
					if !ok {
						ud++
					}
				}
			}
			rep.Floors = append(rep.Floors, FloorPoint{MinSimilarity: th, AnswerableFound: ratio(af, a), UnanswerableDeclined: ratio(ud, u)})
		}
	}
	return rep, nil
}

// evalGroup is what a document id belongs to: SQuAD's paragraph ids
// ("Title#3") group by article, so holding out an article removes all of
// its paragraphs.
func evalGroup(id string) string {
	g, _, _ := strings.Cut(id, "#")
	return g
}

// holdoutGroups picks every (1/share)-th document group, in sorted order.
func holdoutGroups(set *retrieve.BEIR, share float64) map[string]bool {
	out := map[string]bool{}
	if share <= 0 {
		return out
	}
	seen := map[string]bool{}
	var groups []string
	for _, d := range set.Corpus {
		if g := evalGroup(d.ID); !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	sort.Strings(groups)
	step := max(1, int(math.Round(1/share)))
	for i := 0; i < len(groups); i += step {
		out[groups[i]] = true
	}
	return out
}

// DatasetTexts reads a BEIR-layout dataset's passages (title and text, as
// Evaluate indexes them) and queries, for benchmarks.
func DatasetTexts(dir string) (passages, queries []string, err error) {
	set, err := retrieve.LoadBEIR(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range set.Corpus {
		t := d.Text
		if d.Title != "" {
			t = d.Title + "\n\n" + d.Text
		}
		passages = append(passages, t)
	}
	for _, q := range set.Queries {
		queries = append(queries, q.Text)
	}
	return passages, queries, nil
}

// coverageFloor is the lexical floor a search applies (retrieve's default
// when 0).
func coverageFloor(c float64) float64 {
	if c <= 0 {
		return retrieve.DefaultMinCoverage
	}
	return c
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// measuredLibrary opens an engine with o for a measurement, checks it
// with usable (if set) before any work, adds paths to library and waits
// until they are indexed, forwarding the events to progress (if set).
// done stops the forwarding and closes the engine.
func measuredLibrary(ctx context.Context, o engine.Options, usable func(*engine.Engine) error, progress func(event.Event), library string, paths ...string) (e *engine.Engine, done func(), err error) {
	if e, err = engine.Open(ctx, o); err != nil {
		return nil, nil, err
	}
	stop := forward(e, progress)
	done = func() {
		stop()
		e.Close()
	}
	if usable != nil {
		err = usable(e)
	}
	if err == nil {
		_, err = e.Add(ctx, library, false, paths...)
	}
	if err == nil {
		err = e.WaitIndexed(ctx)
	}
	if err != nil {
		done()
		return nil, nil, err
	}
	return e, done, nil
}
