package lab

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/engine/synth"
)

// The model tools: a model run outside any library, to see what it writes
// and to measure it (carrel generate, embed, bench gen, lookup, synth and
// embed). They use engine/llm directly, with the knobs a measurement turns.

// ModelOptions load a model for the model tools.
type ModelOptions struct {
	Path         string
	CPUOnly      bool
	GPULayers    int    // layers to offload; 0: all that fit
	Threads      int    // CPU threads; 0: one per physical core
	ContextSize  int    // tokens; 0: the model's, at most 4096
	BatchSize    int    // prompt tokens evaluated per step; 0: 512
	Poll         int    // how eagerly idle CPU threads wait: 1 to 100, -1 none, 0 the default
	Flash        string // flash attention: "on", "off", or "" and "auto" for llama.cpp's choice
	Adapter      string
	AdapterScale float32
	// Progress, if set, receives the share of the model loaded.
	Progress func(float32)
}

func flashAttention(s string) llm.FlashAttention {
	switch s {
	case "on":
		return llm.FlashOn
	case "off":
		return llm.FlashOff
	}
	return llm.FlashAuto
}

// open loads the model, makes a context and applies the adapter; close
// frees all three.
func (o ModelOptions) open(ctx context.Context) (c *llm.Context, closeAll func(), err error) {
	if !llm.Available() {
		return nil, nil, llm.ErrUnavailable
	}
	model, err := llm.Load(ctx, o.Path, llm.ModelOptions{CPUOnly: o.CPUOnly, GPULayers: o.GPULayers, Progress: o.Progress})
	if err != nil {
		return nil, nil, err
	}
	c, err = model.NewContext(llm.ContextOptions{ContextSize: o.ContextSize, BatchSize: o.BatchSize, Threads: o.Threads, Poll: o.Poll, FlashAttention: flashAttention(o.Flash)})
	if err != nil {
		model.Close()
		return nil, nil, err
	}
	var adapter *llm.Adapter
	if o.Adapter != "" {
		if adapter, err = model.LoadAdapter(o.Adapter); err == nil {
			err = c.ApplyAdapter(adapter, o.AdapterScale)
		}
		if err != nil {
			c.Close()
			if adapter != nil {
				adapter.Close()
			}
			model.Close()
			return nil, nil, err
		}
	}
	return c, func() {
		c.Close()
		if adapter != nil {
			adapter.Close()
		}
		model.Close()
	}, nil
}

// Generation shapes a continuation.
type Generation struct {
	MaxTokens int
	Stop      []string
	Sampling  engine.Sampling
}

// Generate continues prompt, streaming the text to out, and returns the
// line of figures the generation gives (tokens, speed, why it stopped).
func Generate(ctx context.Context, o ModelOptions, prompt string, g Generation, out io.Writer) (figures string, err error) {
	c, closeAll, err := o.open(ctx)
	if err != nil {
		return "", err
	}
	defer closeAll()
	sp := g.Sampling
	st, err := c.Generate(ctx, prompt, llm.GenerateOptions{MaxTokens: g.MaxTokens, Stop: g.Stop, Sampling: &sp}, func(s string) error {
		_, err := io.WriteString(out, s)
		return err
	})
	return fmt.Sprintf("prompt %d tokens (%d cached, %.0f tok/s) · generated %d tokens at %.1f tok/s · first token %s · total %s · stop: %s",
		st.PromptTokens, st.CachedTokens, st.PromptTokensPerSecond(), st.GeneratedTokens, st.TokensPerSecond(),
		st.FirstToken.Round(time.Millisecond), st.Duration.Round(time.Millisecond), st.Reason), err
}

// GenBench is a measurement of prompt reading and generation, as
// llama.cpp's llama-bench makes it: ppN and tgN tokens per second.
type GenBench struct {
	PP, TG, Reps int
	// Native also runs the loop in C, as llama-bench does.
	Native bool
	// JSON prints the figures as JSON instead of llama-bench's table.
	JSON bool
	// BuildFlags are the C flags llama.cpp was built with, for the record.
	BuildFlags string
}

// BenchGen measures prompt reading and generation and prints the result
// to out.
func BenchGen(ctx context.Context, o ModelOptions, b GenBench, out io.Writer) error {
	if o.ContextSize == 0 {
		o.ContextSize = b.PP + b.TG + 16
	}
	if o.BatchSize == 0 {
		o.BatchSize = max(b.PP, 1) // one batch, as llama-bench's default
	}
	c, closeAll, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	r, err := c.Bench(ctx, b.PP, b.TG, b.Reps)
	if err != nil {
		return err
	}
	var nr *llm.BenchResult
	if b.Native {
		n, err := c.BenchNative(ctx, b.PP, b.TG, b.Reps)
		if err != nil {
			return err
		}
		nr = &n
	}
	info := c.Model().Info()
	if b.JSON {
		rep := map[string]any{
			"model": info.Path, "model_name": info.Name, "quantization": info.Quantization,
			"params": info.Params, "size_bytes": info.FileSize,
			"threads": r.Threads, "backend": r.Backend, "gpu_layers": c.Model().Placement().GPULayers,
			"reps": r.Reps, "cpu_build_flags": b.BuildFlags,
		}
		if b.PP > 0 {
			rep[fmt.Sprintf("pp%d_tps", b.PP)] = r.PromptTPS
			rep[fmt.Sprintf("pp%d_stddev", b.PP)] = r.PromptStdDev
		}
		if b.TG > 0 {
			rep[fmt.Sprintf("tg%d_tps", b.TG)] = r.GenTPS
			rep[fmt.Sprintf("tg%d_stddev", b.TG)] = r.GenStdDev
		}
		if nr != nil {
			rep["native"] = map[string]float64{
				fmt.Sprintf("pp%d_tps", b.PP): nr.PromptTPS, fmt.Sprintf("tg%d_tps", b.TG): nr.GenTPS,
			}
		}
		return json.NewEncoder(out).Encode(rep)
	}
	fmt.Fprintf(out, "| model | size | params | backend | threads | test | t/s |\n|---|---:|---:|---|---:|---|---:|\n")
	quant := info.Quantization
	if quant == "" {
		quant = "-"
	}
	row := func(test string, tps, sd float64) {
		fmt.Fprintf(out, "| %s %s | %s | %s | %s | %d | %s | %.2f ± %.2f |\n", info.Name, quant,
			models.SizeText(info.FileSize), models.ParamsText(info.Params), r.Backend, r.Threads, test, tps, sd)
	}
	rows := func(r llm.BenchResult, suffix string) {
		if b.PP > 0 {
			row(fmt.Sprintf("pp%d%s", b.PP, suffix), r.PromptTPS, r.PromptStdDev)
		}
		if b.TG > 0 {
			row(fmt.Sprintf("tg%d%s", b.TG, suffix), r.GenTPS, r.GenStdDev)
		}
	}
	rows(r, "")
	if nr != nil {
		rows(*nr, " (C loop)")
	}
	return nil
}

// BenchLookup measures greedy generation with and without prompt-lookup
// decoding on prompt, checks that both write the same, and prints the
// result to out.
func BenchLookup(ctx context.Context, o ModelOptions, prompt string, tokens, reps int, asJSON bool, out io.Writer) error {
	c, closeAll, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	r, err := c.BenchLookup(ctx, prompt, tokens, reps)
	if err != nil {
		return err
	}
	info := c.Model().Info()
	if asJSON {
		return json.NewEncoder(out).Encode(map[string]any{"model": info.Path, "model_name": info.Name, "threads": c.ActiveThreads(),
			"backend": c.Model().Placement().Backend, "result": r, "speedup": r.Speedup()})
	}
	fmt.Fprintf(out, "%s · %s · %d threads · %d tokens, %d runs each way\n", info.Name, c.Model().Placement().Backend, c.ActiveThreads(), r.Tokens, r.Reps)
	fmt.Fprintf(out, "plain   %.1f tokens/s\nlookup  %.1f tokens/s (%.2f×) · %d of %d drafted tokens taken · same text\n",
		r.Plain, r.Lookup, r.Speedup(), r.Accepted, r.Drafted)
	return nil
}

// SyntheticModel describes a synthetic model: a real model's dimensions
// with random weights, in one of the architectures Carrel runs.
type SyntheticModel struct {
	Shape   string // one of SyntheticShapes
	Arch    string // one of SyntheticArchs; "" for llama
	Quant   string // Q4_K_M, Q8_0, F16, … (any llama.cpp file type)
	Out     string // the file to write
	Vocab   string // a GGUF file to take the tokenizer from; "" for a built-in one
	Seed    uint64
	Threads int // for quantizing; 0: one per physical core
}

// SyntheticShapes names the shapes a synthetic model can have.
func SyntheticShapes() []string { return synth.ShapeNames() }

// SyntheticArchs names the architectures a synthetic model can have.
func SyntheticArchs() []string { return synth.ArchNames() }

// UsageError is a description of a synthetic model that cannot be made:
// an unknown shape or type.
type UsageError struct{ Reason string }

func (e *UsageError) Error() string { return e.Reason }

// WriteSyntheticModel writes the model, quantized by llama.cpp, saying
// what it does on info.
func WriteSyntheticModel(ctx context.Context, m SyntheticModel, info io.Writer) error {
	s, ok := synth.Shapes[m.Shape]
	if !ok {
		return &UsageError{fmt.Sprintf("unknown shape %q (one of %s)", m.Shape, strings.Join(synth.ShapeNames(), ", "))}
	}
	ft, err := gguf.ParseFileType(m.Quant)
	if err != nil {
		return &UsageError{err.Error()}
	}
	arch, ok := synth.Archs[cmp.Or(m.Arch, "llama")]
	if !ok {
		return &UsageError{fmt.Sprintf("unknown architecture %q (one of %s)", m.Arch, strings.Join(synth.ArchNames(), ", "))}
	}
	if s.Layers < arch.MinLayers {
		return &UsageError{fmt.Sprintf("a %s model needs at least %d layers; the %s shape has %d", arch.Name, arch.MinLayers, s.Name, s.Layers)}
	}
	o := synth.Options{Shape: s, Arch: arch.Name, Type: gguf.TensorF16, Seed: m.Seed, ChatTemplate: arch.Template}
	if ft == 0 {
		o.Type = gguf.TensorF32
	}
	if m.Vocab != "" {
		if o.Tokenizer, err = gguf.Open(m.Vocab); err != nil {
			return fmt.Errorf("reading the tokenizer from %s: %w", m.Vocab, err)
		}
	}
	start := time.Now()
	fmt.Fprintf(info, "writing a %s-shaped %s model (%s parameters) …\n", s.Name, arch.Name, models.ParamsText(s.Params()))
	if ft == 0 || ft == 1 {
		if err := synth.Write(ctx, m.Out, o); err != nil {
			return err
		}
	} else {
		tmp := filepath.Join(filepath.Dir(m.Out), "."+filepath.Base(m.Out)+".f16")
		defer os.Remove(tmp)
		if err := synth.Write(ctx, tmp, o); err != nil {
			return err
		}
		fmt.Fprintf(info, "quantizing to %v with llama.cpp …\n", ft)
		if err := llm.Quantize(ctx, tmp, m.Out, ft, m.Threads); err != nil {
			return err
		}
	}
	st, err := os.Stat(m.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(info, "wrote %s (%s) in %s\n", m.Out, models.SizeText(st.Size()), time.Since(start).Round(time.Second))
	return nil
}

// Embed writes each text's embedding vector by the model at path as a JSON
// line to out.
func Embed(ctx context.Context, path string, cpuOnly bool, threads int, texts []string, out io.Writer) error {
	m, err := llm.Load(ctx, path, llm.ModelOptions{CPUOnly: cpuOnly})
	if err != nil {
		return err
	}
	defer m.Close()
	e, err := m.NewEmbedder(llm.EmbedOptions{Threads: threads})
	if err != nil {
		return err
	}
	defer e.Close()
	vs, err := e.Embed(ctx, texts)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	for i, v := range vs {
		if err := enc.Encode(struct {
			Index     int       `json:"index"`
			Text      string    `json:"text"`
			Dims      int       `json:"dims"`
			Embedding []float32 `json:"embedding"`
		}{i, texts[i], len(v), v}); err != nil {
			return fmt.Errorf("writing vectors: %w", err)
		}
	}
	return nil
}

// EmbedBench is a measurement of embedding throughput beside llama.cpp's
// own embedding loop, and of a query's latency.
type EmbedBench struct {
	Model    string // the GGUF embedding model; "" for the built-in one
	Dataset  string // a BEIR-layout folder whose texts are embedded; "" for generated English-like text
	Passages int
	Queries  int
	Threads  int
	Runs     int // of each loop; the best is kept
	CPUOnly  bool
}

// EmbedReport is what BenchEmbed measured; its JSON is stable.
type EmbedReport struct {
	Model    string     `json:"model"`
	Threads  int        `json:"threads"`
	Passages int        `json:"passages"`
	Tokens   int        `json:"tokens"`
	Carrel   EmbedSpeed `json:"carrel"`
	Native   EmbedSpeed `json:"llama_cpp_loop"`
	Ratio    float64    `json:"ratio"`   // Carrel's tokens/s over the native loop's
	MinCos   float64    `json:"min_cos"` // the least cosine between the two loops' vectors of one passage
	Queries  int        `json:"queries"` // short texts embedded one at a time
	QueryP50 float64    `json:"query_p50_ms"`
	QueryP99 float64    `json:"query_p99_ms"`
}

// EmbedSpeed is one loop's best run.
type EmbedSpeed struct {
	Seconds     float64 `json:"s"`
	PassagesPS  float64 `json:"passages_per_s"`
	TokensPS    float64 `json:"tokens_per_s"`
	BestOfRuns  int     `json:"runs"`
	Description string  `json:"how"`
}

// embeddingModel is the embedding model file a benchmark measures: the
// one given, or the built-in one.
func embeddingModel(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	m := engine.Options{}.SearchMethodFor(engine.Settings{})
	if !m.Meaning {
		return "", fmt.Errorf("no built-in embedding model: %s; give --model FILE", m.Note)
	}
	return m.Model, nil
}

// BenchEmbed embeds the same passages with Carrel's embedder and with
// llama.cpp's embedding loop on one context, checks that both give the
// same vectors, and times queries one at a time.
func BenchEmbed(ctx context.Context, b EmbedBench) (*EmbedReport, error) {
	path, err := embeddingModel(b.Model)
	if err != nil {
		return nil, err
	}
	passages, queries, err := benchTexts(b.Dataset, b.Passages, b.Queries)
	if err != nil {
		return nil, err
	}
	m, err := llm.Load(ctx, path, llm.ModelOptions{CPUOnly: b.CPUOnly})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	emb, err := m.NewEmbedder(llm.EmbedOptions{Threads: b.Threads})
	if err != nil {
		return nil, err
	}
	defer emb.Close()
	r := &EmbedReport{Model: path, Threads: b.Threads, Passages: len(passages), Queries: len(queries)}
	if r.Threads == 0 {
		r.Threads = llm.PhysicalCores()
	}
	for _, p := range passages {
		tk, err := m.Tokenize(p, true)
		if err != nil {
			return nil, err
		}
		r.Tokens += min(len(tk), emb.MaxTokens())
	}
	// A warm-up, so neither loop pays for first-use costs.
	if _, err := emb.Embed(ctx, passages[:min(8, len(passages))]); err != nil {
		return nil, err
	}
	var ours, theirs [][]float32
	best := func(cur *EmbedSpeed, d time.Duration) {
		if cur.Seconds == 0 || d.Seconds() < cur.Seconds {
			cur.Seconds = d.Seconds()
		}
	}
	for i := 0; i < b.Runs; i++ {
		t0 := time.Now()
		if ours, err = emb.Embed(ctx, passages); err != nil {
			return nil, err
		}
		best(&r.Carrel, time.Since(t0))
		var d time.Duration
		if theirs, d, err = emb.EmbedNative(ctx, passages); err != nil {
			return nil, err
		}
		best(&r.Native, d)
	}
	for _, x := range []*EmbedSpeed{&r.Carrel, &r.Native} {
		x.PassagesPS, x.TokensPS, x.BestOfRuns = float64(len(passages))/x.Seconds, float64(r.Tokens)/x.Seconds, b.Runs
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
			return nil, err
		}
		lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
	}
	r.QueryP50, r.QueryP99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return r, nil
}

// benchTexts are the passages and queries to embed: a dataset's, or
// English-like text made from a fixed vocabulary.
func benchTexts(dataset string, n, nq int) ([]string, []string, error) {
	if dataset != "" {
		ps, qs, err := DatasetTexts(dataset)
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
