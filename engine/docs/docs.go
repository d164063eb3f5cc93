// Package docs turns the files people keep into clean text with exact
// locations: PDF, DOCX, ODT, EPUB, HTML, Markdown, plain text, RTF, CSV and
// source code. The format is detected from the content, not only the name.
//
// Every parse is defensive: panics are recovered, each file has a time limit
// and size limits, archives are read with caps on every member, and PDFs
// are parsed by PDFium compiled to WebAssembly inside a memory-capped
// sandbox. A bad file yields a *ParseError whose Kind says what went wrong;
// it never takes the program down.
package docs

import (
	"fmt"
	"strings"

	"github.com/carrel-ai/carrel/engine/failure"
)

// Format is a document format.
type Format string

// Formats Carrel reads.
const (
	PDF      Format = "pdf"
	DOCX     Format = "docx"
	ODT      Format = "odt"
	EPUB     Format = "epub"
	HTML     Format = "html"
	Markdown Format = "markdown"
	Text     Format = "text"
	RTF      Format = "rtf"
	CSV      Format = "csv"
	Code     Format = "code"
)

// Document is a parsed file: its title, language and ordered blocks.
type Document struct {
	Path     string
	Format   Format
	Title    string   // from metadata, else the first heading, else the file name
	Language string   // BCP 47 code when it can be told ("en", "ja"), else ""
	Blocks   []Block  // in reading order
	Warnings []string // what was skipped or repaired, in words
	Pages    int      // page count for paged formats (PDF), else 0
	// Layouts are the pages read by OCR, in page order: where each of
	// their characters stands (see PageLayout).
	Layouts []PageLayout

	// scanned are the pages with no usable text layer, for the OCR stage.
	scanned []int
	// figures are the regions of PDF pages whose text layer is symbols
	// (labels in a font without a map to Unicode), left out of Blocks:
	// the OCR stage reads them from the drawn page instead.
	figures []figure
}

// figure is a region of a page to read by OCR: the characters of its
// text layer, in runs of PDFium character indices.
type figure struct {
	page  int
	spans []CharSpan
}

// Block is a run of text with one location: a paragraph, a table, a page.
type Block struct {
	Text string
	// Page is the 1-based page number in paged formats (PDF), else 0.
	Page int
	// Heading is the path of headings above the block, joined with " › ",
	// e.g. "2 Methods › 2.1 Data"; empty before the first heading.
	Heading string
	// Kind says what the block is: "paragraph", "heading", "table", "list",
	// "note", "code", "page", "figure" (a figure's labels read by OCR).
	Kind string
	// Chars, for PDF blocks, is the PDFium character index on the page of
	// each rune of Text (-1 for a space Carrel joined lines with); for a
	// page read by OCR, the index of the character's box in the page's
	// PageLayout; nil for other formats. It lets a passage be drawn
	// exactly where it stands.
	Chars []int32
}

// CharRange returns the PDFium character indices [first, last] on the page
// of Text[start:end] (byte offsets), skipping characters Carrel added; ok
// is false when the block has no character indices or the range none.
func (b Block) CharRange(start, end int) (first, last int, ok bool) {
	if b.Chars == nil || start >= end {
		return 0, 0, false
	}
	first, last = -1, -1
	i := 0 // rune index
	for off := range b.Text {
		if off >= end {
			break
		}
		if off >= start && i < len(b.Chars) && b.Chars[i] >= 0 {
			if first < 0 {
				first = int(b.Chars[i])
			}
			last = int(b.Chars[i])
		}
		i++
	}
	return first, last, first >= 0
}

// HeadingSep joins the levels of a heading path.
const HeadingSep = " › "

// ParseError is the error of a failed parse. Err is one of the sentinels
// above, so both errors.Is and errors.As work; Detail says more in words.
type ParseError struct {
	Path   string
	Format Format
	Page   int // the page that failed, when one did
	Err    error
	Detail string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Page > 0 {
		fmt.Fprintf(&b, " (page %d)", e.Page)
	}
	b.WriteString(": ")
	b.WriteString(failure.Words(e.Err))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Kind names the failure for programs.
func (e *ParseError) Kind() failure.Kind { return failure.KindOf(e) }

// Text returns all block texts joined by blank lines.
func (d *Document) Text() string {
	var b strings.Builder
	for i, bl := range d.Blocks {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(bl.Text)
	}
	return b.String()
}

// warnf records a warning.
func (d *Document) warnf(format string, a ...any) {
	d.Warnings = append(d.Warnings, fmt.Sprintf(format, a...))
}

// headings tracks the current heading path while a parser walks a file.
type headings struct{ levels []string }

// set makes title the heading at level (1-based) and drops deeper ones.
func (h *headings) set(level int, title string) {
	title = strings.Join(strings.Fields(title), " ")
	if level < 1 {
		level = 1
	}
	if level > len(h.levels)+1 {
		level = len(h.levels) + 1 // a skipped level attaches to the last one
	}
	h.levels = append(h.levels[:level-1], title)
}

func (h *headings) path() string { return strings.Join(h.levels, HeadingSep) }
