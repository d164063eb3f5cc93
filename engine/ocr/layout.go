package ocr

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Paragraph is the text of one paragraph of a page, with for each of its
// runes the index of that character's box in the page's Boxes (-1 for a
// space put between words or lines).
type Paragraph struct {
	Text  string
	Chars []int32
}

// CharBox is where one recognised character stands, in the image's
// pixels, and the line it is on (numbered over the page), so a run of
// characters can be drawn as one band per line.
type CharBox struct {
	X0, Y0, X1, Y1 int
	Line           int
}

// Layout turns a page into paragraphs of text and the boxes of their
// characters. Words are split into characters evenly across the word's
// box: Tesseract's word boxes are exact, its symbol boxes are not needed
// to draw a band over a line. A line ending in a hyphenated word is joined
// to the next without the hyphen, as the PDF reader does.
func (p *Page) Layout() (paras []Paragraph, boxes []CharBox) {
	var cur *Paragraph
	var b strings.Builder
	para := -1
	flush := func() {
		if cur != nil {
			cur.Text = b.String()
			paras = append(paras, *cur)
			cur = nil
		}
		b.Reset()
	}
	addRune := func(r rune, box int32) {
		b.WriteRune(r)
		cur.Chars = append(cur.Chars, box)
	}
	for li, line := range p.Lines {
		if line.Para != para || cur == nil {
			flush()
			cur = &Paragraph{}
			para = line.Para
		} else if b.Len() > 0 {
			prev := lastRune(b.String())
			first, _ := utf8.DecodeRuneInString(line.Words[0].Text)
			switch {
			case prev == '-' && len(cur.Chars) > 1 && unicode.IsLower(first):
				// "exam-" + "ple": drop the hyphen, join the word.
				s := b.String()
				s = s[:len(s)-1]
				b.Reset()
				b.WriteString(s)
				cur.Chars = cur.Chars[:len(cur.Chars)-1]
			case NoSpaces(prev) && NoSpaces(first):
			default:
				addRune(' ', -1)
			}
		}
		for wi, w := range line.Words {
			if wi > 0 {
				prev := lastRune(b.String())
				first, _ := utf8.DecodeRuneInString(w.Text)
				if !(NoSpaces(prev) && NoSpaces(first)) {
					addRune(' ', -1)
				}
			}
			n := utf8.RuneCountInString(w.Text)
			i := 0
			for _, r := range w.Text {
				x0 := w.Box.Min.X + w.Box.Dx()*i/n
				x1 := w.Box.Min.X + w.Box.Dx()*(i+1)/n
				boxes = append(boxes, CharBox{X0: x0, Y0: w.Box.Min.Y, X1: x1, Y1: w.Box.Max.Y, Line: li})
				addRune(r, int32(len(boxes)-1))
				i++
			}
		}
	}
	flush()
	return paras, boxes
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// NoSpaces reports whether r belongs to writing without spaces between
// words (Chinese and Japanese, and their punctuation; Korean puts spaces
// between words).
func NoSpaces(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}
