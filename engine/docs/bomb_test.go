package docs

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"testing"
	"time"
)

// TestPDFDecompressionBomb gives PDFium a page whose content stream
// inflates to 512 MiB: more than its sandbox may hold. The parse must end
// with an error or empty text, quickly, with the process alive.
func TestPDFDecompressionBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 512 MiB decompression bomb in -short mode")
	}
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	chunk := bytes.Repeat([]byte("0 0 m "), 1<<16)
	for n := 0; n < 512<<20; n += len(chunk) {
		w.Write(chunk)
	}
	w.Close()
	stream := z.String()
	pdf := assemblePDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(stream), stream),
	})
	start := time.Now()
	d, err := parse(t, "bomb.pdf", pdf, Options{Timeout: 30 * time.Second})
	took := time.Since(start)
	t.Logf("%d KiB bomb: %v in %v", len(pdf)>>10, err, took)
	if err == nil && len(d.Blocks) > 0 {
		t.Errorf("the bomb produced text: %d blocks", len(d.Blocks))
	}
	if err != nil && KindOf(err) == "error" {
		t.Errorf("untyped error: %v", err)
	}
	if took > 30*time.Second {
		t.Errorf("took %v", took)
	}
}
