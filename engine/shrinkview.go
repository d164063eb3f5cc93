package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/carrel-ai/carrel/engine/shrink"
)

// ShrinkReport compares a model with its smaller copy: size, reading and
// writing speed, and perplexity on a library's text.
type ShrinkReport = shrink.Report

// Errors of ShrinkModel.
var (
	ErrCopyExists = shrink.ErrExists   // the copy's file exists already
	ErrSameFile   = shrink.ErrSameFile // the copy would overwrite the model
)

// ShrinkModel writes a smaller copy of the model file in as quant
// (Q4_K_M, Q5_K_M, Q8_0, …) with llama.cpp's quantizer into the data
// folder's models/, and compares the two, perplexity measured on the
// passages of library ("" for none). It returns the copy's path. note is
// told what it does (may be nil).
func (e *Engine) ShrinkModel(ctx context.Context, in, quant, library string, note func(string)) (string, *ShrinkReport, error) {
	stem := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
	out := filepath.Join(e.dir, "models", stem+"-"+strings.ToUpper(quant)+".gguf")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", nil, err
	}
	var text strings.Builder
	if library != "" {
		ps, err := e.libraryPassages(ctx, library)
		if err != nil {
			return "", nil, err
		}
		for _, p := range ps {
			text.WriteString(p + "\n\n")
		}
	}
	s := e.Settings()
	r, err := shrink.Run(ctx, shrink.Options{In: in, Out: out, Quant: quant, Text: text.String(), Threads: s.Threads}, note)
	if err != nil {
		return "", nil, err
	}
	return out, r, nil
}
