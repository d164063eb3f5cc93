package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/llm"
)

// modelFlags are the flags every command that runs a model shares.
type modelFlags struct {
	model     string
	cpu       bool
	gpuLayers int
	threads   int
	ctxSize   int
	batch     int
	lora      string
	loraScale float64
	poll      int
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.model, "model", "", "GGUF model `file` (required)")
	fs.BoolVar(&m.cpu, "cpu", false, "run on the CPU even when a GPU is present")
	fs.IntVar(&m.gpuLayers, "gpu-layers", 0, "layers to offload to the GPU (0: all that fit)")
	fs.IntVar(&m.threads, "threads", 0, "CPU threads (0: one per physical core)")
	fs.IntVar(&m.ctxSize, "ctx", 0, "context window in tokens (0: the model's, at most 4096)")
	fs.IntVar(&m.batch, "batch", 0, "prompt tokens evaluated per step (0: 512)")
	fs.StringVar(&m.lora, "lora", "", "LoRA adapter `file` (GGUF) to apply")
	fs.Float64Var(&m.loraScale, "lora-scale", 1, "strength of the LoRA adapter")
	fs.IntVar(&m.poll, "poll", 0, "how eagerly idle CPU threads wait for work: 1 to 100 (spin), -1 none (0: the default)")
}

func (m *modelFlags) validate() error {
	switch {
	case m.model == "":
		return usagef("--model FILE is required (a GGUF model file)")
	case m.threads < 0 || m.threads > runtime.NumCPU():
		return usagef("--threads must be 0 (one per physical core) to %d, the processors of this computer", runtime.NumCPU())
	case m.poll < -1 || m.poll > 100:
		return usagef("--poll must be -1 (none) to 100")
	case m.ctxSize < 0 || m.batch < 0 || m.gpuLayers < 0:
		return usagef("--ctx, --batch and --gpu-layers must be 0 or more")
	}
	return nil
}

// open loads the model (with a progress line on a terminal), makes a
// context and applies the adapter. close frees all three.
func (m *modelFlags) open(ctx context.Context, stderr io.Writer) (c *llm.Context, closeAll func(), err error) {
	if err := m.validate(); err != nil {
		return nil, nil, err
	}
	if !llm.Available() {
		return nil, nil, llm.ErrUnavailable
	}
	opts := llm.ModelOptions{CPUOnly: m.cpu, GPULayers: m.gpuLayers}
	if isTerminal(os.Stderr) {
		opts.Progress = func(p float32) { fmt.Fprintf(stderr, "\rloading %s %3.0f%%", m.model, p*100) }
	}
	model, err := llm.Load(ctx, m.model, opts)
	if opts.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		return nil, nil, explain(err)
	}
	c, err = model.NewContext(llm.ContextOptions{ContextSize: m.ctxSize, BatchSize: m.batch, Threads: m.threads, Poll: m.poll})
	if err != nil {
		model.Close()
		return nil, nil, explain(err)
	}
	var adapter *llm.Adapter
	if m.lora != "" {
		if adapter, err = model.LoadAdapter(m.lora); err == nil {
			err = c.ApplyAdapter(adapter, float32(m.loraScale))
		}
		if err != nil {
			c.Close()
			if adapter != nil {
				adapter.Close()
			}
			model.Close()
			return nil, nil, explain(err)
		}
	}
	return c, func() {
		c.Close()
		if adapter != nil {
			adapter.Close()
		}
		model.Close()
	}, nil
}

// explain adds the next step a person can take to a model error.
func explain(err error) error {
	switch {
	case errors.Is(err, llm.ErrNotFound):
		return fmt.Errorf("%w\n  check the path, or find GGUF models with \"carrel models list\"", err)
	case errors.Is(err, llm.ErrNotGGUF):
		return fmt.Errorf("%w\n  Carrel runs models in the GGUF format (files ending in .gguf)", err)
	case errors.Is(err, llm.ErrTruncated):
		return fmt.Errorf("%w\n  download or copy the file again", err)
	case errors.Is(err, llm.ErrUnsupportedArch):
		return fmt.Errorf("%w\n  choose a model of a common architecture (Llama, Qwen, Mistral, Gemma, Phi)", err)
	case errors.Is(err, llm.ErrOutOfMemory):
		return fmt.Errorf("%w\n  try a smaller model, a smaller --ctx, or --cpu", err)
	case errors.Is(err, llm.ErrUnavailable):
		return fmt.Errorf("%w\n  rebuild with \"make build\", which compiles llama.cpp in", err)
	case errors.Is(err, engine.ErrLibraryServer):
		return fmt.Errorf("%w\n  check the team library's address (library_server in the settings, or $%s) and that its server is running and reachable", err, libraryServerEnv)
	case errors.Is(err, engine.ErrReadOnly):
		return fmt.Errorf("%w\n  your access lets you search this team library, not change it: ask whoever runs its server", err)
	case errors.Is(err, engine.ErrModelServer):
		return fmt.Errorf("%w\n  check the model server's address and key (chat_server, embed_model in the settings, or --chat-server)", err)
	}
	return err
}

// timingLine is the one line of figures a generation prints on stderr.
func timingLine(st llm.Stats) string {
	return fmt.Sprintf("prompt %d tokens (%d cached, %.0f tok/s) · generated %d tokens at %.1f tok/s · first token %s · total %s · stop: %s",
		st.PromptTokens, st.CachedTokens, st.PromptTokensPerSecond(), st.GeneratedTokens, st.TokensPerSecond(),
		st.FirstToken.Round(time.Millisecond), st.Duration.Round(time.Millisecond), st.Reason)
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
