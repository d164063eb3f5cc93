package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/carrel-ai/carrel/engine/llm"
)

// ChatOptions shape a plain chat with the model; zero values pick the
// settings' (or the model's) defaults.
type ChatOptions struct {
	// MaxTokens caps the reply; 0 means the settings' answer length.
	MaxTokens int
	// Sampling, when set, replaces the default sampling (and the
	// settings' temperature); Temperature and Seed still apply on top.
	Sampling *Sampling
	// Temperature, when set, replaces the settings' temperature.
	Temperature *float64
	// Seed makes sampling repeatable; nil picks one.
	Seed *int64
	// Stop strings end the reply (not included in it).
	Stop []string
}

// Sampling is how the next token is chosen: temperature, top-k, top-p,
// min-p, the repeat penalty and the seed. A model server takes the
// temperature and the seed only.
type Sampling = llm.Sampling

// DefaultSampling is the sampling of a chat when nothing else is set.
func DefaultSampling() Sampling { return llm.DefaultSampling() }

// ErrNoChatModel means a plain chat was asked with no chat model set.
var ErrNoChatModel = errors.New("engine: no chat model is set")

// Chat sends a conversation whose history the caller keeps (an API
// client, a script) to the chat model, in the model's own chat template,
// streaming the reply to emit (which may be nil). It answers from the
// model alone: no documents are searched and nothing is saved; Ask is the
// grounded answer. A long history keeps its system message and most recent
// turns when the context window is full.
func (e *Engine) Chat(ctx context.Context, msgs []ChatMessage, o ChatOptions, emit func(string) error) (*ChatReply, error) {
	if len(msgs) == 0 {
		return nil, fmt.Errorf("engine: a chat needs at least one message")
	}
	for _, m := range msgs {
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return nil, fmt.Errorf("engine: unknown chat role %q (system, user or assistant)", m.Role)
		}
	}
	if _, err := e.ingesters(); err != nil {
		return nil, err
	}
	ctx, cancel := e.since(ctx)
	defer cancel()
	defer e.answering()()
	cm, err := e.model.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if cm == nil {
		return nil, ErrNoChatModel
	}
	defer cm.Release()
	set := e.Settings()
	sp := llm.DefaultSampling()
	sp.Temperature = set.Temperature
	if o.Sampling != nil {
		sp = *o.Sampling
	}
	if o.Temperature != nil {
		sp.Temperature = float32(*o.Temperature)
	}
	if o.Seed != nil {
		sp.Seed = *o.Seed
	}
	max := o.MaxTokens
	if max <= 0 {
		max = set.AnswerTokens
	}
	// The reply is kept whole and, when asked, streamed as it comes.
	var b strings.Builder
	collect := func(s string) error {
		b.WriteString(s)
		if emit == nil {
			return nil
		}
		return emit(s)
	}
	reply, err := cm.Converse(ctx, msgs, max, sp, o.Stop, collect)
	reply.Text = b.String()
	return reply, err
}

// ErrNoEmbedModel means embeddings were asked with no embedding model set.
var ErrNoEmbedModel = errors.New("engine: no embedding model is set")

// Embed returns one unit vector per text from the embedding model of the
// settings, and the model's name.
func (e *Engine) Embed(ctx context.Context, texts []string) ([][]float32, string, error) {
	if _, err := e.ingesters(); err != nil {
		return nil, "", err
	}
	var vs [][]float32
	var model string
	err := e.withEmbedder(func(emb *Embedder) (err error) {
		// As given: callers of the embeddings API add their model's
		// prefixes themselves, as with any OpenAI-compatible server.
		vs, err = emb.EmbedRaw(ctx, texts)
		model = emb.Model()
		return err
	})
	return vs, model, err
}

// withEmbedder runs fn with the embedding model of the settings, which
// is not closed meanwhile; ErrNoEmbedModel when searching by words only.
func (e *Engine) withEmbedder(fn func(*Embedder) error) error {
	e.prevMu.RLock() // a model being replaced is closed only after this
	defer e.prevMu.RUnlock()
	e.mu.Lock()
	emb := e.emb
	e.mu.Unlock()
	if emb == nil {
		return ErrNoEmbedModel
	}
	return fn(emb)
}
