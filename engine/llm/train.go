//go:build cgo

package llm

/*
#cgo CXXFLAGS: -std=c++17
#include <stdlib.h>
#include "bridge.h"
#include "train.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// Trainer trains the tensors of a LoRA adapter on a frozen model with
// llama.cpp's optimizer (AdamW). Each [Trainer.Step] reads one window of
// text forward and backward and updates the adapter; the model's own
// weights, quantized or not, never change. A Trainer owns a context of its
// own and runs one call at a time.
type Trainer struct {
	mu      sync.Mutex
	m       *Model
	a       *Adapter
	c       *C.struct_llama_context
	tp      *C.struct_ggml_threadpool
	ds      C.ggml_opt_dataset_t
	sched   *C.carrel_sched
	window  int
	threads int
	closed  bool
}

// NewTrainer makes a trainer for adapter a, which must have been loaded
// onto m and hold F32 tensors (an adapter written by [WriteLoRA]; see
// [TrainableTargets] for what this llama.cpp can train).
func (m *Model) NewTrainer(a *Adapter, o TrainOptions) (*Trainer, error) {
	if a.m != m {
		return nil, fmt.Errorf("%w: adapter was loaded for another model", ErrAdapter)
	}
	if o.Window < 8 || o.Steps < 1 || o.LearningRate <= 0 {
		return nil, errors.New("llm: training needs a window of at least 8 tokens, at least one step and a learning rate above 0")
	}
	if err := m.acquire(); err != nil {
		return nil, err
	}
	threads := o.Threads
	if threads <= 0 {
		threads = PhysicalCores()
	}
	threads = min(threads, runtime.NumCPU())
	p := C.llama_context_default_params()
	// llama.cpp rounds a context up to a multiple of 256; the window is
	// the whole context, read as one batch, so one step is one update.
	window := (o.Window + 255) / 256 * 256
	p.n_ctx = C.uint32_t(window)
	p.n_batch = C.uint32_t(window)
	p.n_ubatch = C.uint32_t(window)
	p.n_seq_max = 1
	p.n_threads = C.int32_t(threads)
	p.n_threads_batch = C.int32_t(threads)
	// The backward pass has no flash-attention kernel, and it reads keys
	// and values as F32.
	p.flash_attn_type = C.LLAMA_FLASH_ATTN_TYPE_DISABLED
	p.type_k = C.GGML_TYPE_F32
	p.type_v = C.GGML_TYPE_F32
	p.no_perf = true
	c, err := m.newLlamaContext(p)
	if err != nil {
		m.release()
		return nil, err
	}
	if n := int(C.llama_n_ctx(c)); n != window {
		C.llama_free(c)
		m.release()
		return nil, fmt.Errorf("llm: llama.cpp made a %d-token context, not %d", n, window)
	}
	if rc := C.llama_set_adapter_lora(c, a.c, 1); rc != 0 {
		C.llama_free(c)
		m.release()
		return nil, fmt.Errorf("%w: llama.cpp refused it (code %d)", ErrAdapter, int(rc))
	}
	t := &Trainer{m: m, a: a, c: c, window: window, threads: threads}
	t.tp = C.carrel_threadpool(c, C.int(threads), C.int(DefaultPoll))
	t.sched = (*C.carrel_sched)(C.calloc(1, C.size_t(unsafe.Sizeof(C.carrel_sched{}))))
	*t.sched = C.carrel_sched{lr: C.float(o.LearningRate), lr_min: C.float(o.MinLearningRate), wd: C.float(o.WeightDecay),
		step: C.int64_t(o.FirstStep), warmup: C.int64_t(o.Warmup), total: C.int64_t(o.Steps), warm_from: C.int64_t(o.FirstStep)}
	if n := C.carrel_train_init(c, m.c, a.c, t.sched); n <= 0 {
		t.free()
		switch n {
		case -1:
			return nil, fmt.Errorf("%w: its tensors must be F32 to be trained", ErrAdapter)
		case -2:
			return nil, errors.New("llm: the training context could not decode")
		}
		return nil, fmt.Errorf("%w: it has no tensors", ErrAdapter)
	}
	t.ds = C.ggml_opt_dataset_init(C.GGML_TYPE_I32, C.GGML_TYPE_I32, C.int64_t(window), C.int64_t(window), 1, 1)
	return t, nil
}

// Window is the number of tokens a step reads; a step takes Window+1.
func (t *Trainer) Window() int { return t.window }

// Threads is the number of CPU threads the trainer uses.
func (t *Trainer) Threads() int { return t.threads }

// Step trains on one window: tokens holds Window+1 token ids (each
// token's label is the one after it).
func (t *Trainer) Step(ctx context.Context, tokens []int32) (StepResult, error) {
	loss, err := t.run(ctx, tokens, true)
	if err != nil {
		return StepResult{}, err
	}
	return StepResult{Loss: loss, LearningRate: float32(t.sched.last_lr)}, nil
}

// Loss is the mean cross-entropy of the model with the adapter on one
// window (Window+1 tokens), without training.
func (t *Trainer) Loss(ctx context.Context, tokens []int32) (float64, error) {
	return t.run(ctx, tokens, false)
}

func (t *Trainer) run(ctx context.Context, tokens []int32, train bool) (float64, error) {
	if len(tokens) != t.window+1 {
		return 0, fmt.Errorf("llm: a training window is %d tokens, got %d", t.window+1, len(tokens))
	}
	n := C.int32_t(C.llama_vocab_n_tokens(t.m.vocab))
	for _, tok := range tokens {
		if tok < 0 || C.int32_t(tok) >= n {
			return 0, fmt.Errorf("llm: token %d is outside the vocabulary", tok)
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return 0, ErrClosed
	}
	loss := float64(C.carrel_train_window(t.c, t.ds, (*C.int32_t)(unsafe.Pointer(&tokens[0])), C.int(t.window), C.bool(train)))
	runtime.KeepAlive(tokens)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, errors.New("llm: training diverged (the loss is not a number); try a lower learning rate")
	}
	return loss, nil
}

// Tensors copies the adapter's current tensors out, in name order.
func (t *Trainer) Tensors() ([]AdapterTensor, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	return t.a.tensors()
}

// Tensors copies the adapter's tensors out, in name order; they must be
// F32.
func (a *Adapter) Tensors() ([]AdapterTensor, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, ErrClosed
	}
	return a.tensors()
}

func (a *Adapter) tensors() ([]AdapterTensor, error) {
	n := int(C.carrel_lora_count(a.c))
	out := make([]AdapterTensor, 0, n)
	name := (*C.char)(C.malloc(256))
	defer C.free(unsafe.Pointer(name))
	for i := 0; i < n; i++ {
		var ne0, ne1 C.int64_t
		var f32 C.int
		if C.carrel_lora_info(a.c, C.int(i), name, 256, &ne0, &ne1, &f32) != 0 || f32 == 0 {
			return nil, fmt.Errorf("%w: tensor %d is not F32", ErrAdapter, i)
		}
		at := AdapterTensor{Name: C.GoString(name), Dims: [2]int64{int64(ne0), int64(ne1)}, Data: make([]float32, int64(ne0)*int64(ne1))}
		if len(at.Data) > 0 && C.carrel_lora_read(a.c, C.int(i), (*C.float)(unsafe.Pointer(&at.Data[0]))) != 0 {
			return nil, fmt.Errorf("%w: tensor %s could not be read", ErrAdapter, at.Name)
		}
		out = append(out, at)
	}
	return out, nil
}

// Close frees the trainer's context. The adapter stays loaded.
func (t *Trainer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.free()
	t.closed = true
	return nil
}

func (t *Trainer) free() {
	if t.ds != nil {
		C.ggml_opt_dataset_free(t.ds)
	}
	C.llama_free(t.c)
	C.carrel_threadpool_free(t.tp)
	C.free(unsafe.Pointer(t.sched))
	C.carrel_train_release(t.a.c)
	t.m.release()
}
