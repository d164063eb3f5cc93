package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/failure"
)

// exitError carries an exit status that is not 1, with its message
// already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// extractFile reads a document for a command. A document that cannot be
// read is reported (as JSON with asJSON: {"error":{"kind","message"}}) and
// ends the command with exit status 2.
func extractFile(ctx context.Context, cmd, path string, o engine.ExtractOptions, asJSON bool) (*engine.Extracted, error) {
	doc, err := engine.Extract(ctx, path, o)
	if err == nil || errors.Is(err, context.Canceled) {
		return doc, err
	}
	if asJSON {
		json.NewEncoder(os.Stdout).Encode(map[string]any{"error": map[string]any{"kind": failure.KindOf(err), "message": err.Error()}})
	} else {
		fmt.Fprintf(os.Stderr, "carrel %s: %v\n", cmd, err)
	}
	return nil, exitError{2}
}

type extractedBlock struct {
	Text    string `json:"text"`
	Page    int    `json:"page,omitempty"`
	Heading string `json:"heading,omitempty"`
	Kind    string `json:"kind"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
}

func extractCmd() *command {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	password := fs.String("password", "", "password of an encrypted PDF")
	asJSON := fs.Bool("json", false, "print JSON")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up on the file after this long")
	data := fs.String("data", "", "data `folder` (for the PDF engine's cache)")
	return &command{
		Name: "extract", Usage: "FILE [--password P] [--json]",
		Short: "print a document's text blocks with their pages and headings (exit status 2 if it cannot be read)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("give one file")
			}
			doc, err := extractFile(ctx, "extract", args[0], engine.ExtractOptions{DataDir: *data, Password: *password, Timeout: *timeout}, *asJSON)
			if err != nil {
				return err
			}
			if !*asJSON {
				fmt.Printf("# %s\n(%s", doc.Title, doc.Format)
				if doc.Language != "" {
					fmt.Printf(", %s", doc.Language)
				}
				if doc.Pages > 0 {
					fmt.Printf(", %d pages", doc.Pages)
				}
				fmt.Printf(", %d blocks)\n", len(doc.Blocks))
				for _, w := range doc.Warnings {
					fmt.Printf("! %s\n", w)
				}
				for _, b := range doc.Blocks {
					loc := b.Heading
					if b.Page > 0 {
						loc = fmt.Sprintf("p. %d", b.Page)
					}
					fmt.Printf("\n[%s %s]\n%s\n", b.Kind, loc, b.Text)
				}
				return nil
			}
			out := struct {
				Path     string           `json:"path"`
				Format   string           `json:"format"`
				Title    string           `json:"title"`
				Language string           `json:"language"`
				Pages    int              `json:"pages,omitempty"`
				Blocks   []extractedBlock `json:"blocks"`
				Warnings []string         `json:"warnings"`
			}{Path: doc.Path, Format: doc.Format, Title: doc.Title, Language: doc.Language, Pages: doc.Pages, Warnings: doc.Warnings}
			if out.Warnings == nil {
				out.Warnings = []string{}
			}
			// start and end are the block's byte offsets in the document's
			// text: the blocks joined by blank lines.
			off := 0
			for _, b := range doc.Blocks {
				out.Blocks = append(out.Blocks, extractedBlock{Text: b.Text, Page: b.Page, Heading: b.Heading, Kind: b.Kind, Start: off, End: off + len(b.Text)})
				off += len(b.Text) + 2
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
}
