package docs

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"github.com/carrel-ai/carrel/engine/failure"
	"io"
	"strings"
)

// maxDepth refuses absurdly nested XML before it exhausts anything.
const maxDepth = 512

// xmlWalk streams the elements of an XML document to visit, with the
// element stack (local names) for context. It stops at maxDepth and checks
// ctx every few thousand tokens.
func xmlWalk(ctx context.Context, data []byte, visit func(tok xml.Token, stack []string) error) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false // tolerate undeclared entities and sloppy writers
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []string
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &ParseError{Err: failure.ErrCorrupt, Detail: "its XML is damaged (" + err.Error() + ")"}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if len(stack) > maxDepth {
				return &ParseError{Err: failure.ErrCorrupt, Detail: fmt.Sprintf("its XML is nested more than %d levels deep", maxDepth)}
			}
			if err := visit(t, stack); err != nil {
				return err
			}
		case xml.EndElement:
			if err := visit(t, stack); err != nil {
				return err
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if err := visit(t, stack); err != nil {
				return err
			}
		}
	}
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func inStack(stack []string, local string) bool {
	for _, s := range stack {
		if s == local {
			return true
		}
	}
	return false
}

// flow assembles blocks from the paragraphs and tables of a word-processor
// file. Paragraphs may nest (a text box inside a paragraph): each is
// emitted as its own block, in order.
type flow struct {
	d     *Document
	h     headings
	paras []*para
	table []*tableState // nested tables
	notes []Block
}

type para struct {
	b     strings.Builder
	level int // heading level, 0 for body text
	kind  string
}

type tableState struct {
	rows [][]string
	cell *strings.Builder
}

func (f *flow) startPara(kind string) { f.paras = append(f.paras, &para{kind: kind}) }

func (f *flow) cur() *para {
	if len(f.paras) == 0 {
		return nil
	}
	return f.paras[len(f.paras)-1]
}

func (f *flow) text(s string) {
	if p := f.cur(); p != nil {
		p.b.WriteString(s)
	}
}

func (f *flow) endPara() {
	p := f.cur()
	if p == nil {
		return
	}
	f.paras = f.paras[:len(f.paras)-1]
	text := strings.TrimSpace(collapseSpaces(p.b.String()))
	if text == "" {
		return
	}
	if t := f.curTable(); t != nil && t.cell != nil {
		if t.cell.Len() > 0 {
			t.cell.WriteByte(' ')
		}
		t.cell.WriteString(text)
		return
	}
	if p.level > 0 {
		f.h.set(p.level, text)
		f.d.Blocks = append(f.d.Blocks, Block{Text: text, Heading: f.h.path(), Kind: "heading"})
		return
	}
	kind := p.kind
	if kind == "" {
		kind = "paragraph"
	}
	f.d.Blocks = append(f.d.Blocks, Block{Text: text, Heading: f.h.path(), Kind: kind})
}

func (f *flow) curTable() *tableState {
	if len(f.table) == 0 {
		return nil
	}
	return f.table[len(f.table)-1]
}

func (f *flow) startTable() { f.table = append(f.table, &tableState{}) }
func (f *flow) startRow() {
	if t := f.curTable(); t != nil {
		t.rows = append(t.rows, nil)
	}
}
func (f *flow) startCell() {
	if t := f.curTable(); t != nil {
		t.cell = &strings.Builder{}
	}
}
func (f *flow) endCell() {
	t := f.curTable()
	if t == nil || t.cell == nil {
		return
	}
	if len(t.rows) == 0 {
		t.rows = append(t.rows, nil)
	}
	t.rows[len(t.rows)-1] = append(t.rows[len(t.rows)-1], t.cell.String())
	t.cell = nil
}

// endTable emits a table as one block: a row per line, cells kept together
// and separated by " | ". A nested table becomes text of its outer cell.
func (f *flow) endTable() {
	t := f.curTable()
	if t == nil {
		return
	}
	f.table = f.table[:len(f.table)-1]
	var lines []string
	for _, r := range t.rows {
		var cells []string
		for _, c := range r {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		if len(cells) > 0 {
			lines = append(lines, strings.Join(cells, " | "))
		}
	}
	if len(lines) == 0 {
		return
	}
	text := strings.Join(lines, "\n")
	if outer := f.curTable(); outer != nil && outer.cell != nil {
		outer.cell.WriteString(" " + strings.ReplaceAll(text, "\n", " ; "))
		return
	}
	f.d.Blocks = append(f.d.Blocks, Block{Text: text, Heading: f.h.path(), Kind: "table"})
}

// endNote ends a note's paragraph and moves what it produced to the notes
// (appended at the end by flushNotes); a label such as the note's number
// prefixes it as "[label] ". It reports whether the paragraph had text.
func (f *flow) endNote(label string) bool {
	n := len(f.d.Blocks)
	f.endPara()
	if len(f.d.Blocks) == n {
		return false
	}
	if label != "" {
		f.d.Blocks[n].Text = "[" + label + "] " + f.d.Blocks[n].Text
	}
	f.notes = append(f.notes, f.d.Blocks[n:]...)
	f.d.Blocks = f.d.Blocks[:n]
	return true
}

// flushNotes appends the collected footnotes and endnotes at the end.
func (f *flow) flushNotes(title string) {
	for _, n := range f.notes {
		n.Heading = title
		f.d.Blocks = append(f.d.Blocks, n)
	}
	f.notes = nil
}

// collapseSpaces turns runs of spaces and tabs into one space, keeping
// line breaks.
func collapseSpaces(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\u00A0' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
