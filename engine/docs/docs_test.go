package docs

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/internal/testwait"
)

func blockTexts(d *Document) []string {
	var s []string
	for _, b := range d.Blocks {
		s = append(s, b.Text)
	}
	return s
}

func find(t *testing.T, d *Document, substr string) Block {
	t.Helper()
	for _, b := range d.Blocks {
		if strings.Contains(b.Text, substr) {
			return b
		}
	}
	t.Fatalf("%q not found in %q", substr, blockTexts(d))
	return Block{}
}

func TestDOCX(t *testing.T) {
	body := wp("Title", "Annual Report") +
		wp("Heading1", "2 Methods") +
		wp("", "We measured everything.") +
		wp("Heading2", "2.1 Data") +
		`<w:p><w:r><w:t>Kept </w:t></w:r><w:del><w:r><w:delText>deleted words </w:delText></w:r></w:del><w:r><w:t>text</w:t></w:r>` +
		`<w:r><w:footnoteReference w:id="1"/></w:r></w:p>` +
		`<w:p><w:r><mc:AlternateContent><mc:Choice><w:drawing><w:txbxContent>` + wp("", "Inside a text box") + `</w:txbxContent></w:drawing></mc:Choice>` +
		`<mc:Fallback><w:pict><w:txbxContent>` + wp("", "Inside a text box") + `</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>` +
		`<w:tbl><w:tr><w:tc>` + wp("", "Name") + `</w:tc><w:tc>` + wp("", "Age") + `</w:tc></w:tr>` +
		`<w:tr><w:tc>` + wp("", "Ada") + wp("", "Lovelace") + `</w:tc><w:tc>` + wp("", "36") + `</w:tc></w:tr></w:tbl>` +
		`<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/></w:numPr></w:pPr><w:r><w:t>first item</w:t></w:r></w:p>`
	notes := `<?xml version="1.0"?><w:footnotes ` + wNS + `><w:footnote w:type="separator" w:id="-1">` + wp("", "----") + `</w:footnote>` +
		`<w:footnote w:id="1">` + wp("", "A footnote.") + `</w:footnote></w:footnotes>`
	core := `<?xml version="1.0"?><cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The Real Title</dc:title></cp:coreProperties>`
	d := mustParse(t, "report.docx", docxOf(t, body, map[string]string{"word/footnotes.xml": notes, "docProps/core.xml": core}))

	if d.Format != DOCX || d.Title != "The Real Title" {
		t.Errorf("format %s, title %q", d.Format, d.Title)
	}
	// "Title" and "heading 1" are both top-level headings.
	if b := find(t, d, "We measured"); b.Heading != "2 Methods" {
		t.Errorf("heading path %q", b.Heading)
	}
	if b := find(t, d, "Kept text[1]"); b.Heading != "2 Methods › 2.1 Data" || strings.Contains(b.Text, "deleted") {
		t.Errorf("revision block %q under %q", b.Text, b.Heading)
	}
	if n := strings.Count(strings.Join(blockTexts(d), "\n"), "Inside a text box"); n != 1 {
		t.Errorf("text box appears %d times", n)
	}
	if b := find(t, d, "Name | Age"); b.Kind != "table" || !strings.Contains(b.Text, "Ada Lovelace | 36") {
		t.Errorf("table %q (%s)", b.Text, b.Kind)
	}
	if b := find(t, d, "first item"); b.Kind != "list" {
		t.Errorf("list item kind %q", b.Kind)
	}
	last := d.Blocks[len(d.Blocks)-1]
	if last.Text != "[1] A footnote." || last.Kind != "note" || strings.Contains(strings.Join(blockTexts(d), ""), "----") {
		t.Errorf("footnotes: last block %+v", last)
	}
	if d.Language != "en" {
		t.Errorf("language %q", d.Language)
	}
}

func TestODT(t *testing.T) {
	content := `<?xml version="1.0"?><office:document-content xmlns:office="o" xmlns:text="t" xmlns:table="tb" xmlns:draw="d"><office:body><office:text>
		<text:h text:outline-level="1">Introduction</text:h>
		<text:p>Hello<text:s text:c="2"/>world<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>The note.</text:p></text:note-body></text:note> again.</text:p>
		<text:h text:outline-level="2">Details</text:h>
		<text:list><text:list-item><text:p>point one</text:p></text:list-item></text:list>
		<table:table><table:table-row><table:table-cell><text:p>a1</text:p></table:table-cell><table:table-cell><text:p>b1</text:p></table:table-cell></table:table-row></table:table>
		<text:tracked-changes><text:changed-region><text:p>removed</text:p></text:changed-region></text:tracked-changes>
		<text:p><draw:frame><draw:text-box><text:p>boxed text</text:p></draw:text-box></draw:frame></text:p>
		</office:text></office:body></office:document-content>`
	data := zipOf(t, map[string]string{
		"mimetype":    "application/vnd.oasis.opendocument.text",
		"content.xml": content,
		"meta.xml":    `<?xml version="1.0"?><office:document-meta xmlns:office="o" xmlns:dc="dc"><office:meta><dc:title>ODT Title</dc:title></office:meta></office:document-meta>`,
	})
	d := mustParse(t, "notes.odt", data)
	if d.Format != ODT || d.Title != "ODT Title" {
		t.Errorf("format %s title %q", d.Format, d.Title)
	}
	if b := find(t, d, "Hello"); b.Text != "Hello world[1] again." || b.Heading != "Introduction" {
		t.Errorf("paragraph %q under %q", b.Text, b.Heading)
	}
	if b := find(t, d, "point one"); b.Heading != "Introduction › Details" || b.Kind != "list" {
		t.Errorf("list %+v", b)
	}
	find(t, d, "a1 | b1")
	find(t, d, "boxed text")
	if strings.Contains(strings.Join(blockTexts(d), " "), "removed") {
		t.Error("tracked deletion was read")
	}
	if last := d.Blocks[len(d.Blocks)-1]; last.Text != "The note." || last.Kind != "note" {
		t.Errorf("note %+v", last)
	}
}

func TestEPUBSpineOrder(t *testing.T) {
	opf := `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A Book</dc:title><dc:language>fr-FR</dc:language><meta property="x">y</meta></metadata>
		<manifest><item id="c2" href="text/two.xhtml"/><item id="c1" href="text/one%20a.xhtml"/><item id="nav" href="nav.xhtml"/></manifest>
		<spine><itemref idref="nav" linear="no"/><itemref idref="c1"/><itemref idref="c2"/></spine></package>`
	chap := func(title, body string) string {
		return `<html xmlns="http://www.w3.org/1999/xhtml"><head><title>` + title + `</title></head><body>` + body + `</body></html>`
	}
	data := zipOf(t, map[string]string{
		"mimetype":               "application/epub+zip",
		"META-INF/container.xml": `<?xml version="1.0"?><container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>`,
		"OEBPS/content.opf":      opf,
		"OEBPS/nav.xhtml":        chap("Contents", "<p>table of contents</p>"),
		"OEBPS/text/one a.xhtml": chap("One", "<h1>Chapter One</h1><p>First words.</p>"),
		"OEBPS/text/two.xhtml":   chap("Chapter Two", "<p>Second words.</p>"),
	})
	d := mustParse(t, "book.epub", data)
	got := strings.Join(blockTexts(d), "|")
	if got != "Chapter One|First words.|Second words." {
		t.Errorf("blocks %q", got)
	}
	if d.Title != "A Book" || d.Language != "fr" {
		t.Errorf("title %q language %q", d.Title, d.Language)
	}
	if b := find(t, d, "Second"); b.Heading != "Chapter Two" {
		t.Errorf("chapter without a heading is under %q", b.Heading)
	}
}

func TestHTMLMainContent(t *testing.T) {
	var article strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&article, "<p>Paragraph %d of the article explains the carrel, a small private desk in a library, where one reads in peace.</p>", i)
	}
	page := `<html lang="en"><head><title>Desks</title><script>var tracking = "leak";</script><style>p{}</style></head><body>
		<nav><a href="/">Home</a> <a href="/shop">Shop</a> <a href="/about">About us</a></nav>
		<div class="ad">Buy now! Limited offer!</div>
		<article><h1>The carrel</h1>` + article.String() + `<h2>History</h2><p>Monks used them.</p>
		<table><tr><th>Year</th><th>Event</th></tr><tr><td>1200</td><td>First carrels</td></tr></table></article>
		<footer>Copyright 2026 Example Corp. All rights reserved.</footer></body></html>`
	d := mustParse(t, "page.html", []byte(page))
	all := strings.Join(blockTexts(d), "\n")
	for _, bad := range []string{"tracking", "Buy now", "Copyright 2026", "About us"} {
		if strings.Contains(all, bad) {
			t.Errorf("page furniture %q kept", bad)
		}
	}
	if b := find(t, d, "Monks"); b.Heading != "The carrel › History" {
		t.Errorf("heading %q", b.Heading)
	}
	find(t, d, "Year | Event\n1200 | First carrels")
	if d.Title != "Desks" || d.Language != "en" {
		t.Errorf("title %q, language %q", d.Title, d.Language)
	}
}

func TestHTMLCharsets(t *testing.T) {
	ru := "Привет, мир! Это проверка кодировки для русского текста, достаточно длинного для уверенного определения."
	cp1251, _ := charmap.Windows1251.NewEncoder().String(ru)
	declared := `<html><head><meta charset="windows-1251"></head><body><p>` + cp1251 + `</p></body></html>`
	lying := `<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body><p>` + cp1251 + `</p></body></html>`
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(`<html><body><p>` + ru + `</p></body></html>`)
	for name, page := range map[string]string{"declared": declared, "lying": lying, "utf16": u16} {
		d := mustParse(t, name+".html", []byte(page))
		if got := d.Text(); got != ru {
			t.Errorf("%s: %q", name, got)
		}
	}
}

func TestTextEncodings(t *testing.T) {
	ru := "Однажды в студёную зимнюю пору я из лесу вышел; был сильный мороз. Гляжу, поднимается медленно в гору лошадка."
	ja := "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。"
	enc := func(e interface{ String(string) (string, error) }, s string) []byte {
		out, err := e.String(s)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(out)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"utf8", []byte(ru), ru},
		{"utf8-bom", append([]byte{0xEF, 0xBB, 0xBF}, ru...), ru},
		{"utf16be-bom", enc(unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder(), ru), ru},
		{"cp1251", enc(charmap.Windows1251.NewEncoder(), ru), ru},
		{"koi8r", enc(charmap.KOI8R.NewEncoder(), ru), ru},
		{"cp866", enc(charmap.CodePage866.NewEncoder(), ru), ru},
		{"shift-jis", enc(japanese.ShiftJIS.NewEncoder(), ja), ja},
		{"euc-jp", enc(japanese.EUCJP.NewEncoder(), ja), ja},
		{"cp1252", enc(charmap.Windows1252.NewEncoder(), "Café “quoted” – naïve façade, déjà vu."), "Café “quoted” – naïve façade, déjà vu."},
	} {
		d := mustParse(t, tc.name+".txt", tc.data)
		if got := d.Text(); got != tc.want {
			t.Errorf("%s: got %q", tc.name, got)
		}
	}
}

func TestRTF(t *testing.T) {
	rtf := `{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Times;}{\f1\fcharset204 Arial Cyr;}}` +
		`{\stylesheet{\s0 Normal;}{\s1 heading 1;}}{\info{\title My RTF}{\author Someone}}` +
		`{\header Running header}` +
		`\pard\s1 Chapter\par\pard Caf\'e9 na\'efve \u8220\'93quoted\u8221\'94 text.\par` +
		`{\f1 \'cf\'f0\'e8\'e2\'e5\'f2}\par` +
		`{\*\unknowndest hidden}{\pict 0102abcd}\pard\outlinelevel1 Sub\par Tail \u-3913 ? end\par}`
	d := mustParse(t, "doc.rtf", []byte(rtf))
	want := []string{"Chapter", "Café naïve “quoted” text.", "Привет", "Sub", "Tail \uF0B7 end"}
	if got := blockTexts(d); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("blocks %q, want %q", got, want)
	}
	if d.Title != "My RTF" {
		t.Errorf("title %q", d.Title)
	}
	if b := find(t, d, "Sub"); b.Heading != "Chapter › Sub" {
		t.Errorf("heading %q", b.Heading)
	}
}

func TestMarkdownAndCSV(t *testing.T) {
	md := "# Guide\n\nIntro with a [link](http://x) and **bold**.\n\nSetup\n-----\n\n```\ncode here\n```\n\n- item one\n- item two\n"
	d := mustParse(t, "guide.md", []byte(md))
	if b := find(t, d, "Intro"); b.Text != "Intro with a link and bold." || b.Heading != "Guide" {
		t.Errorf("paragraph %+v", b)
	}
	if b := find(t, d, "code here"); b.Kind != "code" || b.Heading != "Guide › Setup" {
		t.Errorf("code %+v", b)
	}
	csvData := "name,city\nAda,London\nGrace,Arlington\n"
	c := mustParse(t, "people.csv", []byte(csvData))
	find(t, c, "name: Ada; city: London\nname: Grace; city: Arlington")
}

func TestPDFMinimal(t *testing.T) {
	d := mustParse(t, "two.pdf", minimalPDF("Hello from page one.\nA second line here.", "Page two says goodbye."))
	if d.Pages != 2 || d.Format != PDF {
		t.Fatalf("pages %d format %s", d.Pages, d.Format)
	}
	if b := find(t, d, "Hello from page one"); b.Page != 1 {
		t.Errorf("page %d", b.Page)
	}
	if b := find(t, d, "goodbye"); b.Page != 2 {
		t.Errorf("page %d", b.Page)
	}
}

func TestPDFHeadersFootersAndHyphens(t *testing.T) {
	var pages []string
	topics := []string{"revenue grew in every region", "costs fell after the move", "hiring slowed in the autumn", "the outlook stays cautious"}
	for i, topic := range topics {
		pages = append(pages, fmt.Sprintf("ACME Quarterly Report\nOn this page %s, a long hyphen-\nated word and more.\n%d", topic, i+1))
	}
	d := mustParse(t, "report.pdf", minimalPDF(pages...))
	all := d.Text()
	if strings.Contains(all, "ACME Quarterly") {
		t.Errorf("running header kept: %q", all)
	}
	if !strings.Contains(all, "hyphenated word") {
		t.Errorf("hyphenation not joined: %q", all)
	}
	for _, b := range d.Blocks {
		if strings.TrimSpace(b.Text) == fmt.Sprint(b.Page) {
			t.Errorf("page number kept as a block on page %d", b.Page)
		}
	}
}

func TestRefusals(t *testing.T) {
	var deep strings.Builder
	for i := 0; i < 2000; i++ {
		deep.WriteString("<w:p>")
	}
	// A zip bomb: a member that inflates to 1 GiB from a few KiB.
	var bomb bytes.Buffer
	{
		zw := zipWriterWithMember(&bomb, "word/document.xml", 1<<30)
		zw.Close()
	}
	pageCycle := assemblePDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
	})
	for _, tc := range []struct {
		name string
		data []byte
		kind string
	}{
		{"image.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "corrupt"}, // a picture, cut short
		{"sound.mp3", append([]byte("ID3\x03"), make([]byte, 100)...), "unsupported"},
		{"program.bin", append([]byte("\x7fELF"), make([]byte, 100)...), "unsupported"},
		{"random.dat", []byte{0, 1, 2, 3, 0, 0, 9, 8, 7, 0, 255, 254}, "unsupported"},
		{"empty.txt", nil, "no_text"},
		{"blank.txt", []byte(" \n\t\n "), "no_text"},
		{"fake.pdf", []byte("just some words in a file named .pdf"), "corrupt"},
		{"cut.docx", docxOf(t, wp("", "x"), nil)[:200], "corrupt"},
		{"deep.docx", docxOf(t, deep.String(), nil), "corrupt"},
		{"bomb.docx", bomb.Bytes(), "too_large"},
		{"cycle.pdf", pageCycle, "no_text"},
		{"damaged.pdf", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF"), "corrupt"},
		{"old.doc", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), []byte("W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t\x00")...), "unsupported"},
		{"locked.docx", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")...), "encrypted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A parse that ran into the time limit would be a timeout,
			// not the kind wanted.
			_, err := parse(t, tc.name, tc.data, Options{Timeout: 20 * time.Second})
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Kind() != failure.Kind(tc.kind) {
				t.Fatalf("err = %v (kind %s), want kind %s", err, failure.KindOf(err), tc.kind)
			}
		})
	}
}

// zipWriterWithMember writes a zip whose member inflates to size bytes of
// zeros.
func zipWriterWithMember(w *bytes.Buffer, name string, size int) interface{ Close() error } {
	zw := zip.NewWriter(w)
	f, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	chunk := make([]byte, 1<<20)
	for written := 0; written < size; written += len(chunk) {
		f.Write(chunk)
	}
	return zw
}

func TestLimits(t *testing.T) {
	huge := strings.Repeat("a", 10<<20) // one 10 MB line
	d := mustParse(t, "line.txt", []byte(huge))
	for _, b := range d.Blocks {
		if len(b.Text) > maxParagraph {
			t.Fatalf("block of %d bytes", len(b.Text))
		}
	}
	if _, err := parse(t, "big.txt", []byte(huge), Options{MaxBytes: 1 << 20}); failure.KindOf(err) != "too_large" {
		t.Errorf("over MaxBytes: %v", err)
	}
	d, err := parse(t, "cut.txt", []byte(strings.Repeat("word ", 1<<20)), Options{MaxTextBytes: 1 << 20})
	if err != nil || len(d.Warnings) == 0 {
		t.Errorf("text limit: %v, warnings %v", err, d.Warnings)
	}
	if _, err := parse(t, "huge.html", []byte("<p>"+strings.Repeat("x ", 40<<20)), Options{}); failure.KindOf(err) != "too_large" {
		t.Errorf("80 MB of HTML: %v", err)
	}
	if _, err := parse(t, "slow.txt", []byte(strings.Repeat("word ", 1<<20)), Options{Timeout: time.Nanosecond}); failure.KindOf(err) != "timeout" {
		t.Errorf("time limit: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := testParser().ParseBytes(ctx, "x.txt", []byte("hello"), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// A passage whose words repeat on its page is marked where it stands: the
// marks come from the characters it was cut from, not from matching words.
func TestRenderPageMarksExactCharacters(t *testing.T) {
	line := "Lorem ipsum the same words stand on every line here."
	data := minimalPDF(line + "\n" + line + "\n" + line + "\n" + line)
	dir := t.TempDir()
	path := filepath.Join(dir, "repeat.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	p := NewParser("")
	defer p.Close()
	ctx := context.Background()
	doc, err := p.Parse(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Blocks) != 1 || strings.Count(doc.Blocks[0].Text, line) != 4 {
		t.Fatalf("blocks: %+v", doc.Blocks)
	}
	b := doc.Blocks[0]
	// The lines are drawn 14 points apart from 72 points below the top;
	// the page is drawn 612 pixels wide, one pixel a point.
	for n := 0; n < 4; n++ {
		start := n * (len(line) + 1)
		if b.Text[start:start+len(line)] != line {
			t.Fatalf("occurrence %d is not at %d", n, start)
		}
		first, last, ok := b.CharRange(start, start+len(line))
		if !ok {
			t.Fatal("no character positions")
		}
		rp, err := p.RenderPage(ctx, path, 1, 612, "", CharSpan{first, last})
		if err != nil {
			t.Fatal(err)
		}
		if len(rp.Marks) != 1 {
			t.Fatalf("occurrence %d: %d marks, want one line: %v", n, len(rp.Marks), rp.Marks)
		}
		m := rp.Marks[0]
		base := 792 - 720 + 14*n // the line's baseline, from the top
		if m.Max.Y < base-6 || m.Min.Y > base || m.Dx() < 200 {
			t.Errorf("occurrence %d marked at %v, want the line whose baseline is at y=%d", n, m, base)
		}
	}
}

// Files that cannot be read say why, with the right kind, at once: a pipe
// is refused without being opened (a reader would wait for a writer
// forever), and an empty file is empty, whatever its name says.
func TestUnreadableAndEmptyFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.txt")
	if err := syscallMkfifo(fifo); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	loop := filepath.Join(dir, "loop.txt")
	os.Symlink(loop, loop)
	empty := filepath.Join(dir, "empty.pdf")
	os.WriteFile(empty, nil, 0o600)
	emptyDocx := filepath.Join(dir, "empty.docx")
	os.WriteFile(emptyDocx, nil, 0o600)
	tests := []struct {
		path string
		want failure.Kind
	}{
		{fifo, failure.Unreadable},
		{loop, failure.Unreadable},
		{filepath.Join(dir, "missing.txt"), failure.Unreadable},
		{empty, failure.NoText},
		{emptyDocx, failure.NoText},
		{dir, failure.Unsupported},
	}
	for _, tc := range tests {
		done := make(chan error, 1)
		go func() {
			_, err := testParser().Parse(context.Background(), tc.path, Options{})
			done <- err
		}()
		select {
		case err := <-done:
			if failure.KindOf(err) != tc.want {
				t.Errorf("%s: %v (kind %s), want %s", filepath.Base(tc.path), err, failure.KindOf(err), tc.want)
			}
		case <-time.After(testwait.Bound(t)):
			t.Fatalf("%s: parsing blocked", filepath.Base(tc.path))
		}
	}
}

// Lines repeated at the edges of most pages are running headers and are
// dropped, but never a page's only text.
func TestRepeatedLinesKeepPagesText(t *testing.T) {
	same := minimalPDF("The same sentence stands alone on every page.", "The same sentence stands alone on every page.", "The same sentence stands alone on every page.")
	doc, err := parse(t, "same.pdf", same, Options{})
	if err != nil {
		t.Fatalf("a PDF whose pages repeat one sentence: %v", err)
	}
	if len(doc.Blocks) != 3 {
		t.Errorf("%d blocks, want the sentence on each of the 3 pages", len(doc.Blocks))
	}
	var pages []string
	for i := 1; i <= 4; i++ {
		pages = append(pages, fmt.Sprintf("Annual Report 2026\nPage %d holds its own body text about topic %d, long enough to stand as a paragraph.", i, i))
	}
	doc, err = parse(t, "report.pdf", minimalPDF(pages...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range doc.Blocks {
		if strings.Contains(b.Text, "Annual Report") {
			t.Errorf("running header kept on page %d: %q", b.Page, b.Text)
		}
	}
	if len(doc.Blocks) != 4 {
		t.Errorf("%d blocks, want each page's body", len(doc.Blocks))
	}
}

// A damaged cache of the compiled PDF engine (a file truncated by a crash
// or a full disk) is discarded and rebuilt: PDFs keep opening.
func TestDamagedEngineCacheIsRebuilt(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "pdfium")
	pdf := filepath.Join(t.TempDir(), "a.pdf")
	os.WriteFile(pdf, minimalPDF("A page about kestrels."), 0o600)
	parseWith := func() error {
		p := NewParser(cache)
		defer p.Close()
		_, err := p.Parse(context.Background(), pdf, Options{})
		return err
	}
	if err := parseWith(); err != nil {
		t.Fatal(err)
	}
	damaged := 0
	filepath.WalkDir(cache, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, _ := d.Info(); info != nil && info.Size() > 16 {
				os.Truncate(path, info.Size()/2)
				damaged++
			}
		}
		return nil
	})
	if damaged == 0 {
		t.Fatal("the cache holds no file to damage")
	}
	if err := parseWith(); err != nil {
		t.Fatalf("with a damaged cache: %v", err)
	}
	if err := parseWith(); err != nil {
		t.Fatalf("with the rebuilt cache: %v", err)
	}
}
