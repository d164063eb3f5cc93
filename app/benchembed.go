package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/carrel-ai/carrel/lab"
)

func benchEmbedCmd() *command {
	fs := flag.NewFlagSet("bench embed", flag.ContinueOnError)
	model := fs.String("model", "", "GGUF embedding model `file` (default: the built-in one)")
	dataset := fs.String("dataset", "", "BEIR-layout `folder` whose passages and queries are embedded (default: generated English-like text)")
	n := fs.Int("passages", 500, "passages to embed")
	nq := fs.Int("queries", 200, "queries to embed one at a time, for latency")
	threads := fs.Int("threads", 0, "CPU threads (0: one per physical core)")
	runs := fs.Int("runs", 3, "runs of each loop; the best is kept")
	cpu := fs.Bool("cpu", false, "run on the CPU even when a GPU is present")
	asJSON := fs.Bool("json", false, "print JSON")
	return &command{
		Name: "bench embed", Usage: "[--model FILE] [--dataset DIR] [--passages N] [--threads N] [--json]",
		Short: "embedding throughput (passages/s, tokens/s) beside llama.cpp's own embedding loop on the same model and threads, and query latency",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("bench embed takes no arguments")
			}
			if *n < 1 || *nq < 0 || *runs < 1 || *threads < 0 {
				return usagef("--passages and --runs must be at least 1, --queries and --threads 0 or more")
			}
			r, err := lab.BenchEmbed(ctx, lab.EmbedBench{Model: *model, Dataset: *dataset, Passages: *n, Queries: *nq, Threads: *threads, Runs: *runs, CPUOnly: *cpu})
			if err != nil {
				return explain(err)
			}
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(r)
			}
			fmt.Printf("%s, %d threads: %d passages, %d tokens (%.0f per passage)\n", r.Model, r.Threads, r.Passages, r.Tokens, float64(r.Tokens)/float64(r.Passages))
			fmt.Printf("  Carrel          %7.1f passages/s  %7.0f tokens/s\n", r.Carrel.PassagesPS, r.Carrel.TokensPS)
			fmt.Printf("  llama.cpp loop  %7.1f passages/s  %7.0f tokens/s\n", r.Native.PassagesPS, r.Native.TokensPS)
			fmt.Printf("  ratio %.2f×, vectors agree to cosine %.5f or better\n", r.Ratio, r.MinCos)
			if r.Queries > 0 {
				fmt.Printf("  a query alone: p50 %.1f ms, p99 %.1f ms (%d queries)\n", r.QueryP50, r.QueryP99, r.Queries)
			}
			return nil
		},
	}
}
