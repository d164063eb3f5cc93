package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/internal/openai"
)

// fakeServer is a minimal OpenAI-compatible server: it streams reply word
// by word, checks the key, and serves embeddings.
func fakeServer(t *testing.T, key, reply string, hang time.Duration) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		if key != "" && r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"message":"invalid api key"}}`)
			return
		}
		var req openai.ChatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.Stream || len(req.Messages) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		words := strings.SplitAfter(reply, " ")
		for i, wd := range words {
			fmt.Fprintf(w, "data: {\"model\":\"big-model\",\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", wd)
			w.(http.Flusher).Flush()
			if i == 0 && hang > 0 {
				select {
				case <-time.After(hang):
				case <-r.Context().Done():
					return
				}
			}
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
		fmt.Fprintf(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":42,\"completion_tokens\":%d}}\n\n", len(words))
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	mux.HandleFunc("/v1/embeddings", func(w http.ResponseWriter, r *http.Request) {
		var req openai.EmbeddingRequest
		json.NewDecoder(r.Body).Decode(&req)
		var out openai.EmbeddingResponse
		for i := len(req.Input) - 1; i >= 0; i-- { // out of order, as servers may
			out.Data = append(out.Data, openai.Embedding{Index: i, Embedding: openai.Vector{Floats: []float32{float32(len(req.Input[i])), 1}}})
		}
		json.NewEncoder(w).Encode(out)
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestRemoteChatStreams(t *testing.T) {
	s := fakeServer(t, "k3y", "The answer is in the report [1].", 0)
	r, err := NewRemote(s.URL, "k3y", "")
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	st, err := r.Chat(context.Background(), []RemoteMessage{{Role: "user", Content: "Where?"}}, RemoteOptions{MaxTokens: 50, Seed: -1}, func(p string) error {
		got.WriteString(p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "The answer is in the report [1]." || st.Model != "big-model" || st.PromptTokens != 42 || st.GeneratedTokens != 7 || st.FinishReason != "stop" {
		t.Errorf("got %q, %+v", got.String(), st)
	}
	if r.Server() != s.URL {
		t.Errorf("server %q", r.Server())
	}
}

func TestRemoteErrorsSayWhy(t *testing.T) {
	s := fakeServer(t, "s3cr3t", "hello there", 0)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String()
	l.Close()
	for _, tc := range []struct {
		name, base, key, want string
	}{
		{"wrong key", s.URL, "wrong", "refused the API key: invalid api key"},
		{"nothing listening", closed, "", "does not answer"},
		{"wrong path", s.URL + "/api", "s3cr3t", "has no /api/chat/completions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRemote(tc.base, tc.key, "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Chat(context.Background(), []RemoteMessage{{Role: "user", Content: "hi"}}, RemoteOptions{Seed: -1}, func(string) error { return nil })
			if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if tc.key != "" && strings.Contains(err.Error(), tc.key) {
				t.Errorf("the key is in the message: %v", err)
			}
		})
	}
	if _, err := NewRemote("ftp://x", "", ""); err == nil {
		t.Error("an ftp address was accepted")
	}
}

// A server that stops sending mid-answer is cut off after the idle limit,
// with a message, and Stop (the caller's context) ends an answer at once.
func TestRemoteStallAndStop(t *testing.T) {
	s := fakeServer(t, "", "first then nothing", time.Minute)
	r, _ := NewRemote(s.URL, "", "")
	r.idle = 300 * time.Millisecond
	// The server stalls for a minute: only the idle limit says "stopped
	// sending".
	_, err := r.Chat(context.Background(), []RemoteMessage{{Role: "user", Content: "hi"}}, RemoteOptions{Seed: -1}, func(string) error { return nil })
	if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "stopped sending") {
		t.Errorf("stalled stream: %v", err)
	}
	r.idle = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	_, err = r.Chat(ctx, []RemoteMessage{{Role: "user", Content: "hi"}}, RemoteOptions{Seed: -1}, func(string) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("stopped answer: %v", err)
	}
}

func TestRemoteEmbed(t *testing.T) {
	s := fakeServer(t, "", "", 0)
	r, _ := NewRemote(s.URL+"/v1/", "", "minilm")
	vecs, err := r.Embed(context.Background(), []string{"a", "bbb"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 2 || vecs[0][0] != 1 || vecs[1][0] != 3 {
		t.Errorf("embeddings %v", vecs)
	}
}
