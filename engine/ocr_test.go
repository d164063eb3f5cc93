package engine_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/internal/testdocs"
)

// scanOf draws a one-page PDF of lines (testdocs.PDF: 12 pt Helvetica,
// line n's baseline 72+14n points from the top) as a grey page image at
// 200 dpi, as a scanner would give it.
func scanOf(t *testing.T, lines ...string) *image.Gray {
	t.Helper()
	pdf := filepath.Join(t.TempDir(), "page.pdf")
	if err := os.WriteFile(pdf, testdocs.PDF(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	p := docs.NewParser("")
	defer p.Close()
	rp, err := p.RenderPage(context.Background(), pdf, 1, 1700, "", docs.CharSpan{})
	if err != nil {
		t.Fatal(err)
	}
	b := rp.Image.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g.Set(x, y, rp.Image.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return g
}

func needTesseract(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("skipping: Tesseract is not installed (make test installs tesseract-ocr)")
	}
}

var orchard = []string{
	"The apples grow in the orchard.",
	"The pears grow in the garden.",
	"The plums grow on the hill.",
	"The figs grow by the sea.",
}

// Scans become searchable, and a passage found on a scanned page is
// marked on the page image where its words are printed: for a scanned
// PDF and for a picture.
func TestScansAreSearchableAndMarked(t *testing.T) {
	needTesseract(t)
	dir := t.TempDir()
	page := scanOf(t, orchard...)
	var pngData bytes.Buffer
	png.Encode(&pngData, page)
	files := map[string][]byte{"pdf/scan.pdf": testdocs.ImagePDF(page), "png/scan.png": pngData.Bytes()}
	for name, data := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	set := engine.DefaultSettings()
	set.ChunkTokens = 50
	set.EmbedModel = engine.NoEmbedModel
	e := openEngine(t, t.TempDir(), &set)
	ctx := context.Background()
	if in := e.OCR(ctx); !in.Available || len(in.Using) == 0 {
		t.Fatalf("OCR info %+v", in)
	}
	addAndWait(t, e, "", dir)
	for _, sub := range []string{"pdf", "png"} {
		t.Run(sub, func(t *testing.T) {
			res, err := e.Search(ctx, "pears garden", engine.SearchOptions{Folder: filepath.Join(dir, sub), K: 3})
			if err != nil || len(res.Hits) == 0 {
				ds, _ := e.Documents(ctx, "")
				t.Fatalf("search: %v %+v; documents %+v", err, res, ds)
			}
			h := res.Hits[0]
			if h.Page != 1 || h.Place.CharFirst < 0 {
				t.Fatalf("hit %+v", h)
			}
			src := engine.Source{N: 1, Path: h.Path, Page: h.Page, DocID: h.DocID, ChunkID: h.ChunkID, Text: h.Text, Place: h.Place}
			rp, err := e.RenderPage(ctx, src, 612)
			if err != nil {
				t.Fatal(err)
			}
			if len(rp.Marks) == 0 {
				t.Fatal("no marks on the scanned page")
			}
			// At 612 pixels a point is a pixel: line n has its baseline at
			// y = 72+14n and starts at x = 72. Each line of the passage has
			// one band over it, and no other line has one.
			var want []int
			for i, l := range orchard {
				if strings.Contains(h.Text, l) {
					want = append(want, 72+14*i)
				}
			}
			if len(want) == 0 || len(rp.Marks) != len(want) {
				t.Fatalf("passage %q: marks %v, want one over each of the baselines %v", h.Text, rp.Marks, want)
			}
			for i, m := range rp.Marks {
				if m.Min.Y > want[i]-6 || m.Max.Y < want[i] || m.Max.Y > want[i]+6 || m.Min.X < 68 || m.Min.X > 76 || m.Dx() < 100 {
					t.Errorf("mark %v, want one over the line with its baseline at y=%d from x=72", m, want[i])
				}
			}
		})
	}
}

// Without OCR a scan is recorded as scanned, saying how to read it; when
// OCR is turned on, it is read.
func TestScanReadWhenOCRIsTurnedOn(t *testing.T) {
	needTesseract(t)
	dir := t.TempDir()
	scan := filepath.Join(dir, "scan.pdf")
	os.WriteFile(scan, testdocs.ImagePDF(scanOf(t, orchard...)), 0o600)
	os.WriteFile(filepath.Join(dir, "photo.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o600)
	set := engine.DefaultSettings()
	set.OCR = engine.OCROff
	set.EmbedModel = engine.NoEmbedModel
	e := openEngine(t, t.TempDir(), &set)
	ctx := context.Background()
	addAndWait(t, e, "Scans", dir)
	ds, _ := e.Documents(ctx, "Scans")
	// A folder's pictures are left out while OCR is off.
	if len(ds) != 1 || ds[0].Status != status.Failed || ds[0].ErrorKind != failure.OCROff || !strings.Contains(ds[0].Error, "OCR") {
		t.Fatalf("without OCR: %+v", ds)
	}
	set.OCR = ""
	if _, err := e.SetSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	ds, _ = e.Documents(ctx, "Scans")
	if len(ds) != 1 || ds[0].Status != status.Ready || ds[0].Chunks == 0 {
		t.Fatalf("with OCR: %+v", ds)
	}
	res, err := e.Search(ctx, "figs sea", engine.SearchOptions{Library: "Scans"})
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("search: %v %+v", err, res)
	}
}
