package shrink_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/shrink"
	"github.com/carrel-ai/carrel/engine/synth"
)

// TestShrink writes a Q8_0 copy of a synthetic F32 model: it is smaller,
// its row says so, perplexity is measured on both, and the copy's file
// is never overwritten (nor the model's).
func TestShrink(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	ctx := context.Background()
	dir := t.TempDir()
	in := filepath.Join(dir, "tiny.gguf")
	if err := synth.Write(ctx, in, synth.Options{Shape: synth.Shapes["tiny"], Type: gguf.TensorF32, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tiny-q8.gguf")
	text := strings.Repeat("The keeper lit the lamp at dusk and watched the ships pass the point. ", 60)
	var notes []string
	r, err := shrink.Run(ctx, shrink.Options{In: in, Out: out, Quant: "Q8_0", Text: text, Threads: 2}, func(s string) { notes = append(notes, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 2 || r.Rows[1].Quantization != "Q8_0" || r.Rows[1].Size >= r.Rows[0].Size || r.Rows[0].Perplexity <= 0 || r.Rows[1].Perplexity <= 0 {
		t.Fatalf("report %+v", r.Rows)
	}
	var b bytes.Buffer
	if err := r.Table(&b); err != nil || !strings.Contains(b.String(), "tiny-q8.gguf") || !strings.Contains(b.String(), "perplexity") {
		t.Errorf("table %q (%v)", b.String(), err)
	}
	if len(notes) < 2 {
		t.Errorf("notes %q", notes)
	}
	if _, err := shrink.Run(ctx, shrink.Options{In: in, Out: out, Quant: "Q8_0"}, nil); !errors.Is(err, shrink.ErrExists) {
		t.Errorf("onto an existing copy: %v", err)
	}
	if _, err := shrink.Run(ctx, shrink.Options{In: in, Out: in, Quant: "Q8_0"}, nil); !errors.Is(err, shrink.ErrSameFile) {
		t.Errorf("onto the model: %v", err)
	}
	if _, err := shrink.Run(ctx, shrink.Options{In: in, Out: filepath.Join(dir, "x.gguf"), Quant: "Q3_X"}, nil); err == nil {
		t.Error("an unknown quantization was accepted")
	}
}
