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
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
)

// viewerView shows a cited source: the page it stands on (PDFs and
// pictures), drawn at the pane's width or zoomed, with the passage's lines
// marked; and the text of its page or section, the passage highlighted and
// scrolled into view.
type viewerView struct {
	g       *gui
	content fyne.CanvasObject
	title   *widget.Label
	where   *widget.Label
	text    *widget.RichText
	page    *canvas.Image // the page, when it can be drawn
	fit     *pageFit
	scroll  *container.Scroll
	open    *widget.Button
	// loading shows while the source's page or text is read; pending
	// counts the reads in flight.
	loading *widget.ProgressBarInfinite
	pending int
	// The page bar: page navigation and zoom, shown with a drawn page.
	header           *fyne.Container // title, place, loading bar, page bar
	pageBar          *fyne.Container
	pageLabel        *widget.Label
	prevPage, nextPg *widget.Button
	source           engine.Source
	shown            int // the page drawn now (the source's, or one turned to)
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
	v.page.FillMode = canvas.ImageFillStretch // pageFit keeps its shape
	v.page.ScaleMode = canvas.ImageScaleSmooth
	v.page.Hide()
	v.fit = &pageFit{zoom: 1}
	v.scroll = container.NewScroll(container.NewVBox(container.New(v.fit, v.page), v.text))
	v.fit.viewport = func() float32 { return v.scroll.Size().Width }
	v.open = widget.NewButtonWithIcon("Open in default app", theme.FileApplicationIcon(), v.openOriginal)
	v.open.Disable()
	v.loading = widget.NewProgressBarInfinite()
	v.loading.Hide()
	v.pageLabel = widget.NewLabel("")
	v.prevPage = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { v.turn(-1) })
	v.nextPg = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { v.turn(1) })
	zoomOut := widget.NewButtonWithIcon("", theme.ZoomOutIcon(), func() { v.zoom(v.fit.zoom / 1.25) })
	fitWidth := widget.NewButtonWithIcon("Fit width", theme.ZoomFitIcon(), func() { v.zoom(1) })
	zoomIn := widget.NewButtonWithIcon("", theme.ZoomInIcon(), func() { v.zoom(v.fit.zoom * 1.25) })
	v.pageBar = container.NewHBox(v.prevPage, v.pageLabel, v.nextPg, layout.NewSpacer(), zoomOut, fitWidth, zoomIn)
	v.pageBar.Hide()
	v.header = container.NewVBox(v.title, v.where, v.loading, v.pageBar)
	v.content = container.NewBorder(v.header, v.open, nil, nil, v.scroll)
	return v
}

// show loads the source's page or section and highlights the passage.
// What the previous source showed is cleared at once, so a new title never
// stands over an old body while the new one loads.
func (v *viewerView) show(s engine.Source) {
	v.source = s
	v.shown = s.Page
	v.title.SetText(filepath.Base(s.Path))
	v.where.SetText(location(s))
	v.open.Enable()
	v.page.Hide()
	v.page.Image = nil
	v.pageBar.Hide()
	v.content.Refresh()
	v.text.Segments = nil
	v.text.Refresh()
	v.showPage(s, s.Page)
	v.busy(1)
	v.g.goWork(func(ctx context.Context) {
		st, err := v.g.eng.SourceText(ctx, s)
		v.g.do(func() {
			v.busy(-1)
			if !v.current(s) {
				return // another source was opened meanwhile
			}
			if err != nil {
				v.g.showError(err)
			}
			v.render(s, st)
		})
	})
}

// current reports whether s is still the source shown.
func (v *viewerView) current(s engine.Source) bool {
	return v.source.DocID == s.DocID && v.source.ChunkID == s.ChunkID && v.source.Place == s.Place
}

// busy counts reads in flight, showing the loading bar while any are.
func (v *viewerView) busy(delta int) {
	v.pending += delta
	if v.pending > 0 {
		v.loading.Show()
		v.loading.Start()
	} else {
		v.pending = 0
		v.loading.Stop()
		v.loading.Hide()
	}
	v.content.Refresh() // the header's height changed
}

// pageWidth is the width pages are drawn at: sharp at the pane's width on
// high-resolution screens, and when zoomed in twice.
const pageWidth = 1400

// pagedExt are the files whose pages the viewer draws: PDFs, and
// pictures (their text read by OCR).
var pagedExt = map[string]bool{".pdf": true, ".png": true, ".jpg": true, ".jpeg": true, ".tif": true, ".tiff": true, ".webp": true, ".bmp": true, ".gif": true}

// showPage draws page of a PDF or picture source, with the passage marked
// when it is the source's own page, above its text; other formats (and
// pages that cannot be drawn) show the text alone.
func (v *viewerView) showPage(s engine.Source, page int) {
	if page <= 0 || !pagedExt[strings.ToLower(filepath.Ext(s.Path))] {
		return
	}
	want := s
	if page != s.Page {
		// Another page of the document: drawn without marks.
		want = engine.Source{Path: s.Path, DocID: s.DocID, Page: page}
	}
	v.busy(1)
	v.g.goWork(func(ctx context.Context) {
		rp, err := v.g.eng.RenderPage(ctx, want, pageWidth)
		var img image.Image
		if err == nil {
			img = markPassage(rp)
		}
		v.g.do(func() {
			v.busy(-1)
			if !v.current(s) || v.shown != page {
				return // another source or page was chosen meanwhile
			}
			if err != nil {
				if page != s.Page {
					// Past the last page: stay where we were.
					v.shown -= sign(page - s.Page)
					v.nextPg.Disable()
				}
				return // the text below still shows the passage
			}
			v.fit.aspect = float32(img.Bounds().Dy()) / float32(img.Bounds().Dx())
			v.page.Image = img
			v.page.Show()
			v.page.Refresh()
			v.pageLabel.SetText(fmt.Sprintf("Page %d", page))
			v.prevPage.Enable()
			if page <= 1 {
				v.prevPage.Disable()
			}
			v.nextPg.Enable()
			v.pageBar.Show()
			v.content.Refresh()
			v.scroll.Refresh()
			y := float32(0)
			if page == s.Page && len(rp.Marks) > 0 {
				// The first marked line, a little below the top.
				y = max(0, v.fit.width()*float32(rp.Marks[0].Min.Y)/float32(img.Bounds().Dx())-40)
			}
			v.scroll.Offset = fyne.NewPos(v.scroll.Offset.X, y)
			v.scroll.Refresh()
		})
	})
}

// turn shows the page before (-1) or after (+1) the one shown.
func (v *viewerView) turn(by int) {
	if v.shown+by < 1 {
		return
	}
	v.shown += by
	v.showPage(v.source, v.shown)
}

// zoom sets the page's width as a multiple of the pane's (1: fit width),
// between a half and four times.
func (v *viewerView) zoom(z float32) {
	v.fit.zoom = min(max(z, 0.5), 4)
	v.scroll.Refresh()
}

func sign(n int) int {
	if n < 0 {
		return -1
	}
	return 1
}

// pageFit lays out a page image at the width of the viewer's pane times
// the zoom, keeping the page's shape: a page fills the pane however wide
// it is made, and scrolls sideways when zoomed past it.
type pageFit struct {
	aspect   float32 // height over width
	zoom     float32
	viewport func() float32 // the pane's width
}

func (f *pageFit) width() float32 {
	w := float32(320)
	if f.viewport != nil {
		if vw := f.viewport(); vw > 0 {
			w = vw - theme.Padding()*2
		}
	}
	return w * f.zoom
}

func (f *pageFit) MinSize(objects []fyne.CanvasObject) fyne.Size {
	if len(objects) == 0 || !objects[0].Visible() || f.aspect == 0 {
		return fyne.NewSize(0, 0)
	}
	w := f.width()
	min := float32(0) // fit width: no wider than the pane
	if f.zoom > 1 {
		min = w
	}
	return fyne.NewSize(min, w*f.aspect)
}

func (f *pageFit) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	w := f.width()
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(w, w*f.aspect))
	}
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
	if len(st.Text) > 0 && !v.page.Visible() && v.page.Image == nil {
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
