package docs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/ocr"
	"github.com/carrel-ai/carrel/internal/sharedtest"
	"github.com/carrel-ai/carrel/internal/testdocs"
	"golang.org/x/image/font/gofont/goregular"
)

// fakeOCR is a recogniser that "reads" a fixed page, for the stage's
// logic without Tesseract.
type fakeOCR struct {
	mu    sync.Mutex
	calls []image.Point // sizes of the images it was given
	down  error
	page  func(n int) *ocr.Page
}

func (f *fakeOCR) Available(context.Context) error { return f.down }

func (f *fakeOCR) RecognizeEach(ctx context.Context, imgs []image.Image, o ocr.ReadOptions) ([]ocr.Reading, error) {
	out := make([]ocr.Reading, len(imgs))
	for i, img := range imgs {
		p, err := f.Recognize(ctx, img, o)
		out[i] = ocr.Reading{Page: p, Err: err}
	}
	return out, nil
}

func (f *fakeOCR) Recognize(ctx context.Context, img image.Image, o ocr.ReadOptions) (*ocr.Page, error) {
	f.mu.Lock()
	f.calls = append(f.calls, img.Bounds().Size())
	n := len(f.calls)
	f.mu.Unlock()
	p := f.page(n)
	p.Width, p.Height = img.Bounds().Dx(), img.Bounds().Dy()
	return p, nil
}

func wordsPage(lines ...string) *ocr.Page {
	p := &ocr.Page{Languages: []string{"eng"}}
	for i, l := range lines {
		line := ocr.Line{Para: i / 2}
		x := 100
		for _, w := range strings.Fields(l) {
			line.Words = append(line.Words, ocr.Word{Text: w, Box: image.Rect(x, 100+40*i, x+20*len(w), 130+40*i), Conf: 90})
			x += 20*len(w) + 15
		}
		p.Lines = append(p.Lines, line)
	}
	return p
}

func blankPage(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	return g
}

func TestScannedPDFIsReadByOCR(t *testing.T) {
	f := &fakeOCR{page: func(n int) *ocr.Page {
		return wordsPage("Invoice number 4711", "was paid in full.", "Page two begins here")
	}}
	data := testdocs.ImagePDF(blankPage(85, 110), blankPage(85, 110))
	d, err := parse(t, "scan.pdf", data, Options{OCR: f, OCRDPI: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 2 {
		t.Fatalf("recogniser called %d times, want once per page", len(f.calls))
	}
	// A US Letter page at 100 dpi is 850 × 1100 pixels.
	if got := f.calls[0]; got.X < 840 || got.X > 860 || got.Y < 1090 || got.Y > 1110 {
		t.Errorf("page drawn at %v, want about 850 × 1100", got)
	}
	if d.Pages != 2 || len(d.Layouts) != 2 || d.Layouts[1].Page != 2 {
		t.Fatalf("pages %d, layouts %+v", d.Pages, d.Layouts)
	}
	if d.Blocks[0].Text != "Invoice number 4711 was paid in full." || d.Blocks[0].Page != 1 {
		t.Errorf("first block %q on page %d", d.Blocks[0].Text, d.Blocks[0].Page)
	}
	// The passage "paid in full" is drawn where its words stand.
	b := d.Blocks[0]
	start := strings.Index(b.Text, "paid")
	first, last, ok := b.CharRange(start, start+len("paid in full"))
	if !ok {
		t.Fatal("no characters for an OCR passage")
	}
	marks := d.Layouts[0].Marks(CharSpan{First: first, Last: last}, d.Layouts[0].Width, d.Layouts[0].Height)
	if len(marks) != 1 {
		t.Fatalf("marks %v, want one band on line 2", marks)
	}
	want := image.Rect(100+20*3+15, 140, 100+20*3+15+20*4+15+20*2+15+20*5, 170) // "paid in full." minus the dot
	if m := marks[0]; m.Min != want.Min || m.Max.Y != want.Max.Y || m.Max.X < want.Max.X-25 || m.Max.X > want.Max.X {
		t.Errorf("mark %v, want about %v", m, want)
	}
}

func TestScannedFileWithoutOCR(t *testing.T) {
	data := testdocs.ImagePDF(blankPage(85, 110))
	for _, tc := range []struct {
		name string
		opts Options
		want string
		kind failure.Kind
	}{
		{"no recogniser", Options{}, "OCR is turned off", failure.OCROff},
		{"not installed", Options{OCR: &fakeOCR{down: ocr.ErrNotInstalled}}, "install", failure.Scanned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, "scan.pdf", data, tc.opts)
			if !errors.Is(err, failure.ErrScanned) || failure.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a scanned-file error saying %q", err, tc.want)
			}
		})
	}
	var buf bytes.Buffer
	png.Encode(&buf, blankPage(40, 30))
	if _, err := parse(t, "photo.png", buf.Bytes(), Options{}); !errors.Is(err, failure.ErrScanned) || !strings.Contains(err.Error(), "picture") {
		t.Fatalf("a picture without OCR: %v", err)
	}
}

func TestPicturesArePagesForOCR(t *testing.T) {
	var pngData bytes.Buffer
	png.Encode(&pngData, blankPage(300, 200))
	tests := []struct {
		name  string
		data  []byte
		pages int
		size  image.Point
	}{
		{"scan.png", pngData.Bytes(), 1, image.Pt(300, 200)},
		{"scan.tif", testdocs.TIFF(blankPage(120, 90), blankPage(64, 48), blankPage(50, 70)), 3, image.Pt(120, 90)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeOCR{page: func(n int) *ocr.Page { return wordsPage("text on page") }}
			d, err := parse(t, tc.name, tc.data, Options{OCR: f})
			if err != nil {
				t.Fatal(err)
			}
			// Pages are read several at once: in any order.
			if d.Format != Image || d.Pages != tc.pages || len(f.calls) != tc.pages || !slices.Contains(f.calls, tc.size) {
				t.Fatalf("format %s, %d pages, calls %v", d.Format, d.Pages, f.calls)
			}
			for i, b := range d.Blocks {
				if b.Page != i+1 {
					t.Errorf("block %d on page %d", i, b.Page)
				}
			}
		})
	}
	// Each page of a TIFF decodes as itself.
	tif := testdocs.TIFF(blankPage(120, 90), blankPage(64, 48))
	if img, err := DecodeImagePage(tif, 2); err != nil || img.Bounds().Size() != image.Pt(64, 48) {
		t.Fatalf("page 2: %v, %v", img, err)
	}
	if _, err := DecodeImagePage(tif, 3); err == nil {
		t.Fatal("page 3 of 2 decoded")
	}
}

// A Word file made of pasted pictures (scanned pages) is read through
// its pictures; a report with a small chart is not.
func TestDocumentOfPictures(t *testing.T) {
	var page, icon bytes.Buffer
	png.Encode(&page, blankPage(400, 500))
	png.Encode(&icon, blankPage(16, 16))
	pictures := map[string]string{"word/media/image1.png": page.String(), "word/media/image2.png": icon.String()}
	onlyPictures := testdocs.DOCX(testdocs.Paragraph("", "Fig."), pictures)
	f := &fakeOCR{page: func(int) *ocr.Page { return wordsPage("Minutes of the meeting") }}
	d, err := parse(t, "pasted.docx", onlyPictures, Options{OCR: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 1 || len(d.Blocks) != 2 || d.Blocks[1].Text != "Minutes of the meeting" || d.Blocks[1].Heading != "Picture image1.png" {
		t.Fatalf("calls %v, blocks %+v", f.calls, d.Blocks)
	}
	if _, err := parse(t, "pasted.docx", testdocs.DOCX("", pictures), Options{}); !errors.Is(err, failure.ErrScanned) || !strings.Contains(err.Error(), "pictures") {
		t.Fatalf("without OCR: %v", err)
	}
	report := testdocs.DOCX(testdocs.Paragraph("", strings.Repeat("The budget grew in every quarter of the year. ", 6)), pictures)
	f = &fakeOCR{page: func(int) *ocr.Page { return wordsPage("x") }}
	if _, err := parse(t, "report.docx", report, Options{OCR: f}); err != nil || len(f.calls) != 0 {
		t.Fatalf("a report's chart was read: %v, %v", f.calls, err)
	}
}

func TestPictureBombIsRefused(t *testing.T) {
	// A PNG header claiming 100,000 × 100,000 pixels.
	var buf bytes.Buffer
	png.Encode(&buf, blankPage(1, 1))
	b := buf.Bytes()
	copy(b[16:24], []byte{0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0})
	_, err := parse(t, "bomb.png", b, Options{OCR: &fakeOCR{page: func(int) *ocr.Page { return wordsPage("x") }}})
	if failure.KindOf(err) != failure.TooLarge && failure.KindOf(err) != failure.Corrupt {
		t.Fatalf("got %v, want too large (or damaged: the CRC no longer matches)", err)
	}
}

func TestLayoutRoundTrip(t *testing.T) {
	l := PageLayout{Page: 3, Width: 2550, Height: 3300, Languages: []string{"chi_sim", "eng"},
		Boxes: []ocr.CharBox{{X0: 10, Y0: 20, X1: 30, Y1: 40, Line: 0}, {X0: 31, Y0: 20, X1: 60, Y1: 41, Line: 0}, {X0: 10, Y0: 60, X1: 50, Y1: 90, Line: 1}}}
	got, err := DecodeLayout(3, EncodeLayout(l))
	if err != nil || !reflect.DeepEqual(got, l) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {2}, {1, 0x80}, EncodeLayout(l)[:10]} {
		if _, err := DecodeLayout(1, bad); err == nil {
			t.Errorf("%v decoded", bad)
		}
	}
	if m := l.Marks(CharSpan{First: 0, Last: 2}, 255, 330); len(m) != 2 || m[0] != image.Rect(1, 2, 6, 5) {
		t.Errorf("marks %v", m)
	}
}

// realOCR returns Tesseract with English, or skips: `make test` installs
// it (packaging/deps.sh).
// recordingOCR passes to a recogniser, noting the batches of regions and
// the scripts it is asked to expect.
type recordingOCR struct {
	Recognizer
	mu      sync.Mutex
	batches []int
	scripts []string
}

func (r *recordingOCR) RecognizeEach(ctx context.Context, imgs []image.Image, o ocr.ReadOptions) ([]ocr.Reading, error) {
	r.mu.Lock()
	r.batches = append(r.batches, len(imgs))
	r.scripts = append(r.scripts, o.Script)
	r.mu.Unlock()
	return r.Recognizer.RecognizeEach(ctx, imgs, o)
}

func realOCR(t *testing.T) *ocr.Engine {
	t.Helper()
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("skipping: Tesseract is not installed (make test installs tesseract-ocr)")
	}
	e := ocr.New(ocr.Options{Languages: []string{"eng"}})
	if err := e.Available(context.Background()); err != nil {
		t.Skipf("skipping: %v", err)
	}
	return e
}

func TestOCRReadsADrawnPage(t *testing.T) {
	e := realOCR(t)
	text := "The quarterly report was approved\nby the board of directors in March."
	rp, err := testParser().RenderPage(context.Background(), writeTemp(t, "p.pdf", testdocs.PDF(text)), 1, 1700, "", CharSpan{})
	if err != nil {
		t.Fatal(err)
	}
	scan := testdocs.ImagePDF(ocr.Gray(rp.Image))
	d, err := parse(t, "scan.pdf", scan, Options{OCR: e})
	if err != nil {
		t.Fatal(err)
	}
	got := d.Text()
	for _, w := range []string{"quarterly", "report", "approved", "board", "directors", "March"} {
		if !strings.Contains(got, w) {
			t.Errorf("OCR text %q lacks %q", got, w)
		}
	}
	if len(d.Layouts) != 1 || len(d.Layouts[0].Boxes) < 40 {
		t.Fatalf("layouts %+v", d.Layouts)
	}
	// "board" is on the second line, below "quarterly" on the first.
	b := d.Blocks[0]
	i, j := strings.Index(b.Text, "quarterly"), strings.Index(b.Text, "board")
	f1, _, _ := b.CharRange(i, i+1)
	f2, _, _ := b.CharRange(j, j+1)
	if y1, y2 := d.Layouts[0].Boxes[f1].Y0, d.Layouts[0].Boxes[f2].Y0; y2 <= y1 {
		t.Errorf("second line at y %d, first at %d", y2, y1)
	}
}

// TestCorpusScansWithOCR reads the corpus's scans, one of them
// encrypted: each yields the words printed on it.
func TestCorpusScansWithOCR(t *testing.T) {
	e := realOCR(t)
	for _, tc := range []struct{ file, password, want string }{
		{"corpus/pdf/scanned/tika-testOCR.pdf", "", "Happy New Year 2003"},
		{"corpus/pdf/encrypted/pdfjs-issue3371-password.pdf", "ELXRTQWS", "This is quite a simple example."},
		{"corpus/docx/pydocx-having-images.docx", "", "python"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := sharedtest.Path(t, tc.file)
			d, err := testParser().Parse(context.Background(), path, Options{OCR: e, Password: tc.password})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(d.Text(), tc.want) || (d.Format == PDF && len(d.Layouts) != 1) {
				t.Fatalf("OCR text %q, %d layouts", d.Text(), len(d.Layouts))
			}
		})
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := t.TempDir() + "/" + name
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Text from a font without a Unicode map is told from real text, also
// when the raw codes read as digits among punctuation (a figure's
// labels); numbers and prices are text.
func TestIsGarbled(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{`!"# $!"# %!"# &!"# '!"# (!!"#`, true},
		{`.><57=+.><E>=/+:?*#0$C1$23#`, true},
		{`0$1$23# ,6;7<5+:/=#0(1&23#`, true},
		{"The tree grew 12% in 2009 (see Fig. 3).", false},
		{"$1,000 - $2,000", false},
		{"3.14159 2.71828 1.41421", false},
		{"x = (a + b) * c;", false},
		{`)*+45678#0$1923#`, true},
		{`4:<8+7:6I:F+=-4=#0C1923#`, true},
		{`:,,/==+.>?:6;+<6//=#0!1923# :,,/==+@:??A-,8#0$1$23# Fig.`, true},
		{"Call +1-555-0100 or see http://example.org/a?b=c&d=e for $1,000.00.", false},
		{"f(x)=a+b*c and 2009-12-06 10:30:45", false},
		{"192.168.1.1 (1-3) [4] {5}", false},
	} {
		if got := isGarbled(tc.s); got != tc.want {
			t.Errorf("isGarbled(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// A figure whose labels are in a font without a Unicode map has a text
// layer of symbols ("!\"# $!\"#", ")*+45678#0$1923#") between real
// paragraphs: the symbols are left out, line by line, with a note, and
// the paragraphs around them are kept whole. The corpus's Tracemonkey
// paper has such a figure on page 13.
func TestSymbolSoupIsNotText(t *testing.T) {
	page := strings.Join([]string{
		"The interpreter spends most of its time in the inner loop of the",
		"benchmark, and the trace compiler speeds it up.",
		"",
		`!"# $!"# %!"# &!"# '!"# (!!"#`,
		`)*+45678#0$1923# )*+6:;<6:,/#0(1$23#`,
		`:,,/==+.>?:6;+<6//=#0!1923#`,
		`,6;7<5+=8:(#0C1923#`,
		"",
		"Figure 12 shows the fraction of time spent on major activities.",
	}, "\n")
	d, err := parse(t, "figure.pdf", testdocs.PDF(page), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, b := range d.Blocks {
		text.WriteString(b.Text + "\n")
	}
	for _, soup := range []string{`!"#`, "#0$", "1923#", ":,,/"} {
		if strings.Contains(text.String(), soup) {
			t.Errorf("the symbols %q were indexed as text:\n%s", soup, text.String())
		}
	}
	for _, words := range []string{"the trace compiler speeds it up", "Figure 12 shows the fraction"} {
		if !strings.Contains(text.String(), words) {
			t.Errorf("%q was lost:\n%s", words, text.String())
		}
	}
	if !strings.Contains(strings.Join(d.Warnings, "\n"), "no usable map to Unicode") {
		t.Errorf("no note of what was left out: %v", d.Warnings)
	}

	p := sharedtest.Path(t, "corpus/pdf/text/pdfjs-tracemonkey-paper.pdf")
	d, err = testParser().Parse(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range d.Blocks {
		if b.Page == 13 && isGarbled(b.Text) || strings.Contains(b.Text, `!"#`) || strings.Contains(b.Text, "#0$") {
			t.Errorf("page %d of the Tracemonkey paper indexes symbols: %.80q", b.Page, b.Text)
		}
	}
}

// Labels in a font without a map to Unicode, whose glyph codes spell
// symbols, are never indexed as those symbols: without OCR they are left
// out with a note; with OCR the region they cover on the drawn page is
// read, and its words are indexed.
func TestUnmappedLabelsAreReadByOCR(t *testing.T) {
	text := []string{"The interpreter spends most of its time in the inner loop.", "Figure 3 shows where the time goes."}
	labels := []string{"Interpreter Monitor Record", "Compile Trace Execute"}
	pdf, err := testdocs.UnmappedFontPDF(goregular.TTF, text, labels)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := parse(t, "labels.pdf", pdf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	indexed := func(d *Document) string {
		var b strings.Builder
		for _, bl := range d.Blocks {
			b.WriteString(bl.Text + "\n")
		}
		return b.String()
	}
	if s := indexed(plain); !strings.Contains(s, "inner loop") || strings.Contains(s, `!"#`) || strings.Contains(s, "Monitor") {
		t.Errorf("without OCR, indexed:\n%s", s)
	}
	if !strings.Contains(strings.Join(plain.Warnings, "\n"), "no usable map to Unicode") {
		t.Errorf("the labels' text layer was not found to be symbols: %v", plain.Warnings)
	}

	d, err := parse(t, "labels.pdf", pdf, Options{OCR: realOCR(t)})
	if err != nil {
		t.Fatal(err)
	}
	s := indexed(d)
	if strings.Contains(s, `!"#`) {
		t.Errorf("symbols indexed:\n%s", s)
	}
	for _, w := range []string{"Interpreter", "Monitor", "Compile", "Execute", "inner loop"} {
		if !strings.Contains(s, w) {
			t.Errorf("%q is not indexed:\n%s", w, s)
		}
	}
	var fig *Block
	for i, b := range d.Blocks {
		if b.Kind == "figure" {
			fig = &d.Blocks[i]
		}
	}
	if fig == nil || fig.Page != 1 || strings.Contains(fig.Text, "inner loop") {
		t.Errorf("the figure's block: %+v", fig)
	}

	// The corpus's Tracemonkey paper: the chart on page 13 names the
	// benchmarks in such a font. Its regions are read in one run, in the
	// script of the paper's text.
	rec := &recordingOCR{Recognizer: realOCR(t)}
	tm, err := testParser().Parse(context.Background(), sharedtest.Path(t, "corpus/pdf/text/pdfjs-tracemonkey-paper.pdf"), Options{OCR: rec})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.batches) != 1 || rec.batches[0] < 2 || rec.scripts[0] != "Latin" {
		t.Errorf("regions read in batches %v expecting %q", rec.batches, rec.scripts)
	}
	found := false
	for _, b := range tm.Blocks {
		if strings.Contains(b.Text, `!"#`) || strings.Contains(b.Text, "#0$") {
			t.Errorf("page %d indexes symbols: %.80q", b.Page, b.Text)
		}
		found = found || b.Page == 13 && b.Kind == "figure" && strings.Contains(b.Text, "bitops-bitwise-and")
	}
	if !found {
		t.Error("the benchmark names of the chart on page 13 are not indexed")
	}
}

// barOCR "reads" a page by the black band across its top: page n of a
// test scan is black down to n tenths of its height. It holds each page
// until another is in hand too (or a while has passed), counting the
// pages in hand at once.
type barOCR struct {
	mu           sync.Mutex
	inHand, most int
}

func (b *barOCR) Available(context.Context) error { return nil }

func (b *barOCR) RecognizeEach(ctx context.Context, imgs []image.Image, o ocr.ReadOptions) ([]ocr.Reading, error) {
	return nil, errors.New("not for pages")
}

func (b *barOCR) Recognize(ctx context.Context, img image.Image, o ocr.ReadOptions) (*ocr.Page, error) {
	b.mu.Lock()
	b.inHand++
	b.most = max(b.most, b.inHand)
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.inHand--
		b.mu.Unlock()
	}()
	for wait := time.Now(); time.Since(wait) < 2*time.Second; time.Sleep(5 * time.Millisecond) {
		b.mu.Lock()
		together := b.inHand > 1
		b.mu.Unlock()
		if together {
			break
		}
	}
	g := ocr.Gray(img)
	dark := 0
	for _, p := range g.Pix {
		if p < 128 {
			dark++
		}
	}
	n := int(math.Round(10 * float64(dark) / float64(len(g.Pix))))
	p := wordsPage(fmt.Sprintf("page%d", n))
	p.Width, p.Height = g.Bounds().Dx(), g.Bounds().Dy()
	return p, nil
}

// The pages of a scan are read several at once, and their text comes in
// page order.
func TestScanPagesAreReadSeveralAtOnce(t *testing.T) {
	var pages []*image.Gray
	for n := 1; n <= 6; n++ {
		g := blankPage(200, 260)
		for i := range g.Pix[:n*26*g.Stride] {
			g.Pix[i] = 0
		}
		pages = append(pages, g)
	}
	rec := &barOCR{}
	d, err := parse(t, "scan.pdf", testdocs.ImagePDF(pages...), Options{OCR: rec, OCRPages: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range d.Blocks {
		got = append(got, fmt.Sprintf("%d:%s", b.Page, b.Text))
	}
	if want := "1:page1 2:page2 3:page3 4:page4 5:page5 6:page6"; strings.Join(got, " ") != want {
		t.Errorf("blocks %q, want %q", got, want)
	}
	if rec.most < 2 || rec.most > 3 {
		t.Errorf("%d pages in hand at once, want 2 or 3 (OCRPages 3)", rec.most)
	}
	if len(d.Layouts) != 6 || d.Layouts[0].Page != 1 || d.Layouts[5].Page != 6 {
		t.Errorf("layouts %+v", d.Layouts)
	}
}
