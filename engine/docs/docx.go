package docs

import (
	"context"
	"encoding/xml"
	"path"
	"regexp"
	"strconv"
	"strings"
)

var headingStyle = regexp.MustCompile(`(?i)^(heading|berschrift|titre|título|titolo|kop)\s*([1-9])$`)

// parseDOCX reads a Word document: paragraphs with their heading path,
// lists, tables (a row per line), text boxes, footnotes and endnotes.
// Deleted revisions, field codes and the fallback copies of drawings are
// skipped, so no text appears twice.
func parseDOCX(ctx context.Context, d *Document, data []byte) error {
	a, err := openArchive(data)
	if err != nil {
		return err
	}
	levels := map[string]int{} // style id → heading level
	if b, err := a.member("word/styles.xml"); err == nil {
		docxStyles(ctx, b, levels)
	}
	if b, err := a.member("docProps/core.xml"); err == nil {
		d.Title = xmlText(ctx, b, "title")
	}
	body, err := a.member("word/document.xml")
	if err != nil {
		return err
	}
	rels := docxRels(ctx, a)
	f := &flow{d: d}
	// altChunk embeds another document (usually HTML) whole.
	alt := func(id string) {
		target := rels[id]
		if target == "" {
			return
		}
		name := path.Join("word", target)
		if strings.HasPrefix(target, "/") { // absolute within the package
			name = target
		}
		b, err := a.member(name)
		if err != nil {
			d.warnf("embedded part %s: %v", target, err)
			return
		}
		sub := &Document{Path: d.Path, Format: HTML}
		if err := parseHTML(ctx, sub, b); err != nil {
			d.warnf("embedded part %s: %v", target, err)
			return
		}
		for _, bl := range sub.Blocks {
			if bl.Heading == "" {
				bl.Heading = f.h.path()
			}
			d.Blocks = append(d.Blocks, bl)
		}
	}
	if err := docxFlow(ctx, f, body, levels, "body", alt); err != nil {
		return err
	}
	for _, part := range []string{"word/footnotes.xml", "word/endnotes.xml"} {
		if b, err := a.member(part); err == nil {
			if err := docxFlow(ctx, f, b, levels, "note", nil); err != nil {
				d.warnf("%s: %v", part, err)
			}
		}
	}
	f.flushNotes("Notes")
	return nil
}

// docxStyles maps paragraph style ids to heading levels, from the style's
// name ("heading 2", "Title") or its outline level.
func docxStyles(ctx context.Context, data []byte, levels map[string]int) {
	var id string
	xmlWalk(ctx, data, func(tok xml.Token, stack []string) error {
		e, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		switch e.Name.Local {
		case "style":
			id = attr(e, "styleId")
		case "name":
			if !inStack(stack, "style") {
				return nil
			}
			name := strings.TrimSpace(attr(e, "val"))
			if m := headingStyle.FindStringSubmatch(name); m != nil {
				levels[id], _ = strconv.Atoi(m[2])
			} else if strings.EqualFold(name, "Title") {
				levels[id] = 1
			}
		case "outlineLvl":
			if inStack(stack, "style") {
				if n, err := strconv.Atoi(attr(e, "val")); err == nil && n < 9 && levels[id] == 0 {
					levels[id] = n + 1
				}
			}
		}
		return nil
	})
}

// docxRels maps relationship ids of the main document to their targets.
func docxRels(ctx context.Context, a *archive) map[string]string {
	rels := map[string]string{}
	b, err := a.member("word/_rels/document.xml.rels")
	if err != nil {
		return rels
	}
	xmlWalk(ctx, b, func(tok xml.Token, _ []string) error {
		if e, ok := tok.(xml.StartElement); ok && e.Name.Local == "Relationship" && attr(e, "TargetMode") != "External" {
			rels[attr(e, "Id")] = attr(e, "Target")
		}
		return nil
	})
	return rels
}

// docxFlow walks document.xml (mode "body") or a notes part ("note").
func docxFlow(ctx context.Context, f *flow, data []byte, levels map[string]int, mode string, alt func(id string)) error {
	skip := 0    // depth inside a subtree whose text must not be read
	noteID := "" // the note whose first paragraph is next
	skipped := map[string]bool{"delText": true, "instrText": true, "Fallback": true, "rt": true, "del": true, "moveFrom": true, "comment": true}
	return xmlWalk(ctx, data, func(tok xml.Token, stack []string) error {
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 || skipped[t.Name.Local] {
				skip++
				return nil
			}
			switch t.Name.Local {
			case "footnote", "endnote":
				if typ := attr(t, "type"); typ == "separator" || typ == "continuationSeparator" || typ == "continuationNotice" {
					skip++
				}
				noteID = attr(t, "id")
			case "p":
				kind := ""
				if mode == "note" {
					kind = "note"
				}
				f.startPara(kind)
			case "pStyle":
				if p := f.cur(); p != nil {
					p.level = levels[attr(t, "val")]
				}
			case "outlineLvl":
				if p := f.cur(); p != nil && p.level == 0 {
					if n, err := strconv.Atoi(attr(t, "val")); err == nil && n < 9 {
						p.level = n + 1
					}
				}
			case "numPr":
				if p := f.cur(); p != nil && p.kind == "" {
					p.kind = "list"
					p.b.WriteString("• ")
				}
			case "tab":
				if inStack(stack, "r") {
					f.text("\t")
				}
			case "br", "cr":
				f.text("\n")
			case "noBreakHyphen":
				f.text("-")
			case "footnoteReference", "endnoteReference":
				f.text("[" + attr(t, "id") + "]")
			case "altChunk":
				if alt != nil {
					alt(attr(t, "id"))
				}
			case "tbl":
				f.startTable()
			case "tr":
				f.startRow()
			case "tc":
				f.startCell()
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				return nil
			}
			switch t.Name.Local {
			case "p":
				if mode == "note" {
					if f.endNote(noteID) {
						noteID = "" // only the note's first paragraph is labelled
					}
					return nil
				}
				f.endPara()
			case "tc":
				f.endCell()
			case "tbl":
				f.endTable()
			}
		case xml.CharData:
			if skip == 0 && len(stack) > 0 && stack[len(stack)-1] == "t" {
				f.text(string(t))
			}
		}
		return nil
	})
}

// xmlText returns the text of the first element with the local name.
func xmlText(ctx context.Context, data []byte, local string) string {
	var out strings.Builder
	found := false
	xmlWalk(ctx, data, func(tok xml.Token, stack []string) error {
		if c, ok := tok.(xml.CharData); ok && !found && len(stack) > 0 && stack[len(stack)-1] == local {
			out.Write(c)
		}
		if e, ok := tok.(xml.EndElement); ok && e.Name.Local == local && out.Len() > 0 {
			found = true
		}
		return nil
	})
	return strings.TrimSpace(out.String())
}
