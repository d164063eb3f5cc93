package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/engine/rag"
)

// chatBackend is where a chat model runs: a GGUF model on this computer
// (localChat) or a model server (serverChat). Each is rag's Model, plus
// what the engine needs to chat freely, show, record and free it.
type chatBackend interface {
	rag.Model
	// chat writes a reply to a conversation the caller keeps (Engine.Chat);
	// the reply's Text is the caller's to fill from emit.
	chat(ctx context.Context, msgs []ChatMessage, maxTokens int, sp llm.Sampling, stop []string, emit func(string) error) (*ChatReply, error)
	// record is the model as an answer's record keeps it.
	record() rag.ModelRecord
	// describe fills in the status the model shows.
	describe(st *ModelStatus)
	close()
}

// chatModel is a loaded chat model and the answers in progress with it.
type chatModel struct {
	chatBackend
	users sync.WaitGroup // answers in progress
}

// close frees the model once the answers using it are done.
func (cm *chatModel) close() {
	cm.users.Wait()
	cm.chatBackend.close()
}

// chatSource is what the chat model of s is loaded from: the model
// server when one is set, else the GGUF file ("" for none).
func chatSource(s Settings) string {
	if s.ChatServer != "" {
		return s.ChatServer
	}
	return s.ChatModel
}

// loadChatModel loads the chat model of s: a client of its model server,
// or its GGUF file with the adapter applied and the system prompt read.
func loadChatModel(ctx context.Context, s Settings, progress func(float32)) (*chatModel, error) {
	var b chatBackend
	var err error
	if s.ChatServer != "" {
		b, err = newServerChat(s)
	} else {
		b, err = loadLocalChat(ctx, s, progress)
	}
	if err != nil {
		return nil, err
	}
	return &chatModel{chatBackend: b}, nil
}

// localChat is a GGUF chat model with its one generation context, whose
// KV cache keeps the system prompt between questions.
type localChat struct {
	path    string
	m       *llm.Model
	c       *llm.Context
	adapter *llm.Adapter
}

func loadLocalChat(ctx context.Context, s Settings, progress func(float32)) (*localChat, error) {
	m, err := llm.Load(ctx, s.ChatModel, llm.ModelOptions{CPUOnly: s.CPUOnly, Progress: progress})
	if err != nil {
		return nil, err
	}
	size := s.ContextSize
	if size == 0 {
		size = m.ContextLength()
		if size <= 0 || size > 8192 {
			size = 8192
		}
	}
	c, err := m.NewContext(llm.ContextOptions{ContextSize: size, Threads: s.Threads})
	if err != nil {
		m.Close()
		return nil, err
	}
	lc := &localChat{path: s.ChatModel, m: m, c: c}
	if s.Adapter != "" {
		a, err := m.LoadAdapter(s.Adapter)
		if err == nil {
			err = c.ApplyAdapter(a, s.AdapterScale)
			lc.adapter = a
		}
		if err != nil {
			lc.close()
			return nil, err
		}
	}
	// Evaluate the system prompt now, so that the first question only
	// evaluates its sources.
	system := s.SystemPrompt
	if system == "" {
		system = rag.DefaultSystemPrompt
	}
	if _, err := c.Prefill(ctx, m.ApplyTemplate([]llm.Message{{Role: "system", Content: system}}, false)); err != nil && ctx.Err() != nil {
		lc.close()
		return nil, ctx.Err()
	}
	return lc, nil
}

func (lc *localChat) close() {
	lc.c.Close()
	if lc.adapter != nil {
		lc.adapter.Close()
	}
	lc.m.Close()
}

func (lc *localChat) Chat(ctx context.Context, msgs []rag.Message, o rag.GenOptions, emit func(string) error) (rag.GenStats, error) {
	sp := llm.DefaultSampling()
	sp.Temperature, sp.Seed = o.Temperature, o.Seed
	st, err := lc.c.Chat(ctx, llmMessages(msgs), llm.GenerateOptions{MaxTokens: o.MaxTokens, Sampling: &sp}, emit)
	return rag.GenStats{PromptTokens: st.PromptTokens, CachedTokens: st.CachedTokens, GeneratedTokens: st.GeneratedTokens,
		FirstToken: st.FirstToken, TokensPerSecond: st.TokensPerSecond(), Stop: string(st.Reason)}, err
}

func (lc *localChat) PromptTokens(msgs []rag.Message) (int, error) {
	t, err := lc.m.Tokenize(lc.m.ApplyTemplate(llmMessages(msgs), true), true)
	return len(t), err
}

func (lc *localChat) ContextSize() int { return lc.c.Size() }

func (lc *localChat) chat(ctx context.Context, msgs []ChatMessage, maxTokens int, sp llm.Sampling, stop []string, emit func(string) error) (*ChatReply, error) {
	in := make([]llm.Message, len(msgs))
	for i, m := range msgs {
		in[i] = llm.Message{Role: m.Role, Content: m.Content}
	}
	st, err := lc.c.Chat(ctx, in, llm.GenerateOptions{MaxTokens: maxTokens, Stop: stop, Sampling: &sp}, emit)
	return &ChatReply{PromptTokens: st.PromptTokens, CachedTokens: st.CachedTokens, GeneratedTokens: st.GeneratedTokens,
		FirstToken: st.FirstToken, TokensPerSecond: st.TokensPerSecond(), Stop: string(st.Reason), Model: lc.m.Info().Name,
		Dropped: st.DroppedMessages}, err
}

func (lc *localChat) record() rag.ModelRecord {
	info := lc.m.Info()
	pl := lc.m.Placement()
	backend := pl.Backend
	if pl.GPULayers == 0 {
		backend = fmt.Sprintf("CPU, %d threads", lc.c.Threads())
	}
	r := rag.ModelRecord{Name: info.Name, Path: lc.path, Quantization: info.Quantization, Backend: backend, ContextSize: lc.c.Size()}
	if lc.adapter != nil {
		r.Adapter = lc.adapter.Path()
	}
	return r
}

func (lc *localChat) describe(st *ModelStatus) {
	st.Info = lc.m.Info()
	st.Placement = placementOf(lc.m.Placement())
	st.Threads = lc.c.Threads()
	st.ChatFormat = lc.m.ChatFormat()
}

// serverChat is a chat model on a model server (the OpenAI-compatible
// API), with the context size the settings give it.
type serverChat struct {
	r    *models.Remote
	size int
	mu   sync.Mutex
	name string // as the server last named its model
}

// serverContext is the context size assumed of a model server when the
// settings give none: the OpenAI-compatible API does not say it.
const serverContext = 8192

func newServerChat(s Settings) (*serverChat, error) {
	r, err := models.NewRemote(s.ChatServer, s.ChatServerKey, s.ChatServerModel)
	if err != nil {
		return nil, err
	}
	size := s.ContextSize
	if size == 0 {
		size = serverContext
	}
	name := s.ChatServerModel
	if name == "" {
		name = "the server's model"
	}
	return &serverChat{r: r, size: size, name: name}, nil
}

func (sc *serverChat) close() {}

// ask asks the model server, remembering the name it gives its model.
func (sc *serverChat) ask(ctx context.Context, msgs []models.RemoteMessage, o models.RemoteOptions, emit func(string) error) (models.RemoteStats, error) {
	st, err := sc.r.Chat(ctx, msgs, o, emit)
	if st.Model != "" {
		sc.mu.Lock()
		sc.name = st.Model
		sc.mu.Unlock()
	}
	return st, err
}

func (sc *serverChat) modelName() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.name
}

func (sc *serverChat) Chat(ctx context.Context, msgs []rag.Message, o rag.GenOptions, emit func(string) error) (rag.GenStats, error) {
	in := make([]models.RemoteMessage, len(msgs))
	for i, m := range msgs {
		in[i] = models.RemoteMessage{Role: m.Role, Content: m.Content}
	}
	st, err := sc.ask(ctx, in, models.RemoteOptions{MaxTokens: o.MaxTokens, Temperature: o.Temperature, Seed: o.Seed}, emit)
	stop := st.FinishReason
	if stop == "length" {
		stop = string(llm.StopLength)
	}
	return rag.GenStats{PromptTokens: st.PromptTokens, GeneratedTokens: st.GeneratedTokens, FirstToken: st.FirstToken,
		TokensPerSecond: st.TokensPerSecond, Stop: stop}, err
}

// PromptTokens estimates: the tokenizer is on the server.
func (sc *serverChat) PromptTokens(msgs []rag.Message) (int, error) { return estimateTokens(msgs), nil }

func (sc *serverChat) ContextSize() int { return sc.size }

func (sc *serverChat) chat(ctx context.Context, msgs []ChatMessage, maxTokens int, sp llm.Sampling, stop []string, emit func(string) error) (*ChatReply, error) {
	in := make([]models.RemoteMessage, len(msgs))
	for i, m := range msgs {
		in[i] = models.RemoteMessage{Role: m.Role, Content: m.Content}
	}
	st, err := sc.ask(ctx, in, models.RemoteOptions{MaxTokens: maxTokens, Temperature: sp.Temperature, Seed: sp.Seed, Stop: stop}, emit)
	return &ChatReply{PromptTokens: st.PromptTokens, GeneratedTokens: st.GeneratedTokens,
		FirstToken: st.FirstToken, TokensPerSecond: st.TokensPerSecond, Stop: st.FinishReason, Model: sc.modelName()}, err
}

func (sc *serverChat) record() rag.ModelRecord {
	srv := sc.r.Server()
	return rag.ModelRecord{Name: sc.modelName(), Path: srv, Backend: "remote: " + srv, ContextSize: sc.size, Server: srv}
}

func (sc *serverChat) describe(st *ModelStatus) {
	srv := sc.r.Server()
	st.Info = ModelInfo{Name: sc.modelName()}
	st.Placement = Placement{Device: srv, Backend: "remote", Reason: "answers come from the model server at " + srv}
	st.Remote = srv
	st.ChatFormat = "the model server's chat template"
}

// estimateTokens bounds the tokens msgs take for a model whose tokenizer
// is on another machine: three bytes a token (English runs at about
// four, code and CJK nearer three) and a few for each message's framing,
// so that the sources chosen for the prompt fit its context.
func estimateTokens(msgs []rag.Message) int {
	n := 8
	for _, m := range msgs {
		n += 6 + (len(m.Content)+2)/3
	}
	return n
}
