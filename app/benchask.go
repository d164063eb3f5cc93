package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/lab"
)

func benchAskCmd() *command {
	fs := flag.NewFlagSet("bench ask", flag.ContinueOnError)
	model := fs.String("model", "", "GGUF chat model `file` (e.g. from \"carrel bench synth --shape 1b --type Q4_K_M\")")
	n := fs.Int("chunks", 100000, "chunks in the synthetic library")
	questions := fs.Int("questions", 4, "questions to time after the first")
	sources := fs.Int("sources", 0, "passages per answer (0: the default, 6)")
	answer := fs.Int("answer-tokens", 16, "tokens generated per answer")
	threads := fs.Int("threads", 0, "CPU threads (0: one per physical core)")
	ctxSize := fs.Int("ctx", 4096, "the chat model's context window in tokens")
	cpu := fs.Bool("cpu", false, "run on the CPU even when a GPU is present")
	dir := fs.String("dir", "", "keep the library in this `folder` and reuse it on the next run (default: a temporary one)")
	text := fs.String("text", "", "build the library from the real passages of this BEIR-layout `folder` (SQuAD's, for one; copies with their sentences reordered up to --chunks) and ask its questions, instead of synthetic words")
	asJSON := fs.Bool("json", false, "print JSON")
	return &command{
		Name: "bench ask", Usage: "--model FILE [--chunks 100000] [--text BEIR_DIR] [--json]",
		Short: "time a question end to end on a large library (synthetic words, or real passages with --text): retrieval, first answer token, generation speed",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if *model == "" {
				return usagef("--model FILE is required")
			}
			if *n < 100 || *questions < 1 || *sources < 0 || *answer < 1 || *threads < 0 || *ctxSize < 256 {
				return usagef("--chunks must be at least 100, --questions and --answer-tokens at least 1, --ctx at least 256")
			}
			work := *dir
			if work == "" {
				var err error
				if work, err = os.MkdirTemp("", "carrel-bench-ask-"); err != nil {
					return err
				}
				defer os.RemoveAll(work)
			}
			rng := rand.New(rand.NewPCG(7, 11))
			var built time.Duration
			var err error
			var realQuestions []string
			if *text != "" {
				if realQuestions, err = lab.DatasetQuestions(*text); err != nil {
					return err
				}
				built, err = lab.BuildTextLibrary(ctx, work, *text, *n)
			} else {
				built, err = lab.BuildSyntheticLibrary(ctx, work, "", *n, 0)
			}
			if err != nil {
				return err
			}
			question := func(e *engine.Engine) (string, error) {
				if realQuestions != nil {
					return realQuestions[rng.IntN(len(realQuestions))], nil
				}
				return lab.SyntheticQuestion(ctx, e, rng)
			}
			s := engine.DefaultSettings()
			s.ChatModel, s.CPUOnly, s.Threads, s.AnswerTokens, s.ContextSize = *model, *cpu, *threads, *answer, *ctxSize
			if *sources > 0 {
				s.Sources = *sources
			}
			// The first question is asked at once: its passages are found
			// while the model loads, as when the app starts.
			t0 := time.Now()
			e, err := engine.Open(ctx, engine.Options{DataDir: work, Settings: &s, NoIndexing: true, NoWatch: true})
			if err != nil {
				return explain(err)
			}
			defer e.Close()
			openMS := ms(time.Since(t0))
			declined := 0
			ask := func() (*engine.Answer, error) {
				for {
					q, err := question(e)
					if err != nil {
						return nil, err
					}
					a, err := e.Ask(ctx, q, engine.AskOptions{NoSave: true}, nil)
					if err != nil {
						return nil, explain(err)
					}
					if a.Outcome == engine.Answered || a.Outcome == engine.Uncited { // a synthetic model cites nothing
						return a, nil
					}
					// A real question the library's words do not hold well
					// enough is declined before the model reads: another is
					// asked (and the declines counted).
					if realQuestions == nil || declined >= 20 {
						return nil, fmt.Errorf("a question was not answered (%s): the benchmark would not time generation", a.Outcome)
					}
					declined++
				}
			}
			cold, err := ask()
			if err != nil {
				return err
			}
			coldFirst := ms(time.Since(t0)) - cold.Timings.TotalMS + cold.Timings.FirstTokenMS
			var warm []*engine.Answer
			for range *questions {
				a, err := ask()
				if err != nil {
					return err
				}
				warm = append(warm, a)
			}
			p50 := func(get func(*engine.Answer) float64) float64 {
				v := make([]float64, len(warm))
				for i, a := range warm {
					v[i] = get(a)
				}
				sort.Float64s(v)
				return v[len(v)/2]
			}
			// A conversation: a question, then a follow-up about the same
			// passages (its words in another order), timed from the call to
			// the first word of the answer, the rewrite of the follow-up
			// included. The follow-up keeps what the model has read.
			timed := func(q, conv string) (*engine.Answer, float64, error) {
				t0 := time.Now()
				first := 0.0
				a, err := e.Ask(ctx, q, engine.AskOptions{Conversation: conv}, func(d engine.Delta) error {
					if d.Text != "" && first == 0 {
						first = ms(time.Since(t0))
					}
					return nil
				})
				if err != nil {
					return nil, 0, explain(err)
				}
				return a, first, nil
			}
			q, err := question(e)
			if err != nil {
				return err
			}
			opening, openingFirst, err := timed(q, "")
			if err != nil {
				return err
			}
			words := strings.Fields(q)
			slices.Reverse(words)
			follow, followFirst, err := timed(strings.Join(words, " "), opening.Conversation)
			if err != nil {
				return err
			}
			st := e.ChatModel()
			out := map[string]any{
				"conversation_first_token_ms": openingFirst, "conversation_prompt_tokens": opening.Timings.PromptTokens,
				"follow_up_first_token_ms": followFirst, "follow_up_prompt_tokens": follow.Timings.PromptTokens,
				"follow_up_cached_tokens": follow.Timings.CachedTokens, "follow_up_kept_sources": follow.Carried,
				"chunks": *n, "library_built_s": built.Seconds(), "model": st.Info.Name, "quantization": st.Info.Quantization,
				"backend": st.Placement.Backend, "threads": st.Threads, "sources": s.Sources, "open_ms": openMS,
				"cold_first_token_ms": coldFirst, "cold_retrieve_ms": cold.Timings.RetrieveMS,
				"retrieve_ms":    p50(func(a *engine.Answer) float64 { return a.Timings.RetrieveMS }),
				"first_token_ms": p50(func(a *engine.Answer) float64 { return a.Timings.FirstTokenMS }),
				"tokens_per_s":   p50(func(a *engine.Answer) float64 { return a.Timings.TokensPerS }),
				"prompt_tokens":  p50(func(a *engine.Answer) float64 { return float64(a.Timings.PromptTokens) }),
				"cached_tokens":  p50(func(a *engine.Answer) float64 { return float64(a.Timings.CachedTokens) }),
				"sources_given":  p50(func(a *engine.Answer) float64 { return float64(len(a.Sources)) }),
				"prompt_tokens_per_source": p50(func(a *engine.Answer) float64 {
					return float64(a.Timings.PromptTokens) / float64(max(1, len(a.Sources)))
				}),
				"declined": declined, "text": *text,
				"questions": len(warm),
			}
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(out)
			}
			fmt.Printf("%s %s on %s (%d threads), %d-chunk library, %d sources per answer\n",
				st.Info.Name, st.Info.Quantization, st.Placement.Backend, st.Threads, *n, s.Sources)
			fmt.Printf("first question, asked while the model loads: first token after %.0f ms (passages in %.1f ms)\n", coldFirst, cold.Timings.RetrieveMS)
			fmt.Printf("next %d questions (p50): passages in %.1f ms · first token after %.0f ms · prompt %.0f tokens (%.0f cached; %.0f sources, %.0f tokens per source) · %.1f tokens/s\n",
				len(warm), out["retrieve_ms"], out["first_token_ms"], out["prompt_tokens"], out["cached_tokens"], out["sources_given"], out["prompt_tokens_per_source"], out["tokens_per_s"])
			if declined > 0 {
				fmt.Printf("(%d real questions were declined for want of passages and others asked in their place)\n", declined)
			}
			fmt.Printf("a conversation: first question's first token after %.0f ms (prompt %d tokens); a follow-up about the same passages after %.0f ms, its rewrite included (prompt %d tokens, %d cached, %d sources kept)\n",
				openingFirst, opening.Timings.PromptTokens, followFirst, follow.Timings.PromptTokens, follow.Timings.CachedTokens, follow.Carried)
			return nil
		},
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
