package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/synth"
)

func benchCmd() *command {
	return &command{
		Name: "bench", Usage: "gen|synth|index|ask|embed|evidence|lookup|ocr [flags]",
		Short: "measure speed: \"bench gen\" (tokens/s like llama-bench), \"bench synth\" (write a synthetic model to measure with), \"bench index\" (library storage and search at scale), \"bench ask\" (time to first answer token), \"bench embed\" (embedding throughput and query latency), \"bench evidence\" (what the model reads per question), \"bench lookup\" (prompt-lookup decoding against plain), \"bench ocr\" (OCR accuracy and speed per resolution)",
		Subs:  map[string]*command{"gen": benchGenCmd(), "synth": benchSynthCmd(), "index": benchIndexCmd(), "ask": benchAskCmd(), "embed": benchEmbedCmd(), "evidence": benchEvidenceCmd(), "ocr": benchOCRCmd(), "lookup": benchLookupCmd()},
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
			if mf.ctxSize == 0 {
				mf.ctxSize = *pp + *tg + 16
			}
			if mf.batch == 0 {
				mf.batch = max(*pp, 1) // one batch, as llama-bench's default
			}
			c, closeAll, err := mf.open(ctx, os.Stderr)
			if err != nil {
				return err
			}
			defer closeAll()
			r, err := c.Bench(ctx, *pp, *tg, *reps)
			if err != nil {
				return err
			}
			var nr *llm.BenchResult
			if *native {
				n, err := c.BenchNative(ctx, *pp, *tg, *reps)
				if err != nil {
					return err
				}
				nr = &n
			}
			info := c.Model().Info()
			if *asJSON {
				out := map[string]any{
					"model": info.Path, "model_name": info.Name, "quantization": info.Quantization,
					"params": info.Params, "size_bytes": info.FileSize,
					"threads": r.Threads, "backend": r.Backend, "gpu_layers": c.Model().Placement().GPULayers,
					"reps": r.Reps, "cpu_build_flags": cpuFlags,
				}
				if *pp > 0 {
					out[fmt.Sprintf("pp%d_tps", *pp)] = r.PromptTPS
					out[fmt.Sprintf("pp%d_stddev", *pp)] = r.PromptStdDev
				}
				if *tg > 0 {
					out[fmt.Sprintf("tg%d_tps", *tg)] = r.GenTPS
					out[fmt.Sprintf("tg%d_stddev", *tg)] = r.GenStdDev
				}
				if nr != nil {
					out["native"] = map[string]float64{
						fmt.Sprintf("pp%d_tps", *pp): nr.PromptTPS, fmt.Sprintf("tg%d_tps", *tg): nr.GenTPS,
					}
				}
				return json.NewEncoder(os.Stdout).Encode(out)
			}
			fmt.Printf("| model | size | params | backend | threads | test | t/s |\n|---|---:|---:|---|---:|---|---:|\n")
			row := func(test string, tps, sd float64) {
				fmt.Printf("| %s %s | %s | %s | %s | %d | %s | %.2f ± %.2f |\n", info.Name, orDash(info.Quantization),
					gibs(uint64(info.FileSize)), params(info.Params), r.Backend, r.Threads, test, tps, sd)
			}
			rows := func(r llm.BenchResult, suffix string) {
				if *pp > 0 {
					row(fmt.Sprintf("pp%d%s", *pp, suffix), r.PromptTPS, r.PromptStdDev)
				}
				if *tg > 0 {
					row(fmt.Sprintf("tg%d%s", *tg, suffix), r.GenTPS, r.GenStdDev)
				}
			}
			rows(r, "")
			if nr != nil {
				rows(*nr, " (C loop)")
			}
			return nil
		},
	}
}

func benchSynthCmd() *command {
	fs := flag.NewFlagSet("bench synth", flag.ContinueOnError)
	shape := fs.String("shape", "1b", "model dimensions: "+strings.Join(synth.ShapeNames(), ", "))
	quant := fs.String("quant", "Q4_K_M", "quantization: Q4_K_M, Q8_0, F16, … (any llama.cpp file type)")
	out := fs.String("out", "", "output `file` (required)")
	vocab := fs.String("vocab", "", "take the tokenizer from this GGUF `file` (default: a built-in SentencePiece vocabulary)")
	seed := fs.Uint64("seed", 1, "random seed for the weights")
	threads := fs.Int("threads", 0, "threads for quantizing (0: one per physical core)")
	return &command{
		Name: "bench synth", Usage: "--shape 0.5b|1b|3b --quant Q4_K_M|Q8_0|F16 --out FILE",
		Short: "write a synthetic llama-architecture GGUF with a real model's dimensions and random weights, quantized by llama.cpp",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("bench synth takes no arguments")
			}
			s, ok := synth.Shapes[*shape]
			if !ok {
				return usagef("unknown shape %q (one of %s)", *shape, strings.Join(synth.ShapeNames(), ", "))
			}
			if *out == "" {
				return usagef("--out FILE is required")
			}
			ft, err := gguf.ParseFileType(*quant)
			if err != nil {
				return usagef("%v", err)
			}
			o := synth.Options{Shape: s, Type: gguf.TensorF16, Seed: *seed, ChatTemplate: synth.ChatML}
			if ft == 0 {
				o.Type = gguf.TensorF32
			}
			if *vocab != "" {
				if o.Tokenizer, err = gguf.Open(*vocab); err != nil {
					return fmt.Errorf("reading the tokenizer from %s: %w", *vocab, err)
				}
			}
			start := time.Now()
			fmt.Fprintf(os.Stderr, "writing a %s-shaped model (%s parameters) …\n", s.Name, params(s.Params()))
			if ft == 0 || ft == 1 {
				if err := synth.Write(ctx, *out, o); err != nil {
					return err
				}
			} else {
				tmp := filepath.Join(filepath.Dir(*out), "."+filepath.Base(*out)+".f16")
				defer os.Remove(tmp)
				if err := synth.Write(ctx, tmp, o); err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "quantizing to %v with llama.cpp …\n", ft)
				if err := llm.Quantize(ctx, tmp, *out, ft, *threads); err != nil {
					return explain(err)
				}
			}
			st, err := os.Stat(*out)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "wrote %s (%s) in %s\n", *out, gibs(uint64(st.Size())), time.Since(start).Round(time.Second))
			return nil
		},
	}
}
