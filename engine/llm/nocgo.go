//go:build !cgo

package llm

import (
	"context"
	"time"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// This file gives a build without cgo the same API, so the rest of Carrel
// compiles and tests without a C toolchain; every call that needs
// llama.cpp returns ErrUnavailable.

// Model is a loaded model; without cgo none can be loaded.
type Model struct{}

// Context is a generation session; without cgo none can be made.
type Context struct{}

// Embedder embeds text; without cgo none can be made.
type Embedder struct{}

// Adapter is a LoRA adapter; without cgo none can be loaded.
type Adapter struct{}

func Load(context.Context, string, ModelOptions) (*Model, error) { return nil, ErrUnavailable }
func Quantize(context.Context, string, string, gguf.FileType, int) error {
	return ErrUnavailable
}
func Devices() []Device     { return nil }
func SystemInfo() string    { return "built without llama.cpp" }
func Available() bool       { return false }
func BackendDirs() []string { return nil }

func (*Model) Info() ModelInfo                             { return ModelInfo{} }
func (*Model) Placement() Placement                        { return Placement{} }
func (*Model) ContextLength() int                          { return 0 }
func (*Model) Close() error                                { return nil }
func (*Model) Tokenize(string, bool) ([]int32, error)      { return nil, ErrUnavailable }
func (*Model) ChatFormat() string                          { return "" }
func (*Model) ApplyTemplate(m []Message, add bool) string  { return plainTranscript(m, add) }
func (*Model) NewContext(ContextOptions) (*Context, error) { return nil, ErrUnavailable }
func (*Model) NewEmbedder(EmbedOptions) (*Embedder, error) { return nil, ErrUnavailable }
func (*Model) LoadAdapter(string) (*Adapter, error)        { return nil, ErrUnavailable }
func (*Context) Size() int                                 { return 0 }
func (*Context) Threads() int                              { return 0 }
func (*Context) ActiveThreads() int                        { return 0 }
func (*Context) Model() *Model                             { return nil }
func (*Context) Close() error                              { return nil }
func (*Context) Reset()                                    {}
func (*Context) Perplexity(context.Context, string) (Perplexity, error) {
	return Perplexity{}, ErrUnavailable
}
func (*Context) ApplyAdapter(*Adapter, float32) error { return ErrUnavailable }
func (*Context) RemoveAdapter(*Adapter) error         { return ErrUnavailable }
func (*Embedder) Dims() int                           { return 0 }
func (*Embedder) MaxTokens() int                      { return 0 }
func (*Embedder) Close() error                        { return nil }
func (*Adapter) Path() string                         { return "" }
func (*Adapter) Close() error                         { return nil }
func (*Embedder) Embed(context.Context, []string) ([][]float32, error) {
	return nil, ErrUnavailable
}
func (*Context) Chat(context.Context, []Message, GenerateOptions, func(string) error) (Stats, error) {
	return Stats{}, ErrUnavailable
}
func (*Context) Prefill(context.Context, string) (int, error) { return 0, ErrUnavailable }
func (*Context) ReadAhead(context.Context, string, int) (int, bool, error) {
	return 0, false, ErrUnavailable
}
func (*Context) Generate(context.Context, string, GenerateOptions, func(string) error) (Stats, error) {
	return Stats{}, ErrUnavailable
}
func (*Context) Bench(context.Context, int, int, int) (BenchResult, error) {
	return BenchResult{}, ErrUnavailable
}
func (*Context) BenchNative(context.Context, int, int, int) (BenchResult, error) {
	return BenchResult{}, ErrUnavailable
}

// EmbedNative needs llama.cpp.
func (*Embedder) EmbedNative(context.Context, []string) ([][]float32, time.Duration, error) {
	return nil, 0, ErrUnavailable
}

// Reranker scores passages against a question; without cgo none can be
// made.
type Reranker struct{}

// NewReranker needs llama.cpp.
func (*Model) NewReranker(EmbedOptions) (*Reranker, error) { return nil, ErrUnavailable }

// Score needs llama.cpp.
func (*Reranker) Score(context.Context, string, []string) ([]float32, error) {
	return nil, ErrUnavailable
}

// Close does nothing.
func (*Reranker) Close() error { return nil }

// Trainer trains an adapter; without cgo none can be made.
type Trainer struct{}

// NewTrainer needs llama.cpp.
func (*Model) NewTrainer(*Adapter, TrainOptions) (*Trainer, error) { return nil, ErrUnavailable }
func (*Trainer) Window() int                                       { return 0 }
func (*Trainer) Threads() int                                      { return 0 }
func (*Trainer) Step(context.Context, []int32) (StepResult, error) {
	return StepResult{}, ErrUnavailable
}
func (*Trainer) Loss(context.Context, []int32) (float64, error) { return 0, ErrUnavailable }
func (*Trainer) Tensors() ([]AdapterTensor, error)              { return nil, ErrUnavailable }
func (*Adapter) Tensors() ([]AdapterTensor, error)              { return nil, ErrUnavailable }
func (*Trainer) Close() error                                   { return nil }
