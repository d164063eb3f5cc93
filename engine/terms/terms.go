// Package terms is Carrel's word analysis: the terms the lexical index
// stores and matches, and that the relevance floor and the citation check
// compare. Documents and queries go through the same function, so both
// sides agree.
package terms

import (
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"
)

// Of turns text into the terms the lexical index stores and matches:
// lower-cased, accents folded (é → e), English words stemmed (running →
// run), stopwords dropped, and CJK text, which has no spaces, cut into
// overlapping character pairs (東京都 → 東京 京都). The same function
// serves documents and queries, so both sides agree.
func Of(text string) []string {
	var out []string
	var word []rune
	var cjk []rune
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		w := foldWord(string(word))
		word = word[:0]
		if w == "" || stopwords[w] {
			return
		}
		if isASCIIAlpha(w) && len(w) > 2 {
			w = english.Stem(w, false)
		}
		out = append(out, w)
	}
	flushCJK := func() {
		switch {
		case len(cjk) == 1:
			out = append(out, string(cjk))
		case len(cjk) > 1:
			for i := 0; i+1 < len(cjk); i++ {
				out = append(out, string(cjk[i:i+2]))
			}
		}
		cjk = cjk[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			flushWord()
			cjk = append(cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			flushCJK()
			word = append(word, unicode.ToLower(r))
		default:
			flushWord()
			flushCJK()
		}
	}
	flushWord()
	flushCJK()
	return out
}

// foldWord removes diacritics (NFKD, then drop combining marks) and caps
// length so a pathological token cannot bloat the index.
func foldWord(w string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(w) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

func isASCIIAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// stopwords are frequent English function words: they carry no meaning in
// a search and only slow it down.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with what which who whom whose when where why how do does did has have had its our your his her he she we you i me my from were been being than so can could would should about`) {
		stopwords[w] = true
	}
}
