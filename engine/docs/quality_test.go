package docs

import (
	"context"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// TestQualityVsPdftotext compares the words Carrel extracts from the
// corpus's text PDFs with poppler's pdftotext (the common reference): word
// recall (pdftotext's words Carrel also has) and precision. It runs where
// pdftotext is installed; `go test -v -run QualityVs ./engine/docs` prints
// the table docs/benchmarks.md shows.
func TestQualityVsPdftotext(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("skipping: pdftotext (poppler-utils) is not installed")
	}
	dir := sharedtest.Path(t, "corpus/pdf")
	var files []string
	for _, sub := range []string{"text", "multicolumn", "cjk"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*.pdf"))
		files = append(files, m...)
	}
	type row struct {
		name              string
		recall, precision float64
	}
	var rows []row
	for _, f := range files {
		ref, err := exec.Command(pdftotext, "-enc", "UTF-8", f, "-").Output()
		if err != nil || len(strings.Fields(string(ref))) < 20 {
			continue // pdftotext fails or finds almost nothing: no reference
		}
		d, err := testParser().Parse(context.Background(), f, Options{Timeout: time.Minute})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		p, r := overlap(d.Text(), string(ref))
		rows = append(rows, row{filepath.Base(f), r, p})
	}
	if len(rows) == 0 {
		t.Skip("no PDFs with a pdftotext reference")
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].recall < rows[j].recall })
	var recalls []float64
	for _, r := range rows {
		t.Logf("| %-42s | %.3f | %.3f |", r.name, r.recall, r.precision)
		recalls = append(recalls, r.recall)
	}
	median := recalls[len(recalls)/2]
	t.Logf("median word recall vs pdftotext over %d PDFs: %.3f", len(rows), median)
	if median < 0.95 {
		t.Errorf("median recall %.3f below 0.95", median)
	}
}
