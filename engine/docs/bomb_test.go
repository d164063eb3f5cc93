package docs

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
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

// TestEPUBBomb: an e-book whose only chapter inflates past the archive
// limits is too large, not empty.
func TestEPUBBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 130 MiB EPUB bomb in -short mode")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, method uint16, write func(io.Writer)) {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		write(f)
	}
	text := func(s string) func(io.Writer) { return func(w io.Writer) { io.WriteString(w, s) } }
	add("mimetype", zip.Store, text("application/epub+zip"))
	add("META-INF/container.xml", zip.Deflate, text(`<?xml version="1.0"?><container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>`))
	add("OEBPS/content.opf", zip.Deflate, text(`<?xml version="1.0"?><package><metadata><title>Bomb</title></metadata><manifest><item id="c1" href="c1.xhtml"/></manifest><spine><itemref idref="c1"/></spine></package>`))
	add("OEBPS/c1.xhtml", zip.Deflate, func(w io.Writer) {
		zeros := make([]byte, 1<<20)
		for i := 0; i < 130; i++ {
			w.Write(zeros)
		}
	})
	zw.Close()
	_, err := parse(t, "bomb.epub", buf.Bytes(), Options{})
	if KindOf(err) != KindTooLarge {
		t.Errorf("an EPUB bomb: %v (kind %s), want too_large", err, KindOf(err))
	}
}
