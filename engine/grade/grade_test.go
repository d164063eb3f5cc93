package grade

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"The Eiffel Tower!", []string{"eiffel", "tower"}},
		{"about 6,650 kilometres", []string{"about", "6650", "kilometres"}},
		{"A cat, an owl and THE dog.", []string{"cat", "owl", "and", "dog"}},
		{"東京タワー is tall", []string{"東", "京", "タ", "ワ", "ー", "is", "tall"}},
		{"", nil},
	} {
		if got := Tokens(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScores(t *testing.T) {
	for _, tc := range []struct {
		answer string
		gold   []string
		em, f1 float64
		holds  bool
	}{
		{"330 metres [1].", []string{"330 metres"}, 1, 1, true},
		{"The tower was finished in 1889 [1][2].", []string{"1889"}, 0, 1.0 / 3, true},
		{"Denver Broncos", []string{"Broncos", "Denver Broncos"}, 1, 1, true},
		{"the Broncos won", []string{"Denver Broncos"}, 0, 0.5, false},
		{"It is 6,650 km long [2, 3]", []string{"6650 km"}, 0, 2.0 * (2.0 / 5) * 1 / (2.0/5 + 1), true},
		{"Nothing alike", []string{"1889"}, 0, 0, false},
		{"1889", nil, 0, 0, false},
	} {
		em, f1, holds := ExactMatch(tc.answer, tc.gold), F1(tc.answer, tc.gold), Holds(tc.answer, tc.gold)
		if em != tc.em || math.Abs(f1-tc.f1) > 1e-9 || holds != tc.holds {
			t.Errorf("%q against %q: EM %v F1 %.4f holds %v, want %v %.4f %v", tc.answer, tc.gold, em, f1, holds, tc.em, tc.f1, tc.holds)
		}
	}
	// A word inside another word is not a match.
	if Holds("in 18890 years", []string{"1889"}) {
		t.Error("1889 found inside 18890")
	}
}

// The report's figures, worked out by hand from four graded answers.
func TestTally(t *testing.T) {
	var tl Tally
	tl.Add(Grade(Result{Question: "q1", Gold: []string{"330 metres"}, Answer: "330 metres [1]", Outcome: "answered", FirstTokenMS: 100, TokensPerS: 10, PromptTokens: 500},
		[]string{"It is 330 metres tall."}, []string{"It is 330 metres tall.", "Paris"}))
	tl.Add(Grade(Result{Question: "q2", Gold: []string{"1889"}, Answer: "It opened in 1889 [1][2]", Outcome: "answered", FirstTokenMS: 300, TokensPerS: 20, PromptTokens: 700},
		[]string{"Opened in 1889.", "Paris is a city."}, []string{"Opened in 1889.", "Paris is a city."}))
	tl.Add(Grade(Result{Question: "q3", Gold: []string{"Nile"}, Answer: "The documents do not say.", Outcome: "uncited", Declined: true, FirstTokenMS: 200, TokensPerS: 30, PromptTokens: 600},
		nil, []string{"rivers"}))
	tl.Add(Grade(Result{Question: "q4", Answer: "I could not find this in your documents.", Outcome: "not_found", Declined: true}, nil, nil))
	r := tl.Report()
	for name, got := range map[string][2]float64{
		"exact match":           {r.ExactMatch, 1.0 / 3},
		"f1":                    {r.F1, (1 + 0.4) / 3},
		"holds":                 {r.HoldsGold, 2.0 / 3},
		"citation precision":    {r.CitationPrecision, 2.0 / 3},
		"citation recall":       {r.CitationRecall, 2.0 / 3},
		"sources hold gold":     {r.SourcesGold, 2.0 / 3},
		"unanswerable declined": {r.UnanswerableDeclined, 1},
		"answerable declined":   {r.AnswerableDeclined, 1.0 / 3},
		"first token p50":       {r.FirstTokenP50, 200},
		"first token p95":       {r.FirstTokenP95, 300},
		"tokens/s":              {r.TokensPerS, 20},
		"prompt tokens":         {r.PromptTokens, 600},
	} {
		if math.Abs(got[0]-got[1]) > 1e-9 {
			t.Errorf("%s = %.4f, want %.4f", name, got[0], got[1])
		}
	}
	if r.Questions != 4 || r.Answerable != 3 || r.Unanswerable != 1 || r.Generated != 3 || r.Outcomes["answered"] != 2 {
		t.Errorf("counts %+v", r)
	}
	if empty := (&Tally{}).Report(); empty.Questions != 0 || empty.F1 != 0 || empty.CitationPrecision != 0 {
		t.Errorf("an empty tally: %+v", empty)
	}
}

func TestLoad(t *testing.T) {
	write := func(dir, name, text string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	own := t.TempDir()
	write(own, "documents/a.txt", "A.")
	write(own, "questions.jsonl", "# mine\n{\"question\": \"Q?\", \"answers\": [\"x\", \" \"], \"doc\": \"a.txt\"}\n\n{\"id\": \"u\", \"question\": \"U?\"}\n")
	squad := t.TempDir()
	write(squad, "articles-v1.1-dev/A.txt", "A.")
	write(squad, "questions-v1.1-dev.jsonl", `{"id": "1", "question": "Q?", "answers": ["x"], "doc": "articles-v1.1-dev/A.txt"}`)
	for _, tc := range []struct {
		name, dir, want string
		n               int
		doc             string
	}{
		{"own layout", own, "", 2, filepath.Join(own, "documents", "a.txt")},
		{"squad layout", squad, "", 1, filepath.Join(squad, "articles-v1.1-dev", "A.txt")},
		{"not a folder", filepath.Join(own, "questions.jsonl"), "is not a folder", 0, ""},
		{"no questions", t.TempDir(), "neither questions.jsonl", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(tc.dir)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Questions) != tc.n || s.Path(s.Questions[0]) != tc.doc {
				t.Errorf("%d questions, first in %q", len(s.Questions), s.Path(s.Questions[0]))
			}
		})
	}
	s, _ := Load(own)
	if q := s.Questions; len(q[0].Answers) != 1 || q[1].ID != "u" || len(q[1].Answers) != 0 || q[0].ID != "line-2" {
		t.Errorf("questions %+v", q)
	}
	bad := t.TempDir()
	write(bad, "documents/a.txt", "A.")
	write(bad, "questions.jsonl", "{\"question\": \"Q?\"}\n{\"answers\": [\"x\"]}\n")
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a line without a question: %v", err)
	}
}
