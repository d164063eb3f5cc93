#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include "bridge.h"
#include "ggml-cpu.h"
#include "_cgo_export.h"

// next_random is a small portable generator (rand_r is POSIX only, and
// MinGW lacks it); benchmark tokens need only be arbitrary.
static unsigned next_random(unsigned *state) {
	unsigned x = *state ? *state : 2463534242u; // xorshift32: never zero
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

bool carrel_abort_cb(void *data) {
	return __atomic_load_n(&((carrel_flags *)data)->abort, __ATOMIC_RELAXED) != 0;
}

bool carrel_progress_cb(float progress, void *data) {
	carrel_flags *f = (carrel_flags *)data;
	f->progress = progress;
	return __atomic_load_n(&f->abort, __ATOMIC_RELAXED) == 0;
}

void carrel_log_cb(enum ggml_log_level level, const char *text, void *user) {
	(void)user;
	carrelLog((int)level, (char *)text);
}

void carrel_set_log(void) {
	llama_log_set(carrel_log_cb, NULL);
}

void carrel_batch_set(struct llama_batch *b, int i, llama_token tok, llama_pos pos, llama_seq_id seq, bool output) {
	b->token[i] = tok;
	b->pos[i] = pos;
	b->n_seq_id[i] = 1;
	b->seq_id[i][0] = seq;
	b->logits[i] = output;
}

int carrel_features(ggml_backend_reg_t reg, char *buf, int len) {
	buf[0] = 0;
	ggml_backend_get_features_t fn = (ggml_backend_get_features_t)ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features");
	if (!fn) {
		return 0;
	}
	int n = 0;
	for (struct ggml_backend_feature *f = fn(reg); f && f->name; f++) {
		int w = snprintf(buf + n, len - n, "%s=%s;", f->name, f->value);
		if (w < 0 || w >= len - n) {
			break;
		}
		n += w;
	}
	return n;
}

struct ggml_threadpool *carrel_threadpool(struct llama_context *ctx, int n_threads, int poll) {
	struct ggml_threadpool_params p = ggml_threadpool_params_default(n_threads);
	p.poll = (uint32_t)poll;
	struct ggml_threadpool *tp = ggml_threadpool_new(&p);
	if (tp) {
		llama_attach_threadpool(ctx, tp, NULL);
	}
	return tp;
}

void carrel_threadpool_free(struct ggml_threadpool *tp) {
	if (tp) {
		ggml_threadpool_free(tp);
	}
}

// carrel_bench_native times one repetition of llama-bench's two tests with
// the loop in C, as llama.cpp's own tool runs them: a prompt of n_prompt
// random tokens in n_batch chunks, then n_gen single-token decodes. It is
// the reference the Go loop is compared against. Returns 0 on success.
int carrel_bench_native(struct llama_context *ctx, int n_prompt, int n_gen, int n_batch, unsigned seed, double *pp_ns, double *tg_ns) {
	const struct llama_vocab *vocab = llama_model_get_vocab(llama_get_model(ctx));
	const int n_vocab = llama_vocab_n_tokens(vocab);
	const bool bos = llama_vocab_get_add_bos(vocab);
	llama_token *tokens = malloc(sizeof(llama_token) * (n_batch > 0 ? n_batch : 1));
	if (!tokens) {
		return -1;
	}
	*pp_ns = 0;
	*tg_ns = 0;
	if (n_prompt > 0) {
		llama_memory_clear(llama_get_memory(ctx), false);
		int64_t t0 = llama_time_us();
		for (int done = 0; done < n_prompt;) {
			int n = n_prompt - done < n_batch ? n_prompt - done : n_batch;
			for (int i = 0; i < n; i++) {
				tokens[i] = (done == 0 && i == 0 && bos) ? llama_vocab_bos(vocab) : (llama_token)(next_random(&seed) % n_vocab);
			}
			if (llama_decode(ctx, llama_batch_get_one(tokens, n)) != 0) {
				free(tokens);
				return -2;
			}
			done += n;
		}
		llama_synchronize(ctx);
		*pp_ns = (double)(llama_time_us() - t0) * 1e3;
	}
	if (n_gen > 0) {
		llama_memory_clear(llama_get_memory(ctx), false);
		int64_t t0 = llama_time_us();
		llama_token tok = bos ? llama_vocab_bos(vocab) : (llama_token)(next_random(&seed) % n_vocab);
		for (int i = 0; i < n_gen; i++) {
			if (llama_decode(ctx, llama_batch_get_one(&tok, 1)) != 0) {
				free(tokens);
				return -3;
			}
			llama_synchronize(ctx);
			tok = (llama_token)(next_random(&seed) % n_vocab);
		}
		*tg_ns = (double)(llama_time_us() - t0) * 1e3;
	}
	free(tokens);
	return 0;
}

// embed_flush runs one batch of n_seq texts and copies their pooled,
// L2-normalised vectors to out (rows first..first+n_seq-1).
static int embed_flush(struct llama_context *ctx, struct llama_batch *b, bool encoder, int dims, int first, int n_seq, float *out) {
	llama_memory_clear(llama_get_memory(ctx), true);
	int rc = encoder ? llama_encode(ctx, *b) : llama_decode(ctx, *b);
	if (rc != 0) {
		return rc;
	}
	for (int s = 0; s < n_seq; s++) {
		const float *v = llama_get_embeddings_seq(ctx, s);
		if (!v) {
			return -10;
		}
		double norm = 0;
		for (int i = 0; i < dims; i++) {
			norm += (double)v[i] * v[i];
		}
		norm = norm > 0 ? 1.0 / sqrt(norm) : 0;
		for (int i = 0; i < dims; i++) {
			out[(size_t)(first + s) * dims + i] = (float)(v[i] * norm);
		}
	}
	b->n_tokens = 0;
	return 0;
}

// carrel_embed_native embeds n_seq tokenized texts (toks holds them one
// after another, lens their lengths) with the loop of llama.cpp's own
// embedding example, in C: texts are packed into a batch until the next
// would overflow n_batch tokens or n_seq_max sequences, each batch is
// encoded, and the pooled vectors are read and normalised. It is the
// reference the Go embedder's throughput is measured against. *ns is the
// time taken. Returns 0 on success.
int carrel_embed_native(struct llama_context *ctx, const llama_token *toks, const int *lens, int n_seq, int n_batch, int n_seq_max,
	bool encoder, int dims, float *out, double *ns) {
	struct llama_batch b = llama_batch_init(n_batch, 0, 1);
	int64_t t0 = llama_time_us();
	int first = 0, in_batch = 0, rc = 0;
	size_t at = 0;
	for (int k = 0; k < n_seq && rc == 0; k++) {
		int n = lens[k] < n_batch ? lens[k] : n_batch;
		if (b.n_tokens + n > n_batch || in_batch == n_seq_max) {
			rc = embed_flush(ctx, &b, encoder, dims, first, in_batch, out);
			first += in_batch;
			in_batch = 0;
		}
		for (int i = 0; i < n && rc == 0; i++) {
			carrel_batch_set(&b, b.n_tokens, toks[at + i], i, in_batch, true);
			b.n_tokens++;
		}
		at += lens[k];
		in_batch++;
	}
	if (rc == 0 && in_batch > 0) {
		rc = embed_flush(ctx, &b, encoder, dims, first, in_batch, out);
	}
	llama_synchronize(ctx);
	*ns = (double)(llama_time_us() - t0) * 1e3;
	llama_batch_free(b);
	return rc;
}

// ggml's own dequantizer for Q8_K, which its type table leaves out (the
// type exists only as a partner of the K-quants); declared in ggml's
// internal ggml-quants.h.
extern void dequantize_row_q8_K(const void *x, float *y, int64_t k);

// carrel_vec_dot_check measures one of the CPU's dot-product kernels for a
// quantized type (type, a ggml_type) against arithmetic in double on the
// values it stands for: two rows of n random values are quantized (the
// second to the kernel's partner type), the kernel takes their dot
// product, and the same product is summed in double over both rows
// dequantized. It stores the kernel's result, the reference, and Σ|x·y|
// (the scale of rounding); 0 on success, -1 when the type has no kernel.
int carrel_vec_dot_check(int type, int n, unsigned seed, double *got, double *want, double *scale) {
	ggml_cpu_init();
	const struct ggml_type_traits_cpu *cx = ggml_get_type_traits_cpu((enum ggml_type)type);
	if (cx == NULL || cx->vec_dot == NULL || cx->from_float == NULL) {
		return -1;
	}
	enum ggml_type ty = cx->vec_dot_type;
	const struct ggml_type_traits_cpu *cy = ggml_get_type_traits_cpu(ty);
	const struct ggml_type_traits *tx = ggml_get_type_traits((enum ggml_type)type);
	const struct ggml_type_traits *ty_ = ggml_get_type_traits(ty);
	ggml_to_float_t ydeq = ty == GGML_TYPE_Q8_K ? (ggml_to_float_t)dequantize_row_q8_K : ty_->to_float;
	if (cy == NULL || cy->from_float == NULL || tx->to_float == NULL || (ty != GGML_TYPE_F32 && ydeq == NULL)) {
		return -1;
	}
	float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
	float *dx = malloc(sizeof(float) * n), *dy = malloc(sizeof(float) * n);
	void *qx = malloc(ggml_row_size((enum ggml_type)type, n)), *qy = malloc(ggml_row_size(ty, n));
	unsigned s = seed ? seed : 1;
	for (int i = 0; i < n; i++) {
		// xorshift, values in [-1, 1) with some rows of larger ones
		s ^= s << 13; s ^= s >> 17; s ^= s << 5;
		x[i] = ((float)(s % 20001) / 10000.0f - 1.0f) * (i % 97 == 0 ? 8.0f : 1.0f);
		s ^= s << 13; s ^= s >> 17; s ^= s << 5;
		y[i] = (float)(s % 20001) / 10000.0f - 1.0f;
	}
	cx->from_float(x, qx, n);
	cy->from_float(y, qy, n);
	tx->to_float(qx, dx, n);
	if (ty == GGML_TYPE_F32) {
		memcpy(dy, qy, sizeof(float) * n);
	} else {
		ydeq(qy, dy, n);
	}
	float r = 0;
	cx->vec_dot(n, &r, 0, qx, 0, qy, 0, 1);
	double w = 0, a = 0;
	for (int i = 0; i < n; i++) {
		w += (double)dx[i] * dy[i];
		a += fabs((double)dx[i] * dy[i]);
	}
	*got = r; *want = w; *scale = a;
	free(x); free(y); free(dx); free(dy); free(qx); free(qy);
	return 0;
}
