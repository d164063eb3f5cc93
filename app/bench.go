package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"strings"

	"github.com/carrel-ai/carrel/lab"
)

func benchCmd() *command {
	return &command{
		Name: "bench", Usage: "gen|synth|index|recall|ask|embed|evidence|lookup|ocr [flags]",
		Short: "measure speed: \"bench gen\" (tokens/s like llama-bench), \"bench synth\" (write a synthetic model to measure with), \"bench index\" (library storage and search at scale), \"bench recall\" (how much of the exact nearest passages the vector scan finds, on real embeddings), \"bench ask\" (time to first answer token), \"bench embed\" (embedding throughput and query latency), \"bench evidence\" (what the model reads per question), \"bench lookup\" (prompt-lookup decoding against plain), \"bench ocr\" (OCR accuracy and speed per resolution)",
		Subs:  map[string]*command{"gen": benchGenCmd(), "synth": benchSynthCmd(), "index": benchIndexCmd(), "recall": benchRecallCmd(), "ask": benchAskCmd(), "embed": benchEmbedCmd(), "evidence": benchEvidenceCmd(), "ocr": benchOCRCmd(), "lookup": benchLookupCmd()},
	}
}

func benchGenCmd() *command {
	fs := flag.NewFlagSet("bench gen", flag.ContinueOnError)
	var mf modelFlags
	mf.register(fs)
	pp := fs.Int("pp", 512, "prompt tokens processed in one batch (the ppN test)")
	tg := fs.Int("tg", 128, "tokens generated one by one (the tgN test)")
	reps := fs.Int("reps", 5, "repetitions, after one warm-up")
	asJSON := fs.Bool("json", false, "print JSON")
	native := fs.Bool("native", false, "also run the loop in C, as llama.cpp's llama-bench does, for comparison")
	return &command{
		Name: "bench gen", Usage: "--model FILE [--threads N] [--json]",
		Short: "prompt processing and generation speed in tokens/s, measured as llama.cpp's llama-bench does (pp512, tg128)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("bench gen takes no arguments")
			}
			if *pp < 0 || *tg < 0 || *pp+*tg == 0 || *reps < 1 {
				return usagef("--pp and --tg must be 0 or more (not both 0), --reps at least 1")
			}
			o, err := mf.options(os.Stderr)
			if err != nil {
				return err
			}
			return explain(lab.BenchGen(ctx, o, lab.GenBench{PP: *pp, TG: *tg, Reps: *reps, Native: *native, JSON: *asJSON, BuildFlags: cpuFlags}, os.Stdout))
		},
	}
}

func benchSynthCmd() *command {
	fs := flag.NewFlagSet("bench synth", flag.ContinueOnError)
	shape := fs.String("shape", "1b", "model dimensions: "+strings.Join(lab.SyntheticShapes(), ", "))
	arch := fs.String("arch", "llama", "architecture: "+strings.Join(lab.SyntheticArchs(), ", "))
	quant := fs.String("quant", "Q4_K_M", "quantization: Q4_K_M, Q8_0, F16, … (any llama.cpp file type)")
	out := fs.String("out", "", "output `file` (required)")
	vocab := fs.String("vocab", "", "take the tokenizer from this GGUF `file` (default: a built-in SentencePiece vocabulary)")
	seed := fs.Uint64("seed", 1, "random seed for the weights")
	threads := fs.Int("threads", 0, "threads for quantizing (0: one per physical core)")
	return &command{
		Name: "bench synth", Usage: "--shape 0.5b|1b|3b [--arch qwen3|gemma3|…] --quant Q4_K_M|Q8_0|F16 --out FILE",
		Short: "write a synthetic GGUF with a real model's dimensions and random weights, in one of the architectures Carrel runs, quantized by llama.cpp",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("bench synth takes no arguments")
			}
			if *out == "" {
				return usagef("--out FILE is required")
			}
			err := lab.WriteSyntheticModel(ctx, lab.SyntheticModel{Shape: *shape, Arch: *arch, Quant: *quant, Out: *out, Vocab: *vocab, Seed: *seed, Threads: *threads}, os.Stderr)
			var ue *lab.UsageError
			if errors.As(err, &ue) {
				return usagef("%s", ue.Reason)
			}
			return explain(err)
		},
	}
}
