package rag

import (
	"context"
	"errors"

	"github.com/carrel-ai/carrel/engine/retrieve"
)

// A follow-up keeps the sources the model has read. The earlier turns are
// laid out exactly as the model read them (each question with its
// sources, then its answer), so the prompt starts with the previous
// prompt and the model's KV cache of it is reused: only the new question,
// and the passages not given before, are read. New sources are numbered
// after the earlier ones and may be cited alongside them.
//
// When the conversation so far and the new question do not fit the
// context together, the usual layout is used instead (earlier questions
// without their sources) and the next follow-up starts a new run from
// this turn.

// carryStart is where the run of turns a follow-up can keep begins: the
// last turn and those before it that each kept the sources of the one
// before; -1 when the last turn has no record of what the model read.
func carryStart(h []Turn) int {
	if len(h) == 0 || h[len(h)-1].Asked == "" || len(h[len(h)-1].Sources) == 0 {
		return -1
	}
	for i, s := range h[len(h)-1].Sources {
		if s.N != i+1 { // citations index the sources by number
			return -1
		}
	}
	i := len(h) - 1
	for i > 0 && h[i].Carried > 0 && h[i-1].Asked != "" {
		i--
	}
	return i
}

// carrySources lays out a follow-up that keeps the earlier turns' sources:
// a budget whose messages start with them, and the sources, the kept ones
// first, and how many new passages did not fit. A nil budget means they
// cannot be kept (no record, or no room).
func carrySources(ctx context.Context, m Model, lib Library, cfg Config, q Question, want map[string]bool, hits []retrieve.Hit) (*budget, []Source, int, error) {
	start := carryStart(q.History)
	if start < 0 {
		return nil, nil, 0, nil
	}
	last := q.History[len(q.History)-1]
	b := emptyBudget(m, cfg, q)
	b.chain, b.carried = q.History[start:], last.Sources
	fits, err := b.fits(nil)
	if err != nil || !fits {
		return nil, nil, 0, err
	}
	var fresh []retrieve.Hit
	for _, h := range hits {
		if !kept(last.Sources, h) {
			fresh = append(fresh, h)
		}
	}
	var src []Source
	if len(fresh) > 0 {
		// A whole document is not offered here: what the model has read
		// already is the context of the follow-up.
		src, _, err = chooseSources(ctx, lib, b, want, fresh, true, cfg.WholePassages)
		if errors.Is(err, ErrQuestionTooLong) {
			return nil, nil, 0, nil // no room for a new source: the usual layout
		}
		if err != nil {
			return nil, nil, 0, err
		}
	}
	out := append([]Source(nil), last.Sources...)
	for i, s := range src {
		s.N = len(out) + 1
		out = append(out, s)
		src[i] = s
	}
	return b, out, len(fresh) - len(src), nil
}

// kept reports whether a passage is among the sources already given.
func kept(src []Source, h retrieve.Hit) bool {
	for _, s := range src {
		if s.DocID != h.DocID {
			continue
		}
		if s.ChunkID != 0 && s.ChunkID == h.ChunkID {
			return true
		}
		// A section of a document given whole holds its passages.
		if s.ChunkID == 0 && s.Place.Section == h.Place.Section {
			return true
		}
	}
	return false
}

// bestFirst puts first the source of this question's best passage: with
// kept sources first in the numbering, it may be any of them (for the
// preview).
func bestFirst(src []Source, hits []retrieve.Hit) []Source {
	if len(hits) == 0 {
		return src
	}
	for i, s := range src {
		if i > 0 && kept([]Source{s}, hits[0]) {
			out := append([]Source{s}, src[:i]...)
			return append(out, src[i+1:]...)
		}
	}
	return src
}
