// Package event declares the one type that reports Carrel's background
// work, from the indexing queue to the window: a file queued, read,
// indexed or failed, the queue's progress, a folder followed, a page of a
// scan read, a team member's change, and the chat model's loading.
package event

import "time"

// Kind says what an Event reports.
type Kind string

// Event kinds.
const (
	Queued   Kind = "queued"   // files were added to the indexing queue
	Indexing Kind = "indexing" // a file is being indexed (Path)
	Indexed  Kind = "indexed"  // a file is searchable (Path)
	Failed   Kind = "failed"   // a file could not be indexed (Path; Err says why)
	Removed  Kind = "removed"  // a file left the library (Path)
	Progress Kind = "progress" // Done of Total files, Fraction of the work, ETA
	Idle     Kind = "idle"     // indexing finished
	Watching Kind = "watching" // a folder is followed for changes (Path)
	Page     Kind = "page"     // OCR is reading Page of Pages of a scanned file (Path)
	// Changed: another member of a team library changed a document
	// (Path, Status; Path is "" when the whole library was read again).
	Changed Kind = "changed"

	ModelLoading Kind = "model_loading" // the chat model loads (Path; Fraction from 0 to 1)
	ModelReady   Kind = "model_ready"   // it is ready (Path)
	ModelFailed  Kind = "model_failed"  // it could not be loaded (Path; Err says why)
)

// Event reports background work.
type Event struct {
	Kind Kind
	Time time.Time
	// Library names the library of the file; LibraryID is its number in
	// the store that reported it, which the engine turns into the name.
	Library   string
	LibraryID int64
	Path      string
	Status    string // a document's new status
	Done      int    // files indexed since the queue was last empty
	Total     int    // files queued since then
	// ETA is the time indexing has left, estimated from the work that
	// remains at the rate measured so far; 0 while it is being measured.
	ETA time.Duration
	// Fraction is the share of the indexing work done (by the files'
	// sizes, not their count), or of the chat model loaded: 0 to 1.
	Fraction float64
	Err      error
	// Page and Pages, for Page: the pages of a scan read so far and how
	// many it has.
	Page, Pages int
}
