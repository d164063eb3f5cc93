package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/lab"
)

func benchIndexCmd() *command {
	fs := flag.NewFlagSet("bench index", flag.ContinueOnError)
	n := fs.Int("chunks", 10000, "chunks in the synthetic library")
	dims := fs.Int("dims", 384, "vector dimensions")
	queries := fs.Int("queries", 200, "queries to time")
	dir := fs.String("dir", "", "build the library in this `folder` (default: a temporary one, removed)")
	asJSON := fs.Bool("json", false, "print JSON")
	phase := fs.String("phase", "", "internal: \"query\" times an existing --dir library in this process")
	store := fs.String("store", "", "build the library on this PostgreSQL server (a postgres:// `URL` of an empty database) instead of in a folder")
	return &command{
		Name: "bench index", Usage: "--chunks N [--dims 384] [--store postgres://…] [--json]",
		Short: "build a synthetic library through the real storage path and time adding, querying and reopening",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if *n < 100 || *dims < 8 {
				return usagef("--chunks must be at least 100 and --dims at least 8")
			}
			if *store != "" && !engine.IsLibraryServer(*store) {
				return usagef("--store must be a PostgreSQL connection string starting with postgres://")
			}
			work := *dir
			if work == "" {
				var err error
				if work, err = os.MkdirTemp("", "carrel-bench-index-"); err != nil {
					return err
				}
				defer os.RemoveAll(work)
			}
			if *phase == "query" {
				out, err := lab.BenchSyntheticQueries(ctx, work, *store, *n, *dims, *queries)
				if err != nil {
					return err
				}
				return json.NewEncoder(os.Stdout).Encode(out)
			}
			took, err := lab.BuildSyntheticLibrary(ctx, work, *store, *n, *dims)
			if err != nil {
				return err
			}
			if took == 0 {
				return fmt.Errorf("the store already holds a library of %d passages: give an empty or new --dir or --store database", *n)
			}
			addRate := float64(*n) / took.Seconds()
			// Reopening and querying run in a fresh process, so its memory
			// is what a user's app would hold, not the builder's leftovers.
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			cmd := exec.CommandContext(ctx, exe, "bench", "index", "--phase", "query", "--dir", work,
				"--chunks", fmt.Sprint(*n), "--dims", fmt.Sprint(*dims), "--queries", fmt.Sprint(*queries), "--store", *store)
			cmd.Stderr = os.Stderr
			raw, err := cmd.Output()
			if err != nil {
				return fmt.Errorf("timing queries: %w", err)
			}
			var out lab.QueryTimes
			if err := json.Unmarshal(raw, &out); err != nil {
				return fmt.Errorf("timing queries: %w", err)
			}
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(struct {
					lab.QueryTimes
					AddPerS float64 `json:"add_per_s"`
				}{out, addRate})
			}
			fmt.Printf("%d chunks × %d dims: add %.0f chunks/s · reopen %.0f ms · lost %v\n", *n, *dims, addRate, out.ReopenMS, out.Lost)
			fmt.Printf("query p50/p99: hybrid %.1f/%.1f ms · vector %.1f/%.1f ms · lexical %.1f/%.1f ms\n",
				out.HybridP50MS, out.HybridP99MS, out.VectorP50MS, out.VectorP99MS, out.LexicalP50MS, out.LexicalP99MS)
			fmt.Printf("lexical ranking in the index p50/p99: postings %.1f/%.1f ms · FTS5 %.1f/%.1f ms · queries scored differently: %d\n",
				out.IndexLexicalP50MS, out.IndexLexicalP99MS, out.FTS5LexicalP50MS, out.FTS5LexicalP99MS, out.LexicalDiffer)
			fmt.Printf("memory: %.0f MB resident, raw vectors %.0f MB (%.2f×)\n", out.RSSMB, out.RawVectorMB, out.RSSMB/out.RawVectorMB)
			fmt.Printf("vector search: %s, recall@10 %.3f against exact search", out.VectorSearch, out.Recall)
			if out.VectorSearch != "memory" {
				fmt.Printf(", HNSW index built in %.1f s at reopening", out.IndexBuildS)
			}
			fmt.Println()
			return nil
		},
	}
}
