package docs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// BenchmarkPDFPages measures pages per second on a long book.
func BenchmarkPDFPages(b *testing.B) {
	p := sharedtest.Path(b, "corpus/pdf/text/pdfjs-freeculture-book.pdf")
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	testParser().Warm()
	b.ResetTimer()
	pages := 0
	for i := 0; i < b.N; i++ {
		d, err := testParser().ParseBytes(context.Background(), p, data, Options{})
		if err != nil {
			b.Fatal(err)
		}
		pages += d.Pages
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkFormats measures throughput in MB/s per format on the corpus.
func BenchmarkFormats(b *testing.B) {
	for _, tc := range []struct{ name, file string }{
		{"docx", "corpus/docx/tika-testWORD-various.docx"},
		{"odt", "corpus/odt/tika-ODF-OOo3.odt"},
		{"epub", "corpus/epub/epubjs-moby-dick.epub"},
		{"html", "corpus/html/readability/wikipedia/source.html"},
		{"rtf", "corpus/rtf/tika-czech-word2010.rtf"},
		{"txt", "corpus/txt/tika-english-cp500-ebcdic.txt"},
		{"pdf", "corpus/pdf/text/pdfjs-tracemonkey-paper.pdf"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := sharedtest.Path(b, tc.file)
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if _, err := testParser().ParseBytes(context.Background(), filepath.Base(p), data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
