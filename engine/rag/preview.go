package rag

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Preview is what can be shown the moment the passages are found, before
// the model has read anything: the sentence of the best source that
// matches the question best, and where it stands in the source's text.
type Preview struct {
	Source int    `json:"source"` // the source's number (1-based)
	Text   string `json:"text"`
	Start  int    `json:"start"` // byte offsets of Text in the source's text
	End    int    `json:"end"`
}

// previewLimit is the longest preview sentence, in bytes; a longer one
// is cut at a word.
const previewLimit = 400

// preview picks the sentence of src[0] holding most of the question's
// terms (the first on a tie, the first sentence when none holds any).
func preview(want map[string]bool, src []Source) *Preview {
	if len(src) == 0 || strings.TrimSpace(src[0].Text) == "" {
		return nil
	}
	text := src[0].Text
	spans, score := scoreSentences(want, text)
	if len(spans) == 0 {
		return nil
	}
	top := 0
	for i, n := range score {
		if n > score[top] {
			top = i
		}
	}
	bestStart, bestEnd := spans[top][0], spans[top][1]
	if bestEnd-bestStart > previewLimit {
		cut := bestStart + previewLimit
		for cut > bestStart && !utf8.RuneStart(text[cut]) {
			cut--
		}
		if sp := strings.LastIndexFunc(text[bestStart:cut], unicode.IsSpace); sp > 0 {
			cut = bestStart + sp
		}
		bestEnd = cut
	}
	return &Preview{Source: src[0].N, Text: text[bestStart:bestEnd], Start: bestStart, End: bestEnd}
}

// scoreSentences cuts text into sentences and counts the question's terms
// (want) each one holds: the one measure by which evidence selection and
// the preview rank sentences.
func scoreSentences(want map[string]bool, text string) (spans [][2]int, score []int) {
	spans = sentenceSpans(text)
	score = make([]int, len(spans))
	for i, sp := range spans {
		for t := range termSet(text[sp[0]:sp[1]]) {
			if want[t] {
				score[i]++
			}
		}
	}
	return spans, score
}

// sentenceSpans cuts text into sentences: at ".", "!", "?" (and their CJK
// forms) followed by a space or the end, and at blank lines; each span is
// trimmed of surrounding space.
func sentenceSpans(text string) [][2]int {
	var out [][2]int
	add := func(a, b int) {
		for a < b && isSpaceByte(text[a]) {
			a++
		}
		for b > a && isSpaceByte(text[b-1]) {
			b--
		}
		if b > a {
			out = append(out, [2]int{a, b})
		}
	}
	start := 0
	for i, r := range text {
		end := i + utf8.RuneLen(r)
		switch {
		case r == '。' || r == '！' || r == '？':
			add(start, end)
			start = end
		case r == '.' || r == '!' || r == '?':
			if end == len(text) || isSpaceByte(text[end]) {
				add(start, end)
				start = end
			}
		case r == '\n' && end < len(text) && text[end] == '\n':
			add(start, end)
			start = end
		}
	}
	add(start, len(text))
	return out
}

func isSpaceByte(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }
