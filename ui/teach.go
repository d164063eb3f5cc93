package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
)

// teachBox is the library pane's "Teach the model this library": it
// trains an adapter in the background (engine.Teach) while the window
// and answers go on with the current model, shows the steps, the time
// left and the held-out loss as a small plot, and pauses and continues.
// Only the UI goroutine touches its fields.
type teachBox struct {
	v       *libraryView
	start   *widget.Button
	box     *fyne.Container
	label   *widget.Label
	bar     *widget.ProgressBar
	plot    *lossPlot
	pause   *widget.Button
	cancel  context.CancelFunc // the run in progress; nil when none
	library string             // the library being taught
	// options is what a run asks for (tests shorten it).
	options engine.TeachOptions
}

const teachText = "Teach the model this library…"

func newTeachBox(v *libraryView) *teachBox {
	t := &teachBox{v: v}
	t.start = widget.NewButtonWithIcon(teachText, theme.ComputerIcon(), t.onStart)
	t.start.Hide()
	t.label = widget.NewLabel("")
	t.label.Truncation = fyne.TextTruncateEllipsis
	t.bar = widget.NewProgressBar()
	t.plot = newLossPlot()
	t.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), t.onPause)
	t.box = container.NewVBox(t.label, t.bar, t.plot, t.pause)
	t.box.Hide()
	return t
}

// offer shows the action for a library with documents read, when the
// chat model is a file on this computer (a model server cannot be
// taught), unless a run is showing its progress.
func (t *teachBox) offer(docs []engine.Document, s engine.Settings) {
	read := false
	for _, d := range docs {
		read = read || d.Chunks > 0
	}
	switch {
	case t.box.Visible():
		t.start.Hide()
	case read && s.ChatModel != "" && s.ChatServer == "":
		t.start.Show()
	default:
		t.start.Hide()
	}
}

func (t *teachBox) onStart() {
	lib := t.v.library()
	if lib == "" {
		return
	}
	g := t.v.g
	g.goWork(func(context.Context) {
		est, err := g.eng.EstimateTeach(t.options)
		g.do(func() {
			if err != nil {
				g.showError(err)
				return
			}
			t.confirm(lib, est)
		})
	})
}

// confirm says what teaching does and needs, and starts it on consent.
func (t *teachBox) confirm(lib string, est engine.TeachEstimate) {
	msg := fmt.Sprintf("Carrel will train a small adapter on the text of %q, so the chat model reads its vocabulary, names and style better. "+
		"The model file does not change, and a tenth of the library is kept aside to measure the gain.\n\n"+
		"It runs on this computer, in the background: answers keep working meanwhile (more slowly), and you can pause and continue later, even after closing Carrel. "+
		"It needs about %s of memory and %s of disk.", lib, engine.SizeText(int64(est.Memory)), engine.SizeText(int64(est.Disk)))
	d := dialog.NewConfirm("Teach the model this library", msg, func(ok bool) {
		if ok {
			t.plot.reset()
			t.run(lib)
		}
	}, t.v.g.win)
	d.SetConfirmText("Teach")
	t.v.g.show(d)
}

// run starts (or continues) teaching library lib.
func (t *teachBox) run(lib string) {
	g := t.v.g
	ctx, cancel := context.WithCancel(g.ctx)
	t.cancel, t.library = cancel, lib
	t.start.Hide()
	t.box.Show()
	t.pause.SetText("Pause")
	t.pause.SetIcon(theme.MediaPauseIcon())
	t.pause.Enable()
	t.label.SetText("Teaching: measuring the model first…")
	var last time.Time
	plotted := math.NaN() // the last held-out loss sent to the plot
	g.goWork(func(context.Context) {
		res, err := g.eng.Teach(ctx, lib, t.options, func(p engine.TeachProgress) {
			// At most a few updates a second reach the UI goroutine; a new
			// held-out loss, which the plot draws, always does.
			newValid := p.Phase == "training" && !math.IsNaN(p.ValidLoss) && p.ValidLoss != plotted
			if p.Phase == "training" && !newValid && time.Since(last) < 250*time.Millisecond {
				return
			}
			if newValid {
				plotted = p.ValidLoss
			}
			last = time.Now()
			g.do(func() { t.progress(p, newValid) })
		})
		g.do(func() { t.finish(res, err) })
	})
}

func (t *teachBox) progress(p engine.TeachProgress, newValid bool) {
	switch p.Phase {
	case "measuring":
		t.label.SetText("Teaching: measuring the model first…")
		return
	case "saving":
		t.label.SetText("Teaching: measuring what it learned…")
		t.bar.SetValue(1)
		return
	case "validating":
		return
	}
	t.bar.SetValue(float64(p.Step) / float64(max(p.Steps, 1)))
	line := fmt.Sprintf("Teaching: step %d of %d · %s left", p.Step, p.Steps, roundETA(p.Left))
	t.label.SetText(line)
	if newValid {
		t.plot.add(p.ValidLoss)
	}
}

func (t *teachBox) finish(res *engine.TeachResult, err error) {
	t.cancel = nil
	g := t.v.g
	switch {
	case errors.Is(err, context.Canceled):
		if g.ctx.Err() != nil {
			return // the window is closing: the run's checkpoint is saved
		}
		t.pause.Enable()
		t.label.SetText("Paused: teaching " + t.library)
		t.pause.SetText("Continue teaching")
		t.pause.SetIcon(theme.MediaPlayIcon())
		return
	case err != nil:
		t.pause.Enable()
		t.box.Hide()
		t.start.Show()
		g.showError(err)
		return
	}
	t.box.Hide()
	t.start.Show()
	gain := 100 * (1 - res.PerplexityAfter/res.PerplexityBefore)
	msg := fmt.Sprintf("On the passages of %q it did not train on, the model is now %.0f%% less surprised (perplexity %.1f before, %.1f after).\n\nAnswer questions about %q with what it learned?",
		t.library, gain, res.PerplexityBefore, res.PerplexityAfter, t.library)
	d := dialog.NewConfirm("The model learned this library", msg, func(ok bool) {
		if !ok {
			return
		}
		lib := t.library
		g.goWork(func(ctx context.Context) {
			s := g.eng.Settings()
			if s.LibraryAdapters == nil {
				s.LibraryAdapters = map[string]string{}
			}
			s.LibraryAdapters[lib] = res.Adapter
			_, err := g.eng.SetSettings(ctx, s)
			g.do(func() {
				if err != nil {
					g.showError(err)
				}
			})
		})
	}, g.win)
	d.SetConfirmText("Use it")
	d.SetDismissText("Not now")
	g.show(d)
}

func (t *teachBox) onPause() {
	if t.cancel != nil {
		t.cancel() // the run saves its checkpoint and reports Canceled
		t.pause.Disable()
		t.label.SetText("Pausing…")
		return
	}
	t.run(t.library)
}

// lossPlot draws the held-out loss as it falls: one line, scaled to its
// own range, in a strip the width of the pane.
type lossPlot struct {
	widget.BaseWidget
	values []float64
	lines  *fyne.Container
}

func newLossPlot() *lossPlot {
	p := &lossPlot{lines: container.NewWithoutLayout()}
	p.ExtendBaseWidget(p)
	return p
}

func (p *lossPlot) add(v float64) {
	p.values = append(p.values, v)
	p.Refresh()
}

func (p *lossPlot) reset() {
	p.values = nil
	p.Refresh()
}

func (p *lossPlot) CreateRenderer() fyne.WidgetRenderer {
	return &lossRenderer{p: p}
}

type lossRenderer struct {
	p     *lossPlot
	size  fyne.Size
	lines []fyne.CanvasObject
}

func (r *lossRenderer) MinSize() fyne.Size { return fyne.NewSize(120, 40) }

func (r *lossRenderer) Layout(s fyne.Size) {
	r.size = s
	r.Refresh()
}

func (r *lossRenderer) Refresh() {
	vs := r.p.values
	r.lines = r.lines[:0]
	if len(vs) >= 2 && r.size.Width > 0 {
		lo, hi := vs[0], vs[0]
		for _, v := range vs {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if hi-lo < 1e-9 {
			hi = lo + 1
		}
		at := func(i int) fyne.Position {
			x := float32(i) / float32(len(vs)-1) * r.size.Width
			y := float32((hi-vs[i])/(hi-lo)) * (r.size.Height - 2)
			return fyne.NewPos(x, y+1)
		}
		c := theme.Color(theme.ColorNamePrimary)
		for i := 1; i < len(vs); i++ {
			l := canvas.NewLine(c)
			l.StrokeWidth = 2
			l.Position1, l.Position2 = at(i-1), at(i)
			r.lines = append(r.lines, l)
		}
	}
	canvas.Refresh(r.p)
}

func (r *lossRenderer) Objects() []fyne.CanvasObject { return r.lines }
func (r *lossRenderer) Destroy()                     {}
