// Package inference runs the models a question uses: the chat model that
// writes answers, the embedding model that makes vectors, and the
// reranker. Each runs either on this computer (a GGUF model through
// engine/llm) or on a model server speaking the OpenAI-compatible API;
// the two are implementations of one seam per kind of model, chosen once
// when the model is loaded.
package inference

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/engine/rag"
	"github.com/carrel-ai/carrel/engine/settings"
	"github.com/carrel-ai/carrel/engine/teach"
)

// Message is one turn of a conversation that the caller keeps: Role is
// "system", "user" or "assistant".
type Message struct {
	Role    string
	Content string
}

// Reply is what the model wrote, with its figures.
type Reply struct {
	Text            string
	PromptTokens    int
	CachedTokens    int // of the prompt, reused from the previous call
	GeneratedTokens int
	FirstToken      time.Duration
	TokensPerSecond float64
	// Stop says why it ended: "end" (the model's end), "length" (the
	// token cap), "stop" (a stop string), "cancelled".
	Stop  string
	Model string // the model's name
	// Dropped is how many of the oldest messages were left out because
	// the conversation outgrew the context window.
	Dropped int
}

// chatBackend is where a chat model runs: a GGUF model on this computer
// (localChat) or a model server (serverChat). Each is rag's Model, plus
// what a free chat, a status line and an answer's record need.
type chatBackend interface {
	rag.Model
	// chat writes a reply to a conversation the caller keeps; the
	// reply's Text is the caller's to fill from emit.
	chat(ctx context.Context, msgs []Message, maxTokens int, sp llm.Sampling, stop []string, emit func(string) error) (*Reply, error)
	record() rag.ModelRecord
	describe(st *Status)
	close()
}

// Chat is a loaded chat model and the answers in progress with it. Each
// user holds it (Slot.Acquire, Hold) and releases it when done; it is
// freed only after the last.
type Chat struct {
	chatBackend
	users sync.WaitGroup // answers in progress
}

// Hold marks one more user of the model.
func (cm *Chat) Hold() { cm.users.Add(1) }

// Release ends one user's hold.
func (cm *Chat) Release() { cm.users.Done() }

// close frees the model once the answers using it are done.
func (cm *Chat) close() {
	cm.users.Wait()
	cm.chatBackend.close()
}

// Converse writes a reply to a conversation the caller keeps, in the
// model's own chat template, streaming it to emit; the reply's Text is
// the caller's to fill from emit.
func (cm *Chat) Converse(ctx context.Context, msgs []Message, maxTokens int, sp llm.Sampling, stop []string, emit func(string) error) (*Reply, error) {
	return cm.chat(ctx, msgs, maxTokens, sp, stop, emit)
}

// Record is the model as an answer's record keeps it.
func (cm *Chat) Record() rag.ModelRecord { return cm.record() }

// WithAdapter is the model as the questions of a library with an adapter
// of its own (settings.LibraryAdapters) see it: with the adapter in file
// path, or with none for settings.NoAdapter, and the record answers keep
// of it (ask after the answer). An adapter is loaded once and refused on a
// model it was not taught for. A model server takes no adapter: it is
// returned as it is.
func (cm *Chat) WithAdapter(ctx context.Context, path string) (rag.Model, func() rag.ModelRecord, error) {
	if lc, ok := cm.chatBackend.(*localChat); ok {
		m, r, err := lc.withAdapter(ctx, path)
		return m, func() rag.ModelRecord { return r }, err
	}
	return cm, cm.record, nil
}

// AheadReader is the model as one that reads a prompt's beginning ahead
// of the question (rag.AheadReader): a model on this computer can, a model
// server cannot.
func (cm *Chat) AheadReader() (rag.AheadReader, bool) {
	ar, ok := cm.chatBackend.(rag.AheadReader)
	return ar, ok
}

// OrNil returns cm as a rag.Model, and a nil one for no model: a nil
// *Chat inside the interface would not compare equal to nil.
func (cm *Chat) OrNil() rag.Model {
	if cm == nil {
		return nil
	}
	return cm
}

// Source is what the chat model of s is loaded from: the model server
// when one is set, else the GGUF file ("" for none).
func Source(s settings.Settings) string {
	if s.ChatServer != "" {
		return s.ChatServer
	}
	return s.ChatModel
}

// LoadChat loads the chat model of s: a client of its model server, or
// its GGUF file with the adapter applied and the system prompt read.
func LoadChat(ctx context.Context, s settings.Settings, progress func(float32)) (*Chat, error) {
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
	return &Chat{chatBackend: b}, nil
}

// localChat is a GGUF chat model with its one generation context, whose
// KV cache keeps the system prompt between questions.
type localChat struct {
	path    string
	m       *llm.Model
	c       *llm.Context
	adapter *llm.Adapter // the settings' adapter, nil for none
	scale   float32

	// mu makes choosing the adapter and generating with it one step: a
	// question of a library with an adapter of its own and one about all
	// libraries may be answered at once.
	mu     sync.Mutex
	active *llm.Adapter            // applied to c now, nil for none
	others map[string]*llm.Adapter // the libraries' adapters loaded, by file
}

func loadLocalChat(ctx context.Context, s settings.Settings, progress func(float32)) (*localChat, error) {
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
	lc := &localChat{path: s.ChatModel, m: m, c: c, scale: s.AdapterScale, others: map[string]*llm.Adapter{}}
	if s.Adapter != "" {
		// An adapter Carrel taught belongs to one model file.
		err := teach.CheckBase(ctx, s.Adapter, s.ChatModel)
		var a *llm.Adapter
		if err == nil {
			a, err = m.LoadAdapter(s.Adapter)
		}
		if err == nil {
			err = c.ApplyAdapter(a, s.AdapterScale)
			lc.adapter, lc.active = a, a
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
	for _, a := range lc.others {
		a.Close()
	}
	lc.m.Close()
}

// use applies adapter a (nil: none) to the context, if it is not applied
// already. The change empties the KV cache. lc.mu is held.
func (lc *localChat) use(a *llm.Adapter) error {
	if a == lc.active {
		return nil
	}
	if lc.active != nil {
		if err := lc.c.RemoveAdapter(lc.active); err != nil {
			return err
		}
		lc.active = nil
	}
	if a != nil {
		if err := lc.c.ApplyAdapter(a, lc.scale); err != nil {
			return err
		}
		lc.active = a
	}
	return nil
}

func (lc *localChat) Chat(ctx context.Context, msgs []rag.Message, o rag.GenOptions, emit func(string) error) (rag.GenStats, error) {
	return lc.chatWith(ctx, lc.adapter, msgs, o, emit)
}

// adapted is the local model with a library's own adapter.
type adapted struct {
	*localChat
	a *llm.Adapter
}

func (ad adapted) Chat(ctx context.Context, msgs []rag.Message, o rag.GenOptions, emit func(string) error) (rag.GenStats, error) {
	return ad.chatWith(ctx, ad.a, msgs, o, emit)
}

func (lc *localChat) withAdapter(ctx context.Context, path string) (rag.Model, rag.ModelRecord, error) {
	var a *llm.Adapter
	if path != settings.NoAdapter {
		lc.mu.Lock()
		a = lc.others[path]
		lc.mu.Unlock()
		if a == nil {
			// An adapter Carrel taught belongs to one model file.
			if err := teach.CheckBase(ctx, path, lc.path); err != nil {
				return nil, rag.ModelRecord{}, err
			}
			loaded, err := lc.m.LoadAdapter(path)
			if err != nil {
				return nil, rag.ModelRecord{}, err
			}
			lc.mu.Lock()
			if a = lc.others[path]; a == nil {
				a = loaded
				lc.others[path] = a
			} else {
				loaded.Close() // another answer loaded it meanwhile
			}
			lc.mu.Unlock()
		}
	}
	r := lc.record()
	r.Adapter = ""
	if a != nil {
		r.Adapter = a.Path()
	}
	return adapted{lc, a}, r, nil
}

func (lc *localChat) chatWith(ctx context.Context, a *llm.Adapter, msgs []rag.Message, o rag.GenOptions, emit func(string) error) (rag.GenStats, error) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if err := lc.use(a); err != nil {
		return rag.GenStats{}, err
	}
	sp := llm.DefaultSampling()
	sp.Temperature, sp.Seed = o.Temperature, o.Seed
	st, err := lc.c.Chat(ctx, llmMessages(msgs), llm.GenerateOptions{MaxTokens: o.MaxTokens, Sampling: &sp}, emit)
	return rag.GenStats{PromptTokens: st.PromptTokens, CachedTokens: st.CachedTokens, GeneratedTokens: st.GeneratedTokens,
		FirstToken: st.FirstToken, TokensPerSecond: st.TokensPerSecond(), Stop: string(st.Reason),
		ReadAhead: st.ReadAhead, AheadWasted: st.AheadWasted}, err
}

func (lc *localChat) ReadAhead(ctx context.Context, msgs []rag.Message, n int) (int, bool, error) {
	return lc.readAheadWith(ctx, lc.adapter, msgs, n)
}

func (ad adapted) ReadAhead(ctx context.Context, msgs []rag.Message, n int) (int, bool, error) {
	return ad.readAheadWith(ctx, ad.a, msgs, n)
}

// readAheadWith reads the beginning of a prompt with adapter a: msgs in
// the chat template, cut where the last message's text ends.
func (lc *localChat) readAheadWith(ctx context.Context, a *llm.Adapter, msgs []rag.Message, n int) (int, bool, error) {
	if len(msgs) == 0 {
		return 0, true, nil
	}
	prompt, ok := openEnded(lc.m, llmMessages(msgs))
	if !ok {
		return 0, true, nil // nothing can be read that the answer will reuse
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if err := lc.use(a); err != nil {
		return 0, false, err
	}
	return lc.c.ReadAhead(ctx, prompt, n)
}

// aheadMark stands for the rest of the question while the template lays
// out a prompt's beginning: text that no template changes or trims.
const aheadMark = "\u2063carrel-ahead\u2063"

// openEnded lays out msgs in m's chat template and cuts the text where the
// last message's content ends, so more of it can follow; false when the
// template does not keep the content as it is.
func openEnded(m *llm.Model, msgs []llm.Message) (string, bool) {
	last := &msgs[len(msgs)-1]
	last.Content += aheadMark
	full := m.ApplyTemplate(msgs, true)
	i := strings.Index(full, aheadMark)
	if i < 0 || strings.Count(full, aheadMark) != 1 {
		return "", false
	}
	return full[:i], true
}

func (lc *localChat) PromptTokens(msgs []rag.Message) (int, error) {
	t, err := lc.m.Tokenize(lc.m.ApplyTemplate(llmMessages(msgs), true), true)
	return len(t), err
}

func (lc *localChat) ContextSize() int { return lc.c.Size() }

func (lc *localChat) chat(ctx context.Context, msgs []Message, maxTokens int, sp llm.Sampling, stop []string, emit func(string) error) (*Reply, error) {
	in := make([]llm.Message, len(msgs))
	for i, m := range msgs {
		in[i] = llm.Message{Role: m.Role, Content: m.Content}
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if err := lc.use(lc.adapter); err != nil {
		return nil, err
	}
	st, err := lc.c.Chat(ctx, in, llm.GenerateOptions{MaxTokens: maxTokens, Stop: stop, Sampling: &sp}, emit)
	return &Reply{PromptTokens: st.PromptTokens, CachedTokens: st.CachedTokens, GeneratedTokens: st.GeneratedTokens,
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

func (lc *localChat) describe(st *Status) {
	st.Info = lc.m.Info()
	st.Placement = PlacementOf(lc.m.Placement())
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

func newServerChat(s settings.Settings) (*serverChat, error) {
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

func (sc *serverChat) chat(ctx context.Context, msgs []Message, maxTokens int, sp llm.Sampling, stop []string, emit func(string) error) (*Reply, error) {
	in := make([]models.RemoteMessage, len(msgs))
	for i, m := range msgs {
		in[i] = models.RemoteMessage{Role: m.Role, Content: m.Content}
	}
	st, err := sc.ask(ctx, in, models.RemoteOptions{MaxTokens: maxTokens, Temperature: sp.Temperature, Seed: sp.Seed, Stop: stop}, emit)
	return &Reply{PromptTokens: st.PromptTokens, GeneratedTokens: st.GeneratedTokens,
		FirstToken: st.FirstToken, TokensPerSecond: st.TokensPerSecond, Stop: st.FinishReason, Model: sc.modelName()}, err
}

func (sc *serverChat) record() rag.ModelRecord {
	srv := sc.r.Server()
	return rag.ModelRecord{Name: sc.modelName(), Path: srv, Backend: "remote: " + srv, ContextSize: sc.size, Server: srv}
}

func (sc *serverChat) describe(st *Status) {
	srv := sc.r.Server()
	st.Info = gguf.Info{Name: sc.modelName()}
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

func llmMessages(msgs []rag.Message) []llm.Message {
	out := make([]llm.Message, len(msgs))
	for i, m := range msgs {
		out[i] = llm.Message{Role: m.Role, Content: m.Content}
	}
	return out
}
