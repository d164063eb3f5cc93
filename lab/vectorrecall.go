package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/index"
)

// RecallBench measures how well a library folder's one-bit vector scan
// keeps the exact nearest passages, on real embeddings: a dataset's
// passages and queries embedded with a real model.
type RecallBench struct {
	Dataset  string // BEIR-layout folder
	Model    string // GGUF embedding model; "" for the built-in one
	Passages int    // at most this many passages (0: all)
	Queries  int    // at most this many queries (0: 500)
	// Candidates are the numbers of candidates the one-bit scan keeps
	// for the nearest 10 (default 20 to 1,000; a search keeps 2,000, and
	// 5,000 in a library of a million passages).
	Candidates []int
}

// RecallReport is the result of BenchRecall.
type RecallReport struct {
	Model    string        `json:"model"`
	Passages int           `json:"passages"`
	Queries  int           `json:"queries"`
	Dims     int           `json:"dims"`
	EmbedS   float64       `json:"embed_s"`
	Points   []RecallPoint `json:"points"`
	// Search is the recall@10 of search as it runs on this library (all
	// candidates below 2,000 passages: exact).
	Search float64 `json:"search_recall_at_10"`
}

// RecallPoint is recall@10 with one number of candidates.
type RecallPoint struct {
	Candidates int     `json:"candidates"`
	Recall     float64 `json:"recall_at_10"`
}

// BenchRecall embeds the dataset, stores it through the real storage path
// in a temporary library folder, reopens it (which writes its vector
// file), and measures recall@10 of the one-bit scan against an exhaustive
// pass with each number of candidates.
func BenchRecall(ctx context.Context, b RecallBench) (*RecallReport, error) {
	path, err := embeddingModel(b.Model)
	if err != nil {
		return nil, err
	}
	if len(b.Candidates) == 0 {
		b.Candidates = []int{20, 50, 100, 200, 500, 1000}
	}
	if b.Queries <= 0 {
		b.Queries = 500
	}
	passages, queries, err := DatasetTexts(b.Dataset)
	if err != nil {
		return nil, err
	}
	if b.Passages > 0 && len(passages) > b.Passages {
		passages = passages[:b.Passages]
	}
	if len(queries) > b.Queries {
		// Spread over the whole set: its queries come grouped by article.
		step := len(queries) / b.Queries
		var qs []string
		for i := 0; i < len(queries) && len(qs) < b.Queries; i += step {
			qs = append(qs, queries[i])
		}
		queries = qs
	}
	emb, err := engine.LoadEmbedder(ctx, path, false)
	if err != nil {
		return nil, err
	}
	defer emb.Close()
	t0 := time.Now()
	var pv [][]float32
	for i := 0; i < len(passages); i += 32 {
		v, err := emb.Embed(ctx, passages[i:min(i+32, len(passages))])
		if err != nil {
			return nil, err
		}
		pv = append(pv, v...)
	}
	qv, err := emb.EmbedQuery(ctx, queries)
	if err != nil {
		return nil, err
	}
	r := &RecallReport{Model: emb.Model(), Passages: len(passages), Queries: len(queries), EmbedS: time.Since(t0).Seconds()}
	if len(pv) > 0 {
		r.Dims = len(pv[0])
	}
	dir, err := os.MkdirTemp("", "carrel-bench-recall-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	lib := filepath.Join(dir, "library")
	idx, err := index.Open(ctx, lib, "")
	if err != nil {
		return nil, err
	}
	l, err := idx.Library(ctx, "recall")
	if err != nil {
		idx.Close()
		return nil, err
	}
	const perDoc = 20
	for d := 0; d*perDoc < len(passages); d++ {
		doc, _, err := idx.Enqueue(ctx, l.ID, fmt.Sprintf("/recall/%05d.txt", d), 1000, time.Unix(int64(d), 0), nil)
		if err != nil {
			idx.Close()
			return nil, err
		}
		lo, hi := d*perDoc, min((d+1)*perDoc, len(passages))
		chunks := make([]index.Chunk, 0, hi-lo)
		for _, p := range passages[lo:hi] {
			chunks = append(chunks, index.Chunk{Text: p})
		}
		if err := idx.Replace(ctx, doc.ID, index.Meta{Hash: fmt.Sprint(d), Format: "text"}, chunks, pv[lo:hi], emb.Model()); err != nil {
			idx.Close()
			return nil, err
		}
	}
	idx.Close()
	if idx, err = index.Open(ctx, lib, emb.Model()); err != nil {
		return nil, err
	}
	defer idx.Close()
	for _, c := range b.Candidates {
		rec, err := idx.ScanRecall(ctx, qv, 10, c)
		if err != nil {
			return nil, err
		}
		r.Points = append(r.Points, RecallPoint{Candidates: min(c, len(passages)), Recall: rec})
	}
	if r.Search, err = idx.VectorRecall(ctx, qv, 10); err != nil {
		return nil, err
	}
	return r, nil
}
