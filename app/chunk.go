package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/carrel-ai/carrel/engine"
)

func chunkCmd() *command {
	fs := flag.NewFlagSet("chunk", flag.ContinueOnError)
	password := fs.String("password", "", "password of an encrypted PDF")
	asJSON := fs.Bool("json", false, "print JSON")
	size := fs.Int("size", 400, "chunk size in tokens")
	overlap := fs.Int("overlap", 0, "tokens shared with the previous chunk (0: 15% of the size, -1: none)")
	data := fs.String("data", "", "data `folder` (for the PDF engine's cache)")
	return &command{
		Name: "chunk", Usage: "FILE [--size N] [--overlap N] [--json]",
		Short: "show the passages a document is split into, with their pages, headings and offsets",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("give one file")
			}
			if *size < 16 {
				return usagef("--size must be at least 16 tokens")
			}
			doc, err := extractFile(ctx, "chunk", args[0], engine.ExtractOptions{DataDir: *data, Password: *password}, *asJSON)
			if err != nil {
				return err
			}
			chunks := doc.Passages(*size, *overlap)
			if *asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Path   string                  `json:"path"`
					Title  string                  `json:"title"`
					Chunks []engine.PassagePreview `json:"chunks"`
				}{doc.Path, doc.Title, chunks})
			}
			for _, c := range chunks {
				loc := c.Heading
				if c.Page > 0 {
					loc = fmt.Sprintf("p. %d", c.Page)
				}
				dup := ""
				if c.DuplicateOf >= 0 {
					dup = fmt.Sprintf(", near-duplicate of #%d", c.DuplicateOf)
				}
				fmt.Printf("#%d [%s] %d tokens%s\n%s\n\n", c.Index, loc, c.Tokens, dup, c.Text)
			}
			return nil
		},
	}
}
