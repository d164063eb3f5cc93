package openai

import (
	"encoding/json"
	"reflect"
	"testing"
)

// What real clients and servers send decodes into the one set of types.
func TestLenientDecoding(t *testing.T) {
	cases := []struct {
		name, in string
		into     any
		want     any
		bad      bool
	}{
		{"content as text", `{"role":"user","content":"hi"}`, &Message{}, &Message{Role: "user", Content: "hi"}, false},
		{"content as parts", `{"role":"user","content":[{"type":"text","text":"a "},{"type":"image_url"},{"type":"text","text":"b"}]}`, &Message{}, &Message{Role: "user", Content: "a b"}, false},
		{"content as a number", `{"role":"user","content":3}`, &Message{}, nil, true},
		{"stop as one string", `{"messages":[],"stream":false,"stop":"END"}`, &ChatRequest{}, &ChatRequest{Messages: []Message{}, Stop: Strings{"END"}}, false},
		{"stop as a list", `{"messages":[],"stream":false,"stop":["a","b"]}`, &ChatRequest{}, &ChatRequest{Messages: []Message{}, Stop: Strings{"a", "b"}}, false},
		{"stop as null", `{"messages":[],"stream":false,"stop":null}`, &ChatRequest{}, &ChatRequest{Messages: []Message{}}, false},
		{"input as token arrays", `{"input":[[1,2]]}`, &EmbeddingRequest{}, nil, true},
		{"error as an object", `{"error":{"message":"no key","type":"auth","code":"401"}}`, &ErrorResponse{}, &ErrorResponse{Error: Error{Message: "no key", Type: "auth", Code: "401"}}, false},
		{"error as a string", `{"error":"model not loaded"}`, &ErrorResponse{}, &ErrorResponse{Error: Error{Message: "model not loaded"}}, false},
		{"embedding as floats", `{"index":1,"embedding":[0.5,-1]}`, &Embedding{}, &Embedding{Index: 1, Embedding: Vector{Floats: []float32{0.5, -1}}}, false},
		{"embedding in base64", `{"index":0,"embedding":"AAAAPwAAgL8="}`, &Embedding{}, &Embedding{Embedding: Vector{Floats: []float32{0.5, -1}, Base64: true}}, false},
		{"embedding in bad base64", `{"embedding":"AAA"}`, &Embedding{}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := json.Unmarshal([]byte(c.in), c.into)
			if c.bad {
				if err == nil {
					t.Fatalf("accepted: %+v", c.into)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(c.into, c.want) {
				t.Fatalf("got %+v, %v; want %+v", c.into, err, c.want)
			}
		})
	}
}

// A vector written in either form reads back the same.
func TestVectorRoundTrip(t *testing.T) {
	for _, b64 := range []bool{false, true} {
		v := Vector{Floats: []float32{1, 0.25, -3.5}, Base64: b64}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back Vector
		if err := json.Unmarshal(j, &back); err != nil || !reflect.DeepEqual(back, v) {
			t.Errorf("base64 %v: %s read back as %+v, %v", b64, j, back, err)
		}
	}
}
