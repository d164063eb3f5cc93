package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine/llm"
)

// chatter is what the chat view needs from a model context.
type chatter interface {
	Chat(ctx context.Context, msgs []llm.Message, opts llm.GenerateOptions, emit func(string) error) (llm.Stats, error)
}

// chatView is the conversation: the transcript, the question box, Send and
// Stop, and a status line.
type chatView struct {
	g       *gui
	model   chatter
	content fyne.CanvasObject

	transcript *widget.RichText
	scroll     *container.Scroll
	input      *questionEntry
	send, stop *widget.Button
	status     *widget.Label
	base       string // model and backend, shown before the last speed

	msgs   []llm.Message
	md     strings.Builder // the transcript as Markdown
	cancel context.CancelFunc
	work   sync.WaitGroup // the answer being generated, so tests can wait
}

func newChatView(g *gui, c chatter, status string) *chatView {
	v := &chatView{g: g, model: c, base: status}
	v.transcript = widget.NewRichTextFromMarkdown(emptyChat)
	v.transcript.Wrapping = fyne.TextWrapWord
	v.scroll = container.NewVScroll(v.transcript)
	v.input = newQuestionEntry(v.onSend)
	v.input.SetPlaceHolder("Ask something… (Enter sends, Shift+Enter adds a line)")
	v.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), v.onSend)
	v.send.Importance = widget.HighImportance
	v.stop = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), v.onStop)
	v.stop.Disable()
	v.status = widget.NewLabel(status)
	newChat := widget.NewButtonWithIcon("New conversation", theme.ContentAddIcon(), v.reset)
	other := widget.NewButtonWithIcon("Change model…", theme.SettingsIcon(), g.chooseAnotherModel)
	top := container.NewHBox(newChat, other)
	bottom := container.NewBorder(nil, v.status, nil, container.NewHBox(v.send, v.stop), v.input)
	v.content = container.NewBorder(top, bottom, nil, nil, v.scroll)
	v.msgs = []llm.Message{{Role: "system", Content: "You are Carrel, a helpful assistant that runs privately on this computer."}}
	if g.win != nil {
		g.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { v.reset() })
		g.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { g.win.Canvas().Focus(v.input) })
	}
	return v
}

// emptyChat is what a new conversation shows before the first question.
const emptyChat = "*Ask anything. The answer is written by the model on this computer; nothing is sent anywhere.*"

func (v *chatView) reset() {
	v.onStop()
	v.msgs = v.msgs[:1]
	v.md.Reset()
	v.transcript.ParseMarkdown(emptyChat)
}

func (v *chatView) onStop() {
	if v.cancel != nil {
		v.cancel()
	}
}

// maxAnswerTokens bounds an answer; Stop ends one sooner.
const maxAnswerTokens = 1024

// onSend starts an answer off the UI goroutine; tokens stream into the
// transcript through fyne.Do.
func (v *chatView) onSend() {
	q := strings.TrimSpace(v.input.Text)
	if q == "" || v.cancel != nil {
		return
	}
	v.input.SetText("")
	v.msgs = append(v.msgs, llm.Message{Role: "user", Content: q})
	fmt.Fprintf(&v.md, "**You:** %s\n\n**Carrel:** ", q)
	v.render()
	ctx, cancel := context.WithCancel(v.g.ctx)
	v.cancel = cancel
	v.send.Disable()
	v.stop.Enable()
	msgs := append([]llm.Message(nil), v.msgs...)
	v.work.Add(1)
	go func() {
		defer v.work.Done()
		var answer strings.Builder
		st, err := v.model.Chat(ctx, msgs, llm.GenerateOptions{MaxTokens: maxAnswerTokens}, func(s string) error {
			answer.WriteString(s)
			fyne.Do(func() { v.md.WriteString(s); v.render() })
			return nil
		})
		cancel()
		fyne.Do(func() { v.finish(answer.String(), st, err) })
	}()
}

func (v *chatView) finish(answer string, st llm.Stats, err error) {
	v.cancel = nil
	v.send.Enable()
	v.stop.Disable()
	v.msgs = append(v.msgs, llm.Message{Role: "assistant", Content: answer})
	if errors.Is(err, context.Canceled) {
		v.md.WriteString(" *(stopped)*")
	} else if err != nil {
		v.g.showError(err)
	}
	v.md.WriteString("\n\n")
	v.render()
	v.status.SetText(fmt.Sprintf("%s · %.1f tokens/s · first token in %s", v.base, st.TokensPerSecond(), st.FirstToken.Round(1e6)))
}

func (v *chatView) render() {
	v.transcript.ParseMarkdown(v.md.String())
	v.scroll.ScrollToBottom()
}

// questionEntry is a multi-line entry where Enter sends and Shift+Enter
// starts a new line.
type questionEntry struct {
	widget.Entry
	onSubmit func()
	shift    bool
}

func newQuestionEntry(onSubmit func()) *questionEntry {
	e := &questionEntry{onSubmit: onSubmit}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.ExtendBaseWidget(e)
	return e
}

func (e *questionEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

func (e *questionEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

func (e *questionEntry) TypedKey(k *fyne.KeyEvent) {
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift {
		e.onSubmit()
		return
	}
	e.Entry.TypedKey(k)
}
