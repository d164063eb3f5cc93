// Package llm runs GGUF language models on the device through llama.cpp.
//
// It is Carrel's only cgo package. It loads a model (choosing Metal, CUDA or
// the CPU by itself), applies the model's own chat template, streams
// generated text with cancellation, keeps the KV cache of a shared prompt
// prefix between calls, embeds text in batches, and applies LoRA adapters.
// No C type appears in its API.
//
// # Concurrency
//
// A [Model] is safe for concurrent use, and its weights are shared by every
// [Context] and [Embedder] made from it, so one model can answer a question
// while it embeds documents. A Context or an Embedder runs one call at a
// time: concurrent calls on the same one wait for each other. Close a Model
// only after its contexts and embedders: it refuses with [ErrBusy] before.
//
// Built without cgo, the package still compiles: [ReadInfo] and the pure-Go
// helpers work, and everything that needs llama.cpp returns [ErrUnavailable].
package llm

import (
	"errors"
	"fmt"
	"time"
)

// BackendDirsEnv names a list of extra folders (separated like PATH) where
// dynamically loaded ggml backends such as libggml-cuda.so are looked for.
const BackendDirsEnv = "CARREL_BACKENDS"

// LogEnv set to 1 prints llama.cpp's own log to stderr, for debugging.
const LogEnv = "CARREL_LLAMA_LOG"

// Errors returned by the package; compare with errors.Is.
var (
	// ErrUnavailable means this binary was built without llama.cpp.
	ErrUnavailable = errors.New("llm: this build has no on-device model support (built without cgo)")
	// ErrClosed means the model, context or adapter was closed.
	ErrClosed = errors.New("llm: already closed")
	// ErrBusy means a model was closed while contexts still use it.
	ErrBusy = errors.New("llm: model is still in use by open contexts")
	// ErrContextFull means the prompt does not fit in the context window.
	ErrContextFull = errors.New("llm: prompt does not fit in the model's context window")

	// ErrNotFound means the model file does not exist.
	ErrNotFound = errors.New("model file not found")
	// ErrNotGGUF means the file is not a GGUF model.
	ErrNotGGUF = errors.New("not a GGUF model file")
	// ErrTruncated means the file is shorter than its header says: an
	// interrupted download or copy.
	ErrTruncated = errors.New("model file is truncated (incomplete download or copy?)")
	// ErrUnsupportedArch means llama.cpp cannot run this architecture.
	ErrUnsupportedArch = errors.New("model architecture is not supported")
	// ErrOutOfMemory means there is not enough memory for the model or its context.
	ErrOutOfMemory = errors.New("not enough memory")
	// ErrAdapter means a LoRA adapter does not fit the model or is not a LoRA.
	ErrAdapter = errors.New("LoRA adapter cannot be used")
	// ErrNotReranker means a model has no ranking head.
	ErrNotReranker = errors.New("llm: not a reranking model (its pooling is not \"rank\")")
	// ErrLoad means llama.cpp failed to load the model for another reason.
	ErrLoad = errors.New("model could not be loaded")
)

// LoadError is the error of a failed load. Err is one of the sentinel errors
// above; Detail says what llama.cpp or the file check reported.
type LoadError struct {
	Path   string
	Err    error
	Detail string
}

func (e *LoadError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Path, e.Err, e.Detail)
}

func (e *LoadError) Unwrap() error { return e.Err }

// ModelOptions controls how a model is loaded. The zero value is the
// recommended default: all layers that fit on the best GPU, mmap on.
type ModelOptions struct {
	// CPUOnly keeps the whole model on the CPU even when a GPU is present.
	CPUOnly bool
	// GPULayers is how many layers to offload to the GPU; 0 means automatic
	// (every layer that fits in the GPU's free memory).
	GPULayers int
	// NoMmap reads the weights into memory instead of mapping the file.
	NoMmap bool
	// FileLayout keeps the weights in the file's own layout. By default the
	// CPU copies the weights of some quantized types into the interleaved
	// layout of its fastest matrix kernels when the model loads (as
	// upstream llama.cpp does); those copies serve matrix products only,
	// so a model that training graphs will read must keep the file layout.
	FileLayout bool
	// Progress, if set, is called with the load progress from 0 to 1.
	Progress func(float32)
}

// FlashAttention selects whether attention uses the fused flash kernel.
type FlashAttention int

// Flash attention modes; the zero value lets llama.cpp decide per device.
const (
	FlashAuto FlashAttention = iota
	FlashOn
	FlashOff
)

// ContextOptions sizes a generation context. Zero values pick defaults.
type ContextOptions struct {
	// ContextSize is the window in tokens; 0 means the model's trained
	// length capped at 4096.
	ContextSize int
	// BatchSize is how many prompt tokens are evaluated per step; 0 means 512.
	BatchSize int
	// Threads for generation; 0 means automatic: one per physical core,
	// and at each call no more than the CPUs other programs leave free.
	Threads int
	// FlashAttention defaults to automatic.
	FlashAttention FlashAttention
	// Poll is how eagerly idle CPU threads wait for the next piece of
	// work, as ggml's polling level: 1 to 100 (spin); 0 means DefaultPoll;
	// a negative value means none (sleep at once). Spinning saves a wake-up
	// on an idle machine and wastes the time slices of a busy one.
	Poll int
}

// DefaultPoll is the polling level of CPU threads when ContextOptions.Poll
// is 0 (docs/benchmarks.md, "A busy machine", says how it was chosen).
const DefaultPoll = 50

// Sampling controls how the next token is chosen.
type Sampling struct {
	Temperature   float32 // 0 picks the most likely token (greedy)
	TopK          int     // 0 disables
	TopP          float32 // 0 or 1 disables
	MinP          float32 // 0 disables
	RepeatPenalty float32 // 0 or 1 disables
	RepeatLastN   int     // tokens the repeat penalty looks back over; 0 means 64
	// Seed makes sampling reproducible; a negative seed picks a random one.
	Seed int64
}

// DefaultSampling returns balanced settings for answering questions.
func DefaultSampling() Sampling {
	return Sampling{Temperature: 0.7, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, RepeatLastN: 64, Seed: -1}
}

// GenerateOptions controls one generation.
type GenerateOptions struct {
	// MaxTokens caps the generated tokens; 0 means until the model stops or
	// the context is full.
	MaxTokens int
	// Stop strings end generation; the stop string itself is not emitted.
	Stop []string
	// Sampling settings; nil means DefaultSampling().
	Sampling *Sampling
	// Lookup drafts tokens from the prompt (prompt-lookup decoding) when
	// sampling is greedy; see Lookup.
	Lookup Lookup
}

// Lookup chooses prompt-lookup decoding: when the text just written
// repeats a phrase of the prompt (or of the answer so far), the tokens
// that followed it there are drafted and checked in one batch, and every
// draft token the model would have chosen anyway is kept, so several
// tokens can come from one evaluation. Only greedy sampling is sped up
// this way; its output is the same token for token.
type Lookup int

// Lookup modes.
const (
	// LookupAuto uses it where it was measured to be faster: off on the
	// CPU (docs/benchmarks.md, "Time to the first word"), where evaluating a draft
	// costs about as much as the tokens it saves.
	LookupAuto Lookup = iota
	LookupOff
	LookupOn
)

// Message is one turn of a conversation.
type Message struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// StopReason says why generation ended.
type StopReason string

// Reasons generation ends.
const (
	StopEOG       StopReason = "end"       // the model ended its answer
	StopString    StopReason = "stop"      // a stop string appeared
	StopLength    StopReason = "length"    // MaxTokens reached
	StopContext   StopReason = "context"   // the context window is full
	StopCancelled StopReason = "cancelled" // the caller's context was cancelled
)

// Stats reports what one generation did and how fast.
type Stats struct {
	PromptTokens    int           // tokens in the prompt
	CachedTokens    int           // prompt tokens reused from the KV cache
	GeneratedTokens int           // tokens sampled
	DroppedMessages int           // oldest turns left out to fit the context
	PromptDuration  time.Duration // evaluating the uncached prompt
	FirstToken      time.Duration // from the call to the first generated token
	Duration        time.Duration // the whole call
	Reason          StopReason
	// Drafted and Accepted count prompt-lookup draft tokens: checked, and
	// kept because the model chose them.
	Drafted, Accepted int
	// ReadAhead is how many of the prompt's cached tokens were read ahead
	// (Context.ReadAhead) for this call; AheadWasted how many tokens read
	// ahead since the last call this one could not use.
	ReadAhead, AheadWasted int
}

// TokensPerSecond is the generation speed, excluding prompt evaluation.
func (s Stats) TokensPerSecond() float64 {
	d := s.Duration - s.FirstToken
	if s.GeneratedTokens <= 1 || d <= 0 {
		return 0
	}
	return float64(s.GeneratedTokens-1) / d.Seconds()
}

// PromptTokensPerSecond is the prompt evaluation speed.
func (s Stats) PromptTokensPerSecond() float64 {
	n := s.PromptTokens - s.CachedTokens
	if n <= 0 || s.PromptDuration <= 0 {
		return 0
	}
	return float64(n) / s.PromptDuration.Seconds()
}

// DeviceKind is the class of a compute device.
type DeviceKind string

// Device kinds as ggml reports them.
const (
	DeviceCPU   DeviceKind = "cpu"
	DeviceGPU   DeviceKind = "gpu"
	DeviceIGPU  DeviceKind = "igpu" // integrated GPU sharing system memory
	DeviceAccel DeviceKind = "accel"
)

// Device is one compute device ggml found.
type Device struct {
	Name        string     // ggml's name, e.g. "CUDA0", "Metal", "CPU"
	Description string     // e.g. the GPU's marketing name
	Backend     string     // the backend that drives it: "CUDA", "Metal", "CPU", …
	Kind        DeviceKind //
	FreeBytes   uint64
	TotalBytes  uint64
	// Features lists what the backend was built with, e.g. AVX2 on a CPU.
	Features map[string]string
}

// Placement is the decision of where a model runs, with the reason in words.
type Placement struct {
	Device    string // the device used for offloaded layers, or "CPU"
	Backend   string // "CUDA", "Metal", "Vulkan" or "CPU"
	GPULayers int    // layers offloaded; 0 means CPU only
	Layers    int    // the model's layer count
	Threads   int    // CPU threads for generation
	Reason    string
}

// BenchResult reports prompt processing and generation speed in the terms
// of llama.cpp's llama-bench: ppN and tgN tokens per second.
type BenchResult struct {
	PromptTokens int
	GenTokens    int
	Reps         int
	PromptTPS    float64 // mean over repetitions
	GenTPS       float64
	PromptStdDev float64
	GenStdDev    float64
	Threads      int
	Backend      string
}

// EmbedOptions sizes an Embedder. Zero values pick defaults.
type EmbedOptions struct {
	// BatchTokens is how many tokens one decode call takes across texts;
	// it is also the longest text (longer ones are truncated). 0 means 2048,
	// capped at the model's context length.
	BatchTokens int
	// MaxSeqs is how many texts share one decode call; 0 means 64.
	MaxSeqs int
	// Threads; 0 means the number of physical cores.
	Threads int
	// FlashAttention defaults to automatic.
	FlashAttention FlashAttention
}
