package docs

import (
	"context"
	"image"
	"strings"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// PageForOCR draws page (1-based) of a PDF's content as OCR reads it
// (grey, at dpi), and returns with it the page's own text layer: what a
// perfect recogniser would read. It is the measuring stick of the OCR
// bench: text pages drawn as scans, with the true text known.
func (p *Parser) PageForOCR(ctx context.Context, data []byte, page, dpi int) (img *image.Gray, truth string, err error) {
	err = p.pdf.withDocument(ctx, data, "", func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		pg := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: page - 1}}
		t, err := pageText(inst, pg)
		if err != nil {
			return &ParseError{Page: page, Err: ErrCorrupt, Detail: "its text cannot be read"}
		}
		truth = string(t.r)
		if dpi <= 0 {
			dpi = DefaultOCRDPI
		}
		drawn, _, err := drawForOCR(inst, doc, page, dpi)
		if err != nil {
			return &ParseError{Page: page, Err: ErrCorrupt, Detail: "the page " + err.Error()}
		}
		img = drawn.(*image.Gray)
		return nil
	})
	return img, strings.ToValidUTF8(truth, ""), err
}

// PageCount returns the number of pages of a PDF's content.
func (p *Parser) PageCount(ctx context.Context, data []byte, password string) (n int, err error) {
	err = p.pdf.withDocument(ctx, data, password, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc})
		if err != nil {
			return &ParseError{Err: ErrCorrupt, Detail: "its page tree cannot be read"}
		}
		n = pc.PageCount
		return nil
	})
	return n, err
}
