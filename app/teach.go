package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/carrel-ai/carrel/engine"
)

func teachCmd() *command {
	fs := flag.NewFlagSet("teach", flag.ContinueOnError)
	data := dataFlag(fs)
	library := fs.String("library", "", "the library to teach from (default: the settings' library, else the first with documents)")
	model := fs.String("model", "", "the model `file` to teach (default: the settings' chat model)")
	out := fs.String("out", "", "the adapter `file` to write (default: the data folder's adapters/, named after the library and the model)")
	epochs := fs.Int("epochs", 0, "passes over the library's text (default 2)")
	steps := fs.Int("steps", 0, "stop after this many steps (0: as many as the epochs take)")
	rank := fs.Int("rank", 0, "the adapter's rank (default 16)")
	window := fs.Int("window", 0, "tokens read per step, rounded up to a multiple of 256 (default 256)")
	lr := fs.Float64("lr", 0, "peak learning rate (default 0.0003)")
	threads := fs.Int("threads", 0, "CPU threads (0: one per physical core)")
	keep := fs.Bool("no-use", false, "afterwards, leave the library's answers as they are (by default its questions are answered with the new adapter)")
	on := fs.Bool("on", false, "teach nothing: answer the library's questions with the adapter taught before")
	off := fs.Bool("off", false, "teach nothing: answer the library's questions without an adapter")
	return &command{
		Name: "teach", Usage: "[--library NAME] [--model FILE] [--epochs N] [--no-use] | --on | --off",
		Short: "train a LoRA adapter of the chat model on a library's text, on this computer; Ctrl+C pauses, the same command resumes",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 0 {
				return usagef("teach takes no arguments; name the library with --library")
			}
			if *on && *off {
				return usagef("--on and --off say opposite things: give one")
			}
			if *epochs < 0 || *steps < 0 || *rank < 0 || *window < 0 || *lr < 0 || *threads < 0 {
				return usagef("--epochs, --steps, --rank, --window, --lr and --threads must be 0 or more")
			}
			e, err := openEngine(ctx, *data, engine.Options{NoIndexing: true, NoWatch: true, NoChatModel: true})
			if err != nil {
				return err
			}
			defer e.Close()
			lib := *library
			if lib == "" {
				if lib, err = defaultLibrary(ctx, e); err != nil {
					return err
				}
			}
			if *on {
				path := absIfSet(*out)
				if path == "" {
					path = e.TaughtAdapter(lib, absIfSet(*model))
				}
				if _, err := os.Stat(path); err != nil {
					return fmt.Errorf("no adapter taught for %q at %s: run carrel teach first", lib, path)
				}
				return useAdapter(ctx, e, lib, path)
			}
			if *off {
				s := e.Settings()
				if s.LibraryAdapters == nil {
					s.LibraryAdapters = map[string]string{}
				}
				delete(s.LibraryAdapters, lib)
				if s.Adapter != "" { // the settings' adapter would answer it
					s.LibraryAdapters[lib] = engine.NoAdapter
				}
				if _, err := e.SetSettings(ctx, s); err != nil {
					return err
				}
				fmt.Printf("questions about %q are answered without an adapter (the adapter's file stays)\n", lib)
				return nil
			}
			o := engine.TeachOptions{Model: absIfSet(*model), Out: absIfSet(*out), Rank: *rank, Window: *window,
				Epochs: *epochs, MaxSteps: *steps, LearningRate: float32(*lr), Threads: *threads}
			est, err := e.EstimateTeach(o)
			if err != nil {
				return explain(err)
			}
			fmt.Fprintf(os.Stderr, "teaching from library %q; the model stays as it is, an adapter of %d parameters learns the library's text\n", lib, est.Params)
			fmt.Fprintf(os.Stderr, "it needs about %s of memory and %s of disk\n", engine.SizeText(int64(est.Memory)), engine.SizeText(int64(est.Disk)))
			tty := isTerminal(os.Stderr)
			var lastLine time.Time
			res, err := e.Teach(ctx, lib, o, func(p engine.TeachProgress) {
				switch p.Phase {
				case "measuring":
					fmt.Fprintf(os.Stderr, "measuring the model on the held-out passages (%d steps to train)…\n", p.Steps)
					return
				case "saving":
					if tty {
						fmt.Fprintln(os.Stderr)
					}
					fmt.Fprintln(os.Stderr, "saving the adapter and measuring it…")
					return
				case "validating":
					return
				}
				if !tty && time.Since(lastLine) < 10*time.Second && p.Step != p.Steps {
					return
				}
				lastLine = time.Now()
				valid := "–"
				if !math.IsNaN(p.ValidLoss) {
					valid = fmt.Sprintf("%.3f", p.ValidLoss)
				}
				line := fmt.Sprintf("step %d/%d  loss %.3f  held-out loss %s  %.0f tokens/s  %s left",
					p.Step, p.Steps, p.Loss, valid, p.TokensPerSecond, p.Left.Round(time.Second))
				if tty {
					fmt.Fprintf(os.Stderr, "\r\033[K%s", line)
				} else {
					fmt.Fprintln(os.Stderr, line)
				}
			})
			if errors.Is(err, context.Canceled) {
				fmt.Fprintln(os.Stderr, "\npaused: the run's checkpoint is saved; the same command resumes it")
				return err
			}
			if errors.Is(err, engine.ErrTooLittleText) {
				return fmt.Errorf("%w\n  add more documents to the library (a step reads a window of text, and a tenth is held out)", err)
			}
			if err != nil {
				return explain(err)
			}
			fmt.Printf("adapter: %s\n", res.Adapter)
			if res.ResumedAt > 0 {
				fmt.Printf("resumed at step %d of %d\n", res.ResumedAt, res.Steps)
			}
			fmt.Printf("perplexity on passages held out of training: %.2f without it, %.2f with it (%+.0f%%)\n",
				res.PerplexityBefore, res.PerplexityAfter, 100*(res.PerplexityAfter/res.PerplexityBefore-1))
			fmt.Printf("%d steps, %d tokens of the library, %.0f tokens/s, %s; %d parameters\n",
				res.Steps, res.TrainTokens, res.TokensPerSecond, res.Elapsed.Round(time.Second), res.Params)
			if *keep {
				fmt.Printf("try it: carrel ask --lora %s QUESTION; answer the library with it: carrel teach --on\n", res.Adapter)
				return nil
			}
			if s := e.Settings(); *model != "" && absIfSet(*model) != s.ChatModel {
				fmt.Printf("the adapter was taught for %s, not the chat model of the settings: answers use it once that model is chosen (carrel models use) and carrel teach --on --model %s\n", *model, *model)
				return nil
			}
			return useAdapter(ctx, e, lib, res.Adapter)
		},
	}
}

// useAdapter answers the questions of library lib with the adapter path.
func useAdapter(ctx context.Context, e *engine.Engine, lib, path string) error {
	s := e.Settings()
	if s.LibraryAdapters == nil {
		s.LibraryAdapters = map[string]string{}
	}
	s.LibraryAdapters[lib] = path
	if _, err := e.SetSettings(ctx, s); err != nil {
		return err
	}
	fmt.Printf("questions about %q are answered with %s (\"carrel teach --off\" stops that)\n", lib, filepath.Base(path))
	return nil
}

// defaultLibrary is the settings' library, else the first with documents.
func defaultLibrary(ctx context.Context, e *engine.Engine) (string, error) {
	if l := e.Settings().Library; l != "" {
		return l, nil
	}
	libs, err := e.Libraries(ctx)
	if err != nil {
		return "", err
	}
	for _, l := range libs {
		if l.Documents > 0 {
			return l.Name, nil
		}
	}
	return "", errors.New("no library has documents yet: add some first (carrel add FILES)")
}

func absIfSet(p string) string {
	if p == "" {
		return ""
	}
	return absPath(p)
}
