package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
)

// However many pieces the model writes between two turns of the UI loop,
// one take renders them all; after Stop nothing more arrives.
func TestDeltaQueue(t *testing.T) {
	q := &deltaQueue{}
	scheduled := 0
	for _, s := range []string{"The ", "tower ", "is ", "330 ", "metres"} {
		if q.push(engine.Delta{Text: s}) {
			scheduled++
		}
	}
	if scheduled != 1 {
		t.Errorf("%d takes scheduled for one burst; want 1", scheduled)
	}
	ds := q.take()
	var text string
	for _, d := range ds {
		text += d.Text
	}
	if text != "The tower is 330 metres" {
		t.Errorf("took %q", text)
	}
	if !q.push(engine.Delta{Text: " tall"}) {
		t.Error("a piece after a take did not schedule another")
	}
	q.stop()
	if q.push(engine.Delta{Text: " and more"}) || len(q.take()) != 0 {
		t.Error("pieces arrived after Stop")
	}
}

// While the model reads, the answer shows the best sentence with where it
// comes from.
func TestReadingText(t *testing.T) {
	src := []engine.Source{{N: 1, Path: "/docs/walden.pdf", Page: 3, Text: "When I return to my house I find visitors."}, {N: 2, Path: "/docs/b.md"}}
	got := readingText(src, &engine.Preview{Source: 1, Text: "When I return to my *house*", Start: 0, End: 27})
	for _, want := range []string{"*Reading 2 passages…*", "> When I return to my \\*house\\*", "walden.pdf, page 3"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if got := readingText(src, nil); got != "*Reading 2 passages…*" {
		t.Errorf("without a preview: %q", got)
	}
}

// The line under an answer being made says the stage and the time, and
// advises when the model is unusually slow.
func TestStageText(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		since      time.Duration
		reading    int
		writingFor time.Duration
		words      int
		want       string
		advice     bool
	}{
		{300 * time.Millisecond, 0, 0, 0, "Searching your documents · 0.3 s", false},
		{4 * s, 6, 0, 0, "Reading 6 passages · 4.0 s", false},
		{1 * s, 1, 0, 0, "Reading 1 passage · 1.0 s", false},
		{1 * s, -1, 0, 0, "Reading the question (its passages were read before) · 1.0 s", false},
		{25 * s, 6, 0, 0, "Reading 6 passages · 25 s", true},
		{12 * s, 6, 3 * s, 2, "Writing · 12 s", false},   // too early to judge
		{30 * s, 6, 10 * s, 40, "Writing · 30 s", false}, // 4 words/s
		{30 * s, 6, 10 * s, 5, "Writing · 30 s", true},   // 0.5 words/s
	} {
		got := stageText(tc.since, tc.reading, tc.writingFor, tc.words)
		first, rest, _ := strings.Cut(got, "\n")
		if first != tc.want || (rest != "") != tc.advice {
			t.Errorf("stageText(%v, %d, %v, %d) = %q", tc.since, tc.reading, tc.writingFor, tc.words, got)
		}
	}
}

// Answers render as Markdown without spaces put inside words: the text of
// each paragraph is the source's, whatever characters it holds.
func TestMarkdownSegments(t *testing.T) {
	text := func(segs []widget.RichTextSegment) string {
		var b strings.Builder
		for _, s := range segs {
			switch x := s.(type) {
			case *widget.TextSegment:
				b.WriteString(x.Text)
				if !x.Style.Inline {
					b.WriteString("|")
				}
			case *widget.ListSegment:
				for _, it := range x.Items {
					b.WriteString("• ")
					for _, p := range it.(*widget.ParagraphSegment).Texts {
						b.WriteString(p.(*widget.TextSegment).Text)
					}
				}
			}
		}
		return b.String()
	}
	for _, tc := range []struct{ md, want string }{
		{`"Let's go!" said Lily.`, `"Let's go!" said Lily.|`},
		{"L_ily and snake_case [1] here", "L_ily and snake_case [1] here|"},
		{"one line\nthe next", "one line the next|"},
		{"First.\n\nSecond.", "First.|Second.|"},
		{"- apples\n- pears", "• apples• pears"},
		{"## Budget\n\nIt grew.", "Budget|It grew.|"},
	} {
		if got := text(markdownSegments(tc.md)); got != tc.want {
			t.Errorf("%q rendered %q, want %q", tc.md, got, tc.want)
		}
	}
	// Styles: bold, italic and code keep theirs, and plain text around
	// them is one segment each.
	segs := markdownSegments("A **bold** claim, an *aside* and `code`.")
	var styles []string
	for _, s := range segs {
		x, ok := s.(*widget.TextSegment)
		if !ok || !x.Style.Inline {
			continue
		}
		switch {
		case x.Style.TextStyle.Bold:
			styles = append(styles, "b:"+x.Text)
		case x.Style.TextStyle.Italic:
			styles = append(styles, "i:"+x.Text)
		case x.Style.TextStyle.Monospace:
			styles = append(styles, "c:"+x.Text)
		default:
			styles = append(styles, x.Text)
		}
	}
	if got := strings.Join(styles, "/"); got != "A /b:bold/ claim, an /i:aside/ and /c:code/." {
		t.Errorf("styles %q", got)
	}
}
