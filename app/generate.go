package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
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
			c, closeAll, err := mf.open(ctx, os.Stderr)
			if err != nil {
				return err
			}
			defer closeAll()
			out := bufio.NewWriter(os.Stdout)
			fmt.Fprint(out, prompt)
			out.Flush()
			st, err := c.Generate(ctx, prompt, sf.options(), func(s string) error {
				out.WriteString(s)
				return out.Flush() // stream: show each piece as it comes
			})
			fmt.Fprintln(out)
			out.Flush()
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			fmt.Fprintln(os.Stderr, timingLine(st))
			return err
		},
	}
}
