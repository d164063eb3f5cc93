package docs

import (
	"context"
	"image"
	"strings"

	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// The OCR bench's measuring stick: text pages of a PDF drawn as scans,
// with the true text known from their text layer.

// PageTexts returns the raw text layer of every page of a PDF's content,
// in page order: what a perfect recogniser would read on each.
func (p *Parser) PageTexts(ctx context.Context, data []byte) (texts []string, err error) {
	err = p.pdf.withDocument(ctx, data, "", func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc})
		if err != nil {
			return &ParseError{Err: failure.ErrCorrupt, Detail: "its page tree cannot be read"}
		}
		for i := 0; i < pc.PageCount; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			t, err := pageText(inst, requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: i}})
			if err != nil {
				return &ParseError{Page: i + 1, Err: failure.ErrCorrupt, Detail: "its text cannot be read"}
			}
			texts = append(texts, strings.ToValidUTF8(string(t.r), ""))
		}
		return nil
	})
	return texts, err
}

// DrawForOCR draws page (1-based) of a PDF's content as OCR reads it:
// grey, at dpi (0: DefaultOCRDPI).
func (p *Parser) DrawForOCR(ctx context.Context, data []byte, page, dpi int) (img *image.Gray, err error) {
	if dpi <= 0 {
		dpi = DefaultOCRDPI
	}
	err = p.pdf.withDocument(ctx, data, "", func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		drawn, _, err := drawForOCR(inst, doc, page, dpi)
		if err != nil {
			return &ParseError{Page: page, Err: failure.ErrCorrupt, Detail: "the page " + err.Error()}
		}
		img = drawn.(*image.Gray)
		return nil
	})
	return img, err
}
