package docs

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	sc "github.com/saintfish/chardet"
	wc "github.com/wlynxg/chardet"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// decodeText converts b to UTF-8 and names the encoding it found. declared
// is an encoding the file claims (an HTML meta charset), trusted only when
// the bytes agree with it. A byte-order mark always wins.
func decodeText(b []byte, declared string) (string, string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return repairUTF8(b[3:]), "UTF-8"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		return decodeWith(utf32.UTF32(utf32.LittleEndian, utf32.UseBOM), b), "UTF-32LE"
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		return decodeWith(utf32.UTF32(utf32.BigEndian, utf32.UseBOM), b), "UTF-32BE"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return decodeWith(xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM), b), "UTF-16LE"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return decodeWith(xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM), b), "UTF-16BE"
	}
	if le, be := utf16Evidence(b); le {
		return decodeWith(xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM), b), "UTF-16LE"
	} else if be {
		return decodeWith(xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM), b), "UTF-16BE"
	}
	if mostlyUTF8(b) {
		return repairUTF8(b), "UTF-8"
	}
	if looksEBCDIC(b) {
		return decodeWith(charmap.CodePage037, b), "EBCDIC (IBM037/500)"
	}
	// A legacy 8-bit or multi-byte encoding: decode a sample with the
	// encodings that detectors propose and the common legacy ones, and keep
	// the one that reads most like text. The detectors' picks get a small
	// bonus: they know byte statistics that plausibility cannot see.
	sample := b[:min(len(b), 64<<10)]
	bonus := map[string]float64{}
	var names []string
	propose := func(n string, bo float64) {
		_, canon := charset.Lookup(n)
		if canon == "" {
			return
		}
		if _, ok := bonus[canon]; !ok {
			names = append(names, canon)
		}
		bonus[canon] = max(bonus[canon], bo)
	}
	if declared != "" {
		propose(declared, 0.03)
	}
	if r := wc.Detect(sample); r.Encoding != "" {
		propose(r.Encoding, 0.05)
	}
	if r, err := sc.NewTextDetector().DetectBest(sample); err == nil {
		propose(r.Charset, 0.03)
	}
	for _, n := range legacyEncodings {
		propose(n, 0)
	}
	bestName, bestScore := "", -1e9
	for _, n := range names {
		enc, _ := charset.Lookup(n)
		if enc == nil {
			continue
		}
		if score := plausibility(decodeWith(enc, sample)) + bonus[n]; score > bestScore {
			bestName, bestScore = n, score
		}
	}
	enc, _ := charset.Lookup(bestName)
	return decodeWith(enc, b), bestName
}

// legacyEncodings are always tried: the common pre-Unicode encodings of
// Western and Central Europe, Cyrillic, Greek, Hebrew, Arabic and East Asia.
var legacyEncodings = []string{
	"windows-1252", "windows-1250", "windows-1251", "koi8-r", "ibm866", "windows-1253",
	"windows-1255", "windows-1256", "shift_jis", "euc-jp", "gb18030", "big5", "euc-kr",
}

func decodeWith(e encoding.Encoding, b []byte) string {
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return repairUTF8(b)
	}
	return repairUTF8(out)
}

// repairUTF8 replaces invalid sequences and NUL bytes.
func repairUTF8(b []byte) string {
	s := string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	if bytes.IndexByte(b, 0) >= 0 {
		s = string(bytes.ReplaceAll([]byte(s), []byte{0}, nil))
	}
	return s
}

// mostlyUTF8 accepts valid UTF-8, and UTF-8 with a few stray bytes (a file
// edited with two editors) as long as real multi-byte characters dominate.
func mostlyUTF8(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	multi, bad := 0, 0
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			bad++
		case n > 1:
			multi++
		}
		i += max(n, 1)
	}
	return multi > 0 && bad*20 <= multi
}

// utf16Evidence looks for the NUL bytes that ASCII text has in UTF-16.
func utf16Evidence(b []byte) (le, be bool) {
	n := min(len(b), 4096) &^ 1
	if n < 8 {
		return false, false
	}
	var evenZero, oddZero int
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			evenZero++
		}
		if b[i+1] == 0 {
			oddZero++
		}
	}
	half := n / 2
	return oddZero > half*2/5 && evenZero < half/20, evenZero > half*2/5 && oddZero < half/20
}

// looksEBCDIC spots EBCDIC text: its space is 0x40 and its letters live at
// 0x81–0xE9, so ASCII letters are rare while 0x40 is frequent.
func looksEBCDIC(b []byte) bool {
	n := min(len(b), 8192)
	if n < 32 {
		return false
	}
	var at40, asciiLetters, ebcdicLetters int
	for _, c := range b[:n] {
		switch {
		case c == 0x40:
			at40++
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
			asciiLetters++
		}
		if (c >= 0x81 && c <= 0xA9) || (c >= 0xC1 && c <= 0xE9) {
			ebcdicLetters++
		}
	}
	return at40 > n/20 && ebcdicLetters > n/3 && asciiLetters < n/10
}

// plausibility scores how much s reads like text: letters of one script,
// words in one case, few symbols and no control or replacement characters,
// and, in words that are not plain ASCII, few accented Latin letters (a
// wrong single-byte code page turns Cyrillic or Greek into runs of them).
func plausibility(s string) float64 {
	var total, good, bad float64
	scripts := map[*unicode.RangeTable]int{}
	var words, oddCase float64
	var upper, lower, inWord int
	var accented, nonASCIIWordLetters float64
	var wordAccented, wordLetters int
	wordNonASCII := false
	endWord := func() {
		if inWord >= 2 {
			words++
			if upper > 0 && lower > 0 && upper > 1 {
				oddCase++ // "rUSSIAN" or "пРИВЕТ": a wrong code page
			}
		}
		if wordNonASCII {
			accented += float64(wordAccented)
			nonASCIIWordLetters += float64(wordLetters)
		}
		upper, lower, inWord = 0, 0, 0
		wordAccented, wordLetters, wordNonASCII = 0, 0, false
	}
	for _, r := range s {
		total++
		if r >= 0x80 {
			wordNonASCII = true
		}
		switch {
		case r >= 0x3130 && r <= 0x318F, r >= 0xFF61 && r <= 0xFF9F:
			// Hangul compatibility jamo and half-width katakana: what a
			// wrong East Asian decoding produces.
			bad += 2
		case unicode.IsLetter(r):
			good++
			inWord++
			wordLetters++
			if r >= 0x80 && unicode.Is(unicode.Latin, r) {
				wordAccented++
			}
			if unicode.IsUpper(r) {
				upper++
			} else if unicode.IsLower(r) {
				lower++
			}
			for _, t := range scriptTables {
				if unicode.Is(t, r) {
					scripts[t]++
					break
				}
			}
			continue
		case unicode.IsSpace(r), unicode.IsDigit(r), r < 0x80 && unicode.IsPunct(r):
			good++
		case r == utf8.RuneError, unicode.IsControl(r):
			bad += 3
		case unicode.IsPunct(r):
			good += 0.5
		default: // symbols, box drawing, private use: unusual in prose
			bad++
		}
		endWord()
	}
	endWord()
	if total == 0 {
		return 0
	}
	var letters, top float64
	for _, n := range scripts {
		letters += float64(n)
		top = max(top, float64(n))
	}
	score := (good - bad) / total
	if words > 0 {
		score -= 0.5 * oddCase / words
	}
	if letters > 0 {
		score += 0.3 * top / letters
	}
	// Japanese is written with many kana; a wrong decoding of Japanese
	// bytes (as GBK or Big5) yields only rare Han characters.
	if kana := float64(scripts[unicode.Hiragana] + scripts[unicode.Katakana]); letters > 0 && kana/letters > 0.15 {
		score += 0.15
	}
	if nonASCIIWordLetters > 0 {
		if density := accented / nonASCIIWordLetters; density > 0.35 {
			score -= density - 0.35
		}
	}
	return score
}

var scriptTables = []*unicode.RangeTable{unicode.Latin, unicode.Cyrillic, unicode.Greek, unicode.Arabic, unicode.Hebrew, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai}
