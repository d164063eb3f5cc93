//go:build cgo

package llm_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// contract is text of a field stories260K never read (it learned from
// children's stories): the wording of a lease.
const contract = `The Tenant shall pay the Landlord the monthly rent on the first day of each calendar month, without deduction or set-off. ` +
	`Any sum not paid within fourteen days of the due date shall bear interest at the statutory rate until payment. ` +
	`The Tenant shall keep the interior of the Premises in good and substantial repair and condition, fair wear and tear excepted. ` +
	`The Landlord may enter the Premises on giving not less than twenty-four hours' written notice to inspect their state of repair. ` +
	`This Agreement shall be governed by and construed in accordance with the laws of the jurisdiction in which the Premises are situated. `

// TestTrainAdapter trains an adapter of stories260K on text of a new field:
// the loss falls, and the saved adapter loads again and lowers the
// perplexity the context measures (after measuring without it: llama.cpp
// must not reuse the graph built before the adapter was applied).
func TestTrainAdapter(t *testing.T) {
	ctx := context.Background()
	model := sharedtest.Path(t, "models/stories260K.gguf")
	m := load(t, model)
	dir := t.TempDir()
	spec := llm.LoRASpec{Rank: 8, Alpha: 16, Targets: llm.TrainableTargets, Seed: 1}
	initial := filepath.Join(dir, "init.gguf")
	if err := llm.WriteLoRA(ctx, initial, model, spec, map[string]any{"carrel.test": "yes"}); err != nil {
		t.Fatal(err)
	}
	a, err := m.LoadAdapter(initial)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tr, err := m.NewTrainer(a, llm.TrainOptions{Window: 64, Threads: 2, LearningRate: 3e-3, MinLearningRate: 3e-4, Warmup: 4, Steps: 60})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	window := tr.Window()
	text := strings.Repeat(contract, 12)
	toks, err := m.Tokenize(text, true)
	if err != nil {
		t.Fatal(err)
	}
	heldToks, err := m.Tokenize(strings.Repeat(contract, 3), true)
	if err != nil {
		t.Fatal(err)
	}
	lossBefore, err := tr.Loss(ctx, heldToks[:window+1])
	if err != nil {
		t.Fatal(err)
	}
	var first, last float64 // mean losses of the first and last 5 steps
	began := time.Now()
	for step := 0; step < 60; step++ {
		off := (step * 37) % (len(toks) - window - 1)
		r, err := tr.Step(ctx, toks[off:off+window+1])
		if err != nil {
			t.Fatal(err)
		}
		if step < 5 {
			first += r.Loss / 5
		}
		if step >= 55 {
			last += r.Loss / 5
		}
	}
	lossAfter, err := tr.Loss(ctx, heldToks[:window+1])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out loss %.3f -> %.3f", lossBefore, lossAfter)
	if !(lossAfter < lossBefore-0.3) {
		t.Errorf("held-out loss %.3f -> %.3f", lossBefore, lossAfter)
	}
	t.Logf("mean loss of the first 5 steps %.3f, of the last 5 %.3f; %s a step", first, last, time.Since(began)/60)
	if !(last < first-0.3) {
		t.Fatalf("loss went from %.3f to %.3f", first, last)
	}
	ts, err := tr.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	trained := filepath.Join(dir, "trained.gguf")
	if err := llm.SaveLoRA(ctx, trained, m.Info().Architecture, spec.Alpha, ts, nil); err != nil {
		t.Fatal(err)
	}
	tr.Close()
	x, err := m.NewContext(llm.ContextOptions{ContextSize: 128, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	held := strings.Repeat(contract, 2)
	before, err := x.Perplexity(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.LoadAdapter(trained)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := x.ApplyAdapter(b, 1); err != nil {
		t.Fatal(err)
	}
	after, err := x.Perplexity(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("perplexity %.2f -> %.2f", before.Value, after.Value)
	if !(after.Value < before.Value*0.7) {
		t.Fatalf("perplexity %.2f -> %.2f", before.Value, after.Value)
	}
}
