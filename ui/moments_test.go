package ui

import (
	"cmp"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
)

// TestWindowMoments draws the moments of an answer that a screenshot of
// the running app cannot catch (with the small models here they last a
// fraction of a second): the preview and the stage line while the model
// reads, and a long answer streamed in pieces cut inside words, at two
// window widths. The real views draw them through Fyne's test driver, with
// a scripted engine; each is checked. With CARREL_SCREENSHOTS set to a
// folder the pictures are written there (make screenshots writes the
// README's).
func TestWindowMoments(t *testing.T) {
	out := os.Getenv("CARREL_SCREENSHOTS")
	save := func(name string, img image.Image) {
		if out == "" {
			return
		}
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
	}
	src := []engine.Source{
		{N: 1, Path: "/home/ana/papers/tracemonkey.pdf", Page: 1, Text: "Dynamic languages such as JavaScript are more difficult to compile than statically typed ones. We present a trace-based compilation technique for dynamic languages."},
		{N: 2, Path: "/home/ana/papers/tracemonkey.pdf", Page: 2, Text: "A trace tree is a tree of traces that share a common anchor."},
		{N: 3, Path: "/home/ana/notes/jit.md", Heading: "Tracing JITs", Text: "Tracing JITs record hot loops."},
	}
	preview := &engine.Preview{Source: 1, Text: "We present a trace-based compilation technique for dynamic languages."}

	t.Run("reading", func(t *testing.T) {
		s := newStub(t)
		s.deltas = []engine.Delta{{Sources: src, Preview: preview}}
		s.answer = &engine.Answer{Outcome: engine.Answered, Stop: "cancelled"}
		s.block, s.asked = true, make(chan struct{})
		g := newTestGUI(t, s)
		g.showMain()
		c := g.main.chat
		test.Type(c.input, "What is trace-based just-in-time type specialization?")
		sent := time.Now()
		c.onSend()
		<-s.asked
		for _, f := range mustQueue(g).take() {
			f()
		}
		c.last.tick(sent.Add(4 * time.Second))
		// The GL driver lays out again at every frame whatever changed
		// size; the test driver draws what it is told to.
		c.last.content.Refresh()
		shown := c.last.answer.String()
		if !strings.Contains(shown, "Reading 3 passages") || !strings.Contains(shown, "trace-based compilation technique") || !strings.Contains(shown, "tracemonkey.pdf, page 1") {
			t.Errorf("while reading, the answer shows %q", shown)
		}
		if !strings.HasPrefix(c.last.stage.Text, "Reading 3 passages · 4.0 s") {
			t.Errorf("stage %q", c.last.stage.Text)
		}
		save("answer-reading.png", g.win.Canvas().Capture())
		c.stopAnswer()
		settle(t, g)
	})

	// The study's collapse: a word cut between pieces ("L|ily") made the
	// rest of the answer one letter per line. Drawn at two widths, the
	// answer must keep whole words on every line.
	long := "Lily and Tom built a trace-based compiler for JavaScript [1]. It records the loops a program runs most often as traces, " +
		"compiles each trace to machine code specialised for the types it saw, and falls back to the interpreter when a type differs [1][2]. " +
		"A trace tree joins the traces that start at the same loop header, so that a loop with several paths is compiled once for each of them [2]. " +
		"The result runs typical web programs several times faster than the interpreter alone, with a compiler small enough for a browser [1]."
	var pieces []engine.Delta
	pieces = append(pieces, engine.Delta{Sources: src})
	for i := 0; i < len(long); i += 7 { // pieces cut inside words
		pieces = append(pieces, engine.Delta{Text: long[i:min(i+7, len(long))]})
	}
	for _, width := range []float32{1024, 760} {
		t.Run(fmt.Sprintf("long answer at %.0f", width), func(t *testing.T) {
			s := newStub(t)
			s.deltas = pieces
			s.answer = &engine.Answer{Outcome: engine.Answered, Grounded: true, Text: long, Sources: src,
				Citations: []engine.Citation{{Source: src[0], Supported: true, Support: 1}, {Source: src[1], Supported: true, Support: 1}}}
			g := newTestGUI(t, s)
			g.win.Resize(fyne.NewSize(width, 700))
			g.showMain()
			c := g.main.chat
			test.Type(c.input, "How does TraceMonkey compile JavaScript?")
			c.onSend()
			settle(t, g)
			if got := c.last.answer.String(); !strings.Contains(got, "Lily and Tom built") || !strings.Contains(got, "small enough for a browser [1].") {
				t.Fatalf("answer %q", got)
			}
			// Every drawn line of the answer holds whole words: no line is a
			// fragment of one word cut where a piece ended.
			for _, line := range drawnLines(c.last.answer) {
				for _, w := range strings.Fields(line) {
					w = strings.Trim(w, ".,[]0123456789")
					if w != "" && len([]rune(w)) < 3 && !strings.Contains(long, " "+w+" ") && !strings.HasPrefix(long, w+" ") {
						t.Errorf("a line holds %q, not a word of the answer: %q", w, line)
					}
				}
			}
			save(fmt.Sprintf("answer-long-%.0f.png", width), g.win.Canvas().Capture())
		})
	}
}

// drawnLines are the rows of text a RichText laid out, as drawn: its
// text objects grouped by their height on the widget, in order.
func drawnLines(r *widget.RichText) []string {
	rows := map[float32][]*canvas.Text{}
	walk(r, func(o fyne.CanvasObject) {
		if tx, ok := o.(*canvas.Text); ok && strings.TrimSpace(tx.Text) != "" {
			rows[tx.Position().Y] = append(rows[tx.Position().Y], tx)
		}
	})
	ys := make([]float32, 0, len(rows))
	for y := range rows {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	var out []string
	for _, y := range ys {
		row := rows[y]
		slices.SortFunc(row, func(a, b *canvas.Text) int { return cmp.Compare(a.Position().X, b.Position().X) })
		var b strings.Builder
		for _, tx := range row {
			b.WriteString(tx.Text)
		}
		out = append(out, b.String())
	}
	return out
}
