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
	"math"
	"sync"
	"time"
	"unsafe"
)

// Embedder turns texts into L2-normalised vectors. Many texts are packed
// into each decode call for throughput. Calls run one at a time.
type Embedder struct {
	mu      sync.Mutex
	m       *Model
	c       *C.struct_llama_context
	batch   C.struct_llama_batch
	flags   *C.carrel_flags
	nTokens int
	maxSeqs int
	dims    int
	pooled  bool // llama.cpp pools (model's own pooling or mean)
	rank    bool // a reranker: pooling gives nCls scores, not a vector
	threads int  // for batches; a short text runs on one (see run)
	nCls    int
	encoder bool // encoder-only model: llama_encode, not llama_decode
	closed  bool
}

// NewEmbedder creates an embedding context on the model. Models that define
// their own pooling (BERT-style embedding models) use it; others are
// mean-pooled.
func (m *Model) NewEmbedder(opts EmbedOptions) (*Embedder, error) {
	if err := m.acquire(); err != nil {
		return nil, err
	}
	n := opts.BatchTokens
	if n <= 0 {
		n = 2048
	}
	if t := m.ContextLength(); t > 0 {
		n = min(n, t)
	}
	seqs := opts.MaxSeqs
	if seqs <= 0 {
		seqs = 64
	}
	seqs = min(seqs, int(C.llama_max_parallel_sequences()), n)
	threads := opts.Threads
	if threads <= 0 {
		threads = PhysicalCores()
	}
	p := C.llama_context_default_params()
	p.n_ctx = C.uint32_t(n)
	p.n_batch = C.uint32_t(n)
	p.n_ubatch = C.uint32_t(n) // non-causal models need a whole text in one ubatch
	p.n_seq_max = C.uint32_t(seqs)
	p.n_threads = C.int32_t(threads)
	p.n_threads_batch = C.int32_t(threads)
	p.embeddings = true
	p.flash_attn_type = flashType(opts.FlashAttention)
	p.kv_unified = true
	p.no_perf = true
	if m.info.Pooling == "" || m.info.Pooling == "none" {
		p.pooling_type = C.LLAMA_POOLING_TYPE_MEAN
	} else {
		p.pooling_type = C.LLAMA_POOLING_TYPE_UNSPECIFIED
	}
	c, err := m.newLlamaContext(p)
	if err != nil {
		m.release()
		return nil, err
	}
	e := &Embedder{
		m: m, c: c, nTokens: n, maxSeqs: seqs,
		dims:    int(C.llama_model_n_embd(m.c)),
		pooled:  C.llama_pooling_type(c) != C.LLAMA_POOLING_TYPE_NONE,
		encoder: bool(C.llama_model_has_encoder(m.c)) && !bool(C.llama_model_has_decoder(m.c)),
		rank:    C.llama_pooling_type(c) == C.LLAMA_POOLING_TYPE_RANK,
		threads: threads,
	}
	if e.rank {
		e.nCls = max(1, int(C.llama_model_n_cls_out(m.c)))
	}
	e.batch = C.llama_batch_init(C.int32_t(n), 0, 1)
	e.flags = (*C.carrel_flags)(C.calloc(1, C.size_t(unsafe.Sizeof(C.carrel_flags{}))))
	C.llama_set_abort_callback(c, C.ggml_abort_callback(C.carrel_abort_cb), unsafe.Pointer(e.flags))
	return e, nil
}

// Dims is the length of the vectors.
func (e *Embedder) Dims() int { return e.dims }

// MaxTokens is the longest text in tokens; longer texts are truncated.
func (e *Embedder) MaxTokens() int { return e.nTokens }

// Close frees the embedder. A second Close returns nil.
func (e *Embedder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	C.llama_batch_free(e.batch)
	C.llama_free(e.c)
	C.free(unsafe.Pointer(e.flags))
	e.closed = true
	e.m.release()
	return nil
}

// Embed returns one unit-length vector per text, in order. Cancelling ctx
// stops between (and, on the CPU, within) decode calls.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if e.rank {
		return nil, errors.New("llm: this is a reranking model: it scores a question with a passage, it does not embed")
	}
	// A long document's passages are tokenized a window at a time: all
	// of a 40 MB file's tokens held at once weighed more than its text.
	// A window ends at most one partly filled decode call early.
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += embedWindow {
		toks, err := e.tokenizeAll(ctx, texts[start:min(start+embedWindow, len(texts))])
		if err != nil {
			return nil, err
		}
		vecs, err := e.embedTokens(ctx, toks)
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// embedWindow is how many texts Embed tokenizes ahead of embedding them.
const embedWindow = 512

// tokenizeAll tokenizes texts while the embedder is open (its model stays
// loaded while the lock is held).
func (e *Embedder) tokenizeAll(ctx context.Context, texts []string) ([][]C.llama_token, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	toks := make([][]C.llama_token, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		toks[i] = e.m.tokenize(t, true)
	}
	return toks, nil
}

// embedTokens runs tokenized texts, packed many to a decode call, and
// returns each one's output (a unit vector, or a reranker's scores).
// Texts longer than a batch are cut; an empty one gives the zero vector.
// The embedder is held one decode call at a time, so a question asked
// while a long document is embedded waits for one batch, not the
// document.
func (e *Embedder) embedTokens(ctx context.Context, all [][]C.llama_token) ([][]float32, error) {
	out := make([][]float32, len(all))
	var group []int // indexes of the texts in the current batch
	var toks [][]C.llama_token
	used := 0
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		e.mu.Lock()
		err := ErrClosed
		if !e.closed {
			err = e.run(ctx, group, toks, out)
		}
		e.mu.Unlock()
		if err != nil {
			return err
		}
		group, toks, used = group[:0], toks[:0], 0
		return nil
	}
	for i, tk := range all {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(tk) > e.nTokens {
			tk = tk[:e.nTokens]
		}
		if len(tk) == 0 {
			out[i] = make([]float32, e.outDims()) // nothing to embed: the zero vector
			continue
		}
		if used+len(tk) > e.nTokens || len(group) == e.maxSeqs {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		group = append(group, i)
		toks = append(toks, tk)
		used += len(tk)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// shortBatch is the size below which a batch runs on one thread.
const shortBatch = 64

// outDims is the length of one text's output: the vector, or a
// reranker's scores.
func (e *Embedder) outDims() int {
	if e.rank {
		return e.nCls
	}
	return e.dims
}

// run decodes one batch; call with e.mu held.
func (e *Embedder) run(ctx context.Context, group []int, toks [][]C.llama_token, out [][]float32) error {
	if mem := C.llama_get_memory(e.c); mem != nil {
		C.llama_memory_clear(mem, true)
	}
	n := 0
	for s, tk := range toks {
		for p, t := range tk {
			C.carrel_batch_set(&e.batch, C.int(n), t, C.llama_pos(p), C.llama_seq_id(s), true)
			n++
		}
	}
	e.batch.n_tokens = C.int32_t(n)
	// A question is a few dozen tokens: one thread embeds it in a few
	// milliseconds, while several would meet at a barrier after every
	// operation and wait whenever the system lends one of their cores to
	// other work (the search running beside it, the garbage collector):
	// that made 1 query in 100 take a second.
	threads := e.threads
	if n < shortBatch {
		threads = 1
	}
	C.llama_set_n_threads(e.c, C.int32_t(threads), C.int32_t(threads))
	stop := context.AfterFunc(ctx, func() { setAbort(e.flags, true) })
	var rc C.int32_t
	if e.encoder {
		rc = C.llama_encode(e.c, e.batch)
	} else {
		rc = C.llama_decode(e.c, e.batch)
	}
	stop()
	setAbort(e.flags, false)
	if rc != 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("llm: embedding failed (code %d)", int(rc))
	}
	row := 0
	for s, idx := range group {
		if e.rank { // the classifier's scores, as they are
			p := C.llama_get_embeddings_seq(e.c, C.llama_seq_id(s))
			if p == nil {
				return errors.New("llm: reranking model returned no score")
			}
			out[idx] = append([]float32(nil), unsafe.Slice((*float32)(unsafe.Pointer(p)), e.nCls)...)
			continue
		}
		v := make([]float32, e.dims)
		if e.pooled {
			p := C.llama_get_embeddings_seq(e.c, C.llama_seq_id(s))
			if p == nil {
				return errors.New("llm: model returned no pooled embedding")
			}
			copy(v, unsafe.Slice((*float32)(unsafe.Pointer(p)), e.dims))
		} else { // mean over the text's token embeddings
			for k := 0; k < len(toks[s]); k++ {
				p := C.llama_get_embeddings_ith(e.c, C.int32_t(row+k))
				if p == nil {
					return errors.New("llm: model returned no token embedding")
				}
				for j, x := range unsafe.Slice((*float32)(unsafe.Pointer(p)), e.dims) {
					v[j] += x
				}
			}
		}
		row += len(toks[s])
		normalize(v)
		out[idx] = v
	}
	return nil
}

// normalize scales v to unit length in place (a zero vector stays zero).
func normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
}

// EmbedNative embeds texts with llama.cpp's own embedding loop, in C, on
// this embedder's context and threads: texts packed into batches as
// llama.cpp's embedding example packs them, pooled vectors read and
// normalised. It is the yardstick for Embed's throughput (carrel bench
// embed); the vectors are returned so a caller can check both agree. It
// needs a model that pools (all embedding models Carrel ships or lists).
// The time excludes tokenizing, which Embed's includes.
func (e *Embedder) EmbedNative(ctx context.Context, texts []string) ([][]float32, time.Duration, error) {
	if !e.pooled {
		return nil, 0, errors.New("llm: the native embedding loop needs a model that pools its vectors")
	}
	all, err := e.tokenizeAll(ctx, texts)
	if err != nil {
		return nil, 0, err
	}
	if len(texts) == 0 {
		return nil, 0, nil
	}
	var toks []C.llama_token
	lens := make([]C.int, len(texts))
	for i, tk := range all {
		tk = tk[:min(len(tk), e.nTokens)]
		if len(tk) == 0 {
			return nil, 0, fmt.Errorf("llm: text %d has no tokens", i)
		}
		toks = append(toks, tk...)
		lens[i] = C.int(len(tk))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, 0, ErrClosed
	}
	out := make([]float32, len(texts)*e.dims)
	C.llama_set_n_threads(e.c, C.int32_t(e.threads), C.int32_t(e.threads))
	stop := context.AfterFunc(ctx, func() { setAbort(e.flags, true) })
	var ns C.double
	rc := C.carrel_embed_native(e.c, &toks[0], &lens[0], C.int(len(texts)), C.int(e.nTokens), C.int(e.maxSeqs),
		C.bool(e.encoder), C.int(e.dims), (*C.float)(unsafe.Pointer(&out[0])), &ns)
	stop()
	setAbort(e.flags, false)
	if rc != 0 {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("llm: native embedding loop failed (code %d)", int(rc))
	}
	vs := make([][]float32, len(texts))
	for i := range vs {
		vs[i] = out[i*e.dims : (i+1)*e.dims : (i+1)*e.dims]
	}
	return vs, time.Duration(ns), nil
}
