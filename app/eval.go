package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/ingest"
	"github.com/carrel-ai/carrel/engine/retrieve"
)

func evalCmd() *command {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	mode := fs.String("mode", "", "lexical, vector or hybrid (default: hybrid with --embed-model, else lexical)")
	embedModel := fs.String("embed-model", "", "GGUF embedding model `file`")
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("queries", 0, "evaluate only the first N queries (0: all)")
	keep := fs.String("keep", "", "keep the temporary library in this `folder` (default: removed)")
	return &command{
		Name: "eval", Usage: "DIR [--mode lexical|vector|hybrid] [--embed-model FILE] [--json]",
		Short: "measure retrieval on a BEIR-layout dataset (corpus.jsonl, queries.jsonl, qrels/test.tsv): nDCG@10, recall, MRR, latency",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("give one dataset folder")
			}
			set, err := retrieve.LoadBEIR(args[0])
			if err != nil {
				return err
			}
			work := *keep
			if work == "" {
				if work, err = os.MkdirTemp("", "carrel-eval-"); err != nil {
					return err
				}
				defer os.RemoveAll(work)
			}
			// The corpus becomes files, indexed by the same path as
			// "carrel add".
			files := filepath.Join(work, "corpus")
			os.MkdirAll(files, 0o755)
			byFile := map[string]string{}
			for i, d := range set.Corpus {
				name := filepath.Join(files, fmt.Sprintf("doc-%07d.txt", i))
				text := d.Text
				if d.Title != "" {
					text = d.Title + "\n\n" + d.Text
				}
				if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
					return err
				}
				byFile[name] = d.ID
			}
			l, err := openLibrary(ctx, filepath.Join(work, "data"), *embedModel)
			if err != nil {
				return err
			}
			defer l.Close()
			lib, err := l.idx.Library(ctx, "eval")
			if err != nil {
				return err
			}
			start := time.Now()
			p := &progress{on: !*asJSON && isTerminal(os.Stderr)}
			in := ingest.New(l.idx, l.parser, ingest.Options{Embedder: l.embedderOrNil()}, p.event)
			if _, err := in.Add(ctx, lib, false, files); err != nil {
				return err
			}
			runCtx, stop := context.WithCancel(ctx)
			go in.Run(runCtx)
			err = in.Wait(ctx)
			stop()
			if err != nil {
				return err
			}
			indexTime := time.Since(start)
			r := retrieve.New(l.idx, l.embedderOrNil())
			var ev retrieve.Evaluation
			queries := set.Queries
			if *limit > 0 && *limit < len(queries) {
				queries = queries[:*limit]
			}
			var used retrieve.Mode
			for _, q := range queries {
				if err := ctx.Err(); err != nil {
					return err
				}
				t0 := time.Now()
				res, err := r.Search(ctx, q.Text, retrieve.Options{K: 100, Mode: retrieve.Mode(*mode), Filter: index.Filter{Libraries: []int64{lib.ID}}})
				took := time.Since(t0)
				if err != nil {
					return err
				}
				used = res.Mode
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
			m := ev.Metrics()
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(struct {
					retrieve.Metrics
					Mode      retrieve.Mode `json:"mode"`
					Documents int           `json:"documents"`
					IndexS    float64       `json:"index_s"`
				}{m, used, len(set.Corpus), indexTime.Seconds()})
			}
			fmt.Printf("%s, %s retrieval: %d documents (indexed in %s), %d queries\n", filepath.Base(strings.TrimRight(args[0], "/")), used, len(set.Corpus), indexTime.Round(time.Second), m.Queries)
			fmt.Printf("nDCG@10 %.3f · Recall@10 %.3f · Recall@100 %.3f · MRR@10 %.3f · latency p50 %.1f ms, p99 %.1f ms\n",
				m.NDCG10, m.Recall10, m.Recall100, m.MRR10, m.P50ms, m.P99ms)
			return nil
		},
	}
}
