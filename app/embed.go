package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/carrel-ai/carrel/engine/llm"
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
			m, err := llm.Load(ctx, *model, llm.ModelOptions{CPUOnly: *cpu})
			if err != nil {
				return explain(err)
			}
			defer m.Close()
			e, err := m.NewEmbedder(llm.EmbedOptions{Threads: *threads})
			if err != nil {
				return explain(err)
			}
			defer e.Close()
			vs, err := e.Embed(ctx, texts)
			if err != nil {
				return err
			}
			out := bufio.NewWriter(os.Stdout)
			defer out.Flush()
			enc := json.NewEncoder(out)
			for i, v := range vs {
				if err := enc.Encode(struct {
					Index     int       `json:"index"`
					Text      string    `json:"text"`
					Dims      int       `json:"dims"`
					Embedding []float32 `json:"embedding"`
				}{i, texts[i], len(v), v}); err != nil {
					return fmt.Errorf("writing vectors: %w", err)
				}
			}
			return nil
		},
	}
}
