package docs

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"github.com/carrel-ai/carrel/engine/failure"
	"io"
	"strings"
	"testing"
)

// TestPDFDecompressionBomb gives a page whose content stream inflates to
// 512 MiB: more than PDFium's sandbox may hold, and more than it should
// spend its time on. It is refused as too large by the inflation budget,
// before PDFium sees it (so not by the parse's time limit).
func TestPDFDecompressionBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 512 MiB decompression bomb in -short mode")
	}
	pdf := onePagePDF(deflated(t, 512<<20, false))
	d, err := parse(t, "bomb.pdf", pdf, Options{})
	t.Logf("%d KiB bomb: %v", len(pdf)>>10, err)
	if failure.KindOf(err) != failure.TooLarge {
		t.Fatalf("a PDF bomb: %v (kind %s), want too_large", err, failure.KindOf(err))
	}
	if d != nil {
		t.Errorf("the bomb produced a document: %d blocks", len(d.Blocks))
	}
	if !strings.Contains(err.Error(), "inflates beyond") {
		t.Errorf("the message does not say why: %v", err)
	}
}

// TestInflateBudget checks the budget's arithmetic on small limits: one
// stream over its share, several streams over the total, a bomb hidden one
// zlib layer down, and streams that are not zlib or end damaged.
func TestInflateBudget(t *testing.T) {
	b := inflateBudget{stream: 1 << 20, total: 3 << 20, ratio: 1}
	damaged := deflated(t, 1<<20, false)
	damaged = damaged[:len(damaged)/2]
	cases := []struct {
		name    string
		streams [][]byte
		large   bool
	}{
		{"within", [][]byte{deflated(t, 900<<10, false), deflated(t, 900<<10, false)}, false},
		{"one stream over", [][]byte{deflated(t, 1<<20+1, false)}, true},
		{"the total over", [][]byte{deflated(t, 900<<10, false), deflated(t, 900<<10, false), deflated(t, 900<<10, false), deflated(t, 900<<10, false)}, true},
		{"nested", [][]byte{deflated(t, 2<<20, true)}, true},
		{"nested within", [][]byte{deflated(t, 500<<10, true)}, false},
		{"not zlib", [][]byte{bytes.Repeat([]byte{0xff, 0xd8, 0xff}, 1<<20)}, false},
		{"damaged within", [][]byte{damaged}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var doc bytes.Buffer
			for i, s := range c.streams {
				fmt.Fprintf(&doc, "%d 0 obj\n<< /Filter /FlateDecode >>\nstream\r\n%s\nendstream\nendobj\n", i+1, s)
			}
			err := b.check(context.Background(), doc.Bytes())
			if got := failure.KindOf(err) == failure.TooLarge; got != c.large || (err != nil && !got) {
				t.Errorf("got %v, want too large: %v", err, c.large)
			}
		})
	}
}

// deflated returns n bytes of a page's drawing operators compressed with
// zlib, and compressed again when nested.
func deflated(t *testing.T, n int, nested bool) []byte {
	t.Helper()
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	chunk := bytes.Repeat([]byte("0 0 m "), 1<<14)
	for left := n; left > 0; left -= len(chunk) {
		w.Write(chunk[:min(left, len(chunk))])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if nested {
		var outer bytes.Buffer
		w := zlib.NewWriter(&outer)
		w.Write(z.Bytes())
		w.Close()
		return outer.Bytes()
	}
	return z.Bytes()
}

// onePagePDF is a PDF whose one page draws the given Flate stream.
func onePagePDF(stream []byte) []byte {
	return assemblePDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(stream), stream),
	})
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
	if failure.KindOf(err) != failure.TooLarge {
		t.Errorf("an EPUB bomb: %v (kind %s), want too_large", err, failure.KindOf(err))
	}
}
