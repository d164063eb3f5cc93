package ui

import (
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/carrel-ai/carrel/engine/status"
)

// Tour drives the real window through its main states and saves a
// screenshot of each: for the README and for people checking that the app
// looks right. It runs on its own goroutine; UI work goes through fyne.Do.
type Tour struct {
	Out      string   // folder for the PNG files
	Model    string   // GGUF chat model to choose on the setup screen
	Docs     []string // files and folders to drop on the window
	Question string   // a question the documents answer
	Unknown  string   // a question they do not
	// Scan, if set, is a question answered from a scanned page among the
	// documents: its source is shown with the passage marked on the scan.
	Scan string
	// Shoot saves a screenshot of the screen to a PNG file; nil captures
	// the window's canvas (which some GL drivers, such as Xvfb's software
	// GL, return blank).
	Shoot func(path string) error
}

// run performs the tour, then closes the window.
func (t Tour) run(g *gui) error {
	defer fyne.Do(g.win.Close)
	if err := os.MkdirAll(t.Out, 0o755); err != nil {
		return err
	}
	shot := func(name string) error {
		time.Sleep(400 * time.Millisecond) // let the frame settle
		if t.Shoot != nil {
			return t.Shoot(filepath.Join(t.Out, name+".png"))
		}
		var err error
		fyne.DoAndWait(func() {
			img := g.win.Canvas().Capture()
			var f *os.File
			if f, err = os.Create(filepath.Join(t.Out, name+".png")); err != nil {
				return
			}
			defer f.Close()
			err = png.Encode(f, img)
		})
		return err
	}
	waitFor := func(what string, limit time.Duration, cond func() bool) error {
		deadline := time.Now().Add(limit)
		for time.Now().Before(deadline) {
			ok := false
			fyne.DoAndWait(func() { ok = cond() })
			if ok {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("tour: timed out waiting for %s", what)
	}
	if err := waitFor("the setup screen", 20*time.Second, func() bool { return g.main == nil }); err != nil {
		return err
	}
	time.Sleep(time.Second) // discovery
	if err := shot("1-setup"); err != nil {
		return err
	}
	fyne.Do(func() { g.useModel(t.Model) })
	if err := waitFor("the main window", 20*time.Second, func() bool { return g.main != nil }); err != nil {
		return err
	}
	if err := shot("2-empty-library"); err != nil {
		return err
	}
	var uris []fyne.URI
	for _, d := range t.Docs {
		abs, _ := filepath.Abs(d)
		uris = append(uris, storage.NewFileURI(abs))
	}
	fyne.Do(func() { g.main.library.addURIs(uris) })
	if err := waitFor("indexing to start", 20*time.Second, func() bool { return g.main.library.progressBox.Visible() || len(g.main.library.docs) > 0 }); err != nil {
		return err
	}
	time.Sleep(700 * time.Millisecond)
	if err := shot("3-indexing"); err != nil {
		return err
	}
	// Indexing takes as long as the documents and the machine make it:
	// the tour waits while it progresses, and gives up only when nothing
	// has moved for a while.
	finished := func() bool {
		if len(g.main.library.docs) == 0 || g.main.library.progressBox.Visible() {
			return false
		}
		for _, d := range g.main.library.docs {
			if d.Status != status.Ready && d.Status != status.Failed {
				return false
			}
		}
		return true
	}
	progress := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "%.3f", g.main.library.bar.Value)
		for _, d := range g.main.library.docs {
			b.WriteString(string(d.Status))
		}
		return b.String()
	}
	for last := ""; ; {
		err := waitFor("indexing to finish", 10*time.Minute, func() bool { return finished() || progress() != last })
		if err != nil {
			return fmt.Errorf("%w (no progress for 10 minutes)", err)
		}
		done := false
		fyne.DoAndWait(func() { done, last = finished(), progress() })
		if done {
			break
		}
		time.Sleep(time.Second)
	}
	// Select a failed document, so its reason shows.
	fyne.DoAndWait(func() {
		for i, d := range g.main.library.docs {
			if d.Status == status.Failed {
				g.main.library.list.Select(i)
				g.main.library.list.ScrollTo(i)
				break
			}
		}
	})
	if err := shot("4-library"); err != nil {
		return err
	}
	ask := func(q string) error {
		fyne.Do(func() {
			g.main.chat.input.SetText(q)
			g.main.chat.onSend()
		})
		return waitFor("the answer", 3*time.Minute, func() bool { return g.main.chat.cancel == nil && g.main.chat.last != nil })
	}
	if err := ask(t.Question); err != nil {
		return err
	}
	if err := shot("5-answer"); err != nil {
		return err
	}
	fyne.DoAndWait(func() {
		if last := g.main.chat.last; last != nil && len(last.sources) > 0 {
			g.main.viewer.show(last.sources[0])
		}
	})
	// The page is drawn in the background: wait for it (or for the text,
	// for other formats).
	waitFor("the source", 60*time.Second, func() bool {
		v := g.main.viewer
		return v.page.Visible() || (!strings.EqualFold(filepath.Ext(v.source.Path), ".pdf") && len(v.text.Segments) > 0)
	})
	time.Sleep(500 * time.Millisecond)
	if err := shot("6-source"); err != nil {
		return err
	}
	if err := ask(t.Unknown); err != nil {
		return err
	}
	if err := shot("7-not-found"); err != nil {
		return err
	}
	if t.Scan == "" {
		return nil
	}
	if err := ask(t.Scan); err != nil {
		return err
	}
	var cited bool
	fyne.DoAndWait(func() {
		if last := g.main.chat.last; last != nil && len(last.sources) > 0 {
			g.main.viewer.show(last.sources[0])
			cited = true
		}
	})
	if !cited {
		return fmt.Errorf("tour: the answer to %q cites nothing", t.Scan)
	}
	if err := waitFor("the scanned page", 60*time.Second, func() bool { return g.main.viewer.page.Visible() }); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	return shot("8-scan-source")
}

// ErrTour wraps a failed tour.
var ErrTour = errors.New("ui: the screenshot tour failed")

// runTour starts the tour once the window shows.
func (g *gui) runTour(t Tour, done func(error)) {
	go func() {
		err := t.run(g)
		if err != nil {
			err = fmt.Errorf("%w: %v", ErrTour, err)
		}
		done(err)
	}()
}
