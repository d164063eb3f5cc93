package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/lab"
)

// embedBench is what `carrel bench embed` measured; its JSON is stable.
type embedBench struct {
	Model    string  `json:"model"`
	Threads  int     `json:"threads"`
	Passages int     `json:"passages"`
	Tokens   int     `json:"tokens"`
	Carrel   rate    `json:"carrel"`
	Native   rate    `json:"llama_cpp_loop"`
	Ratio    float64 `json:"ratio"`   // Carrel's tokens/s over the native loop's
	MinCos   float64 `json:"min_cos"` // the least cosine between the two loops' vectors of one passage
	Queries  int     `json:"queries"` // short texts embedded one at a time
	QueryP50 float64 `json:"query_p50_ms"`
	QueryP99 float64 `json:"query_p99_ms"`
}

type rate struct {
	Seconds     float64 `json:"s"`
	PassagesPS  float64 `json:"passages_per_s"`
	TokensPS    float64 `json:"tokens_per_s"`
	BestOfRuns  int     `json:"runs"`
	Description string  `json:"how"`
}

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
			path := *model
			if path == "" {
				m := engine.Options{}.SearchMethodFor(engine.Settings{})
				if !m.Meaning {
					return fmt.Errorf("no built-in embedding model: %s; give --model FILE", m.Note)
				}
				path = m.Model
			}
			passages, queries, err := benchTexts(*dataset, *n, *nq)
			if err != nil {
				return err
			}
			m, err := llm.Load(ctx, path, llm.ModelOptions{CPUOnly: *cpu})
			if err != nil {
				return explain(err)
			}
			defer m.Close()
			emb, err := m.NewEmbedder(llm.EmbedOptions{Threads: *threads})
			if err != nil {
				return explain(err)
			}
			defer emb.Close()
			r := embedBench{Model: path, Threads: *threads, Passages: len(passages), Queries: len(queries)}
			if r.Threads == 0 {
				r.Threads = llm.PhysicalCores()
			}
			for _, p := range passages {
				tk, err := m.Tokenize(p, true)
				if err != nil {
					return err
				}
				r.Tokens += min(len(tk), emb.MaxTokens())
			}
			// A warm-up, so neither loop pays for first-use costs.
			if _, err := emb.Embed(ctx, passages[:min(8, len(passages))]); err != nil {
				return err
			}
			var ours, theirs [][]float32
			best := func(cur *rate, d time.Duration) {
				if cur.Seconds == 0 || d.Seconds() < cur.Seconds {
					cur.Seconds = d.Seconds()
				}
			}
			for i := 0; i < *runs; i++ {
				t0 := time.Now()
				if ours, err = emb.Embed(ctx, passages); err != nil {
					return err
				}
				best(&r.Carrel, time.Since(t0))
				var d time.Duration
				if theirs, d, err = emb.EmbedNative(ctx, passages); err != nil {
					return err
				}
				best(&r.Native, d)
			}
			for _, x := range []*rate{&r.Carrel, &r.Native} {
				x.PassagesPS, x.TokensPS, x.BestOfRuns = float64(len(passages))/x.Seconds, float64(r.Tokens)/x.Seconds, *runs
			}
			r.Carrel.Description = "Carrel's embedder (engine/llm), tokenizing included"
			r.Native.Description = "llama.cpp's embedding-example loop in C over the same context, tokenizing excluded"
			r.Ratio = r.Carrel.TokensPS / r.Native.TokensPS
			r.MinCos = 1
			for i := range ours {
				r.MinCos = min(r.MinCos, cosine(ours[i], theirs[i]))
			}
			var lat []float64
			for _, q := range queries {
				t0 := time.Now()
				if _, err := emb.Embed(ctx, []string{q}); err != nil {
					return err
				}
				lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
			}
			r.QueryP50, r.QueryP99 = percentile(lat, 0.50), percentile(lat, 0.99)
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(r)
			}
			fmt.Printf("%s, %d threads: %d passages, %d tokens (%.0f per passage)\n", path, r.Threads, r.Passages, r.Tokens, float64(r.Tokens)/float64(r.Passages))
			fmt.Printf("  Carrel          %7.1f passages/s  %7.0f tokens/s\n", r.Carrel.PassagesPS, r.Carrel.TokensPS)
			fmt.Printf("  llama.cpp loop  %7.1f passages/s  %7.0f tokens/s\n", r.Native.PassagesPS, r.Native.TokensPS)
			fmt.Printf("  ratio %.2f×, vectors agree to cosine %.5f or better\n", r.Ratio, r.MinCos)
			if len(lat) > 0 {
				fmt.Printf("  a query alone: p50 %.1f ms, p99 %.1f ms (%d queries)\n", r.QueryP50, r.QueryP99, len(lat))
			}
			return nil
		},
	}
}

// benchTexts are the passages and queries to embed: a dataset's, or
// English-like text made from a fixed vocabulary.
func benchTexts(dataset string, n, nq int) ([]string, []string, error) {
	if dataset != "" {
		ps, qs, err := lab.DatasetTexts(dataset)
		if err != nil {
			return nil, nil, err
		}
		if len(ps) == 0 {
			return nil, nil, fmt.Errorf("%s has no passages", dataset)
		}
		return ps[:min(n, len(ps))], qs[:min(nq, len(qs))], nil
	}
	words := strings.Fields(`the of and to in a is that for it as was with be by on not he this are or his from at which but have an they
		you were her she there one all we their been has when who will more no if out so said what up its about into than them can only other
		new some could time these two may then do first any my now such like our over man me even most made after also did many before must
		through back years where much your way well down should because each just those people how too little state good very make world still
		own see men work long get here between both life being under never day same another know while last might us great old year off come
		since against go came right used take three river city water church music school war government market energy language history science`)
	rng := rand.New(rand.NewPCG(1, 2))
	text := func(k int) string {
		var b strings.Builder
		for i := 0; i < k; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		return b.String()
	}
	ps := make([]string, n)
	for i := range ps {
		ps[i] = text(100 + rng.IntN(150))
	}
	qs := make([]string, nq)
	for i := range qs {
		qs[i] = text(6 + rng.IntN(8))
	}
	return ps, qs, nil
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)]
}
