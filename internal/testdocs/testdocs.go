// Package testdocs writes small, valid documents for tests: zip archives
// (ODF and EPUB order their members), DOCX files and one-font PDFs with a
// correct cross-reference table. Tests of several packages build their
// inputs with it instead of keeping binary fixtures.
package testdocs

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Zip builds a zip archive; a "mimetype" member is stored first,
// uncompressed, as ODF and EPUB require.
func Zip(files map[string]string, order ...string) []byte {
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
			panic(err) // writing to memory does not fail
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

// WordNamespaces declares the prefixes of a Word document's XML parts.
const WordNamespaces = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

// DOCX builds a Word document whose body is body (see Paragraph), with
// heading styles and extra members.
func DOCX(body string, extra map[string]string) []byte {
	files := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"word/document.xml":   `<?xml version="1.0" encoding="UTF-8"?><w:document ` + WordNamespaces + `><w:body>` + body + `</w:body></w:document>`,
		"word/styles.xml": `<?xml version="1.0"?><w:styles ` + WordNamespaces + `>
			<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>
			<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style>
			<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style></w:styles>`,
	}
	for k, v := range extra {
		files[k] = v
	}
	return Zip(files)
}

// Paragraph is a Word paragraph of text in a style ("" for none,
// "Heading1", "Title").
func Paragraph(style, text string) string {
	ppr := ""
	if style != "" {
		ppr = `<w:pPr><w:pStyle w:val="` + style + `"/></w:pPr>`
	}
	return `<w:p>` + ppr + `<w:r><w:t xml:space="preserve">` + text + `</w:t></w:r></w:p>`
}

// PDF writes a valid one-font PDF with one page per text, with a
// correct cross-reference table.
func PDF(pages ...string) []byte {
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
	return Assemble(objs)
}

// Assemble writes PDF objects (numbered from 1, the first the catalog)
// with their cross-reference table.
func Assemble(objs []string) []byte {
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

// ImagePDF writes a PDF whose pages are only pictures, as a scanner
// makes them: one grey image per page, drawn over the whole US Letter
// page, and no text layer.
func ImagePDF(pages ...*image.Gray) []byte {
	var objs []string
	n := len(pages)
	kids := make([]string, n)
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 3+3*i)
	}
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>")
	objs = append(objs, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	for i, img := range pages {
		b := img.Bounds()
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			zw.Write(img.Pix[img.PixOffset(b.Min.X, y) : img.PixOffset(b.Min.X, y)+b.Dx()])
		}
		zw.Close()
		content := "q 612 0 0 792 0 0 cm /Im0 Do Q"
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>", 4+3*i, 5+3*i))
		objs = append(objs, fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", b.Dx(), b.Dy(), z.Len(), z.String()))
		objs = append(objs, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	return Assemble(objs)
}

// TIFF writes grey pictures as the pages of one uncompressed TIFF, as a
// document scanner saves a multi-page scan.
func TIFF(pages ...*image.Gray) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("II*\x00")
	binary.Write(&b, le, uint32(8))
	for i, img := range pages {
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		const entries = 8
		ifd := uint32(b.Len())
		data := ifd + 2 + entries*12 + 4
		next := uint32(0)
		if i < len(pages)-1 {
			next = data + uint32(w*h)
		}
		binary.Write(&b, le, uint16(entries))
		for _, e := range [][3]uint32{
			{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
			{273, 4, data}, {278, 4, uint32(h)}, {279, 4, uint32(w * h)},
		} {
			binary.Write(&b, le, uint16(e[0]))
			binary.Write(&b, le, uint16(e[1]))
			binary.Write(&b, le, uint32(1))
			if e[1] == 3 {
				binary.Write(&b, le, uint16(e[2]))
				binary.Write(&b, le, uint16(0))
			} else {
				binary.Write(&b, le, e[2])
			}
		}
		binary.Write(&b, le, next)
		for y := 0; y < h; y++ {
			b.Write(img.Pix[img.PixOffset(img.Bounds().Min.X, img.Bounds().Min.Y+y):][:w])
		}
	}
	return b.Bytes()
}

// TextImage draws lines of text in black on white with a font (the
// content of a TrueType or OpenType file, or of a collection, whose first
// font is used), px pixels high: a page as a scanner would see it, in any
// script the font covers. gofont/goregular.TTF serves for Latin text.
func TextImage(data []byte, px float64, lines ...string) (*image.Gray, error) {
	var f *opentype.Font
	if coll, err := opentype.ParseCollection(data); err == nil {
		f, err = coll.Font(0)
		if err != nil {
			return nil, err
		}
	} else if f, err = opentype.Parse(data); err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	defer face.Close()
	lineH := int(px * 1.6)
	w := int(px) * 2
	for _, l := range lines {
		w = max(w, font.MeasureString(face, l).Ceil()+int(px)*2)
	}
	img := image.NewGray(image.Rect(0, 0, w, lineH*(len(lines)+2)))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.Black, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(int(px), lineH*(i+1)+int(px))
		d.DrawString(l)
	}
	return img, nil
}

// UnmappedFontPDF writes a one-page PDF whose text lines (in Helvetica,
// with a correct text layer) are followed by labels drawn in a font
// without a map to Unicode, as many charts' labels are: a Type 3 font
// whose glyphs are pictures of letters (drawn with fontData, see
// TextImage) under codes assigned from "!" upwards, with glyph names that
// say nothing. The labels look like words on the drawn page; their text
// layer reads as symbols ("!\"# $%&").
func UnmappedFontPDF(fontData []byte, text, labels []string) ([]byte, error) {
	codes := map[rune]byte{' ': ' '}
	order := []rune{' '}
	next := byte('!')
	for _, l := range labels {
		for _, r := range l {
			if _, ok := codes[r]; ok {
				continue
			}
			for next == '(' || next == ')' || next == '\\' {
				next++
			}
			if next > '~' {
				return nil, fmt.Errorf("testdocs: more than %d distinct label characters", '~'-'!'-2)
			}
			codes[r], order = next, append(order, r)
			next++
		}
	}
	const em = 64 // pixels per em of the glyph pictures
	// Objects: 1 catalog, 2 pages, 3 page, 4 contents, 5 Helvetica, 6 the
	// Type 3 font, then per glyph its procedure and its picture.
	objs := make([]string, 6, 6+2*len(order))
	objs[0] = "<< /Type /Catalog /Pages 2 0 R >>"
	objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
	objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>"
	objs[4] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	glyphName := func(code byte) string { return fmt.Sprintf("q%c%c", 'a'+code/26%26, 'a'+code%26) } // says nothing of the letter
	widths := make([]int, '~'-' '+1)
	var procs, xobjs, diffs strings.Builder
	for _, r := range order {
		code := codes[r]
		proc := "300 0 d0" // the space: a gap
		widths[code-' '] = 300
		if r != ' ' {
			// TextImage draws the line at x = em, baseline y = em*1.6 +
			// em: the glyph's picture is its advance wide, from an em
			// above the baseline to a third below.
			img, err := TextImage(fontData, em, string(r))
			if err != nil {
				return nil, err
			}
			adv := img.Bounds().Dx() - 2*em
			base := em*16/10 + em
			glyph := image.NewGray(image.Rect(0, 0, adv, em*4/3))
			draw.Draw(glyph, glyph.Bounds(), img, image.Pt(em, base-em), draw.Src)
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			zw.Write(glyph.Pix)
			zw.Close()
			w, h := adv*1000/em, 1000*4/3
			proc = fmt.Sprintf("%d 0 d0 q %d 0 0 %d 0 %d cm /I%d Do Q", w, w, h, -h/4, code)
			widths[code-' '] = w
			fmt.Fprintf(&xobjs, "/I%d %d 0 R ", code, len(objs)+2)
			objs = append(objs, "", fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream",
				adv, em*4/3, z.Len(), z.String()))
			objs[len(objs)-2] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(proc), proc)
		} else {
			objs = append(objs, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(proc), proc))
		}
		fmt.Fprintf(&procs, "/%s %d 0 R ", glyphName(code), len(objs)-boolInt(r != ' '))
		fmt.Fprintf(&diffs, "%d /%s ", code, glyphName(code))
	}
	var ws strings.Builder
	for _, w := range widths {
		fmt.Fprintf(&ws, "%d ", w)
	}
	objs[5] = fmt.Sprintf("<< /Type /Font /Subtype /Type3 /FontBBox [0 -350 1500 1100] /FontMatrix [0.001 0 0 0.001 0 0] "+
		"/CharProcs << %s>> /Encoding << /Type /Encoding /Differences [%s] >> /FirstChar 32 /LastChar 126 /Widths [%s] "+
		"/Resources << /XObject << %s>> >> >>", procs.String(), diffs.String(), ws.String(), xobjs.String())
	var content strings.Builder
	content.WriteString("BT /F1 12 Tf 72 720 Td 16 TL\n")
	esc := strings.NewReplacer(`(`, `\(`, `)`, `\)`, `\`, `\\`)
	for _, l := range text {
		fmt.Fprintf(&content, "(%s) Tj T*\n", esc.Replace(l))
	}
	content.WriteString("T* /F2 14 Tf 22 TL\n")
	for _, l := range labels {
		var b []byte
		for _, r := range l {
			b = append(b, codes[r])
		}
		fmt.Fprintf(&content, "(%s) Tj T*\n", b)
	}
	content.WriteString("ET")
	objs[3] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String())
	return Assemble(objs), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
