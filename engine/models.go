package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/engine/rag"
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

// IsServerAddress reports whether a model setting names a model server
// (an http:// or https:// address) rather than a GGUF file.
func IsServerAddress(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// remoteEmbedder is an embedding model on a model server. Its name, which
// keeps its vectors apart from every other model's, is the server and the
// model together.
func remoteEmbedder(base, key, model string) (*Embedder, error) {
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

// embedRaw embeds texts as given (for callers who add their own prefixes).
func (e *Embedder) embedRaw(ctx context.Context, texts []string) ([][]float32, error) {
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
	return &Reranker{m: m, r: r, name: modelName(path)}, nil
}

// Score gives each passage a relevance score for the question.
func (r *Reranker) Score(ctx context.Context, question string, passages []string) ([]float32, error) {
	return r.r.Score(ctx, question, passages)
}

// Close frees the model.
func (r *Reranker) Close() error {
	return errors.Join(r.r.Close(), r.m.Close())
}

// orNil returns cm as a rag.Model, and a nil one for no model: a nil
// *chatModel inside the interface would not compare equal to nil.
func (cm *chatModel) orNil() rag.Model {
	if cm == nil {
		return nil
	}
	return cm
}

func llmMessages(msgs []rag.Message) []llm.Message {
	out := make([]llm.Message, len(msgs))
	for i, m := range msgs {
		out[i] = llm.Message{Role: m.Role, Content: m.Content}
	}
	return out
}

// ModelState says where the chat model stands.
type ModelState string

// Model states.
const (
	ModelNone    ModelState = "none"    // no chat model is set
	ModelLoading ModelState = "loading" // it is being loaded
	ModelReady   ModelState = "ready"
	ModelFailed  ModelState = "failed" // Err says why
)

// ModelStatus describes the chat model.
type ModelStatus struct {
	State ModelState
	// Path is the GGUF file, or the model server's address.
	Path string
	// Remote is the model server answers come from (scheme://host), ""
	// for a model on this computer.
	Remote    string
	Info      ModelInfo
	Placement Placement
	Threads   int
	// ChatFormat says how conversations are laid out for the model: its
	// own chat template, or a plain transcript (and why).
	ChatFormat string
	Err        error
}

// Placement says where a model runs and why.
type Placement struct {
	Device    string // the device of the offloaded layers, or "CPU"
	Backend   string // "CUDA", "Metal", "Vulkan" or "CPU"
	GPULayers int    // layers on the GPU; 0 means the CPU alone
	Layers    int    // the model's layer count
	Reason    string // why, in words
}

func placementOf(p llm.Placement) Placement {
	return Placement{Device: p.Device, Backend: p.Backend, GPULayers: p.GPULayers, Layers: p.Layers, Reason: p.Reason}
}

// modelSlot holds the chat model: loads run in the background, an answer
// waits for the load in progress, and a replaced model is freed once the
// answers using it are done.
type modelSlot struct {
	mu      sync.Mutex
	cur     *chatModel
	state   ModelState
	path    string
	err     error
	gen     int           // counts loads, so a stale load is discarded
	loading chan struct{} // closed when the current load ends
	wg      sync.WaitGroup
}

// load starts loading the chat model of s (chatSource; "" unloads) and
// returns at once.
func (sl *modelSlot) load(ctx context.Context, s Settings, emit func(event.Event)) {
	src := chatSource(s)
	sl.mu.Lock()
	sl.gen++
	gen := sl.gen
	old := sl.cur
	sl.cur, sl.err, sl.path = nil, nil, src
	done := make(chan struct{})
	sl.loading = done
	if src == "" {
		sl.state = ModelNone
		close(done)
	} else {
		sl.state = ModelLoading
	}
	sl.mu.Unlock()
	if old != nil {
		sl.wg.Add(1)
		go func() { defer sl.wg.Done(); old.close() }()
	}
	if src == "" {
		return
	}
	emit(event.Event{Kind: event.ModelLoading, Path: src})
	sl.wg.Add(1)
	go func() {
		defer sl.wg.Done()
		defer close(done)
		cm, err := loadChatModel(ctx, s, func(p float32) {
			emit(event.Event{Kind: event.ModelLoading, Path: src, Fraction: float64(p)})
		})
		sl.mu.Lock()
		if gen != sl.gen { // replaced while loading
			sl.mu.Unlock()
			if cm != nil {
				cm.close()
			}
			return
		}
		sl.cur, sl.err = cm, err
		if err != nil {
			sl.state = ModelFailed
		} else {
			sl.state = ModelReady
		}
		sl.mu.Unlock()
		if err != nil {
			emit(event.Event{Kind: event.ModelFailed, Path: src, Err: err})
		} else {
			emit(event.Event{Kind: event.ModelReady, Path: src})
		}
	}()
}

// acquire waits for a load in progress and returns the model, marked in
// use (call its users.Done), or nil when none is set.
func (sl *modelSlot) acquire(ctx context.Context) (*chatModel, error) {
	for {
		sl.mu.Lock()
		loading := sl.loading
		sl.mu.Unlock()
		if loading != nil {
			select {
			case <-loading:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		sl.mu.Lock()
		if sl.loading != loading { // another load started meanwhile
			sl.mu.Unlock()
			continue
		}
		defer sl.mu.Unlock()
		if sl.err != nil {
			return nil, fmt.Errorf("engine: the chat model %s could not be loaded: %w", filepath.Base(sl.path), sl.err)
		}
		if sl.cur != nil {
			sl.cur.users.Add(1)
		}
		return sl.cur, nil
	}
}

func (sl *modelSlot) status() ModelStatus {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	st := ModelStatus{State: sl.state, Path: sl.path, Err: sl.err}
	if st.State == "" {
		st.State = ModelNone
	}
	if sl.cur != nil {
		sl.cur.describe(&st)
	}
	return st
}

// close frees the model after the answers in progress and waits for loads.
func (sl *modelSlot) close() {
	sl.mu.Lock()
	sl.gen++
	old := sl.cur
	sl.cur = nil
	sl.state = ModelNone
	sl.mu.Unlock()
	if old != nil {
		old.close()
	}
	sl.wg.Wait()
}
