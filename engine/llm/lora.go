//go:build cgo

package llm

/*
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"context"
	"fmt"
	"sync"
	"unsafe"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// Adapter is a LoRA adapter loaded onto a model. Applying it to a Context
// (with a scale) specialises the model without changing its weights.
type Adapter struct {
	mu     sync.Mutex
	m      *Model
	c      *C.struct_llama_adapter_lora
	path   string
	closed bool
}

// LoadAdapter loads a LoRA adapter in GGUF form for this model. An adapter
// for another architecture or with shapes that do not match the model is
// refused with an error wrapping ErrAdapter.
func (m *Model) LoadAdapter(path string) (*Adapter, error) {
	info, err := ReadInfo(path)
	if err != nil {
		return nil, err
	}
	fail := func(detail string) error { return &LoadError{Path: path, Err: ErrAdapter, Detail: detail} }
	if !info.Adapter {
		return nil, fail("the file is a model, not a LoRA adapter")
	}
	if f, err := gguf.Open(path); err == nil {
		if t, _ := f.String("adapter.type"); t != "lora" {
			return nil, fail(fmt.Sprintf("adapter type is %q, not \"lora\"", t))
		}
	}
	if info.Architecture != m.info.Architecture {
		return nil, fail(fmt.Sprintf("the adapter is for %q models, this model is %q", info.Architecture, m.info.Architecture))
	}
	if err := m.acquire(); err != nil {
		return nil, err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	loadMu.Lock()
	logs.reset()
	c := C.llama_adapter_lora_init(m.c, cpath)
	lines := logs.recent()
	loadMu.Unlock()
	if c == nil {
		m.release()
		detail := "llama.cpp refused it"
		if len(lines) > 0 {
			detail = lines[len(lines)-1]
		}
		return nil, fail(detail)
	}
	return &Adapter{m: m, c: c, path: path}, nil
}

// Path is the adapter's file.
func (a *Adapter) Path() string { return a.path }

// Close frees the adapter. Remove it from contexts first.
func (a *Adapter) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	C.llama_adapter_lora_free(a.c)
	a.closed = true
	a.m.release()
	return nil
}

// ApplyAdapter makes the context use adapter a at the given scale (1 is the
// trained strength). The KV cache is cleared: cached tokens were computed
// without the adapter.
func (x *Context) ApplyAdapter(a *Adapter, scale float32) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed || a.closed {
		return ErrClosed
	}
	if a.m != x.m {
		return fmt.Errorf("%w: adapter was loaded for another model", ErrAdapter)
	}
	if rc := C.llama_set_adapter_lora(x.c, a.c, C.float(scale)); rc != 0 {
		return fmt.Errorf("%w: llama.cpp refused it (code %d)", ErrAdapter, int(rc))
	}
	x.adapters[a] = scale
	x.forgetGraph()
	return nil
}

// RemoveAdapter stops using adapter a in the context.
func (x *Context) RemoveAdapter(a *Adapter) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if _, ok := x.adapters[a]; !ok {
		return nil
	}
	C.llama_rm_adapter_lora(x.c, a.c)
	delete(x.adapters, a)
	x.forgetGraph()
	return nil
}

// forgetGraph empties the cache and makes llama.cpp build its next graph
// afresh. This llama.cpp reuses the previous decode's graph when the batch
// has the same shape, and its check compares the address of the context's
// adapter list, not its contents: after an adapter is added or removed,
// the next same-shaped batch would run without the change. A one-token
// decode (whose shape differs from any batch of prompt or perplexity, and
// whose graph is built with the new adapters) breaks the chain.
func (x *Context) forgetGraph() {
	x.clear()
	_ = x.decode(context.Background(), []C.llama_token{0}, 0, true)
	x.clear()
}
