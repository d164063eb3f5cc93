package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/carrel-ai/carrel/engine/teach"
)

// TeachOptions shape a run of [Engine.Teach]; zero values take the
// defaults of [teach.Options].
type TeachOptions struct {
	// Model is the base model (GGUF); "" is the settings' chat model.
	Model string
	// Out is the adapter to write; "" is the data folder's adapters/,
	// named after the library and the model.
	Out          string
	Rank, Window int
	Epochs       int
	MaxSteps     int
	LearningRate float32
	Threads      int
}

// TeachProgress is reported as a run goes.
type TeachProgress = teach.Progress

// TeachResult is what a finished run made and measured.
type TeachResult = teach.Result

// TeachEstimate is what teaching will need, said before it starts.
type TeachEstimate = teach.Estimate

// EstimateTeach says what Teach with the same options would need: peak
// memory and disk, and the adapter's size, from the model's shape.
func (e *Engine) EstimateTeach(o TeachOptions) (TeachEstimate, error) {
	model, err := e.teachModel(o.Model)
	if err != nil {
		return TeachEstimate{}, err
	}
	return teach.EstimateRun(teach.Options{Model: model, Rank: o.Rank, Window: o.Window})
}

// teachModel is the model a teaching run trains an adapter for.
func (e *Engine) teachModel(model string) (string, error) {
	if model == "" {
		s := e.Settings()
		if s.ChatServer != "" {
			return "", errors.New("teaching needs a model file on this computer; the chat model is on a model server (name a GGUF file)")
		}
		model = s.ChatModel
	}
	if model == "" {
		return "", ErrNoChatModel
	}
	if _, err := os.Stat(model); err != nil {
		return "", fmt.Errorf("%w: %s", ErrModelNotFound, model)
	}
	return model, nil
}

// Errors of Teach.
var (
	// ErrTooLittleText means the library holds too little text to teach.
	ErrTooLittleText = teach.ErrTooLittle
	// ErrOtherBase means an adapter was taught for another model.
	ErrOtherBase = teach.ErrOtherBase
)

// Teach trains a LoRA adapter for a model on the passages of a library,
// on this computer, and writes it where o says (see [TeachOptions]). A
// tenth of the passages is held out of training to measure it. Cancelling
// ctx pauses the run: it saves a checkpoint, and Teach with the same
// library and options resumes from it. The adapter records the model it
// was taught for; applying it to another is refused. Answers meanwhile
// keep using the current model and adapter.
func (e *Engine) Teach(ctx context.Context, library string, o TeachOptions, progress func(TeachProgress)) (_ *TeachResult, err error) {
	defer func() { // a pause reads as one, whichever step it stopped
		if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = ctx.Err()
		}
	}()
	model, err := e.teachModel(o.Model)
	if err != nil {
		return nil, err
	}
	passages, err := e.libraryPassages(ctx, library)
	if err != nil {
		return nil, err
	}
	if len(passages) == 0 {
		return nil, fmt.Errorf("%w: library %q has no indexed passages yet", ErrTooLittleText, library)
	}
	out := o.Out
	if out == "" {
		out = e.TaughtAdapter(library, model)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, err
	}
	// The checkpoint sits beside the adapter, named after it, so the same
	// request finds it again.
	run := filepath.Join(filepath.Dir(out), "."+strings.TrimSuffix(filepath.Base(out), ".gguf")+".run")
	return teach.Run(ctx, passages, teach.Options{Model: model, Out: out, Checkpoints: run, Library: library,
		Rank: o.Rank, Window: o.Window, Epochs: o.Epochs, MaxSteps: o.MaxSteps, LearningRate: o.LearningRate, Threads: o.Threads}, progress)
}

// libraryPassages is the text of a library's passages, document by
// document.
func (e *Engine) libraryPassages(ctx context.Context, library string) ([]string, error) {
	docs, err := e.Documents(ctx, library)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range docs {
		ps, err := e.Passages(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			out = append(out, p.Text)
		}
	}
	return out, nil
}

// TaughtAdapter is the file Teach writes by default for library and the
// model file model ("" for the settings' chat model).
func (e *Engine) TaughtAdapter(library, model string) string {
	if model == "" {
		model = e.Settings().ChatModel
	}
	stem := strings.TrimSuffix(filepath.Base(model), filepath.Ext(model))
	return filepath.Join(e.dir, "adapters", fileSafe(library)+"-"+fileSafe(stem)+".gguf")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileSafe(s string) string {
	s = strings.Trim(unsafeName.ReplaceAllString(s, "-"), "-.")
	if s == "" {
		return "library"
	}
	return s
}
