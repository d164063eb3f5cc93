package rag

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/passage"
	"github.com/carrel-ai/carrel/engine/retrieve"
	"github.com/carrel-ai/carrel/engine/terms"
)

// fakeModel counts a token per word (plus a few per message) and replies
// with a fixed text in small pieces, so citations arrive split across
// pieces as they do from a real model.
type fakeModel struct {
	reply   string
	size    int
	piece   int
	calls   int
	last    []Message
	maxSeen int // the largest prompt it was given, in tokens
	onChat  func(ctx context.Context) error
}

func (f *fakeModel) ContextSize() int { return f.size }

func (f *fakeModel) PromptTokens(msgs []Message) (int, error) {
	n := 2
	for _, m := range msgs {
		n += 4 + len(strings.Fields(m.Content))
	}
	return n, nil
}

func (f *fakeModel) Chat(ctx context.Context, msgs []Message, o GenOptions, emit func(string) error) (GenStats, error) {
	f.calls++
	f.last = msgs
	n, _ := f.PromptTokens(msgs)
	f.maxSeen = max(f.maxSeen, n)
	if n+o.MaxTokens > f.size && n > f.size {
		return GenStats{}, fmt.Errorf("prompt of %d tokens overflows %d", n, f.size)
	}
	piece := max(f.piece, 1)
	for i := 0; i < len(f.reply); i += piece {
		if f.onChat != nil {
			if err := f.onChat(ctx); err != nil {
				return GenStats{}, err
			}
		}
		if err := ctx.Err(); err != nil {
			return GenStats{Stop: "cancelled"}, err
		}
		if err := emit(f.reply[i:min(i+piece, len(f.reply))]); err != nil {
			return GenStats{}, err
		}
	}
	return GenStats{PromptTokens: n, GeneratedTokens: len(f.reply) / 4, FirstToken: time.Millisecond, TokensPerSecond: 100, Stop: "end"}, nil
}

// fakeLibrary returns fixed hits and holds documents' sections.
type fakeLibrary struct {
	result retrieve.Result
	docs   map[int64][]Section
	query  string
}

func (l *fakeLibrary) Search(_ context.Context, q string, o retrieve.Options) (retrieve.Result, error) {
	l.query = q
	r := l.result
	if len(r.Hits) > o.K {
		r.Hits = r.Hits[:o.K]
	}
	return r, nil
}

func (l *fakeLibrary) DocumentSections(_ context.Context, id int64) ([]Section, error) {
	return l.docs[id], nil
}

func hit(doc int64, chunk int64, path string, page int, text string) retrieve.Hit {
	return retrieve.Hit{DocID: doc, ChunkID: chunk, Path: path, Page: page, Text: text,
		Scores: retrieve.Scores{Fused: 1 / float64(chunk+60)}, IndexedAt: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)}
}

func towerLibrary() *fakeLibrary {
	return &fakeLibrary{result: retrieve.Result{Relevant: true, Mode: retrieve.Lexical, Hits: []retrieve.Hit{
		hit(1, 1, "/docs/paris.pdf", 3, "The Eiffel Tower is 330 metres tall and was completed in 1889 for the World's Fair."),
		hit(2, 2, "/docs/rome.pdf", 7, "The Colosseum in Rome held about fifty thousand spectators."),
		hit(3, 3, "/docs/bread.md", 0, "Sourdough bread needs a starter of flour and water."),
	}}}
}

func TestCiter(t *testing.T) {
	tests := []struct {
		in, out string
		sources int
		cited   []int
		dropped []int
	}{
		{"It is 330 m tall [1].", "It is 330 m tall [1].", 3, []int{1}, nil},
		{"Both [1, 2] agree.", "Both [1][2] agree.", 3, []int{1, 2}, nil},
		{"Both [1,2; 3] agree.", "Both [1][2][3] agree.", 3, []int{1, 2, 3}, nil},
		{"See [Source 2].", "See [2].", 3, []int{2}, nil},
		{"See [sources 1 and 3].", "See [1][3].", 3, []int{1, 3}, nil},
		{"Footnote[^3].", "Footnote[3].", 3, []int{3}, nil},
		{"A range [1-3].", "A range [1][2][3].", 3, []int{1, 2, 3}, nil},
		{"An en-dash range [2–3].", "An en-dash range [2][3].", 3, []int{2, 3}, nil},
		{"Invented [9]. Next.", "Invented. Next.", 3, nil, []int{9}},
		{"Zero [0] here", "Zero here", 3, nil, []int{0}},
		{"Mixed [1, 9].", "Mixed [1].", 3, []int{1}, []int{9}},
		{"Repeated [2] and [2].", "Repeated [2] and [2].", 3, []int{2}, nil},
		{"Order [3] then [1].", "Order [3] then [1].", 3, []int{3, 1}, nil},
		{"Full-width 【1】.", "Full-width [1].", 3, []int{1}, nil},
		{"In [2023] it rained.", "In [2023] it rained.", 3, nil, nil},
		{"A [link](http://x) stays.", "A [link](http://x) stays.", 3, nil, nil},
		{"- [ ] todo", "- [ ] todo", 3, nil, nil},
		{"Unclosed [1", "Unclosed [1", 3, nil, nil},
		{"Nested [see [2] here", "Nested [see [2] here", 3, []int{2}, nil},
		{"Line [1\n2]", "Line [1\n2]", 3, nil, nil},
		{"A very long bracket [this is not a citation at all, it goes on] ok", "A very long bracket [this is not a citation at all, it goes on] ok", 3, nil, nil},
		{"No sources given [1].", "No sources given.", 0, nil, []int{1}},
		{"Bad range [3-1].", "Bad range [3-1].", 3, nil, nil},
		{"日本語の文[1]。", "日本語の文[1]。", 3, []int{1}, nil},
	}
	for _, tc := range tests {
		// Every way of cutting the stream must give the same result.
		for cut := 0; cut <= len(tc.in); cut++ {
			for _, piece := range []int{0, 1, 2, 5} {
				c := newCiter(tc.sources)
				var out strings.Builder
				feed := func(s string) {
					o, _ := c.push(s)
					out.WriteString(o)
				}
				if piece == 0 {
					feed(tc.in[:cut])
					feed(tc.in[cut:])
				} else {
					if cut > 0 {
						break
					}
					rs := []rune(tc.in)
					for i := 0; i < len(rs); i += piece {
						feed(string(rs[i:min(i+piece, len(rs))]))
					}
				}
				out.WriteString(c.flush())
				if out.String() != tc.out {
					t.Errorf("%q (cut %d, piece %d): got %q, want %q", tc.in, cut, piece, out.String(), tc.out)
				}
				if !reflect.DeepEqual(c.cited, tc.cited) {
					t.Errorf("%q: cited %v, want %v", tc.in, c.cited, tc.cited)
				}
				if !reflect.DeepEqual(c.dropped, tc.dropped) {
					t.Errorf("%q: dropped %v, want %v", tc.in, c.dropped, tc.dropped)
				}
			}
		}
	}
}

func TestClaims(t *testing.T) {
	got := claims("The tower is tall [1]. It opened in 1889. [2]\nBread needs flour [3][1]! 東京は大きい[2]。Done")
	want := []claim{
		{"The tower is tall .", []int{1}},
		{"It opened in 1889.", []int{2}},
		{"Bread needs flour !", []int{3, 1}},
		{"東京は大きい。", []int{2}},
		{"Done", nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claims:\n got %+v\nwant %+v", got, want)
	}
}

func TestSupport(t *testing.T) {
	passage := "The Eiffel Tower is 330 metres tall and was completed in 1889."
	tests := []struct {
		sentence string
		judged   bool
		above    bool
	}{
		{"The Eiffel Tower was completed in 1889 [1].", true, true},
		{"Sourdough starters need flour and water daily [1].", true, false},
		{"Yes [1].", false, true},
	}
	for _, tc := range tests {
		s, judged := support(tc.sentence, passage)
		if judged != tc.judged || (s >= SupportFloor) != tc.above {
			t.Errorf("support(%q) = %.2f, judged %v; want judged %v, above floor %v", tc.sentence, s, judged, tc.judged, tc.above)
		}
	}
}

func TestRespondAnswered(t *testing.T) {
	m := &fakeModel{size: 4096, piece: 3,
		reply: "The Eiffel Tower is 330 metres tall [1]. Bread rises from spectators watching the Colosseum games daily [3]. Invented [7]."}
	lib := towerLibrary()
	r, err := Retrieve(context.Background(), lib, "How tall is the Eiffel Tower?", Config{})
	if err != nil {
		t.Fatal(err)
	}
	var deltas []Delta
	a, err := Respond(context.Background(), m, lib, Question{Text: "How tall is the Eiffel Tower?"}, r, Config{NoWholeDocument: true},
		func(d Delta) error { deltas = append(deltas, d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if a.Outcome != Answered || !a.Grounded {
		t.Fatalf("outcome %s grounded %v", a.Outcome, a.Grounded)
	}
	if len(deltas) == 0 || len(deltas[0].Sources) != 3 || deltas[0].Text != "" {
		t.Fatalf("the first delta should carry the 3 sources, got %+v", deltas[0])
	}
	var streamed strings.Builder
	var cites []int
	for _, d := range deltas[1:] {
		streamed.WriteString(d.Text)
		cites = append(cites, d.Cites...)
	}
	want := "The Eiffel Tower is 330 metres tall [1]. Bread rises from spectators watching the Colosseum games daily [3]. Invented."
	if a.Text != want || strings.TrimSpace(streamed.String()) != want {
		t.Errorf("text %q, streamed %q", a.Text, streamed.String())
	}
	if !reflect.DeepEqual(cites, []int{1, 3}) {
		t.Errorf("streamed cites %v", cites)
	}
	if !reflect.DeepEqual(a.InvalidCitations, []int{7}) {
		t.Errorf("invalid citations %v", a.InvalidCitations)
	}
	if len(a.Citations) != 2 {
		t.Fatalf("citations %+v", a.Citations)
	}
	c1, c3 := a.Citations[0], a.Citations[1]
	if c1.N != 1 || c1.Path != "/docs/paris.pdf" || c1.Page != 3 || !c1.Supported {
		t.Errorf("citation 1: %+v", c1)
	}
	if c3.N != 3 || c3.Supported || len(c3.Unsupported) != 1 {
		t.Errorf("citation 3 should be flagged as unsupported by its passage: %+v", c3)
	}
	// The prompt holds the numbered sources with their locators.
	user := m.last[len(m.last)-1].Content
	for _, s := range []string{"[1] paris.pdf, page 3\nThe Eiffel Tower", "[2] rome.pdf, page 7", "[3] bread.md\n", "Question: How tall is the Eiffel Tower?"} {
		if !strings.Contains(user, s) {
			t.Errorf("prompt lacks %q:\n%s", s, user)
		}
	}
	if m.last[0].Role != "system" || m.last[0].Content != DefaultSystemPrompt {
		t.Errorf("system prompt not first: %+v", m.last[0])
	}
	if a.IndexedAt.IsZero() || a.Settings.Sources != 6 || a.Timings.TokensPerS != 100 {
		t.Errorf("audit record incomplete: %+v", a)
	}
}

func TestRespondNotFound(t *testing.T) {
	m := &fakeModel{size: 4096, reply: "made up"}
	lib := towerLibrary()
	lib.result.Relevant = false
	r, _ := Retrieve(context.Background(), lib, "What is the boiling point of mercury?", Config{})
	var deltas []Delta
	a, err := Respond(context.Background(), m, lib, Question{Text: "What is the boiling point of mercury?"}, r, Config{},
		func(d Delta) error { deltas = append(deltas, d); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if m.calls != 0 {
		t.Error("the model was asked although nothing relevant was found")
	}
	if a.Outcome != NotFound || a.Grounded || a.Text != NotFoundText || len(a.Related) != 3 || len(a.Citations) != 0 {
		t.Errorf("not-found answer: %+v", a)
	}
	if len(deltas) != 2 || len(deltas[0].Sources) != 3 || deltas[1].Text != NotFoundText {
		t.Errorf("deltas %+v", deltas)
	}

	// Asked for the model's own knowledge, it answers, marked ungrounded.
	m.reply = "Mercury boils at 357 °C [1]."
	a, err = Respond(context.Background(), m, lib, Question{Text: "What is the boiling point of mercury?", Ungrounded: true}, r, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Outcome != Ungrounded || a.Grounded || a.Text != "Mercury boils at 357 °C." || len(a.Citations) != 0 {
		t.Errorf("ungrounded answer: %+v", a)
	}
	if strings.Contains(m.last[len(m.last)-1].Content, "Sources:") {
		t.Error("an ungrounded answer was given sources")
	}
}

func TestRespondEmptyLibraryAndNoModel(t *testing.T) {
	lib := &fakeLibrary{}
	r, _ := Retrieve(context.Background(), lib, "anything", Config{})
	a, err := Respond(context.Background(), &fakeModel{size: 100}, lib, Question{Text: "anything"}, r, Config{}, nil)
	if err != nil || a.Outcome != NotFound || len(a.Related) != 0 {
		t.Errorf("empty library: %+v, %v", a, err)
	}
	lib = towerLibrary()
	r, _ = Retrieve(context.Background(), lib, "Eiffel", Config{})
	a, err = Respond(context.Background(), nil, lib, Question{Text: "Eiffel"}, r, Config{}, nil)
	if err != nil || a.Outcome != RetrievalOnly || a.Grounded || len(a.Sources) != 3 || a.Text != RetrievalOnlyText {
		t.Errorf("retrieval only: %+v, %v", a, err)
	}
	if _, err := Respond(context.Background(), nil, lib, Question{Text: "Eiffel", Ungrounded: true}, r, Config{}, nil); err == nil {
		t.Error("an ungrounded answer without a model should fail")
	}
}

func TestBudget(t *testing.T) {
	long := strings.Repeat("tower metres ", 100) // 200 tokens a passage
	var hits []retrieve.Hit
	for i := range 8 {
		hits = append(hits, hit(int64(i+1), int64(i+1), fmt.Sprintf("/d/%d.txt", i), 0, long))
	}
	lib := &fakeLibrary{result: retrieve.Result{Relevant: true, Hits: hits}}
	const perSource = 204 // the passage, its header line and the blank line
	tests := []struct {
		name     string
		size     int
		history  int
		dropped  bool // some sources left out
		turnsCut bool // some earlier turns left out
		trimmed  bool // the one source shortened
		err      error
	}{
		{"all fit", 4096, 0, false, false, false, nil},
		{"least relevant dropped", 1200, 0, true, false, false, nil},
		{"one passage shortened", 400, 0, true, false, true, nil},
		{"oldest turns dropped", 1200, 20, true, true, false, nil},
		{"question too long", 30, 0, false, false, false, ErrQuestionTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeModel{size: tc.size, reply: "ok [1]"}
			q := Question{Text: "How tall is the tower in metres?"}
			if tc.err != nil {
				q.Text = strings.Repeat("word ", 40)
			}
			for i := range tc.history {
				q.History = append(q.History, Turn{Question: fmt.Sprintf("question %d", i), Answer: strings.Repeat("answer ", 20)})
			}
			cfg := Config{Sources: 8, AnswerTokens: 100, NoWholeDocument: true}
			r, _ := Retrieve(context.Background(), lib, q.Text, cfg)
			a, err := Respond(context.Background(), m, lib, q, r, cfg, nil)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			reserve := min(100, tc.size/4)
			limit := tc.size - reserve
			if m.maxSeen > limit {
				t.Errorf("prompt of %d tokens plus %d for the answer overflows %d", m.maxSeen, reserve, tc.size)
			}
			if got := a.DroppedSources > 0; got != tc.dropped || len(a.Sources)+a.DroppedSources != 8 {
				t.Errorf("kept %d sources, dropped %d", len(a.Sources), a.DroppedSources)
			}
			if tc.dropped && !tc.trimmed && m.maxSeen+perSource <= limit {
				t.Errorf("a source was dropped although it fitted (%d + %d ≤ %d)", m.maxSeen, perSource, limit)
			}
			if got := a.DroppedTurns > 0; got != tc.turnsCut || a.DroppedTurns == tc.history && tc.history > 0 {
				t.Errorf("dropped %d of %d turns", a.DroppedTurns, tc.history)
			}
			if kept := tc.history - a.DroppedTurns; kept*30 > limit/4 {
				t.Errorf("%d earlier turns take more than a quarter of the prompt", kept)
			}
			if tc.trimmed != strings.HasSuffix(a.Sources[0].Text, "…") {
				t.Errorf("shortened: %v", !tc.trimmed)
			}
			for i, s := range a.Sources {
				if s.N != i+1 || s.DocID != int64(i+1) {
					t.Errorf("source %d is %+v: the most relevant must be kept, in order", i, s)
				}
			}
		})
	}
}

func TestWholeDocument(t *testing.T) {
	dividend := hit(7, 12, "/docs/Annual Report.pdf", 2, "The board proposes a dividend of two euros per share.")
	dividend.Place = passage.Place{Section: 1, Start: 0, End: len(dividend.Text), CharFirst: 40, CharLast: 92}
	lib := &fakeLibrary{
		result: retrieve.Result{Relevant: true, Hits: []retrieve.Hit{dividend, hit(8, 20, "/docs/other.txt", 0, "Other dividend text.")}},
		docs: map[int64][]Section{7: {
			{Ord: 0, Page: 1, Text: "Revenue grew by twelve percent in the year. Costs fell. Margins widened across all three divisions of the firm."},
			{Ord: 1, Page: 2, Text: dividend.Text},
		}},
	}
	m := &fakeModel{size: 4096, reply: "Two euros per share [2]."}
	q := Question{Text: "What dividend does the annual report propose?"}
	r, _ := Retrieve(context.Background(), lib, q.Text, Config{})
	a, err := Respond(context.Background(), m, lib, q, r, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.WholeDocument != "/docs/Annual Report.pdf" || len(a.Sources) != 2 {
		t.Fatalf("whole document not used: %q, %+v", a.WholeDocument, a.Sources)
	}
	if got := a.Sources[0].Text; got != "Revenue grew by twelve percent in the year. Costs fell. Margins widened across all three divisions of the firm." {
		t.Errorf("page 1 stitched as %q", got)
	}
	if a.Sources[1].Page != 2 || a.Citations[0].Page != 2 || !a.Citations[0].Supported {
		t.Errorf("citation of page 2: %+v", a.Citations)
	}
	// Each source points at its whole section, and takes the score of the
	// passage retrieved from it.
	if p := a.Sources[1].Place; p.Section != 1 || p.Start != 0 || p.End != len(dividend.Text) {
		t.Errorf("page 2's place %+v", p)
	}
	if a.Sources[1].Score != dividend.Scores.Fused || a.Sources[0].Score != 0 {
		t.Errorf("scores %v %v", a.Sources[0].Score, a.Sources[1].Score)
	}

	// Too big for half the context: passages instead.
	m.size = 80
	a, err = Respond(context.Background(), m, lib, q, r, Config{AnswerTokens: 10, SystemPrompt: "Answer."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.WholeDocument != "" {
		t.Error("a document larger than half the context was given whole")
	}
	// Not named and not dominant: passages.
	m.size = 4096
	q.Text = "What dividend is proposed?"
	a, _ = Respond(context.Background(), m, lib, q, r, Config{}, nil)
	if a.WholeDocument != "" {
		t.Error("whole document used for a question not about it")
	}
}

func TestStandaloneQuery(t *testing.T) {
	history := []Turn{{Question: "How tall is the Eiffel Tower?", Answer: "It is 330 metres tall [1]."}}
	tests := []struct {
		name     string
		m        Model
		question string
		want     string
		byModel  bool
	}{
		{"no history", nil, "What is sourdough?", "What is sourdough?", false},
		{"fallback joins a referring follow-up", nil, "When was it built?", "How tall is the Eiffel Tower? When was it built?", false},
		{"fallback keeps a standalone question", nil, "What flour does sourdough bread need?", "What flour does sourdough bread need?", false},
		{"fallback keeps a short new topic", nil, "What is the capital of Mongolia?", "What is the capital of Mongolia?", false},
		{"fallback joins a continuation", nil, "And the Colosseum?", "How tall is the Eiffel Tower? And the Colosseum?", false},
		{"fallback joins what about", nil, "What about Rome?", "How tall is the Eiffel Tower? What about Rome?", false},
		{"model rewrite", &fakeModel{size: 512, reply: "When was the Eiffel Tower built?\nextra"}, "When was it built?", "When was the Eiffel Tower built?", true},
		{"model drift refused", &fakeModel{size: 512, reply: "Once upon a time a little dragon played"}, "When was it built?", "How tall is the Eiffel Tower? When was it built?", false},
		{"model repeating its answer refused", &fakeModel{size: 512, reply: "It is 330 metres tall."}, "When was it built?", "How tall is the Eiffel Tower? When was it built?", false},
		{"model rewrite dropping the subject refused", &fakeModel{size: 512, reply: "How tall is the Eiffel Tower?"}, "When was it built?", "How tall is the Eiffel Tower? When was it built?", false},
		{"model rewrite adding nothing refused", &fakeModel{size: 512, reply: "When was it built?"}, "When was it built?", "How tall is the Eiffel Tower? When was it built?", false},
		{"model rewrite of a new topic", &fakeModel{size: 512, reply: "What is the capital of Mongolia?"}, "What is the capital of Mongolia?", "What is the capital of Mongolia?", true},
		{"model rewrite from the answer's words", &fakeModel{size: 512, reply: "When were the 330 metres of the Eiffel Tower built?"}, "When was it built?", "When were the 330 metres of the Eiffel Tower built?", true},
	}
	for _, tc := range tests {
		h := history
		if tc.name == "no history" {
			h = nil
		}
		got, byModel := StandaloneQuery(context.Background(), tc.m, Config{}, h, tc.question)
		if got != tc.want || byModel != tc.byModel {
			t.Errorf("%s: got %q (model %v), want %q (model %v)", tc.name, got, byModel, tc.want, tc.byModel)
		}
	}
}

func TestRespondCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	m := &fakeModel{size: 4096, piece: 2, reply: "The Eiffel Tower is 330 metres tall [1] and more text follows.",
		onChat: func(context.Context) error {
			if n++; n == 5 {
				cancel()
			}
			return nil
		}}
	lib := towerLibrary()
	r, _ := Retrieve(context.Background(), lib, "Eiffel", Config{})
	a, err := Respond(ctx, m, lib, Question{Text: "How tall is the Eiffel Tower?"}, r, Config{NoWholeDocument: true}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if a == nil || a.Text != "The Eiff" {
		t.Errorf("partial answer %+v", a)
	}
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := s.New("Work")
	c.Turns = append(c.Turns, Answer{
		Question: "How tall is the Eiffel Tower?", Text: "It is 330 metres tall [1].", Outcome: Answered, Grounded: true,
		At: time.Now(), Sources: []Source{{N: 1, Path: "/docs/paris.pdf", Page: 3, Text: "The Eiffel Tower is 330 metres tall."}},
		Model: ModelRecord{Name: "tiny"},
	}, Answer{Question: "What about the moon?", Text: NotFoundText, Outcome: NotFound})
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	other := s.New("")
	other.Title = "Second"
	time.Sleep(2 * time.Millisecond)
	if err := s.Save(other); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "20260101-000000-abcdef.json"), []byte("{damaged"), 0o600)

	s, _ = OpenStore(dir) // reopen
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != other.ID || list[1].Title != "How tall is the Eiffel Tower?" || list[1].Turns != 2 {
		t.Fatalf("list %+v", list)
	}
	got, err := s.Load(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Turns) != 2 || got.Turns[0].Sources[0].Page != 3 || got.Library != "Work" {
		t.Errorf("loaded %+v", got)
	}
	if h := got.History(); len(h) != 2 || h[0].Answer != "It is 330 metres tall [1]." {
		t.Errorf("history %+v", h)
	}
	md := got.Markdown()
	for _, want := range []string{"# How tall is the Eiffel Tower?", "It is 330 metres tall [^1-1].", "[^1-1]: paris.pdf, page 3 — “The Eiffel Tower is 330 metres tall.”", "*Not found in the documents.*"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if err := s.Rename(c.ID, "  Paris  "); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(c.ID); got.Title != "Paris" {
		t.Errorf("renamed to %q", got.Title)
	}
	if err := s.Delete(c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(c.ID); !errors.Is(err, ErrNoConversation) {
		t.Errorf("deleted conversation loads: %v", err)
	}
	for _, bad := range []string{"../../etc/passwd", "", c.ID + "x"} {
		if _, err := s.Load(bad); !errors.Is(err, ErrNoConversation) {
			t.Errorf("Load(%q): %v", bad, err)
		}
	}
	if err := s.Delete(c.ID); !errors.Is(err, ErrNoConversation) {
		t.Errorf("second delete: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("files left: %v (temporary files must not remain)", ents)
	}
}

// An answer that cites none of its sources, or only sources that do not
// support it, is not called grounded.
func TestRespondUncited(t *testing.T) {
	for _, c := range []struct {
		name, reply string
		outcome     Outcome
		grounded    bool
	}{
		{"no citation", "The Eiffel Tower is 330 metres tall.", Uncited, false},
		{"only an unsupported citation", "Bread rises from spectators watching the Colosseum games daily [3].", Uncited, false},
		{"a supported citation", "The Eiffel Tower is 330 metres tall [1].", Answered, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := &fakeModel{size: 4096, piece: 3, reply: c.reply}
			lib := towerLibrary()
			r, err := Retrieve(context.Background(), lib, "How tall is the Eiffel Tower?", Config{})
			if err != nil {
				t.Fatal(err)
			}
			a, err := Respond(context.Background(), m, lib, Question{Text: "How tall is the Eiffel Tower?"}, r, Config{NoWholeDocument: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.Outcome != c.outcome || a.Grounded != c.grounded {
				t.Errorf("outcome %s, grounded %v; want %s, %v", a.Outcome, a.Grounded, c.outcome, c.grounded)
			}
		})
	}
}

func TestPreview(t *testing.T) {
	src := func(text string) []Source { return []Source{{N: 1, Text: text}} }
	for _, c := range []struct {
		name, question, text, want string
	}{
		{"the sentence with most of the question's words", "How tall is the Eiffel Tower?",
			"Paris has many sights. The Eiffel Tower is 330 metres tall. It was finished in 1889.", "The Eiffel Tower is 330 metres tall."},
		{"the first sentence when none matches", "Who baked the bread?",
			"Paris has many sights. The tower is tall.", "Paris has many sights."},
		{"a paragraph break ends a sentence", "winter storms",
			"A heading without a full stop\n\nWinter storms closed the harbour", "Winter storms closed the harbour"},
		{"CJK full stops", "東京",
			"大阪は大きい。東京の天気は雨です。", "東京の天気は雨です。"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := preview(termSet(c.question), src(c.text))
			if p == nil || p.Text != c.want || c.text[p.Start:p.End] != p.Text || p.Source != 1 {
				t.Errorf("preview %+v, want %q", p, c.want)
			}
		})
	}
	long := "Start " + strings.Repeat("word ", 200) + "end."
	if p := preview(termSet("word"), src(long)); p == nil || len(p.Text) > previewLimit || !strings.HasPrefix(long[p.Start:], p.Text) {
		t.Errorf("a long sentence: %+v", p)
	}
	if p := preview(termSet("x"), nil); p != nil {
		t.Errorf("no sources: %+v", p)
	}
}

func TestEvidence(t *testing.T) {
	filler := func(topic string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "The %s paragraph goes on with sentence number %d about nothing in particular. ", topic, i)
		}
		return b.String()
	}
	long := filler("opening", 6) + "The lighthouse was built in 1821 by the harbour board. It was painted red in 1900. " + filler("closing", 6)
	src := []Source{
		{N: 1, Text: long},
		{N: 2, Text: "A short note: the lighthouse keeper was called Abel."},
		{N: 3, Text: long}, // the same passage again (a duplicate file)
		{N: 4, Text: filler("unrelated", 12)},
	}
	got := selectEvidence(termSet("When was the lighthouse built?"), src)
	e := got[0].ForModel()
	if !strings.Contains(e, "The lighthouse was built in 1821 by the harbour board.") || !strings.Contains(e, "painted red in 1900") {
		t.Errorf("the matching sentence and its neighbour are missing: %q", e)
	}
	if len(e) >= len(long)/2 || got[0].Text != long {
		t.Errorf("evidence %d of %d characters; the passage itself must stay whole", len(e), len(long))
	}
	if got[1].Evidence != "" || got[1].ForModel() != src[1].Text {
		t.Errorf("a short passage is given whole: %q", got[1].ForModel())
	}
	if got[2].Evidence != "The lighthouse was built in 1821 by the harbour board." {
		t.Errorf("a copy of an earlier passage should give its best sentence alone: %q", got[2].Evidence)
	}
	if got[3].Evidence != "" {
		t.Errorf("a passage that shares no word with the question (found by meaning) is given whole: %q", got[3].Evidence)
	}
	// The prompt carries the evidence, the answer record the passage.
	b := &budget{system: "s", question: "When was the lighthouse built?"}
	msg := b.messages(got)
	if u := msg[len(msg)-1].Content; !strings.Contains(u, e) || strings.Contains(u, "opening paragraph goes on with sentence number 0 about nothing in particular. The opening") {
		t.Errorf("prompt: %q", u)
	}
}

func TestHoldsAnswer(t *testing.T) {
	for _, c := range []struct {
		text    string
		answers []string
		want    bool
	}{
		{"It began in  October\n1973 with an embargo.", []string{"october 1973"}, true},
		{"It began in October.", []string{"1973", "autumn"}, false},
		{"anything", []string{"", "  "}, false},
	} {
		if got := HoldsAnswer(c.text, c.answers); got != c.want {
			t.Errorf("%q holds %q: %v", c.text, c.answers, got)
		}
	}
}

func TestFollowUpRetrieval(t *testing.T) {
	hits := func(ids ...int64) []retrieve.Hit {
		var out []retrieve.Hit
		for _, id := range ids {
			out = append(out, retrieve.Hit{ChunkID: id})
		}
		return out
	}
	ret := func(relevant bool, ids ...int64) Retrieval {
		return Retrieval{Query: fmt.Sprint(ids), Result: retrieve.Result{Relevant: relevant, Hits: hits(ids...)}}
	}
	ids := func(r Retrieval) []int64 {
		var out []int64
		for _, h := range r.Result.Hits {
			out = append(out, h.ChunkID)
		}
		return out
	}
	for _, tc := range []struct {
		name             string
		rewritten, asked Retrieval
		k                int
		want             []int64
		relevant         bool
	}{
		{"the question alone finds it, the rewrite not", ret(false, 1, 2), ret(true, 7, 8), 6, []int64{7, 8}, true},
		{"the rewrite finds it, the question not", ret(true, 1, 2), ret(false, 7, 8), 6, []int64{1, 2}, true},
		{"neither: the rewrite's closest", ret(false, 1, 2), ret(false, 7, 8), 6, []int64{1, 2}, false},
		{"both: in turn, without repeats", ret(true, 1, 2, 3), ret(true, 2, 9, 4), 4, []int64{1, 2, 9, 3}, true},
		{"both, no limit given", ret(true, 1), ret(true, 5, 6), 0, []int64{1, 5, 6}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FollowUpRetrieval(tc.rewritten, tc.asked, tc.k)
			if !reflect.DeepEqual(ids(got), tc.want) || got.Result.Relevant != tc.relevant {
				t.Errorf("got %v (relevant %v), want %v (relevant %v)", ids(got), got.Result.Relevant, tc.want, tc.relevant)
			}
		})
	}
}

func TestDeclines(t *testing.T) {
	cited := []Citation{{Source: Source{N: 1}}}
	for _, tc := range []struct {
		a    Answer
		want bool
	}{
		{Answer{Outcome: NotFound, Text: NotFoundText}, true},
		{Answer{Outcome: Uncited, Text: "The documents do not say when it was built."}, true},
		{Answer{Outcome: Uncited, Text: "The provided sources don't mention the Nile."}, true},
		{Answer{Outcome: Uncited, Text: "I couldn't find that in the passages."}, true},
		{Answer{Outcome: Uncited, Text: "This is not mentioned in the sources."}, true},
		{Answer{Outcome: Uncited, Text: "There is no information about Mongolia."}, true},
		{Answer{Outcome: Uncited, Text: "It was built in 1889."}, false},
		{Answer{Outcome: Answered, Citations: cited, Text: "It is 330 metres tall [1]; the documents do not say when it was built."}, false},
		{Answer{Outcome: RetrievalOnly, Text: RetrievalOnlyText}, false},
	} {
		if got := Declines(&tc.a); got != tc.want {
			t.Errorf("Declines(%q) = %v, want %v", tc.a.Text, got, tc.want)
		}
	}
}

// A follow-up keeps the sources the model read: its prompt starts with
// the previous prompt and answer as the model read them (so the KV cache
// of them is reused), passages already given are not given again, new
// ones are numbered after them, and a citation of an earlier source is
// checked against it.
func TestFollowUpKeepsSources(t *testing.T) {
	lib := towerLibrary()
	m := &fakeModel{size: 4096, reply: "It is 330 metres tall [1]."}
	first, err := Respond(context.Background(), m, lib, Question{Text: "How tall is the Eiffel Tower?"}, mustRetrieve(t, lib, "How tall is the Eiffel Tower?"), Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	firstPrompt := m.last
	if first.Asked == "" || first.Carried != 0 || first.Asked != firstPrompt[len(firstPrompt)-1].Content {
		t.Fatalf("first answer: asked %q, carried %d", first.Asked, first.Carried)
	}
	conv := &Conversation{Turns: []Answer{*first}}

	// The follow-up finds the same passages and one new one.
	lib.result.Hits = append([]retrieve.Hit{hit(4, 4, "/docs/paris.pdf", 4, "The tower was repainted in 2019 in a golden brown.")}, lib.result.Hits...)
	m.reply = "It was completed in 1889 [1] and repainted in 2019 [4]."
	second, err := Respond(context.Background(), m, lib, Question{Text: "When was it completed and repainted?", History: conv.History()},
		mustRetrieve(t, lib, "When was it completed and repainted?"), Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.last[:len(firstPrompt)], firstPrompt) {
		t.Errorf("the follow-up's prompt does not start with the first prompt:\n%q\n%q", m.last[:len(firstPrompt)], firstPrompt)
	}
	if m.last[len(firstPrompt)].Role != "assistant" || m.last[len(firstPrompt)].Content != first.Text {
		t.Errorf("the first answer is not next: %+v", m.last[len(firstPrompt)])
	}
	if second.Carried != 3 || len(second.Sources) != 4 || second.Sources[3].N != 4 || second.Sources[3].DocID != 4 {
		t.Fatalf("sources %+v, carried %d", second.Sources, second.Carried)
	}
	asked := m.last[len(m.last)-1].Content
	if strings.Contains(asked, "330 metres") || !strings.Contains(asked, "[4] paris.pdf, page 4") || second.Asked != asked {
		t.Errorf("the new message gives again what was read, or misses the new source: %q", asked)
	}
	if len(second.Citations) != 2 || second.Citations[0].DocID != 1 || !second.Citations[0].Supported || second.Citations[1].DocID != 4 {
		t.Errorf("citations %+v", second.Citations)
	}
	// The preview quotes this question's best passage, the new one, not
	// the first of those kept.
	if second.Preview == nil || second.Preview.Source != 4 || !strings.Contains(second.Preview.Text, "repainted") {
		t.Errorf("preview %+v", second.Preview)
	}

	// The follow-up's rewrite comes after the conversation as the model
	// read it, so the cache serves it and the answer after it.
	rw := &fakeModel{size: 4096, reply: "When was the Eiffel Tower completed?"}
	if q, ok := StandaloneQuery(context.Background(), rw, Config{}, conv.History(), "When was it completed?"); !ok || q != rw.reply ||
		!reflect.DeepEqual(rw.last[:len(firstPrompt)], firstPrompt) || rw.last[len(firstPrompt)].Content != first.Text {
		t.Errorf("rewrite %q (%v) from prompt %+v", q, ok, rw.last)
	}

	// A third question about the same passages reads only itself.
	conv.Turns = append(conv.Turns, *second)
	m.reply = "In Paris [1]."
	third, err := Respond(context.Background(), m, lib, Question{Text: "Where is it?", History: conv.History()}, mustRetrieve(t, lib, "Where is it?"), Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if third.Carried != 4 || len(third.Sources) != 4 || !strings.HasPrefix(m.last[len(m.last)-1].Content, "Sources: as above.") || len(m.last) != 6 {
		t.Errorf("third: %d carried of %d, prompt %+v", third.Carried, len(third.Sources), m.last)
	}

	// Without room for the conversation with its sources, the usual
	// layout: earlier questions without their sources.
	small := &fakeModel{size: 220, reply: "In Paris [1]."}
	fourth, err := Respond(context.Background(), small, lib, Question{Text: "Where is it?", History: conv.History()}, mustRetrieve(t, lib, "Where is it?"), Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fourth.Carried != 0 || fourth.Sources[0].N != 1 || strings.Contains(small.last[1].Content, "Sources:") {
		t.Errorf("no room: carried %d, prompt %+v", fourth.Carried, small.last)
	}
	// A turn without a record of what was read (an API client's history)
	// is laid out as before.
	plain, err := Respond(context.Background(), m, lib, Question{Text: "Where is it?", History: []Turn{{Question: "How tall?", Answer: "330 m"}}}, mustRetrieve(t, lib, "Where is it?"), Config{}, nil)
	if err != nil || plain.Carried != 0 || m.last[1].Content != "How tall?" {
		t.Errorf("history without records: %v, carried %d, prompt %+v", err, plain.Carried, m.last)
	}
}

func mustRetrieve(t *testing.T, lib Searcher, q string) Retrieval {
	t.Helper()
	r, err := Retrieve(context.Background(), lib, q, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The question's terms come from retrieval when it searched the question
// as asked, and are found anew only for a follow-up searched as its
// rewrite.
func TestQuestionTermsComeFromRetrieval(t *testing.T) {
	q := Question{Text: "When was the lighthouse built?"}
	for _, c := range []struct {
		name string
		r    Retrieval
		want []string
	}{
		{"searched as asked", Retrieval{Query: q.Text, Result: retrieve.Result{Terms: []string{"lighthous", "built"}}}, []string{"lighthous", "built"}},
		{"searched as a rewrite", Retrieval{Query: "lighthouse Brest built", Result: retrieve.Result{Terms: []string{"brest"}}}, terms.Of(q.Text)},
		{"no lexical search", Retrieval{Query: q.Text}, terms.Of(q.Text)},
	} {
		got := questionTerms(q, c.r)
		if len(got) != len(dedupeStrings(c.want)) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		for _, w := range c.want {
			if !got[w] {
				t.Errorf("%s: %v lacks %q", c.name, got, w)
			}
		}
	}
}

func dedupeStrings(s []string) map[string]bool {
	out := map[string]bool{}
	for _, x := range s {
		out[x] = true
	}
	return out
}
