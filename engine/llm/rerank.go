//go:build cgo

package llm

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"errors"
)

// Reranker scores how well passages answer a question by reading the two
// together (a cross-encoder, llama.cpp's rank pooling): slower than
// comparing vectors, so it re-orders the best few candidates of a search.
type Reranker struct {
	e *Embedder
}

// NewReranker makes a reranker of a model whose pooling is "rank".
func (m *Model) NewReranker(opts EmbedOptions) (*Reranker, error) {
	if m.info.Pooling != "rank" {
		return nil, ErrNotReranker
	}
	e, err := m.NewEmbedder(opts)
	if err != nil {
		return nil, err
	}
	if !e.rank {
		e.Close()
		return nil, ErrNotReranker
	}
	return &Reranker{e: e}, nil
}

// Score returns one relevance score per passage for the question, higher
// for a better answer (the model's own scale: compare scores within one
// call). A passage too long for the model is cut.
func (r *Reranker) Score(ctx context.Context, question string, passages []string) ([]float32, error) {
	e := r.e
	toks, err := r.pairs(ctx, question, passages)
	if err != nil {
		return nil, err
	}
	outs, err := e.embedTokens(ctx, toks)
	if err != nil {
		return nil, err
	}
	scores := make([]float32, len(outs))
	for i, o := range outs {
		scores[i] = o[0]
	}
	return scores, nil
}

// Close frees the reranker's context.
func (r *Reranker) Close() error { return r.e.Close() }

// pairs tokenizes the question with each passage as one sequence.
func (r *Reranker) pairs(ctx context.Context, question string, passages []string) ([][]C.llama_token, error) {
	e := r.e
	e.mu.Lock() // the model stays loaded while it is held
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	q := e.m.tokenize(question, false)
	// The pair as llama.cpp's server lays it out for rerankers:
	// [BOS] question [EOS] [SEP] passage [EOS], each mark where the
	// vocabulary asks for it.
	v := e.m.vocab
	var head, tail []C.llama_token
	if C.llama_vocab_get_add_bos(v) {
		head = append(head, C.llama_vocab_bos(v))
	}
	head = append(head, q...)
	if C.llama_vocab_get_add_eos(v) {
		head = append(head, C.llama_vocab_eos(v))
		tail = append(tail, C.llama_vocab_eos(v))
	}
	if C.llama_vocab_get_add_sep(v) {
		head = append(head, C.llama_vocab_sep(v))
	}
	if len(head)+len(tail)+1 > e.nTokens {
		return nil, errors.New("llm: the question is too long for the reranking model")
	}
	toks := make([][]C.llama_token, len(passages))
	for i, p := range passages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := e.m.tokenize(p, false)
		d = d[:min(len(d), e.nTokens-len(head)-len(tail))]
		seq := make([]C.llama_token, 0, len(head)+len(d)+len(tail))
		seq = append(append(append(seq, head...), d...), tail...)
		toks[i] = seq
	}
	return toks, nil
}
