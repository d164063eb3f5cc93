package engine

import (
	"sync"
	"time"
)

// EventKind says what an Event reports.
type EventKind string

// Event kinds.
const (
	EventQueued   EventKind = "queued"   // files were added to the indexing queue
	EventIndexing EventKind = "indexing" // a file is being indexed
	EventIndexed  EventKind = "indexed"  // a file is searchable
	EventFailed   EventKind = "failed"   // a file could not be indexed (Err says why)
	EventRemoved  EventKind = "removed"  // a file left the library
	EventProgress EventKind = "progress" // Done of Total files, ETA
	EventIdle     EventKind = "idle"     // indexing finished
	EventWatching EventKind = "watching" // a folder is followed for changes (Path)
	EventPage     EventKind = "page"     // OCR is reading Page of Pages of a scanned file (Path)
	// EventChanged: another member of a team library changed a document
	// (Path, Status; Path is "" when the whole library was read again).
	EventChanged EventKind = "changed"

	EventModelLoading EventKind = "model_loading" // Progress from 0 to 1
	EventModelReady   EventKind = "model_ready"
	EventModelFailed  EventKind = "model_failed" // Err says why
)

// Event reports background work: indexing progress, document status
// changes and model loading.
type Event struct {
	Kind     EventKind
	Time     time.Time
	Library  string
	Path     string
	Status   string // a document's new status
	Done     int    // files indexed since the queue was last empty
	Total    int    // files queued since then
	ETA      time.Duration
	Progress float64 // model loading, 0 to 1
	Err      error
	// Page and Pages, for EventPage: the pages of a scan read so far and
	// how many it has.
	Page, Pages int
}

// events fans events out to subscribers. A subscriber that does not keep
// up misses events rather than stalling the engine: it should re-read the
// state it shows (Documents, ChatModel) when it catches up.
type events struct {
	mu     sync.Mutex
	subs   map[chan Event]bool
	closed bool
}

func (ev *events) emit(e Event) {
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
func (e *Engine) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 1024)
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	if e.events.closed {
		close(ch)
		return ch, func() {}
	}
	if e.events.subs == nil {
		e.events.subs = map[chan Event]bool{}
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
