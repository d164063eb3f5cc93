package inference

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
)

// Embedder is an embedding model ready to make vectors for the library.
type Embedder struct {
	vectors vectorizer
	name    string
	pre     prefixes
}

// vectorizer is where an embedding model runs: a GGUF model on this
// computer (localVectors) or a model server's /embeddings (serverVectors).
type vectorizer interface {
	embed(ctx context.Context, texts []string) ([][]float32, error)
	countTokens(s string) int
	close() error
}

// ServerEmbedder is an embedding model on a model server (its
// OpenAI-compatible /embeddings at base, with its key and the model to ask
// for). Its name, which keeps its vectors apart from every other model's,
// is the server and the model together.
func ServerEmbedder(base, key, model string) (*Embedder, error) {
	r, err := models.NewRemote(base, key, model)
	if err != nil {
		return nil, err
	}
	name := r.Server() + "/" + model
	if model == "" {
		name = r.Server() + "/(default)"
	}
	return &Embedder{vectors: serverVectors{r}, name: name, pre: prefixesFor(strings.ToLower(model))}, nil
}

// serverVectors embeds on a model server. Its vectors are made unit
// length, as the index compares by inner product.
type serverVectors struct{ r *models.Remote }

func (sv serverVectors) embed(ctx context.Context, texts []string) ([][]float32, error) {
	vecs, err := sv.r.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	for _, v := range vecs {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if n > 0 {
			inv := float32(1 / math.Sqrt(n))
			for i := range v {
				v[i] *= inv
			}
		}
	}
	return vecs, nil
}

// countTokens bounds: the tokenizer is on the server.
func (sv serverVectors) countTokens(s string) int { return (len(s) + 2) / 3 }

func (sv serverVectors) close() error { return nil }

// localVectors embeds with a GGUF model on this computer.
type localVectors struct {
	m *llm.Model
	e *llm.Embedder
}

func (lv localVectors) embed(ctx context.Context, texts []string) ([][]float32, error) {
	return lv.e.Embed(ctx, texts)
}

func (lv localVectors) countTokens(s string) int {
	t, err := lv.m.Tokenize(s, false)
	if err != nil {
		return len(s) / 4
	}
	return len(t)
}

func (lv localVectors) close() error { return errors.Join(lv.e.Close(), lv.m.Close()) }

// prefixes are the words some embedding models were trained to see before
// a question and before a passage; without them they search worse.
type prefixes struct{ query, passage string }

// prefixesFor knows the families that want prefixes, by the model's name
// (its GGUF name or file name, lower case).
func prefixesFor(name string) prefixes {
	switch {
	case strings.Contains(name, "nomic-embed"):
		return prefixes{"search_query: ", "search_document: "}
	case strings.Contains(name, "e5-") || strings.HasPrefix(name, "e5") || strings.Contains(name, "-e5"):
		return prefixes{"query: ", "passage: "}
	case strings.Contains(name, "embeddinggemma"):
		// Its model card's prompts for retrieval.
		return prefixes{"task: search result | query: ", "title: none | text: "}
	case strings.Contains(name, "mxbai-embed") || strings.Contains(name, "arctic-embed"):
		return prefixes{query: "Represent this sentence for searching relevant passages: "}
	}
	return prefixes{}
}

// LoadEmbedder loads a GGUF embedding model.
func LoadEmbedder(ctx context.Context, path string, cpuOnly bool) (*Embedder, error) {
	m, err := llm.Load(ctx, path, llm.ModelOptions{CPUOnly: cpuOnly})
	if err != nil {
		return nil, err
	}
	e, err := m.NewEmbedder(llm.EmbedOptions{})
	if err != nil {
		m.Close()
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		e.Close()
		m.Close()
		return nil, err
	}
	// The name tells vectors of different models apart, so a replaced
	// file of the same name counts as another model; vectors made with
	// the model's prefixes are another set again.
	pre := prefixesFor(strings.ToLower(m.Info().Name + " " + filepath.Base(path)))
	name := fmt.Sprintf("%s@%d", filepath.Base(path), st.Size())
	if pre != (prefixes{}) {
		name += "+prefixed"
	}
	return &Embedder{vectors: localVectors{m, e}, name: name, pre: pre}, nil
}

// Embed returns one unit vector per passage, each with the passage prefix
// of models that want one.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return e.vectors.embed(ctx, prefixed(e.pre.passage, texts))
}

// EmbedQuery returns one unit vector per question, each with the query
// prefix of models that want one.
func (e *Embedder) EmbedQuery(ctx context.Context, texts []string) ([][]float32, error) {
	return e.vectors.embed(ctx, prefixed(e.pre.query, texts))
}

// EmbedRaw embeds texts as given (for callers who add their own prefixes,
// as clients of an OpenAI-compatible server do).
func (e *Embedder) EmbedRaw(ctx context.Context, texts []string) ([][]float32, error) {
	return e.vectors.embed(ctx, texts)
}

func prefixed(p string, texts []string) []string {
	if p == "" {
		return texts
	}
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = p + t
	}
	return out
}

// Model names the embedding model.
func (e *Embedder) Model() string { return e.name }

// CountTokens counts text's tokens with the model's tokenizer.
func (e *Embedder) CountTokens(s string) int { return e.vectors.countTokens(s) }

// Close frees the model.
func (e *Embedder) Close() error { return e.vectors.close() }
