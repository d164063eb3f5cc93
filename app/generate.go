package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/carrel-ai/carrel/lab"
)

func generateCmd() *command {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	var mf modelFlags
	var sf samplingFlags
	mf.register(fs)
	sf.register(fs, 256)
	return &command{
		Name: "generate", Usage: "--model FILE [flags] PROMPT",
		Short: "continue a prompt with a model, streaming the text (timings on stderr)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			prompt := strings.Join(args, " ")
			if prompt == "" || prompt == "-" {
				b, err := io.ReadAll(os.Stdin)
				if err != nil {
					return err
				}
				prompt = string(b)
			}
			if strings.TrimSpace(prompt) == "" {
				return usagef("give a prompt, as arguments or on standard input")
			}
			o, err := mf.options(os.Stderr)
			if err != nil {
				return err
			}
			fmt.Print(prompt)
			figures, err := lab.Generate(ctx, o, prompt, sf.generation(), os.Stdout) // unbuffered: each piece shows as it comes
			fmt.Println()
			if err != nil && !errors.Is(err, context.Canceled) {
				return explain(err)
			}
			fmt.Fprintln(os.Stderr, figures)
			return err
		},
	}
}
