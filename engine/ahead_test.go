package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/synth"
	"github.com/carrel-ai/carrel/internal/sharedtest"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// Reading ahead while a question is typed changes nothing of the answer:
// with greedy sampling, the same question on the same library gives the
// same sources and the same words with it and without. And it does its
// work: after "Enter" the model reads only the end of the prompt.
func TestReadAheadKeepsAnswers(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	// A synthetic model with a real vocabulary: one with the built-in
	// letters writes nothing but line breaks.
	vocab, err := gguf.Open(sharedtest.Path(t, "models/llama-2-tiny-random.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	shape := synth.Shapes["tiny"]
	shape.Vocab = 32000
	chatML := filepath.Join(t.TempDir(), "chatml.gguf")
	if err := synth.Write(context.Background(), chatML, synth.Options{Shape: shape, Type: gguf.TensorF32, Tokenizer: vocab, ChatTemplate: synth.ChatML, Untied: true, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, model string }{
		{"stories260K", sharedtest.Path(t, "models/stories260K.gguf")},
		{"synthetic ChatML", chatML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := engine.DefaultSettings()
			s.ChatModel, s.Temperature, s.AnswerTokens, s.ContextSize = tc.model, 0, 24, 2048
			data := t.TempDir()
			docs := writeDocs(t)
			const q = "How tall is the Eiffel Tower in Paris?"
			ask := func(read bool) *engine.Answer {
				e := openEngine(t, data, &s)
				defer e.Close()
				ctx, cancel := testwait.Context(t)
				defer cancel()
				if _, err := e.WaitModel(ctx); err != nil {
					t.Fatal(err)
				}
				if read {
					// A question typed, changed on the way (a different
					// document first), then typed whole.
					for _, typed := range []string{"How is sourdough ", "How is sourdough bread ", ""} {
						e.Typing(typed, engine.AskOptions{})
						if err := engine.WaitReadAhead(ctx, e); err != nil {
							t.Fatal(err)
						}
					}
					for i := range q {
						e.Typing(q[:i+1], engine.AskOptions{})
					}
					if err := engine.WaitReadAhead(ctx, e); err != nil {
						t.Fatal(err)
					}
				}
				a, err := e.Ask(ctx, q, engine.AskOptions{NoSave: true}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			e := openEngine(t, data, &s)
			addAndWait(t, e, "Travel", docs)
			e.Close()

			cold := ask(false)
			warm := ask(true)
			if cold.Timings.ReadAheadTokens != 0 {
				t.Errorf("read ahead without typing: %+v", cold.Timings)
			}
			if len(cold.Sources) == 0 || len(warm.Sources) != len(cold.Sources) {
				t.Fatalf("sources: %d read ahead, %d without", len(warm.Sources), len(cold.Sources))
			}
			for i := range cold.Sources {
				if w, c := warm.Sources[i], cold.Sources[i]; w.ChunkID != c.ChunkID || w.ForModel() != c.ForModel() {
					t.Errorf("source %d: %s %q read ahead, %s %q without", i+1, w.Path, w.ForModel(), c.Path, c.ForModel())
				}
			}
			if warm.Text != cold.Text || warm.Text == "" {
				t.Errorf("answer read ahead %q, without %q (%s, %+v)", warm.Text, cold.Text, cold.Stop, cold.Timings)
			}
			if warm.Timings.PromptTokens != cold.Timings.PromptTokens {
				t.Errorf("prompt of %d tokens read ahead, %d without", warm.Timings.PromptTokens, cold.Timings.PromptTokens)
			}
			// After Enter only the end of the turn is left to read: the
			// whole question was typed and paused on.
			after := warm.Timings.PromptTokens - warm.Timings.CachedTokens
			if warm.Timings.ReadAheadTokens == 0 || after > 20 || after >= cold.Timings.PromptTokens-cold.Timings.CachedTokens {
				t.Errorf("read ahead %d tokens, %d left after Enter (without: %d of %d)", warm.Timings.ReadAheadTokens, after,
					cold.Timings.PromptTokens-cold.Timings.CachedTokens, cold.Timings.PromptTokens)
			}
			// The sourdough question's sources were read for nothing.
			if warm.Timings.AheadWastedTokens == 0 {
				t.Errorf("nothing wasted on the changed question: %+v", warm.Timings)
			}
			t.Logf("answer %q; prompt %d tokens: cold %d cached; typed %d cached (%d read ahead, %d wasted)", warm.Text, cold.Timings.PromptTokens,
				cold.Timings.CachedTokens, warm.Timings.CachedTokens, warm.Timings.ReadAheadTokens, warm.Timings.AheadWastedTokens)
		})
	}
}
