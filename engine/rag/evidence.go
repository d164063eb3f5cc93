package rag

import (
	"slices"
	"sort"
	"strings"
)

// Evidence selection: the model is given, of each long passage, the
// sentences that match the question best with a sentence of context on
// each side, not the whole passage. Reading the prompt is nearly all of
// the time to the first word on a CPU, and a 400-token passage usually
// answers with one or two of its sentences. The source keeps its place
// (the citation and the viewer's highlight still point at the whole
// passage); only what the model reads is shorter.

const (
	// evidenceMinChars: a passage this short is given whole.
	evidenceMinChars = 600
	// evidenceShare is the most of a long passage given as evidence; at
	// least evidenceMinChars of it are kept.
	evidenceShare = 0.5
	// evidenceGap joins the pieces of one passage.
	evidenceGap = " … "
)

// Evidence is selectEvidence for measurements outside a Respond call.
func Evidence(question string, src []Source) []Source { return selectEvidence(termSet(question), src) }

// selectEvidence sets Evidence on each long source to its sentences that
// hold most of the question's terms, with their neighbours, merged where
// they touch and in their order; a sentence already given in an earlier
// source is not repeated. A source none of whose sentences holds a term
// of the question (found by meaning) is given whole.
func selectEvidence(want map[string]bool, src []Source) []Source {
	seen := map[string]bool{}
	out := make([]Source, len(src))
	for i, s := range src {
		out[i] = s
		e, ok := evidence(want, s.Text, seen)
		if ok {
			out[i].Evidence = e
		}
	}
	return out
}

// evidence picks the sentences of one passage; ok is false when the
// passage should be given whole.
func evidence(want map[string]bool, text string, seen map[string]bool) (string, bool) {
	spans, score := scoreSentences(want, text)
	if len(text) <= evidenceMinChars || len(spans) <= 3 {
		for _, sp := range spans {
			seen[norm(text[sp[0]:sp[1]])] = true
		}
		return "", false
	}
	best := slices.Max(score)
	if best == 0 {
		return "", false
	}
	// Sentences by score, the earlier first on a tie; each brings its
	// neighbours, until the budget is spent.
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] > score[order[b]] })
	budget := max(evidenceMinChars, int(evidenceShare*float64(len(text))))
	keep := make([]bool, len(spans))
	used := 0
	take := func(i int) {
		if i < 0 || i >= len(spans) || keep[i] {
			return
		}
		keep[i] = true
		used += spans[i][1] - spans[i][0]
	}
	for n, i := range order {
		if score[i] == 0 || (n > 0 && used >= budget) {
			break
		}
		// A sentence weaker than half the best adds little.
		if n > 0 && 2*score[i] < best {
			break
		}
		take(i)
		take(i - 1)
		take(i + 1)
	}
	var b strings.Builder
	last := -2
	for i, sp := range spans {
		if !keep[i] {
			continue
		}
		s := text[sp[0]:sp[1]]
		key := norm(s)
		if seen[key] {
			last = -2 // a repeat: the next piece starts apart
			continue
		}
		seen[key] = true
		switch {
		case b.Len() == 0:
		case last == i-1:
			b.WriteByte(' ')
		default:
			b.WriteString(evidenceGap)
		}
		b.WriteString(s)
		last = i
	}
	if b.Len() == 0 {
		// Every sentence it would give was given already (a copy of an
		// earlier passage): its best sentence alone, not the whole again.
		return text[spans[order[0]][0]:spans[order[0]][1]], true
	}
	return b.String(), true
}

// HoldsAnswer reports whether text contains one of the answers, ignoring
// case and spacing (for measuring what a prompt keeps).
func HoldsAnswer(text string, answers []string) bool {
	t := norm(text)
	for _, a := range answers {
		if a = norm(a); a != "" && strings.Contains(t, a) {
			return true
		}
	}
	return false
}

// norm is a sentence as compared for repeats: lower case, spaces folded.
func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
