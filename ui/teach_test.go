package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/synth"
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

// TestShrinkFromSettings makes the chat model smaller from the settings:
// the offer beside the chat model, the copy written in the data folder,
// the comparison on the library's passages, and answering with the copy.
func TestShrinkFromSettings(t *testing.T) {
	if !llm.Available() {
		t.Skip("built without cgo: no model support")
	}
	s := newStub(t)
	ctx := context.Background()
	set := s.Settings()
	// A synthetic model: stories260K's FFN (172 wide) cannot be quantized.
	model := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := synth.Write(ctx, model, synth.Options{Shape: synth.Shapes["tiny"], Type: gguf.TensorF32, ChatTemplate: synth.ChatML, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	set.ChatModel, set.EmbedModel = model, engine.NoEmbedModel
	if _, err := s.SetSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	s.Add(ctx, "", false, writeDoc(t, t.TempDir(), "keeper.md", strings.Repeat("The keeper lit the lamp at dusk and watched the ships pass the point. ", 80)))
	s.WaitIndexed(ctx)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	v := newSettingsView(g, engine.DefaultLibrary)
	offer, ok := button(v.form, "Make smaller")
	if !ok {
		t.Fatal("the settings do not offer to make the chat model smaller")
	}
	test.Tap(offer)
	if _, ok := button(g.win.Canvas().Overlays().Top(), "Make it"); !ok {
		t.Fatal("no choice of size")
	}
	g.dismissTop()
	g.shrink(model, "Q8_0", engine.DefaultLibrary)
	settle(t, g)
	top := g.win.Canvas().Overlays().Top()
	if top == nil || !label(top, "Q8_0") || !label(top, "perplexity") {
		t.Fatal("no comparison of the model and its copy")
	}
	use, ok := button(top, "Use it")
	if !ok {
		t.Fatal("no offer to answer with the copy")
	}
	test.Tap(use)
	settle(t, g)
	if got := s.Settings().ChatModel; got != filepath.Join(s.DataDir(), "models", "tiny-Q8_0.gguf") {
		t.Errorf("the chat model is %s", got)
	}
}
