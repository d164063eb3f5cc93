// Package api lets a person's other programs use Carrel: an
// OpenAI-compatible HTTP API (models, chat completions, embeddings) and a
// Model Context Protocol server (search and cite the library), over the
// engine facade. It is a translator with wire types of its own; every
// answer comes from the same engine calls as the window's.
//
// Private by default: it listens on the loopback interface only (another
// address needs an explicit choice), every HTTP request needs the bearer
// token kept 0600 in the data folder, the Host header must name the server
// (a defence against DNS rebinding), no CORS header is sent unless an
// origin is configured, and a log of requests (time, client, endpoint,
// status, never content) is kept beside the token.
package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/carrel-ai/carrel/engine"
)

// Engine is what the API needs of the engine facade.
type Engine interface {
	Libraries(ctx context.Context) ([]engine.Library, error)
	Documents(ctx context.Context, library string) ([]engine.Document, error)
	Passages(ctx context.Context, docID int64) ([]engine.Hit, error)
	Search(ctx context.Context, query string, o engine.SearchOptions) (engine.SearchResult, error)
	Ask(ctx context.Context, q string, o engine.AskOptions, emit func(engine.Delta) error) (*engine.Answer, error)
	Chat(ctx context.Context, msgs []engine.ChatMessage, o engine.ChatOptions, emit func(string) error) (*engine.ChatReply, error)
	Embed(ctx context.Context, texts []string) ([][]float32, string, error)
	ChatModel() engine.ModelStatus
	Settings() engine.Settings
	SearchMethod() engine.SearchMethod
	DataDir() string
}

// Options configure a Server; zero values pick the defaults.
type Options struct {
	// Addr is where to listen; "" means 127.0.0.1:8765.
	Addr string
	// AllowRemote permits an address other than loopback. The token is
	// still required.
	AllowRemote bool
	// Library is the library of "carrel" (the default library model);
	// "" means the settings' library.
	Library string
	// CORSOrigin, when set, is the one web origin allowed to call the API
	// from a browser.
	CORSOrigin string
	// MaxBody caps a request body; 0 means 1 MiB.
	MaxBody int64
	// Queue is how many requests may wait for the model while one runs;
	// 0 means 8. Past it a request gets 429.
	Queue int
	// Version is reported in the MCP server's identity.
	Version string
}

// DefaultAddr is where Carrel listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8765"

// Errors of starting a server.
var (
	ErrNotLoopback = errors.New("api: the address is not on this computer (loopback); pass --allow-remote to listen there")
)

// Server serves the OpenAI-compatible API and the MCP endpoint.
type Server struct {
	eng   Engine
	opts  Options
	token string
	log   *log.Logger
	logf  io.Closer
	slots chan struct{} // one generation at a time
	queue chan struct{} // requests allowed to wait for a slot
	mu    sync.Mutex
	host  string // the address clients must name in Host
}

// New prepares a server for eng: it reads (or makes) the token and opens
// the request log in the data folder.
func New(eng Engine, o Options) (*Server, error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.Queue <= 0 {
		o.Queue = 8
	}
	if err := checkAddr(o.Addr, o.AllowRemote); err != nil {
		return nil, err
	}
	tok, err := Token(eng.DataDir())
	if err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(filepath.Join(eng.DataDir(), "api.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("api: the request log: %w", err)
	}
	return &Server{eng: eng, opts: o, token: tok, log: log.New(lf, "", 0), logf: lf,
		slots: make(chan struct{}, 1), queue: make(chan struct{}, o.Queue)}, nil
}

// checkAddr refuses an address off this computer unless allowed.
func checkAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("api: address %q: %w", addr, err)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w (%s)", ErrNotLoopback, addr)
	}
	return nil
}

// Token returns the API token of a data folder, making one the first time
// (32 random bytes, hex, in a 0600 file).
func Token(dataDir string) (string, error) {
	p := filepath.Join(dataDir, "api-token")
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	return RotateToken(dataDir)
}

// RotateToken makes a new API token; the old one stops working when the
// server is started again.
func RotateToken(dataDir string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(b)
	p := filepath.Join(dataDir, "api-token")
	tmp := p + ".new"
	if err := os.WriteFile(tmp, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("api: writing the token: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", fmt.Errorf("api: writing the token: %w", err)
	}
	return tok, nil
}

// Token is the bearer token clients must send.
func (s *Server) Token() string { return s.token }

// Serve listens and serves until ctx ends; ready, if not nil, receives the
// address it listens on (useful with port 0).
func (s *Server) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("api: listening on %s: %w", s.opts.Addr, err)
	}
	s.mu.Lock()
	s.host = ln.Addr().String()
	s.mu.Unlock()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	if ready != nil {
		ready(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-done
		s.logf.Close()
		return nil
	case err := <-done:
		s.logf.Close()
		return err
	}
}

// Handler is the whole API: /v1/… (OpenAI-compatible) and /mcp, behind
// the checks of every request.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("POST /v1/chat/completions", s.chatCompletions)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	mux.Handle("/mcp", s.mcpHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "invalid_request_error", "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return s.guard(mux)
}

// statusWriter remembers the status for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// guard checks the Host header and the token, answers CORS when
// configured, caps the body, and logs the request (never its content).
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			s.log.Printf("%s %s %s %s %d %dms", start.UTC().Format(time.RFC3339), r.RemoteAddr, r.Method, r.URL.Path, sw.status, time.Since(start).Milliseconds())
		}()
		if !s.hostAllowed(r.Host) {
			apiError(sw, http.StatusForbidden, "invalid_request_error", "host_not_allowed", "the Host header does not name this server")
			return
		}
		if s.opts.CORSOrigin != "" && r.Header.Get("Origin") == s.opts.CORSOrigin {
			sw.Header().Set("Access-Control-Allow-Origin", s.opts.CORSOrigin)
			sw.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version")
			sw.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			if r.Method == http.MethodOptions {
				sw.WriteHeader(http.StatusNoContent)
				return
			}
		}
		auth := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.token)) != 1 {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="carrel"`)
			apiError(sw, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "a bearer token is required: the one \"carrel serve\" prints (or the window's settings show)")
			return
		}
		r.Body = http.MaxBytesReader(sw, r.Body, s.opts.MaxBody)
		next.ServeHTTP(sw, r)
	})
}

// hostAllowed accepts the names of this server: the address it listens
// on, and localhost or a loopback address with its port. With
// AllowRemote, any host naming its port.
func (s *Server) hostAllowed(host string) bool {
	s.mu.Lock()
	listen := s.host
	s.mu.Unlock()
	if host == listen || listen == "" {
		return true
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != port {
		return false
	}
	if s.opts.AllowRemote {
		return true
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// acquire waits for the model, within the queue's room; false means the
// queue is full (429) or the client went away.
func (s *Server) acquire(ctx context.Context) (release func(), status int) {
	select {
	case s.queue <- struct{}{}:
	default:
		return nil, http.StatusTooManyRequests
	}
	defer func() { <-s.queue }()
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, 0
	case <-ctx.Done():
		return nil, 499
	}
}
