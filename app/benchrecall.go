package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/carrel-ai/carrel/lab"
)

func benchRecallCmd() *command {
	fs := flag.NewFlagSet("bench recall", flag.ContinueOnError)
	dataset := fs.String("dataset", "", "BEIR-layout `folder` whose passages and queries are embedded")
	model := fs.String("model", "", "GGUF embedding model `file` (default: the built-in one)")
	n := fs.Int("passages", 0, "at most this many passages (0: all)")
	nq := fs.Int("queries", 500, "queries, spread over the dataset")
	asJSON := fs.Bool("json", false, "print JSON")
	return &command{
		Name: "bench recall", Usage: "--dataset DIR [--model FILE] [--passages N] [--queries N] [--json]",
		Short: "how many of the exact 10 nearest passages the one-bit vector scan keeps, on real embeddings of a dataset",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 || *dataset == "" {
				return usagef("bench recall needs --dataset DIR and takes no arguments")
			}
			if *n < 0 || *nq < 1 {
				return usagef("--passages must be 0 or more and --queries at least 1")
			}
			r, err := lab.BenchRecall(ctx, lab.RecallBench{Dataset: *dataset, Model: *model, Passages: *n, Queries: *nq})
			if err != nil {
				return explain(err)
			}
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(r)
			}
			fmt.Printf("%s: %d passages × %d dims, %d queries (embedded in %.0f s)\n", r.Model, r.Passages, r.Dims, r.Queries, r.EmbedS)
			for _, p := range r.Points {
				fmt.Printf("  %5d candidates: recall@10 %.4f\n", p.Candidates, p.Recall)
			}
			fmt.Printf("  search as it runs: recall@10 %.4f\n", r.Search)
			return nil
		},
	}
}
