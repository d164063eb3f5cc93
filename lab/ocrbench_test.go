package lab

import (
	"testing"
)

func TestOCRScoring(t *testing.T) {
	for _, tc := range []struct {
		got, truth    string
		edits         int
		missed, words int
	}{
		{"The cat sat.", "The cat sat.", 0, 0, 3},
		{"The  cat\nsat.", "The cat sat.", 0, 0, 3},        // layout is not text
		{"The cot sat.", "The cat sat.", 1, 1, 3},          // one substitution
		{"sat. The cat", "The cat sat.", 9, 0, 3},          // order costs characters, not words
		{"", "The cat", 7, 2, 2},                           // nothing read
		{"ﬁne", "fine", 0, 0, 1},                           // a ligature is its letters
		{"co\u00ADoperate", "cooperate", 0, 0, 1},          // soft hyphens are not text
		{"图书馆。学生", "图书馆。\n学生", 0, 0, 1},                    // no space between Chinese lines
		{"an example here", "an exam-\nple here", 0, 0, 3}, // a word broken at a line's end is one word
		{"well-known", "well- known", 1, 2, 2},             // but not a hyphen and a space inside a line
	} {
		got, truth := normalizeOCR(tc.got), normalizeOCR(tc.truth)
		if e := editDistance(got, truth); e != tc.edits {
			t.Errorf("%q vs %q: %d edits, want %d", tc.got, tc.truth, e, tc.edits)
		}
		if m, w := wordsMissed(got, truth); m != tc.missed || w != tc.words {
			t.Errorf("%q vs %q: %d of %d words missed, want %d of %d", tc.got, tc.truth, m, w, tc.missed, tc.words)
		}
	}
}
