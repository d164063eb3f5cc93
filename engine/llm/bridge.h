// C glue for the Go binding: callbacks that llama.cpp calls from its own
// threads read flags in C memory instead of calling into Go, so a check
// costs a load, not a cgo transition.
#ifndef CARREL_BRIDGE_H
#define CARREL_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>
#include "llama.h"
#include "ggml-backend.h"

typedef struct {
	volatile int abort;     // set by Go to stop the current decode or load
	volatile float progress; // load progress, read by Go
} carrel_flags;

bool carrel_abort_cb(void *data);
bool carrel_progress_cb(float progress, void *data);
void carrel_log_cb(enum ggml_log_level level, const char *text, void *user);
void carrel_set_log(void);

// Helpers over the batch struct so Go does not index C arrays by hand.
void carrel_batch_set(struct llama_batch *b, int i, llama_token tok, llama_pos pos, llama_seq_id seq, bool output);

// carrel_features lists a backend's build features as "name=value;" pairs.
int carrel_features(ggml_backend_reg_t reg, char *buf, int len);

// carrel_threadpool makes a CPU threadpool of n_threads whose idle
// threads busy-wait at poll (0: sleep at once, 100: spin), attaches it to
// ctx for generation and prompt reading, and returns it (NULL when it
// could not be made; ctx then keeps ggml's own per-call threads).
struct ggml_threadpool *carrel_threadpool(struct llama_context *ctx, int n_threads, int poll);
void carrel_threadpool_free(struct ggml_threadpool *tp);

int carrel_embed_native(struct llama_context *ctx, const llama_token *toks, const int *lens, int n_seq, int n_batch, int n_seq_max,
	bool encoder, int dims, float *out, double *ns);

int carrel_vec_dot_check(int type, int n, unsigned seed, double *got, double *want, double *scale);

int carrel_bench_native(struct llama_context *ctx, int n_prompt, int n_gen, int n_batch, unsigned seed, double *pp_ns, double *tg_ns);

#endif
