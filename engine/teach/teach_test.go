package teach_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine/chunk"
	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/synth"
	"github.com/carrel-ai/carrel/engine/teach"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// library is the passages of Thoreau's Walden (an excerpt) and the start
// of Lessig's Free Culture, from the shared corpus: fields and prose that
// stories260K, which learned from children's stories, never read.
func library(t *testing.T) []string {
	t.Helper()
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	p := docs.NewParser("")
	defer p.Close()
	var out []string
	for _, f := range []string{"corpus/pdf/text/pdfcpu-Walden.pdf", "corpus/pdf/text/pdfjs-freeculture-book.pdf"} {
		doc, err := p.Parse(context.Background(), sharedtest.Path(t, f), docs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunk.Split(doc, chunk.Options{Size: 120, Overlap: -1}) {
			out = append(out, c.Text)
		}
	}
	// Every k-th passage, so the library samples both books throughout.
	var picked []string
	for i := 0; i < len(out); i += max(len(out)/passages, 1) {
		picked = append(picked, out[i])
	}
	return picked
}

// passages bounds the library: about 100,000 characters.
const passages = 160

func options(t *testing.T, dir string) teach.Options {
	return teach.Options{Model: sharedtest.Path(t, "models/stories260K.gguf"), Out: filepath.Join(dir, "taught.gguf"),
		Checkpoints: filepath.Join(dir, "run"), Library: "books", Epochs: 2, Threads: 2, Seed: 7, CheckpointEvery: 5}
}

// TestTeachCutsPerplexity teaches stories260K the Walden excerpt: on the
// passages held out of training, perplexity falls by at least 30%, and a
// run paused half-way and resumed from its checkpoint ends where an
// uninterrupted run does.
func TestTeachCutsPerplexity(t *testing.T) {
	ctx := context.Background()
	passages := library(t)
	dir := t.TempDir()
	o := options(t, dir)
	whole, err := teach.Run(ctx, passages, o, func(p teach.Progress) {
		if p.Phase == "training" && p.Step%20 == 0 {
			t.Logf("step %d loss %.3f valid %.3f lr %.5f", p.Step, p.Loss, p.ValidLoss, p.LearningRate)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d steps, %d tokens trained, %d held out, %.0f tokens/s; perplexity %.2f -> %.2f; validation %v",
		whole.Steps, whole.TrainTokens, whole.HeldOutTokens, whole.TokensPerSecond, whole.PerplexityBefore, whole.PerplexityAfter, whole.ValidLosses)
	if !(whole.PerplexityAfter <= 0.7*whole.PerplexityBefore) {
		t.Errorf("perplexity on held-out passages went from %.2f to %.2f, not down by 30%%", whole.PerplexityBefore, whole.PerplexityAfter)
	}
	// The adapter belongs to its model and no other.
	if err := teach.CheckBase(ctx, whole.Adapter, o.Model); err != nil {
		t.Errorf("the adapter is refused on its own model: %v", err)
	}
	other := sharedtest.Path(t, "models/llama-2-tiny-random.gguf")
	var mm *teach.MismatchError
	if err := teach.CheckBase(ctx, whole.Adapter, other); !errors.As(err, &mm) || !errors.Is(err, teach.ErrOtherBase) || !strings.Contains(err.Error(), "stories260K.gguf") {
		t.Errorf("on another model: %v", err)
	}

	// Paused at step 9 (a checkpoint at 5, and one written on the way out),
	// then resumed.
	dir2 := t.TempDir()
	o2 := options(t, dir2)
	stop, cancel := context.WithCancel(ctx)
	_, err = teach.Run(stop, passages, o2, func(p teach.Progress) {
		if p.Phase == "training" && p.Step == 9 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled run returned %v", err)
	}
	resumed, err := teach.Run(ctx, passages, o2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.ResumedAt != 9 {
		t.Errorf("resumed at step %d, want 9", resumed.ResumedAt)
	}
	last := func(r *teach.Result) float64 { return r.ValidLosses[len(r.ValidLosses)-1] }
	t.Logf("final validation loss: uninterrupted %.4f, resumed %.4f; perplexity after %.2f and %.2f", last(whole), last(resumed), whole.PerplexityAfter, resumed.PerplexityAfter)
	if math.Abs(last(whole)-last(resumed)) > 0.05*last(whole) {
		t.Errorf("the resumed run ends at validation loss %.4f, the uninterrupted one at %.4f", last(resumed), last(whole))
	}
	if !(resumed.PerplexityAfter <= 0.7*resumed.PerplexityBefore) {
		t.Errorf("resumed run: perplexity %.2f -> %.2f", resumed.PerplexityBefore, resumed.PerplexityAfter)
	}
}

// TestSyntheticModels teaches a synthetic model (random weights) with a
// vocabulary projection of its own, in F16 and quantized to Q8_0 (the
// model stays quantized: only the adapter trains), and refuses, before
// any work, one that reuses its token embeddings.
func TestSyntheticModels(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	shape := synth.Shapes["tiny"]
	untied := filepath.Join(dir, "untied.gguf")
	tied := filepath.Join(dir, "tied.gguf")
	if err := synth.Write(ctx, untied, synth.Options{Shape: shape, Type: gguf.TensorF16, Untied: true, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(ctx, tied, synth.Options{Shape: shape, Type: gguf.TensorF16, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	passages := library(t)[:60]
	o := options(t, dir)
	o.Model = tied
	if _, err := teach.Run(ctx, passages, o, nil); err == nil || !strings.Contains(err.Error(), "vocabulary projection of its own") {
		t.Errorf("a tied model: %v", err)
	}
	quantized := filepath.Join(dir, "untied-q8.gguf")
	q8, err := gguf.ParseFileType("Q8_0")
	if err != nil {
		t.Fatal(err)
	}
	if err := llm.Quantize(ctx, untied, quantized, q8, 2); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{untied, quantized} {
		o := options(t, t.TempDir())
		o.Model = m
		res, err := teach.Run(ctx, passages, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: perplexity %.1f -> %.1f, %.0f tokens/s", filepath.Base(m), res.PerplexityBefore, res.PerplexityAfter, res.TokensPerSecond)
		if !(res.PerplexityAfter <= 0.7*res.PerplexityBefore) {
			t.Errorf("%s: perplexity %.1f -> %.1f", m, res.PerplexityBefore, res.PerplexityAfter)
		}
	}
}

// TestEstimate checks the estimate's parts that are exact (the adapter's
// size) and that the memory is at least the model's file and at most a
// few hundred MB for a model of 1 MB.
func TestEstimate(t *testing.T) {
	o := options(t, t.TempDir())
	est, err := teach.EstimateRun(o)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(o.Model)
	// 16 × (64 + 512): rank 16 of stories260K's 64-wide state and 512 tokens.
	if est.Params != 16*(64+512) || est.Disk != 3*4*uint64(est.Params) || est.Memory < uint64(fi.Size()) || est.Memory > 300<<20 {
		t.Errorf("estimate %+v", est)
	}
}

func TestTooLittleText(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	o := options(t, t.TempDir())
	if _, err := teach.Run(context.Background(), []string{"Once upon a time.", "The end."}, o, nil); !errors.Is(err, teach.ErrTooLittle) {
		t.Fatalf("got %v", err)
	}
}
