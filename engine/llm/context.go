//go:build cgo

package llm

/*
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Context is a generation session on a model: a context window with its KV
// cache. Successive prompts that share a prefix (a system prompt, the
// conversation so far) reuse the cached part instead of evaluating it again.
// Calls on one Context run one at a time.
type Context struct {
	mu       sync.Mutex
	m        *Model
	c        *C.struct_llama_context
	batch    C.struct_llama_batch
	nBatch   int
	nCtx     int
	threads  int
	flags    *C.carrel_flags
	cached   []C.llama_token // the tokens held in the KV cache, in order
	adapters map[*Adapter]float32
	tp       *C.struct_ggml_threadpool // the CPU threads, freed after the context
	// auto: the thread count was left to Carrel; each call then uses as
	// many as the CPUs other programs leave free (active), at most threads.
	auto   bool
	active int
	closed bool
	// The read-ahead region: cached[aheadFrom:] was read by ReadAhead and
	// no answer has used it yet (when aheadOn). aheadRead counts the
	// tokens read ahead since the last answer, used or not.
	aheadOn   bool
	aheadFrom int
	aheadRead int
}

// fitThreads sets the threads of the next call to the CPUs other programs
// leave free, when the count is automatic: on a busy machine a thread that
// is not scheduled holds every other at each step, so fewer threads run
// faster (measured: docs/benchmarks.md, "A busy machine"). Call with x.mu held.
func (x *Context) fitThreads() {
	if !x.auto || x.threads <= 1 {
		return
	}
	n := x.threads
	if free, ok := freeCPUs(50 * time.Millisecond); ok {
		n = min(x.threads, max(1, int(free+0.5)))
	}
	if n != x.active {
		C.llama_set_n_threads(x.c, C.int32_t(n), C.int32_t(n))
		x.active = n
	}
}

// ActiveThreads is the number of threads the last call used.
func (x *Context) ActiveThreads() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.active
}

// NewContext creates a generation context on the model.
func (m *Model) NewContext(opts ContextOptions) (*Context, error) {
	if err := m.acquire(); err != nil {
		return nil, err
	}
	p := C.llama_context_default_params()
	nCtx := opts.ContextSize
	if nCtx <= 0 {
		nCtx = min(m.ContextLength(), 4096)
		if nCtx <= 0 {
			nCtx = 4096
		}
	}
	nBatch := opts.BatchSize
	if nBatch <= 0 {
		nBatch = 512
	}
	nBatch = min(nBatch, nCtx)
	threads, auto := opts.Threads, opts.Threads <= 0
	if auto {
		threads = PhysicalCores()
	}
	// More threads than logical CPUs only make them wait for each other
	// (and a mistyped 100000 would start that many).
	threads = min(threads, runtime.NumCPU())
	if err := m.checkKV(nCtx); err != nil {
		m.release()
		return nil, err
	}
	p.n_ctx = C.uint32_t(nCtx)
	p.n_batch = C.uint32_t(nBatch)
	p.n_ubatch = C.uint32_t(nBatch)
	p.n_seq_max = 1
	p.n_threads = C.int32_t(threads)
	p.n_threads_batch = C.int32_t(threads)
	p.flash_attn_type = flashType(opts.FlashAttention)
	p.no_perf = true
	c, err := m.newLlamaContext(p)
	if err != nil {
		m.release()
		return nil, err
	}
	x := &Context{m: m, c: c, nBatch: nBatch, nCtx: int(C.llama_n_ctx(c)), threads: threads, auto: auto, active: threads, adapters: map[*Adapter]float32{}}
	// One threadpool for the context's life, as llama-bench attaches one
	// (without it ggml starts and joins threads for every decode), with
	// the chosen polling level.
	poll := opts.Poll
	switch {
	case poll == 0:
		poll = DefaultPoll
	case poll < 0:
		poll = 0
	}
	x.tp = C.carrel_threadpool(c, C.int(threads), C.int(min(poll, 100)))
	x.batch = C.llama_batch_init(C.int32_t(nBatch), 0, 1)
	x.flags = (*C.carrel_flags)(C.calloc(1, C.size_t(unsafe.Sizeof(C.carrel_flags{}))))
	C.llama_set_abort_callback(c, C.ggml_abort_callback(C.carrel_abort_cb), unsafe.Pointer(x.flags))
	return x, nil
}

func flashType(f FlashAttention) C.enum_llama_flash_attn_type {
	switch f {
	case FlashOn:
		return C.LLAMA_FLASH_ATTN_TYPE_ENABLED
	case FlashOff:
		return C.LLAMA_FLASH_ATTN_TYPE_DISABLED
	}
	return C.LLAMA_FLASH_ATTN_TYPE_AUTO
}

// checkKV refuses a context whose KV cache (F16 keys and values for every
// layer) cannot fit in the memory that would hold it, before llama.cpp
// tries and the system thrashes.
func (m *Model) checkKV(nCtx int) error {
	heads := max(int(C.llama_model_n_head(m.c)), 1)
	kvDim := int(C.llama_model_n_embd(m.c)) / heads * int(C.llama_model_n_head_kv(m.c))
	need := uint64(nCtx) * uint64(C.llama_model_n_layer(m.c)) * 2 * uint64(kvDim) * 2
	var avail uint64
	for _, d := range Devices() {
		if d.Kind == DeviceCPU || (m.placement.GPULayers > 0 && d.Name == m.placement.Device) {
			avail = max(avail, d.FreeBytes)
		}
	}
	if avail > 0 && need > avail {
		return &LoadError{Path: m.info.Path, Err: ErrOutOfMemory, Detail: fmt.Sprintf(
			"a %d-token context needs %s for its cache and %s is free; choose a smaller context size", nCtx, gib(need), gib(avail))}
	}
	return nil
}

// newLlamaContext creates a llama_context, explaining a failure.
func (m *Model) newLlamaContext(p C.struct_llama_context_params) (*C.struct_llama_context, error) {
	loadMu.Lock()
	logs.reset()
	c := C.llama_init_from_model(m.c, p)
	lines := logs.recent()
	loadMu.Unlock()
	if c == nil {
		e := classifyLoad(m.info.Path, m.info, lines).(*LoadError)
		if e.Err == ErrLoad {
			e.Err = ErrOutOfMemory // the usual reason a context cannot be made
		}
		e.Detail = fmt.Sprintf("could not create a %d-token context: %s", p.n_ctx, e.Detail)
		return nil, e
	}
	return c, nil
}

// Size is the context window in tokens.
func (x *Context) Size() int { return x.nCtx }

// Threads is the number of CPU threads the context uses.
func (x *Context) Threads() int { return x.threads }

// Model returns the model the context runs on.
func (x *Context) Model() *Model { return x.m }

// Close frees the context. A second Close returns nil.
func (x *Context) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	C.llama_batch_free(x.batch)
	C.llama_free(x.c)
	C.carrel_threadpool_free(x.tp)
	C.free(unsafe.Pointer(x.flags))
	x.c, x.closed = nil, true
	x.m.release()
	return nil
}

// Reset empties the KV cache.
func (x *Context) Reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.closed {
		x.clear()
	}
}

func (x *Context) clear() {
	C.llama_memory_clear(C.llama_get_memory(x.c), true)
	x.cached = x.cached[:0]
	x.aheadOn = false
}

// Chat formats msgs with the model's chat template and generates the
// assistant's reply. When the conversation is too long for the context,
// the oldest turns (never the system prompt or the last message) are left
// out and Stats.DroppedMessages says how many.
func (x *Context) Chat(ctx context.Context, msgs []Message, opts GenerateOptions, emit func(string) error) (Stats, error) {
	reserve := opts.MaxTokens
	if reserve <= 0 {
		reserve = max(x.nCtx/4, 64)
	}
	reserve = min(reserve, x.nCtx/2)
	dropped := 0
	for {
		prompt := x.m.ApplyTemplate(msgs, true)
		toks, err := x.m.Tokenize(prompt, true)
		if err != nil {
			return Stats{}, err
		}
		if len(toks)+reserve <= x.nCtx {
			opts.Stop = append(append([]string(nil), opts.Stop...), x.m.stopStrings()...)
			st, err := x.Generate(ctx, prompt, opts, emit)
			st.DroppedMessages = dropped
			return st, err
		}
		var n int
		var ok bool
		if msgs, n, ok = dropOldest(msgs); !ok {
			return Stats{DroppedMessages: dropped}, fmt.Errorf("%w: the system prompt and question take %d tokens, the context holds %d", ErrContextFull, len(toks), x.nCtx)
		}
		dropped += n
	}
}

// Prefill evaluates prompt into the KV cache without generating, so that
// a later prompt starting with it (a system prompt, the conversation so
// far) only evaluates what follows. It returns how many tokens were
// already cached.
func (x *Context) Prefill(ctx context.Context, prompt string) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return 0, ErrClosed
	}
	toks := x.m.tokenize(prompt, true)
	if len(toks) == 0 {
		return 0, nil
	}
	if len(toks) >= x.nCtx {
		return 0, fmt.Errorf("%w: %d prompt tokens, context of %d", ErrContextFull, len(toks), x.nCtx)
	}
	x.settleAhead(x.matching(toks))
	return x.evaluate(ctx, toks)
}

// ReadAhead reads up to n more tokens of prompt into the KV cache, ahead
// of the call that will need them: while a person types a question, the
// instructions and the likely sources. It reuses the cached prefix like
// Generate, so a later prompt (or a later ReadAhead) that starts the same
// way reads only what follows. It returns how many tokens it read and
// whether the whole prompt is now cached. The next Generate reports, in
// Stats.ReadAhead and Stats.AheadWasted, how many tokens read ahead it
// used and how many were read for nothing.
//
// Reading a little at a time lets the caller stop between calls (the
// question changed, or was sent) at the cost of one call's work, and
// frees the context for an answer within one call.
func (x *Context) ReadAhead(ctx context.Context, prompt string, n int) (read int, done bool, err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return 0, false, ErrClosed
	}
	toks := x.m.tokenize(prompt, true)
	if len(toks) >= x.nCtx {
		return 0, false, fmt.Errorf("%w: %d prompt tokens, context of %d", ErrContextFull, len(toks), x.nCtx)
	}
	have := x.matching(toks)
	if have == len(toks) {
		return 0, true, nil
	}
	if have < len(x.cached) {
		if !C.llama_memory_seq_rm(C.llama_get_memory(x.c), 0, C.llama_pos(have), -1) {
			// A recurrent model cannot drop a suffix: it would have to
			// start over, losing what the answer could reuse.
			return 0, true, nil
		}
		x.cached = x.cached[:have]
	}
	if !x.aheadOn || x.aheadFrom > have {
		x.aheadOn, x.aheadFrom = true, have
	}
	x.fitThreads()
	end := min(have+max(n, 1), len(toks))
	for i := have; i < end; i += x.nBatch {
		j := min(i+x.nBatch, end)
		if err := x.decode(ctx, toks[i:j], i, false); err != nil {
			return read, false, err
		}
		read += j - i
		x.aheadRead += j - i
	}
	return read, end == len(toks), nil
}

// matching is how many of toks, from the first, the KV cache holds.
func (x *Context) matching(toks []C.llama_token) int {
	n := 0
	for n < len(toks) && n < len(x.cached) && toks[n] == x.cached[n] {
		n++
	}
	return n
}

// settleAhead closes the read-ahead region before a call that will use
// the first n cached tokens: it returns how many tokens read ahead that
// call uses and how many were read for nothing, and starts counting anew.
func (x *Context) settleAhead(n int) (used, wasted int) {
	if x.aheadOn {
		used = min(max(n-x.aheadFrom, 0), len(x.cached)-x.aheadFrom)
	}
	wasted = x.aheadRead - used
	x.aheadOn, x.aheadRead = false, 0
	return used, wasted
}

// Generate evaluates prompt (reusing the cached prefix) and streams the
// continuation to emit as it is produced. emit never receives part of a
// UTF-8 character or any part of a stop string. Cancelling ctx stops within
// one token and returns ctx.Err() with the stats so far; an error from emit
// stops generation and is returned.
func (x *Context) Generate(ctx context.Context, prompt string, opts GenerateOptions, emit func(string) error) (Stats, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	start := time.Now()
	var st Stats
	if x.closed {
		return st, ErrClosed
	}
	x.fitThreads()
	toks := x.m.tokenize(prompt, true)
	st.PromptTokens = len(toks)
	if len(toks) == 0 {
		return st, errors.New("llm: empty prompt")
	}
	if len(toks) >= x.nCtx {
		return st, fmt.Errorf("%w: %d prompt tokens, context of %d", ErrContextFull, len(toks), x.nCtx)
	}
	st.ReadAhead, st.AheadWasted = x.settleAhead(x.matching(toks))
	cached, err := x.evaluate(ctx, toks)
	st.CachedTokens = cached
	st.PromptDuration = time.Since(start)
	if err != nil {
		st.Duration = time.Since(start)
		if ctx.Err() != nil {
			st.Reason = StopCancelled
		}
		return st, err
	}

	smpl := newSampler(opts.Sampling)
	defer C.llama_sampler_free(smpl)
	s := &streamer{stop: opts.Stop}
	buf := make([]byte, 256)
	// With lookup, drafts are tokens decoded after the last sampled one
	// but not yet confirmed, and idx the batch row of the next logits.
	look := x.lookupOn(opts)
	var drafts []C.llama_token
	idx := C.int32_t(-1)
	// width is how many tokens to draft next: it doubles while whole
	// drafts are taken and halves while none is, so text that is not being
	// copied costs little.
	width := 4
	finish := func(r StopReason, err error) (Stats, error) {
		x.dropDrafts(len(drafts))
		if err == nil || r == StopCancelled {
			if rest := s.flush(); rest != "" && r != StopCancelled {
				if e := emit(rest); e != nil && err == nil {
					err = e
				}
			}
		}
		st.Reason = r
		st.Duration = time.Since(start)
		return st, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return finish(StopCancelled, err)
		}
		if opts.MaxTokens > 0 && st.GeneratedTokens >= opts.MaxTokens {
			return finish(StopLength, nil)
		}
		tok := C.llama_sampler_sample(smpl, x.c, idx)
		st.GeneratedTokens++
		if st.GeneratedTokens == 1 {
			st.FirstToken = time.Since(start)
		}
		if C.llama_vocab_is_eog(x.m.vocab, tok) {
			return finish(StopEOG, nil)
		}
		if out := s.push(x.m.piece(tok, buf)); out != "" {
			if err := emit(out); err != nil {
				return finish(StopCancelled, err)
			}
		}
		if s.stopped {
			return finish(StopString, nil)
		}
		if len(drafts) > 0 && tok == drafts[0] {
			// The model chose the drafted token: it is in the cache already
			// and its logits are the next row.
			drafts, idx = drafts[1:], idx+1
			st.Accepted++
			continue
		}
		switch {
		case idx < 0: // nothing was drafted
		case len(drafts) == 0:
			width = min(2*width, maxDraft)
		case int(idx) == 0:
			width = max(width/2, 1)
		}
		x.dropDrafts(len(drafts))
		drafts, idx = nil, -1
		if len(x.cached)+1 >= x.nCtx {
			return finish(StopContext, nil)
		}
		step := []C.llama_token{tok}
		if look {
			left := x.nCtx - len(x.cached) - 2
			if opts.MaxTokens > 0 {
				left = min(left, opts.MaxTokens-st.GeneratedTokens-1)
			}
			if drafts = x.draft(tok, min(left, width, x.nBatch-1)); len(drafts) > 0 {
				step = append(step, drafts...)
				st.Drafted += len(drafts)
				idx = 0
			}
		}
		if err := x.decodeRows(ctx, step, len(x.cached), len(drafts) > 0, true); err != nil {
			drafts = nil
			if ctx.Err() != nil {
				return finish(StopCancelled, ctx.Err())
			}
			if errors.Is(err, ErrContextFull) {
				return finish(StopContext, nil)
			}
			return finish(StopContext, err)
		}
	}
}

// maxDraft is the most tokens drafted at once: an answer copies a name,
// a figure or a phrase, sometimes a sentence.
const maxDraft = 16

// lookupOn reports whether a generation with opts drafts from its prompt.
func (x *Context) lookupOn(opts GenerateOptions) bool {
	smp := DefaultSampling()
	if opts.Sampling != nil {
		smp = *opts.Sampling
	}
	if smp.Temperature > 0 {
		return false // drafts are checked against the most likely token only
	}
	return opts.Lookup == LookupOn
}

// draft proposes up to k tokens to follow tok: where the last three (or
// two) tokens written, ending with tok, appeared before in the prompt or
// the answer, the tokens that followed them there, the latest such place
// first.
func (x *Context) draft(tok C.llama_token, k int) []C.llama_token {
	// The history is x.cached followed by tok; it is searched in place
	// (this runs for every token), only the tail is copied.
	c := x.cached
	for n := 3; n >= 2; n-- {
		if k <= 0 || len(c) < n {
			continue
		}
		tail := append(append(make([]C.llama_token, 0, n), c[len(c)-n+1:]...), tok)
	search:
		for i := len(c) - n; i >= 0; i-- {
			for j := range n {
				if c[i+j] != tail[j] {
					continue search
				}
			}
			// What followed there, reaching at most tok itself; a copy, so
			// that the cache record is never aliased.
			out := append([]C.llama_token(nil), c[i+n:min(i+n+k, len(c))]...)
			if len(out) < k && i+n+len(out) == len(c) {
				out = append(out, tok)
			}
			return out
		}
	}
	return nil
}

// dropDrafts removes the last n tokens, drafted and not confirmed, from
// the KV cache.
func (x *Context) dropDrafts(n int) {
	if n <= 0 {
		return
	}
	keep := len(x.cached) - n
	C.llama_memory_seq_rm(C.llama_get_memory(x.c), 0, C.llama_pos(keep), -1)
	x.cached = x.cached[:keep]
}

// evaluate brings the KV cache to hold exactly toks, decoding only what
// differs from what it already holds, and leaves the logits of the last
// token ready. It returns how many tokens were reused.
func (x *Context) evaluate(ctx context.Context, toks []C.llama_token) (int, error) {
	n := x.matching(toks)
	if n == len(toks) {
		n-- // the last token must be decoded again to get its logits
	}
	mem := C.llama_get_memory(x.c)
	if n < len(x.cached) {
		if !C.llama_memory_seq_rm(mem, 0, C.llama_pos(n), -1) {
			// Recurrent models cannot drop a suffix: start over.
			x.clear()
			n = 0
		}
		x.cached = x.cached[:n]
	}
	for i := n; i < len(toks); i += x.nBatch {
		end := min(i+x.nBatch, len(toks))
		if err := x.decode(ctx, toks[i:end], i, end == len(toks)); err != nil {
			return n, err
		}
	}
	return n, nil
}

// decode evaluates toks at positions from pos on, requesting logits for the
// last token when last (or always for single tokens), and appends them to
// the cache record on success.
func (x *Context) decode(ctx context.Context, toks []C.llama_token, pos int, last bool) error {
	return x.decodeRows(ctx, toks, pos, false, last)
}

// decodeRows is decode with logits for every token when all is set (to
// check drafted tokens).
func (x *Context) decodeRows(ctx context.Context, toks []C.llama_token, pos int, all, last bool) error {
	last = last || len(toks) == 1
	for i, t := range toks {
		C.carrel_batch_set(&x.batch, C.int(i), t, C.llama_pos(pos+i), 0, C.bool(all || (last && i == len(toks)-1)))
	}
	x.batch.n_tokens = C.int32_t(len(toks))
	var stop func() bool
	if len(toks) > 1 { // only long evaluations need to be interruptible mid-call
		stop = context.AfterFunc(ctx, func() { setAbort(x.flags, true) })
	}
	rc := C.llama_decode(x.c, x.batch)
	if stop != nil {
		stop()
		setAbort(x.flags, false)
	}
	switch {
	case rc == 0:
		x.cached = append(x.cached, toks...)
		return nil
	case rc == 2: // aborted: drop whatever part of the batch was stored
		C.llama_memory_seq_rm(C.llama_get_memory(x.c), 0, C.llama_pos(len(x.cached)), -1)
		if err := ctx.Err(); err != nil {
			return err
		}
		return errors.New("llm: evaluation aborted")
	case rc == 1:
		return ErrContextFull
	}
	C.llama_memory_seq_rm(C.llama_get_memory(x.c), 0, C.llama_pos(len(x.cached)), -1)
	return fmt.Errorf("llm: llama_decode failed with code %d", int(rc))
}

// newSampler builds llama.cpp's sampler chain: penalties, top-k, top-p,
// min-p, temperature, then a seeded draw (or greedy at temperature 0).
func newSampler(s *Sampling) *C.struct_llama_sampler {
	if s == nil {
		d := DefaultSampling()
		s = &d
	}
	chain := C.llama_sampler_chain_init(C.llama_sampler_chain_default_params())
	add := func(x *C.struct_llama_sampler) { C.llama_sampler_chain_add(chain, x) }
	if s.RepeatPenalty > 0 && s.RepeatPenalty != 1 {
		n := s.RepeatLastN
		if n <= 0 {
			n = 64
		}
		add(C.llama_sampler_init_penalties(C.int32_t(n), C.float(s.RepeatPenalty), 0, 0))
	}
	if s.Temperature <= 0 {
		add(C.llama_sampler_init_greedy())
		return chain
	}
	if s.TopK > 0 {
		add(C.llama_sampler_init_top_k(C.int32_t(s.TopK)))
	}
	if s.TopP > 0 && s.TopP < 1 {
		add(C.llama_sampler_init_top_p(C.float(s.TopP), 1))
	}
	if s.MinP > 0 {
		add(C.llama_sampler_init_min_p(C.float(s.MinP), 1))
	}
	add(C.llama_sampler_init_temp(C.float(s.Temperature)))
	seed := uint32(s.Seed)
	if s.Seed < 0 {
		seed = rand.Uint32()
	}
	add(C.llama_sampler_init_dist(C.uint32_t(seed)))
	return chain
}

// Bench measures prompt processing (pp tokens in one batch) and generation
// (tg tokens one at a time) like llama.cpp's llama-bench: random tokens, an
// empty cache for each repetition, one warm-up run first.
func (x *Context) Bench(ctx context.Context, pp, tg, reps int) (BenchResult, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	randToks := func(n int) []C.llama_token {
		nVocab := int(C.llama_vocab_n_tokens(x.m.vocab))
		t := make([]C.llama_token, n)
		for i := range t {
			t[i] = C.llama_token(rng.IntN(nVocab))
		}
		return t
	}
	return x.bench(ctx, pp, tg, reps, func(uint) (ppTime, tgTime time.Duration, err error) {
		if pp > 0 {
			x.clear()
			t0 := time.Now()
			toks := randToks(pp)
			for i := 0; i < pp; i += x.nBatch {
				end := min(i+x.nBatch, pp)
				if err := x.decode(ctx, toks[i:end], i, end == pp); err != nil {
					return 0, 0, err
				}
			}
			C.llama_synchronize(x.c)
			ppTime = time.Since(t0)
		}
		if tg > 0 {
			x.clear()
			t0 := time.Now()
			tok := randToks(1)
			for i := 0; i < tg; i++ {
				if err := ctx.Err(); err != nil {
					return 0, 0, err
				}
				if err := x.decode(ctx, tok, i, true); err != nil {
					return 0, 0, err
				}
			}
			C.llama_synchronize(x.c)
			tgTime = time.Since(t0)
		}
		return ppTime, tgTime, nil
	})
}

// BenchNative measures the same as Bench with the whole loop in C, as
// llama.cpp's llama-bench runs it: the reference that shows what the Go
// binding costs.
func (x *Context) BenchNative(ctx context.Context, pp, tg, reps int) (BenchResult, error) {
	return x.bench(ctx, pp, tg, reps, func(seed uint) (time.Duration, time.Duration, error) {
		var ppNS, tgNS C.double
		if rc := C.carrel_bench_native(x.c, C.int(pp), C.int(tg), C.int(x.nBatch), C.uint(seed), &ppNS, &tgNS); rc != 0 {
			return 0, 0, fmt.Errorf("llm: native benchmark failed (code %d)", int(rc))
		}
		return time.Duration(ppNS), time.Duration(tgNS), nil
	})
}

// bench runs one warm-up and reps timed repetitions of rep and averages the
// speeds.
func (x *Context) bench(ctx context.Context, pp, tg, reps int, rep func(seed uint) (ppTime, tgTime time.Duration, err error)) (BenchResult, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return BenchResult{}, ErrClosed
	}
	x.fitThreads()
	r := BenchResult{PromptTokens: pp, GenTokens: tg, Reps: reps, Threads: x.active, Backend: x.m.placement.Backend}
	if pp+tg >= x.nCtx {
		return r, fmt.Errorf("%w: pp%d + tg%d needs a context over %d tokens", ErrContextFull, pp, tg, x.nCtx)
	}
	defer x.clear()
	var pps, tgs []float64
	for i := -1; i < reps; i++ { // i == -1 is the warm-up
		if err := ctx.Err(); err != nil {
			return r, err
		}
		ppTime, tgTime, err := rep(uint(i + 2))
		if err != nil {
			return r, err
		}
		if i >= 0 && pp > 0 {
			pps = append(pps, float64(pp)/ppTime.Seconds())
		}
		if i >= 0 && tg > 0 {
			tgs = append(tgs, float64(tg)/tgTime.Seconds())
		}
	}
	r.PromptTPS, r.PromptStdDev = meanStd(pps)
	r.GenTPS, r.GenStdDev = meanStd(tgs)
	return r, nil
}
