package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// ErrRestart is what Run returns when the person asked Carrel to start
// again: where libraries live is fixed while the engine is open
// (engine.Engine.AtNextOpening), so using new places, or trying a server
// that was away, takes a new start. A caller that sets Options.CanRestart
// starts the window again when it gets it.
var ErrRestart = errors.New("ui: the person asked Carrel to start again")

// restartNow closes the window so that Run returns ErrRestart. Work in
// progress is safe: indexing resumes where it stopped at the next start,
// and conversations are saved as they go.
func (g *gui) restartNow() {
	g.restart.Store(true)
	if g.quit != nil {
		g.quit()
		return
	}
	g.win.Close()
}

// offerRestart says which saved settings wait for the next start, and
// offers to start again now when the caller can.
func (g *gui) offerRestart(waiting []string) {
	msg := fmt.Sprintf("Your changes to %s take effect when Carrel starts again. Until then, your libraries stay where they are.", strings.Join(waiting, " and "))
	if !g.opts.CanRestart {
		g.show(dialog.NewInformation("At the next start", msg, g.win))
		return
	}
	g.askRestart("Start Carrel again?", "Restart now", "Later", msg+"\n\nIndexing in progress goes on where it stopped.")
}

// showAway says why a library is out of reach; a new start tries its
// server again, so it is offered when the caller can start Carrel again.
func (g *gui) showAway(title, msg string) {
	if !g.opts.CanRestart {
		g.show(dialog.NewInformation(title, msg, g.win))
		return
	}
	g.askRestart(title, "Restart Carrel to try again", "Close", msg)
}

// askRestart shows msg with a button that starts Carrel again.
func (g *gui) askRestart(title, restart, dismiss, msg string) {
	g.show(textConfirm(g.win, title, restart, dismiss, msg, fyne.NewSize(480, 240), func(ok bool) {
		if ok {
			g.restartNow()
		}
	}))
}

// textConfirm is a confirmation of a message that wraps, at size: a
// wrapping label alone would make the dialog as narrow as one word.
func textConfirm(w fyne.Window, title, confirm, dismiss, msg string, size fyne.Size, answer func(bool)) dialog.Dialog {
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, confirm, dismiss, text, answer, w)
	d.Resize(size)
	return d
}
