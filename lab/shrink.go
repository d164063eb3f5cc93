package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
)

// Shrink is a smaller copy of a model to make, and what to compare it on.
type Shrink struct {
	In, Out string
	Quant   string // Q4_K_M, Q5_K_M, Q8_0, … (any llama.cpp file type)
	// Text is what perplexity is measured on (a library's passages): how
	// much of the model's grasp of the person's documents the smaller copy
	// keeps. "" skips perplexity.
	Text    string
	Threads int // 0: one per physical core
}

// shrinkText bounds the text perplexity is measured on: eight windows
// of 512 tokens, about a minute of reading for a 1B model on 2 cores.
const shrinkText = 8 * 512 * 4

// ShrinkModel writes s.Out, s.In quantized by llama.cpp, then compares the
// two: file size, prompt reading and writing speed (64 and 32 tokens,
// as bench gen measures) and perplexity on s.Text. It says what it does
// on info and writes the comparison table to out.
func ShrinkModel(ctx context.Context, s Shrink, info, out io.Writer) error {
	ft, err := gguf.ParseFileType(s.Quant)
	if err != nil {
		return &UsageError{err.Error()}
	}
	before, err := llm.ReadInfo(s.In)
	if err != nil {
		return err
	}
	if s.Out == s.In {
		return &UsageError{"the smaller copy needs a file of its own (--out)"}
	}
	if _, err := os.Stat(s.Out); err == nil {
		return &UsageError{fmt.Sprintf("%s exists already: choose another --out, or remove it", s.Out)}
	}
	switch strings.ToUpper(before.Quantization) {
	case "F32", "F16", "BF16", "":
	default:
		fmt.Fprintf(info, "note: %s is quantized already (%s): quantizing it again loses more than quantizing its F16 original would\n", s.In, before.Quantization)
	}
	start := time.Now()
	fmt.Fprintf(info, "writing %s as %v with llama.cpp …\n", s.Out, ft)
	if err := llm.Quantize(ctx, s.In, s.Out, ft, s.Threads); err != nil {
		return err
	}
	fmt.Fprintf(info, "wrote %s in %s; measuring both …\n", s.Out, time.Since(start).Round(time.Second))
	text := s.Text
	if len(text) > shrinkText {
		text = text[:shrinkText]
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "model\tquantization\tsize\treading (tokens/s)\twriting (tokens/s)\t"
	if text != "" {
		head += "perplexity\t"
	}
	fmt.Fprintln(tw, head)
	for _, path := range []string{s.In, s.Out} {
		row, err := measureModel(ctx, path, text, s.Threads)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// measureModel is one row of ShrinkModel's table.
func measureModel(ctx context.Context, path, text string, threads int) (string, error) {
	c, closeAll, err := ModelOptions{Path: path, ContextSize: 512, BatchSize: 512, Threads: threads}.open(ctx)
	if err != nil {
		return "", err
	}
	defer closeAll()
	inf := c.Model().Info()
	b, err := c.Bench(ctx, 64, 32, 1)
	if err != nil {
		return "", err
	}
	row := fmt.Sprintf("%s\t%s\t%s\t%.1f\t%.1f\t", shortPath(path), inf.Quantization, models.SizeText(inf.FileSize), b.PromptTPS, b.GenTPS)
	if text != "" {
		p, err := c.Perplexity(ctx, text)
		if err != nil {
			return "", fmt.Errorf("measuring perplexity with %s: %w", shortPath(path), err)
		}
		row += fmt.Sprintf("%.2f\t", p.Value)
	}
	return row, nil
}

func shortPath(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
