package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/carrel-ai/carrel/lab"
)

func evalAnswersCmd() *command {
	fs := flag.NewFlagSet("eval answers", flag.ContinueOnError)
	var af askFlags
	af.registerModel(fs)
	temp := fs.Float64("temperature", 0, "temperature of the answers (0: always the most likely word, so runs repeat)")
	limit := fs.Int("questions", 0, "ask only N questions, spread evenly over the set (0: all)")
	holdout := fs.Float64("holdout", 0, "leave this `share` of the answering documents out of the library: their questions should then be declined")
	keep := fs.String("keep", "", "keep the temporary library in this `folder` (default: removed)")
	details := fs.String("details", "", "write every question's answer and scores to this JSON Lines `file`")
	asJSON := fs.Bool("json", false, "print JSON")
	return &command{
		Name: "eval answers", Usage: "DIR [--model FILE | --chat-server URL] [--json]",
		Short: "measure answers on a question set with gold answers (questions.jsonl beside documents/, or SQuAD as ../shared/qa/squad): exact match, F1, citation precision and recall, declines, first-token time and tokens/s",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("give one question set folder: questions.jsonl beside documents/ (see docs/answers.md), or SQuAD's layout")
			}
			if *holdout < 0 || *holdout >= 1 || *limit < 0 || *temp < 0 || *temp > 2 {
				return usagef("--holdout must be at least 0 and below 1, --questions 0 or more, --temperature 0 to 2")
			}
			_, s, err := af.settings()
			if err != nil {
				return err
			}
			if s.ChatModel == "" && s.ChatServer == "" {
				return usagef("give the model to measure: --model FILE (a GGUF chat model) or --chat-server URL")
			}
			s.Temperature = float32(*temp)
			o := lab.AnswerEvalOptions{Dataset: args[0], Settings: &s, Questions: *limit, Holdout: *holdout, Work: *keep}
			var out io.WriteCloser
			var enc *json.Encoder
			if *details != "" {
				if out, err = os.Create(*details); err != nil {
					return err
				}
				defer out.Close()
				enc = json.NewEncoder(out)
			}
			terminal := !*asJSON && isTerminal(os.Stderr)
			if terminal {
				o.Progress = (&progress{}).event
			}
			n := 0
			o.Each = func(r lab.AnswerResult) {
				n++
				if enc != nil {
					enc.Encode(r)
				}
				if terminal {
					fmt.Fprintf(os.Stderr, "\r\033[Kquestion %d · %s", n, trimTo(r.Question, 60))
				}
			}
			rep, err := lab.EvaluateAnswers(ctx, o)
			if terminal {
				fmt.Fprint(os.Stderr, "\r\033[K")
			}
			if err != nil {
				return explain(err)
			}
			if out != nil {
				if err := out.Close(); err != nil {
					return err
				}
			}
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(rep)
			}
			printAnswerReport(os.Stdout, filepath.Base(strings.TrimRight(args[0], "/")), rep)
			return nil
		},
	}
}

func printAnswerReport(w io.Writer, set string, r *lab.AnswerEvalReport) {
	where := "this computer"
	if r.Server != "" {
		where = r.Server
	}
	held := ""
	if r.HeldOut > 0 {
		held = fmt.Sprintf(", %d held out", r.HeldOut)
	}
	fmt.Fprintf(w, "%s: %d questions (%d answerable, %d not answerable from the library) · %d documents%s, indexed in %.0f s · %d sources per answer\n",
		set, r.Questions, r.Answerable, r.Unanswerable, r.Documents, held, r.IndexS, r.Sources)
	fmt.Fprintf(w, "model      %s (%s)\n", r.Model, where)
	pct := func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
	if r.Answerable > 0 {
		fmt.Fprintf(w, "answers    exact match %s · F1 %s · hold a gold answer %s\n", pct(r.ExactMatch), pct(r.F1), pct(r.HoldsGold))
		fmt.Fprintf(w, "citations  precision %s · recall %s (the sources held a gold answer for %s)\n", pct(r.CitationPrecision), pct(r.CitationRecall), pct(r.SourcesGold))
	}
	fmt.Fprintf(w, "declined   %s of answerable questions", pct(r.AnswerableDeclined))
	if r.Unanswerable > 0 {
		fmt.Fprintf(w, " · %s of unanswerable ones", pct(r.UnanswerableDeclined))
	}
	fmt.Fprintln(w)
	if r.Generated > 0 {
		fmt.Fprintf(w, "speed      first token p50 %.2f s, p95 %.2f s · %.1f tokens/s · %.0f prompt tokens · %d answers in %.0f s\n",
			r.FirstTokenP50/1000, r.FirstTokenP95/1000, r.TokensPerS, r.PromptTokens, r.Generated, r.TotalS)
	}
	var kinds []string
	for k := range r.Outcomes {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for i, k := range kinds {
		kinds[i] = fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), r.Outcomes[k])
	}
	fmt.Fprintf(w, "outcomes   %s\n", strings.Join(kinds, " · "))
}

// trimTo shortens s to n runes with an ellipsis.
func trimTo(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
