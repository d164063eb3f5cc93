package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/internal/sharedtest"
	"github.com/carrel-ai/carrel/internal/testdocs"
)

// sentences all open with the same words, so a passage cannot be placed
// by finding its first words: only its stored place says which it is.
var sentences = []string{
	sentence("apples", "in the orchard"),
	sentence("pears", "in the garden"),
	sentence("plums", "on the hill"),
	sentence("figs", "by the sea"),
}

func sentence(fruit, where string) string {
	return "The same opening words begin this account, which goes on for a while to say that the " + fruit +
		" grow " + where + " and that everybody in the village likes them very much indeed."
}

// A cited passage is shown at its stored place, in every format the
// viewer shows: the text view's highlight is the passage's offsets in its
// page or section, and on a PDF page the marks are its characters' lines.
func TestSourcesOpenAtTheirExactPlace(t *testing.T) {
	dir := t.TempDir()
	var words []string
	for _, s := range sentences {
		words = append(words, testdocs.Paragraph("", s))
	}
	files := map[string][]byte{
		"notes.md":   []byte("# Fruit\n\n" + strings.Join(sentences, "\n\n") + "\n"),
		"notes.html": []byte("<html><body><h1>Fruit</h1><p>" + strings.Join(sentences, "</p><p>") + "</p></body></html>"),
		"notes.docx": testdocs.DOCX(testdocs.Paragraph("Heading1", "Fruit")+strings.Join(words, ""), nil),
		"notes.pdf":  testdocs.PDF(strings.Join(sentences, "\n")),
	}
	for name, data := range files {
		sub := filepath.Join(dir, strings.TrimPrefix(filepath.Ext(name), "."))
		if err := os.MkdirAll(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	set := engine.DefaultSettings()
	set.ChunkTokens = 50
	e := openEngine(t, t.TempDir(), &set)
	addAndWait(t, e, "", dir)
	ctx := context.Background()
	for _, format := range []string{"md", "html", "docx", "pdf"} {
		t.Run(format, func(t *testing.T) {
			res, err := e.Search(ctx, "pears garden", engine.SearchOptions{Folder: filepath.Join(dir, format), K: 5})
			if err != nil || len(res.Hits) == 0 {
				t.Fatalf("search: %v %+v", err, res)
			}
			h := res.Hits[0]
			if !strings.Contains(h.Text, "pears") || strings.Contains(h.Text, "apples") {
				t.Fatalf("the best passage is %q", h.Text)
			}
			src := engine.Source{N: 1, Path: h.Path, Page: h.Page, Heading: h.Heading, DocID: h.DocID, ChunkID: h.ChunkID, Text: h.Text, Place: h.Place}
			// The answer is saved and reopened: the place travels with it.
			b, _ := json.Marshal(src)
			var reopened engine.Source
			if err := json.Unmarshal(b, &reopened); err != nil {
				t.Fatal(err)
			}
			for _, s := range []engine.Source{src, reopened} {
				st, err := e.SourceText(ctx, s)
				if err != nil || !st.Exact {
					t.Fatalf("source text: %v, exact %v", err, st.Exact)
				}
				want := strings.Index(st.Text, sentences[1])
				if want <= 0 || strings.Index(st.Text, "The same opening words") >= want {
					t.Fatalf("the section does not hold the passage after another with the same opening: %q", st.Text)
				}
				if st.Start != want || st.Text[st.Start:st.End] != sentences[1] {
					t.Errorf("highlight %d:%d %q, want %d: %q", st.Start, st.End, st.Text[st.Start:st.End], want, sentences[1])
				}
			}
			if format != "pdf" {
				if _, err := e.RenderPage(ctx, src, 600); err == nil {
					t.Error("a page was drawn for a document that is not a PDF")
				}
				return
			}
			if src.Place.CharFirst < 0 {
				t.Fatalf("a PDF passage has no characters: %+v", src.Place)
			}
			rp, err := e.RenderPage(ctx, reopened, 612)
			if err != nil {
				t.Fatal(err)
			}
			// testdocs.PDF draws line n with its baseline at 72+14n points
			// from the top: the pears are on line 1.
			if len(rp.Marks) != 1 || rp.Marks[0].Max.Y < 86-6 || rp.Marks[0].Min.Y > 86 {
				t.Errorf("marks %v, want one on the line with its baseline at y=86", rp.Marks)
			}
		})
	}

	// A document indexed again with other text: the old place no longer
	// holds the cited passage, and the viewer says so instead of marking
	// the wrong text.
	res, _ := e.Search(ctx, "pears garden", engine.SearchOptions{Folder: filepath.Join(dir, "md"), K: 1})
	h := res.Hits[0]
	src := engine.Source{DocID: h.DocID, ChunkID: h.ChunkID, Text: h.Text, Place: h.Place, Path: h.Path}
	changed := strings.Replace(string(files["notes.md"]), "pears", "quinces", 1)
	if err := os.WriteFile(h.Path, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	addAndWait(t, e, "", h.Path)
	st, err := e.SourceText(ctx, src)
	if err != nil || st.Exact || st.Text != h.Text {
		t.Errorf("a changed document: exact %v, text %q, %v", st.Exact, st.Text, err)
	}
}

// The user study's Tracemonkey case: a passage that starts at the title
// of a two-column paper is marked from the title down its own column,
// with no band in the other column.
func TestTwoColumnPageMarksItsPassageOnly(t *testing.T) {
	src := sharedtest.Path(t, "corpus/pdf/text/pdfjs-tracemonkey-paper.pdf")
	set := engine.DefaultSettings()
	set.EmbedModel = engine.NoEmbedModel
	e := openEngine(t, t.TempDir(), &set)
	addAndWait(t, e, "", src)
	ctx := context.Background()
	res, err := e.Search(ctx, "Trace-based Just-in-Time Type Specialization for Dynamic Languages", engine.SearchOptions{K: 1})
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("search: %v", err)
	}
	h := res.Hits[0]
	if h.Page != 1 || !strings.HasPrefix(h.Text, "Trace-based Just-in-Time") {
		t.Fatalf("best passage on page %d: %q", h.Page, h.Text)
	}
	rp, err := e.RenderPage(ctx, engine.Source{Path: h.Path, Page: h.Page, DocID: h.DocID, ChunkID: h.ChunkID, Text: h.Text, Place: h.Place}, 900)
	if err != nil {
		t.Fatal(err)
	}
	b := rp.Image.Bounds()
	if len(rp.Marks) < 5 || rp.Marks[0].Min.Y > b.Dy()/10 {
		t.Fatalf("marks %v: the first should be on the title, near the top of a page %d high", rp.Marks, b.Dy())
	}
	// Below the centred title and authors the page has two columns; the
	// passage (the abstract) is in the left one.
	for _, m := range rp.Marks {
		if m.Min.Y > b.Dy()*2/5 && m.Min.X > b.Dx()/2 {
			t.Errorf("band %v in the right column", m)
		}
	}
}
