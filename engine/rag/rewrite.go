package rag

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/carrel-ai/carrel/engine/retrieve"
)

// referring words make a follow-up depend on what came before.
var referring = map[string]bool{
	"it": true, "its": true, "this": true, "that": true, "these": true, "those": true,
	"they": true, "them": true, "their": true, "he": true, "him": true, "his": true,
	"she": true, "her": true, "there": true, "then": true, "also": true, "same": true,
	"other": true, "else": true, "more": true,
}

// StandaloneQuery turns a follow-up question into a search query that
// stands on its own ("and when was it built?" after a question about the
// Eiffel Tower becomes a question about the Eiffel Tower). With a model it
// asks the model, and checks that the rewrite stays on the conversation's
// words; without one, or when the rewrite is off, it joins the previous
// question to a follow-up that refers back or is short. It reports
// whether the model's rewrite was used.
func StandaloneQuery(ctx context.Context, m Model, cfg Config, history []Turn, question string) (string, bool) {
	question = strings.TrimSpace(question)
	if len(history) == 0 {
		return question, false
	}
	if m != nil {
		if q, ok := rewrite(ctx, m, cfg, history, question); ok {
			return q, true
		}
	}
	return joinFollowUp(history, question), false
}

func joinFollowUp(history []Turn, question string) string {
	last := strings.TrimSpace(history[len(history)-1].Question)
	words := strings.FieldsFunc(strings.ToLower(question), func(r rune) bool {
		return !(r == '\'' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
	// A follow-up refers back ("when was it built?") or continues the
	// last question ("and the harbour?", "what about Rome?"); a question
	// that does neither starts a new topic, however short.
	refers := len(words) > 0 && (words[0] == "and" || words[0] == "also" || words[0] == "but" ||
		len(words) > 1 && (words[0] == "what" || words[0] == "how") && words[1] == "about")
	for _, w := range words {
		refers = refers || referring[w]
	}
	if !refers || last == "" {
		return question
	}
	return last + " " + question
}

func rewrite(ctx context.Context, m Model, cfg Config, history []Turn, question string) (string, bool) {
	cfg = cfg.withDefaults()
	var b strings.Builder
	b.WriteString("Rewrite the last question of this conversation so that it can be understood without the conversation, for a search in documents. Reply with the rewritten question only.\n\n")
	from := max(0, len(history)-3)
	for _, t := range history[from:] {
		b.WriteString("User: " + clip(t.Question, 300) + "\n")
		b.WriteString("Assistant: " + clip(t.Answer, 300) + "\n")
	}
	b.WriteString("Last question: " + question)
	// The system prompt comes first, as in answers, so its KV cache stays
	// warm for the answer that follows.
	msgs := []Message{{Role: "system", Content: cfg.SystemPrompt}, {Role: "user", Content: b.String()}}
	if chain := keptConversation(m, cfg, history, question); chain != nil {
		msgs = chain
	}
	var out strings.Builder
	_, err := m.Chat(ctx, msgs, GenOptions{MaxTokens: rewriteTokens, Temperature: 0}, func(s string) error {
		out.WriteString(s)
		if strings.Contains(out.String(), "\n") {
			return errStopRewrite
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopRewrite) {
		return "", false
	}
	q := strings.TrimSpace(strings.SplitN(out.String(), "\n", 2)[0])
	q = strings.Trim(strings.TrimPrefix(q, "Rewritten question:"), " \"“”")
	return q, plausibleRewrite(q, history, question)
}

// plausibleRewrite accepts a rewrite that is a single question of sensible
// length, whose words mostly come from the conversation, which keeps the
// follow-up's own subject and adds what it referred to. This refuses a
// small model that drifts into a story, or that repeats its previous
// answer instead of the question (all of whose words are "known").
func plausibleRewrite(q string, history []Turn, question string) bool {
	if q == "" || utf8.RuneCountInString(q) > 3*utf8.RuneCountInString(question)+200 {
		return false
	}
	got := termSet(q)
	if len(got) == 0 {
		return false
	}
	var asked, said strings.Builder
	asked.WriteString(question)
	flat := wordsOnly(q)
	for _, t := range history {
		if strings.Contains(wordsOnly(t.Answer), flat) {
			return false // an echo of an answer, not a question
		}
		asked.WriteString(" " + t.Question)
		said.WriteString(" " + t.Answer)
	}
	fromUser, fromAnswers, own := termSet(asked.String()), termSet(said.String()), termSet(question)
	// own is part of fromUser, so kept+added counts the known words.
	var kept, added, user int
	for t := range got {
		switch {
		case own[t]:
			kept++
		case fromUser[t] || fromAnswers[t]:
			added++
		}
		if fromUser[t] {
			user++
		}
	}
	// A rewrite keeps the follow-up's own subject words, if it has any,
	// and adds what the follow-up referred to; one that adds nothing is no
	// better than joining the questions.
	refersBack := joinFollowUp(history, question) != question
	switch {
	case len(own) > 0 && kept == 0, refersBack && added == 0, user == 0:
		return false
	}
	return float64(kept+added) >= 0.6*float64(len(got))
}

// wordsOnly lower-cases s and keeps its words, dropping punctuation and
// citation marks, so that an echo is found whatever its punctuation.
func wordsOnly(s string) string {
	w := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return " " + strings.Join(w, " ") + " "
}

var errStopRewrite = errors.New("rag: rewrite complete")

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// FollowUpRetrieval chooses what a follow-up is answered from, given the
// search for its standalone rewrite and the search for the question as
// asked. The rewrite helps a follow-up that leans on the conversation
// ("and when was it built?"), but must never make a question that stands
// on its own worse: when the question as asked finds passages above the
// relevance floor and the rewrite does not, the question's own are used;
// when both do, their passages are taken in turn (the rewrite's first),
// so the question's best passages are among the sources; when only the
// rewrite does, or neither, the rewrite's are used.
func FollowUpRetrieval(rewritten, asked Retrieval, k int) Retrieval {
	switch {
	case !asked.Result.Relevant:
		return rewritten
	case !rewritten.Result.Relevant:
		return asked
	}
	a, b := rewritten.Result.Hits, asked.Result.Hits
	if k <= 0 {
		k = len(a) + len(b)
	}
	out := rewritten
	out.Result.Hits = nil
	seen := map[int64]bool{}
	for i := 0; (i < len(a) || i < len(b)) && len(out.Result.Hits) < k; i++ {
		for _, list := range [][]retrieve.Hit{a, b} {
			if i < len(list) && !seen[list[i].ChunkID] && len(out.Result.Hits) < k {
				seen[list[i].ChunkID] = true
				out.Result.Hits = append(out.Result.Hits, list[i])
			}
		}
	}
	out.Took = rewritten.Took + asked.Took
	return out
}

// rewriteTokens is the most a rewritten question may take.
const rewriteTokens = 64

// keptConversation lays out the rewrite after the conversation as the
// model read it (see carrySources), when the answer will keep it: the
// model's cache of it then serves the rewrite and the answer after it,
// and only the short request is read. nil when it is not kept or does not
// fit.
func keptConversation(m Model, cfg Config, history []Turn, question string) []Message {
	start := carryStart(history)
	if start < 0 {
		return nil
	}
	msgs := append(conversation(cfg.SystemPrompt, nil, history[start:]), Message{Role: "user", Content: "Rewrite my next question so that it can be understood without this conversation, for a search in documents. Reply with the rewritten question only.\n\nNext question: " + question})
	// Its reply is dropped from the cache afterwards, so it needs room in
	// the context, not the answer's reserve.
	if n, err := m.PromptTokens(msgs); err != nil || n+rewriteTokens > m.ContextSize() {
		return nil
	}
	return msgs
}
