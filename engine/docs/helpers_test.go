package docs

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/internal/testdocs"
)

// testParser is shared by the package's tests: the PDF engine is costly to
// start, and its compiled code is cached in the user's cache folder.
var testParser = sync.OnceValue(func() *Parser {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return NewParser(filepath.Join(dir, "carrel-test", "pdfium"))
})

func parse(t testing.TB, name string, data []byte, opts Options) (*Document, error) {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	return testParser().ParseBytes(context.Background(), name, data, opts)
}

func mustParse(t testing.TB, name string, data []byte) *Document {
	t.Helper()
	d, err := parse(t, name, data, Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

// zipOf builds a zip archive; a "mimetype" member is stored first,
// uncompressed, as ODF and EPUB require.
func zipOf(t testing.TB, files map[string]string, order ...string) []byte {
	return testdocs.Zip(files, order...)
}

func docxOf(t testing.TB, body string, extra map[string]string) []byte {
	return testdocs.DOCX(body, extra)
}

func wp(style, text string) string { return testdocs.Paragraph(style, text) }

// minimalPDF writes a valid one-font PDF with one page per text.
func minimalPDF(pages ...string) []byte { return testdocs.PDF(pages...) }

func assemblePDF(objs []string) []byte { return testdocs.Assemble(objs) }

const wNS = testdocs.WordNamespaces
