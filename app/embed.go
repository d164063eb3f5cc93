package main

import (
	"bufio"
	"context"
	"flag"
	"os"

	"github.com/carrel-ai/carrel/lab"
)

func embedCmd() *command {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	model := fs.String("model", "", "GGUF embedding model `file` (required)")
	cpu := fs.Bool("cpu", false, "run on the CPU even when a GPU is present")
	threads := fs.Int("threads", 0, "CPU threads (0: one per physical core)")
	return &command{
		Name: "embed", Usage: "--model FILE [TEXT...]",
		Short: "print each text's embedding vector as a JSON line (texts from arguments, else one per line of standard input)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if *model == "" {
				return usagef("--model FILE is required")
			}
			texts := args
			if len(texts) == 0 {
				sc := bufio.NewScanner(os.Stdin)
				sc.Buffer(make([]byte, 1<<20), 1<<24)
				for sc.Scan() {
					texts = append(texts, sc.Text())
				}
				if err := sc.Err(); err != nil {
					return err
				}
			}
			if len(texts) == 0 {
				return usagef("give texts as arguments or on standard input")
			}
			out := bufio.NewWriter(os.Stdout)
			defer out.Flush()
			return explain(lab.Embed(ctx, *model, *cpu, *threads, texts, out))
		},
	}
}
