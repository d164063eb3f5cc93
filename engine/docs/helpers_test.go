package docs

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	write := func(name, body string) {
		var f interface{ Write([]byte) (int, error) }
		var err error
		if name == "mimetype" {
			f, err = w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		} else {
			f, err = w.Create(name)
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(body))
	}
	done := map[string]bool{}
	if body, ok := files["mimetype"]; ok {
		write("mimetype", body)
		done["mimetype"] = true
	}
	for _, name := range order {
		write(name, files[name])
		done[name] = true
	}
	for name, body := range files {
		if !done[name] {
			write(name, body)
		}
	}
	w.Close()
	return buf.Bytes()
}

const wNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

func docxOf(t testing.TB, body string, extra map[string]string) []byte {
	files := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"word/document.xml":   `<?xml version="1.0" encoding="UTF-8"?><w:document ` + wNS + `><w:body>` + body + `</w:body></w:document>`,
		"word/styles.xml": `<?xml version="1.0"?><w:styles ` + wNS + `>
			<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>
			<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style>
			<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style></w:styles>`,
	}
	for k, v := range extra {
		files[k] = v
	}
	return zipOf(t, files)
}

func wp(style, text string) string {
	ppr := ""
	if style != "" {
		ppr = `<w:pPr><w:pStyle w:val="` + style + `"/></w:pPr>`
	}
	return `<w:p>` + ppr + `<w:r><w:t xml:space="preserve">` + text + `</w:t></w:r></w:p>`
}

// minimalPDF writes a valid one-font PDF with one page per text, with a
// correct cross-reference table.
func minimalPDF(pages ...string) []byte {
	var objs []string
	n := len(pages)
	kids := make([]string, n)
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>")
	objs = append(objs, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	objs = append(objs, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i, text := range pages {
		var content strings.Builder
		content.WriteString("BT /F1 12 Tf 72 720 Td 14 TL\n")
		for _, line := range strings.Split(text, "\n") {
			fmt.Fprintf(&content, "(%s) Tj T*\n", strings.NewReplacer(`(`, `\(`, `)`, `\)`).Replace(line))
		}
		content.WriteString("ET")
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		objs = append(objs, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String()))
	}
	return assemblePDF(objs)
}

func assemblePDF(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
