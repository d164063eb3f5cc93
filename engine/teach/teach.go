// Package teach trains a LoRA adapter for a chat model on a library's own
// text, on the person's computer, through llama.cpp's optimizer.
//
// The model stays frozen (quantized or not); the adapter learns to predict
// the library's next tokens. A tenth of the passages is held out and never
// trained on: the validation loss and the perplexity before and after are
// measured on them. Training saves a checkpoint as it goes, so a run that
// was paused, cancelled or killed resumes where it stopped. The adapter is
// a standard LoRA GGUF file (llama.cpp's --lora loads it) that records the
// SHA-256 of the model it was trained for; [CheckBase] refuses it on any
// other model.
//
// What this llama.cpp allows: the adapter covers the vocabulary
// projection, the one projection that trains correctly through it (see
// [llm.TrainableTargets] for why the layers' do not). AdamW's moments live
// inside ggml-opt, which does not open them: a resumed run starts them
// afresh and warms up again; its learning-rate schedule goes on where it
// stopped.
package teach

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine/llm"
)

// Options shape a training run. Zero values take the defaults below.
type Options struct {
	Model string // the base model (GGUF)
	Out   string // the adapter to write
	// Checkpoints is the folder of the run's checkpoint; a run that finds
	// one of the same model and shape there resumes from it.
	Checkpoints string
	Library     string // recorded in the adapter

	Rank         int     // 16
	Window       int     // tokens per step: 256
	Epochs       int     // passes over the training text: 2
	MaxSteps     int     // 0: as many as the epochs take
	LearningRate float32 // 3e-4, decayed along a cosine to a tenth
	Threads      int     // 0: one per physical core
	Seed         uint64
	// CheckpointEvery is how many steps pass between checkpoints (20).
	CheckpointEvery int
}

func (o Options) withDefaults() Options {
	if o.Rank <= 0 {
		o.Rank = 16
	}
	if o.Window <= 0 {
		o.Window = 256
	}
	o.Window = (o.Window + 255) / 256 * 256
	if o.Epochs <= 0 {
		o.Epochs = 2
	}
	if o.LearningRate <= 0 {
		// Measured on stories260K taught two books (docs/benchmarks.md):
		// 1e-3 overshoots on a long run, 3e-4 keeps improving.
		o.LearningRate = 3e-4
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 20
	}
	return o
}

// Progress is reported after every step and validation.
type Progress struct {
	Step, Steps     int
	Loss            float64 // this step's training loss (nats per token)
	ValidLoss       float64 // the last validation loss; NaN before the first
	LearningRate    float32
	TokensPerSecond float64
	Elapsed, Left   time.Duration
	Phase           string // "measuring", "training", "validating", "saving"
}

// Result is what a finished run made and measured.
type Result struct {
	Adapter          string
	Steps            int
	ResumedAt        int // the step a resumed run started at; 0 for a new run
	TrainTokens      int
	HeldOutTokens    int
	PerplexityBefore float64   // on the held-out passages, without the adapter
	PerplexityAfter  float64   // with it
	BaselineLoss     float64   // the held-out loss before training
	ValidLosses      []float64 // the held-out loss as training went
	BestStep         int       // the step whose adapter was kept (the lowest held-out loss)
	TokensPerSecond  float64   // training throughput
	Params           int64     // the adapter's parameters
	Elapsed          time.Duration
}

// Errors of Run.
var (
	// ErrTooLittle means the library holds too little text to teach from.
	ErrTooLittle = errors.New("teach: the library has too little text to teach from")
	// ErrNoGain means training never lowered the loss on the held-out
	// passages, so no adapter was written.
	ErrNoGain = errors.New("teach: training did not help on the passages held out, so no adapter was written")
)

// state is the checkpoint's record beside its adapter file.
type state struct {
	Version   int       `json:"version"`
	Base      string    `json:"base_sha256"`
	Rank      int       `json:"rank"`
	Window    int       `json:"window"`
	Steps     int       `json:"steps"`
	Step      int       `json:"step"`
	Seed      uint64    `json:"seed"`
	Rate      float32   `json:"learning_rate"`
	Tokens    int       `json:"train_tokens"`
	Valid     []float64 `json:"valid_losses"`
	Baseline  float64   `json:"baseline_loss"` // validation loss before training
	Best      float64   `json:"best_loss"`     // the lowest validation loss, whose adapter best.gguf holds
	BestStep  int       `json:"best_step"`
	Before    float64   `json:"perplexity_before"`
	StartedAt time.Time `json:"started_at"`
}

// Split divides passages into training and held-out text: every tenth
// passage (at least one) is held out, so both sides sample the whole
// library.
func Split(passages []string) (train, held string) {
	var t, h strings.Builder
	for i, p := range passages {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if i%10 == 9 || (len(passages) < 10 && i == len(passages)-1) {
			h.WriteString(p + "\n\n")
		} else {
			t.WriteString(p + "\n\n")
		}
	}
	return t.String(), h.String()
}

// heldWindows bounds what validation reads: eight windows.
const heldWindows = 8

// Run trains the adapter. Cancelling ctx stops at the next step, saves a
// checkpoint and returns ctx's error; running again with the same options
// resumes. progress may be nil.
func Run(ctx context.Context, passages []string, o Options, progress func(Progress)) (_ *Result, err error) {
	// Cancelled in the middle of a llama.cpp call, a part may report its
	// own failure ("aborted"); the caller asked for a pause.
	defer func() {
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = ctx.Err()
		}
	}()
	o = o.withDefaults()
	if progress == nil {
		progress = func(Progress) {}
	}
	start := time.Now()
	spec := llm.LoRASpec{Rank: o.Rank, Alpha: float32(o.Rank), Targets: llm.TrainableTargets, Seed: o.Seed}
	_, params, err := llm.PlanLoRA(o.Model, spec)
	if err != nil {
		return nil, err
	}
	base, err := BaseOf(ctx, o.Model)
	if err != nil {
		return nil, err
	}
	m, err := llm.Load(ctx, o.Model, llm.ModelOptions{FileLayout: true})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	trainText, heldText := Split(passages)
	trainToks, err := m.Tokenize(trainText, false)
	if err != nil {
		return nil, err
	}
	heldToks, err := m.Tokenize(heldText, false)
	if err != nil {
		return nil, err
	}
	if len(trainToks) < o.Window+1 || len(heldToks) < 32 {
		return nil, fmt.Errorf("%w: %d tokens to train on and %d held out; a step reads %d", ErrTooLittle, len(trainToks), len(heldToks), o.Window+1)
	}
	windows := len(trainToks) / (o.Window + 1)
	steps := windows * o.Epochs
	if o.MaxSteps > 0 {
		steps = min(steps, o.MaxSteps)
	}
	if err := os.MkdirAll(o.Checkpoints, 0o755); err != nil {
		return nil, err
	}
	ckAdapter := filepath.Join(o.Checkpoints, "adapter.gguf")
	ckState := filepath.Join(o.Checkpoints, "state.json")
	ckBest := filepath.Join(o.Checkpoints, "best.gguf")
	st := state{Version: 1, Base: base.SHA256, Rank: o.Rank, Window: o.Window, Steps: steps, Seed: o.Seed, Rate: o.LearningRate, Tokens: len(trainToks), StartedAt: time.Now()}
	resumed := false
	if b, err := os.ReadFile(ckState); err == nil {
		var old state
		if json.Unmarshal(b, &old) == nil && old.Version == st.Version && old.Base == st.Base && old.Rank == st.Rank &&
			old.Window == st.Window && old.Steps == st.Steps && old.Seed == st.Seed && old.Rate == st.Rate && old.Tokens == st.Tokens && fileExists(ckAdapter) {
			st, resumed = old, true
		}
	}
	held := heldText
	if limit := heldWindows * o.Window * 4; len(held) > limit { // about four characters a token
		held = held[:limit]
	}
	if !resumed {
		progress(Progress{Phase: "measuring", Steps: steps, ValidLoss: math.NaN()})
		before, err := perplexity(ctx, m, nil, held, o)
		if err != nil {
			return nil, err
		}
		st.Before = before
		if err := llm.WriteLoRA(ctx, ckAdapter, o.Model, spec, nil); err != nil {
			return nil, err
		}
		if err := saveState(ckState, st); err != nil {
			return nil, err
		}
	}
	a, err := m.LoadAdapter(ckAdapter)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	tr, err := m.NewTrainer(a, llm.TrainOptions{Window: o.Window, Threads: o.Threads, LearningRate: o.LearningRate,
		MinLearningRate: o.LearningRate / 10, Warmup: min(10, steps/10+1), Steps: steps, FirstStep: st.Step})
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	// The data order: each epoch's windows shuffled by a generator seeded
	// with the run's seed and the epoch, so a resumed run replays it.
	order := func(step int) int {
		epoch, i := step/windows, step%windows
		perm := rand.New(rand.NewPCG(o.Seed, uint64(epoch))).Perm(windows)
		return perm[i]
	}
	validate := func() (float64, error) {
		var sum float64
		n := 0
		for off := 0; off+o.Window+1 <= len(heldToks) && n < heldWindows; off += o.Window + 1 {
			l, err := tr.Loss(ctx, heldToks[off:off+o.Window+1])
			if err != nil {
				return 0, err
			}
			sum += l
			n++
		}
		if n == 0 { // held-out text shorter than a window: read it padded by itself
			w := make([]int32, 0, o.Window+1)
			for len(w) < o.Window+1 {
				w = append(w, heldToks[:min(len(heldToks), o.Window+1-len(w))]...)
			}
			return tr.Loss(ctx, w)
		}
		return sum / float64(n), nil
	}
	checkpoint := func() error {
		ts, err := tr.Tensors()
		if err != nil {
			return err
		}
		if err := llm.SaveLoRA(context.WithoutCancel(ctx), ckAdapter, m.Info().Architecture, spec.Alpha, ts, nil); err != nil {
			return err
		}
		return saveState(ckState, st)
	}
	if !resumed {
		if st.Baseline, err = validate(); err != nil {
			return nil, err
		}
		st.Best = st.Baseline
		if err := saveState(ckState, st); err != nil {
			return nil, err
		}
	}
	res := &Result{Steps: steps, TrainTokens: len(trainToks), HeldOutTokens: len(heldToks), Params: params, PerplexityBefore: st.Before}
	if resumed {
		res.ResumedAt = st.Step
	}
	validEvery := max(steps/20, 1)
	lastValid := math.NaN()
	if len(st.Valid) > 0 {
		lastValid = st.Valid[len(st.Valid)-1]
	}
	trainStart := time.Now()
	first := st.Step
	for st.Step < steps {
		if err := ctx.Err(); err != nil {
			if cerr := checkpoint(); cerr != nil {
				return nil, errors.Join(err, cerr)
			}
			return nil, err
		}
		w := order(st.Step) * (o.Window + 1)
		r, err := tr.Step(ctx, trainToks[w:w+o.Window+1])
		if err != nil {
			return nil, err
		}
		st.Step++
		done := st.Step - first
		el := time.Since(trainStart)
		per := el / time.Duration(done)
		p := Progress{Step: st.Step, Steps: steps, Loss: r.Loss, ValidLoss: lastValid, LearningRate: r.LearningRate,
			TokensPerSecond: float64(done*o.Window) / el.Seconds(), Elapsed: time.Since(start), Left: per * time.Duration(steps-st.Step), Phase: "training"}
		if st.Step%validEvery == 0 || st.Step == steps {
			progress(Progress{Step: st.Step, Steps: steps, Loss: r.Loss, ValidLoss: lastValid, Phase: "validating", Elapsed: p.Elapsed, Left: p.Left})
			if lastValid, err = validate(); err != nil {
				return nil, err
			}
			st.Valid = append(st.Valid, lastValid)
			p.ValidLoss = lastValid
			// The run keeps the adapter of its lowest validation loss: a
			// rate too high for some library, or a stretch of text unlike
			// the rest, must not leave a worse adapter behind.
			if lastValid < st.Best {
				ts, err := tr.Tensors()
				if err != nil {
					return nil, err
				}
				if err := llm.SaveLoRA(context.WithoutCancel(ctx), ckBest, m.Info().Architecture, spec.Alpha, ts, nil); err != nil {
					return nil, err
				}
				st.Best, st.BestStep = lastValid, st.Step
				if err := saveState(ckState, st); err != nil {
					return nil, err
				}
			}
		}
		progress(p)
		if st.Step%o.CheckpointEvery == 0 && st.Step < steps {
			if err := checkpoint(); err != nil {
				return nil, err
			}
		}
	}
	res.TokensPerSecond = float64((st.Step-first)*o.Window) / time.Since(trainStart).Seconds()
	progress(Progress{Step: steps, Steps: steps, ValidLoss: lastValid, Phase: "saving", Elapsed: time.Since(start)})
	tr.Close()
	a.Close()
	if st.BestStep == 0 {
		os.RemoveAll(o.Checkpoints)
		return nil, fmt.Errorf("%w (held-out loss %.3f before training, never lower after)", ErrNoGain, st.Baseline)
	}
	best, err := m.LoadAdapter(ckBest)
	if err != nil {
		return nil, err
	}
	ts, err := best.Tensors()
	best.Close()
	if err != nil {
		return nil, err
	}
	meta := base.meta()
	meta["carrel.library"] = o.Library
	meta["carrel.train.steps"] = uint32(steps)
	meta["carrel.train.window"] = uint32(o.Window)
	meta["carrel.train.tokens"] = uint64(len(trainToks))
	meta["carrel.train.rank"] = uint32(o.Rank)
	meta["carrel.train.best_step"] = uint32(st.BestStep)
	meta["carrel.train.finished"] = time.Now().UTC().Format(time.RFC3339)
	// Measure the adapter kept: perplexity on the held-out passages.
	after, err := perplexity(ctx, m, &ckBest, held, o)
	if err != nil {
		return nil, err
	}
	meta["carrel.perplexity.before"] = float32(st.Before)
	meta["carrel.perplexity.after"] = float32(after)
	if err := llm.SaveLoRA(context.WithoutCancel(ctx), o.Out, m.Info().Architecture, spec.Alpha, ts, meta); err != nil {
		return nil, err
	}
	os.RemoveAll(o.Checkpoints)
	res.Adapter, res.PerplexityAfter, res.ValidLosses, res.Elapsed = o.Out, after, st.Valid, time.Since(start)
	res.BestStep, res.BaselineLoss = st.BestStep, st.Baseline
	return res, nil
}

// perplexity measures text as llama-perplexity does, with the adapter at
// *adapter applied when it is not nil.
func perplexity(ctx context.Context, m *llm.Model, adapter *string, text string, o Options) (float64, error) {
	x, err := m.NewContext(llm.ContextOptions{ContextSize: o.Window, BatchSize: o.Window, Threads: o.Threads})
	if err != nil {
		return 0, err
	}
	defer x.Close()
	if adapter != nil {
		a, err := m.LoadAdapter(*adapter)
		if err != nil {
			return 0, err
		}
		defer a.Close()
		if err := x.ApplyAdapter(a, 1); err != nil {
			return 0, err
		}
		defer x.RemoveAdapter(a)
	}
	p, err := x.Perplexity(ctx, text)
	if err != nil {
		return 0, err
	}
	return p.Value, nil
}

func saveState(path string, st state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Estimate is what a run will need, said before it starts.
type Estimate struct {
	Memory uint64 // peak memory, bytes (the model file counts whole: it is mapped and read)
	Disk   uint64 // the adapter, its checkpoint and its best copy, bytes
	Params int64  // the adapter's parameters
}

// EstimateRun says what training the model at o.Model will need. The
// memory is an upper estimate from the model's shape: the mapped file,
// the F32 KV cache of one window, the vocabulary's logits with their
// gradients, the activations of one window, and the adapter with its
// gradient and AdamW's two moments.
func EstimateRun(o Options) (Estimate, error) {
	o = o.withDefaults()
	spec := llm.LoRASpec{Rank: o.Rank, Alpha: float32(o.Rank), Targets: llm.TrainableTargets, Seed: o.Seed}
	_, params, err := llm.PlanLoRA(o.Model, spec)
	if err != nil {
		return Estimate{}, err
	}
	info, err := llm.ReadInfo(o.Model)
	if err != nil {
		return Estimate{}, err
	}
	w, e, l, v := uint64(o.Window), uint64(info.EmbeddingLength), uint64(info.Layers), uint64(info.VocabSize)
	const f32 = 4
	mem := uint64(info.FileSize) +
		2*l*w*e*f32 + // keys and values
		4*w*v*f32 + // logits, softmax, their gradients
		w*(40*e+24*e)*f32 + // one window's activations (the FFN about four times as wide)
		4*uint64(params)*f32 + // adapter, gradient, two moments
		96<<20 // Carrel itself (its engine, PDF reader) and llama.cpp's context
	return Estimate{Memory: mem, Disk: 3 * uint64(params) * f32, Params: params}, nil
}
