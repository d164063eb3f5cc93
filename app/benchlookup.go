package main

import (
	"context"
	"flag"
	"os"
	"strings"

	"github.com/carrel-ai/carrel/lab"
)

// lookupPassage is the default text of bench lookup: a passage, then its
// start again, so that a model continuing it copies from its prompt as an
// answer quotes its sources.
const lookupPassage = "Lily and her brother Tom lived in a small house near the river. Every morning they walked to the old mill to watch the boats. " +
	"One day they found a red kite stuck in a tree by the water, and Tom climbed up to bring it down. They flew the kite all afternoon, " +
	"until the sun went down behind the hills and their mother called them home for dinner."

func benchLookupCmd() *command {
	fs := flag.NewFlagSet("bench lookup", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	prompt := fs.String("prompt", "", "the prompt to continue (default: a passage followed by its first sentence, which a model continues by copying)")
	promptFile := fs.String("prompt-file", "", "read the prompt from this `file`")
	tokens := fs.Int("tokens", 128, "tokens generated per run")
	reps := fs.Int("reps", 3, "repetitions of each way, after one warm-up")
	asJSON := fs.Bool("json", false, "print JSON")
	return &command{
		Name: "bench lookup", Usage: "--model FILE [--prompt TEXT | --prompt-file FILE] [--json]",
		Short: "greedy generation speed with and without prompt-lookup decoding (drafts copied from the prompt), and a check that both write the same",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("bench lookup takes no arguments (the prompt goes in --prompt)")
			}
			if *tokens < 2 || *reps < 1 {
				return usagef("--tokens must be at least 2, --reps at least 1")
			}
			p := *prompt
			if *promptFile != "" {
				b, err := os.ReadFile(*promptFile)
				if err != nil {
					return err
				}
				p = string(b)
			}
			if strings.TrimSpace(p) == "" {
				first, _, _ := strings.Cut(lookupPassage, ". ")
				p = lookupPassage + "\n\n" + first + "."
			}
			o, err := mf.options(os.Stderr)
			if err != nil {
				return err
			}
			return explain(lab.BenchLookup(ctx, o, p, *tokens, *reps, *asJSON, os.Stdout))
		},
	}
}
