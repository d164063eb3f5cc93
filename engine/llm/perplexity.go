//go:build cgo

package llm

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"errors"
	"math"
	"unsafe"
)

// Perplexity measures the model on text as llama.cpp's llama-perplexity
// does: the text is read in windows of the context (at most its batch
// size), each from an empty cache, and the second half of each window is
// scored, every token seeing at least half a window before it. It empties
// the context's cache.
func (x *Context) Perplexity(ctx context.Context, text string) (Perplexity, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return Perplexity{}, errors.New("llm: the context is closed")
	}
	toks := x.m.tokenize(text, true)
	window := min(x.nCtx, x.nBatch)
	if len(toks) < window {
		window = len(toks)
	}
	if window < 16 {
		return Perplexity{}, errors.New("llm: the text is too short to measure (at least 16 tokens)")
	}
	nVocab := int(C.llama_vocab_n_tokens(x.m.vocab))
	var nll float64
	scored := 0
	for start := 0; start+window <= len(toks); start += window {
		if err := ctx.Err(); err != nil {
			return Perplexity{}, err
		}
		x.clear()
		chunk := toks[start : start+window]
		if err := x.decodeRows(ctx, chunk, 0, true, true); err != nil {
			x.clear()
			return Perplexity{}, err
		}
		for i := window / 2; i < window-1; i++ {
			row := x.rowLogits(i, nVocab)
			nll += logSumExp(row) - float64(row[chunk[i+1]])
			scored++
		}
	}
	x.clear()
	if scored == 0 {
		return Perplexity{}, errors.New("llm: nothing was scored")
	}
	return Perplexity{Value: math.Exp(nll / float64(scored)), Tokens: scored, Window: window}, nil
}

// rowLogits are the logits of row i of the last evaluation (which must
// have asked for them), in llama.cpp's memory: valid until the next one.
func (x *Context) rowLogits(i, nVocab int) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(C.llama_get_logits_ith(x.c, C.int32_t(i)))), nVocab)
}

// logSumExp is log Σ exp(v), computed stably.
func logSumExp(v []float32) float64 {
	m := float32(math.Inf(-1))
	for _, f := range v {
		m = max(m, f)
	}
	var s float64
	for _, f := range v {
		s += math.Exp(float64(f - m))
	}
	return float64(m) + math.Log(s)
}
