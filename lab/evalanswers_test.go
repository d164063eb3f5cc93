package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/grade"
	"github.com/carrel-ai/carrel/lab"
)

// scriptedServer is an OpenAI-compatible model that replies to each
// question from a script. A reply's {file} is replaced by the number the
// prompt gave that file's source, so its citations point where the
// script says whatever order retrieval found them in.
func scriptedServer(t *testing.T, script map[string]string) *httptest.Server {
	source := regexp.MustCompile(`(?m)^\[(\d+)\] ([^,\n]+)`)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Role, Content string }
		}
		if r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) == 0 {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		user := req.Messages[len(req.Messages)-1].Content
		reply := "The documents do not say."
		for q, rep := range script {
			if strings.HasSuffix(strings.TrimSpace(user), q) {
				reply = rep
			}
		}
		for _, m := range source.FindAllStringSubmatch(user, -1) {
			reply = strings.ReplaceAll(reply, "{"+m[2]+"}", m[1])
		}
		reply = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(reply, "99") // a file it was not given
		w.Header().Set("Content-Type", "text/event-stream")
		for _, part := range strings.SplitAfter(reply, " ") {
			fmt.Fprintf(w, "data: {\"model\":\"scripted\",\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", part)
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(s.Close)
	return s
}

// questionSet writes a question set in the layout a person writes:
// questions.jsonl beside documents/. No file is named by a question, so
// answers draw on passages of several documents, not one whole document.
func questionSet(t *testing.T) string {
	dir := t.TempDir()
	docs := map[string]string{
		"landmark.txt": "The Eiffel Tower is 330 metres tall. It was finished in 1889 for the World's Fair.",
		"city.txt":     "Paris is the largest city of France. The Eiffel Tower was finished before the Louvre pyramid.",
		"river.txt":    "The Nile is about 6,650 kilometres long. It flows north into the Mediterranean Sea.",
		"baking.txt":   "Sourdough bread rises with wild yeast and lactic acid bacteria.",
	}
	os.Mkdir(filepath.Join(dir, "documents"), 0o700)
	for name, text := range docs {
		if err := os.WriteFile(filepath.Join(dir, "documents", name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	lines := `{"id": "tall", "question": "How tall is the Eiffel Tower?", "answers": ["330 metres"], "doc": "landmark.txt"}
{"id": "when", "question": "When was the Eiffel Tower finished?", "answers": ["1889"], "doc": "landmark.txt"}
# the documents answer it, but the model declines
{"id": "nile", "question": "How long is the Nile?", "answers": ["6,650 kilometres", "about 6,650 kilometres"], "doc": "river.txt"}

{"id": "mongolia", "question": "What is the capital of Mongolia?", "answers": []}
{"question": "What does sourdough bread rise with?"}
`
	if err := os.WriteFile(filepath.Join(dir, "questions.jsonl"), []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Every figure of `carrel eval answers` on a scripted model, worked out by
// hand: an exact answer, a longer one citing a right and a wrong source, an
// answerable question declined, an unanswerable one declined (nothing
// found) and one answered anyway.
func TestEvaluateAnswers(t *testing.T) {
	srv := scriptedServer(t, map[string]string{
		"How tall is the Eiffel Tower?":        "330 metres [{landmark.txt}].",
		"When was the Eiffel Tower finished?":  "The tower was finished in 1889 [{landmark.txt}][{city.txt}].",
		"How long is the Nile?":                "The documents do not say how long the Nile is.",
		"What does sourdough bread rise with?": "Sourdough bread rises with wild yeast [{baking.txt}].",
	})
	dir := questionSet(t)
	s := engine.DefaultSettings()
	s.EmbedModel, s.ChatServer, s.Temperature = engine.NoEmbedModel, srv.URL+"/v1", 0
	var each []grade.Result
	rep, err := lab.EvaluateAnswers(context.Background(), lab.AnswerEvalOptions{Dataset: dir, Settings: &s,
		Each: func(r grade.Result) { each = append(each, r) }})
	if err != nil {
		t.Fatal(err)
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %.4f, want %.4f", name, got, want)
		}
	}
	if rep.Questions != 5 || rep.Answerable != 3 || rep.Unanswerable != 2 || rep.Documents != 4 || rep.HeldOut != 0 {
		t.Fatalf("counts: %+v", rep)
	}
	near("exact match", rep.ExactMatch, 1.0/3)               // "330 metres" only
	near("F1", rep.F1, (1+1.0/3+0)/3)                        // 1889 is 1 of the 5 words of the second
	near("holds gold", rep.HoldsGold, 2.0/3)                 // the declined one holds nothing
	near("citation precision", rep.CitationPrecision, 2.0/3) // city.txt lacks 1889
	near("citation recall", rep.CitationRecall, 2.0/3)
	near("sources hold gold", rep.SourcesGold, 1)
	near("unanswerable declined", rep.UnanswerableDeclined, 0.5)
	near("answerable declined", rep.AnswerableDeclined, 1.0/3)
	if rep.Outcomes["not_found"] != 1 || rep.Generated != 4 || rep.FirstTokenP50 <= 0 || rep.Model != "scripted" || rep.Server != srv.URL {
		t.Errorf("outcomes %v, %d generated, first token p50 %.1f ms, model %q at %q", rep.Outcomes, rep.Generated, rep.FirstTokenP50, rep.Model, rep.Server)
	}
	if len(each) != 5 || each[0].ID != "tall" || each[0].ExactMatch != 1 || each[1].Cited != 2 || each[1].CitedGold != 1 ||
		!each[2].Declined || each[3].ID != "mongolia" || !each[3].Declined || each[4].Declined || each[4].ID != "line-7" {
		t.Errorf("per question: %+v", each)
	}

	// Held out, the Eiffel Tower's document makes its two questions ones
	// the library cannot answer.
	rep, err = lab.EvaluateAnswers(context.Background(), lab.AnswerEvalOptions{Dataset: dir, Settings: &s, Holdout: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.HeldOut != 1 || rep.Documents != 3 || rep.Answerable != 1 || rep.Unanswerable != 4 {
		t.Errorf("held out: %+v", rep)
	}

	// Two questions of five are the first and the third, not the first two.
	var asked []string
	if _, err := lab.EvaluateAnswers(context.Background(), lab.AnswerEvalOptions{Dataset: dir, Settings: &s, Questions: 2,
		Each: func(r grade.Result) { asked = append(asked, r.ID) }}); err != nil || strings.Join(asked, ",") != "tall,nile" {
		t.Errorf("two questions asked: %q (%v)", asked, err)
	}
}

func TestEvaluateAnswersErrors(t *testing.T) {
	dir := questionSet(t)
	s := engine.DefaultSettings()
	s.EmbedModel = engine.NoEmbedModel
	for _, tc := range []struct {
		name string
		o    lab.AnswerEvalOptions
		want string
	}{
		{"no model", lab.AnswerEvalOptions{Dataset: dir, Settings: &s}, "no chat model"},
		{"not a set", lab.AnswerEvalOptions{Dataset: t.TempDir(), Settings: &engine.Settings{ChatModel: "m.gguf"}}, "neither questions.jsonl"},
		{"bad share", lab.AnswerEvalOptions{Dataset: dir, Settings: &engine.Settings{ChatModel: "m.gguf"}, Holdout: 1}, "held-out share"},
		{"missing model file", lab.AnswerEvalOptions{Dataset: dir, Settings: func() *engine.Settings {
			m := s
			m.ChatModel = filepath.Join(t.TempDir(), "missing.gguf")
			return &m
		}()}, "missing.gguf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lab.EvaluateAnswers(context.Background(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// The retrieval evaluation on a BEIR-layout set made here: by words, each
// query finds its document first; with half the documents held out, the
// questions about them are declined by the relevance floor.
func TestEvaluateRetrieval(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("corpus.jsonl", `{"_id": "Tower#0", "title": "Tower", "text": "The Eiffel Tower is 330 metres tall."}
{"_id": "Nile#0", "title": "Nile", "text": "The Nile is about 6,650 kilometres long."}
{"_id": "Bread#0", "title": "Bread", "text": "Sourdough bread rises with wild yeast."}
{"_id": "Moon#0", "title": "Moon", "text": "The Moon orbits the Earth every 27 days."}
`)
	write("queries.jsonl", `{"_id": "q1", "text": "How tall is the Eiffel Tower?"}
{"_id": "q2", "text": "How long is the Nile?"}
{"_id": "q3", "text": "What makes sourdough bread rise?"}
{"_id": "q4", "text": "How often does the Moon orbit the Earth?"}
`)
	write("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\tTower#0\t1\nq2\tNile#0\t1\nq3\tBread#0\t1\nq4\tMoon#0\t1\n")
	rep, err := lab.Evaluate(context.Background(), lab.EvalOptions{Dataset: dir, Mode: engine.SearchLexical})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Documents != 4 || rep.Queries != 4 || rep.Recall10 != 1 || rep.MRR10 != 1 || rep.AnswerableFound != 1 {
		t.Errorf("report %+v", rep)
	}
	rep, err = lab.Evaluate(context.Background(), lab.EvalOptions{Dataset: dir, Mode: engine.SearchLexical, Holdout: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queries != 2 || rep.Unanswerable != 2 || rep.UnanswerableDeclined != 1 {
		t.Errorf("held out: %+v", rep.Metrics)
	}
}
