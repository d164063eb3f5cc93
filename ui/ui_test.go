package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine/llm"
)

func newTestGUI(t *testing.T) *gui {
	t.Helper()
	a := test.NewTempApp(t)
	w := a.NewWindow("Carrel")
	w.Resize(fyne.NewSize(1024, 700))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return newGUI(ctx, a, w, Options{})
}

func TestFirstRunShowsModelSetup(t *testing.T) {
	g := newTestGUI(t)
	g.start()
	found := false
	walk(g.win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && strings.Contains(b.Text, "Choose a GGUF model file") {
			found = true
		}
	})
	if !found {
		t.Fatal("the first screen has no way to choose a model")
	}
}

func TestFailedModelReturnsToSetup(t *testing.T) {
	g := newTestGUI(t)
	g.app.Preferences().SetString(prefModel, "/nonexistent/model.gguf")
	g.start()
	g.work.Wait()
	found := false
	walk(g.win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && strings.Contains(b.Text, "Choose a GGUF") {
			found = true
		}
	})
	if !found {
		t.Fatal("a model that cannot be loaded does not lead back to the setup screen")
	}
}

// fakeChatter streams fixed pieces, or blocks until cancelled.
type fakeChatter struct {
	pieces  []string
	block   bool
	got     [][]llm.Message
	started chan struct{} // closed once the pieces are emitted, if set
}

func (f *fakeChatter) Chat(ctx context.Context, msgs []llm.Message, _ llm.GenerateOptions, emit func(string) error) (llm.Stats, error) {
	f.got = append(f.got, msgs)
	for _, p := range f.pieces {
		emit(p)
	}
	if f.started != nil {
		close(f.started)
	}
	if f.block {
		<-ctx.Done()
		return llm.Stats{Reason: llm.StopCancelled}, ctx.Err()
	}
	return llm.Stats{GeneratedTokens: len(f.pieces), FirstToken: time.Millisecond, Duration: time.Second, Reason: llm.StopEOG}, nil
}

func TestChatStreamsAnswer(t *testing.T) {
	g := newTestGUI(t)
	fc := &fakeChatter{pieces: []string{"Hello", ", ", "world."}}
	v := newChatView(g, fc, "tiny · CPU")
	g.win.SetContent(v.content)
	test.Type(v.input, "What is a carrel?")
	v.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter sends
	v.work.Wait()
	if !strings.Contains(v.status.Text, "tokens/s") {
		t.Errorf("status %q", v.status.Text)
	}
	text := v.transcript.String()
	if !strings.Contains(text, "What is a carrel?") || !strings.Contains(text, "Hello, world.") {
		t.Errorf("transcript %q", text)
	}
	if v.input.Text != "" || v.send.Disabled() || !v.stop.Disabled() {
		t.Errorf("after the answer: input %q, send disabled %v, stop disabled %v", v.input.Text, v.send.Disabled(), v.stop.Disabled())
	}
	if len(v.msgs) != 3 || v.msgs[2].Content != "Hello, world." {
		t.Errorf("conversation %+v", v.msgs)
	}
	// The second question carries the first exchange.
	test.Type(v.input, "And?")
	v.onSend()
	v.work.Wait()
	if len(fc.got) != 2 || len(v.msgs) != 5 {
		t.Fatalf("%d calls, %d messages", len(fc.got), len(v.msgs))
	}
	if got := fc.got[1]; len(got) != 4 || got[1].Content != "What is a carrel?" {
		t.Errorf("second call got %+v", got)
	}
}

func TestShiftEnterAddsLine(t *testing.T) {
	g := newTestGUI(t)
	fc := &fakeChatter{}
	v := newChatView(g, fc, "")
	g.win.SetContent(v.content)
	test.Type(v.input, "line one")
	v.input.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
	v.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	v.input.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
	if len(fc.got) != 0 || !strings.Contains(v.input.Text, "\n") {
		t.Errorf("Shift+Enter sent or did not break the line: %q, %d calls", v.input.Text, len(fc.got))
	}
}

func TestStopCancelsAnswer(t *testing.T) {
	g := newTestGUI(t)
	fc := &fakeChatter{pieces: []string{"Thinking"}, block: true, started: make(chan struct{})}
	v := newChatView(g, fc, "")
	g.win.SetContent(v.content)
	test.Type(v.input, "long question")
	v.onSend()
	<-fc.started
	if v.stop.Disabled() {
		t.Error("Stop is not enabled while answering")
	}
	v.onStop()
	v.work.Wait()
	if !strings.Contains(v.transcript.String(), "(stopped)") {
		t.Errorf("transcript %q", v.transcript.String())
	}
	if v.send.Disabled() {
		t.Error("Send stays disabled after Stop")
	}
}

func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, f)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(x)
		for _, c := range r.Objects() {
			walk(c, f)
		}
	}
}
