package main

import (
	"context"
	"path/filepath"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/index"
)

// library is an opened data folder: its index, the document parser, and
// the embedding model when one is given.
type library struct {
	dir    string
	idx    *index.Index
	parser *docs.Parser
	emb    *engine.Embedder
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
		e, err := engine.LoadEmbedder(ctx, embedModel, false)
		if err != nil {
			return nil, explain(err)
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
