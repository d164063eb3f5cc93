package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Keys every dialog answers to, which Fyne's dialogs do not: Escape
// dismisses the dialog on top (as its Cancel, No, Close or OK button
// would), and Enter in a dialog's text field submits it. Dialogs are shown
// through g.show, which keeps the stack Escape works on.

// show shows a dialog and keeps it on the window's stack of open
// dialogs, so Escape can dismiss the one on top.
func (g *gui) show(d dialog.Dialog) {
	g.dialogs = append(g.dialogs, d)
	d.SetOnClosed(func() {
		for i, x := range g.dialogs {
			if x == d {
				g.dialogs = append(g.dialogs[:i], g.dialogs[i+1:]...)
				break
			}
		}
	})
	d.Show()
}

// dismissTop dismisses the dialog on top, as its Cancel, No, Close or
// OK button would; it reports whether one was open.
func (g *gui) dismissTop() bool {
	if len(g.dialogs) == 0 {
		return false
	}
	g.dialogs[len(g.dialogs)-1].Hide() // Hide answers "no" to its callback
	return true
}

// onKey handles keys no widget took: Escape closes the dialog on top.
func (g *gui) onKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		g.dismissTop()
	}
}

// dialogEntry is a text field of a dialog: Enter submits the dialog and
// Escape dismisses it, though the field has the focus (which keeps keys
// from the window).
type dialogEntry struct {
	widget.Entry
	g *gui
}

func newDialogEntry(g *gui, password bool) *dialogEntry {
	e := &dialogEntry{g: g}
	e.Password = password
	e.ExtendBaseWidget(e)
	return e
}

func (e *dialogEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.g.dismissTop()
		return
	}
	e.Entry.TypedKey(k)
}

// showForm shows a form dialog whose fields submit it with Enter.
func (g *gui) showForm(title, confirm, dismiss string, items []*widget.FormItem, entries []*dialogEntry, done func(bool)) {
	d := dialog.NewForm(title, confirm, dismiss, items, done, g.win)
	for _, e := range entries {
		e.OnSubmitted = func(string) { d.Submit() }
	}
	g.show(d)
}
