package main

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/carrel-ai/carrel/ui"
)

func screenshotsCmd() *command {
	fs := flag.NewFlagSet("screenshots", flag.ContinueOnError)
	out := fs.String("out", "docs/screenshots", "`folder` for the PNG files")
	model := fs.String("model", "", "GGUF chat model `file` to choose on the setup screen")
	question := fs.String("question", "What is trace-based just-in-time type specialization?", "a question the documents answer")
	unknown := fs.String("unknown", "What is the capital of Mongolia?", "a question they do not answer")
	scan := fs.String("scan-question", "", "a question answered from a scanned page among DOCS: its source is shown on the scan")
	return &command{
		Name: "screenshots", Usage: "--model FILE [--out DIR] DOCS...",
		Short: "open the app on a new data folder, walk through its main states with DOCS, and save a screenshot of each (needs a display; make screenshots runs it under Xvfb)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if *model == "" || len(args) == 0 {
				return usagef("give --model FILE and the documents to add")
			}
			data, err := os.MkdirTemp("", "carrel-screenshots-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(data)
			// The window's preferences (size, last library) go to a
			// folder of the tour's own, not the person's: a tour leaves
			// theirs untouched, and starts from none.
			if err := os.Setenv("XDG_CONFIG_HOME", filepath.Join(data, "config")); err != nil {
				return err
			}
			tour := &ui.Tour{Out: *out, Model: *model, Docs: args, Question: *question, Unknown: *unknown, Scan: *scan}
			// Under Xvfb the GL canvas reads back blank: take the screen
			// with ImageMagick's import when it is there.
			if imp, err := exec.LookPath("import"); err == nil && os.Getenv("DISPLAY") != "" {
				tour.Shoot = func(path string) error {
					return exec.CommandContext(ctx, imp, "-window", "root", path).Run()
				}
			}
			return ui.Run(ctx, ui.Options{Version: version, DataDir: data, Tour: tour})
		},
	}
}
