// Package openai declares the wire types of the OpenAI-compatible API
// once, for Carrel's own server (package api) and for its client of model
// servers (engine/models). Decoding accepts what real clients and servers
// send: a message's content as a string or a list of parts, "stop" and an
// embedding's input as a string or a list, an error as an object or a
// string, and an embedding as a list of floats or base64.
package openai

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// ChatRequest is the body of POST /chat/completions.
type ChatRequest struct {
	Model               string         `json:"model,omitempty"`
	Messages            []Message      `json:"messages"`
	Stream              bool           `json:"stream"`
	MaxTokens           int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens int            `json:"max_completion_tokens,omitempty"`
	Temperature         *float64       `json:"temperature,omitempty"`
	Seed                *int64         `json:"seed,omitempty"`
	Stop                Strings        `json:"stop,omitempty"`
	StreamOptions       *StreamOptions `json:"stream_options,omitempty"`
}

// StreamOptions asks a streaming server for the token counts at the end.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one turn of a conversation, in a request or a reply.
type Message struct {
	Role    string  `json:"role,omitempty"`
	Content Content `json:"content"`
}

// Content is a message's text. It is written as a string and read from a
// string or from a list of parts, whose text parts are joined.
type Content string

// UnmarshalJSON reads a string or a list of parts.
func (c *Content) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Content(s)
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return errors.New("a message's content is neither text nor a list of parts")
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			sb.WriteString(p.Text)
		}
	}
	*c = Content(sb.String())
	return nil
}

// Strings is a list of strings that may be sent as one string.
type Strings []string

// UnmarshalJSON reads a string, a list of strings, or null.
func (s *Strings) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = Strings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("expected a string or a list of strings")
	}
	*s = many
	return nil
}

// ChatResponse is a chat completion, or one chunk of a streamed one.
type ChatResponse struct {
	ID      string   `json:"id,omitempty"`
	Object  string   `json:"object,omitempty"`
	Created int64    `json:"created,omitempty"`
	Model   string   `json:"model"`
	Choices []Choice `json:"choices"`
	Usage   *Usage   `json:"usage,omitempty"`
	// Carrel is the extension field of a library model's answer: its
	// sources and citations, so a client can show where it comes from.
	Carrel *Grounding `json:"carrel,omitempty"`
	// Error is how some servers report a failure in the middle of a
	// stream.
	Error *Error `json:"error,omitempty"`
}

// Choice is one reply: a whole Message, or a streamed chunk's Delta.
type Choice struct {
	Index        int      `json:"index"`
	Message      *Message `json:"message,omitempty"`
	Delta        *Message `json:"delta,omitempty"`
	FinishReason *string  `json:"finish_reason"`
}

// Usage counts a reply's tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ErrorResponse is the body of a failed request.
type ErrorResponse struct {
	Error Error `json:"error"`
}

// Error says what went wrong. Some servers send it as a plain string,
// which becomes its Message.
type Error struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// UnmarshalJSON reads an error object or a string.
func (e *Error) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*e = Error{Message: s}
		return nil
	}
	type plain Error // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*e = Error(p)
	return nil
}

// EmbeddingRequest is the body of POST /embeddings.
type EmbeddingRequest struct {
	Model          string  `json:"model,omitempty"`
	Input          Strings `json:"input"`
	EncodingFormat string  `json:"encoding_format,omitempty"`
}

// EmbeddingResponse holds one embedding per input.
type EmbeddingResponse struct {
	Object string      `json:"object"`
	Data   []Embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  *Usage      `json:"usage,omitempty"`
}

// Embedding is the vector of the input at Index.
type Embedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding Vector `json:"embedding"`
}

// Vector is an embedding, written as a list of floats or, when Base64 is
// set (the openai clients' default), as its little-endian float32 bytes in
// base64; read from either.
type Vector struct {
	Floats []float32
	Base64 bool
}

// MarshalJSON writes the floats, or their bytes in base64.
func (v Vector) MarshalJSON() ([]byte, error) {
	if !v.Base64 {
		if v.Floats == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(v.Floats)
	}
	b := make([]byte, 4*len(v.Floats))
	for i, f := range v.Floats {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// UnmarshalJSON reads a list of floats or base64 bytes.
func (v *Vector) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw)%4 != 0 {
			return fmt.Errorf("an embedding in base64 is not float32 bytes")
		}
		v.Base64, v.Floats = true, make([]float32, len(raw)/4)
		for i := range v.Floats {
			v.Floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return nil
	}
	v.Base64 = false
	return json.Unmarshal(b, &v.Floats)
}

// ModelList is the body of GET /models.
type ModelList struct {
	Object string  `json:"object"`
	Data   []Model `json:"data"`
}

// Model is one model a server offers.
type Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// Grounding is what a library model's answer rests on: the "carrel" field
// of its response (and of the last chunk of a stream).
type Grounding struct {
	Library string `json:"library"`
	// Outcome: answered, not_found (the documents do not hold it),
	// retrieval_only (no chat model: the passages alone), ungrounded,
	// uncited (the model cited none of its sources: not grounded).
	Outcome   string     `json:"outcome"`
	Citations []Citation `json:"citations"`
	Sources   []Citation `json:"sources"`
}

// Citation is a passage an answer cites or was given.
type Citation struct {
	N         int     `json:"n"`
	Path      string  `json:"path"`
	Page      int     `json:"page,omitempty"`
	Heading   string  `json:"heading,omitempty"`
	Text      string  `json:"text"`
	Score     float64 `json:"score"`
	Supported *bool   `json:"supported,omitempty"`
}
