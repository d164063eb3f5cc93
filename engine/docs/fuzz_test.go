package docs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// fuzzFormat fuzzes the parser through one format's entry point: whatever
// the bytes, it returns text or a typed error, in time, without a panic.
func fuzzFormat(f *testing.F, name, corpusGlob string, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	if dir := sharedtest.Dir(); dir != "" && corpusGlob != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "corpus", corpusGlob))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() < 64<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := testParser().ParseBytes(context.Background(), name, data, Options{Timeout: 20 * time.Second})
		if err != nil {
			if failure.KindOf(err) == "error" {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		for _, b := range d.Blocks {
			if b.Text == "" || !utf8.ValidString(b.Text) {
				t.Fatalf("bad block %q", b.Text)
			}
		}
	})
}

func FuzzPDF(f *testing.F) {
	fuzzFormat(f, "f.pdf", "pdf/*/*.pdf", minimalPDF("Hello PDF", "Second page"))
}

func FuzzDOCX(f *testing.F) {
	fuzzFormat(f, "f.docx", "docx/*.docx", docxOf(f, wp("Heading1", "Title")+wp("", "Body text"), nil))
}

func FuzzODT(f *testing.F) {
	fuzzFormat(f, "f.odt", "odt/*.odt", zipOf(f, map[string]string{
		"mimetype":    "application/vnd.oasis.opendocument.text",
		"content.xml": `<office:document-content xmlns:text="t"><text:h text:outline-level="1">H</text:h><text:p>P</text:p></office:document-content>`,
	}))
}

func FuzzEPUB(f *testing.F) {
	fuzzFormat(f, "f.epub", "epub/*.epub", zipOf(f, map[string]string{
		"mimetype":               "application/epub+zip",
		"META-INF/container.xml": `<container><rootfiles><rootfile full-path="c.opf"/></rootfiles></container>`,
		"c.opf":                  `<package><manifest><item id="a" href="a.xhtml"/></manifest><spine><itemref idref="a"/></spine></package>`,
		"a.xhtml":                `<html><body><h1>One</h1><p>Text</p></body></html>`,
	}))
}

func FuzzHTML(f *testing.F) {
	fuzzFormat(f, "f.html", "html/*.html", []byte(`<html><head><meta charset="koi8-r"><title>T</title></head><body><h1>A</h1><p>b <b>c</b></p><table><tr><td>1</td></tr></table></body></html>`))
}

func FuzzRTF(f *testing.F) {
	fuzzFormat(f, "f.rtf", "rtf/*.rtf", []byte(`{\rtf1\ansi{\fonttbl{\f0\fcharset204 A;}}{\info{\title T}}\pard\outlinelevel0 H\par \'e9\u1055? x\cell y\row}`))
}

func FuzzText(f *testing.F) {
	fuzzFormat(f, "f.txt", "txt/*.txt", []byte("plain text\n\nsecond paragraph"), []byte{0xFF, 0xFE, 'h', 0, 'i', 0})
}

func FuzzMarkdown(f *testing.F) {
	fuzzFormat(f, "f.md", "md/*.md", []byte("# H\n\ntext [l](u)\n\n```\ncode\n"))
}

func FuzzCSV(f *testing.F) {
	fuzzFormat(f, "f.csv", "", []byte("a,b\n1,2\n\"x\"\"y\",3\n"), []byte(strings.Repeat("a;b;c\n", 30)))
}
