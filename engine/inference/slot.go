package inference

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/settings"
)

// State says where the chat model stands.
type State string

// Model states.
const (
	None    State = "none"    // no chat model is set
	Loading State = "loading" // it is being loaded
	Ready   State = "ready"
	Failed  State = "failed" // Err says why
)

// Status describes the chat model.
type Status struct {
	State State
	// Path is the GGUF file, or the model server's address.
	Path string
	// Remote is the model server answers come from (scheme://host), ""
	// for a model on this computer.
	Remote    string
	Info      gguf.Info
	Placement Placement
	Threads   int
	// ChatFormat says how conversations are laid out for the model: its
	// own chat template, or a plain transcript (and why).
	ChatFormat string
	Err        error
}

// Placement says where a model runs and why.
type Placement struct {
	Device    string // the device of the offloaded layers, or "CPU"
	Backend   string // "CUDA", "Metal", "Vulkan" or "CPU"
	GPULayers int    // layers on the GPU; 0 means the CPU alone
	Layers    int    // the model's layer count
	Reason    string // why, in words
}

// PlacementOf is llm's placement in words for the person.
func PlacementOf(p llm.Placement) Placement {
	return Placement{Device: p.Device, Backend: p.Backend, GPULayers: p.GPULayers, Layers: p.Layers, Reason: p.Reason}
}

// Slot holds the chat model: loads run in the background, an answer waits
// for the load in progress, and a replaced model is freed once the
// answers using it are done. Its zero value holds none.
type Slot struct {
	mu      sync.Mutex
	cur     *Chat
	state   State
	path    string
	err     error
	gen     int           // counts loads, so a stale load is discarded
	loading chan struct{} // closed when the current load ends
	wg      sync.WaitGroup
}

// Load starts loading the chat model of s (Source; "" unloads) and
// returns at once; emit is told of the load's progress and end.
func (sl *Slot) Load(ctx context.Context, s settings.Settings, emit func(event.Event)) {
	src := Source(s)
	sl.mu.Lock()
	sl.gen++
	gen := sl.gen
	old := sl.cur
	sl.cur, sl.err, sl.path = nil, nil, src
	done := make(chan struct{})
	sl.loading = done
	if src == "" {
		sl.state = None
		close(done)
	} else {
		sl.state = Loading
	}
	sl.mu.Unlock()
	if old != nil {
		sl.wg.Add(1)
		go func() { defer sl.wg.Done(); old.close() }()
	}
	if src == "" {
		return
	}
	emit(event.Event{Kind: event.ModelLoading, Path: src})
	sl.wg.Add(1)
	go func() {
		defer sl.wg.Done()
		defer close(done)
		cm, err := LoadChat(ctx, s, func(p float32) {
			emit(event.Event{Kind: event.ModelLoading, Path: src, Fraction: float64(p)})
		})
		sl.mu.Lock()
		if gen != sl.gen { // replaced while loading
			sl.mu.Unlock()
			if cm != nil {
				cm.close()
			}
			return
		}
		sl.cur, sl.err = cm, err
		if err != nil {
			sl.state = Failed
		} else {
			sl.state = Ready
		}
		sl.mu.Unlock()
		if err != nil {
			emit(event.Event{Kind: event.ModelFailed, Path: src, Err: err})
		} else {
			emit(event.Event{Kind: event.ModelReady, Path: src})
		}
	}()
}

// Acquire waits for a load in progress and returns the model, held (call
// its Release), or nil when none is set.
func (sl *Slot) Acquire(ctx context.Context) (*Chat, error) {
	for {
		sl.mu.Lock()
		loading := sl.loading
		sl.mu.Unlock()
		if loading != nil {
			select {
			case <-loading:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		sl.mu.Lock()
		if sl.loading != loading { // another load started meanwhile
			sl.mu.Unlock()
			continue
		}
		defer sl.mu.Unlock()
		if sl.err != nil {
			return nil, fmt.Errorf("inference: the chat model %s could not be loaded: %w", filepath.Base(sl.path), sl.err)
		}
		if sl.cur != nil {
			sl.cur.users.Add(1)
		}
		return sl.cur, nil
	}
}

// Status reports the model and where its load stands.
func (sl *Slot) Status() Status {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	st := Status{State: sl.state, Path: sl.path, Err: sl.err}
	if st.State == "" {
		st.State = None
	}
	if sl.cur != nil {
		sl.cur.describe(&st)
	}
	return st
}

// Close frees the model after the answers in progress and waits for
// loads.
func (sl *Slot) Close() {
	sl.mu.Lock()
	sl.gen++
	old := sl.cur
	sl.cur = nil
	sl.state = None
	sl.mu.Unlock()
	if old != nil {
		old.close()
	}
	sl.wg.Wait()
}
