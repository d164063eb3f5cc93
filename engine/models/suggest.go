package models

import (
	"fmt"
	"sort"
	"strings"
)

// languageNames are the languages Carrel detects, as a person says them.
var languageNames = map[string]string{
	"zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ru": "Russian", "ar": "Arabic", "he": "Hebrew", "el": "Greek",
	"th": "Thai", "hi": "Hindi", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
	"nl": "Dutch", "cs": "Czech",
}

// SuggestMultilingual says whether a multilingual embedding model would
// search a library better by meaning than the English-centred built-in
// one, given its documents' languages ("" for unknown): when at least a
// third of those whose language is known are not in English. It returns
// the catalog model to suggest and the advice in words.
func SuggestMultilingual(langs []string) (Entry, string, bool) {
	known, other := 0, map[string]int{}
	for _, l := range langs {
		if l == "" {
			continue
		}
		known++
		if l != "en" {
			other[l]++
		}
	}
	n := 0
	for _, c := range other {
		n += c
	}
	if known < 3 || n*3 < known {
		return Entry{}, "", false
	}
	langs = make([]string, 0, len(other))
	for l := range other {
		langs = append(langs, l)
	}
	sort.Slice(langs, func(i, j int) bool {
		if other[langs[i]] != other[langs[j]] {
			return other[langs[i]] > other[langs[j]]
		}
		return langs[i] < langs[j]
	})
	var names []string
	for _, l := range langs[:min(3, len(langs))] {
		if name := languageNames[l]; name != "" {
			names = append(names, name)
		} else {
			names = append(names, l)
		}
	}
	e, err := Lookup(string(Multilingual))
	if err != nil {
		return Entry{}, "", false
	}
	return e, fmt.Sprintf("%d of %d documents here are in %s, and the built-in model knows English best. %s (%s download) searches them better by meaning; search by words works either way.",
		n, known, strings.Join(names, ", "), e.Name, SizeText(e.Size)), true
}
