package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// TestTeachFromTheWindow teaches the model a library from the library
// pane: the confirmation, progress with the held-out loss drawn, a pause
// and a continuation, and at the end the gain and the offer to answer
// with the adapter, which sets it.
func TestTeachFromTheWindow(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	s := newStub(t)
	ctx := context.Background()
	set := s.Settings()
	set.ChatModel = sharedtest.Path(t, "models/stories260K.gguf")
	set.EmbedModel = engine.NoEmbedModel
	if _, err := s.SetSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "", false, sharedtest.Path(t, "corpus/pdf/text/pdfcpu-Walden.pdf"), sharedtest.Path(t, "corpus/pdf/text/pdfjs-freeculture-book.pdf")); err != nil {
		t.Fatal(err)
	}
	s.WaitIndexed(ctx)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	lib := g.main.library
	tb := lib.teach
	tb.options = engine.TeachOptions{MaxSteps: 60, Threads: 2}
	top := func() fyne.CanvasObject {
		o := g.win.Canvas().Overlays().Top()
		if o == nil {
			t.Fatal("no dialog")
		}
		return o
	}

	if !tb.start.Visible() {
		t.Fatal("a library with documents read and a model file does not offer teaching")
	}
	test.Tap(tb.start)
	settle(t, g) // the estimate is made off the UI goroutine
	teach, ok := button(top(), "Teach")
	if !ok || !label(top(), "does not change") || !label(top(), "of memory") {
		t.Fatal("the confirmation says neither what teaching does nor offers to start")
	}
	test.Tap(teach)
	if !tb.box.Visible() || tb.start.Visible() {
		t.Fatal("teaching shows no progress")
	}
	// Paused at once, then continued.
	test.Tap(tb.pause)
	settle(t, g)
	if !strings.Contains(tb.label.Text, "Paused") || tb.pause.Text != "Continue teaching" || tb.pause.Disabled() {
		t.Fatalf("after pausing: %q, button %q", tb.label.Text, tb.pause.Text)
	}
	test.Tap(tb.pause)
	settle(t, g)
	if tb.box.Visible() || !tb.start.Visible() {
		t.Error("the progress stays after teaching finished")
	}
	if len(tb.plot.values) < 2 {
		t.Errorf("the plot drew %d held-out losses", len(tb.plot.values))
	}
	if !label(top(), "less surprised") {
		t.Fatal("the end of teaching does not say what it gained")
	}
	use, ok := button(top(), "Use it")
	if !ok {
		t.Fatal("no offer to answer with the adapter")
	}
	test.Tap(use)
	settle(t, g)
	if a := s.Settings().LibraryAdapters[lib.library()]; !strings.Contains(a, "adapters") {
		t.Errorf("the library's adapter is %q", a)
	}
}
