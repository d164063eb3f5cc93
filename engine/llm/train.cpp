// Training a LoRA adapter through llama.cpp's optimizer (ggml-opt).
//
// llama_opt_init marks model tensors trainable through a filter; an
// adapter's tensors are not model tensors, so the filter here refuses
// every one and the adapter's A and B matrices are marked instead. The
// graph llama.cpp builds with the adapter applied (W·x + scale·B·A·x)
// then carries gradients to them only, and AdamW updates them in place.

#include <algorithm>
#include <string>
#include <vector>
#include <cmath>
#include <cstring>

#include "llama-adapter.h"
#include "ggml-backend.h"
#include "train.h"

namespace {

std::vector<ggml_tensor *> tensors_of(llama_adapter_lora *a) {
	std::vector<ggml_tensor *> ts;
	for (auto &kv : a->ab_map) {
		ts.push_back(kv.second.a);
		ts.push_back(kv.second.b);
	}
	std::sort(ts.begin(), ts.end(), [](ggml_tensor *x, ggml_tensor *y) { return strcmp(x->name, y->name) < 0; });
	return ts;
}

bool no_model_tensor(const struct ggml_tensor *, void *) { return false; }

struct ggml_opt_optimizer_params scheduled(void *ud) {
	carrel_sched *s = (carrel_sched *)ud;
	struct ggml_opt_optimizer_params p = ggml_opt_get_default_optimizer_params(nullptr);
	float lr = s->lr;
	if (s->step >= s->warmup && s->total > s->warmup) {
		double t = double(s->step - s->warmup) / double(s->total - s->warmup);
		t = std::min(1.0, std::max(0.0, t));
		const double pi = 3.14159265358979323846; // M_PI is not standard C++: mingw's strict -std=c++17 leaves it out
		lr = s->lr_min + 0.5f * (s->lr - s->lr_min) * float(1.0 + std::cos(pi * t));
	}
	int64_t warm = s->step - s->warm_from;
	if (warm >= 0 && warm < s->warmup) {
		lr *= float(warm + 1) / float(s->warmup);
	}
	s->last_lr = lr;
	s->step++;
	p.adamw.alpha = std::max(lr, 1e-12f);
	p.adamw.wd = s->wd;
	return p;
}

} // namespace

extern "C" {

int carrel_lora_count(struct llama_adapter_lora *a) { return int(a->ab_map.size() * 2); }

int carrel_lora_info(struct llama_adapter_lora *a, int i, char *name, int name_len, int64_t *ne0, int64_t *ne1, int *f32) {
	auto ts = tensors_of(a);
	if (i < 0 || i >= int(ts.size())) {
		return -1;
	}
	snprintf(name, name_len, "%s", ts[i]->name);
	*ne0 = ts[i]->ne[0];
	*ne1 = ts[i]->ne[1];
	*f32 = ts[i]->type == GGML_TYPE_F32;
	return 0;
}

int carrel_lora_read(struct llama_adapter_lora *a, int i, float *dst) {
	auto ts = tensors_of(a);
	if (i < 0 || i >= int(ts.size()) || ts[i]->type != GGML_TYPE_F32) {
		return -1;
	}
	ggml_backend_tensor_get(ts[i], dst, 0, ggml_nbytes(ts[i]));
	return 0;
}

int carrel_train_init(struct llama_context *ctx, struct llama_model *model, struct llama_adapter_lora *a, carrel_sched *s) {
	// llama.cpp gives its CPU backend the context's thread count and
	// threadpool when it computes a decode; the optimizer computes its
	// graphs directly and would run with the backend's default of four
	// threads, spinning at barriers on a smaller machine. One decode
	// hands them over first.
	llama_token tok = 0;
	if (llama_decode(ctx, llama_batch_get_one(&tok, 1)) != 0) {
		return -2;
	}
	llama_memory_clear(llama_get_memory(ctx), true);
	auto ts = tensors_of(a);
	for (auto *t : ts) {
		if (t->type != GGML_TYPE_F32) {
			return -1;
		}
	}
	for (auto *t : ts) {
		ggml_set_param(t);
	}
	struct llama_opt_params p = {};
	p.n_ctx_train = 0; // the context's size
	p.param_filter = no_model_tensor;
	p.param_filter_ud = nullptr;
	p.get_opt_pars = scheduled;
	p.get_opt_pars_ud = s;
	p.optimizer_type = GGML_OPT_OPTIMIZER_TYPE_ADAMW;
	llama_opt_init(ctx, model, p);
	return int(ts.size());
}

double carrel_train_window(struct llama_context *ctx, ggml_opt_dataset_t ds, const int32_t *tokens, int n_ctx, bool train) {
	struct ggml_tensor *data = ggml_opt_dataset_data(ds);
	struct ggml_tensor *labels = ggml_opt_dataset_labels(ds);
	memcpy(data->data, tokens, size_t(n_ctx) * sizeof(int32_t));
	memcpy(labels->data, tokens + 1, size_t(n_ctx) * sizeof(int32_t));
	ggml_opt_result_t res = ggml_opt_result_init();
	llama_opt_epoch(ctx, ds, res, res, train ? 1 : 0, nullptr, nullptr);
	double loss = 0, unc = 0;
	ggml_opt_result_loss(res, &loss, &unc);
	ggml_opt_result_free(res);
	return loss;
}

void carrel_train_release(struct llama_adapter_lora *a) {
	for (auto *t : tensors_of(a)) {
		t->flags &= ~GGML_TENSOR_FLAG_PARAM;
	}
}

} // extern "C"
