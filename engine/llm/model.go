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
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Model is a loaded GGUF model. It is safe for concurrent use.
type Model struct {
	mu        sync.Mutex
	c         *C.struct_llama_model
	vocab     *C.struct_llama_vocab
	info      ModelInfo
	placement Placement
	template  string // the model's chat template, "" when it has none
	users     int    // open contexts, embedders and adapters
	closed    bool
}

// Load loads a GGUF model. The file is checked first, so a missing,
// truncated or non-GGUF file gives a *LoadError without touching
// llama.cpp. Cancelling ctx stops the load.
func Load(ctx context.Context, path string, opts ModelOptions) (*Model, error) {
	info, err := ReadInfo(path)
	if err != nil {
		return nil, err
	}
	if info.Adapter {
		return nil, &LoadError{Path: path, Err: ErrLoad, Detail: "this is a LoRA adapter, not a model; load it onto a model as an adapter"}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ensureInit()
	devs := Devices()
	p := place(devs, info, opts, PhysicalCores())
	if err := checkMemory(devs, info, p); err != nil {
		return nil, &LoadError{Path: path, Err: ErrOutOfMemory, Detail: err.Error()}
	}

	params := C.llama_model_default_params()
	params.n_gpu_layers = C.int32_t(p.GPULayers)
	params.use_mmap = C.bool(!opts.NoMmap)
	params.use_extra_bufts = C.bool(!opts.FileLayout)
	// A NULL-terminated device list: only the chosen GPU, or none at all so
	// that a forced CPU run leaves every GPU alone.
	devList := (*[2]C.ggml_backend_dev_t)(C.calloc(2, C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(devList))
	if p.GPULayers > 0 {
		devList[0] = devicePtr(p.Device)
	}
	params.devices = &devList[0]
	flags := (*C.carrel_flags)(C.calloc(1, C.size_t(unsafe.Sizeof(C.carrel_flags{}))))
	defer C.free(unsafe.Pointer(flags))
	params.progress_callback = C.llama_progress_callback(C.carrel_progress_cb)
	params.progress_callback_user_data = unsafe.Pointer(flags)

	stop := watch(ctx, flags, opts.Progress)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	loadMu.Lock()
	logs.reset()
	cm := C.llama_model_load_from_file(cpath, params)
	lines := logs.recent()
	loadMu.Unlock()
	stop()
	if cm == nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, classifyLoad(path, info, lines)
	}
	m := &Model{c: cm, vocab: (*C.struct_llama_vocab)(unsafe.Pointer(C.llama_model_get_vocab(cm))), info: info, placement: p}
	if t := C.llama_model_chat_template(cm, nil); t != nil {
		m.template = C.GoString(t)
	}
	if n := int(C.llama_model_n_layer(cm)); n > 0 {
		m.placement.Layers = n
	}
	return m, nil
}

// loadMu serialises loads so the log lines that explain a failure belong to
// that load.
var loadMu sync.Mutex

// watch relays cancellation into the C flags and progress out of them while
// a blocking C call runs. The returned func stops the watcher.
func watch(ctx context.Context, flags *C.carrel_flags, progress func(float32)) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		last := float32(-1)
		for {
			select {
			case <-ctx.Done():
				setAbort(flags, true)
				return
			case <-done:
				return
			case <-tick.C:
				if progress != nil {
					if p := float32(flags.progress); p != last {
						last = p
						progress(p)
					}
				}
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		if progress != nil && ctx.Err() == nil {
			progress(1)
		}
	}
}

func setAbort(flags *C.carrel_flags, on bool) {
	v := C.int(0)
	if on {
		v = 1
	}
	// The C side reads it with an atomic load; a plain aligned int store is
	// seen by it, and the decode's own barriers order the rest.
	*(*C.int)(unsafe.Pointer(&flags.abort)) = v
}

// classifyLoad turns llama.cpp's log of a failed load into a typed error.
func classifyLoad(path string, info ModelInfo, lines []string) error {
	detail := strings.Join(lines, "; ")
	low := strings.ToLower(detail)
	e := &LoadError{Path: path, Err: ErrLoad, Detail: detail}
	switch {
	case strings.Contains(low, "unknown model architecture"):
		e.Err = ErrUnsupportedArch
		e.Detail = fmt.Sprintf("architecture %q is not supported by this version of llama.cpp", info.Architecture)
	case strings.Contains(low, "alloc") || strings.Contains(low, "out of memory") || strings.Contains(low, "cannot allocate"):
		e.Err = ErrOutOfMemory
	case strings.Contains(low, "data is not within the file bounds") || strings.Contains(low, "truncated"):
		e.Err = ErrTruncated
	}
	if e.Detail == "" {
		e.Detail = "llama.cpp gave no reason"
	}
	return e
}

// Info describes the model.
func (m *Model) Info() ModelInfo { return m.info }

// Placement says where the model runs and why.
func (m *Model) Placement() Placement { return m.placement }

// ContextLength is the model's trained context window.
func (m *Model) ContextLength() int { return int(C.llama_model_n_ctx_train(m.c)) }

// Close frees the model. It fails with ErrBusy while contexts, embedders
// or adapters made from it are open; a second Close returns nil.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	if m.users > 0 {
		return ErrBusy
	}
	C.llama_model_free(m.c)
	m.c, m.closed = nil, true
	return nil
}

// acquire registers a user of the model, failing when it is closed.
func (m *Model) acquire() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.users++
	return nil
}

func (m *Model) release() {
	m.mu.Lock()
	m.users--
	m.mu.Unlock()
}

// Tokenize returns the model's tokens for text. addSpecial adds the BOS
// token when the model wants one; special tokens written in the text (such
// as "<|im_start|>") are parsed as such.
func (m *Model) Tokenize(text string, addSpecial bool) ([]int32, error) {
	if err := m.acquire(); err != nil {
		return nil, err
	}
	defer m.release()
	toks := m.tokenize(text, addSpecial)
	out := make([]int32, len(toks))
	for i, t := range toks {
		out[i] = int32(t)
	}
	return out, nil
}

func (m *Model) tokenize(text string, addSpecial bool) []C.llama_token {
	ct := C.CString(text)
	defer C.free(unsafe.Pointer(ct))
	buf := make([]C.llama_token, len(text)+8)
	n := C.llama_tokenize(m.vocab, ct, C.int32_t(len(text)), &buf[0], C.int32_t(len(buf)), C.bool(addSpecial), true)
	if n < 0 {
		buf = make([]C.llama_token, -n)
		n = C.llama_tokenize(m.vocab, ct, C.int32_t(len(text)), &buf[0], C.int32_t(len(buf)), C.bool(addSpecial), true)
	}
	if int(n) < len(buf)/2 {
		// The buffer is sized for the worst case (a token a byte); the
		// tokens of a whole document are held at once while they are
		// embedded, so they keep only their own size.
		return append([]C.llama_token(nil), buf[:max(n, 0)]...)
	}
	return buf[:max(n, 0)]
}

// piece returns the bytes of one token (without special tokens' text).
func (m *Model) piece(tok C.llama_token, buf []byte) []byte {
	n := C.llama_token_to_piece(m.vocab, tok, (*C.char)(unsafe.Pointer(&buf[0])), C.int32_t(len(buf)), 0, false)
	if n < 0 {
		buf = make([]byte, -n)
		n = C.llama_token_to_piece(m.vocab, tok, (*C.char)(unsafe.Pointer(&buf[0])), C.int32_t(len(buf)), 0, false)
	}
	return buf[:max(n, 0)]
}

// ChatFormat says how conversations are formatted for this model.
func (m *Model) ChatFormat() string {
	if m.template == "" {
		return "plain transcript (the model has no chat template)"
	}
	if _, ok := m.applyTemplate([]Message{{"user", "x"}}, true); !ok {
		return "plain transcript (the model's chat template is not one llama.cpp knows)"
	}
	if reasons(m.template) {
		return "the model's own chat template, with its reasoning turned off"
	}
	return "the model's own chat template"
}

// reasons reports a template of a model that writes its reasoning in a
// <think> block before the answer (Qwen3, SmolLM3).
func reasons(template string) bool { return strings.Contains(template, "<think>") }

// noThinking is the empty, closed reasoning block such a model's own
// template writes after the assistant's turn begins when reasoning is
// off: the model then answers at once, without spending the answer's
// tokens (and the person's wait) on reasoning nobody reads.
const noThinking = "<think>\n\n</think>\n\n"

// ApplyTemplate formats a conversation with the model's own chat template.
// A model without a template, or with one llama.cpp does not know, gets a
// plain "User:/Assistant:" transcript (see ChatFormat).
func (m *Model) ApplyTemplate(msgs []Message, addAssistant bool) string {
	if s, ok := m.applyTemplate(msgs, addAssistant); ok {
		return s
	}
	return plainTranscript(msgs, addAssistant)
}

func (m *Model) applyTemplate(msgs []Message, addAssistant bool) (string, bool) {
	if m.template == "" || len(msgs) == 0 {
		return "", false
	}
	tmpl := C.CString(m.template)
	defer C.free(unsafe.Pointer(tmpl))
	cmsgs := make([]C.struct_llama_chat_message, len(msgs))
	size := 0
	for i, msg := range msgs {
		cmsgs[i].role = C.CString(msg.Role)
		cmsgs[i].content = C.CString(msg.Content)
		size += len(msg.Role) + len(msg.Content)
	}
	defer func() {
		for _, c := range cmsgs {
			C.free(unsafe.Pointer(c.role))
			C.free(unsafe.Pointer(c.content))
		}
	}()
	// The array is Go memory holding only C pointers, which cgo allows.
	buf := make([]byte, 2*size+256)
	n := C.llama_chat_apply_template(tmpl, &cmsgs[0], C.size_t(len(cmsgs)), C.bool(addAssistant), (*C.char)(unsafe.Pointer(&buf[0])), C.int32_t(len(buf)))
	if n < 0 {
		return "", false
	}
	if int(n) > len(buf) {
		buf = make([]byte, n)
		n = C.llama_chat_apply_template(tmpl, &cmsgs[0], C.size_t(len(cmsgs)), C.bool(addAssistant), (*C.char)(unsafe.Pointer(&buf[0])), C.int32_t(len(buf)))
	}
	out := string(buf[:n])
	if addAssistant && reasons(m.template) {
		out += noThinking
	}
	return out, true
}

// stopStrings are added to the caller's when the plain transcript is used.
func (m *Model) stopStrings() []string {
	if _, ok := m.applyTemplate([]Message{{"user", "x"}}, true); ok {
		return nil
	}
	return plainStop
}
