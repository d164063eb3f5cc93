package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/carrel-ai/carrel/engine/models"
)

// SearchMethod says how the libraries are searched.
type SearchMethod struct {
	// Meaning is true when passages are found by meaning as well as by
	// words (an embedding model is in use).
	Meaning bool `json:"meaning"`
	// Model is the embedding model's file, "" when searching by words only.
	Model string `json:"model,omitempty"`
	// Name is the model as a person would say it.
	Name string `json:"name,omitempty"`
	// Bundled is true for the model that ships with Carrel.
	Bundled bool `json:"bundled"`
	// Note says why the search is by words only when no one chose that
	// (the installation lacks its model, or the model failed to load).
	Note string `json:"note,omitempty"`
	// Reranker names the reranking model that re-orders the best passages,
	// "" when none is set; RerankNote says why a chosen one is not used.
	Reranker   string `json:"reranker,omitempty"`
	RerankNote string `json:"rerank_note,omitempty"`
	// Vectors says where passages are compared by meaning: "memory" (an
	// exact scan in this computer's memory) or "pgvector" (an index on the
	// team library's server).
	Vectors string `json:"vectors,omitempty"`
}

// Describe says in a few words how the libraries are searched.
func (m SearchMethod) Describe() string {
	if !m.Meaning {
		return "by words only"
	}
	s := "by words and meaning (" + m.Name
	if m.Bundled {
		s += ", built in"
	}
	s += ")"
	if m.Reranker != "" {
		s += ", re-ordered by " + m.Reranker
	}
	return s
}

// SearchMethodOf is how a library with an embedding model of its own, c
// (Settings.LibraryEmbedModels), is searched under settings s.
func (o Options) SearchMethodOf(s Settings, c EmbedChoice) SearchMethod {
	return o.SearchMethodFor(c.In(s))
}

// SearchMethodFor is how an engine opened with these options searches
// under settings s, without loading anything: by meaning with the model
// file s names, by words only when s says NoEmbedModel, else by meaning
// with the bundled model when the installation has it.
func (o Options) SearchMethodFor(s Settings) SearchMethod {
	switch p := strings.TrimSpace(s.EmbedModel); {
	case p == NoEmbedModel:
		return SearchMethod{}
	case IsServerAddress(p):
		name := s.EmbedServerModel
		if name == "" {
			name = "the server's model"
		}
		// Model includes the model asked for: another one is another set
		// of vectors, so changing it re-embeds the library.
		host := p
		if r, err := models.NewRemote(p, "", ""); err == nil {
			host = r.Server()
		}
		return SearchMethod{Meaning: true, Model: p + "#" + s.EmbedServerModel, Name: name + " on " + host}
	case p != "":
		return SearchMethod{Meaning: true, Model: p, Name: modelName(p)}
	}
	p := o.BundledEmbedModel
	if p == NoEmbedModel {
		return SearchMethod{}
	}
	if p == "" {
		var err error
		if p, err = models.FindBundled(""); err != nil {
			return SearchMethod{Note: strings.TrimPrefix(err.Error(), "models: ")}
		}
	}
	return SearchMethod{Meaning: true, Model: p, Name: modelName(p), Bundled: true}
}

// modelName is a model file's name without its folder and extension.
func modelName(path string) string {
	i := strings.LastIndexAny(path, `/\`)
	return strings.TrimSuffix(path[i+1:], ".gguf")
}

// SearchMethod says how the libraries are searched now: by words only, or
// by words and meaning with which embedding model.
func (e *Engine) SearchMethod() SearchMethod {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.method
	if e.rr != nil {
		m.Reranker = e.rr.Name()
	}
	m.RerankNote = e.rerankNote
	m.Vectors = e.shelves[0].idx.VectorSearch()
	return m
}

// BuildVectorIndex makes the team library server's vector index now,
// as an opening starts making it in the background, and waits until it
// is made. With vectors searched in memory there is nothing to make.
func (e *Engine) BuildVectorIndex(ctx context.Context) error {
	return e.shelves[0].idx.BuildVectorIndex(ctx)
}

// CountTokens counts text's tokens with the tokenizer passages are sized
// with: the embedding model's. Searching by words only, there is none.
func (e *Engine) CountTokens(text string) (int, error) {
	n := 0
	err := e.withEmbedder(func(emb *Embedder) error {
		n = emb.CountTokens(text)
		return nil
	})
	if note := e.SearchMethod().Note; err != nil && note != "" {
		return 0, fmt.Errorf("%w: %s", err, note)
	}
	return n, err
}

// SearchMethodFor is how this engine would search under settings s (for
// a settings form to say what a choice means before it is saved).
func (e *Engine) SearchMethodFor(s Settings) SearchMethod { return e.opts.SearchMethodFor(s) }

// SuggestEmbedModel says whether a multilingual embedding model would
// search a library better by meaning than the English-centred built-in
// one (see models.SuggestMultilingual). It returns the catalog model to
// suggest and the advice in words; nothing when the person chose a model
// (or none). Search by words works in every language either way.
func SuggestEmbedModel(docs []Document, m SearchMethod) (CatalogModel, string, bool) {
	if !m.Bundled {
		return CatalogModel{}, "", false
	}
	var langs []string
	for _, d := range docs {
		if d.DuplicateOf == 0 {
			langs = append(langs, d.Language)
		}
	}
	return models.SuggestMultilingual(langs)
}
