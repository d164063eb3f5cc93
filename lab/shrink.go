package lab

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/shrink"
)

// Shrink is a smaller copy of a model to make, and what to compare it on.
type Shrink = shrink.Options

// ShrinkModel writes s.Out, s.In quantized by llama.cpp, then compares the
// two (engine/shrink): it says what it does on info and writes the
// comparison table to out. Mistakes in s are *UsageError values.
func ShrinkModel(ctx context.Context, s Shrink, info, out io.Writer) error {
	if _, err := gguf.ParseFileType(s.Quant); err != nil {
		return &UsageError{err.Error()}
	}
	r, err := shrink.Run(ctx, s, func(line string) { fmt.Fprintln(info, line) })
	switch {
	case errors.Is(err, shrink.ErrSameFile):
		return &UsageError{"the smaller copy needs a file of its own (--out)"}
	case errors.Is(err, shrink.ErrExists):
		return &UsageError{fmt.Sprintf("%s exists already: choose another --out, or remove it", s.Out)}
	case err != nil:
		return err
	}
	return r.Table(out)
}
