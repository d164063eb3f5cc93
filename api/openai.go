package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/internal/openai"
)

// LibraryPrefix names the library models: "carrel/My Library" answers
// from that library, grounded and cited.
const LibraryPrefix = "carrel/"

// Grounding and Citation are Carrel's extension of a chat completion: the
// sources and citations of a library model's answer.
type (
	Grounding = openai.Grounding
	Citation  = openai.Citation
)

func apiError(w http.ResponseWriter, status int, typ, code, msg string) {
	b := openai.ErrorResponse{Error: openai.Error{Message: msg, Type: typ, Code: code}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(b)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// chatModelID names the chat model as the API lists it.
func chatModelID(st engine.ModelStatus) string { return modelID(st.Path) }

// modelID names a model file as the API lists it: its name without
// folder and extension; "" for no file.
func modelID(path string) string {
	if path == "" {
		return ""
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	now := time.Now().Unix()
	data := []openai.Model{}
	if id := chatModelID(s.eng.ChatModel()); id != "" {
		data = append(data, openai.Model{ID: id, Object: "model", Created: now, OwnedBy: "carrel"})
	}
	if id := modelID(s.eng.SearchMethod().Model); id != "" {
		data = append(data, openai.Model{ID: id, Object: "model", Created: now, OwnedBy: "carrel"})
	}
	libs, err := s.eng.Libraries(r.Context())
	if err != nil {
		apiError(w, http.StatusInternalServerError, "server_error", "libraries", engine.Describe(err))
		return
	}
	for _, l := range libs {
		data = append(data, openai.Model{ID: LibraryPrefix + l.Name, Object: "model", Created: now, OwnedBy: "carrel"})
	}
	writeJSON(w, openai.ModelList{Object: "list", Data: data})
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var req openai.ChatRequest
	if !decode(w, r, &req, "a chat completion request") {
		return
	}
	if len(req.Messages) == 0 {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "messages", `"messages" must hold at least one message`)
		return
	}
	msgs := make([]engine.ChatMessage, 0, len(req.Messages))
	for _, m := range req.Messages {
		role := m.Role
		if role == "developer" {
			role = "system"
		}
		if role != "system" && role != "user" && role != "assistant" {
			apiError(w, http.StatusBadRequest, "invalid_request_error", "messages", fmt.Sprintf("role %q is not supported (system, user, assistant)", m.Role))
			return
		}
		msgs = append(msgs, engine.ChatMessage{Role: role, Content: string(m.Content)})
	}
	maxTokens := req.MaxCompletionTokens
	if maxTokens == 0 {
		maxTokens = req.MaxTokens
	}
	st := s.eng.ChatModel()
	if maxTokens < 0 || (st.Info.ContextLength > 0 && maxTokens > st.Info.ContextLength) {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "max_tokens", fmt.Sprintf("max_tokens must be 0 to %d, the model's context", st.Info.ContextLength))
		return
	}
	library, grounded := strings.CutPrefix(req.Model, LibraryPrefix)
	if req.Model == "carrel" {
		library, grounded = s.opts.Library, true
	}
	if !grounded && req.Model != "" && req.Model != chatModelID(st) {
		apiError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", fmt.Sprintf("no model %q: GET /v1/models lists them", req.Model))
		return
	}
	release, ok := s.wait(w, r)
	if !ok {
		return
	}
	defer release()
	resp := &stream{w: w, on: req.Stream, id: fmt.Sprintf("chatcmpl-%d", time.Now().UnixNano()), model: req.Model, created: time.Now().Unix()}
	if resp.model == "" {
		resp.model = chatModelID(st)
	}
	if grounded {
		s.answer(r.Context(), resp, library, msgs)
		return
	}
	o := engine.ChatOptions{MaxTokens: maxTokens, Temperature: req.Temperature, Seed: req.Seed, Stop: req.Stop}
	reply, err := s.eng.Chat(r.Context(), msgs, o, resp.delta)
	if err != nil && reply == nil {
		resp.fail(err)
		return
	}
	if r.Context().Err() != nil {
		return // disconnected: generation stopped with the request's context
	}
	resp.finish(finishReason(reply.Stop), reply.Text, &openai.Usage{PromptTokens: reply.PromptTokens, CompletionTokens: reply.GeneratedTokens, TotalTokens: reply.PromptTokens + reply.GeneratedTokens}, nil)
}

// answer gives the library's grounded answer to the last user message,
// the earlier messages as its history.
func (s *Server) answer(ctx context.Context, resp *stream, library string, msgs []engine.ChatMessage) {
	last := len(msgs) - 1
	for last >= 0 && msgs[last].Role != "user" {
		last--
	}
	if last < 0 {
		resp.fail(fmt.Errorf("%w: no user message to answer", errBadRequest))
		return
	}
	a, err := s.eng.Ask(ctx, msgs[last].Content, engine.AskOptions{Library: library, History: msgs[:last], NoSave: true}, func(d engine.Delta) error {
		return resp.delta(d.Text)
	})
	if ctx.Err() != nil {
		return // disconnected: the answer stopped with the request's context
	}
	if a == nil || err != nil {
		resp.fail(err)
		return
	}
	g := groundingOf(a)
	u := &openai.Usage{PromptTokens: a.Timings.PromptTokens, CompletionTokens: a.Timings.GeneratedTokens, TotalTokens: a.Timings.PromptTokens + a.Timings.GeneratedTokens}
	resp.finish(finishReason(a.Stop), a.Text, u, &g)
}

// groundingOf is what an answer rests on, in the API's terms: its
// citations, and the passages it was given (or the closest ones, when the
// documents did not hold the answer).
func groundingOf(a *engine.Answer) Grounding {
	g := Grounding{Library: a.Library, Outcome: string(a.Outcome), Citations: []Citation{}, Sources: []Citation{}}
	for _, c := range a.Citations {
		sup := c.Supported
		g.Citations = append(g.Citations, Citation{N: c.N, Path: c.Path, Page: c.Page, Heading: c.Heading, Text: c.Text, Score: c.Score, Supported: &sup})
	}
	src := a.Sources
	if len(src) == 0 {
		src = a.Related
	}
	for _, c := range src {
		g.Sources = append(g.Sources, Citation{N: c.N, Path: c.Path, Page: c.Page, Heading: c.Heading, Text: c.Text, Score: c.Score})
	}
	return g
}

// decode reads a JSON request body into v, answering the client itself
// (400, or 413 past the size limit) when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any, what string) bool {
	err := json.NewDecoder(r.Body).Decode(v)
	if err == nil {
		return true
	}
	status := http.StatusBadRequest
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		status = http.StatusRequestEntityTooLarge
	}
	apiError(w, status, "invalid_request_error", "invalid_body", "the request body is not "+what+": "+err.Error())
	return false
}

// wait takes the model for a request, answering 429 itself when the queue
// is full; false means the request is answered (or its client gone).
func (s *Server) wait(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	release, status := s.acquire(r.Context())
	switch status {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "5")
		apiError(w, status, "rate_limit_error", "busy", "the model is busy and the queue of waiting requests is full: try again shortly")
		return nil, false
	case 499:
		return nil, false // the client went away while waiting
	}
	return release, true
}

var errBadRequest = errors.New("bad request")

func finishReason(stop string) string {
	if stop == "length" {
		return "length"
	}
	return "stop"
}

// stream writes a chat completion, as one JSON object or as server-sent
// events ending in "data: [DONE]".
type stream struct {
	w       http.ResponseWriter
	on      bool
	started bool
	id      string
	model   string
	created int64
}

func (st *stream) chunk(c openai.Choice, g *Grounding, u *openai.Usage) error {
	b, _ := json.Marshal(openai.ChatResponse{ID: st.id, Object: "chat.completion.chunk", Created: st.created, Model: st.model, Choices: []openai.Choice{c}, Carrel: g, Usage: u})
	if _, err := fmt.Fprintf(st.w, "data: %s\n\n", b); err != nil {
		return err
	}
	if f, ok := st.w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}

func (st *stream) begin() error {
	if st.started || !st.on {
		return nil
	}
	st.started = true
	st.w.Header().Set("Content-Type", "text/event-stream")
	st.w.Header().Set("Cache-Control", "no-cache")
	return st.chunk(openai.Choice{Delta: &openai.Message{Role: "assistant", Content: ""}}, nil, nil)
}

// delta streams a piece of the reply (nothing when not streaming).
func (st *stream) delta(text string) error {
	if !st.on || text == "" {
		return nil
	}
	if err := st.begin(); err != nil {
		return err
	}
	return st.chunk(openai.Choice{Delta: &openai.Message{Content: openai.Content(text)}}, nil, nil)
}

func (st *stream) finish(reason, text string, u *openai.Usage, g *Grounding) {
	if !st.on {
		writeJSON(st.w, openai.ChatResponse{ID: st.id, Object: "chat.completion", Created: st.created, Model: st.model,
			Choices: []openai.Choice{{Message: &openai.Message{Role: "assistant", Content: openai.Content(text)}, FinishReason: &reason}}, Usage: u, Carrel: g})
		return
	}
	if st.begin() != nil {
		return
	}
	st.chunk(openai.Choice{Delta: &openai.Message{}, FinishReason: &reason}, g, u)
	fmt.Fprint(st.w, "data: [DONE]\n\n")
	if f, ok := st.w.(http.Flusher); ok {
		f.Flush()
	}
}

// fail reports an error: in the OpenAI shape before anything was sent, as
// an error event on a stream already begun.
func (st *stream) fail(err error) {
	status, typ, code := http.StatusInternalServerError, "server_error", "internal"
	switch {
	case errors.Is(err, errBadRequest), errors.Is(err, engine.ErrEmptyQuestion), errors.Is(err, engine.ErrQuestionTooLong):
		status, typ, code = http.StatusBadRequest, "invalid_request_error", "invalid_request"
	case errors.Is(err, engine.ErrNoLibrary):
		status, typ, code = http.StatusNotFound, "invalid_request_error", "model_not_found"
	case errors.Is(err, engine.ErrNoChatModel):
		status, typ, code = http.StatusServiceUnavailable, "server_error", "no_model"
	case errors.Is(err, context.Canceled):
		return
	}
	if st.started {
		j, _ := json.Marshal(openai.ErrorResponse{Error: openai.Error{Message: engine.Describe(err), Type: typ, Code: code}})
		fmt.Fprintf(st.w, "data: %s\n\ndata: [DONE]\n\n", j)
		return
	}
	apiError(st.w, status, typ, code, engine.Describe(err))
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req openai.EmbeddingRequest
	if !decode(w, r, &req, "an embeddings request") {
		return
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "encoding_format", `"encoding_format" must be "float" or "base64"`)
		return
	}
	texts := req.Input
	if len(texts) == 0 || len(texts) > 2048 {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "input", `"input" must hold 1 to 2048 texts`)
		return
	}
	release, ok := s.wait(w, r)
	if !ok {
		return
	}
	defer release()
	vs, model, err := s.eng.Embed(r.Context(), texts)
	if errors.Is(err, engine.ErrNoEmbedModel) {
		apiError(w, http.StatusServiceUnavailable, "server_error", "no_model", "no embedding model is set in Carrel's settings")
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "server_error", "embedding", engine.Describe(err))
		return
	}
	data := make([]openai.Embedding, len(vs))
	tokens := 0
	for i, v := range vs {
		data[i] = openai.Embedding{Object: "embedding", Index: i, Embedding: openai.Vector{Floats: v, Base64: req.EncodingFormat == "base64"}}
		tokens += len(strings.Fields(texts[i]))
	}
	if req.Model != "" {
		model = req.Model
	}
	writeJSON(w, openai.EmbeddingResponse{Object: "list", Data: data, Model: model, Usage: &openai.Usage{PromptTokens: tokens, TotalTokens: tokens}})
}
