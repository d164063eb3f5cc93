package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/carrel-ai/carrel/engine"

	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/rag"
)

// EvidenceOptions set up MeasureEvidence; zero values pick the defaults.
type EvidenceOptions struct {
	// QA is a folder with articles-v1.1-dev/ (one text file per article)
	// and questions-v1.1-dev.jsonl (question, answers), as
	// ../shared/qa/squad holds SQuAD.
	QA string
	// Sources per question; 0 means 6, as answers use.
	Sources int
	// Questions limits the measurement to the first N (0: all).
	Questions int
	// Work keeps the library in this folder ("" means a temporary one).
	Work string
	// Progress, if set, receives the indexing events.
	Progress func(event.Event)
}

// EvidenceReport compares what the model would read with whole passages
// and with evidence selection.
type EvidenceReport struct {
	Questions int `json:"questions"`
	Sources   int `json:"sources"`
	// Gold*: the share of questions with a gold answer inside the sources
	// given to the model (case and spacing ignored).
	GoldWhole    float64 `json:"gold_in_sources_whole"`
	GoldEvidence float64 `json:"gold_in_sources_evidence"`
	// Tokens*: the sources' tokens per question, counted with the
	// embedding model's tokenizer.
	TokensWhole    float64 `json:"source_tokens_whole"`
	TokensEvidence float64 `json:"source_tokens_evidence"`
	Tokenizer      string  `json:"tokenizer"`
}

// MeasureEvidence indexes a QA set's articles as a person's library is
// indexed (passages of the settings' size), retrieves the sources of each
// question as Ask does, and measures how often the gold answer is inside
// them and how long they are, given whole and as evidence.
func MeasureEvidence(ctx context.Context, o EvidenceOptions) (*EvidenceReport, error) {
	if o.Sources <= 0 {
		o.Sources = 6
	}
	work := o.Work
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "carrel-evidence-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	}
	const library = "evidence"
	hasTokenizer := func(e *engine.Engine) error {
		_, err := e.CountTokens("")
		return err
	}
	e, done, err := measuredLibrary(ctx, engine.Options{DataDir: filepath.Join(work, "data"), NoWatch: true, NoChatModel: true},
		hasTokenizer, o.Progress, library, filepath.Join(o.QA, "articles-v1.1-dev"))
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := os.Open(filepath.Join(o.QA, "questions-v1.1-dev.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep := &EvidenceReport{Sources: o.Sources, Tokenizer: e.SearchMethod().Name}
	var gw, ge, tw, te int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if o.Questions > 0 && rep.Questions >= o.Questions {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var q struct {
			Question string   `json:"question"`
			Answers  []string `json:"answers"`
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, fmt.Errorf("lab: questions: %w", err)
		}
		res, err := e.Search(ctx, q.Question, engine.SearchOptions{Library: library, K: o.Sources})
		if err != nil {
			return nil, err
		}
		src := make([]rag.Source, len(res.Hits))
		for i, h := range res.Hits {
			src[i] = rag.Source{N: i + 1, Text: h.Text}
		}
		var whole, ev strings.Builder
		for _, s := range rag.Evidence(q.Question, src) {
			whole.WriteString(s.Text + "\n")
			ev.WriteString(s.ForModel() + "\n")
		}
		rep.Questions++
		if rag.HoldsAnswer(whole.String(), q.Answers) {
			gw++
		}
		if rag.HoldsAnswer(ev.String(), q.Answers) {
			ge++
		}
		nw, _ := e.CountTokens(whole.String()) // the tokenizer is there: checked above
		ne, _ := e.CountTokens(ev.String())
		tw += nw
		te += ne
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n := float64(rep.Questions); n > 0 {
		rep.GoldWhole, rep.GoldEvidence = float64(gw)/n, float64(ge)/n
		rep.TokensWhole, rep.TokensEvidence = float64(tw)/n, float64(te)/n
	}
	return rep, nil
}

// forward sends the engine's events to progress (if set) until the
// returned stop is called.
func forward(e *engine.Engine, progress func(event.Event)) (stop func()) {
	if progress == nil {
		return func() {}
	}
	ch, unsubscribe := e.Subscribe()
	go func() {
		for ev := range ch {
			progress(ev)
		}
	}()
	return unsubscribe
}
