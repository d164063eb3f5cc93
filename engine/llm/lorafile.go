package llm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// LoRASpec says what a new adapter adapts: rank-Rank updates, scaled by
// Alpha/Rank, of the model's projections named in Targets.
type LoRASpec struct {
	Rank  int
	Alpha float32
	// Targets are kinds of projection (see [LoRAKinds]).
	Targets []string
	Seed    uint64
}

// LoRAKinds are the projections llama.cpp applies an adapter to: those of
// every layer, and output, the vocabulary projection (when the model has
// one of its own rather than reusing its token embeddings).
var LoRAKinds = []string{"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down", "output"}

// TrainableTargets are the projections an adapter can be trained on
// through this llama.cpp (ec98e2002): the vocabulary projection only.
//
//   - A layer writes its keys and values into the KV cache (ggml_set_rows)
//     and attention reads them back from there. ggml's backward pass
//     refuses that in-place write, so no trainable tensor may influence a
//     later layer's keys or values: every layer but the last is out.
//   - The gradient llama.cpp's training graph carries back through the
//     final RMS norm into the last layer is wrong. Checked against finite differences
//     through the same graph: the gradient of output_norm.weight agrees
//     with ggml's, that of blk.N.ffn_down.weight (or of a LoRA on it,
//     attn_output, attn_q, ffn_gate, ffn_up) does not, not even in sign,
//     on one thread or two; the same ops built alone in ggml (the FFN
//     LoRA, residual, RMS norm, vocabulary projection, cross-entropy)
//     agree. SGD with a small rate raises the loss of the window it
//     trains on. Until that is found, training them would harm the model.
var TrainableTargets = []string{"output"}

// LoRATarget is one projection of the model an adapter covers.
type LoRATarget struct {
	Name    string // the model tensor, e.g. blk.3.attn_q.weight
	In, Out int64
}

var targetName = regexp.MustCompile(`^(?:blk\.\d+\.)?([a-z_]+)\.weight$`)

// PlanLoRA lists the model's tensors an adapter of spec would cover, in
// file order, and its number of parameters.
func PlanLoRA(modelPath string, spec LoRASpec) ([]LoRATarget, int64, error) {
	if spec.Rank < 1 {
		return nil, 0, errors.New("llm: an adapter's rank is at least 1")
	}
	want := map[string]bool{}
	for _, t := range spec.Targets {
		if !slices.Contains(LoRAKinds, t) {
			return nil, 0, fmt.Errorf("llm: %q cannot be adapted; choose from %v", t, LoRAKinds)
		}
		want[t] = true
	}
	f, err := gguf.Open(modelPath)
	if err != nil {
		return nil, 0, err
	}
	var out []LoRATarget
	var params int64
	for _, t := range f.Tensors {
		m := targetName.FindStringSubmatch(t.Name)
		if m == nil || !want[m[1]] || len(t.Dims) != 2 {
			continue
		}
		tg := LoRATarget{Name: t.Name, In: int64(t.Dims[0]), Out: int64(t.Dims[1])}
		out = append(out, tg)
		params += int64(spec.Rank) * (tg.In + tg.Out)
	}
	if len(out) == 0 {
		if len(spec.Targets) == 1 && spec.Targets[0] == "output" {
			return nil, 0, fmt.Errorf("%w: the model has no vocabulary projection of its own (it reuses its token embeddings), and that projection is what can be trained here", ErrAdapter)
		}
		return nil, 0, fmt.Errorf("%w: the model has none of the projections %v", ErrAdapter, spec.Targets)
	}
	return out, params, nil
}

// WriteLoRA writes a new adapter for the model at modelPath: A is drawn
// uniformly in ±1/√in (as PEFT initialises it) and B is zero, so the
// adapter starts as no change at all. meta adds keys to the file.
func WriteLoRA(ctx context.Context, path, modelPath string, spec LoRASpec, meta map[string]any) error {
	targets, _, err := PlanLoRA(modelPath, spec)
	if err != nil {
		return err
	}
	info, err := ReadInfo(modelPath)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x10fa))
	r := int64(spec.Rank)
	tensors := make([]AdapterTensor, 0, 2*len(targets))
	for _, t := range targets {
		a := AdapterTensor{Name: t.Name + ".lora_a", Dims: [2]int64{t.In, r}, Data: make([]float32, t.In*r)}
		bound := 1 / math.Sqrt(float64(t.In))
		for i := range a.Data {
			a.Data[i] = float32((rng.Float64()*2 - 1) * bound)
		}
		b := AdapterTensor{Name: t.Name + ".lora_b", Dims: [2]int64{r, t.Out}, Data: make([]float32, r*t.Out)}
		tensors = append(tensors, a, b)
	}
	return SaveLoRA(ctx, path, info.Architecture, spec.Alpha, tensors, meta)
}

// SaveLoRA writes an adapter in the GGUF form llama.cpp's --lora loads:
// general.type "adapter", adapter.type "lora", adapter.lora.alpha, and
// for each adapted tensor W its W.lora_a and W.lora_b, in F32. The file is
// replaced atomically.
func SaveLoRA(ctx context.Context, path, arch string, alpha float32, tensors []AdapterTensor, meta map[string]any) error {
	w := gguf.NewWriter()
	w.Set("general.architecture", arch)
	w.Set("general.type", "adapter")
	w.Set("adapter.type", "lora")
	w.Set("adapter.lora.alpha", alpha)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := w.Set(k, meta[k]); err != nil {
			return err
		}
	}
	for _, t := range tensors {
		if int64(len(t.Data)) != t.Dims[0]*t.Dims[1] {
			return fmt.Errorf("llm: tensor %s holds %d values for shape %v", t.Name, len(t.Data), t.Dims)
		}
		data := t.Data
		if err := w.AddTensor(t.Name, gguf.TensorF32, []uint64{uint64(t.Dims[0]), uint64(t.Dims[1])}, func(out io.Writer) error {
			return binary.Write(out, binary.LittleEndian, data)
		}); err != nil {
			return err
		}
	}
	return w.WriteFile(ctx, path)
}

// TrainOptions shape a training run.
type TrainOptions struct {
	// Window is the number of tokens the model reads per step (its
	// context while training).
	Window int
	// Threads is the number of CPU threads (0: one per physical core).
	Threads int
	// LearningRate is the peak rate, reached after Warmup steps and
	// decayed along a cosine to MinLearningRate at step Steps.
	LearningRate, MinLearningRate float32
	Warmup, Steps                 int
	// WeightDecay is AdamW's decoupled weight decay.
	WeightDecay float32
	// FirstStep is the step a resumed run starts at, so the schedule goes
	// on where it stopped. Its optimizer starts afresh (ggml-opt keeps
	// AdamW's moments to itself), so it warms up again over Warmup steps.
	FirstStep int
}

// StepResult is what one step measured.
type StepResult struct {
	Loss         float64 // mean cross-entropy per token of the window (nats)
	LearningRate float32 // the rate this step used
}

// AdapterTensor is one tensor of an adapter: its name in the GGUF file,
// its shape (ggml order: Dims[0] is the row length) and its F32 values.
type AdapterTensor struct {
	Name string
	Dims [2]int64
	Data []float32
}
