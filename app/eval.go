package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
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
	floor := fs.Float64("min-coverage", 0, "relevance floor: the rarity-weighted share of the query's terms a passage must hold (0: the default, 0.5)")
	holdout := fs.Float64("holdout", 0, "leave this `share` of the documents (grouped by the id before '#') out of the library, to measure how often questions about them are declined")
	return &command{
		Name: "eval", Usage: "DIR [--mode lexical|vector|hybrid] [--embed-model FILE] [--json]",
		Short: "measure retrieval on a BEIR-layout dataset (corpus.jsonl, queries.jsonl, qrels/test.tsv): nDCG@10, recall, MRR, latency",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("give one dataset folder")
			}
			if *holdout < 0 || *holdout >= 1 {
				return usagef("--holdout must be at least 0 and below 1")
			}
			set, err := retrieve.LoadBEIR(args[0])
			if err != nil {
				return err
			}
			removed := holdoutGroups(set, *holdout)
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
				if removed[group(d.ID)] {
					continue
				}
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
				res, err := r.Search(ctx, q.Text, retrieve.Options{K: 100, Mode: retrieve.Mode(*mode), MinCoverage: *floor, Filter: index.Filter{Libraries: []int64{lib.ID}}})
				took := time.Since(t0)
				if err != nil {
					return err
				}
				used = res.Mode
				answerable := false
				for id := range set.Qrels[q.ID] {
					answerable = answerable || !removed[group(id)]
				}
				ev.AddRelevance(res.Relevant, answerable)
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
			fmt.Printf("relevance floor: %.1f%% of answerable queries let through", 100*m.AnswerableFound)
			if m.Unanswerable > 0 {
				fmt.Printf(" · %.1f%% of %d unanswerable queries declined", 100*m.UnanswerableDeclined, m.Unanswerable)
			}
			fmt.Println()
			return nil
		},
	}
}

// group is what a document id belongs to: SQuAD's paragraph ids
// ("Title#3") group by article, so holding out an article removes all of
// its paragraphs.
func group(id string) string {
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
		if g := group(d.ID); !seen[g] {
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
