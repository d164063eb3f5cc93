package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/lab"
)

// samplingFlags are the generation settings shared by generate and chat.
type samplingFlags struct {
	s         engine.Sampling
	maxTokens int
	stop      stringList
}

func (f *samplingFlags) register(fs *flag.FlagSet, maxTokens int) {
	f.registerSampling(fs)
	f.maxTokens = maxTokens
	fs.Func("n", fmt.Sprintf("most tokens to generate (default %d; 0: until the model stops or its context is full)", maxTokens), intInto(&f.maxTokens, 0, 1<<20))
	fs.Var(&f.stop, "stop", "stop when this text appears (repeatable)")
}

// registerSampling registers how tokens are chosen, without the length
// and stop flags (chat takes those with the answer flags).
func (f *samplingFlags) registerSampling(fs *flag.FlagSet) {
	f.s = engine.DefaultSampling()
	fs.Int64Var(&f.s.Seed, "seed", f.s.Seed, "random seed; the same seed gives the same text (-1: random)")
	fs.Func("temp", fmt.Sprintf("temperature; 0 always picks the likeliest token (default %g)", f.s.Temperature), floatInto(&f.s.Temperature, 0, 5))
	fs.Func("top-k", fmt.Sprintf("sample from the K likeliest tokens (default %d; 0: off)", f.s.TopK), intInto(&f.s.TopK, 0, 1<<20))
	fs.Func("top-p", fmt.Sprintf("nucleus sampling threshold (default %g; 1: off)", f.s.TopP), floatInto(&f.s.TopP, 0, 1))
	fs.Func("min-p", fmt.Sprintf("drop tokens below this share of the likeliest (default %g; 0: off)", f.s.MinP), floatInto(&f.s.MinP, 0, 1))
	fs.Func("repeat-penalty", fmt.Sprintf("penalty for repeating recent tokens (default %g; 1: off)", f.s.RepeatPenalty), floatInto(&f.s.RepeatPenalty, 0, 10))
}

func floatInto(p *float32, lo, hi float64) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		if v < lo || v > hi {
			return fmt.Errorf("%g is outside %g…%g", v, lo, hi)
		}
		*p = float32(v)
		return nil
	}
}

func intInto(p *int, lo, hi int) func(string) error {
	return func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		if v < lo || v > hi {
			return fmt.Errorf("%d is outside %d…%d", v, lo, hi)
		}
		*p = v
		return nil
	}
}

func (f *samplingFlags) generation() lab.Generation {
	return lab.Generation{MaxTokens: f.maxTokens, Stop: f.stop, Sampling: f.s}
}
