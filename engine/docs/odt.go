package docs

import (
	"context"
	"encoding/xml"
	"strconv"
)

// parseODT reads an OpenDocument text: headings with their outline level,
// paragraphs, lists, tables, frames and notes. Tracked deletions and
// annotations are skipped.
func parseODT(ctx context.Context, d *Document, data []byte) error {
	a, err := openArchive(data)
	if err != nil {
		return err
	}
	if b, err := a.member("meta.xml"); err == nil {
		d.Title = xmlText(ctx, b, "title")
	}
	content, err := a.member("content.xml")
	if err != nil {
		return err
	}
	f := &flow{d: d}
	skip := 0
	skipped := map[string]bool{"tracked-changes": true, "annotation": true, "note-citation": false}
	inNote := 0
	err = xmlWalk(ctx, content, func(tok xml.Token, stack []string) error {
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 || skipped[t.Name.Local] {
				skip++
				return nil
			}
			switch t.Name.Local {
			case "h":
				f.startPara("")
				lvl, err := strconv.Atoi(attr(t, "outline-level"))
				if err != nil || lvl < 1 {
					lvl = 1
				}
				f.cur().level = min(lvl, 9)
			case "p":
				kind := ""
				switch {
				case inNote > 0:
					kind = "note"
				case inStack(stack, "list-item"):
					kind = "list"
				}
				f.startPara(kind)
				if kind == "list" {
					f.text("• ")
				}
			case "s":
				n, err := strconv.Atoi(attr(t, "c"))
				if err != nil || n < 1 {
					n = 1
				}
				for i := 0; i < min(n, 64); i++ {
					f.text(" ")
				}
			case "tab":
				f.text("\t")
			case "line-break":
				f.text("\n")
			case "note-body":
				inNote++
			case "note-citation":
				f.text("[")
			case "table":
				f.startTable()
			case "table-row":
				f.startRow()
			case "table-cell":
				f.startCell()
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				return nil
			}
			switch t.Name.Local {
			case "h", "p":
				if inNote > 0 {
					f.endNote("")
					return nil
				}
				f.endPara()
			case "note-citation":
				f.text("]")
			case "note-body":
				inNote--
			case "table-cell":
				f.endCell()
			case "table":
				f.endTable()
			}
		case xml.CharData:
			if skip == 0 {
				f.text(string(t))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	f.flushNotes("Notes")
	return nil
}
