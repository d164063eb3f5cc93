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

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/lab"
)

func evalCmd() *command {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	mode := fs.String("mode", "", "lexical, vector or hybrid (default: hybrid, with the built-in embedding model unless --embed-model names another)")
	embedModel := fs.String("embed-model", "", "GGUF embedding model `file` (default: the built-in one)")
	fusion := fs.String("fusion", "", "how hybrid retrieval combines words and meaning: scores (default) or ranks (reciprocal rank fusion)")
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("queries", 0, "evaluate only the first N queries (0: all)")
	store := fs.String("store", "", "build the library on this PostgreSQL server (a postgres:// `URL` of an empty database) instead of a temporary folder")
	keep := fs.String("keep", "", "keep the temporary library in this `folder` (default: removed)")
	floor := fs.Float64("min-coverage", 0, "relevance floor: the rarity-weighted share of the query's terms a passage must hold (0: the default, 0.5)")
	holdout := fs.Float64("holdout", 0, "leave this `share` of the documents (grouped by the id before '#') out of the library, to measure how often questions about them are declined")
	return &command{
		Name: "eval", Usage: "DIR [--mode lexical|vector|hybrid] [--embed-model FILE] [--json]",
		Short: "measure retrieval on a BEIR-layout dataset (corpus.jsonl, queries.jsonl, qrels/test.tsv): nDCG@10, recall, MRR, latency",
		Flags: fs,
		Subs:  map[string]*command{"answers": evalAnswersCmd()},
		Run: func(ctx context.Context, args []string) error {
			if *store != "" && !engine.IsLibraryServer(*store) {
				return usagef("--store must be a PostgreSQL connection string starting with postgres://")
			}
			if len(args) != 1 {
				return usagef("give one dataset folder")
			}
			if *holdout < 0 || *holdout >= 1 {
				return usagef("--holdout must be at least 0 and below 1")
			}
			o := lab.EvalOptions{Dataset: args[0], Mode: engine.SearchMode(*mode), EmbedModel: *embedModel, Queries: *limit,
				Work: *keep, MinCoverage: *floor, Holdout: *holdout, LibraryServer: *store}
			if *embedModel != "" {
				o.EmbedModel = embedSetting(*embedModel)
			}
			switch engine.Fusion(*fusion) {
			case "", engine.FuseScores, engine.FuseRanks:
				o.Fusion = engine.Fusion(*fusion)
			default:
				return usagef("--fusion is scores or ranks")
			}
			if !*asJSON && isTerminal(os.Stderr) {
				o.Progress = (&progress{}).event
			}
			rep, err := lab.Evaluate(ctx, o)
			if err != nil {
				return explain(err)
			}
			m := rep.Metrics
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(rep)
			}
			how := ""
			if rep.Model != "" && rep.Mode != engine.SearchLexical {
				how = " with " + rep.Model
			}
			if rep.VectorSearch == "pgvector" {
				how += ", vectors searched by pgvector"
			}
			fmt.Printf("%s, %s retrieval%s: %d documents (indexed in %s), %d queries\n", filepath.Base(strings.TrimRight(args[0], "/")), rep.Mode, how, rep.Documents, rep.IndexTime.Round(time.Second), m.Queries)
			fmt.Printf("nDCG@10 %.3f · Recall@10 %.3f · Recall@100 %.3f · MRR@10 %.3f · latency p50 %.1f ms, p99 %.1f ms\n",
				m.NDCG10, m.Recall10, m.Recall100, m.MRR10, m.P50ms, m.P99ms)
			fmt.Printf("relevance floor: %.1f%% of answerable queries let through", 100*m.AnswerableFound)
			if m.Unanswerable > 0 {
				fmt.Printf(" · %.1f%% of %d unanswerable queries declined", 100*m.UnanswerableDeclined, m.Unanswerable)
			}
			fmt.Println()
			for _, f := range rep.Floors {
				if f.MinSimilarity == 0 {
					fmt.Printf("  words alone:                 %5.1f%% let through · %5.1f%% declined\n", 100*f.AnswerableFound, 100*f.UnanswerableDeclined)
				} else {
					fmt.Printf("  or similarity at least %.2f: %5.1f%% let through · %5.1f%% declined\n", f.MinSimilarity, 100*f.AnswerableFound, 100*f.UnanswerableDeclined)
				}
			}
			return nil
		},
	}
}
