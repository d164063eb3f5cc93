//go:build cgo

package llm

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/synth"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// The CPU kernels Carrel carries in third_party/ollama (tiled flash
// attention for prompts, and weights repacked for the CPU's matrix
// kernels) must compute what llama.cpp's plain paths compute: every
// logit of every row of a prompt, read in two parts so that the second
// part's queries see a cache longer than themselves, agrees with
// attention done as separate matrix products, and a quantized model's
// logits agree with and without repacking. Heads of 64 dimensions and
// grouped-query attention, as the small models Carrel recommends have.
func TestCPUKernelsMatchPlainPaths(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	shape := synth.Shape{Name: "attention", Embd: 256, Layers: 2, Heads: 4, HeadsKV: 2, FF: 512, Vocab: 512, Context: 1024}
	f32 := filepath.Join(dir, "f32.gguf")
	if err := synth.Write(ctx, f32, synth.Options{Shape: shape, Type: gguf.TensorF32, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	q4 := filepath.Join(dir, "q4km.gguf")
	if err := Quantize(ctx, f32, q4, 15 /* Q4_K_M */, 0); err != nil {
		t.Fatal(err)
	}
	words := strings.Fields("the river ran past the old mill where a keeper of letters sorted the mail of seven villages and wrote down every name he read")
	var text strings.Builder
	for i := 0; text.Len() < 2400; i++ {
		text.WriteString(words[(i*7+i/len(words))%len(words)])
		text.WriteByte(' ')
	}

	// logits reads the text in two parts of a context and returns every row's logits.
	logits := func(t *testing.T, path string, mo ModelOptions, flash FlashAttention) [][]float32 {
		m, err := Load(ctx, path, mo)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		x, err := m.NewContext(ContextOptions{ContextSize: 1024, BatchSize: 512, Threads: 2, FlashAttention: flash})
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		toks := m.tokenize(text.String(), true)
		if len(toks) < 300 {
			t.Fatalf("only %d tokens", len(toks))
		}
		toks = toks[:300]
		nVocab := shape.Vocab
		var rows [][]float32
		for _, part := range [][2]int{{0, 100}, {100, 300}} {
			if err := x.decodeRows(ctx, toks[part[0]:part[1]], part[0], true, true); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < part[1]-part[0]; i++ {
				rows = append(rows, append([]float32(nil), x.rowLogits(i, nVocab)...))
			}
		}
		return rows
	}
	// compare bounds the largest and the root-mean-square difference of
	// the logits, relative to their spread. Quantized models quantize each
	// layer's activations, which turns rounding differences into steps of
	// a quantum: their bound is looser.
	compare := func(t *testing.T, got, want [][]float32, tol float64) {
		t.Helper()
		worst, spread, sq, n := 0.0, 0.0, 0.0, 0
		for r := range want {
			lo, hi := math.Inf(1), math.Inf(-1)
			for i, w := range want[r] {
				d := math.Abs(float64(got[r][i] - w))
				worst = max(worst, d)
				sq += d * d
				n++
				lo, hi = min(lo, float64(w)), max(hi, float64(w))
			}
			spread = max(spread, hi-lo)
		}
		rms := math.Sqrt(sq / float64(n))
		t.Logf("largest difference %.2g, root mean square %.2g, logits spread over %.3g", worst, rms, spread)
		if spread == 0 || worst > tol*spread || rms > tol*spread/10 {
			t.Fatalf("logits differ by up to %.3g, %.3g in root mean square (spread %.3g)", worst, rms, spread)
		}
	}
	for _, c := range []struct {
		name string
		path string
		tol  float64
	}{{"F32", f32, 1e-3}, {"Q4_K_M", q4, 2e-2}} {
		t.Run(fmt.Sprintf("flash attention tiles, %s", c.name), func(t *testing.T) {
			plain := logits(t, c.path, ModelOptions{CPUOnly: true}, FlashOff)
			tiles := logits(t, c.path, ModelOptions{CPUOnly: true}, FlashOn)
			compare(t, tiles, plain, c.tol)
		})
	}
	t.Run("repacked weights, Q4_K_M", func(t *testing.T) {
		file := logits(t, q4, ModelOptions{CPUOnly: true, FileLayout: true}, FlashOff)
		repacked := logits(t, q4, ModelOptions{CPUOnly: true}, FlashOff)
		compare(t, repacked, file, 2e-2)
	})
}

// An embedding model's vectors are the same through the tiled attention
// kernel as through separate matrix products: texts of many lengths
// packed into shared batches (so each text's tokens see only their own
// under a block-diagonal mask), heads of 32 dimensions, no causal mask.
// The model is quantized, so each layer's activations are too, and the
// paths' different rounding shows: the lowest cosine was 0.99977 here,
// and 0.99975 for the one-row kernel llama.cpp itself has (measured
// 2026-12-07). A mistake in the mask or the softmax costs far more.
func TestEmbeddingsThroughTiledAttention(t *testing.T) {
	m := miniLM(t)
	words := strings.Fields("the committee met in the old library to decide whether the river crossing should be rebuilt before winter or after the spring floods had passed")
	var texts []string
	for i := 0; i < 40; i++ {
		n := 3 + (i*37)%150 // 3 to 152 words
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteString(words[(i+j*5)%len(words)])
			b.WriteByte(' ')
		}
		texts = append(texts, b.String())
	}
	plain := embedWith(t, m, EmbedOptions{Threads: 2, FlashAttention: FlashOff}, texts)
	tiles := embedWith(t, m, EmbedOptions{Threads: 2, FlashAttention: FlashOn}, texts)
	worst := lowestCosine(plain, tiles)
	t.Logf("lowest cosine between the two paths: %.7f over %d texts", worst, len(texts))
	if worst < 0.999 {
		t.Fatalf("vectors differ: cosine %.6f", worst)
	}
}

// miniLM loads the bundled embedding model on the CPU.
func miniLM(t *testing.T) *Model {
	t.Helper()
	m, err := Load(context.Background(), sharedtest.Path(t, "models/all-MiniLM-L6-v2-Q4_K_M.gguf"), ModelOptions{CPUOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// embedWith embeds texts with a new embedder of m made with o.
func embedWith(t *testing.T, m *Model, o EmbedOptions, texts []string) [][]float32 {
	t.Helper()
	e, err := m.NewEmbedder(o)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// lowestCosine is the least cosine between the unit vectors a[i], b[i].
func lowestCosine(a, b [][]float32) float64 {
	worst := 1.0
	for i := range a {
		var dot float64
		for k := range a[i] {
			dot += float64(a[i][k]) * float64(b[i][k])
		}
		worst = min(worst, dot)
	}
	return worst
}

// More threads than cores, so that threads are descheduled in the middle
// of a graph: the threads waiting for them at a barrier spin a moment
// and then sleep until the last one arrives (patched in
// third_party/ollama). The vectors are those of one thread, and nothing
// hangs: a sleeper left unwoken would stop the test here.
func TestEmbeddingsWithMoreThreadsThanCores(t *testing.T) {
	m := miniLM(t)
	words := strings.Fields("a small private desk in a library where a reader keeps the books of one long question")
	var texts []string
	for i := 0; i < 48; i++ {
		var b strings.Builder
		for j := 0; j < 20+i*3; j++ {
			b.WriteString(words[(i*7+j)%len(words)] + " ")
		}
		texts = append(texts, b.String())
	}
	many := 3*runtime.NumCPU() + 1
	one := embedWith(t, m, EmbedOptions{Threads: 1, BatchTokens: 512}, texts)
	crowded := embedWith(t, m, EmbedOptions{Threads: many, BatchTokens: 512}, texts)
	if c := lowestCosine(one, crowded); c < 0.99999 {
		t.Fatalf("cosine %.7f between 1 and %d threads", c, many)
	}
}

// Each dot-product kernel the CPU runs for the common quantized types
// gives, to float rounding, the dot product of the values its rows stand
// for (Q6_K's is patched in third_party/ollama).
func TestCPUDotProductKernels(t *testing.T) {
	for typ := range kernelTypes {
		for _, seed := range []uint{1, 2, 3} {
			got, want, scale, err := vecDotCheck(typ, 4096, seed)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-want) > 1e-5*scale {
				t.Errorf("%s, seed %d: kernel %.6g, values %.6g (Σ|x·y| %.4g)", typ, seed, got, want, scale)
			}
		}
	}
}
