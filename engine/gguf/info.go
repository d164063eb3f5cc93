package gguf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Info describes a GGUF model from its header alone, without loading
// its weights.
type Info struct {
	Path            string
	Name            string // general.name, else (or when it only repeats the architecture) the file name
	Architecture    string // e.g. "llama", "qwen2", "bert"
	Params          int64  // number of weights
	Quantization    string // e.g. "Q4_K_M"
	ContextLength   int    // trained context window in tokens
	EmbeddingLength int    // width of the hidden state (embedding dimensions)
	Layers          int
	VocabSize       int
	ChatTemplate    string // the model's own template; empty when it has none
	FileSize        int64
	// Pooling is the model's own embedding pooling ("mean", "cls", "last",
	// …), empty when the model defines none (generative models).
	Pooling string
	// Adapter is true for a LoRA adapter rather than a model.
	Adapter bool
}

var poolingNames = map[uint64]string{0: "none", 1: "mean", 2: "cls", 3: "last", 4: "rank"}

// DetailError is a sentinel (ErrNotGGUF) with a word on what the file is
// instead.
type DetailError struct {
	Err    error
	Detail string
}

func (e *DetailError) Error() string { return e.Err.Error() + ": " + e.Detail }
func (e *DetailError) Unwrap() error { return e.Err }

// ReadInfo reads a model's description from its GGUF header, without
// loading its weights. A missing file gives an error matching
// fs.ErrNotExist; a file that is not a model, ErrNotGGUF (with a word on
// what it is instead); a cut-off one, ErrTruncated.
func ReadInfo(path string) (Info, error) {
	info := Info{Path: path}
	st, err := os.Stat(path)
	if err != nil {
		return info, err
	}
	if st.IsDir() {
		return info, &DetailError{Err: ErrNotGGUF, Detail: "this is a folder"}
	}
	info.FileSize = st.Size()
	f, err := Open(path)
	switch {
	case errors.Is(err, ErrNotGGUF):
		return info, &DetailError{Err: ErrNotGGUF, Detail: describeMagic(path)}
	case errors.Is(err, ErrTruncated):
		return info, err
	case err != nil:
		return info, &DetailError{Err: ErrNotGGUF, Detail: err.Error()}
	}
	info.Architecture = f.Architecture()
	info.Name, _ = f.String("general.name")
	if info.Name == "" || strings.EqualFold(info.Name, info.Architecture) { // "llama" says nothing
		info.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if info.Name == "" {
		info.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	info.Params = f.ParamCount()
	if ft, ok := f.Uint("general.file_type"); ok {
		info.Quantization = FileType(ft).String()
	}
	n, _ := f.ArchUint("context_length")
	info.ContextLength = int(n)
	n, _ = f.ArchUint("embedding_length")
	info.EmbeddingLength = int(n)
	n, _ = f.ArchUint("block_count")
	info.Layers = int(n)
	info.VocabSize, _ = f.ArrayLen("tokenizer.ggml.tokens")
	info.ChatTemplate, _ = f.String("tokenizer.chat_template")
	if p, ok := f.ArchUint("pooling_type"); ok {
		info.Pooling = poolingNames[p]
	}
	t, _ := f.String("general.type")
	info.Adapter = t == "adapter"
	return info, nil
}

// describeMagic names common non-model files so the error helps the user.
func describeMagic(path string) string {
	b := make([]byte, 8)
	fh, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer fh.Close()
	n, _ := fh.Read(b)
	b = b[:n]
	switch {
	case n == 0:
		return "the file is empty"
	case strings.HasPrefix(string(b), "PK"):
		return "it is a zip archive"
	case strings.HasPrefix(string(b), "%PDF"):
		return "it is a PDF document"
	case strings.HasPrefix(string(b), "ggml") || strings.HasPrefix(string(b), "ggjt") || strings.HasPrefix(string(b), "lmgg"):
		return "it is an old GGML/GGJT model; convert it to GGUF"
	case strings.HasPrefix(string(b), "<"):
		return "it looks like a web page (a failed download?)"
	}
	return fmt.Sprintf("it starts with %q", b)
}
