package ui

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"

	"fyne.io/fyne/v2"
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
	v.scroll = container.NewVScroll(v.text)
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
	v.g.goWork(func(ctx context.Context) {
		passages, err := v.g.eng.Passages(ctx, s.DocID)
		v.g.do(func() {
			if err != nil {
				v.text.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: s.Text}}
				v.text.Refresh()
				return
			}
			v.render(s, passages)
		})
	})
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

// render shows the section holding the cited passage, the passage
// highlighted, and scrolls it into view.
func (v *viewerView) render(s engine.Source, passages []engine.Hit) {
	var sec *engine.Section
	secs := engine.Sections(passages)
	for i := range secs {
		if _, ok := secs[i].Spans[s.ChunkID]; ok && s.ChunkID != 0 {
			sec = &secs[i]
			break
		}
		if s.ChunkID == 0 && secs[i].Page == s.Page && secs[i].Heading == s.Heading {
			sec = &secs[i]
			break
		}
	}
	if sec == nil { // the document changed since the answer
		v.text.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: s.Text, Style: highlighted}}
		v.where.SetText(location(s) + " (the document has changed since this answer; showing the passage as cited)")
		v.text.Refresh()
		return
	}
	span, ok := sec.Spans[s.ChunkID]
	if !ok {
		span = [2]int{0, 0}
	}
	v.text.Segments = []widget.RichTextSegment{
		&widget.TextSegment{Text: sec.Text[:span[0]], Style: plain},
		&widget.TextSegment{Text: sec.Text[span[0]:span[1]], Style: highlighted},
		&widget.TextSegment{Text: sec.Text[span[1]:], Style: plain},
	}
	v.text.Refresh()
	// Scroll so the passage starts near the top: its share of the text is
	// a good guess at its share of the height.
	if len(sec.Text) > 0 {
		h := v.text.MinSize().Height
		v.scroll.Offset = fyne.NewPos(0, max(0, h*float32(span[0])/float32(len(sec.Text))-40))
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
