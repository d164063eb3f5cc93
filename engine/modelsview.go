package engine

import (
	"context"

	"github.com/carrel-ai/carrel/engine/inference"
)

// The models a question uses are package inference's types; these names
// keep them in the facade's vocabulary.
type (
	// Embedder is an embedding model ready to make vectors for the
	// library.
	Embedder = inference.Embedder
	// Reranker is a reranking model ready to re-order the best passages
	// of a search.
	Reranker = inference.Reranker
	// ChatMessage is one turn of a conversation that the caller keeps.
	ChatMessage = inference.Message
	// ChatReply is what the model wrote, with its figures.
	ChatReply = inference.Reply
	// ModelStatus describes the chat model.
	ModelStatus = inference.Status
	// ModelState says where the chat model stands.
	ModelState = inference.State
	// Placement says where a model runs and why.
	Placement = inference.Placement
)

// Chat model states.
const (
	ModelNone    = inference.None    // no chat model is set
	ModelLoading = inference.Loading // it is being loaded
	ModelReady   = inference.Ready
	ModelFailed  = inference.Failed // Err says why
)

// LoadEmbedder loads a GGUF embedding model.
func LoadEmbedder(ctx context.Context, path string, cpuOnly bool) (*Embedder, error) {
	return inference.LoadEmbedder(ctx, path, cpuOnly)
}

// LoadReranker loads a GGUF reranking model (one whose pooling is "rank").
func LoadReranker(ctx context.Context, path string, cpuOnly bool) (*Reranker, error) {
	return inference.LoadReranker(ctx, path, cpuOnly)
}
