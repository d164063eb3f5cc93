package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
)

// chatView is the conversation: questions, streamed answers with their
// sources as clickable chips, the question box, Send and Stop.
type chatView struct {
	g       *gui
	main    *mainView
	content fyne.CanvasObject

	turns      *fyne.Container
	scroll     *container.Scroll
	input      *questionEntry
	send, stop *widget.Button
	empty      fyne.CanvasObject

	conversation string // the engine's id; "" before the first answer
	cancel       context.CancelFunc
	last         *turnView
	stream       *deltaQueue // the answer in progress; nil between answers
}

// deltaQueue carries an answer's pieces from the engine's goroutine to the
// UI goroutine, merged: however fast the model writes, the window renders
// the answer at most once per turn of the UI loop (each render parses the
// whole answer), so it never falls behind the model; after Stop nothing
// more is shown.
type deltaQueue struct {
	mu        sync.Mutex
	pending   []engine.Delta
	scheduled bool
	stopped   bool
}

// push queues a piece; it reports whether the caller must schedule a take
// on the UI goroutine (none is scheduled yet).
func (q *deltaQueue) push(d engine.Delta) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return false
	}
	q.pending = append(q.pending, d)
	if q.scheduled {
		return false
	}
	q.scheduled = true
	return true
}

// take returns the pieces queued since the last take.
func (q *deltaQueue) take() []engine.Delta {
	q.mu.Lock()
	defer q.mu.Unlock()
	ds := q.pending
	q.pending, q.scheduled = nil, false
	return ds
}

// stop drops what is queued and everything pushed later.
func (q *deltaQueue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped, q.pending = true, nil
}

func newChatView(g *gui, m *mainView) *chatView {
	v := &chatView{g: g, main: m}
	welcome := widget.NewRichTextFromMarkdown("## Ask your documents\n\nAnswers come from the documents in your library, with the file and page of every source. " +
		"When the documents do not say, Carrel tells you so. Nothing leaves this computer.")
	welcome.Wrapping = fyne.TextWrapWord
	v.empty = welcome
	v.turns = container.NewVBox(welcome)
	v.scroll = container.NewVScroll(v.turns)
	v.input = newQuestionEntry(v.onSend)
	v.input.SetPlaceHolder("Ask about your documents… (Shift+Enter: new line)")
	// What is typed goes to the engine as it changes, so the model can
	// read the likely sources before Enter; the call returns at once.
	v.input.OnChanged = func(text string) { v.g.eng.Typing(text, v.askOptions()) }
	v.send = widget.NewButtonWithIcon("Ask", theme.MailSendIcon(), v.onSend)
	v.send.Importance = widget.HighImportance
	v.stop = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), v.stopAnswer)
	v.stop.Disable()
	newChat := widget.NewButtonWithIcon("New", theme.ContentAddIcon(), v.newConversation)
	export := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), v.copyConversation)
	history := widget.NewButtonWithIcon("History", theme.HistoryIcon(), v.showHistory)
	settings := widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), func() { g.showSettings(m.library.library()) })
	top := container.NewHBox(newChat, history, export, settings)
	bottom := container.NewBorder(nil, nil, nil, container.NewHBox(v.send, v.stop), v.input)
	v.content = container.NewBorder(top, bottom, nil, nil, v.scroll)
	return v
}

func (v *chatView) newConversation() {
	v.stopAnswer()
	v.conversation = ""
	v.turns.Objects = []fyne.CanvasObject{v.empty}
	v.turns.Refresh()
	v.g.win.Canvas().Focus(v.input)
}

func (v *chatView) stopAnswer() {
	if v.stream != nil {
		v.stream.stop()
	}
	if v.cancel != nil {
		v.cancel()
	}
}

func (v *chatView) close() { v.stopAnswer() }

// askOptions is how the question in the box will be asked: in the chosen
// library, continuing the conversation, about one document when one is
// chosen.
func (v *chatView) askOptions() engine.AskOptions {
	o := engine.AskOptions{Library: v.main.library.library(), Conversation: v.conversation}
	if only := v.main.library.askOnly(); only != "" {
		o.Documents = []string{only}
	}
	return o
}

// onSend asks the engine off the UI goroutine; the answer streams into its
// turn through the UI goroutine.
func (v *chatView) onSend() {
	q := strings.TrimSpace(v.input.Text)
	if q == "" || v.cancel != nil {
		return
	}
	v.input.SetText("")
	if len(v.turns.Objects) == 1 && v.turns.Objects[0] == v.empty {
		v.turns.Objects = nil
	}
	t := newTurnView(v, q)
	t.started = time.Now()
	v.last = t
	v.turns.Add(t.content)
	v.scroll.ScrollToBottom()
	ctx, cancel := context.WithCancel(v.g.ctx)
	// The stage line counts the seconds while the answer is made; the
	// ticker runs only then, so an idle window does no work.
	go func() {
		tk := time.NewTicker(500 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tk.C:
				v.g.do(func() { t.tick(now) })
			}
		}
	}()
	v.cancel = cancel
	v.send.Disable()
	v.stop.Enable()
	opts := v.askOptions()
	if len(opts.Documents) > 0 {
		t.scope(filepath.Base(opts.Documents[0]))
	}
	stream := &deltaQueue{}
	v.stream = stream
	v.g.goWork(func(context.Context) {
		a, err := v.g.eng.Ask(ctx, q, opts, func(d engine.Delta) error {
			if stream.push(d) {
				v.g.do(func() {
					if ds := stream.take(); len(ds) > 0 {
						t.apply(ds)
						v.scroll.ScrollToBottom()
					}
				})
			}
			return ctx.Err() // Stop ends generation at the next token
		})
		cancel()
		v.g.do(func() { v.finish(t, a, err) })
	})
}

func (v *chatView) finish(t *turnView, a *engine.Answer, err error) {
	v.cancel, v.stream = nil, nil
	v.send.Enable()
	v.stop.Disable()
	if a != nil {
		v.conversation = a.Conversation
		if a.Timings.TokensPerS > 0 {
			v.main.lastSpeed = a.Timings.TokensPerS
			v.main.updateStatus()
		}
	}
	t.finish(a, err)
	if err != nil && !errors.Is(err, context.Canceled) {
		v.g.showError(err)
	}
	v.turns.Refresh()
	v.scroll.Refresh()
	v.scroll.ScrollToBottom()
}

// showHistory lists the saved conversations; opening one shows it and
// continues it. Each can be renamed or deleted there.
func (v *chatView) showHistory() {
	v.conversations(func(list []engine.ConversationSummary) {
		if len(list) == 0 {
			v.g.show(dialog.NewInformation("History", "No conversations yet.", v.g.win))
			return
		}
		var d dialog.Dialog
		var rows *widget.List
		reload := func() {
			v.conversations(func(l []engine.ConversationSummary) {
				list = l
				rows.Refresh()
			})
		}
		rows = widget.NewList(func() int { return len(list) },
			func() fyne.CanvasObject {
				l := widget.NewLabel("conversation")
				l.Truncation = fyne.TextTruncateEllipsis
				rename := widget.NewButtonWithIcon("Rename", theme.DocumentCreateIcon(), nil)
				del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), nil)
				return container.NewBorder(nil, nil, nil, container.NewHBox(rename, del), l)
			},
			func(i widget.ListItemID, o fyne.CanvasObject) {
				if i >= len(list) {
					return
				}
				c := list[i]
				row := o.(*fyne.Container)
				row.Objects[0].(*widget.Label).SetText(fmt.Sprintf("%s — %s, %s", c.Title, c.Updated.Local().Format("2 Jan 15:04"), plural(c.Turns, "question")))
				buttons := row.Objects[1].(*fyne.Container).Objects
				buttons[0].(*widget.Button).OnTapped = func() { v.renameConversation(c, reload) }
				buttons[1].(*widget.Button).OnTapped = func() { v.deleteConversation(c, reload) }
			})
		rows.OnSelected = func(i widget.ListItemID) {
			d.Hide()
			v.open(list[i].ID)
		}
		d = dialog.NewCustom("History", "Close", rows, v.g.win)
		d.Resize(fyne.NewSize(720, 480))
		v.g.show(d)
	})
}

// conversations reads the saved conversations off the UI goroutine and
// gives them to show on it (an error is shown instead).
func (v *chatView) conversations(show func([]engine.ConversationSummary)) {
	v.g.goWork(func(context.Context) {
		list, err := v.g.eng.Conversations()
		v.g.do(func() {
			if err != nil {
				v.g.showError(err)
				return
			}
			show(list)
		})
	})
}

// renameConversation asks for a new title for c.
func (v *chatView) renameConversation(c engine.ConversationSummary, then func()) {
	e := newDialogEntry(v.g, false)
	e.SetText(c.Title)
	v.g.showForm("Rename conversation", "Rename", "Cancel", []*widget.FormItem{widget.NewFormItem("Title", e)}, []*dialogEntry{e}, func(ok bool) {
		title := strings.TrimSpace(e.Text)
		if !ok || title == "" || title == c.Title {
			return
		}
		v.g.goWork(func(context.Context) {
			err := v.g.eng.RenameConversation(c.ID, title)
			v.g.do(func() {
				if err != nil {
					v.g.showError(err)
				}
				then()
			})
		})
	})
	v.g.win.Canvas().Focus(e)
}

// deleteConversation deletes c after asking; the window starts a new
// conversation if c was the one shown.
func (v *chatView) deleteConversation(c engine.ConversationSummary, then func()) {
	v.g.show(dialog.NewConfirm("Delete conversation", fmt.Sprintf("Delete “%s” and its answers? This cannot be undone.", c.Title), func(ok bool) {
		if !ok {
			return
		}
		v.g.goWork(func(context.Context) {
			err := v.g.eng.DeleteConversation(c.ID)
			v.g.do(func() {
				if err != nil {
					v.g.showError(err)
				} else if v.conversation == c.ID {
					v.newConversation()
				}
				then()
			})
		})
	}, v.g.win))
}

// open shows a saved conversation; the next question continues it.
func (v *chatView) open(id string) {
	v.g.goWork(func(context.Context) {
		c, err := v.g.eng.Conversation(id)
		v.g.do(func() {
			if err != nil {
				v.g.showError(err)
				return
			}
			v.stopAnswer()
			v.turns.Objects = nil
			for i := range c.Turns {
				a := &c.Turns[i]
				t := newTurnView(v, a.Question)
				t.text.WriteString(a.Text)
				t.sources = a.Sources
				t.finish(a, nil)
				v.turns.Add(t.content)
				v.last = t
			}
			v.conversation = c.ID
			v.turns.Refresh()
			v.scroll.ScrollToBottom()
		})
	})
}

// copyConversation puts the conversation, with its sources as footnotes,
// on the clipboard.
func (v *chatView) copyConversation() {
	id := v.conversation
	if id == "" {
		return
	}
	v.g.goWork(func(context.Context) {
		md, err := v.g.eng.ExportConversation(id)
		v.g.do(func() {
			if err != nil {
				v.g.showError(err)
				return
			}
			v.g.app.Clipboard().SetContent(md)
			v.main.indexing = "conversation copied"
			v.main.updateStatus()
		})
	})
}

// turnView is one question and its answer.
type turnView struct {
	chat    *chatView
	content *fyne.Container
	answer  *widget.RichText
	// stage says what the answer is waiting for, with the time it has
	// taken, while it is being made (see stageText).
	stage    *widget.Label
	started  time.Time
	reading  int       // passages the model reads, once they are known (-1: none new)
	writing  time.Time // when the first words came
	done     bool
	chips    *fyne.Container
	note     *widget.Label
	text     strings.Builder
	sources  []engine.Source
	citation map[int]engine.Citation
}

func newTurnView(c *chatView, question string) *turnView {
	t := &turnView{chat: c, citation: map[int]engine.Citation{}}
	q := widget.NewLabelWithStyle(question, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	q.Wrapping = fyne.TextWrapWord
	t.answer = widget.NewRichText(markdownSegments("*Searching your documents…*")...)
	t.answer.Wrapping = fyne.TextWrapWord
	t.chips = container.NewVBox()
	t.note = widget.NewLabel("")
	t.note.Wrapping = fyne.TextWrapWord
	t.note.Importance = widget.LowImportance
	t.note.Hide()
	t.stage = widget.NewLabel("")
	t.stage.Wrapping = fyne.TextWrapWord
	t.stage.Importance = widget.LowImportance
	t.stage.Hide()
	t.content = container.NewVBox(q, t.answer, t.stage, t.chips, t.note, widget.NewSeparator())
	return t
}

// scope says under the question that it was asked of one document.
func (t *turnView) scope(name string) {
	l := widget.NewLabel("Asked of " + name + " only")
	l.Importance = widget.LowImportance
	t.content.Objects = append(t.content.Objects[:1], append([]fyne.CanvasObject{l}, t.content.Objects[1:]...)...)
	t.content.Refresh()
}

// Stages slower than these get advice: the model reading its sources
// (prompt processing), and writing in words a second.
const (
	slowReading = 20 * time.Second
	slowWriting = 1.5 // words/s, judged after slowAfter of writing
	slowAfter   = 8 * time.Second
)

// stageText is the line under an answer being made: searching, reading
// n passages or writing, with the time since the question; and when the
// model is unusually slow, what would help.
func stageText(since time.Duration, reading int, writingFor time.Duration, words int) string {
	secs := func(d time.Duration) string {
		if d < 10*time.Second {
			return fmt.Sprintf("%.1f s", d.Seconds())
		}
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
	switch {
	case writingFor > 0:
		s := "Writing · " + secs(since)
		if rate := float64(words) / writingFor.Seconds(); writingFor >= slowAfter && rate < slowWriting {
			s += fmt.Sprintf("\nWriting slowly (%.1f words/s): a smaller model answers faster; so do fewer threads (Settings) while other programs keep the processor busy.", rate)
		}
		return s
	case reading < 0:
		return "Reading the question (its passages were read before) · " + secs(since)
	case reading > 0:
		s := fmt.Sprintf("Reading %s · %s", plural(reading, "passage"), secs(since))
		if since >= slowReading {
			s += "\nThe model reads slowly on this computer: fewer sources per answer (Settings) or a smaller model answers sooner."
		}
		return s
	}
	return "Searching your documents · " + secs(since)
}

// tick updates the stage line; it returns false once the answer is done.
func (t *turnView) tick(now time.Time) bool {
	if t.done {
		return false
	}
	var writingFor time.Duration
	if !t.writing.IsZero() {
		writingFor = max(now.Sub(t.writing), time.Millisecond)
	}
	t.stage.SetText(stageText(now.Sub(t.started), t.reading, writingFor, len(strings.Fields(t.text.String()))))
	t.stage.Show()
	return true
}

// delta adds a piece of the streamed answer.
// apply adds streamed pieces to the answer and renders it once.
func (t *turnView) apply(ds []engine.Delta) {
	wrote := false
	for _, d := range ds {
		if d.Sources != nil {
			t.sources = d.Sources
			// The kept ones were read for an earlier question; -1: all were.
			if t.reading = len(d.Sources) - d.Kept; t.reading == 0 {
				t.reading = -1
			}
			if len(d.Sources) > 0 && t.text.Len() == 0 {
				t.answer.Segments = markdownSegments(readingText(d.Sources, d.Preview))
				t.answer.Refresh()
			}
		}
		if d.Text != "" {
			if t.writing.IsZero() {
				t.writing = time.Now()
			}
			t.text.WriteString(d.Text)
			wrote = true
		}
	}
	if wrote {
		t.render()
	}
}

// readingText is what an answer shows while the model reads its sources:
// how many, and at once the best source's sentence that matches the
// question, with where it comes from.
func readingText(src []engine.Source, p *engine.Preview) string {
	s := fmt.Sprintf("*Reading %d passages…*", len(src))
	if p == nil || p.Source < 1 || p.Source > len(src) {
		return s
	}
	quote := strings.Join(strings.Fields(p.Text), " ")
	return s + "\n\n> " + markdownEscape(quote) + "\n\n— " + markdownEscape(src[p.Source-1].Locator())
}

// markdownEscape keeps text literal in Markdown.
func markdownEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "#", `\#`, "`", "\\`", "<", `\<`).Replace(s)
}

var citeMarker = regexp.MustCompile(`\[(\d+)\]`)

// Fyne's Markdown renderer breaks text at brackets ("[1]" shows as
// "[ 1]"), so citation markers are parsed as private characters and put
// back afterwards.
const openMark, closeMark = "\uE000", "\uE001"

var unmark = strings.NewReplacer(openMark, "[", closeMark, "]")

// render shows the answer as Markdown with its "[1]" citation markers.
func (t *turnView) render() {
	t.answer.Segments = markdownSegments(citeMarker.ReplaceAllString(t.text.String(), openMark+"$1"+closeMark))
	restoreMarks(t.answer.Segments)
	t.answer.Refresh()
}

func restoreMarks(segs []widget.RichTextSegment) {
	for _, s := range segs {
		switch x := s.(type) {
		case *widget.TextSegment:
			x.Text = unmark.Replace(x.Text)
		case *widget.ParagraphSegment:
			restoreMarks(x.Texts)
		case *widget.ListSegment:
			restoreMarks(x.Items)
		}
	}
}

// finish shows the sources as chips and what kind of answer it was.
func (t *turnView) finish(a *engine.Answer, err error) {
	t.done = true
	t.stage.Hide()
	if a == nil {
		if t.text.Len() == 0 {
			t.answer.Segments = markdownSegments("*No answer.*")
			t.answer.Refresh()
		}
		return
	}
	if errors.Is(err, context.Canceled) {
		t.text.WriteString(" *(stopped)*")
	}
	t.render()
	for _, c := range a.Citations {
		t.citation[c.N] = c
	}
	var note string
	switch a.Outcome {
	case engine.NotFound:
		t.addChips(a.Related, "These passages might be related:")
		note = "Not found in your documents, so the model was not asked (it would have guessed)."
	case engine.RetrievalOnly:
		t.addChips(a.Sources, "")
		note = "No model is set, so these are the passages that best match. Choose one in Settings → Chat model → Change…"
	case engine.Ungrounded:
		note = "Answered from the model's own knowledge, not from your documents."
	default:
		cited := a.Sources[:0:0]
		for _, s := range a.Sources {
			if _, ok := t.citation[s.N]; ok {
				cited = append(cited, s)
			}
		}
		if len(cited) == 0 {
			cited = a.Sources
			note = "The model cited none of its sources: check the answer against them."
		}
		t.addChips(cited, "")
		for _, c := range a.Citations {
			if !c.Supported {
				note = strings.TrimSpace(note + fmt.Sprintf(" Source %d shares few words with the sentence citing it: check it.", c.N))
			}
		}
		if !a.IndexedAt.IsZero() {
			note = strings.TrimSpace(note + " Index fresh as of " + a.IndexedAt.Local().Format("2 Jan 15:04") + ".")
		}
	}
	if a.Model.Server != "" && (a.Outcome == engine.Answered || a.Outcome == engine.Ungrounded) {
		// The answer was written on another machine: each answer says
		// where, as a library may have a model server of its own.
		note = strings.TrimSpace(note + " Written by " + a.Model.Name + " on the model server " + a.Model.Server + ".")
	}
	if note != "" {
		t.note.SetText(note)
		t.note.Show()
	}
}

func (t *turnView) addChips(src []engine.Source, heading string) {
	if heading != "" && len(src) > 0 {
		l := widget.NewLabel(heading)
		l.Importance = widget.LowImportance
		t.chips.Add(l)
	}
	for _, s := range src {
		s := s
		label := fmt.Sprintf("[%d] %s", s.N, s.Locator())
		if c, ok := t.citation[s.N]; ok && !c.Supported {
			label = "⚠ " + label
		}
		b := widget.NewButton(label, func() { t.chat.main.viewer.show(s) })
		b.Alignment = widget.ButtonAlignLeading
		t.chips.Add(container.NewHBox(b))
	}
}

// questionEntry is a multi-line entry where Enter sends and Shift+Enter
// starts a new line.
type questionEntry struct {
	widget.Entry
	onSubmit func()
	shift    bool
	// window handles the window's own shortcuts (Ctrl/Cmd+N …), which an
	// entry with the focus would otherwise swallow; it reports whether it
	// took the shortcut.
	window func(*desktop.CustomShortcut) bool
}

// TypedShortcut gives the window's shortcuts to the window first, then
// the entry's own (copy, paste, select all…) to the entry.
func (e *questionEntry) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && e.window != nil && e.window(cs) {
		return
	}
	e.Entry.TypedShortcut(s)
}

func newQuestionEntry(onSubmit func()) *questionEntry {
	e := &questionEntry{onSubmit: onSubmit}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(2)
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
