package chunk

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/carrel-ai/carrel/engine/docs"
)

func sentence(i int) string {
	return "Sentence number " + strings.Repeat("word ", 6) + "ends here" + string(rune('a'+i%26)) + "."
}

func longDoc() *docs.Document {
	var paras []string
	for p := 0; p < 12; p++ {
		var s []string
		for i := 0; i < 8; i++ {
			s = append(s, sentence(p*8+i))
		}
		paras = append(paras, strings.Join(s, " "))
	}
	return &docs.Document{Blocks: []docs.Block{
		{Text: "Methods", Heading: "2 Methods", Kind: "heading"},
		{Text: strings.Join(paras[:6], "\n\n"), Heading: "2 Methods", Kind: "paragraph"},
		{Text: strings.Join(paras[6:], "\n\n"), Heading: "2 Methods › 2.1 Data", Kind: "paragraph"},
		{Text: "Page two text that is long enough to keep.", Page: 2, Kind: "paragraph"},
	}}
}

func TestSplitInvariants(t *testing.T) {
	doc := longDoc()
	o := Options{Size: 60}
	chunks := Split(doc, o)
	if len(chunks) < 6 {
		t.Fatalf("only %d chunks", len(chunks))
	}
	for i, c := range chunks {
		if c.Index != i {
			t.Errorf("chunk %d has index %d", i, c.Index)
		}
		if c.Tokens > 60 {
			t.Errorf("chunk %d has %d tokens, over 60", i, c.Tokens)
		}
		var parts []string
		for _, s := range c.Spans {
			b := doc.Blocks[s.Block]
			if b.Page != c.Page || b.Heading != c.Heading {
				t.Errorf("chunk %d crosses from %q p%d into %q p%d", i, c.Heading, c.Page, b.Heading, b.Page)
			}
			if s.Start < 0 || s.End > len(b.Text) || s.Start >= s.End {
				t.Fatalf("chunk %d: bad span %+v", i, s)
			}
			parts = append(parts, strings.TrimSpace(b.Text[s.Start:s.End]))
		}
		if got := strings.Join(parts, "\n\n"); got != c.Text {
			t.Errorf("chunk %d text is not its spans:\n%q\n%q", i, c.Text, got)
		}
	}
	// Sections keep their locators.
	if chunks[0].Heading != "2 Methods" || !strings.HasPrefix(chunks[0].Text, "Methods") {
		t.Errorf("first chunk %q under %q", chunks[0].Text[:20], chunks[0].Heading)
	}
	last := chunks[len(chunks)-1]
	if last.Page != 2 || last.Heading != "" {
		t.Errorf("last chunk at page %d heading %q", last.Page, last.Heading)
	}
}

func TestOverlap(t *testing.T) {
	chunks := Split(longDoc(), Options{Size: 60, Overlap: 20})
	shared := 0
	for i := 1; i < len(chunks); i++ {
		a, b := chunks[i-1], chunks[i]
		if a.Heading != b.Heading || len(a.Spans) == 0 || len(b.Spans) == 0 {
			continue
		}
		if b.Spans[0].Block == a.Spans[len(a.Spans)-1].Block && b.Spans[0].Start < a.Spans[len(a.Spans)-1].End {
			shared++
		}
	}
	if shared == 0 {
		t.Error("no chunk overlaps the one before")
	}
	none := Split(longDoc(), Options{Size: 60, Overlap: -1})
	for i := 1; i < len(none); i++ {
		a, b := none[i-1], none[i]
		if b.Spans[0].Block == a.Spans[len(a.Spans)-1].Block && b.Spans[0].Start < a.Spans[len(a.Spans)-1].End {
			t.Errorf("chunks %d and %d overlap with overlap off", i-1, i)
		}
	}
}

func TestCJKWithoutSpaces(t *testing.T) {
	text := strings.Repeat("東京は日本の首都であり、多くの人が住んでいる。", 40)
	doc := &docs.Document{Blocks: []docs.Block{{Text: text, Kind: "paragraph"}}}
	chunks := Split(doc, Options{Size: 100, Overlap: -1})
	if len(chunks) < 5 {
		t.Fatalf("%d chunks for %d characters", len(chunks), len([]rune(text)))
	}
	for _, c := range chunks {
		if !strings.HasSuffix(c.Text, "。") && c.Index != len(chunks)-1 {
			t.Errorf("chunk %d does not end at punctuation: %q", c.Index, c.Text[len(c.Text)-9:])
		}
	}
}

func TestUnbreakableRun(t *testing.T) {
	doc := &docs.Document{Blocks: []docs.Block{{Text: strings.Repeat("x", 50000), Kind: "paragraph"}}}
	chunks := Split(doc, Options{Size: 100, Count: func(s string) int { return len(s) / 4 }})
	if len(chunks) < 100 {
		t.Fatalf("%d chunks", len(chunks))
	}
	for _, c := range chunks {
		if c.Tokens > 100 {
			t.Errorf("chunk of %d tokens", c.Tokens)
		}
	}
}

func TestDropsBoilerplateAndMarksDuplicates(t *testing.T) {
	disclaimer := "This message is confidential and intended only for the person to whom it is addressed in this letter."
	doc := &docs.Document{Blocks: []docs.Block{
		{Text: "   \n\t ", Page: 1},
		{Text: "— 12 —", Page: 1},
		{Text: disclaimer, Page: 2},
		{Text: "Real content about the quarterly budget, the travel plans and the hiring of two engineers.", Page: 3},
		{Text: disclaimer, Page: 4},
		{Text: strings.Replace(disclaimer, "letter", "note", 1), Page: 5},
	}}
	chunks := Split(doc, Options{})
	if len(chunks) != 4 {
		for _, c := range chunks {
			t.Logf("%d: %q", c.Page, c.Text)
		}
		t.Fatalf("%d chunks, want 4 (blank and number-only dropped)", len(chunks))
	}
	if chunks[0].DuplicateOf != -1 || chunks[1].DuplicateOf != -1 {
		t.Errorf("originals marked as duplicates: %d %d", chunks[0].DuplicateOf, chunks[1].DuplicateOf)
	}
	if chunks[2].DuplicateOf != 0 || chunks[3].DuplicateOf != 0 {
		t.Errorf("copies not marked: %d %d", chunks[2].DuplicateOf, chunks[3].DuplicateOf)
	}
}

func TestEstimateTokens(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0}, {"hello world", 3}, {"東京", 2}, {"a, b.", 5},
	} {
		if got := EstimateTokens(tc.s); got != tc.want {
			t.Errorf("EstimateTokens(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Hello world. This is a test.\n\nAnother paragraph, with clauses; and more.", 20)
	f.Add("東京は日本の首都。大阪は大きい。", 3)
	f.Fuzz(func(t *testing.T, text string, size int) {
		size = size%200 + 1
		if size < 1 {
			size = 1
		}
		doc := &docs.Document{Blocks: []docs.Block{{Text: text}, {Text: text, Page: 2}}}
		for _, c := range Split(doc, Options{Size: size}) {
			for _, s := range c.Spans {
				if s.Start < 0 || s.End > len(doc.Blocks[s.Block].Text) || s.Start > s.End {
					t.Fatalf("bad span %+v", s)
				}
			}
		}
	})
}

// Every chunk points exactly into its section's text: the stored offsets
// give back the passage, whatever repeats around it.
func TestChunksPointIntoSections(t *testing.T) {
	rep := strings.Repeat("The same opening words return. ", 30)
	docsUnder := []*docs.Document{
		longDoc(),
		{Blocks: []docs.Block{
			{Text: rep, Heading: "A", Kind: "paragraph"},
			{Text: rep + "A different ending at last.", Heading: "A", Kind: "paragraph"},
			{Text: rep, Heading: "B", Kind: "paragraph"},
		}},
	}
	for di, doc := range docsUnder {
		secs := Sections(doc)
		chunks := Split(doc, Options{Size: 40})
		if len(chunks) < 3 {
			t.Fatalf("doc %d: only %d chunks", di, len(chunks))
		}
		for _, c := range chunks {
			if c.Section < 0 || c.Section >= len(secs) {
				t.Fatalf("doc %d chunk %d: section %d of %d", di, c.Index, c.Section, len(secs))
			}
			sec := secs[c.Section]
			if sec.Page != c.Page || sec.Heading != c.Heading {
				t.Errorf("doc %d chunk %d: section at page %d %q, chunk at %d %q", di, c.Index, sec.Page, sec.Heading, c.Page, c.Heading)
			}
			got := sec.Text[c.Start:c.End]
			if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(c.Text), " ") {
				t.Errorf("doc %d chunk %d: section text %q, chunk %q", di, c.Index, got, c.Text)
			}
			if strings.TrimSpace(got) != got {
				t.Errorf("doc %d chunk %d: offsets include white space at an edge", di, c.Index)
			}
		}
	}
	// Different chunks starting with the same words have different
	// offsets: no chunk is placed by matching its words.
	chunks := Split(docsUnder[1], Options{Size: 40})
	seen := map[[3]int]bool{}
	for _, c := range chunks {
		k := [3]int{c.Section, c.Start, c.End}
		if seen[k] && c.DuplicateOf < 0 {
			t.Errorf("chunk %d has the place of another: %v", c.Index, k)
		}
		seen[k] = true
	}
}

// SplitSections gives what Split and Sections give, while the blocks,
// sections and passages share one copy of the words.
func TestSplitSectionsSharesTheText(t *testing.T) {
	within := func(part, whole string) bool {
		if len(part) == 0 {
			return true
		}
		p, w := uintptr(unsafe.Pointer(unsafe.StringData(part))), uintptr(unsafe.Pointer(unsafe.StringData(whole)))
		return p >= w && p+uintptr(len(part)) <= w+uintptr(len(whole))
	}
	for _, o := range []Options{{Size: 40}, {Size: 60, Overlap: -1}} {
		wantChunks, wantSecs := Split(longDoc(), o), Sections(longDoc())
		doc := longDoc()
		before := make([]string, len(doc.Blocks))
		for i, b := range doc.Blocks {
			before[i] = strings.Clone(b.Text)
		}
		chunks, secs := SplitSections(doc, o)
		if !reflect.DeepEqual(chunks, wantChunks) || !reflect.DeepEqual(secs, wantSecs) {
			t.Fatalf("size %d: SplitSections differs from Split and Sections", o.Size)
		}
		for i, b := range doc.Blocks {
			if b.Text != before[i] {
				t.Errorf("block %d changed its words: %q", i, b.Text)
			}
		}
		shared := 0
		for _, c := range chunks {
			if !within(c.Text, secs[c.Section].Text) {
				t.Errorf("size %d: passage %d holds its own copy of its words", o.Size, c.Index)
			}
			shared++
		}
		// The first section joins two blocks: they now point into it.
		if !within(doc.Blocks[0].Text, secs[0].Text) || !within(doc.Blocks[1].Text, secs[0].Text) {
			t.Errorf("size %d: the blocks still hold their own copies", o.Size)
		}
		if shared == 0 {
			t.Fatal("no passages")
		}
	}
}

func TestChunkCharsFromPDFBlocks(t *testing.T) {
	text := "alpha beta gamma"
	chars := make([]int32, len(text))
	for i := range chars {
		chars[i] = int32(100 + i)
	}
	chars[5] = -1 // a joining space Carrel added
	doc := &docs.Document{Blocks: []docs.Block{{Text: text, Page: 3, Kind: "paragraph", Chars: chars}}}
	c := Split(doc, Options{})
	if len(c) != 1 {
		t.Fatalf("chunks %+v", c)
	}
	if !c[0].HasChars() || c[0].CharFirst != 100 || c[0].CharLast != 115 {
		t.Errorf("chars %d to %d", c[0].CharFirst, c[0].CharLast)
	}
}
