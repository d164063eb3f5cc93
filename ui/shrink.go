package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
)

// shrinkQuants are the sizes offered, smallest first.
var shrinkQuants = []string{"Q4_K_M", "Q5_K_M", "Q8_0"}

// offerShrink asks which size to make of the chat model at path, makes it
// in the background with a way to stop, then shows the comparison (on
// the passages of library) and offers to answer with the smaller copy.
func (g *gui) offerShrink(path, library string) {
	pick := widget.NewSelect(shrinkQuants, nil)
	pick.SetSelected(shrinkQuants[0])
	items := []*widget.FormItem{
		widget.NewFormItem("Size", pick),
	}
	items[0].HintText = "Q4_K_M is smallest and fastest; Q8_0 keeps the most"
	g.showForm("Make "+filepath.Base(path)+" smaller", "Make it", "Cancel", items, nil, func(ok bool) {
		if ok {
			g.shrink(path, pick.Selected, library)
		}
	})
}

func (g *gui) shrink(path, quant, library string) {
	ctx, cancel := context.WithCancel(g.ctx)
	status := widget.NewLabel("Writing a " + quant + " copy with llama.cpp…")
	status.Wrapping = fyne.TextWrapWord
	bar := widget.NewProgressBarInfinite()
	stop := widget.NewButton("Stop", cancel)
	working := dialog.NewCustomWithoutButtons("Making the model smaller", container.NewVBox(status, bar, stop), g.win)
	g.show(working)
	g.goWork(func(context.Context) {
		out, r, err := g.eng.ShrinkModel(ctx, path, quant, library, func(line string) {
			g.do(func() { status.SetText(line) })
		})
		cancel()
		g.do(func() {
			working.Hide()
			switch {
			case errors.Is(err, context.Canceled):
				return
			case errors.Is(err, engine.ErrCopyExists):
				g.showError(fmt.Errorf("a %s copy is there already: %s", quant, out))
				return
			case err != nil:
				g.showError(err)
				return
			}
			g.offerSmaller(out, r, library)
		})
	})
}

// offerSmaller shows the comparison and offers to answer with the copy.
func (g *gui) offerSmaller(out string, r *engine.ShrinkReport, library string) {
	var table bytes.Buffer
	r.Table(&table)
	grid := widget.NewLabelWithStyle(table.String(), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	on := "Perplexity is measured on the passages of " + fmt.Sprintf("%q", library) + ": lower is better."
	if library == "" || len(r.Rows) == 0 || r.Rows[0].Perplexity == 0 {
		on = "Perplexity was not measured: the library has no text yet."
	}
	body := container.NewVBox(grid, widget.NewLabel(on), widget.NewLabel("Answer with the smaller copy?"))
	d := dialog.NewCustomConfirm("The smaller copy", "Use it", "Keep the model", body, func(ok bool) {
		if !ok {
			return
		}
		g.goWork(func(ctx context.Context) {
			s := g.eng.Settings()
			s.ChatModel = out
			_, err := g.eng.SetSettings(ctx, s)
			g.do(func() {
				if err != nil {
					g.showError(err)
				}
			})
		})
	}, g.win)
	g.show(d)
}
