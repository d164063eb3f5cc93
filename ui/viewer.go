package ui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"net/url"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
)

// viewerView shows a cited source: the text of its page or section, with
// the cited passage highlighted and scrolled into view.
type viewerView struct {
	g       *gui
	content fyne.CanvasObject
	title   *widget.Label
	where   *widget.Label
	text    *widget.RichText
	page    *canvas.Image // the PDF page, when it can be drawn
	scroll  *container.Scroll
	open    *widget.Button
	source  engine.Source
}

func newViewerView(g *gui) *viewerView {
	v := &viewerView{g: g}
	v.title = widget.NewLabelWithStyle("Sources", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.title.Truncation = fyne.TextTruncateEllipsis
	v.where = widget.NewLabel("Click a source under an answer to read it here, at the cited place.")
	v.where.Wrapping = fyne.TextWrapWord
	v.where.Importance = widget.LowImportance
	v.text = widget.NewRichText()
	v.text.Wrapping = fyne.TextWrapWord
	v.page = canvas.NewImageFromImage(nil)
	v.page.FillMode = canvas.ImageFillContain
	v.page.Hide()
	v.scroll = container.NewVScroll(container.NewVBox(v.page, v.text))
	v.open = widget.NewButtonWithIcon("Open in default app", theme.FileApplicationIcon(), v.openOriginal)
	v.open.Disable()
	v.content = container.NewBorder(container.NewVBox(v.title, v.where), v.open, nil, nil, v.scroll)
	return v
}

// show loads the source's page or section and highlights the passage.
func (v *viewerView) show(s engine.Source) {
	v.source = s
	v.title.SetText(filepath.Base(s.Path))
	v.where.SetText(location(s))
	v.open.Enable()
	v.page.Hide()
	v.showPage(s)
	v.g.goWork(func(ctx context.Context) {
		st, err := v.g.eng.SourceText(ctx, s)
		v.g.do(func() {
			if v.source.DocID != s.DocID || v.source.ChunkID != s.ChunkID || v.source.Place != s.Place {
				return // another source was opened meanwhile
			}
			if err != nil {
				v.g.showError(err)
			}
			v.render(s, st)
		})
	})
}

// pageWidth is the width PDF pages are drawn at: sharp in the viewer on
// high-resolution screens.
const pageWidth = 900

// pagedExt are the files whose pages the viewer draws: PDFs, and
// pictures (their text read by OCR).
var pagedExt = map[string]bool{".pdf": true, ".png": true, ".jpg": true, ".jpeg": true, ".tif": true, ".tiff": true, ".webp": true, ".bmp": true, ".gif": true}

// showPage draws the page of a PDF or picture source with the passage
// marked, above its text; other formats (and pages that cannot be drawn)
// show the text alone.
func (v *viewerView) showPage(s engine.Source) {
	if s.Page <= 0 || !pagedExt[strings.ToLower(filepath.Ext(s.Path))] {
		return
	}
	v.g.goWork(func(ctx context.Context) {
		rp, err := v.g.eng.RenderPage(ctx, s, pageWidth)
		if err != nil {
			return // the text below still shows the passage
		}
		img := markPassage(rp)
		v.g.do(func() {
			if v.source.DocID != s.DocID || v.source.Page != s.Page {
				return // another source was opened meanwhile
			}
			b := img.Bounds()
			v.page.Image = img
			// Shown at the viewer's width; its height keeps the page's shape.
			v.page.SetMinSize(fyne.NewSize(320, 320*float32(b.Dy())/float32(b.Dx())))
			v.page.Show()
			v.page.Refresh()
			if len(rp.Marks) > 0 {
				y := 320 * float32(rp.Marks[0].Min.Y) / float32(b.Dx())
				v.scroll.Offset = fyne.NewPos(0, max(0, y-40))
			} else {
				v.scroll.Offset = fyne.NewPos(0, 0)
			}
			v.scroll.Refresh()
		})
	})
}

// markPassage paints the passage's lines on the page in translucent
// yellow, as a highlighter would.
func markPassage(rp *engine.PageImage) image.Image {
	img := rp.Image
	mark := image.NewUniform(color.NRGBA{R: 255, G: 214, B: 0, A: 96})
	for _, r := range rp.Marks {
		draw.Draw(img, r.Inset(-2), mark, image.Point{}, draw.Over)
	}
	return img
}

func location(s engine.Source) string {
	switch {
	case s.Page > 0 && s.Heading != "":
		return fmt.Sprintf("Page %d · %s", s.Page, s.Heading)
	case s.Page > 0:
		return fmt.Sprintf("Page %d", s.Page)
	case s.Heading != "":
		return s.Heading
	}
	return filepath.Dir(s.Path)
}

// highlighted is the style of the cited passage.
var highlighted = widget.RichTextStyle{ColorName: theme.ColorNamePrimary, Inline: true}

var plain = widget.RichTextStyle{Inline: true}

// render shows the page or section holding the cited passage, the passage
// highlighted at its stored place, and scrolls it into view.
func (v *viewerView) render(s engine.Source, st engine.SourceText) {
	if !st.Exact {
		v.where.SetText(location(s) + " (this document was indexed again since the answer, or before exact places were kept; showing the passage as cited)")
	}
	v.text.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: st.Text[:st.Start], Style: plain},
		&widget.TextSegment{Text: st.Text[st.Start:st.End], Style: highlighted},
		&widget.TextSegment{Text: st.Text[st.End:], Style: plain},
	}
	v.text.Refresh()
	// Scroll so the passage starts near the top: its share of the text is
	// a good guess at its share of the height. A drawn page scrolls to its
	// own marks instead.
	if len(st.Text) > 0 && !v.page.Visible() {
		h := v.text.MinSize().Height
		v.scroll.Offset = fyne.NewPos(0, max(0, h*float32(st.Start)/float32(len(st.Text))-40))
		v.scroll.Refresh()
	}
}

func (v *viewerView) openOriginal() {
	if v.source.Path == "" {
		return
	}
	u, err := url.Parse(storage.NewFileURI(v.source.Path).String())
	if err == nil {
		err = v.g.app.OpenURL(u)
	}
	if err != nil {
		v.g.showError(fmt.Errorf("could not open %s: %w", v.source.Path, err))
	}
}
