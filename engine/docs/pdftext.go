package docs

import (
	"sort"
	"strings"
	"unicode"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/requests"
	"golang.org/x/text/unicode/norm"
)

// tline is PDF text that remembers where each rune came from: at[i] is the
// PDFium character index, on its page, of r[i], or -1 for a character
// Carrel put there (a space joining two lines). Cleaning, header removal
// and paragraph joining carry the indices along, so a passage cut from the
// text can later be shown exactly where it stands on the page.
type tline struct {
	r  []rune
	at []int32
}

func (t *tline) add(r rune, at int32) {
	t.r = append(t.r, r)
	t.at = append(t.at, at)
}

func (t *tline) addLine(o tline) {
	t.r = append(t.r, o.r...)
	t.at = append(t.at, o.at...)
}

func (t tline) String() string { return string(t.r) }

func (t tline) empty() bool { return len(t.r) == 0 }

// trim drops leading and trailing white space.
func (t tline) trim() tline {
	i, j := 0, len(t.r)
	for i < j && unicode.IsSpace(t.r[i]) {
		i++
	}
	for j > i && unicode.IsSpace(t.r[j-1]) {
		j--
	}
	return tline{r: t.r[i:j], at: t.at[i:j]}
}

func (t tline) last() rune {
	if len(t.r) == 0 {
		return 0
	}
	return t.r[len(t.r)-1]
}

// pageText reads a page's characters with their indices. PDFium numbers
// every character of a page, including the line breaks it generates;
// characters without a Unicode value are skipped but keep their numbers
// (unlike GetPageText, which renumbers them away).
func pageText(inst pdfium.Pdfium, page requests.Page) (tline, error) {
	var t tline
	tp, err := inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: page})
	if err != nil {
		return t, err
	}
	defer inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	n, err := inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil {
		return t, err
	}
	t.r = make([]rune, 0, n.Count)
	t.at = make([]int32, 0, n.Count)
	for i := 0; i < n.Count; i++ {
		u, err := inst.FPDFText_GetUnicode(&requests.FPDFText_GetUnicode{TextPage: tp.TextPage, Index: i})
		if err != nil {
			return t, err
		}
		if u.Unicode != 0 {
			t.add(rune(u.Unicode), int32(i))
		}
	}
	return t, nil
}

// pdfBlocks turns the raw text of each page into clean paragraphs: repeated
// headers, footers and page numbers dropped, hyphenation at line ends
// joined, ligatures mapped back to letters, lines joined into paragraphs.
// Each block keeps the PDFium character index of each of its runes.
func pdfBlocks(doc *Document, pages []tline) {
	lines := make([][]tline, len(pages))
	strs := make([][]string, len(pages))
	for i, p := range pages {
		var cur tline
		for k, r := range p.r {
			if r == '\r' || r == '\n' {
				if r == '\n' && k > 0 && p.r[k-1] == '\r' {
					continue // the second half of \r\n
				}
				lines[i] = append(lines[i], cleanLine(cur))
				cur = tline{}
				continue
			}
			cur.add(r, p.at[k])
		}
		lines[i] = append(lines[i], cleanLine(cur))
		for _, l := range lines[i] {
			strs[i] = append(strs[i], l.String())
		}
	}
	dropRepeated(strs)
	garbled := make([]int, len(lines))
	for i := range lines {
		var fig figure // consecutive garbled lines: one region
		flush := func() {
			if len(fig.spans) > 0 {
				doc.figures = append(doc.figures, fig)
			}
			fig = figure{}
		}
		for j := range lines[i] {
			switch {
			case strs[i][j] == "":
				lines[i][j] = tline{}
			case isGarbled(strs[i][j]):
				// A figure's labels in a font without a Unicode map sit
				// between paragraphs: left out line by line, they do not
				// join the text around them, and the region they cover
				// is read by OCR from the drawn page.
				fig.page = i + 1
				if sp, ok := lines[i][j].span(); ok {
					fig.spans = append(fig.spans, sp)
				}
				lines[i][j] = tline{}
				garbled[i]++
				continue
			}
			flush()
		}
		flush()
	}
	for i, ls := range lines {
		garbled := garbled[i]
		for _, para := range paragraphs(ls) {
			text := para.String()
			if isGarbled(text) {
				garbled++
				if sp, ok := para.span(); ok {
					doc.figures = append(doc.figures, figure{page: i + 1, spans: []CharSpan{sp}})
				}
				continue
			}
			doc.Blocks = append(doc.Blocks, Block{Text: text, Page: i + 1, Kind: "paragraph", Chars: para.at})
		}
		if garbled > 0 {
			doc.warnf("page %d: %d lines or paragraphs left out: their font has no usable map to Unicode (the text comes out as symbols)", i+1, garbled)
		}
	}
}

// span is the run of PDFium characters a line covers.
func (t tline) span() (CharSpan, bool) {
	sp, ok := CharSpan{First: -1}, false
	for _, at := range t.at {
		if at < 0 {
			continue
		}
		if !ok || int(at) < sp.First {
			sp.First = int(at)
		}
		if !ok || int(at) > sp.Last {
			sp.Last = int(at)
		}
		ok = true
	}
	return sp, ok
}

// cleanLine maps ligatures and other compatibility characters to plain
// letters (ﬁ → fi), removes PDFium's U+FFFE hyphenation marks and control
// characters, and trims.
func cleanLine(l tline) tline {
	var out tline
	for k, r := range l.r {
		at := l.at[k]
		switch {
		case r == 0xFFFE || r == 0xFEFF || r == 0x00AD:
			out.add(0x00AD, at) // keep a soft-hyphen marker; paragraphs() joins it
		case r >= 0xFB00 && r <= 0xFB4F, // alphabetic presentation forms: ligatures
			r >= 0xFB50 && r <= 0xFDFF, r >= 0xFE70 && r <= 0xFEFF: // Arabic presentation forms
			for _, x := range norm.NFKC.String(string(r)) {
				out.add(x, at)
			}
		case r == 0x3000: // ideographic space
			out.add(' ', at)
		case r == 0xFFFD || (unicode.IsControl(r) && r != '\t'):
		case r == '\t' || r == 0xA0:
			out.add(' ', at)
		default:
			out.add(r, at)
		}
	}
	return joinCJK(out).trim()
}

// joinCJK removes the spaces a PDF's glyph positions put between CJK
// characters, which are written without spaces.
func joinCJK(t tline) tline {
	if !strings.ContainsRune(string(t.r), ' ') {
		return t
	}
	var out tline
	for i := 0; i < len(t.r); i++ {
		if t.r[i] == ' ' && len(out.r) > 0 && isCJK(out.last()) {
			j := i
			for j < len(t.r) && t.r[j] == ' ' {
				j++
			}
			if j < len(t.r) && isCJK(t.r[j]) {
				i = j - 1
				continue
			}
		}
		out.add(t.r[i], t.at[i])
	}
	return out
}

// paragraphs joins a page's lines into paragraphs: a blank line, or a short
// line ending a sentence, ends one; a line-end hyphen between letters is
// joined without a space.
func paragraphs(lines []tline) []tline {
	var lengths []int
	for _, l := range lines {
		if !l.empty() {
			lengths = append(lengths, len(l.r))
		}
	}
	if len(lengths) == 0 {
		return nil
	}
	sort.Ints(lengths)
	typical := lengths[len(lengths)*3/4]
	var out []tline
	var cur tline
	flush := func() {
		if s := cur.trim(); !s.empty() {
			var p tline
			for k, r := range s.r {
				if r != 0x00AD {
					p.add(r, s.at[k])
				}
			}
			out = append(out, p)
		}
		cur = tline{}
	}
	for _, l := range lines {
		if l.empty() {
			flush()
			continue
		}
		if !cur.empty() {
			prev := cur.String()
			switch {
			case cur.last() == 0x00AD:
				// PDFium's mark: a hyphen it already removed; join directly.
			case cur.last() == '-' && endsWithLetterHyphen(prev) && startsLower(l.String()):
				cur.r, cur.at = cur.r[:len(cur.r)-1], cur.at[:len(cur.at)-1]
			case isCJKEnd(prev) && isCJKStart(l.String()):
				// CJK lines join without a space.
			default:
				cur.add(' ', -1)
			}
		}
		cur.addLine(l)
		if len(l.r) < typical*7/10 && endsSentence(l.String()) {
			flush()
		}
	}
	flush()
	return out
}

// isGarbled spots text from a font without a Unicode map: PDFium then
// returns the raw character codes, which read as runs of ASCII punctuation
// ("!\"#  $%&") instead of words, or as "words" that are no words: runs
// of punctuation, digits and odd capitals with no letters together
// (",6;7<5+:/=#0(1&23#").
func isGarbled(s string) bool {
	var letters, punct, total int
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		total++
		// Digits are neither: raw character codes of a figure's labels
		// read as digits among punctuation ("0$1$23#"), and real numbers
		// keep their punctuation below half.
		switch {
		case unicode.IsLetter(r):
			letters++
		case r < 0x80 && (unicode.IsPunct(r) || unicode.IsSymbol(r)):
			punct++
		}
	}
	if total >= 1 && punct*2 > total && letters*3 < total {
		return true
	}
	noise, tokens := 0, 0
	for _, tok := range strings.Fields(s) {
		tokens++
		if isCodeRun(tok) {
			noise++
		}
	}
	return tokens > 0 && noise*10 >= tokens*6
}

// isCodeRun reports whether a token is raw character codes rather than a
// word, a number or a formula: at least four characters, all ASCII, with
// no three letters together, and either half of them punctuation or
// symbols ("$!\"#") or four kinds of punctuation among few letters
// (")*+45678#0$1923#", ",6;7<5+:/=#0(1&23#"). Words have letter runs
// ("Fig.", "http://x.org"); numbers few kinds of punctuation ("$1,000.00",
// "+1-555-0100"); formulas many letters ("f(x)=a+b*c").
func isCodeRun(tok string) bool {
	if len(tok) < 4 {
		return false
	}
	// It runs on every word of every PDF line: no allocation, and out at
	// the first three letters together.
	run, letters, punct, kinds := 0, 0, 0, 0
	var seen [2]uint64 // the ASCII punctuation met, one bit each
	for _, r := range tok {
		if r >= 0x80 {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
			if run++; run >= 3 {
				return false
			}
			continue
		}
		run = 0
		if unicode.IsPunct(r) || unicode.IsSymbol(r) {
			punct++
			if bit := uint64(1) << (r % 64); seen[r/64]&bit == 0 {
				seen[r/64] |= bit
				kinds++
			}
		}
	}
	return punct*2 >= len(tok) || (kinds >= 4 && letters*4 <= len(tok))
}
