package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/retrieve"
)

// randomEmbedder gives queries random unit vectors, for timing.
type randomEmbedder struct {
	dims int
	rng  *rand.Rand
}

func (r *randomEmbedder) Model() string { return "synthetic" }
func (r *randomEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range texts {
		out[i] = randomUnit(r.rng, r.dims)
	}
	return out, nil
}

func randomUnit(rng *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	var s float64
	for i := range v {
		v[i] = float32(rng.NormFloat64())
		s += float64(v[i] * v[i])
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}

func benchIndexCmd() *command {
	fs := flag.NewFlagSet("bench index", flag.ContinueOnError)
	n := fs.Int("chunks", 10000, "chunks in the synthetic library")
	dims := fs.Int("dims", 384, "vector dimensions")
	queries := fs.Int("queries", 200, "queries to time")
	dir := fs.String("dir", "", "build the library in this `folder` (default: a temporary one, removed)")
	asJSON := fs.Bool("json", false, "print JSON")
	phase := fs.String("phase", "", "internal: \"query\" times an existing --dir library in this process")
	return &command{
		Name: "bench index", Usage: "--chunks N [--dims 384] [--json]",
		Short: "build a synthetic library through the real storage path and time adding, querying and reopening",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if *n < 100 || *dims < 8 {
				return usagef("--chunks must be at least 100 and --dims at least 8")
			}
			work := *dir
			if work == "" {
				var err error
				if work, err = os.MkdirTemp("", "carrel-bench-index-"); err != nil {
					return err
				}
				defer os.RemoveAll(work)
			}
			rng := rand.New(rand.NewPCG(7, 11))
			words := syntheticWords(rng, 20000)
			if *phase == "query" {
				out, err := benchQueries(ctx, work, *n, *dims, *queries, rng, words)
				if err != nil {
					return err
				}
				return json.NewEncoder(os.Stdout).Encode(out)
			}
			idx, err := index.Open(ctx, work, "synthetic")
			if err != nil {
				return err
			}
			start := time.Now()
			if err := buildSynthetic(ctx, idx, *n, *dims, rng, words); err != nil {
				idx.Close()
				return err
			}
			addRate := float64(*n) / time.Since(start).Seconds()
			idx.Close()
			// Reopening and querying run in a fresh process, so its memory
			// is what a user's app would hold, not the builder's leftovers.
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			cmd := exec.CommandContext(ctx, exe, "bench", "index", "--phase", "query", "--dir", work,
				"--chunks", fmt.Sprint(*n), "--dims", fmt.Sprint(*dims), "--queries", fmt.Sprint(*queries))
			cmd.Stderr = os.Stderr
			raw, err := cmd.Output()
			if err != nil {
				return fmt.Errorf("timing queries: %w", err)
			}
			var out map[string]any
			if err := json.Unmarshal(raw, &out); err != nil {
				return fmt.Errorf("timing queries: %w", err)
			}
			out["add_per_s"] = addRate
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(out)
			}
			fmt.Printf("%d chunks × %d dims: add %.0f chunks/s · reopen %.0f ms · lost %v\n", *n, *dims, addRate, out["reopen_ms"], out["lost"])
			fmt.Printf("query p50/p99: hybrid %.1f/%.1f ms · vector %.1f/%.1f ms · lexical %.1f/%.1f ms\n",
				out["query_p50_ms"], out["query_p99_ms"], out["vector_p50_ms"], out["vector_p99_ms"], out["lexical_p50_ms"], out["lexical_p99_ms"])
			fmt.Printf("memory: %.0f MB resident, raw vectors %.0f MB (%.2f×)\n", out["rss_mb"], out["raw_vector_mb"], out["rss_mb"].(float64)/out["raw_vector_mb"].(float64))
			return nil
		},
	}
}

// benchQueries reopens a built library and times searches.
func benchQueries(ctx context.Context, dir string, n, dims, queries int, rng *rand.Rand, words []string) (map[string]any, error) {
	base := rssMB()
	t0 := time.Now()
	idx, err := index.Open(ctx, dir, "synthetic")
	if err != nil {
		return nil, err
	}
	defer idx.Close()
	reopen := time.Since(t0)
	st, err := idx.Stats(ctx, 0)
	if err != nil {
		return nil, err
	}
	r := retrieve.New(idx, &randomEmbedder{dims, rng})
	timed := func(mode retrieve.Mode) (p50, p99 float64, err error) {
		var ts []float64
		for q := 0; q < queries; q++ {
			query := syntheticText(rng, words, 6)
			t := time.Now()
			if _, err := r.Search(ctx, query, retrieve.Options{K: 10, Mode: mode}); err != nil {
				return 0, 0, err
			}
			ts = append(ts, float64(time.Since(t).Microseconds())/1000)
		}
		sort.Float64s(ts)
		return ts[len(ts)/2], ts[min(len(ts)-1, len(ts)*99/100)], nil
	}
	out := map[string]any{"chunks": n, "dims": dims, "reopen_ms": float64(reopen.Microseconds()) / 1000, "lost": n - st.Vectors}
	for _, m := range []struct {
		mode retrieve.Mode
		key  string
	}{{retrieve.Hybrid, "query"}, {retrieve.Vector, "vector"}, {retrieve.Lexical, "lexical"}} {
		p50, p99, err := timed(m.mode)
		if err != nil {
			return nil, err
		}
		out[m.key+"_p50_ms"], out[m.key+"_p99_ms"] = p50, p99
	}
	out["rss_mb"] = rssMB() - base
	out["raw_vector_mb"] = float64(n) * float64(dims) * 4 / (1 << 20)
	return out, nil
}

// buildSynthetic fills a library "bench" with n chunks of synthetic text,
// 20 to a document, through the index's real write path; with dims > 0
// each chunk gets a random unit vector of the model "synthetic".
func buildSynthetic(ctx context.Context, idx *index.Index, n, dims int, rng *rand.Rand, words []string) error {
	lib, err := idx.Library(ctx, "bench")
	if err != nil {
		return err
	}
	const perDoc = 20
	docs := (n + perDoc - 1) / perDoc
	for d := 0; d < docs; d++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc, _, err := idx.Enqueue(ctx, lib.ID, fmt.Sprintf("/bench/doc-%06d.txt", d), 1000, time.Unix(int64(d), 0))
		if err != nil {
			return err
		}
		k := min(perDoc, n-d*perDoc)
		chunks := make([]index.Chunk, k)
		var vecs [][]float32
		model := ""
		if dims > 0 {
			vecs, model = make([][]float32, k), "synthetic"
		}
		for i := range chunks {
			chunks[i] = index.Chunk{Text: syntheticText(rng, words, 60), Page: i + 1}
			if dims > 0 {
				vecs[i] = randomUnit(rng, dims)
			}
		}
		if err := idx.Replace(ctx, doc.ID, index.Meta{Hash: fmt.Sprint(d), Format: "text"}, chunks, vecs, model); err != nil {
			return err
		}
	}
	return nil
}

func syntheticWords(rng *rand.Rand, n int) []string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	words := make([]string, n)
	for i := range words {
		l := 3 + rng.IntN(7)
		b := make([]byte, l)
		for j := range b {
			b[j] = letters[rng.IntN(len(letters))]
		}
		words[i] = string(b)
	}
	return words
}

// syntheticText draws words with a Zipf-like skew, as real text has.
func syntheticText(rng *rand.Rand, words []string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		r := rng.Float64()
		b.WriteString(words[int(float64(len(words))*r*r*r)])
	}
	return b.String()
}

// rssMB is the process's resident memory, from /proc on Linux; elsewhere
// the Go heap in use.
func rssMB() float64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmRSS:") {
				var kb float64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:")), "%f", &kb)
				return kb / 1024
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}
