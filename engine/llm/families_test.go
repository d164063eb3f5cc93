//go:build cgo

package llm_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/synth"
)

// Each current family the catalog offers loads through the vendored
// llama.cpp, lays a conversation out in its own chat template, reads the
// template's control tokens as single tokens, and generates (or, for an
// embedding model, embeds). No real weights can be downloaded here: the
// models are tiny ones of each architecture with random weights, written
// by synth with the family's tensors, keys and template.
func TestCurrentFamiliesLoadTemplateAndRun(t *testing.T) {
	shape := synth.Shapes["tiny"]
	conv := []llm.Message{{Role: "system", Content: "Answer from the sources."}, {Role: "user", Content: "the river"}}
	for _, c := range []struct {
		arch     string
		template string
		want     []string // in the laid-out conversation, in order
		format   string
		embeds   bool
	}{
		{"qwen3", synth.Qwen3Template, []string{"<|im_start|>system\n", "<|im_start|>user\nthe river<|im_end|>", "<|im_start|>assistant\n<think>\n\n</think>\n\n"}, "reasoning turned off", false},
		{"smollm3", synth.SmolLM3Template, []string{"<|im_start|>system\n", "<|im_start|>assistant\n<think>\n\n</think>\n\n"}, "reasoning turned off", false},
		{"gemma3", synth.Gemma3Template, []string{"<start_of_turn>user\nAnswer from the sources.\n\nthe river<end_of_turn>", "<start_of_turn>model\n"}, "own chat template", false},
		{"gemma-embedding", "", nil, "", true},
	} {
		t.Run(c.arch, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.arch+".gguf")
			shape := shape
			shape.Layers = max(shape.Layers, synth.Archs[c.arch].MinLayers)
			if err := synth.Write(context.Background(), path, synth.Options{Shape: shape, Arch: c.arch, Type: gguf.TensorF32, ChatTemplate: c.template, Seed: 7}); err != nil {
				t.Fatal(err)
			}
			m := load(t, path)
			if got := m.Info().Architecture; got != c.arch {
				t.Fatalf("architecture %q", got)
			}
			if c.embeds {
				e, err := m.NewEmbedder(llm.EmbedOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				vs, err := e.Embed(context.Background(), []string{"the river", "a mountain of paper"})
				if err != nil {
					t.Fatal(err)
				}
				if len(vs) != 2 || len(vs[0]) != shape.Embd {
					t.Fatalf("vectors %d × %d", len(vs), len(vs[0]))
				}
				var n float64
				for _, x := range vs[0] {
					n += float64(x) * float64(x)
				}
				if math.Abs(n-1) > 1e-3 {
					t.Errorf("not unit length: %v", n)
				}
				return
			}
			laid := m.ApplyTemplate(conv, true)
			at := 0
			for _, w := range c.want {
				i := strings.Index(laid[at:], w)
				if i < 0 {
					t.Fatalf("%q lacks %q after byte %d", laid, w, at)
				}
				at += i + len(w)
			}
			if f := m.ChatFormat(); !strings.Contains(f, c.format) {
				t.Errorf("chat format %q", f)
			}
			for _, sp := range synth.Archs[c.arch].Specials {
				toks, err := m.Tokenize(sp, false)
				if err != nil || len(toks) != 1 {
					t.Errorf("%s is %d tokens (%v)", sp, len(toks), err)
				}
			}
			ctx := newCtx(t, m, llm.ContextOptions{ContextSize: 512})
			n := 0
			st, err := ctx.Chat(context.Background(), conv, llm.GenerateOptions{MaxTokens: 8, Sampling: greedy}, func(string) error { n++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if st.GeneratedTokens == 0 || st.PromptTokens == 0 {
				t.Errorf("read %d tokens, wrote %d", st.PromptTokens, st.GeneratedTokens)
			}
		})
	}
}
