package docs

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"strings"
)

// parseText reads plain text and source code: the encoding is detected and
// converted to UTF-8; paragraphs are runs of lines between blank lines.
// Each block records its character offsets through its order alone; the
// chunker keeps offsets into each block.
func parseText(ctx context.Context, d *Document, data []byte) error {
	text, enc := decodeText(data, "")
	if enc != "UTF-8" && enc != "" {
		d.warnf("converted from %s", enc)
	}
	kind := "paragraph"
	if d.Format == Code {
		kind = "code"
	}
	for i, para := range splitParagraphs(text) {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		d.Blocks = append(d.Blocks, Block{Text: para, Kind: kind})
	}
	return nil
}

// splitParagraphs splits text at blank lines, normalising line endings and
// cutting absurdly long lines so one line cannot become one huge block.
func splitParagraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimRight(cur.String(), " \t\n"); strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		for len(line) > maxLine {
			cut := strings.LastIndexAny(line[:maxLine], " \t")
			if cut <= 0 {
				cut = maxLine
				for cut > 0 && !isRuneStart(line[cut]) {
					cut--
				}
			}
			cur.WriteString(line[:cut])
			flush()
			line = line[cut:]
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
		if cur.Len() > maxParagraph {
			flush()
		}
	}
	flush()
	return out
}

// Limits that keep a pathological file (one 100 MB line) from becoming one
// block; the chunker splits blocks further.
const (
	maxLine      = 64 << 10
	maxParagraph = 256 << 10
	maxColumns   = 4096 // columns a CSV header may name
)

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// parseCSV reads a table: each row becomes a line of "column: value"
// pairs, grouped into blocks of rows, so a passage keeps its column names.
func parseCSV(ctx context.Context, d *Document, data []byte) error {
	text, _ := decodeText(data, "")
	comma := ','
	if strings.HasSuffix(strings.ToLower(d.Path), ".tsv") || strings.Count(firstLine(text), "\t") > strings.Count(firstLine(text), ",") {
		comma = '\t'
	} else if strings.Count(firstLine(text), ";") > strings.Count(firstLine(text), ",") {
		comma = ';'
	}
	// A table with an enormous first line (millions of cells) is no table
	// a person reads: it is read as text, whose lines are cut to size,
	// rather than held as millions of cells.
	if first := firstLine(text); len(first) > maxLine || strings.Count(first, string(comma)) > maxColumns {
		d.warnf("its first line is too long to be a table header; read as text")
		return parseText(ctx, d, data)
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if err != nil {
		return parseText(ctx, d, data) // not really CSV: keep it as text
	}
	var b bytes.Buffer
	rows := 0
	flush := func() {
		if b.Len() > 0 {
			d.Blocks = append(d.Blocks, Block{Text: b.String(), Kind: "table"})
			b.Reset()
		}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			d.warnf("row %d: %v", rows+2, err)
			continue
		}
		rows++
		if rows%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var cells []string
		for i, v := range rec {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if i < len(header) && strings.TrimSpace(header[i]) != "" {
				cells = append(cells, strings.TrimSpace(header[i])+": "+v)
			} else {
				cells = append(cells, v)
			}
		}
		b.WriteString(strings.Join(cells, "; "))
		b.WriteByte('\n')
		if rows%20 == 0 {
			flush()
		}
	}
	flush()
	if rows == 0 {
		d.Blocks = append(d.Blocks, Block{Text: strings.Join(header, ", "), Kind: "table"})
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
