package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/llm"
)

// embedder adapts an llm embedding model to the ingest and retrieve
// packages' interfaces.
type embedder struct {
	m    *llm.Model
	e    *llm.Embedder
	name string
}

func openEmbedder(ctx context.Context, path string, cpu bool) (*embedder, error) {
	m, err := llm.Load(ctx, path, llm.ModelOptions{CPUOnly: cpu})
	if err != nil {
		return nil, explain(err)
	}
	e, err := m.NewEmbedder(llm.EmbedOptions{})
	if err != nil {
		m.Close()
		return nil, explain(err)
	}
	st, _ := os.Stat(path)
	name := fmt.Sprintf("%s@%d", filepath.Base(path), st.Size())
	return &embedder{m: m, e: e, name: name}, nil
}

func (e *embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return e.e.Embed(ctx, texts)
}
func (e *embedder) Model() string { return e.name }
func (e *embedder) CountTokens(s string) int {
	t, err := e.m.Tokenize(s, false)
	if err != nil {
		return len(s) / 4
	}
	return len(t)
}
func (e *embedder) Close() {
	e.e.Close()
	e.m.Close()
}

// library is an opened data folder: its index, the document parser, and
// the embedding model when one is given.
type library struct {
	dir    string
	idx    *index.Index
	parser *docs.Parser
	emb    *embedder
}

func openLibrary(ctx context.Context, dataDir, embedModel string) (*library, error) {
	if dataDir == "" {
		d, err := engine.DefaultDataDir()
		if err != nil {
			return nil, err
		}
		dataDir = d
	}
	l := &library{dir: dataDir}
	model := ""
	if embedModel != "" {
		e, err := openEmbedder(ctx, embedModel, false)
		if err != nil {
			return nil, err
		}
		l.emb, model = e, e.Model()
	}
	idx, err := index.Open(ctx, filepath.Join(dataDir, "library"), model)
	if err != nil {
		if l.emb != nil {
			l.emb.Close()
		}
		return nil, err
	}
	l.idx = idx
	l.parser = newParser(dataDir)
	return l, nil
}

func (l *library) Close() {
	l.parser.Close()
	l.idx.Close()
	if l.emb != nil {
		l.emb.Close()
	}
}

// embedderOrNil returns the embedder as the ingest and retrieve packages
// take it: a nil interface, not a nil pointer, when there is none.
func (l *library) embedderOrNil() interface {
	Embed(context.Context, []string) ([][]float32, error)
	Model() string
} {
	if l.emb == nil {
		return nil
	}
	return l.emb
}
