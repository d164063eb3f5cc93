package docs

import (
	"strings"
	"unicode"
)

// stopwords are a few of the commonest words of languages written in the
// Latin alphabet: enough to tell them apart on a page of text.
var stopwords = map[string][]string{
	"en": {"the", "and", "of", "to", "is", "in", "that", "it", "was", "for", "with", "as", "on", "this", "are", "a", "an", "we", "be", "by"},
	"de": {"der", "die", "und", "das", "ist", "nicht", "ein", "eine", "zu", "den", "mit", "von", "sich", "des", "auf"},
	"fr": {"le", "la", "les", "et", "des", "est", "une", "un", "du", "que", "dans", "pour", "qui", "pas", "sur"},
	"es": {"el", "la", "los", "las", "y", "que", "de", "en", "un", "una", "es", "por", "con", "para", "del"},
	"it": {"il", "di", "che", "e", "la", "per", "un", "una", "non", "sono", "del", "della", "con", "gli", "le"},
	"pt": {"o", "a", "os", "as", "de", "que", "e", "do", "da", "em", "um", "uma", "para", "com", "não"},
	"nl": {"de", "het", "een", "en", "van", "is", "dat", "niet", "op", "te", "zijn", "met", "voor", "die", "ook"},
	"cs": {"je", "se", "na", "že", "to", "do", "jsou", "pro", "jako", "ale", "by", "byl", "také", "nebo", "který"},
}

// detectLanguage guesses a document's language from its script, and for
// Latin script from its commonest words. It looks at the first 64 KiB.
func detectLanguage(d *Document) string {
	var b strings.Builder
	for _, bl := range d.Blocks {
		if b.Len() > 64<<10 {
			break
		}
		b.WriteString(bl.Text)
		b.WriteByte('\n')
	}
	return languageOf(b.String())
}

func languageOf(s string) string {
	counts := map[string]int{}
	letters := 0
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		switch {
		case unicode.In(r, unicode.Hiragana, unicode.Katakana):
			counts["kana"]++
		case unicode.Is(unicode.Han, r):
			counts["han"]++
		case unicode.Is(unicode.Hangul, r):
			counts["ko"]++
		case unicode.Is(unicode.Cyrillic, r):
			counts["ru"]++
		case unicode.Is(unicode.Arabic, r):
			counts["ar"]++
		case unicode.Is(unicode.Hebrew, r):
			counts["he"]++
		case unicode.Is(unicode.Greek, r):
			counts["el"]++
		case unicode.Is(unicode.Thai, r):
			counts["th"]++
		case unicode.Is(unicode.Devanagari, r):
			counts["hi"]++
		case unicode.Is(unicode.Latin, r):
			counts["latin"]++
		}
	}
	if letters < 20 {
		return ""
	}
	if counts["kana"]*20 > letters {
		return "ja"
	}
	if counts["han"]*3 > letters {
		return "zh"
	}
	best, bestN := "", 0
	for k, n := range counts {
		if n > bestN {
			best, bestN = k, n
		}
	}
	if best != "latin" {
		if best == "han" {
			return "zh"
		}
		return best
	}
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
	score := map[string]int{}
	for lang, sw := range stopwords {
		set := map[string]bool{}
		for _, w := range sw {
			set[w] = true
		}
		for _, w := range words[:min(len(words), 5000)] {
			if set[w] {
				score[lang]++
			}
		}
	}
	lang, top := "", 0
	for l, n := range score {
		if n > top || (n == top && l < lang) {
			lang, top = l, n
		}
	}
	if len(words) < 15 || top*20 < min(len(words), 5000) { // too few words to tell
		return ""
	}
	return lang
}
