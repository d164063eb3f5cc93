package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/lab"
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
	flash     string
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
	fs.StringVar(&m.flash, "flash", "auto", "flash attention: auto (llama.cpp chooses), on or off")
}

func (m *modelFlags) validate() error {
	switch {
	case m.model == "":
		return usagef("--model FILE is required (a GGUF model file)")
	case m.threads < 0 || m.threads > runtime.NumCPU():
		return usagef("--threads must be 0 (one per physical core) to %d, the processors of this computer", runtime.NumCPU())
	case m.poll < -1 || m.poll > 100:
		return usagef("--poll must be -1 (none) to 100")
	case m.flash != "auto" && m.flash != "on" && m.flash != "off":
		return usagef("--flash must be auto, on or off")
	case m.ctxSize < 0 || m.batch < 0 || m.gpuLayers < 0:
		return usagef("--ctx, --batch and --gpu-layers must be 0 or more")
	}
	return nil
}

// options are the flags as the model tools take them, with a progress
// line while the model loads on a terminal.
func (m *modelFlags) options(stderr io.Writer) (lab.ModelOptions, error) {
	if err := m.validate(); err != nil {
		return lab.ModelOptions{}, err
	}
	o := lab.ModelOptions{Path: m.model, CPUOnly: m.cpu, GPULayers: m.gpuLayers, Threads: m.threads, ContextSize: m.ctxSize,
		BatchSize: m.batch, Poll: m.poll, Flash: m.flash, Adapter: m.lora, AdapterScale: float32(m.loraScale)}
	if isTerminal(os.Stderr) {
		loaded := false
		o.Progress = func(p float32) {
			fmt.Fprintf(stderr, "\rloading %s %3.0f%%", m.model, p*100)
			if p >= 1 && !loaded {
				loaded = true
				fmt.Fprint(stderr, "\r\033[K")
			}
		}
	}
	return o, nil
}

// explain adds the next step a person can take to a model error.
func explain(err error) error {
	switch {
	case errors.Is(err, engine.ErrModelNotFound):
		return fmt.Errorf("%w\n  check the path, or find GGUF models with \"carrel models list\"", err)
	case errors.Is(err, engine.ErrNotAModel):
		return fmt.Errorf("%w\n  Carrel runs models in the GGUF format (files ending in .gguf)", err)
	case errors.Is(err, engine.ErrModelTruncated):
		return fmt.Errorf("%w\n  download or copy the file again", err)
	case errors.Is(err, engine.ErrUnsupportedModel):
		return fmt.Errorf("%w\n  choose a model of a common architecture (Llama, Qwen, Mistral, Gemma, Phi)", err)
	case errors.Is(err, engine.ErrOutOfMemory):
		return fmt.Errorf("%w\n  try a smaller model, a smaller --ctx, or --cpu", err)
	case errors.Is(err, engine.ErrNoModelSupport):
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

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
