package docs

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"os"

	xdraw "golang.org/x/image/draw"

	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// RenderedPage is a PDF page as an image, with the places of a passage on
// it.
type RenderedPage struct {
	Image *image.RGBA
	// Marks are the text lines of the passage, in the image's pixels;
	// empty when no passage was given.
	Marks []image.Rectangle
}

// CharSpan is a run of characters on a PDF page by PDFium's character
// indices, First to Last inclusive: where a passage stands (see
// Block.CharRange).
type CharSpan struct{ First, Last int }

// Drawing asks for one page of a document drawn with a passage marked.
type Drawing struct {
	Path string // the file, or the name of Data in errors
	// Data is the file's content where this computer lacks the file (a
	// team library's copy); nil reads Path.
	Data   []byte
	Format Format // PDF or Image
	Page   int    // 1-based
	Width  int    // in pixels
	Span   CharSpan
	// Layout is the stored layout of a page read by OCR (see
	// DecodeLayout): Span then indexes its word boxes, not PDFium's
	// characters, and PDFium draws the page unmarked.
	Layout []byte
}

// Draw draws what d asks: a PDF's page through PDFium or a picture's,
// from the file or its content, with the passage's lines marked.
func (p *Parser) Draw(ctx context.Context, d Drawing) (*RenderedPage, error) {
	pdfSpan := d.Span
	if d.Layout != nil {
		pdfSpan = CharSpan{}
	}
	var rp *RenderedPage
	var err error
	switch {
	case d.Format == Image && d.Data != nil:
		rp, err = p.RenderImageData(ctx, d.Data, d.Path, d.Page, d.Width)
	case d.Format == Image:
		rp, err = p.RenderImage(ctx, d.Path, d.Page, d.Width)
	case d.Data != nil:
		rp, err = p.RenderPageData(ctx, d.Data, d.Path, d.Page, d.Width, "", pdfSpan)
	default:
		rp, err = p.RenderPage(ctx, d.Path, d.Page, d.Width, "", pdfSpan)
	}
	if err != nil || d.Layout == nil || d.Span == (CharSpan{}) {
		return rp, err
	}
	if layout, err := DecodeLayout(d.Page, d.Layout); err == nil {
		b := rp.Image.Bounds()
		rp.Marks = layout.Marks(d.Span, b.Dx(), b.Dy())
	}
	return rp, nil
}

// RenderPage renders page (1-based) of the PDF at path, width pixels wide,
// and marks the lines of the characters in span (a zero span marks
// nothing). The marks are PDFium's own rectangles of those characters, so
// they cover exactly the passage as it was indexed. It runs in the same
// sandboxed PDFium as parsing, under ctx and the same size limit.
func (p *Parser) RenderPage(ctx context.Context, path string, page, width int, password string, span CharSpan) (*RenderedPage, error) {
	if page < 1 || width < 16 || width > 4096 {
		return nil, fmt.Errorf("docs: cannot render page %d at %d pixels", page, width)
	}
	maxBytes := Options{}.withDefaults().MaxBytes
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	if st.Size() > maxBytes {
		return nil, &ParseError{Path: path, Err: failure.ErrTooLarge, Detail: "too large to render"}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	return p.RenderPageData(ctx, data, path, page, width, password, span)
}

// RenderPageData is RenderPage of a PDF's content in memory (a team
// library's copy of a file this computer does not have); path names it
// in errors.
func (p *Parser) RenderPageData(ctx context.Context, data []byte, path string, page, width int, password string, span CharSpan) (*RenderedPage, error) {
	if page < 1 || width < 16 || width > 4096 {
		return nil, fmt.Errorf("docs: cannot render page %d at %d pixels", page, width)
	}
	if int64(len(data)) > (Options{}).withDefaults().MaxBytes {
		return nil, &ParseError{Path: path, Err: failure.ErrTooLarge, Detail: "too large to render"}
	}
	var rp *RenderedPage
	err := p.pdf.withDocument(ctx, data, password, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
		var derr error
		rp, derr = drawPage(ctx, inst, doc, path, page, width, span)
		return derr
	})
	if pe, ok := err.(*ParseError); ok {
		pe.Path = path
	}
	return rp, err
}

// drawPage renders page of an open PDF and marks span's lines on it.
func drawPage(ctx context.Context, inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, path string, page, width int, span CharSpan) (*RenderedPage, error) {
	pg := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: page - 1}}
	res, err := inst.RenderPageInPixels(&requests.RenderPageInPixels{Page: pg, Width: width, Height: width * 4})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ParseError{Path: path, Page: page, Err: failure.ErrCorrupt, Detail: "the page cannot be drawn: " + err.Error()}
	}
	// The image lives in the sandbox's memory until Cleanup: copy it out.
	src := res.Result.RenderedImage
	out := image.NewRGBA(src.Bounds())
	draw.Draw(out, out.Bounds(), src, src.Bounds().Min, draw.Src)
	w, h := res.Result.Width, res.Result.Height
	res.Cleanup()
	rp := &RenderedPage{Image: out}
	if span.Last < span.First || (span == CharSpan{}) {
		return rp, nil
	}
	rp.Marks = charRects(inst, pg, w, h, span)
	return rp, nil
}

// charRects returns PDFium's rectangles of the characters in span (one per
// run of a line), in the pixels of the page drawn w × h.
func charRects(inst pdfium.Pdfium, pg requests.Page, w, h int, span CharSpan) []image.Rectangle {
	tp, err := inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: pg})
	if err != nil {
		return nil // the page without marks is still worth showing
	}
	defer inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	n, err := inst.FPDFText_CountRects(&requests.FPDFText_CountRects{TextPage: tp.TextPage, StartIndex: span.First, Count: span.Last - span.First + 1})
	if err != nil || n.Count <= 0 {
		return nil
	}
	device := func(x, y float64) image.Point {
		d, err := inst.FPDF_PageToDevice(&requests.FPDF_PageToDevice{Page: pg, SizeX: w, SizeY: h, PageX: x, PageY: y})
		if err != nil {
			return image.Point{}
		}
		return image.Pt(d.DeviceX, d.DeviceY)
	}
	var out []image.Rectangle
	for i := 0; i < n.Count; i++ {
		r, err := inst.FPDFText_GetRect(&requests.FPDFText_GetRect{TextPage: tp.TextPage, Index: i})
		if err != nil {
			continue
		}
		rect := image.Rectangle{Min: device(r.Left, r.Top), Max: device(r.Right, r.Bottom)}.Canon()
		if rect.Dx() > 0 && rect.Dy() > 0 {
			out = append(out, rect)
		}
	}
	return out
}

// RenderImage draws page (1-based) of a picture file width pixels wide.
// A picture is decoded in Go memory, so the same limits apply as when it
// was indexed.
func (p *Parser) RenderImage(ctx context.Context, path string, page, width int) (rp *RenderedPage, err error) {
	if page < 1 || width < 16 || width > 4096 {
		return nil, fmt.Errorf("docs: cannot render page %d at %d pixels", page, width)
	}
	data, err := ReadFile(path, Options{MaxBytes: pdfFileLimit})
	if err != nil {
		return nil, err
	}
	return p.RenderImageData(ctx, data, path, page, width)
}

// RenderImageData is RenderImage of a picture's content in memory; path
// names it in errors.
func (p *Parser) RenderImageData(ctx context.Context, data []byte, path string, page, width int) (rp *RenderedPage, err error) {
	if page < 1 || width < 16 || width > 4096 {
		return nil, fmt.Errorf("docs: cannot render page %d at %d pixels", page, width)
	}
	defer func() {
		if r := recover(); r != nil {
			rp, err = nil, &ParseError{Path: path, Page: page, Err: failure.ErrCorrupt, Detail: fmt.Sprintf("the picture cannot be drawn (%v)", r)}
		}
	}()
	img, err := DecodeImagePage(data, page)
	if err != nil {
		if pe, ok := err.(*ParseError); ok {
			pe.Path = path
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := img.Bounds()
	h := max(1, b.Dy()*width/max(1, b.Dx()))
	out := image.NewRGBA(image.Rect(0, 0, width, h))
	xdraw.ApproxBiLinear.Scale(out, out.Bounds(), img, b, xdraw.Src, nil)
	return &RenderedPage{Image: out}, nil
}
