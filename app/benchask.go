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
	typing := fs.Float64("typing", 0, "also type each question at this many `characters per second` before asking it, as the window does, and time the first token after Enter with the model reading ahead (0: do not)")
	qChars := fs.Int("question-chars", 100, "with --typing (and --text), ask the dataset's questions closest to this `length` in characters")
	asJSON := fs.Bool("json", false, "print JSON")
	return &command{
		Name: "bench ask", Usage: "--model FILE [--chunks 100000] [--text BEIR_DIR] [--typing 5 --question-chars 100] [--json]",
		Short: "time a question end to end on a large library (synthetic words, or real passages with --text): retrieval, first answer token, generation speed",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if *model == "" {
				return usagef("--model FILE is required")
			}
			if *n < 100 || *questions < 1 || *sources < 0 || *answer < 1 || *threads < 0 || *ctxSize < 256 {
				return usagef("--chunks must be at least 100, --questions and --answer-tokens at least 1, --ctx at least 256")
			}
			if *typing < 0 || *typing > 1000 || *qChars < 10 {
				return usagef("--typing is characters per second (0 to 1000), --question-chars at least 10")
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
				if *typing > 0 {
					// Typed and untyped questions alike are of about the
					// length typed, so that their times compare.
					realQuestions = nearLength(realQuestions, *qChars)
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
			p50 := func(get func(*engine.Answer) float64) float64 { return median(warm, get) }
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
			// A question the library declines is no conversation: another
			// is asked (not counted among the declines, which are of the
			// timed questions).
			var q string
			var opening *engine.Answer
			var openingFirst float64
			for range 20 {
				if q, err = question(e); err != nil {
					return err
				}
				if opening, openingFirst, err = timed(q, ""); err != nil {
					return err
				}
				if opening.Outcome == engine.Answered || opening.Outcome == engine.Uncited {
					break
				}
			}
			if opening.Outcome != engine.Answered && opening.Outcome != engine.Uncited {
				return fmt.Errorf("20 questions in a row were not answered (%s): the benchmark would not time a conversation", opening.Outcome)
			}
			words := strings.Fields(q)
			slices.Reverse(words)
			follow, followFirst, err := timed(strings.Join(words, " "), opening.Conversation)
			if err != nil {
				return err
			}
			// Typed questions: each is typed into the engine a character
			// at a time, as the window passes on its question box, then
			// asked (Enter) one keystroke after its last character.
			var typed []*engine.Answer
			var typedChars []int
			if *typing > 0 {
				gap := time.Duration(float64(time.Second) / *typing)
				for range *questions {
					a, chars, err := typeAndAsk(ctx, e, question, gap)
					if err != nil {
						return err
					}
					typed, typedChars = append(typed, a), append(typedChars, chars)
				}
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
			if len(typed) > 0 {
				out["typing_chars_per_s"] = *typing
				out["typed_question_chars"] = typedChars
				out["typed_first_token_ms"] = median(typed, func(a *engine.Answer) float64 { return a.Timings.FirstTokenMS })
				out["typed_prompt_tokens"] = median(typed, func(a *engine.Answer) float64 { return float64(a.Timings.PromptTokens) })
				out["typed_read_after_enter_tokens"] = median(typed, func(a *engine.Answer) float64 {
					return float64(a.Timings.PromptTokens - a.Timings.CachedTokens)
				})
				out["typed_read_ahead_tokens"] = median(typed, func(a *engine.Answer) float64 { return float64(a.Timings.ReadAheadTokens) })
				out["typed_ahead_wasted_tokens"] = median(typed, func(a *engine.Answer) float64 { return float64(a.Timings.AheadWastedTokens) })
				out["read_after_enter_tokens"] = p50(func(a *engine.Answer) float64 { return float64(a.Timings.PromptTokens - a.Timings.CachedTokens) })
				var each []map[string]any
				for i, a := range typed {
					each = append(each, map[string]any{"chars": typedChars[i], "first_token_ms": a.Timings.FirstTokenMS,
						"prompt_tokens": a.Timings.PromptTokens, "cached_tokens": a.Timings.CachedTokens,
						"read_ahead_tokens": a.Timings.ReadAheadTokens, "ahead_wasted_tokens": a.Timings.AheadWastedTokens})
				}
				out["typed"] = each
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
			if len(typed) > 0 {
				fmt.Printf("typed at %g characters/s (%d questions, p50): first token %.0f ms after Enter, against %.0f ms asked without typing · after Enter the model read %.0f of %.0f prompt tokens (without typing %.0f) · %.0f read ahead, %.0f read ahead for sources that changed\n",
					*typing, len(typed), out["typed_first_token_ms"], out["first_token_ms"], out["typed_read_after_enter_tokens"], out["typed_prompt_tokens"],
					out["read_after_enter_tokens"], out["typed_read_ahead_tokens"], out["typed_ahead_wasted_tokens"])
			}
			return nil
		},
	}
}

// median is the middle of get over the answers (the upper one of an even
// count).
func median(as []*engine.Answer, get func(*engine.Answer) float64) float64 {
	v := make([]float64, len(as))
	for i, a := range as {
		v[i] = get(a)
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

// typeAndAsk types a question into the engine a character every gap, as
// the window passes on its question box, and asks it one gap after the
// last character; the answer's times count from then. Questions the
// library declines are replaced by others (the typing is not timed).
func typeAndAsk(ctx context.Context, e *engine.Engine, question func(*engine.Engine) (string, error), gap time.Duration) (*engine.Answer, int, error) {
	for range 20 {
		q, err := question(e)
		if err != nil {
			return nil, 0, err
		}
		rs := []rune(q)
		next := time.Now()
		for i := range rs {
			e.Typing(string(rs[:i+1]), engine.AskOptions{NoSave: true})
			next = next.Add(gap)
			select {
			case <-ctx.Done():
				return nil, 0, ctx.Err()
			case <-time.After(time.Until(next)):
			}
		}
		a, err := e.Ask(ctx, q, engine.AskOptions{NoSave: true}, nil)
		if err != nil {
			return nil, 0, explain(err)
		}
		if a.Outcome == engine.Answered || a.Outcome == engine.Uncited {
			return a, len(rs), nil
		}
	}
	return nil, 0, fmt.Errorf("20 typed questions in a row were not answered: the benchmark would not time generation")
}

// nearLength keeps the questions closest in length to n characters: those
// within a fifth of it, or the 50 closest when fewer are.
func nearLength(qs []string, n int) []string {
	dist := func(q string) int { return abs(len([]rune(q)) - n) }
	var near []string
	for _, q := range qs {
		if dist(q) <= n/5 {
			near = append(near, q)
		}
	}
	if len(near) >= 50 {
		return near
	}
	sorted := slices.Clone(qs)
	slices.SortStableFunc(sorted, func(a, b string) int { return dist(a) - dist(b) })
	return sorted[:min(50, len(sorted))]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
