package lab_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/internal/testdocs"
	"github.com/carrel-ai/carrel/lab"
)

func needTesseract(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("skipping: Tesseract is not installed (make test installs tesseract-ocr)")
	}
}

// The OCR bench scores a page it draws against the page's own text: a
// clean page of printed text reads back almost exactly.
func TestMeasureOCR(t *testing.T) {
	needTesseract(t)
	pdf := filepath.Join(t.TempDir(), "clean.pdf")
	lines := []string{
		"Minutes of the annual meeting of the garden society.",
		"The treasurer reported that the accounts were in order",
		"and that the new greenhouse was paid for in full.",
		"Members agreed to plant more pears along the south wall.",
	}
	os.WriteFile(pdf, testdocs.PDF(strings.Join(lines, "\n")), 0o600)
	var seen int
	r, err := lab.MeasureOCR(context.Background(), lab.OCRBenchOptions{Files: []string{pdf}, DPIs: []int{300}, MinChars: 50, Languages: "eng"},
		func(lab.OCRBenchPage) { seen++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 1 || r.Rows[0].Pages != 1 || seen != 1 || r.Rows[0].Chars < 200 {
		t.Fatalf("report %+v", r)
	}
	if row := r.Rows[0]; row.CER > 0.02 || row.WordErrors > 0.05 || row.PagesPerSec <= 0 {
		t.Errorf("a clean page read with CER %.3f, %.3f of words missed", row.CER, row.WordErrors)
	}
	if _, err := lab.MeasureOCR(context.Background(), lab.OCRBenchOptions{Files: []string{pdf}, MinChars: 5000}, nil); err == nil {
		t.Error("a page with too little text was measured")
	}
}
