package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/carrel-ai/carrel/lab"
)

func benchEvidenceCmd() *command {
	fs := flag.NewFlagSet("bench evidence", flag.ContinueOnError)
	sources := fs.Int("sources", 6, "sources per question, as answers use")
	limit := fs.Int("questions", 0, "measure only the first N questions (0: all)")
	keep := fs.String("keep", "", "keep the library in this `folder` (default: removed)")
	asJSON := fs.Bool("json", false, "print JSON")
	return &command{
		Name: "bench evidence", Usage: "QA_DIR [--sources 6] [--questions N] [--json]",
		Short: "what the model reads per question, whole passages against evidence sentences: the share of SQuAD questions whose gold answer it holds, and its tokens",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("give the QA folder (articles-v1.1-dev/ and questions-v1.1-dev.jsonl, as ../shared/qa/squad)")
			}
			if *sources < 1 || *limit < 0 {
				return usagef("--sources must be at least 1, --questions 0 or more")
			}
			o := lab.EvidenceOptions{QA: args[0], Sources: *sources, Questions: *limit, Work: *keep}
			if !*asJSON && isTerminal(os.Stderr) {
				o.Progress = (&progress{}).event
			}
			r, err := lab.MeasureEvidence(ctx, o)
			if err != nil {
				return explain(err)
			}
			if *asJSON {
				return json.NewEncoder(os.Stdout).Encode(r)
			}
			fmt.Printf("%d questions, %d sources each (tokens counted with %s)\n", r.Questions, r.Sources, r.Tokenizer)
			fmt.Printf("  whole passages: gold answer inside %.1f%%, %.0f tokens\n", 100*r.GoldWhole, r.TokensWhole)
			fmt.Printf("  evidence:       gold answer inside %.1f%%, %.0f tokens (%.1f%% of the figure with whole passages, %.0f%% of the tokens)\n",
				100*r.GoldEvidence, r.TokensEvidence, 100*r.GoldEvidence/max(r.GoldWhole, 1e-9), 100*r.TokensEvidence/max(r.TokensWhole, 1e-9))
			return nil
		},
	}
}
