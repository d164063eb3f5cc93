// Package shrink makes a smaller copy of a model with llama.cpp's
// quantizer and compares the two on what a person feels: file size,
// reading and writing speed, and perplexity on their own library's text.
package shrink

import (
	"context"
	"errors"
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

// Options say what to shrink and what to compare it on.
type Options struct {
	In, Out string
	Quant   string // Q4_K_M, Q5_K_M, Q8_0, … (any llama.cpp file type)
	// Text is what perplexity is measured on (a library's passages): how
	// much of the model's grasp of the person's documents the smaller copy
	// keeps. "" skips perplexity.
	Text    string
	Threads int // 0: one per physical core
}

// Row is one model of the comparison.
type Row struct {
	Path         string
	Quantization string
	Size         int64
	// ReadTPS and WriteTPS are prompt reading and generation speed
	// (64 and 32 tokens, as bench gen measures), tokens/s.
	ReadTPS, WriteTPS float64
	Perplexity        float64 // 0 when not measured
}

// Report is the comparison: the model, then its smaller copy.
type Report struct {
	Rows    []Row
	Elapsed time.Duration // writing the copy
}

// Errors a caller decides on.
var (
	// ErrExists means the copy's file exists already.
	ErrExists = errors.New("shrink: the smaller copy's file exists already")
	// ErrSameFile means the copy would overwrite the model.
	ErrSameFile = errors.New("shrink: the smaller copy needs a file of its own")
)

// textBound bounds the text perplexity is measured on: eight windows of
// 512 tokens, about a minute of reading for a 1B model on 2 cores.
const textBound = 8 * 512 * 4

// Run writes o.Out, o.In quantized by llama.cpp, then measures both. note
// is told what it does (may be nil).
func Run(ctx context.Context, o Options, note func(string)) (*Report, error) {
	if note == nil {
		note = func(string) {}
	}
	ft, err := gguf.ParseFileType(o.Quant)
	if err != nil {
		return nil, err
	}
	before, err := llm.ReadInfo(o.In)
	if err != nil {
		return nil, err
	}
	if o.Out == o.In {
		return nil, ErrSameFile
	}
	if _, err := os.Stat(o.Out); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, o.Out)
	}
	switch strings.ToUpper(before.Quantization) {
	case "F32", "F16", "BF16", "":
	default:
		note(fmt.Sprintf("%s is quantized already (%s): quantizing it again loses more than quantizing its F16 original would", o.In, before.Quantization))
	}
	start := time.Now()
	note(fmt.Sprintf("writing %s as %v with llama.cpp …", o.Out, ft))
	if err := llm.Quantize(ctx, o.In, o.Out, ft, o.Threads); err != nil {
		return nil, err
	}
	r := &Report{Elapsed: time.Since(start)}
	note(fmt.Sprintf("wrote %s in %s; measuring both …", o.Out, r.Elapsed.Round(time.Second)))
	text := o.Text
	if len(text) > textBound {
		text = text[:textBound]
	}
	for _, path := range []string{o.In, o.Out} {
		row, err := measure(ctx, path, text, o.Threads)
		if err != nil {
			return nil, err
		}
		r.Rows = append(r.Rows, row)
	}
	return r, nil
}

// measure is one row of the comparison.
func measure(ctx context.Context, path, text string, threads int) (Row, error) {
	m, err := llm.Load(ctx, path, llm.ModelOptions{})
	if err != nil {
		return Row{}, err
	}
	defer m.Close()
	c, err := m.NewContext(llm.ContextOptions{ContextSize: 512, BatchSize: 512, Threads: threads})
	if err != nil {
		return Row{}, err
	}
	defer c.Close()
	inf := m.Info()
	b, err := c.Bench(ctx, 64, 32, 1)
	if err != nil {
		return Row{}, err
	}
	row := Row{Path: path, Quantization: inf.Quantization, Size: inf.FileSize, ReadTPS: b.PromptTPS, WriteTPS: b.GenTPS}
	if text != "" {
		p, err := c.Perplexity(ctx, text)
		if err != nil {
			return Row{}, fmt.Errorf("measuring perplexity with %s: %w", base(path), err)
		}
		row.Perplexity = p.Value
	}
	return row, nil
}

// Table writes the comparison as aligned columns.
func (r *Report) Table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	withPPL := len(r.Rows) > 0 && r.Rows[0].Perplexity > 0
	head := "model\tquantization\tsize\treading (tokens/s)\twriting (tokens/s)\t"
	if withPPL {
		head += "perplexity\t"
	}
	fmt.Fprintln(tw, head)
	for _, row := range r.Rows {
		line := fmt.Sprintf("%s\t%s\t%s\t%.1f\t%.1f\t", base(row.Path), row.Quantization, models.SizeText(row.Size), row.ReadTPS, row.WriteTPS)
		if withPPL {
			line += fmt.Sprintf("%.2f\t", row.Perplexity)
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func base(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
