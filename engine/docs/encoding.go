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
	"golang.org/x/text/encoding/unicode/utf32"
	xunicode "golang.org/x/text/encoding/unicode"
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
	// A legacy 8-bit or multi-byte encoding: let two detectors propose, and
	// keep the decoding that reads most like text.
	var names []string
	if declared != "" {
		names = append(names, declared)
	}
	if r, err := sc.NewTextDetector().DetectAll(b); err == nil {
		for i, c := range r {
			if i < 4 {
				names = append(names, c.Charset)
			}
		}
	}
	if r := wc.Detect(b); r.Encoding != "" {
		names = append(names, r.Encoding)
	}
	names = append(names, "windows-1252")
	best, bestName, bestScore := "", "", -1e9
	seen := map[string]bool{}
	for _, n := range names {
		enc, canon := charset.Lookup(n)
		if enc == nil || seen[canon] {
			continue
		}
		seen[canon] = true
		s := decodeWith(enc, b)
		score := plausibility(s)
		if n == declared {
			score += 0.02 // a tie goes to what the file says
		}
		if score > bestScore {
			best, bestName, bestScore = s, canon, score
		}
	}
	return best, bestName
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
// words in one case, few symbols and no control or replacement characters.
func plausibility(s string) float64 {
	var total, good, bad float64
	scripts := map[*unicode.RangeTable]int{}
	var words, oddCase float64
	var upper, lower, inWord int
	endWord := func() {
		if inWord >= 2 {
			words++
			if upper > 0 && lower > 0 && upper > 1 {
				oddCase++ // "rUSSIAN" or "пРИВЕТ": a wrong code page
			}
		}
		upper, lower, inWord = 0, 0, 0
	}
	for _, r := range s {
		total++
		switch {
		case unicode.IsLetter(r):
			good++
			inWord++
			if unicode.IsUpper(r) {
				upper++
			} else if unicode.IsLower(r) {
				lower++
			}
			for _, t := range []*unicode.RangeTable{unicode.Latin, unicode.Cyrillic, unicode.Greek, unicode.Arabic, unicode.Hebrew, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Thai} {
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
	return score
}
