package engine

import (
	"sync"
	"time"

	"github.com/carrel-ai/carrel/engine/event"
)

// events fans events out to subscribers. A subscriber that does not keep
// up misses events rather than stalling the engine: it should re-read the
// state it shows (Documents, ChatModel) when it catches up.
type events struct {
	mu     sync.Mutex
	subs   map[chan event.Event]bool
	closed bool
}

func (ev *events) emit(e event.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for ch := range ev.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

func (ev *events) close() {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.closed = true
	for ch := range ev.subs {
		close(ch)
	}
	ev.subs = nil
}

// Subscribe returns a channel of the engine's events and a function that
// ends the subscription. The channel is closed by that function or when
// the engine closes.
func (e *Engine) Subscribe() (<-chan event.Event, func()) {
	ch := make(chan event.Event, 1024)
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	if e.events.closed {
		close(ch)
		return ch, func() {}
	}
	if e.events.subs == nil {
		e.events.subs = map[chan event.Event]bool{}
	}
	e.events.subs[ch] = true
	return ch, func() {
		e.events.mu.Lock()
		defer e.events.mu.Unlock()
		if e.events.subs[ch] {
			delete(e.events.subs, ch)
			close(ch)
		}
	}
}
