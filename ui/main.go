package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/event"
)

// mainView is the main window: the library on the left, the conversation
// in the middle, the source viewer on the right, a status bar below.
type mainView struct {
	g       *gui
	content fyne.CanvasObject
	library *libraryView
	chat    *chatView
	viewer  *viewerView
	status  *widget.Label

	lastSpeed   float64 // tokens/s of the last answer
	indexing    string  // what indexing is doing, for the status bar
	unsubscribe func()
	done        chan struct{}
}

func newMainView(g *gui) *mainView {
	v := &mainView{g: g, status: widget.NewLabel(""), done: make(chan struct{})}
	v.library = newLibraryView(g, v)
	v.viewer = newViewerView(g)
	v.chat = newChatView(g, v)
	right := container.NewHSplit(v.chat.content, v.viewer.content)
	right.Offset = 0.56
	split := container.NewHSplit(v.library.content, right)
	split.Offset = 0.24
	v.content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), v.status), nil, nil, split)

	g.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { v.library.addURIs(uris) })
	// The window's shortcuts work wherever the focus is: the question box
	// (the usual focus) hands them over instead of swallowing them.
	keys := map[fyne.KeyName]func(){
		fyne.KeyN: v.chat.newConversation,
		fyne.KeyL: func() { g.win.Canvas().Focus(v.chat.input) },
		fyne.KeyQ: g.app.Quit,
	}
	for k, f := range keys {
		g.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { f() })
	}
	v.chat.input.window = func(s *desktop.CustomShortcut) bool {
		f, ok := keys[s.KeyName]
		if ok && s.Modifier == fyne.KeyModifierShortcutDefault {
			f()
			return true
		}
		return false
	}

	events, stop := g.eng.Subscribe()
	v.unsubscribe = stop
	go v.listen(events)
	return v
}

// listen turns engine events into widget updates. Document lists are
// refreshed at most a few times a second however fast files finish, and
// not at all while nothing happens: the timer runs only when a refresh is
// due, so an idle window does no work.
func (v *mainView) listen(events <-chan event.Event) {
	defer close(v.done)
	var due <-chan time.Time // set while a refresh is pending
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			switch ev.Kind {
			case event.ModelLoading, event.ModelReady, event.ModelFailed:
				v.g.do(func() {
					v.updateStatus()
					if ev.Kind == event.ModelFailed {
						v.g.showError(fmt.Errorf("the chat model could not be loaded: %w", ev.Err))
					}
				})
				continue
			case event.Page:
				// A page of a scan: its row says which, without reading
				// the whole list again.
				v.g.do(func() { v.library.progress(ev) })
				continue
			case event.Progress, event.Indexing, event.Idle:
				v.g.do(func() { v.library.progress(ev); v.updateStatus() })
			}
			if due == nil {
				due = time.After(300 * time.Millisecond)
			}
		case <-due:
			due = nil
			v.g.do(v.library.reload)
		}
	}
}

func (v *mainView) refresh() {
	v.library.reload()
	v.updateStatus()
}

// updateStatus writes the status bar: the model and where it runs, the
// speed of the last answer, and indexing activity.
func (v *mainView) updateStatus() {
	st := v.g.eng.ChatModel()
	text := ""
	switch st.State {
	case engine.ModelReady:
		where := st.Placement.Backend
		switch {
		case st.Remote != "":
			// Answers leave this computer: say so, and to where.
			where = "remote: " + st.Remote
		case st.Placement.GPULayers == 0:
			where = "CPU, " + plural(st.Threads, "thread")
		}
		text = fmt.Sprintf("%s · %s", st.Info.Name, where)
	case engine.ModelLoading:
		text = "Loading the model…"
	case engine.ModelFailed:
		text = "The model could not be loaded"
	default:
		text = "No model: answers show passages only"
	}
	if v.lastSpeed > 0 {
		text += fmt.Sprintf(" · last answer %.1f tokens/s", v.lastSpeed)
	}
	if v.indexing != "" {
		text += " · " + v.indexing
	}
	v.status.SetText(text)
}

func (v *mainView) close() {
	v.chat.close()
	v.unsubscribe()
	<-v.done
}
