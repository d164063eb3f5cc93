// Package ui is Carrel's desktop window, built with Fyne. It holds no
// business logic: it calls the engine off the UI goroutine and updates
// widgets through fyne.Do.
package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/dialog"

	"github.com/carrel-ai/carrel/assets"
	"github.com/carrel-ai/carrel/engine/llm"
)

// AppID identifies Carrel to the OS (preferences, notifications).
const AppID = "ai.carrel.app"

// Preference keys.
const (
	prefModel = "model.path"
	prefCPU   = "model.cpu_only"
)

// Options configures the window.
type Options struct {
	Version string
}

// Run opens the main window and blocks until it is closed or ctx ends.
func Run(ctx context.Context, opts Options) error {
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	w := a.NewWindow("Carrel")
	w.Resize(fyne.NewSize(1024, 700))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := newGUI(ctx, a, w, opts)
	g.start()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	g.close()
	return nil
}

// gui is the state of the window: the loaded model and the current view.
type gui struct {
	ctx  context.Context
	app  fyne.App
	win  fyne.Window
	opts Options

	model *llm.Model // set on the UI goroutine only
	lctx  *llm.Context
	work  sync.WaitGroup // background loads, so tests can wait for them
}

func newGUI(ctx context.Context, a fyne.App, w fyne.Window, opts Options) *gui {
	return &gui{ctx: ctx, app: a, win: w, opts: opts}
}

// start shows the chat if a model was chosen before, else the setup screen.
func (g *gui) start() {
	if p := g.app.Preferences().String(prefModel); p != "" {
		g.loadModel(p)
		return
	}
	g.win.SetContent(newSetupView(g).content)
}

// loadModel loads the model off the UI goroutine with a progress view,
// then opens the chat; a failure returns to the setup screen with the
// reason.
func (g *gui) loadModel(path string) {
	lv := newLoadingView(path)
	g.win.SetContent(lv.content)
	cpu := g.app.Preferences().Bool(prefCPU)
	g.work.Add(1)
	go func() {
		defer g.work.Done()
		m, err := llm.Load(g.ctx, path, llm.ModelOptions{CPUOnly: cpu, Progress: func(p float32) {
			fyne.Do(func() { lv.bar.SetValue(float64(p)) })
		}})
		var c *llm.Context
		if err == nil {
			if c, err = m.NewContext(llm.ContextOptions{}); err != nil {
				m.Close()
			}
		}
		fyne.Do(func() {
			if err != nil {
				g.win.SetContent(newSetupView(g).content)
				if !errors.Is(err, context.Canceled) {
					g.showError(fmt.Errorf("the model could not be opened: %w", err))
				}
				return
			}
			g.closeModel()
			g.model, g.lctx = m, c
			g.app.Preferences().SetString(prefModel, path)
			g.win.SetContent(newChatView(g, c, statusOf(m, c)).content)
		})
	}()
}

func (g *gui) closeModel() {
	if g.lctx != nil {
		g.lctx.Close()
	}
	if g.model != nil {
		g.model.Close()
	}
	g.model, g.lctx = nil, nil
}

func (g *gui) close() { g.closeModel() }

// chooseAnotherModel forgets the model and shows the setup screen.
func (g *gui) chooseAnotherModel() {
	g.closeModel()
	g.app.Preferences().RemoveValue(prefModel)
	g.win.SetContent(newSetupView(g).content)
}

// showError is the one place errors reach the user.
func (g *gui) showError(err error) {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 && len(msg) > 160 {
		msg = msg[:160] + "…"
	}
	dialog.ShowError(errors.New(msg), g.win)
}

func statusOf(m *llm.Model, c *llm.Context) string {
	p := m.Placement()
	where := p.Backend
	if p.Backend == "CPU" {
		where = fmt.Sprintf("CPU, %d threads", c.Threads())
	}
	return fmt.Sprintf("%s · %s", m.Info().Name, where)
}
