package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/carrel-ai/carrel/engine"

	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/grade"
	"github.com/carrel-ai/carrel/engine/rag"
)

// AnswerEvalOptions set up EvaluateAnswers; zero values pick the
// defaults.
type AnswerEvalOptions struct {
	// Dataset is a question set folder (see grade.Load): questions.jsonl
	// with documents/, or SQuAD's questions-NAME.jsonl with articles-NAME/.
	Dataset string
	// engine.Settings answer the questions: the chat model (ChatModel, or
	// ChatServer and its model), sources, threads, temperature. nil means
	// engine.DefaultSettings, which names no model; one of the two must be set.
	Settings *engine.Settings
	// Questions limits the evaluation to N questions spread evenly over
	// the set (0: all): sets such as SQuAD list an article's questions
	// together, and the first N would all be about one document.
	Questions int
	// Holdout leaves this share of the answering documents out of the
	// library; their questions become ones the documents cannot answer,
	// which should be declined.
	Holdout float64
	// Work is the folder the library is built in; "" means a new
	// temporary folder, removed afterwards.
	Work string
	// Progress, if set, receives the indexing and model loading events.
	Progress func(event.Event)
	// Each, if set, receives every question's graded answer in turn.
	Each func(AnswerResult)
}

// AnswerResult is one question's answer, graded (see grade.Result).
type AnswerResult = grade.Result

// AnswerEvalReport is what an answer evaluation measured.
type AnswerEvalReport struct {
	grade.Report
	// Model is the chat model that answered, and Server the model server
	// it ran on ("" for this computer).
	Model  string `json:"model"`
	Server string `json:"server,omitempty"`
	// Documents indexed, and held out of the library.
	Documents int     `json:"documents"`
	HeldOut   int     `json:"held_out_documents"`
	IndexS    float64 `json:"index_s"`
	Sources   int     `json:"sources"`
	// TotalS is how long answering took, all questions together.
	TotalS float64 `json:"total_s"`
}

// EvaluateAnswers measures answers the way a person gets them: the set's
// documents are added to a library on a temporary data folder and indexed,
// then every question is asked through Ask (retrieval, the prompt, the
// model, citations and their support check) and graded against its gold
// answers: exact match and token F1, whether the cited passages hold a gold
// answer, how often questions the documents cannot answer are declined,
// and the model's speed.
func EvaluateAnswers(ctx context.Context, o AnswerEvalOptions) (*AnswerEvalReport, error) {
	if o.Holdout < 0 || o.Holdout >= 1 {
		return nil, fmt.Errorf("lab: the held-out share must be at least 0 and below 1")
	}
	s := engine.DefaultSettings()
	if o.Settings != nil {
		s = *o.Settings
	}
	if s.ChatModel == "" && s.ChatServer == "" {
		return nil, fmt.Errorf("%w: evaluating answers needs a GGUF chat model file or a model server", engine.ErrNoChatModel)
	}
	set, err := grade.Load(o.Dataset)
	if err != nil {
		return nil, err
	}
	files, held, err := heldOutFiles(set, o.Holdout)
	if err != nil {
		return nil, err
	}
	work := o.Work
	if work == "" {
		if work, err = os.MkdirTemp("", "carrel-eval-answers-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	}
	const library = "eval"
	start := time.Now()
	e, done, err := measuredLibrary(ctx, engine.Options{DataDir: filepath.Join(work, "data"), Settings: &s, NoWatch: true}, nil, o.Progress, library, files...)
	if err != nil {
		return nil, err
	}
	defer done()
	rep := &AnswerEvalReport{Documents: len(files), HeldOut: len(held), IndexS: time.Since(start).Seconds(), Sources: s.Sources}
	if rep.Sources == 0 {
		rep.Sources = engine.DefaultSettings().Sources
	}
	questions := spread(set.Questions, o.Questions)
	var tally grade.Tally
	start = time.Now()
	for _, q := range questions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, a, err := gradeAnswer(ctx, e, library, q, held[set.Path(q)])
		if err != nil {
			return nil, err
		}
		if rep.Model == "" && a != nil {
			rep.Model, rep.Server = a.Model.Name, a.Model.Server
		}
		tally.Add(r)
		if o.Each != nil {
			o.Each(r)
		}
	}
	rep.Report = tally.Report()
	rep.TotalS = time.Since(start).Seconds()
	return rep, nil
}

// gradeAnswer asks q of library and grades the answer; heldOut means its
// document was left out, so it should be declined. A question too long
// for the model is graded as such, without an answer.
func gradeAnswer(ctx context.Context, e *engine.Engine, library string, q grade.Question, heldOut bool) (grade.Result, *engine.Answer, error) {
	r := grade.Result{ID: q.ID, Question: q.Question, Gold: q.Answers}
	if heldOut {
		r.Gold, r.HeldOut = nil, true // its document is not in the library
	}
	a, err := e.Ask(ctx, q.Question, engine.AskOptions{Library: library, NoSave: true}, nil)
	switch {
	case errors.Is(err, rag.ErrQuestionTooLong):
		r.Outcome = "too_long"
		return r, nil, nil
	case err != nil:
		return r, nil, fmt.Errorf("lab: question %s: %w", q.ID, err)
	case a.Outcome == engine.RetrievalOnly:
		// The model was not there to answer: a failed load, not a figure
		// to report.
		if st := e.ChatModel(); st.Err != nil {
			return r, nil, st.Err
		}
		return r, nil, fmt.Errorf("lab: question %s was answered without a model", q.ID)
	}
	r.Answer, r.Outcome, r.Declined = a.Text, string(a.Outcome), rag.Declines(a)
	if a.Outcome != engine.NotFound { // else the model was not asked
		r.FirstTokenMS = a.Timings.FirstTokenMS
		r.TokensPerS, r.PromptTokens, r.GeneratedTokens = a.Timings.TokensPerS, a.Timings.PromptTokens, a.Timings.GeneratedTokens
	}
	var cited, given []string
	for _, c := range a.Citations {
		cited = append(cited, c.Text)
	}
	for _, src := range a.Sources {
		given = append(given, src.ForModel())
	}
	return grade.Grade(r, cited, given), a, nil
}

// heldOutFiles lists the set's documents to add and the answering
// documents held out of the library: every (1/share)-th of them in sorted
// order, so a run is repeatable.
func heldOutFiles(set *grade.Set, share float64) (files []string, held map[string]bool, err error) {
	held = map[string]bool{}
	if share > 0 {
		var docs []string
		for _, q := range set.Questions {
			if p := set.Path(q); p != "" && !slices.Contains(docs, p) {
				docs = append(docs, p)
			}
		}
		slices.Sort(docs)
		if len(docs) < 2 {
			return nil, nil, fmt.Errorf("lab: holding documents out needs questions that name two documents or more (\"doc\")")
		}
		step := max(1, int(math.Round(1/share)))
		for i := 0; i < len(docs); i += step {
			held[docs[i]] = true
		}
	}
	err = filepath.WalkDir(set.Documents, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && !held[p] {
			files = append(files, p)
		}
		return nil
	})
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("lab: %s holds no documents", set.Documents)
	}
	return files, held, err
}

// spread picks n of qs at even intervals, in order (all when n is 0 or
// covers them).
func spread(qs []grade.Question, n int) []grade.Question {
	if n <= 0 || n >= len(qs) {
		return qs
	}
	out := make([]grade.Question, n)
	for i := range out {
		out[i] = qs[i*len(qs)/n]
	}
	return out
}
