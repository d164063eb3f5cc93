package rag

import (
	"context"
	"strings"
)

// Reading ahead: while a person types a question, the model can already
// read the beginning of the prompt the question will get — the
// instructions, the sources that what is typed so far retrieves, and the
// question's complete words — so that after Enter it reads only what
// changed. The prompt is laid out with the question last (see
// budget.messages) for this: a question that grows changes only the end,
// and sources that stay the same stay a cached prefix. Nothing here
// decides what the answer is: the answer's prompt is made as always and
// reuses whatever of the read-ahead still matches it, so answers are the
// same with reading ahead or without.

// AheadReader is a Model that can read a prompt's beginning before the
// question is asked: a model on this computer, whose KV cache the answer
// reuses. ReadAhead reads up to n more tokens of msgs laid out in the
// chat template and left open at the end of the last message (no end of
// turn: more of the question will follow), and says whether all of it is
// read.
type AheadReader interface {
	Model
	ReadAhead(ctx context.Context, msgs []Message, n int) (read int, done bool, err error)
}

// AheadOf is the beginning of the prompt Respond would give m for a
// question that starts with q.Text (the words typed so far, none of them
// cut short), with the retrieval r of them: the messages up to the end of
// those words. ok is false when Respond would not ask the model this way
// (nothing relevant was found, the question is a follow-up or asks for
// the model's own knowledge, or nothing is typed).
func AheadOf(ctx context.Context, m Model, lib Library, q Question, r Retrieval, cfg Config) (msgs []Message, ok bool, err error) {
	cfg = cfg.withDefaults()
	if m == nil || q.Ungrounded || len(q.History) > 0 || strings.TrimSpace(q.Text) == "" || !r.Result.Relevant || len(r.Result.Hits) == 0 {
		return nil, false, nil
	}
	b, src, _, err := freshLayout(ctx, m, lib, cfg, q, questionTerms(q, r), r.Result.Hits)
	if err != nil {
		return nil, false, err
	}
	return b.messages(src), true, nil
}
