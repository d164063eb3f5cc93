package ocr

import "unicode"

// minScriptLetters is the fewest letters ScriptOf decides on: a title
// or a page number says little about the rest of a document.
const minScriptLetters = 50

// scriptTables are the scripts ScriptOf tells apart, named as Tesseract's
// detector names them. Hiragana and Katakana count as Japanese.
var scriptTables = []struct {
	name   string
	tables []*unicode.RangeTable
}{
	{"Han", []*unicode.RangeTable{unicode.Han}},
	{"Japanese", []*unicode.RangeTable{unicode.Hiragana, unicode.Katakana}},
	{"Hangul", []*unicode.RangeTable{unicode.Hangul}},
	{"Cyrillic", []*unicode.RangeTable{unicode.Cyrillic}},
	{"Arabic", []*unicode.RangeTable{unicode.Arabic}},
	{"Hebrew", []*unicode.RangeTable{unicode.Hebrew}},
	{"Greek", []*unicode.RangeTable{unicode.Greek}},
	{"Devanagari", []*unicode.RangeTable{unicode.Devanagari}},
	{"Thai", []*unicode.RangeTable{unicode.Thai}},
	{"Bengali", []*unicode.RangeTable{unicode.Bengali}},
	{"Tamil", []*unicode.RangeTable{unicode.Tamil}},
	{"Georgian", []*unicode.RangeTable{unicode.Georgian}},
	{"Armenian", []*unicode.RangeTable{unicode.Armenian}},
	{"Latin", []*unicode.RangeTable{unicode.Latin}},
}

// ScriptOf names the script most of text's letters are written in, as
// Tesseract's detector names it ("Latin", "Han", "Cyrillic"…), or "" when
// text has too few letters or no script clearly leads. A document's
// decoded text tells what script its undecodable pages and figure labels
// are most likely in, which spares the recogniser's own detection.
//
// A script other than Latin wins with a quarter of the letters: Chinese,
// Japanese or Russian text quotes English names and terms, never the
// other way round as much. Japanese is told from Chinese by its kana.
// Latin wins with nine tenths.
func ScriptOf(text string) string {
	counts := make([]int, len(scriptTables))
	letters := 0
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		for i, s := range scriptTables {
			if unicode.IsOneOf(s.tables, r) {
				counts[i]++
				break
			}
		}
	}
	if letters < minScriptLetters {
		return ""
	}
	han, japanese, latin := 0, 1, len(scriptTables)-1
	// Japanese writes its words in Han and its grammar in kana: a tenth
	// of kana makes the Han Japanese.
	if counts[japanese]*10 >= letters {
		counts[japanese] += counts[han]
		counts[han] = 0
	}
	best := -1
	for i := range counts[:latin] {
		if best < 0 || counts[i] > counts[best] {
			best = i
		}
	}
	switch {
	case counts[best]*4 >= letters:
		return scriptTables[best].name
	case counts[latin]*10 >= letters*9:
		return "Latin"
	}
	return ""
}
