package docs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/ocr"
	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// Recognizer reads the text of page images (OCR); *ocr.Engine is one.
type Recognizer interface {
	// Available returns nil when pages can be read, else why not.
	Available(ctx context.Context) error
	// Recognize reads a page image.
	Recognize(ctx context.Context, img image.Image, o ocr.ReadOptions) (*ocr.Page, error)
	// RecognizeEach reads each of several small images (regions of
	// pages) on its own; one that cannot be read says why in its Reading.
	RecognizeEach(ctx context.Context, imgs []image.Image, o ocr.ReadOptions) ([]ocr.Reading, error)
}

// DefaultOCRDPI is the resolution PDF pages are drawn at for OCR: the
// bench (carrel bench ocr) measured it against 200 and 400 dpi.
const DefaultOCRDPI = 300

// maxOCRPixels bounds a page drawn for OCR: a poster-sized page is read
// at a lower resolution rather than drawn at 300 dpi.
const maxOCRPixels = 40 << 20

// PageLayout is where the characters of a page read by OCR stand. The
// page's blocks refer to Boxes by index in their Chars, as PDF blocks
// refer to PDFium's characters, so a passage can be drawn on the page.
type PageLayout struct {
	Page int
	// Width and Height are those of the image that was read, in pixels;
	// the boxes are in its pixels.
	Width, Height int
	Boxes         []ocr.CharBox
	// Languages are the packs the page was read with.
	Languages []string
}

// Marks returns the bands covering the characters of span, one per line,
// on the page drawn w × h pixels.
func (l PageLayout) Marks(span CharSpan, w, h int) []image.Rectangle {
	if l.Width <= 0 || l.Height <= 0 || span.First < 0 || span.Last < span.First || span.First >= len(l.Boxes) {
		return nil
	}
	last := min(span.Last, len(l.Boxes)-1)
	var out []image.Rectangle
	line := -1
	sx, sy := float64(w)/float64(l.Width), float64(h)/float64(l.Height)
	for _, b := range l.Boxes[span.First : last+1] {
		r := image.Rect(int(math.Floor(float64(b.X0)*sx)), int(math.Floor(float64(b.Y0)*sy)),
			int(math.Ceil(float64(b.X1)*sx)), int(math.Ceil(float64(b.Y1)*sy)))
		if b.Line == line && len(out) > 0 {
			out[len(out)-1] = out[len(out)-1].Union(r)
			continue
		}
		line = b.Line
		out = append(out, r)
	}
	return out
}

// EncodeLayout packs a page layout for storage: its size, languages and
// boxes as varints (about 6 bytes a character).
func EncodeLayout(l PageLayout) []byte {
	b := []byte{1} // format version
	b = binary.AppendUvarint(b, uint64(l.Width))
	b = binary.AppendUvarint(b, uint64(l.Height))
	langs := strings.Join(l.Languages, "+")
	b = binary.AppendUvarint(b, uint64(len(langs)))
	b = append(b, langs...)
	b = binary.AppendUvarint(b, uint64(len(l.Boxes)))
	for _, x := range l.Boxes {
		for _, v := range [...]int{x.X0, x.Y0, x.X1 - x.X0, x.Y1 - x.Y0, x.Line} {
			b = binary.AppendUvarint(b, uint64(max(v, 0)))
		}
	}
	return b
}

// DecodeLayout unpacks what EncodeLayout stored.
func DecodeLayout(page int, b []byte) (PageLayout, error) {
	l := PageLayout{Page: page}
	bad := errors.New("docs: damaged page layout")
	if len(b) == 0 || b[0] != 1 {
		return l, bad
	}
	b = b[1:]
	next := func() (int, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > math.MaxInt32 {
			return 0, false
		}
		b = b[n:]
		return int(v), true
	}
	var ok bool
	var n int
	if l.Width, ok = next(); !ok {
		return l, bad
	}
	if l.Height, ok = next(); !ok {
		return l, bad
	}
	if n, ok = next(); !ok || n > len(b) {
		return l, bad
	}
	if n > 0 {
		l.Languages = strings.Split(string(b[:n]), "+")
	}
	b = b[n:]
	if n, ok = next(); !ok || n > len(b) {
		return l, bad
	}
	l.Boxes = make([]ocr.CharBox, n)
	for i := range l.Boxes {
		var v [5]int
		for j := range v {
			if v[j], ok = next(); !ok {
				return l, bad
			}
		}
		l.Boxes[i] = ocr.CharBox{X0: v[0], Y0: v[1], X1: v[0] + v[2], Y1: v[1] + v[3], Line: v[4]}
	}
	return l, nil
}

// PageProgress is told before each page is read by OCR (done pages of
// total so far); an error it returns stops the reading with that error,
// which is how a cancelled document stops between pages.
type PageProgress func(ctx context.Context, done, total int) error

// ocrStage reads the pages of d that have no text layer, when a
// recogniser is available; otherwise it says, per page and for the file,
// that OCR would read them. parent is the caller's context: OCR is bounded
// per page, not by the parse's time limit.
func (p *Parser) ocrStage(parent context.Context, d *Document, data []byte, opts Options) error {
	pictures := embeddedPictures(d, data)
	if len(d.scanned) == 0 && len(pictures) == 0 && len(d.figures) == 0 {
		return nil
	}
	var why string
	cause := failure.ErrScanned
	if opts.OCR == nil {
		why, cause = "OCR is turned off", failure.ErrOCROff
	} else if err := opts.OCR.Available(parent); err != nil {
		why = ocr.Describe(err)
	}
	if why != "" {
		for _, pg := range d.scanned {
			if d.Format == PDF {
				d.warnf("page %d has no text layer (scanned): %s", pg, why)
			}
		}
		if len(d.Blocks) == 0 {
			what := "it is a scan with no text layer"
			switch {
			case d.Format == Image:
				what = "it is a picture"
			case len(pictures) > 0:
				what = "its content is pictures"
			}
			if cause == failure.ErrOCROff {
				return &ParseError{Err: cause, Detail: what} // the cause says why
			}
			return &ParseError{Err: cause, Detail: what + "; " + why}
		}
		return nil
	}
	// A page has its own limit inside the recogniser; this bounds the
	// drawing of pages and the whole, with room for every page.
	ctx, cancel := context.WithTimeout(parent, opts.Timeout+time.Duration(len(d.scanned)+len(pictures)+len(d.figures))*3*time.Minute)
	defer cancel()
	script := expectedScript(d)
	var err error
	switch d.Format {
	case Image:
		err = recognizeImage(ctx, d, data, opts)
	case DOCX, ODT, EPUB:
		err = recognizePictures(ctx, d, data, pictures, opts, script)
	default:
		err = p.pdf.withDocument(ctx, data, opts.Password, func(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT) error {
			if err := recognizePDF(ctx, inst, doc, d, opts, script); err != nil {
				return err
			}
			return recognizeFigures(ctx, inst, doc, d, opts, script)
		})
	}
	if err != nil {
		if parent.Err() != nil {
			return parent.Err()
		}
		return err
	}
	sort.SliceStable(d.Blocks, func(i, j int) bool { return d.Blocks[i].Page < d.Blocks[j].Page })
	if len(d.Blocks) == 0 {
		return &ParseError{Err: failure.ErrNoText, Detail: "OCR found no text on its scanned pages"}
	}
	return nil
}

// scriptSample bounds the text expectedScript looks at.
const scriptSample = 64 << 10

// expectedScript is the script of the document's decoded text (its text
// layer, before OCR adds to it), which its undecodable pages, figures
// and pictures are most likely written in too; "" when it has too little.
func expectedScript(d *Document) string {
	var b strings.Builder
	for _, bl := range d.Blocks {
		if b.Len() >= scriptSample {
			break
		}
		b.WriteString(bl.Text)
		b.WriteByte('\n')
	}
	return ocr.ScriptOf(b.String())
}

// recognizePDF draws each scanned page of an open PDF and reads it.
func recognizePDF(ctx context.Context, inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, d *Document, opts Options, script string) error {
	return ocrPages(ctx, d, opts, script, func(pg int) (image.Image, int, error) {
		return drawForOCR(inst, doc, pg, opts.OCRDPI)
	}, addPage)
}

// recognizeFigures reads by OCR, from the drawn page, the regions whose
// text layer is symbols (Document.figures: a figure's labels in a font
// without a map to Unicode), and adds what it reads there as a block when
// it is text. A region that cannot be read stays left out, as without
// OCR. Each page is drawn once for all its regions, and the regions are
// read many to a recogniser's run: a typeset thesis has hundreds.
func recognizeFigures(ctx context.Context, inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, d *Document, opts Options, script string) error {
	type region struct {
		page int
		img  image.Image
	}
	var regions []region
	dpi, pixels := 0, 0
	read := func() error {
		if len(regions) == 0 {
			return nil
		}
		imgs := make([]image.Image, len(regions))
		for i, r := range regions {
			imgs[i] = r.img
		}
		readings, err := opts.OCR.RecognizeEach(ctx, imgs, ocr.ReadOptions{DPI: dpi, Script: script})
		if err != nil {
			return err
		}
		for i, r := range readings {
			pg := regions[i].page
			if r.Err != nil {
				d.warnf("page %d: the figure left out could not be read by OCR: %s", pg, strings.TrimPrefix(r.Err.Error(), "ocr: "))
				continue
			}
			if text := figureLines(r.Page); len(text) > 0 {
				d.Blocks = append(d.Blocks, Block{Text: strings.Join(text, "\n"), Page: pg, Kind: "figure"})
				d.warnf("page %d: the figure's labels were read by OCR instead", pg)
			}
		}
		regions, pixels = regions[:0], 0
		return nil
	}
	for i := 0; i < len(d.figures); {
		pg := d.figures[i].page
		j := i
		for j < len(d.figures) && d.figures[j].page == pg {
			j++
		}
		onPage := d.figures[i:j]
		i = j
		if err := ctx.Err(); err != nil {
			return err
		}
		img, pdpi, err := drawForOCR(inst, doc, pg, opts.OCRDPI)
		if err != nil {
			d.warnf("page %d: the figure left out could not be drawn for OCR: %v", pg, err)
			continue
		}
		// Regions read together share a resolution (a page too large
		// for maxOCRPixels is drawn at less).
		if pdpi != dpi {
			if err := read(); err != nil {
				return err
			}
			dpi = pdpi
		}
		b := img.Bounds()
		page := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: pg - 1}}
		for _, f := range onPage {
			var r image.Rectangle
			for _, sp := range f.spans {
				for _, c := range charRects(inst, page, b.Dx(), b.Dy(), sp) {
					r = r.Union(c)
				}
			}
			// A margin of a sixth of an inch: labels sit close to the
			// lines and shapes of their figure, whose edges OCR should
			// not cut.
			r = r.Inset(-max(dpi/6, 4)).Intersect(b)
			if r.Dx() < 8 || r.Dy() < 8 {
				continue
			}
			regions = append(regions, region{pg, crop(img, r)})
			pixels += r.Dx() * r.Dy()
		}
		// The regions in hand are read once they weigh about two pages:
		// memory stays bounded on a thesis with hundreds of them.
		if pixels >= figureBatchPixels {
			if err := read(); err != nil {
				return err
			}
		}
	}
	return read()
}

// figureBatchPixels is the grey pixels of figure regions read together.
const figureBatchPixels = 16 << 20

// crop copies r of img, so the drawn page it was cut from can go.
func crop(img image.Image, r image.Rectangle) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	if g, ok := img.(*image.Gray); ok {
		for y := 0; y < r.Dy(); y++ {
			copy(out.Pix[y*out.Stride:(y+1)*out.Stride], g.Pix[g.PixOffset(r.Min.X, r.Min.Y+y):])
		}
		return out
	}
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

// figureConfidence is the least confidence (Tesseract's, 0 to 100) of a
// word kept from a figure: a figure's lines, bars and hatching read as
// stray letters of low confidence ("N IN Hl", "b i=) f=} S").
const figureConfidence = 70

// figureLines are the lines OCR read in a figure, each of its confident
// words, when they hold a word of letters and are not symbols themselves.
func figureLines(page *ocr.Page) []string {
	var out []string
	for _, l := range page.Lines {
		var words []string
		lettered := false
		for _, w := range l.Words {
			if w.Conf < figureConfidence {
				continue
			}
			words = append(words, w.Text)
			letters := 0
			for _, r := range w.Text {
				if unicode.IsLetter(r) {
					letters++
				}
			}
			lettered = lettered || letters >= 3
		}
		if t := strings.Join(words, " "); lettered && !isGarbled(t) {
			out = append(out, t)
		}
	}
	return out
}

// drawForOCR draws page pg (1-based) of an open PDF in grey at dpi, or at
// less for a page too large for maxOCRPixels; it returns the resolution
// used.
func drawForOCR(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, pg, dpi int) (image.Image, int, error) {
	size, err := inst.FPDF_GetPageSizeByIndex(&requests.FPDF_GetPageSizeByIndex{Document: doc, Index: pg - 1})
	if err != nil || size.Width <= 0 || size.Height <= 0 {
		return nil, 0, fmt.Errorf("its size cannot be read")
	}
	res := float64(dpi)
	if px := size.Width * size.Height * res * res / (72 * 72); px > maxOCRPixels {
		res *= math.Sqrt(maxOCRPixels / px)
	}
	w := max(16, int(size.Width*res/72))
	page := requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: pg - 1}}
	r, err := inst.RenderPageInPixels(&requests.RenderPageInPixels{Page: page, Width: w, Height: w * 4})
	if err != nil {
		return nil, 0, fmt.Errorf("it cannot be drawn: %v", err)
	}
	// The image lives in the sandbox's memory until Cleanup: copy it out
	// as grey, which is all OCR reads.
	g := ocr.Gray(r.Result.RenderedImage)
	r.Cleanup()
	return g, int(math.Round(res)), nil
}

// recognizeImage reads each page of a picture.
func recognizeImage(ctx context.Context, d *Document, data []byte, opts Options) error {
	return ocrPages(ctx, d, opts, "", func(pg int) (image.Image, int, error) {
		img, err := DecodeImagePage(data, pg)
		return img, 0, err
	}, addPage)
}

// Pictures inside a document are read when it has less text than this:
// a document of scanned pages pasted into Word, not a report with charts.
const picturesTextLimit = 200

// maxPictures bounds the pictures read from one document.
const maxPictures = 100

// embeddedPictures lists the pictures of a DOCX, ODT or EPUB whose
// content is mostly pictures (the text, if any, is shorter than
// picturesTextLimit), in name order.
func embeddedPictures(d *Document, data []byte) []string {
	if d.Format != DOCX && d.Format != ODT && d.Format != EPUB {
		return nil
	}
	n := 0
	for _, b := range d.Blocks {
		n += len(strings.TrimSpace(b.Text))
	}
	if n >= picturesTextLimit {
		return nil
	}
	a, err := openArchive(data)
	if err != nil {
		return nil
	}
	var out []string
	for _, name := range a.names {
		switch strings.ToLower(path.Ext(name)) {
		case ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp":
		default:
			continue
		}
		if strings.HasPrefix(name, "Thumbnails/") || strings.HasPrefix(name, "docProps/") {
			continue // a preview of the first page, not content
		}
		out = append(out, name)
	}
	sort.Strings(out)
	if len(out) > maxPictures {
		d.warnf("only the first %d of %d pictures were read", maxPictures, len(out))
		out = out[:maxPictures]
	}
	return out
}

// Pictures smaller than this are icons, bullets and rules, not text.
const minPictureSide = 48

// recognizePictures reads the pictures of a document made of them; their
// text joins the document under the picture's name (these formats have
// no pages to draw it on).
func recognizePictures(ctx context.Context, d *Document, data []byte, names []string, opts Options, script string) error {
	a, err := openArchive(data)
	if err != nil {
		return err
	}
	d.scanned = make([]int, len(names))
	for i := range names {
		d.scanned[i] = i + 1
	}
	return ocrPages(ctx, d, opts, script, func(n int) (image.Image, int, error) {
		b, err := a.member(names[n-1])
		if err != nil {
			return nil, 0, err
		}
		img, err := DecodeImagePage(b, 1)
		if err != nil {
			return nil, 0, err
		}
		if r := img.Bounds(); r.Dx() < minPictureSide || r.Dy() < minPictureSide {
			return nil, 0, errSkip
		}
		return img, 0, nil
	}, func(d *Document, n int, page *ocr.Page) {
		paras, _ := page.Layout()
		for _, para := range paras {
			d.Blocks = append(d.Blocks, Block{Text: para.Text, Kind: "paragraph", Heading: "Picture " + path.Base(names[n-1])})
		}
	})
}

// errSkip tells ocrPages to pass over a page without a warning.
var errSkip = errors.New("skip")

// ocrPages reads d's scanned pages, drawn by draw one at a time, with up
// to opts.OCRPages of them in the recogniser at once, and adds their text
// as blocks in page order; script is the one expected (ocr.ReadOptions).
// A page that fails is a warning; when every page fails the first failure
// is the error. The progress callback is told before each page is drawn,
// so a pause holds the next page back while those in hand finish.
func ocrPages(ctx context.Context, d *Document, opts Options, script string, draw func(page int) (image.Image, int, error), add func(d *Document, page int, read *ocr.Page)) error {
	type result struct {
		page *ocr.Page
		err  error
		skip bool
	}
	results := make([]result, len(d.scanned))
	slots := make(chan struct{}, max(opts.OCRPages, 1))
	var wg sync.WaitGroup
	dispatch := func() error {
		for i, pg := range d.scanned {
			if err := ctx.Err(); err != nil {
				return err
			}
			// A free slot before drawing: a drawn page waits in memory
			// only while one is read. Then progress, which holds the
			// page back while the queue is paused.
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			if opts.OCRProgress != nil {
				if err := opts.OCRProgress(ctx, i, len(d.scanned)); err != nil {
					<-slots
					return err
				}
			}
			img, dpi, err := draw(pg)
			if err != nil {
				<-slots
				results[i] = result{err: err, skip: errors.Is(err, errSkip)}
				continue
			}
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer func() { <-slots }()
				defer func() {
					if r := recover(); r != nil {
						results[i] = result{err: fmt.Errorf("%w: %v", ocr.ErrFailed, r)}
					}
				}()
				p, err := opts.OCR.Recognize(ctx, img, ocr.ReadOptions{DPI: dpi, Script: script})
				results[i] = result{page: p, err: err}
			}(i)
		}
		return nil
	}
	err := dispatch()
	wg.Wait()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var firstErr error
	read := 0
	for i, r := range results {
		pg := d.scanned[i]
		switch {
		case r.skip:
			continue
		case r.err == nil:
			add(d, pg, r.page)
			read++
			continue
		}
		d.warnf("page %d could not be read by OCR: %s", pg, strings.TrimPrefix(r.err.Error(), "ocr: "))
		if firstErr == nil {
			firstErr = r.err
		}
	}
	if opts.OCRProgress != nil {
		if err := opts.OCRProgress(ctx, len(d.scanned), len(d.scanned)); err != nil {
			return err
		}
	}
	if read == 0 && firstErr != nil && len(d.Blocks) == 0 {
		kind := failure.ErrCorrupt
		if errors.Is(firstErr, ocr.ErrTimeout) {
			kind = failure.ErrTimeout
		}
		var pe *ParseError
		if errors.As(firstErr, &pe) {
			return pe
		}
		return &ParseError{Page: d.scanned[0], Err: kind, Detail: "OCR could not read it: " + strings.TrimPrefix(firstErr.Error(), "ocr: ")}
	}
	return nil
}

// addPage adds the paragraphs read on a page as blocks, with the page's
// layout for drawing passages on it.
func addPage(d *Document, pg int, page *ocr.Page) {
	paras, boxes := page.Layout()
	if len(paras) == 0 {
		return
	}
	d.Layouts = append(d.Layouts, PageLayout{Page: pg, Width: page.Width, Height: page.Height, Boxes: boxes, Languages: page.Languages})
	for _, para := range paras {
		d.Blocks = append(d.Blocks, Block{Text: para.Text, Page: pg, Kind: "paragraph", Chars: para.Chars})
	}
}
