package rag

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/carrel-ai/carrel/assets"
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
}

// The conversation may take a quarter of what the prompt may hold: the
// sources matter more to an answer than old turns.
func newBudget(m Model, cfg Config, q Question) (*budget, error) {
	size := m.ContextSize()
	reserve := min(cfg.AnswerTokens, size/4)
	b := &budget{m: m, system: cfg.SystemPrompt, question: q.Text, size: size, limit: size - reserve}
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
	msgs := []Message{{Role: "system", Content: b.system}}
	for _, t := range b.history {
		msgs = append(msgs, Message{Role: "user", Content: t.Question}, Message{Role: "assistant", Content: t.Answer})
	}
	var u strings.Builder
	if len(src) > 0 {
		u.WriteString("Sources:\n\n")
		for _, s := range src {
			fmt.Fprintf(&u, "[%d] %s\n%s\n\n", s.N, s.Locator(), strings.TrimSpace(s.Text))
		}
		u.WriteString("Question: ")
	}
	u.WriteString(b.question)
	return append(msgs, Message{Role: "user", Content: u.String()})
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
func chooseSources(ctx context.Context, lib Library, b *budget, question string, hits []retrieve.Hit, noWhole bool) ([]Source, string, error) {
	if !noWhole {
		if src, path, err := wholeDocument(ctx, lib, b, question, hits); err != nil || src != nil {
			return src, path, err
		}
	}
	all := sources(hits)
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
	rs := []rune(first.Text)
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
func wholeDocument(ctx context.Context, lib Library, b *budget, question string, hits []retrieve.Hit) ([]Source, string, error) {
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
	if !namesDocument(question, doc) && float64(same) < 0.6*float64(len(hits)) {
		return nil, "", nil
	}
	passages, err := lib.DocumentPassages(ctx, doc.DocID)
	if err != nil {
		return nil, "", fmt.Errorf("rag: reading %s: %w", doc.Path, err)
	}
	src := sections(passages, hits)
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

// namesDocument reports whether the question mentions the document by
// most of the words of its title or of its file name.
func namesDocument(question string, h retrieve.Hit) bool {
	q := terms(question)
	stem := strings.TrimSuffix(filepath.Base(h.Path), filepath.Ext(h.Path))
	for _, name := range []string{h.Title, strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(stem)} {
		t := terms(name)
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

// sections joins a document's passages, in order, into one source per page
// or section. Scores come from the retrieved passages the section contains.
func sections(passages []retrieve.Hit, hits []retrieve.Hit) []Source {
	scores := map[int64]retrieve.Scores{}
	for _, h := range hits {
		scores[h.ChunkID] = h.Scores
	}
	var out []Source
	for _, sec := range Sections(passages) {
		s := sourceOf(len(out)+1, sec.First)
		s.ChunkID, s.Text = 0, sec.Text
		for id := range sec.Spans {
			if sc, ok := scores[id]; ok && sc.Fused > s.Score {
				s.Score, s.Scores = sc.Fused, sc
			}
		}
		out = append(out, s)
	}
	return out
}

// Section is the text of one page or section of a document, joined from
// its passages.
type Section struct {
	Page    int
	Heading string
	Text    string
	// Spans locates each passage (by chunk id) in Text, as byte offsets.
	Spans map[int64][2]int
	First retrieve.Hit // the section's first passage
}

// Sections joins a document's passages, in order, into its pages or
// sections, removing the text that consecutive passages share (chunks
// overlap), so the result reads as the document does.
func Sections(passages []retrieve.Hit) []Section {
	var out []Section
	var prev string
	for _, p := range passages {
		text := p.Text
		if n := len(out); n > 0 && out[n-1].Page == p.Page && out[n-1].Heading == p.Heading {
			sec := &out[n-1]
			ov := overlap(prev, text)
			rest := strings.TrimLeft(text[ov:], " ")
			sep := " "
			if strings.HasPrefix(rest, "\n") {
				sep = ""
			}
			start := len(sec.Text) - ov
			if ov == 0 {
				start = len(sec.Text) + len(sep)
			}
			sec.Text += sep + rest
			sec.Spans[p.ChunkID] = [2]int{max(start, 0), len(sec.Text)}
		} else {
			out = append(out, Section{Page: p.Page, Heading: p.Heading, Text: text, Spans: map[int64][2]int{p.ChunkID: {0, len(text)}}, First: p})
		}
		prev = text
	}
	return out
}

// overlap returns how many leading bytes of b repeat the end of a (at
// least 8, so that a chance match of a short word does not count).
func overlap(a, b string) int {
	if len(b) == 0 {
		return 0
	}
	for p := max(0, len(a)-len(b)); p <= len(a)-8; p++ {
		if a[p] == b[0] && strings.HasPrefix(b, a[p:]) {
			return len(a) - p
		}
	}
	return 0
}

// ungroundedMessages asks the model to answer from its own knowledge.
func ungroundedMessages(q Question) []Message {
	msgs := []Message{{Role: "system", Content: strings.TrimSpace(assets.UngroundedPrompt)}}
	for _, t := range q.History {
		msgs = append(msgs, Message{Role: "user", Content: t.Question}, Message{Role: "assistant", Content: t.Answer})
	}
	return append(msgs, Message{Role: "user", Content: q.Text})
}
