package rag

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/carrel-ai/carrel/assets"
	"github.com/carrel-ai/carrel/engine/passage"
	"github.com/carrel-ai/carrel/engine/retrieve"
)

// budget fits a prompt into the model's context: the system prompt and the
// question always, the answer's reserve, then as much of the conversation
// (newest turns first) and as many sources (most relevant first) as fit.
// Sizes are counted with the model's own tokenizer and chat template.
type budget struct {
	m        Model
	system   string
	history  []Turn
	question string
	size     int // the context window
	limit    int // tokens the prompt may take
	// chain, when set, are the earlier turns laid out as the model read
	// them, sources included (see carrySources), in place of history;
	// carried are the sources numbered in them.
	chain   []Turn
	carried []Source
}

// emptyBudget is the room for q's prompt: the context less the answer's
// reserve (at most a quarter of it), with no conversation yet.
func emptyBudget(m Model, cfg Config, q Question) *budget {
	size := m.ContextSize()
	return &budget{m: m, system: cfg.SystemPrompt, question: q.Text, size: size, limit: size - min(cfg.AnswerTokens, size/4)}
}

// The conversation may take a quarter of what the prompt may hold: the
// sources matter more to an answer than old turns.
func newBudget(m Model, cfg Config, q Question) (*budget, error) {
	b := emptyBudget(m, cfg, q)
	base, err := b.tokens(nil)
	if err != nil {
		return nil, err
	}
	if base > b.limit {
		return nil, fmt.Errorf("%w (%d tokens with the instructions, %d available)", ErrQuestionTooLong, base, b.limit)
	}
	b.history = q.History
	for len(b.history) > 0 {
		n, err := b.tokens(nil)
		if err != nil {
			return nil, err
		}
		if n-base <= b.limit/4 {
			break
		}
		b.history = b.history[1:]
	}
	return b, nil
}

// messages lays out the conversation with src as the question's sources.
// Earlier questions appear without their sources, so the prompt's prefix
// (the system prompt and the conversation) stays the same from one
// question to the next and its KV cache is reused.
func (b *budget) messages(src []Source) []Message {
	msgs := conversation(b.system, b.history, b.chain)
	var u strings.Builder
	if len(src) == 0 && len(b.carried) > 0 {
		u.WriteString("Sources: as above.\n\nQuestion: ")
	}
	if len(src) > 0 {
		u.WriteString("Sources:\n\n")
		for _, s := range src {
			fmt.Fprintf(&u, "[%d] %s\n%s\n\n", s.N, s.Locator(), strings.TrimSpace(s.ForModel()))
		}
		u.WriteString("Question: ")
	}
	u.WriteString(b.question)
	return append(msgs, Message{Role: "user", Content: u.String()})
}

// conversation is a prompt's beginning: the system prompt, the earlier
// questions of history without their sources, then the turns of chain as
// the model read them, sources included (see carrySources).
func conversation(system string, history, chain []Turn) []Message {
	msgs := []Message{{Role: "system", Content: system}}
	for _, t := range history {
		msgs = append(msgs, Message{Role: "user", Content: t.Question}, Message{Role: "assistant", Content: t.Answer})
	}
	for _, t := range chain {
		msgs = append(msgs, Message{Role: "user", Content: t.Asked}, Message{Role: "assistant", Content: t.Answer})
	}
	return msgs
}

func (b *budget) tokens(src []Source) (int, error) {
	n, err := b.m.PromptTokens(b.messages(src))
	if err != nil {
		return 0, fmt.Errorf("rag: counting tokens: %w", err)
	}
	return n, nil
}

func (b *budget) fits(src []Source) (bool, error) {
	n, err := b.tokens(src)
	return n <= b.limit, err
}

// chooseSources picks what the model reads: a whole document when the
// question is about one that fits in half the context, else the passages
// in order of relevance, as many as fit (the least relevant are dropped).
// When not even the best passage fits, it is shortened.
func chooseSources(ctx context.Context, lib Library, b *budget, want map[string]bool, hits []retrieve.Hit, noWhole, wholePassages bool) ([]Source, string, error) {
	if !noWhole {
		if src, path, err := wholeDocument(ctx, lib, b, want, hits); err != nil || src != nil {
			return src, path, err
		}
	}
	all := sources(hits)
	if !wholePassages {
		all = selectEvidence(want, all)
	}
	// Binary search for the most sources that fit: counting a prompt
	// tokenizes it whole, so count few times.
	n, err := largest(len(all), func(n int) (bool, error) { return b.fits(all[:n]) })
	if err != nil {
		return nil, "", err
	}
	if n > 0 {
		return all[:n], "", nil
	}
	first := all[0]
	first.Evidence = ""
	rs := []rune(all[0].ForModel())
	lo, err := largest(len(rs), func(n int) (bool, error) {
		first.Text = string(rs[:n]) + "…"
		return b.fits([]Source{first})
	})
	if err != nil {
		return nil, "", err
	}
	if lo == 0 {
		return nil, "", fmt.Errorf("%w: no room left for any source", ErrQuestionTooLong)
	}
	first.Text = string(rs[:lo]) + "…"
	return []Source{first}, "", nil
}

// largest returns the largest n in [0, max] for which ok(n) holds,
// assuming ok is true up to some n and false above; ok(0) is not asked.
func largest(max int, ok func(int) (bool, error)) (int, error) {
	lo, hi := 0, max
	for lo < hi {
		mid := (lo + hi + 1) / 2
		fits, err := ok(mid)
		if err != nil {
			return 0, err
		}
		if fits {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, nil
}

// wholeDocument returns the document the question is about, section by
// section, when it fits in half the context. A question is taken to be
// about one document when it names it (its title or file name) or when
// most of the best passages come from it.
func wholeDocument(ctx context.Context, lib Library, b *budget, want map[string]bool, hits []retrieve.Hit) ([]Source, string, error) {
	if len(hits) == 0 || lib == nil {
		return nil, "", nil
	}
	doc := hits[0]
	same := 0
	for _, h := range hits {
		if h.DocID == doc.DocID {
			same++
		}
	}
	if !namesDocument(want, doc) && float64(same) < 0.6*float64(len(hits)) {
		return nil, "", nil
	}
	secs, err := lib.DocumentSections(ctx, doc.DocID)
	if err != nil {
		return nil, "", fmt.Errorf("rag: reading %s: %w", doc.Path, err)
	}
	src := sections(doc, secs, hits)
	if len(src) == 0 {
		return nil, "", nil
	}
	base, err := b.tokens(nil)
	if err != nil {
		return nil, "", err
	}
	n, err := b.tokens(src)
	if err != nil {
		return nil, "", err
	}
	if n-base > b.size/2 || n > b.limit {
		return nil, "", nil
	}
	return src, doc.Path, nil
}

// namesDocument reports whether the question (its terms, q) mentions the
// document by most of the words of its title or of its file name.
func namesDocument(q map[string]bool, h retrieve.Hit) bool {
	stem := strings.TrimSuffix(filepath.Base(h.Path), filepath.Ext(h.Path))
	for _, name := range []string{h.Title, strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(stem)} {
		t := termSet(name)
		if len(t) == 0 {
			continue
		}
		hit := 0
		for w := range t {
			if q[w] {
				hit++
			}
		}
		if float64(hit) >= 0.6*float64(len(t)) {
			return true
		}
	}
	return false
}

// sections makes one source of each stored section of a document (the
// text its passages were cut from). Scores come from the retrieved
// passages the section holds.
func sections(doc retrieve.Hit, secs []Section, hits []retrieve.Hit) []Source {
	var out []Source
	for _, sec := range secs {
		s := sourceOf(len(out)+1, doc)
		s.ChunkID, s.Text, s.Page, s.Heading = 0, sec.Text, sec.Page, sec.Heading
		s.Place = passage.Place{Section: sec.Ord, Start: 0, End: len(sec.Text), CharFirst: passage.NoChars, CharLast: passage.NoChars}
		s.Score, s.Scores = 0, retrieve.Scores{}
		for _, h := range hits {
			if h.DocID == doc.DocID && h.Place.Section == sec.Ord && h.Scores.Fused > s.Score {
				s.Score, s.Scores = h.Scores.Fused, h.Scores
			}
		}
		out = append(out, s)
	}
	return out
}

// ungroundedMessages asks the model to answer from its own knowledge.
func ungroundedMessages(q Question) []Message {
	msgs := []Message{{Role: "system", Content: strings.TrimSpace(assets.UngroundedPrompt)}}
	for _, t := range q.History {
		msgs = append(msgs, Message{Role: "user", Content: t.Question}, Message{Role: "assistant", Content: t.Answer})
	}
	return append(msgs, Message{Role: "user", Content: q.Text})
}
