// Package grade scores written answers against gold answers: exact match
// and token F1 as SQuAD's official evaluation computes them, whether the
// cited passages hold a gold answer, and how often questions the documents
// cannot answer are declined. It tallies them over a question set into the
// report of `carrel eval answers`.
//
// It is pure and small on purpose: every figure of the report is a
// function of the per-question results, so the figures can be pinned by
// hand in tests, whatever model wrote the answers.
package grade

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// citeMarks are bracketed citation numbers, "[1]" or "[2, 3]": they are
// not words of the answer.
var citeMarks = regexp.MustCompile(`\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]`)

// StripCitations removes citation marks from an answer.
func StripCitations(answer string) string {
	return citeMarks.ReplaceAllString(answer, " ")
}

// Tokens are the words of s as SQuAD compares them: lower case, without
// punctuation and the English articles, split on spaces. Han, kana and
// hangul are taken one character at a time (as multilingual reading
// comprehension sets score them), so answers in languages written
// without spaces get partial credit too.
func Tokens(s string) []string {
	var out []string
	var word strings.Builder
	flush := func() {
		if word.Len() == 0 {
			return
		}
		w := word.String()
		word.Reset()
		if w != "a" && w != "an" && w != "the" {
			out = append(out, w)
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			// SQuAD drops punctuation without splitting: "6,650" is one word.
		case unicode.IsSpace(r):
			flush()
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
			flush()
			out = append(out, string(r))
		default:
			word.WriteRune(r)
		}
	}
	flush()
	return out
}

// ExactMatch is 1 when the answer, normalised, equals one of the gold
// answers, normalised; else 0.
func ExactMatch(answer string, gold []string) float64 {
	a := strings.Join(Tokens(StripCitations(answer)), " ")
	for _, g := range gold {
		if strings.Join(Tokens(g), " ") == a {
			return 1
		}
	}
	return 0
}

// F1 is the best token F1 of the answer against any gold answer: the
// harmonic mean of the share of the answer's words in the gold answer and
// the share of the gold answer's words in the answer (counted with
// multiplicity).
func F1(answer string, gold []string) float64 {
	a := Tokens(StripCitations(answer))
	best := 0.0
	for _, g := range gold {
		best = max(best, f1(a, Tokens(g)))
	}
	return best
}

func f1(a, g []string) float64 {
	if len(a) == 0 || len(g) == 0 {
		if len(a) == len(g) {
			return 1
		}
		return 0
	}
	left := map[string]int{}
	for _, t := range g {
		left[t]++
	}
	common := 0
	for _, t := range a {
		if left[t] > 0 {
			left[t]--
			common++
		}
	}
	if common == 0 {
		return 0
	}
	p, r := float64(common)/float64(len(a)), float64(common)/float64(len(g))
	return 2 * p * r / (p + r)
}

// Holds reports whether text contains one of the gold answers, both
// normalised as Tokens does (so "the 6,650 km" holds "6650 km").
func Holds(text string, gold []string) bool {
	t := " " + strings.Join(Tokens(StripCitations(text)), " ") + " "
	for _, g := range gold {
		if n := strings.Join(Tokens(g), " "); n != "" && strings.Contains(t, " "+n+" ") {
			return true
		}
	}
	return false
}

// Result is one question's answer, graded.
type Result struct {
	ID       string   `json:"id,omitempty"`
	Question string   `json:"question"`
	Gold     []string `json:"gold,omitempty"` // none: the documents do not answer it
	// HeldOut: the document that answers it was left out of the library.
	HeldOut bool   `json:"held_out,omitempty"`
	Answer  string `json:"answer"`
	Outcome string `json:"outcome"`
	// Declined: the answer says the documents do not hold it.
	Declined bool `json:"declined"`
	// ExactMatch, F1 and Holds compare the answer with the gold answers
	// (0 and false for a declined answerable question).
	ExactMatch float64 `json:"exact_match"`
	F1         float64 `json:"f1"`
	Holds      bool    `json:"holds_gold"`
	// Cited is how many passages the answer cited, CitedGold how many of
	// them hold a gold answer.
	Cited     int `json:"cited"`
	CitedGold int `json:"cited_gold"`
	// SourcesGold: some source given to the model held a gold answer.
	SourcesGold bool `json:"sources_hold_gold"`
	// FirstTokenMS is from the question to the answer's first token (0
	// when the model was not asked).
	FirstTokenMS    float64 `json:"first_token_ms,omitempty"`
	TokensPerS      float64 `json:"tokens_per_s,omitempty"`
	PromptTokens    int     `json:"prompt_tokens,omitempty"`
	GeneratedTokens int     `json:"generated_tokens,omitempty"`
}

// Answerable reports whether the question has a gold answer in the
// documents.
func (r Result) Answerable() bool { return len(r.Gold) > 0 }

// Grade fills in the scores of r from its answer, gold answers and the
// texts of the passages the answer cited and was given.
func Grade(r Result, cited, sources []string) Result {
	r.Cited = len(cited)
	r.CitedGold, r.ExactMatch, r.F1, r.Holds, r.SourcesGold = 0, 0, 0, false, false
	if !r.Answerable() {
		return r
	}
	for _, c := range cited {
		if Holds(c, r.Gold) {
			r.CitedGold++
		}
	}
	for _, s := range sources {
		r.SourcesGold = r.SourcesGold || Holds(s, r.Gold)
	}
	if !r.Declined {
		r.ExactMatch, r.F1, r.Holds = ExactMatch(r.Answer, r.Gold), F1(r.Answer, r.Gold), Holds(r.Answer, r.Gold)
	}
	return r
}

// Report is a question set's figures.
type Report struct {
	Questions    int `json:"questions"`
	Answerable   int `json:"answerable"`
	Unanswerable int `json:"unanswerable"`
	// Over answerable questions: the mean exact match and F1, and the
	// share of answers that hold a gold answer.
	ExactMatch float64 `json:"exact_match"`
	F1         float64 `json:"f1"`
	HoldsGold  float64 `json:"holds_gold"`
	// CitationPrecision is the share of cited passages (over answerable
	// questions) that hold a gold answer; CitationRecall the share of
	// answerable questions with at least one such citation.
	CitationPrecision float64 `json:"citation_precision"`
	CitationRecall    float64 `json:"citation_recall"`
	// SourcesGold is the share of answerable questions whose sources, as
	// given to the model, held a gold answer: the ceiling of the citation
	// recall that retrieval leaves.
	SourcesGold float64 `json:"sources_hold_gold"`
	// Declined shares: of the unanswerable questions (should be 1) and of
	// the answerable ones (should be 0).
	UnanswerableDeclined float64 `json:"unanswerable_declined"`
	AnswerableDeclined   float64 `json:"answerable_declined"`
	// Speed over the answers the model wrote: first-token time
	// percentiles, mean tokens per second and prompt tokens.
	Generated     int            `json:"generated"`
	FirstTokenP50 float64        `json:"first_token_p50_ms"`
	FirstTokenP95 float64        `json:"first_token_p95_ms"`
	TokensPerS    float64        `json:"tokens_per_s"`
	PromptTokens  float64        `json:"prompt_tokens"`
	Outcomes      map[string]int `json:"outcomes"`
}

// Tally adds up graded results into a Report.
type Tally struct {
	results []Result
}

// Add counts a graded result.
func (t *Tally) Add(r Result) { t.results = append(t.results, r) }

// Report computes the figures of the results added so far.
func (t *Tally) Report() Report {
	rep := Report{Outcomes: map[string]int{}}
	var em, f1, holds, cited, citedGold, recall, srcGold, declA, declU float64
	var firsts []float64
	var tps, prompt float64
	for _, r := range t.results {
		rep.Questions++
		rep.Outcomes[r.Outcome]++
		if r.FirstTokenMS > 0 {
			rep.Generated++
			firsts = append(firsts, r.FirstTokenMS)
			tps += r.TokensPerS
			prompt += float64(r.PromptTokens)
		}
		if !r.Answerable() {
			rep.Unanswerable++
			declU += b2f(r.Declined)
			continue
		}
		rep.Answerable++
		em += r.ExactMatch
		f1 += r.F1
		holds += b2f(r.Holds)
		cited += float64(r.Cited)
		citedGold += float64(r.CitedGold)
		recall += b2f(r.CitedGold > 0)
		srcGold += b2f(r.SourcesGold)
		declA += b2f(r.Declined)
	}
	if n := float64(rep.Answerable); n > 0 {
		rep.ExactMatch, rep.F1, rep.HoldsGold = em/n, f1/n, holds/n
		rep.CitationRecall, rep.SourcesGold, rep.AnswerableDeclined = recall/n, srcGold/n, declA/n
	}
	if cited > 0 {
		rep.CitationPrecision = citedGold / cited
	}
	if rep.Unanswerable > 0 {
		rep.UnanswerableDeclined = declU / float64(rep.Unanswerable)
	}
	if n := len(firsts); n > 0 {
		slices.Sort(firsts)
		rep.FirstTokenP50, rep.FirstTokenP95 = percentile(firsts, 0.5), percentile(firsts, 0.95)
		rep.TokensPerS, rep.PromptTokens = tps/float64(n), prompt/float64(n)
	}
	return rep
}

// percentile of sorted values, nearest rank.
func percentile(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
