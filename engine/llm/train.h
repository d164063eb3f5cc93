// C glue for training a LoRA adapter with llama.cpp's optimizer. The
// adapter's tensors live inside llama.cpp's adapter object, which its C
// API does not open; train.cpp reads them through llama.cpp's own header.
#ifndef CARREL_TRAIN_H
#define CARREL_TRAIN_H

#include <stdbool.h>
#include <stdint.h>
#include "llama.h"
#include "ggml-opt.h"

#ifdef __cplusplus
extern "C" {
#endif

// carrel_sched is the learning-rate schedule, read by the optimizer at
// every step: linear warm-up over warmup steps, then cosine decay from lr
// to lr_min at step total. step counts the optimizer steps taken.
typedef struct {
	float lr, lr_min, wd;
	int64_t step, warmup, total;
	int64_t warm_from; // a resumed run warms up again from here: its
	                   // optimizer's moments start afresh
	float last_lr; // the rate of the last step, for progress reports
} carrel_sched;

// carrel_lora_count is the number of tensors of the adapter (its A and B
// matrices); carrel_lora_info names tensor i (in name order) and gives
// its shape; carrel_lora_read copies its values (F32) to dst.
int carrel_lora_count(struct llama_adapter_lora *a);
int carrel_lora_info(struct llama_adapter_lora *a, int i, char *name, int name_len, int64_t *ne0, int64_t *ne1, int *f32);
int carrel_lora_read(struct llama_adapter_lora *a, int i, float *dst);

// carrel_train_init makes ctx ready to train the tensors of adapter a
// (and only those: the model stays frozen) with AdamW under schedule s.
// It returns the number of tensors marked trainable, -1 when one is not
// F32, -2 when the context cannot decode.
int carrel_train_init(struct llama_context *ctx, struct llama_model *model, struct llama_adapter_lora *a, carrel_sched *s);

// carrel_train_release unmarks the adapter's tensors, so the adapter can
// serve answers again once its trainer is gone.
void carrel_train_release(struct llama_adapter_lora *a);

// carrel_train_window runs one window of tokens (n_ctx+1 of them) through
// the model: with train set, forward and backward and one optimizer step;
// without, forward only. It returns the window's mean cross-entropy.
double carrel_train_window(struct llama_context *ctx, ggml_opt_dataset_t ds, const int32_t *tokens, int n_ctx, bool train);

#ifdef __cplusplus
}
#endif

#endif
