package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/carrel-ai/carrel/api"
	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/synth"

	"github.com/carrel-ai/carrel/internal/testwait"
)

// library opens an engine on a new data folder with a small chat model
// and embedding model the test makes, and a library of three notes.
func library(t *testing.T) *engine.Engine {
	t.Helper()
	if !engine.ModelSupport() {
		t.Skip("built without llama.cpp (cgo): no models to serve")
	}
	ctx := context.Background()
	dir := t.TempDir()
	chat, embed := filepath.Join(dir, "chat.gguf"), filepath.Join(dir, "embed.gguf")
	if err := synth.Write(ctx, chat, synth.Options{Shape: synth.Shapes["tiny"], Type: gguf.TensorF32, ChatTemplate: synth.ChatML, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(ctx, embed, synth.Options{Shape: synth.Shapes["tiny"], Type: gguf.TensorF32, Seed: 8}); err != nil {
		t.Fatal(err)
	}
	docs := filepath.Join(dir, "docs")
	os.MkdirAll(docs, 0o700)
	for name, text := range map[string]string{
		"tower.md":  "# Eiffel Tower\n\nThe Eiffel Tower is 330 metres tall and was completed in 1889.",
		"bread.md":  "# Sourdough\n\nSourdough bread needs a starter of flour and water.",
		"herons.md": "# Herons\n\nA grey heron waits by the weir for fish.",
	} {
		os.WriteFile(filepath.Join(docs, name), []byte(text), 0o600)
	}
	s := engine.DefaultSettings()
	s.ChatModel, s.EmbedModel, s.AnswerTokens, s.ContextSize = chat, embed, 16, 1024
	e, err := engine.Open(ctx, engine.Options{DataDir: filepath.Join(dir, "data"), Settings: &s, NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if _, err := e.Add(ctx, "", false, docs); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	// Saved, so that another process on the data folder (the MCP stdio
	// server the clients start) sees the same models.
	if _, err := e.SetSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	return e
}

// serve starts a server on a free loopback port and returns its base URL.
func serve(t *testing.T, eng api.Engine, o api.Options) (*api.Server, string) {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	srv, err := api.New(eng, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, func(a string) { ready <- a }) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-ready:
		return srv, "http://" + a
	case err := <-done:
		t.Fatal(err)
	}
	return nil, ""
}

// call sends a request with the token (unless token is "").
func call(t *testing.T, method, url, token, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestOpenAICompatibleAPI(t *testing.T) {
	e := library(t)
	srv, base := serve(t, e, api.Options{})
	tok := srv.Token()

	// Private by default: no token, a wrong one, or a foreign Host are
	// refused, in the OpenAI error shape.
	for _, tc := range []struct{ name, token, host string }{{"no token", "", ""}, {"wrong token", "nope", ""}, {"rebinding", tok, "evil.example:80"}} {
		req, _ := http.NewRequest("GET", base+"/v1/models", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb struct {
			Error struct{ Message, Type, Code string }
		}
		json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode < 400 || eb.Error.Message == "" || eb.Error.Type == "" {
			t.Errorf("%s: %d %+v", tc.name, resp.StatusCode, eb)
		}
	}

	resp, body := call(t, "GET", base+"/v1/models", tok, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"chat"`) || !strings.Contains(body, `"embed"`) || !strings.Contains(body, `"carrel/My Library"`) {
		t.Fatalf("models: %d %s", resp.StatusCode, body)
	}

	// A plain chat with the model, whole and streamed.
	resp, body = call(t, "POST", base+"/v1/chat/completions", tok, `{"model":"chat","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}],"max_tokens":8,"seed":1}`)
	var cr struct {
		Object  string
		Choices []struct {
			Message      struct{ Role, Content string }
			FinishReason string `json:"finish_reason"`
		}
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		}
	}
	if err := json.Unmarshal([]byte(body), &cr); err != nil || resp.StatusCode != 200 || cr.Object != "chat.completion" || len(cr.Choices) != 1 ||
		cr.Choices[0].Message.Role != "assistant" || cr.Usage.PromptTokens == 0 || cr.Usage.CompletionTokens == 0 {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, "POST", base+"/v1/chat/completions", tok, `{"model":"chat","messages":[{"role":"user","content":"Hello"}],"max_tokens":8,"stream":true}`)
	if resp.Header.Get("Content-Type") != "text/event-stream" || !strings.HasSuffix(strings.TrimSpace(body), "data: [DONE]") || !strings.Contains(body, `"chat.completion.chunk"`) {
		t.Fatalf("stream: %s", body)
	}

	// A library model answers grounded, with its sources in "carrel".
	resp, body = call(t, "POST", base+"/v1/chat/completions", tok, `{"model":"carrel/My Library","messages":[{"role":"user","content":"How tall is the Eiffel Tower?"}]}`)
	var gr struct {
		Carrel *api.Grounding
	}
	if err := json.Unmarshal([]byte(body), &gr); err != nil || resp.StatusCode != 200 || gr.Carrel == nil || len(gr.Carrel.Sources) == 0 ||
		!strings.Contains(gr.Carrel.Sources[0].Path, "tower.md") {
		t.Fatalf("library answer: %d %s", resp.StatusCode, body)
	}
	resp, _ = call(t, "POST", base+"/v1/chat/completions", tok, `{"model":"carrel/Nope","messages":[{"role":"user","content":"x"}]}`)
	if resp.StatusCode != 404 {
		t.Errorf("an unknown library: %d", resp.StatusCode)
	}

	// Embeddings.
	resp, body = call(t, "POST", base+"/v1/embeddings", tok, `{"model":"embed","input":["a heron","a tower"]}`)
	var er struct {
		Data []struct {
			Index     int
			Embedding []float32
		}
	}
	if err := json.Unmarshal([]byte(body), &er); err != nil || resp.StatusCode != 200 || len(er.Data) != 2 || len(er.Data[1].Embedding) == 0 {
		t.Fatalf("embeddings: %d %s", resp.StatusCode, body)
	}

	// Bad requests are told so.
	for _, bad := range []string{`{`, `{"messages":[]}`, `{"messages":[{"role":"tool","content":"x"}]}`, `{"messages":[{"role":"user","content":"x"}],"max_tokens":-1}`} {
		if resp, body := call(t, "POST", base+"/v1/chat/completions", tok, bad); resp.StatusCode != 400 || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", bad, resp.StatusCode, body)
		}
	}
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2<<20) + `"}]}`
	if resp, _ := call(t, "POST", base+"/v1/chat/completions", tok, big); resp.StatusCode != 413 {
		t.Errorf("a 2 MiB body: %d", resp.StatusCode)
	}

	// Each request is logged, never its content.
	log, _ := os.ReadFile(filepath.Join(e.DataDir(), "api.log"))
	if !strings.Contains(string(log), "POST /v1/embeddings 200") || strings.Contains(string(log), "heron") {
		t.Errorf("request log: %s", log)
	}
}

func TestListenOnlyOnThisComputer(t *testing.T) {
	e := &blocking{dir: t.TempDir()}
	if _, err := api.New(e, api.Options{Addr: "0.0.0.0:0"}); !errors.Is(err, api.ErrNotLoopback) {
		t.Errorf("a public address without --allow-remote: %v", err)
	}
	if _, err := api.New(e, api.Options{Addr: "0.0.0.0:0", AllowRemote: true}); err != nil {
		t.Errorf("with --allow-remote: %v", err)
	}
	st, err := os.Stat(filepath.Join(e.dir, "api-token"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v %v", st, err)
	}
}

// blocking is an engine whose chat runs until its request is cancelled.
type blocking struct {
	engine.Engine
	dir       string
	started   chan struct{}
	cancelled chan struct{}
	once      sync.Once
	stopOnce  sync.Once
}

func (b *blocking) DataDir() string { return b.dir }
func (b *blocking) ChatModel() engine.ModelStatus {
	return engine.ModelStatus{State: engine.ModelReady, Path: "/m/chat.gguf"}
}

func (b *blocking) Chat(ctx context.Context, _ []engine.ChatMessage, _ engine.ChatOptions, emit func(string) error) (*engine.ChatReply, error) {
	b.once.Do(func() { close(b.started) })
	for ctx.Err() == nil {
		if err := emit("word "); err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.stopOnce.Do(func() { close(b.cancelled) })
	return &engine.ChatReply{Stop: "cancelled"}, ctx.Err()
}

// A client that disconnects stops its generation; a full queue is told
// to come back (429).
func TestDisconnectAndQueue(t *testing.T) {
	b := &blocking{dir: t.TempDir(), started: make(chan struct{}), cancelled: make(chan struct{})}
	srv, base := serve(t, b, api.Options{Queue: 1})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/chat/completions", strings.NewReader(`{"model":"chat","stream":true,"messages":[{"role":"user","content":"go on"}]}`))
	req.Header.Set("Authorization", "Bearer "+srv.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first event %q", line)
	}
	<-b.started
	// One request may wait for the model; the next is refused at once.
	wctx, stopWaiting := context.WithCancel(context.Background())
	defer stopWaiting()
	waiter := func() {
		req, _ := http.NewRequestWithContext(wctx, "POST", base+"/v1/chat/completions", strings.NewReader(`{"model":"chat","messages":[{"role":"user","content":"next"}]}`))
		req.Header.Set("Authorization", "Bearer "+srv.Token())
		if r, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
	}
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(testwait.Bound(t))
	for {
		go waiter() // waits for the model, unless the queue is already full
		time.Sleep(50 * time.Millisecond)
		req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(`{"model":"chat","messages":[{"role":"user","content":"third"}]}`))
		req.Header.Set("Authorization", "Bearer "+srv.Token())
		r, err := probe.Do(req)
		if err == nil {
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode == http.StatusTooManyRequests && strings.Contains(string(body), "rate_limit_error") && r.Header.Get("Retry-After") != "" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("a full queue never answered 429")
		}
	}
	cancel() // the client goes away
	resp.Body.Close()
	select {
	case <-b.cancelled:
	case <-time.After(testwait.Bound(t)):
		t.Fatal("the generation went on after its client disconnected")
	}
}

// The MCP server lists its tools and searches the library, over HTTP with
// the token, as an assistant's client does.
func TestMCPOverHTTP(t *testing.T) {
	e := library(t)
	srv, base := serve(t, e, api.Options{})
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	hc := &http.Client{Transport: bearer{srv.Token()}}
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: hc, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	for _, want := range []string{"search_library", "ask_library", "list_libraries", "list_documents", "get_passage"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("tool %s missing: %v", want, names)
		}
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search_library", Arguments: map[string]any{"query": "grey heron weir", "k": 3}})
	if err != nil || res.IsError {
		t.Fatalf("search_library: %v %+v", err, res)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var out api.SearchOutput
	json.Unmarshal(b, &out)
	if len(out.Passages) == 0 || !strings.Contains(out.Passages[0].Path, "herons.md") {
		t.Fatalf("search_library found %s", b)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_passage", Arguments: map[string]any{"doc_id": out.Passages[0].DocID, "chunk_id": out.Passages[0].ChunkID}})
	if err != nil || res.IsError || !strings.Contains(fmt.Sprint(res.StructuredContent), "heron") {
		t.Errorf("get_passage: %v %+v", err, res)
	}
	// Without the token, the MCP endpoint is closed too.
	if _, err := mcp.NewClient(&mcp.Implementation{Name: "x", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: base + "/mcp", MaxRetries: -1}, nil); err == nil {
		t.Error("an MCP client without the token connected")
	}
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// A script that writes its requests and closes its input gets a reply to
// every request it wrote, then the server ends.
func TestMCPStreamAnswersBeforeEndOfInput(t *testing.T) {
	e := library(t)
	in := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"script","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":2,"method":"tools/list"}
{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_library","arguments":{"query":"heron"}}}
`)
	var out testwait.Buffer
	done := make(chan error, 1)
	go func() { done <- api.ServeStream(context.Background(), e, "", "test", io.NopCloser(in), &out) }()
	testwait.Recv(t, "the server ends after the end of input", done)
	replies := map[float64]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m struct {
			ID     float64         `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil || m.Result == nil {
			t.Fatalf("reply %q: %v", line, err)
		}
		replies[m.ID] = true
	}
	if !replies[1] || !replies[2] || !replies[3] {
		t.Errorf("replies to %v, want 1, 2 and 3:\n%s", replies, out.String())
	}
	if !strings.Contains(out.String(), "search_library") || !strings.Contains(out.String(), "herons.md") {
		t.Errorf("the tools or the search result are missing:\n%s", out.String())
	}
}
