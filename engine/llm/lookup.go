package llm

import (
	"context"
	"fmt"
)

// LookupBench compares greedy generation with and without prompt-lookup
// decoding on one prompt.
type LookupBench struct {
	Tokens int `json:"tokens"` // generated per run
	Reps   int `json:"reps"`
	// Plain and Lookup are generation speeds in tokens per second (the
	// prompt's evaluation excluded), the mean over the repetitions.
	Plain  float64 `json:"plain_tokens_per_s"`
	Lookup float64 `json:"lookup_tokens_per_s"`
	// Drafted and Accepted are per run.
	Drafted  int `json:"drafted"`
	Accepted int `json:"accepted"`
}

// Speedup is Lookup over Plain.
func (b LookupBench) Speedup() float64 {
	if b.Plain == 0 {
		return 0
	}
	return b.Lookup / b.Plain
}

// BenchLookup generates tokens greedily from prompt reps times each way,
// plain and with lookup, alternating which goes first, after one warm-up
// each. Each run starts from an empty KV cache. The two must write the
// same text; a difference is an error.
func (x *Context) BenchLookup(ctx context.Context, prompt string, tokens, reps int) (LookupBench, error) {
	r := LookupBench{Tokens: tokens, Reps: reps}
	run := func(mode Lookup) (string, Stats, error) {
		x.Reset()
		var out []byte
		st, err := x.Generate(ctx, prompt, GenerateOptions{MaxTokens: tokens, Sampling: &Sampling{Temperature: 0}, Lookup: mode},
			func(s string) error { out = append(out, s...); return nil })
		return string(out), st, err
	}
	var plain, look float64
	for i := -1; i < reps; i++ {
		order := []Lookup{LookupOff, LookupOn}
		if i%2 != 0 {
			order = []Lookup{LookupOn, LookupOff}
		}
		var texts [2]string
		for _, mode := range order {
			text, st, err := run(mode)
			if err != nil {
				return r, err
			}
			if i < 0 {
				continue // warm-up
			}
			d := st.Duration - st.FirstToken
			if st.GeneratedTokens < 2 || d <= 0 {
				return r, fmt.Errorf("llm: the model stopped after %d tokens: give a prompt it continues", st.GeneratedTokens)
			}
			speed := float64(st.GeneratedTokens-1) / d.Seconds()
			if mode == LookupOn {
				texts[1], look, r.Drafted, r.Accepted = text, look+speed, st.Drafted, st.Accepted
			} else {
				texts[0], plain = text, plain+speed
			}
		}
		if i >= 0 && texts[0] != texts[1] {
			return r, fmt.Errorf("llm: prompt lookup wrote %q where plain decoding wrote %q", texts[1], texts[0])
		}
	}
	x.Reset()
	r.Plain, r.Lookup = plain/float64(reps), look/float64(reps)
	return r, nil
}
