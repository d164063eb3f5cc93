package inference

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/carrel-ai/carrel/engine/llm"
)

// Reranker is a reranking model (a cross-encoder) ready to re-order the
// best passages of a search.
type Reranker struct {
	m    *llm.Model
	r    *llm.Reranker
	name string
}

// LoadReranker loads a GGUF reranking model (one whose pooling is "rank").
func LoadReranker(ctx context.Context, path string, cpuOnly bool) (*Reranker, error) {
	m, err := llm.Load(ctx, path, llm.ModelOptions{CPUOnly: cpuOnly})
	if err != nil {
		return nil, err
	}
	r, err := m.NewReranker(llm.EmbedOptions{})
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return &Reranker{m: m, r: r, name: strings.TrimSuffix(filepath.Base(path), ".gguf")}, nil
}

// Score gives each passage a relevance score for the question.
func (r *Reranker) Score(ctx context.Context, question string, passages []string) ([]float32, error) {
	return r.r.Score(ctx, question, passages)
}

// Name is the model file's name, without its folder and extension.
func (r *Reranker) Name() string { return r.name }

// Close frees the model.
func (r *Reranker) Close() error {
	return errors.Join(r.r.Close(), r.m.Close())
}
