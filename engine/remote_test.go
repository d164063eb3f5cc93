package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/models"
)

// modelServer is a minimal OpenAI-compatible server on loopback. It
// answers from the sources it was given, as a model would: the reply
// cites source [1] when the prompt holds the tower's height.
func modelServer(t *testing.T, key string, prompts *atomic.Value) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, `{"error":{"message":"no"}}`, http.StatusUnauthorized)
			return
		}
		var req struct {
			Messages []struct{ Role, Content string }
		}
		json.NewDecoder(r.Body).Decode(&req)
		var all strings.Builder
		for _, m := range req.Messages {
			all.WriteString(m.Content + "\n")
		}
		prompts.Store(all.String())
		reply := "I do not know."
		if strings.Contains(all.String(), "330 metres") {
			reply = "The Eiffel Tower is 330 metres tall [1]."
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, part := range strings.SplitAfter(reply, " ") {
			fmt.Fprintf(w, "data: {\"model\":\"team-70b\",\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", part)
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(s.Close)
	return s
}

// Answers come from a model server when one is set: the passages go to
// it, the answer streams back, is checked like any other, and says which
// server it came from.
func TestAnswersFromAModelServer(t *testing.T) {
	var prompts atomic.Value
	srv := modelServer(t, "team-key", &prompts)
	s := engine.DefaultSettings()
	s.EmbedModel = engine.NoEmbedModel
	s.ChatServer, s.ChatServerKey = srv.URL+"/v1", "team-key"
	e := openEngine(t, t.TempDir(), &s)
	addAndWait(t, e, "Travel", writeDocs(t))
	var streamed strings.Builder
	a, err := e.Ask(context.Background(), "How tall is the Eiffel Tower?", engine.AskOptions{}, func(d engine.Delta) error {
		streamed.WriteString(d.Text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(prompts.Load().(string), "330 metres") {
		t.Error("the sources were not sent to the server")
	}
	if !a.Grounded || len(a.Citations) != 1 || !strings.Contains(a.Text, "330 metres") || !strings.Contains(streamed.String(), "330") {
		t.Errorf("answer %q (grounded %v, citations %v)", a.Text, a.Grounded, a.Citations)
	}
	if a.Model.Server != srv.URL || a.Model.Name != "team-70b" {
		t.Errorf("the answer's record does not say where it came from: %+v", a.Model)
	}
	if st := e.ChatModel(); st.State != engine.ModelReady || st.Remote != srv.URL || st.Placement.Backend != "remote" {
		t.Errorf("model status %+v", st)
	}
}

// A model server that is down, or refuses the key, is a clear error, not a
// hang or a crash; the library keeps working.
func TestModelServerErrors(t *testing.T) {
	var prompts atomic.Value
	srv := modelServer(t, "team-key", &prompts)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l.Addr().String() + "/v1"
	l.Close()
	for _, tc := range []struct{ name, url, key, want string }{
		{"down", down, "", "does not answer"},
		{"wrong key", srv.URL + "/v1", "wrong", "refused the API key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := engine.DefaultSettings()
			s.EmbedModel = engine.NoEmbedModel
			s.ChatServer, s.ChatServerKey = tc.url, tc.key
			e := openEngine(t, t.TempDir(), &s)
			addAndWait(t, e, "Travel", writeDocs(t))
			_, err := e.Ask(context.Background(), "How tall is the Eiffel Tower?", engine.AskOptions{}, nil)
			if !errors.Is(err, models.ErrRemote) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if hits, err := e.Search(context.Background(), "Eiffel", engine.SearchOptions{}); err != nil || len(hits.Hits) == 0 {
				t.Errorf("search after the failure: %v %v", hits, err)
			}
		})
	}
	bad := engine.DefaultSettings()
	bad.ChatServer = "gpu.lab:8080"
	if err := bad.Validate(); err == nil {
		t.Error("a model server address without http:// was accepted")
	}
}

// embedServer is a minimal OpenAI-compatible /v1/embeddings: each text
// becomes counts of its words hashed into 64 dimensions (not unit length:
// Carrel normalises them), so texts sharing words are near.
func embedServer(t *testing.T, calls *atomic.Int64) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string
			Input []string
		}
		if r.URL.Path != "/v1/embeddings" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Model != "hash-64" {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		calls.Add(1)
		type item struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var out struct {
			Data []item `json:"data"`
		}
		for i, text := range req.Input {
			v := make([]float32, 64)
			for _, word := range strings.Fields(strings.ToLower(text)) {
				h := 0
				for _, c := range strings.Trim(word, ".,?!'") {
					h = h*31 + int(c)
				}
				v[(h%64+64)%64] += 3
			}
			out.Data = append(out.Data, item{i, v})
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(s.Close)
	return s
}

// Search by meaning with an embedding model on a model server: passages
// and questions are embedded there, and the search says so.
func TestEmbeddingsFromAModelServer(t *testing.T) {
	var calls atomic.Int64
	srv := embedServer(t, &calls)
	s := engine.DefaultSettings()
	s.EmbedModel, s.EmbedServerModel = srv.URL+"/v1", "hash-64"
	e := openEngine(t, t.TempDir(), &s)
	if m := e.SearchMethod(); !m.Meaning || m.Name != "hash-64 on "+srv.URL {
		t.Errorf("search method %+v", m)
	}
	addAndWait(t, e, "Travel", writeDocs(t))
	if calls.Load() == 0 {
		t.Fatal("no passage was embedded by the server")
	}
	res, err := e.Search(context.Background(), "the colosseum in rome spectators", engine.SearchOptions{Mode: engine.SearchVector})
	if err != nil || len(res.Hits) == 0 || !strings.HasSuffix(res.Hits[0].Path, "rome.html") {
		t.Fatalf("vector search: %v %+v", err, res)
	}
}

// A library can have a model server of its own: questions asked of it go
// there and say so, while questions about the other libraries stay with
// the model of the settings (here none, so they answer with passages).
func TestLibraryChatServer(t *testing.T) {
	var prompts atomic.Value
	srv := modelServer(t, "lab-key", &prompts)
	s := engine.DefaultSettings()
	s.EmbedModel = engine.NoEmbedModel
	s.LibraryChatServers = map[string]engine.ModelServer{"Travel": {URL: srv.URL + "/v1", Key: "lab-key", Model: "team-70b"}}
	e := openEngine(t, t.TempDir(), &s)
	addAndWait(t, e, "Travel", writeDocs(t))
	addAndWait(t, e, "Mine", writeDocs(t))
	ctx := context.Background()
	a, err := e.Ask(ctx, "How tall is the Eiffel Tower?", engine.AskOptions{Library: "Travel"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Model.Server != srv.URL || !a.Grounded || !strings.Contains(a.Text, "330 metres") {
		t.Errorf("the library's answer: %q from %+v", a.Text, a.Model)
	}
	for _, lib := range []string{"Mine", ""} {
		prompts.Store("")
		b, err := e.Ask(ctx, "How tall is the Eiffel Tower?", engine.AskOptions{Library: lib}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b.Outcome != engine.RetrievalOnly || b.Model.Server != "" || prompts.Load().(string) != "" {
			t.Errorf("library %q: outcome %s from %+v; the server was asked: %v", lib, b.Outcome, b.Model, prompts.Load() != "")
		}
	}
	if st := e.ChatModel(); st.Remote != "" {
		t.Errorf("the settings' chat model is said to be remote: %+v", st)
	}
	bad := e.Settings()
	bad.LibraryChatServers["Mine"] = engine.ModelServer{URL: "gpu.lab:8080"}
	if _, err := e.SetSettings(ctx, bad); err == nil || !strings.Contains(err.Error(), `"Mine"`) {
		t.Errorf("a library's model server without http://: %v", err)
	}
}
