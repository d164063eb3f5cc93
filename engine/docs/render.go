package docs

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"os"
	"strings"
	"unicode"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// RenderedPage is a PDF page as an image, with the places of a passage on
// it.
type RenderedPage struct {
	Image *image.RGBA
	// Marks are the text lines of the passage, in the image's pixels;
	// empty when the passage could not be located on the page.
	Marks []image.Rectangle
}

// RenderPage renders page (1-based) of the PDF at path, width pixels wide,
// and locates passage (text extracted from that page) on it, for showing a
// cited passage where it stands. It runs in the same sandboxed PDFium as
// parsing, under ctx and the same size limit.
func (p *Parser) RenderPage(ctx context.Context, path string, page, width int, password, passage string) (*RenderedPage, error) {
	if page < 1 || width < 16 || width > 4096 {
		return nil, fmt.Errorf("docs: cannot render page %d at %d pixels", page, width)
	}
	maxBytes := Options{}.withDefaults().MaxBytes
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	if st.Size() > maxBytes {
		return nil, &ParseError{Path: path, Err: ErrTooLarge, Detail: "too large to render"}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	var rp *RenderedPage
	err = p.pdf.withDocument(ctx, data, password, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		var derr error
		rp, derr = drawPage(ctx, inst, doc, path, page, width, passage)
		return derr
	})
	if pe, ok := err.(*ParseError); ok {
		pe.Path = path
	}
	return rp, err
}

// drawPage renders page of an open PDF and marks passage's lines on it.
func drawPage(ctx context.Context, inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, path string, page, width int, passage string) (*RenderedPage, error) {
	pg := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: page - 1}}
	res, err := inst.RenderPageInPixels(&requests.RenderPageInPixels{Page: pg, Width: width, Height: width * 4})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ParseError{Path: path, Page: page, Err: ErrCorrupt, Detail: "the page cannot be drawn: " + err.Error()}
	}
	// The image lives in the sandbox's memory until Cleanup: copy it out.
	src := res.Result.RenderedImage
	out := image.NewRGBA(src.Bounds())
	draw.Draw(out, out.Bounds(), src, src.Bounds().Min, draw.Src)
	w, h := res.Result.Width, res.Result.Height
	res.Cleanup()
	rp := &RenderedPage{Image: out}
	if strings.TrimSpace(passage) == "" {
		return rp, nil
	}
	text, err := inst.GetPageTextStructured(&requests.GetPageTextStructured{
		Page: pg, Mode: requests.GetPageTextStructuredModeRects,
		PixelPositions: requests.GetPageTextStructuredPixelPositions{Calculate: true, Width: w, Height: h},
	})
	if err != nil {
		return rp, nil // the page without marks is still worth showing
	}
	var lines []line
	for _, r := range text.Rects {
		if r.PixelPosition == nil {
			continue
		}
		pp := r.PixelPosition
		lines = append(lines, line{text: r.Text, rect: image.Rect(int(pp.Left), int(pp.Top), int(pp.Right+0.5), int(pp.Bottom+0.5))})
	}
	rp.Marks = locate(lines, passage)
	return rp, nil
}

// line is a run of text on a page and where it is drawn.
type line struct {
	text string
	rect image.Rectangle
}

// locate finds the lines that hold passage: from where its first words
// start to where its last words end, matching words case-blind and
// ignoring punctuation (extraction joins hyphenated words and drops page
// furniture, so the texts differ in detail).
func locate(lines []line, passage string) []image.Rectangle {
	type word struct {
		w    string
		line int
	}
	var flat []word
	for i, l := range lines {
		for _, w := range words(l.text) {
			flat = append(flat, word{w, i})
		}
	}
	want := words(passage)
	if len(want) == 0 || len(flat) == 0 {
		return nil
	}
	// Every place where the passage's first words stand is a candidate
	// (a title may repeat in a running header); the one where most of the
	// passage follows in order wins.
	k := min(3, len(want))
	bestStart, bestEnd, best := -1, -1, 0
	for i := 0; i+k <= len(flat); i++ {
		ok := true
		for j := 0; j < k; j++ {
			if flat[i+j].w != want[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		// Follow the passage, letting a few page words (a footnote mark, a
		// header) or passage words (a joined hyphenation) go unmatched.
		matched, at, last := 0, i, i
		for _, w := range want {
			for skip := 0; skip < 6 && at+skip < len(flat); skip++ {
				if flat[at+skip].w == w {
					at += skip
					last = at
					at++
					matched++
					break
				}
			}
		}
		if matched > best {
			bestStart, bestEnd, best = i, last, matched
		}
	}
	if bestStart < 0 || best < len(want)/3 {
		return nil
	}
	start, end := bestStart, bestEnd
	var out []image.Rectangle
	last := -1
	for _, w := range flat[start : end+1] {
		if w.line != last {
			out = append(out, lines[w.line].rect)
			last = w.line
		}
	}
	return out
}

// words splits text into lower-case words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
