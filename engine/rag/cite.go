package rag

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/carrel-ai/carrel/engine/terms"
)

// maxMarker bounds how long a bracket may stay open before it is taken
// for plain text: "[Sources 1, 2 and 3]" fits, a bracketed sentence does not.
const maxMarker = 32

// citer parses bracketed source numbers out of streamed text. Citations
// to sources that were given come out normalised as "[1][2]"; citations to
// numbers that were not given are dropped with the spaces before them;
// brackets that are not citations pass through unchanged.
type citer struct {
	sources int // sources are numbered 1..sources
	open    []byte
	partial string // the start of a UTF-8 character cut by the stream
	spaces  string // trailing spaces held back until we know what follows
	cited   []int  // valid numbers in order of first appearance
	seen    map[int]bool
	dropped []int // out-of-range numbers the model wrote
}

func newCiter(sources int) *citer { return &citer{sources: sources, seen: map[int]bool{}} }

// push takes the next piece of the stream and returns the text to show
// and the citations completed in it.
func (c *citer) push(s string) (string, []int) {
	var out strings.Builder
	var nums []int
	c.feed(c.cutPartial(s), &out, &nums)
	return out.String(), nums
}

// cutPartial joins a held partial character to s and holds back a
// character cut at the end of s.
func (c *citer) cutPartial(s string) string {
	s = c.partial + s
	c.partial = ""
	for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			if !utf8.FullRuneInString(s[i:]) {
				c.partial = s[i:]
				s = s[:i]
			}
			break
		}
	}
	return s
}

func (c *citer) feed(s string, out *strings.Builder, nums *[]int) {
	for _, r := range s {
		if c.open != nil {
			c.open = utf8.AppendRune(c.open, r)
			switch {
			case r == ']' || r == '】':
				c.closeMarker(out, nums)
			case r == '\n' || len(c.open) > maxMarker:
				c.release(out, nums)
			}
			continue
		}
		switch {
		case r == '[' || r == '【':
			c.open = utf8.AppendRune(nil, r)
		case r == ' ' || r == '\t':
			c.spaces += string(r)
		default:
			out.WriteString(c.spaces)
			c.spaces = ""
			out.WriteRune(r)
		}
	}
}

// flush ends the stream: an unclosed bracket is plain text.
func (c *citer) flush() string {
	var out strings.Builder
	var nums []int
	if c.open != nil {
		c.release(&out, &nums)
	}
	out.WriteString(c.partial)
	c.partial = ""
	out.WriteString(c.spaces)
	c.spaces = ""
	return out.String()
}

// release writes an open bracket out as the plain text it turned out to be.
// A new bracket inside it (as in "[see [2]") starts over from there.
func (c *citer) release(out *strings.Builder, nums *[]int) {
	text := string(c.open)
	c.open = nil
	out.WriteString(c.spaces)
	c.spaces = ""
	if i := strings.LastIndexAny(text[1:], "[【"); i >= 0 {
		out.WriteString(text[:i+1])
		c.feed(text[i+1:], out, nums)
		return
	}
	out.WriteString(text)
}

func (c *citer) closeMarker(out *strings.Builder, nums *[]int) {
	text := string(c.open)
	c.open = nil
	inner := strings.TrimSuffix(strings.TrimSuffix(text, "]"), "】")
	_, size := utf8.DecodeRuneInString(inner)
	ns, ok := parseMarker(inner[size:])
	if !ok {
		c.open = []byte(text)
		c.release(out, nums)
		return
	}
	var valid []int
	for _, n := range ns {
		if n >= 1 && n <= c.sources {
			valid = append(valid, n)
		} else {
			c.dropped = append(c.dropped, n)
		}
	}
	if len(valid) == 0 {
		c.spaces = "" // "fact [9]." becomes "fact."
		return
	}
	out.WriteString(c.spaces)
	c.spaces = ""
	for _, n := range valid {
		out.WriteString("[" + strconv.Itoa(n) + "]")
		*nums = append(*nums, n)
		if !c.seen[n] {
			c.seen[n] = true
			c.cited = append(c.cited, n)
		}
	}
}

// parseMarker reads the inside of a bracket as a citation: numbers
// separated by commas, semicolons, "and" or spaces, ranges such as "2-4",
// an optional leading "^" (footnote style) and an optional word such as
// "Source" or "Sources". Anything else is not a citation.
func parseMarker(s string) ([]int, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "^"))
	lower := strings.ToLower(s)
	for _, w := range []string{"sources", "source", "src", "refs", "ref", "doc"} {
		if strings.HasPrefix(lower, w) {
			s = strings.TrimLeft(s[len(w):], " .:#")
			break
		}
	}
	s = strings.TrimPrefix(s, "#")
	if s == "" {
		return nil, false
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '、' || r == '，' })
	var out []int
	for _, f := range fields {
		if strings.EqualFold(f, "and") || f == "&" {
			continue
		}
		f = strings.TrimPrefix(f, "#")
		lo, hi, isRange := strings.Cut(strings.ReplaceAll(f, "–", "-"), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || a > 999 { // "[2023]" is a year, not a source

			return nil, false
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := strconv.Atoi(hi)
		if err != nil || b < a || b-a > 20 || b > 999 {
			return nil, false
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	return out, len(out) > 0
}

// SupportFloor is the share of a sentence's content terms that a cited
// passage must contain for the citation to count as supported.
const SupportFloor = 0.25

// minJudged is the fewest content terms a sentence needs before its
// citations are judged: "Yes [1]." carries too little to check.
const minJudged = 3

// claim is a sentence of the answer with the sources it cites.
type claim struct {
	text  string
	cites []int
}

var markerText = strings.NewReplacer("[", " ", "]", " ")

// claims splits a finished answer (with normalised "[n]" markers) into
// sentences and the citations each carries. A citation that follows the
// sentence's end punctuation ("… in 1998. [2]") belongs to that sentence.
func claims(answer string) []claim {
	var out []claim
	var cur strings.Builder
	var cites []int
	end := func() {
		if t := strings.TrimSpace(cur.String()); t != "" || len(cites) > 0 {
			if t == "" && len(out) > 0 { // stray markers after a sentence end
				out[len(out)-1].cites = append(out[len(out)-1].cites, cites...)
			} else {
				out = append(out, claim{text: t, cites: cites})
			}
		}
		cur.Reset()
		cites = nil
	}
	rs := []rune(answer)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '[' {
			j := i + 1
			for j < len(rs) && unicode.IsDigit(rs[j]) {
				j++
			}
			if j > i+1 && j < len(rs) && rs[j] == ']' {
				n, _ := strconv.Atoi(string(rs[i+1 : j]))
				if strings.TrimSpace(cur.String()) == "" && len(out) > 0 {
					out[len(out)-1].cites = append(out[len(out)-1].cites, n)
				} else {
					cites = append(cites, n)
				}
				i = j
				continue
			}
		}
		if r == '\n' {
			end()
			continue
		}
		cur.WriteRune(r)
		if r == '。' || r == '！' || r == '？' {
			end()
			continue
		}
		if (r == '.' || r == '!' || r == '?') && (i+1 == len(rs) || unicode.IsSpace(rs[i+1])) {
			// Keep citations that directly follow ("… 1998. [2]") with
			// this sentence: look past spaces for a marker.
			k := i + 1
			for k < len(rs) && rs[k] == ' ' {
				k++
			}
			if k < len(rs) && rs[k] == '[' {
				continue
			}
			end()
		}
	}
	end()
	return out
}

// support is the share of the sentence's content terms that the passage
// holds, with Carrel's lexical terms (stemmed, accents folded, CJK in
// character pairs), and whether the sentence had enough terms to judge.
func support(sentence, passage string) (float64, bool) {
	st := terms.Of(markerText.Replace(sentence))
	if len(st) < minJudged {
		return 1, false
	}
	pt := map[string]bool{}
	for _, t := range terms.Of(passage) {
		pt[t] = true
	}
	seen := map[string]bool{}
	hit, n := 0, 0
	for _, t := range st {
		if seen[t] {
			continue
		}
		seen[t] = true
		n++
		if pt[t] {
			hit++
		}
	}
	return float64(hit) / float64(n), true
}

// declines are how models say that their sources do not hold the answer,
// as the system prompt asks them to ("say that the documents do not say
// it"), in the wordings seen from small and large models.
var declines = regexp.MustCompile(`(?i)\b(` +
	`(documents?|sources?|passages?|texts?|context|information provided)\s+(provided\s+|given\s+)?(do|does|did)\s*(not|n['’]t)\s+(say|state|mention|contain|include|provide|specify|give|tell|answer|hold|discuss|describe|cover)` +
	`|(could|can|did)\s*(not|n['’]t)\s+find\b` +
	`|(is|are)\s+not\s+(mentioned|stated|given|specified|found|provided)\s+in\s+the\s+(documents?|sources?|passages?|context)` +
	`|no\s+(information|mention)\s+(about|of|on|regarding)` +
	`|not\s+enough\s+information` +
	`)`)

// Declines reports whether an answer says that the documents do not hold
// the answer: Carrel's own NotFoundText, or a model's reply that cites
// nothing and words a refusal as the system prompt asks. An answer that
// cites a source is never a decline, even if part of it is.
func Declines(a *Answer) bool {
	if a.Outcome == NotFound {
		return true
	}
	if len(a.Citations) > 0 || a.Outcome == RetrievalOnly {
		return false
	}
	return declines.MatchString(a.Text)
}
