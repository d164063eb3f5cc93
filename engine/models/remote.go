package models

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/carrel-ai/carrel/internal/openai"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Remote is a model served over the OpenAI-compatible API by another
// machine: llama.cpp's llama-server, vLLM, Ollama, or another Carrel's
// serve. Nothing reaches it unless a person configured it.
type Remote struct {
	base   *url.URL // ends in /v1 (or the server's equivalent)
	key    string
	model  string
	client *http.Client
	// idle is how long a streamed answer may pause before it counts as
	// stalled.
	idle time.Duration
}

// ErrRemote means the model server could not be used; a *RemoteError
// says why in words, naming the server but never the key.
var ErrRemote = errors.New("models: the model server cannot be used")

// RemoteError is why a request to a model server failed.
type RemoteError struct {
	Server string // scheme://host[:port]
	Status int    // the HTTP status, 0 when none came back
	Reason string
	Err    error
}

func (e *RemoteError) Error() string { return "models: " + e.Reason }

// Is makes errors.Is(err, ErrRemote) hold.
func (e *RemoteError) Is(target error) bool { return target == ErrRemote }

func (e *RemoteError) Unwrap() error { return e.Err }

// NewRemote returns a client of the server at base, such as
// http://gpu.lab:8080/v1 (a URL without a path gets /v1), using model
// ("" lets the server choose) and the API key ("" sends none).
func NewRemote(base, key, model string) (*Remote, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("models: %q is not a model server's address: give one such as http://gpu.lab:8080/v1", base)
	}
	u.User = nil // credentials go in the key, never in messages
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = "/v1"
	}
	return &Remote{
		base: u, key: key, model: model, idle: 2 * time.Minute,
		client: &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 5 * time.Minute, // a busy server reads a long prompt first
			MaxIdleConnsPerHost:   4,
		}},
	}, nil
}

// Server names the server, without path or credentials, for the marker
// that says where answers come from.
func (r *Remote) Server() string { return r.base.Scheme + "://" + r.base.Host }

// RemoteMessage is one turn of a chat.
type RemoteMessage struct {
	Role    string
	Content string
}

// RemoteOptions control one answer.
type RemoteOptions struct {
	MaxTokens   int
	Temperature float32
	Seed        int64 // negative: the server's choice
	Stop        []string
}

// RemoteStats report one answer.
type RemoteStats struct {
	Model           string // as the server names it
	PromptTokens    int    // as the server counted them (0 when it does not say)
	GeneratedTokens int
	FirstToken      time.Duration
	TokensPerSecond float64
	FinishReason    string
	GeneratedChunks int // streamed pieces, when the server gives no usage
}

// Chat streams the server's reply to msgs to emit, piece by piece.
func (r *Remote) Chat(ctx context.Context, msgs []RemoteMessage, o RemoteOptions, emit func(string) error) (RemoteStats, error) {
	temp := float64(o.Temperature)
	req := openai.ChatRequest{Model: r.model, Stream: true, MaxTokens: o.MaxTokens, Temperature: &temp, Stop: o.Stop,
		StreamOptions: &openai.StreamOptions{IncludeUsage: true}}
	for _, m := range msgs {
		req.Messages = append(req.Messages, openai.Message{Role: m.Role, Content: openai.Content(m.Content)})
	}
	if o.Seed >= 0 {
		req.Seed = &o.Seed
	}
	// A stalled stream is cut off: the context ends when no piece came
	// for r.idle.
	parent := ctx
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	alive := make(chan struct{}, 1)
	var stalled atomic.Bool
	go func() {
		t := time.NewTimer(r.idle)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-alive:
				t.Reset(r.idle)
			case <-t.C:
				stalled.Store(true)
				cancel()
				return
			}
		}
	}()
	var st RemoteStats
	start := time.Now()
	resp, err := r.post(ctx, "/chat/completions", req)
	if err != nil {
		if stalled.Load() {
			return st, r.fail(0, fmt.Sprintf("the model server at %s did not answer within %s", r.Server(), r.idle), err)
		}
		return st, err
	}
	defer resp.Body.Close()
	var first time.Time
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		select {
		case alive <- struct{}{}:
		default:
		}
		line := strings.TrimSpace(sc.Text())
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue // comments, event names, blank lines between events
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			break
		}
		var c openai.ChatResponse
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return st, r.fail(0, "the model server sent a reply that is not OpenAI-compatible", err)
		}
		if c.Error != nil {
			return st, r.fail(0, "the model server stopped with an error: "+c.Error.Message, nil)
		}
		if c.Model != "" {
			st.Model = c.Model
		}
		if c.Usage != nil {
			st.PromptTokens, st.GeneratedTokens = c.Usage.PromptTokens, c.Usage.CompletionTokens
		}
		for _, ch := range c.Choices {
			if ch.Delta != nil && ch.Delta.Content != "" {
				if first.IsZero() {
					first = time.Now()
					st.FirstToken = first.Sub(start)
				}
				st.GeneratedChunks++
				if err := emit(string(ch.Delta.Content)); err != nil {
					return st, err
				}
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				st.FinishReason = *ch.FinishReason
			}
		}
	}
	if err := sc.Err(); err != nil {
		switch {
		case parent.Err() != nil: // stopped by the caller
			return st, parent.Err()
		case stalled.Load():
			return st, r.fail(0, fmt.Sprintf("the model server at %s stopped sending for %s", r.Server(), r.idle), err)
		}
		return st, r.fail(0, "the connection to the model server at "+r.Server()+" broke", err)
	}
	if st.GeneratedTokens == 0 {
		st.GeneratedTokens = st.GeneratedChunks
	}
	if !first.IsZero() {
		if s := time.Since(first).Seconds(); s > 0 && st.GeneratedTokens > 1 {
			st.TokensPerSecond = float64(st.GeneratedTokens-1) / s
		}
	}
	return st, nil
}

// Embed returns the server's embedding of each text, in order.
func (r *Remote) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	resp, err := r.post(ctx, "/embeddings", openai.EmbeddingRequest{Model: r.model, Input: texts})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out openai.EmbeddingResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 512<<20)).Decode(&out); err != nil {
		return nil, r.fail(0, "the model server sent embeddings that are not OpenAI-compatible", err)
	}
	vecs := make([][]float32, len(texts))
	for _, d := range out.Data {
		if d.Index < 0 || d.Index >= len(texts) {
			return nil, r.fail(0, "the model server sent an embedding for a text it was not given", nil)
		}
		vecs[d.Index] = d.Embedding.Floats
	}
	for i, v := range vecs {
		if len(v) == 0 || len(v) != len(vecs[0]) {
			return nil, r.fail(0, fmt.Sprintf("the model server sent no embedding, or one of another size, for text %d", i), nil)
		}
	}
	return vecs, nil
}

// post sends body as JSON and returns a 2xx response, or a RemoteError
// that says what went wrong.
func (r *Remote) post(ctx context.Context, path string, body any) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	u := *r.base
	u.Path += path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream, application/json")
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var dns *net.DNSError
		var op *net.OpError
		switch {
		case errors.As(err, &dns):
			return nil, r.fail(0, r.Server()+" cannot be looked up: check the model server's address in the settings", err)
		case errors.As(err, &op) && op.Op == "dial":
			return nil, r.fail(0, "the model server at "+r.Server()+" does not answer (is it running, and reachable from this computer?)", err)
		case os.IsTimeout(err):
			return nil, r.fail(0, "the model server at "+r.Server()+" took too long to answer", err)
		}
		return nil, r.fail(0, "the model server at "+r.Server()+" could not be reached", err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	msg := serverMessage(resp.Body)
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, r.fail(resp.StatusCode, "the model server at "+r.Server()+" refused the API key"+msg, nil)
	case http.StatusNotFound:
		return nil, r.fail(resp.StatusCode, "the model server at "+r.Server()+" has no "+u.Path+" (is the address right, ending in /v1?)"+msg, nil)
	}
	return nil, r.fail(resp.StatusCode, fmt.Sprintf("the model server at %s answered %s%s", r.Server(), resp.Status, msg), nil)
}

// serverMessage reads the error message of an OpenAI-style error body.
func serverMessage(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, 64<<10))
	var e openai.ErrorResponse
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return ": " + e.Error.Message
	}
	if s := strings.TrimSpace(string(b)); s != "" && len(s) < 300 && !strings.Contains(s, "<") {
		return ": " + s
	}
	return ""
}

func (r *Remote) fail(status int, reason string, err error) error {
	return &RemoteError{Server: r.Server(), Status: status, Reason: reason, Err: err}
}
