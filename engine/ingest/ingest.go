// Package ingest keeps a library's index in step with files on disk: it
// adds files and folders, parses, chunks and embeds them in a background
// queue, and watches folders so that a saved file is searchable within
// seconds and a deleted one leaves the index at once.
//
// The queue lives in the index itself (documents not yet ready), so work
// interrupted by a crash resumes when the library is opened again.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carrel-ai/carrel/engine/chunk"
	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/status"
)

// largeFile is the size above which files are indexed one at a time: the
// peak memory of indexing is about ten times the largest file in hand
// (docs/library.md, "Reliability").
const largeFile = 8 << 20

// HeapBudget is the soft limit of the Go heap, in bytes, that a program
// indexing documents runs under (runtime/debug.SetMemoryLimit: the limit
// is the program's to set, not a library's). Indexing the largest file
// accepted keeps a few times its text live; near the limit the collector
// works harder instead of letting the heap double. With the embedding
// model, the program and the PDF engine's compiled code beside it, a
// 50 MB one-line file indexes within 512 MB of resident memory
// (docs/benchmarks.md).
const HeapBudget = 256 << 20

// StorageError returns err with failure.ErrStorage in its chain when it says the
// library's disk is full, and err unchanged otherwise.
func StorageError(err error) error {
	if err = index.MarkFull(err); errors.Is(err, index.ErrFull) && !errors.Is(err, failure.ErrStorage) {
		return fmt.Errorf("%w: %w", failure.ErrStorage, err)
	}
	return err
}

// Retryable reports whether a document that failed may succeed on another
// attempt: its failure came from the moment (a busy or full disk, a slow
// machine, a cancelled run) rather than from the file, and it has failed
// fewer than three times. Such documents are queued again by the next
// Add of their file and the next Run.
func Retryable(d index.Document) bool {
	switch k := failure.Kind(d.ErrorKind); {
	case k.FromTheFile():
		return false // scans are read again when OCR appears (see prepare)
	case k == failure.Cancelled:
		return true // the person stopped it; adding it again means go on
	}
	return d.Attempts < 3
}

// Embedder computes unit vectors for passages (see index.Embedder).
type Embedder = index.Embedder

// TokenCounter is implemented by embedders that can count tokens with the
// model's tokenizer, for sizing chunks exactly.
type TokenCounter interface {
	CountTokens(text string) int
}

// Options configure an Ingester; zero values pick the defaults.
type Options struct {
	// Workers is how many files are parsed at once; 0 means the number of
	// CPUs, at most 4.
	Workers int
	// Chunk sizes passages.
	Chunk chunk.Options
	// Embedder makes vectors; nil means lexical search only.
	Embedder Embedder
	// ParseTimeout bounds one file; 0 means 2 minutes. Pages read by OCR
	// have a limit each instead.
	ParseTimeout time.Duration
	// OCR reads scanned pages and pictures; nil means they are recorded
	// as scanned (failure.ErrScanned). Pictures in added folders are
	// indexed only while OCR is available.
	OCR docs.Recognizer
	// OCRDPI is the resolution scanned PDF pages are read at; 0 means
	// docs.DefaultOCRDPI.
	OCRDPI int
	// OCRPages is how many pages of one scan are read at once; 0 means
	// one, and one more for each worker that has no file (see ocrPages).
	OCRPages int
	// Rescan is the interval of the watcher's safety-net rescan; 0 means
	// two minutes.
	Rescan time.Duration
}

// Ingester runs the queue of one index. It is safe for concurrent use.
type Ingester struct {
	idx    *index.Index
	parser *docs.Parser
	opts   Options
	emit   func(event.Event)

	mu       sync.Mutex
	cancelMu sync.Mutex // Cancel, and a claim settling against it
	wake     chan struct{}
	busy     map[int64]bool // documents being processed
	// elsewhere are the documents of a team library whose files are not
	// on this computer: another member's, left queued for them.
	elsewhere map[int64]bool
	paused    bool
	done      int
	total     int
	counted   map[int64]int64 // documents counted in total since the queue was last empty, with their work
	// workDone and workTotal measure the same in work (see work), from
	// which the time left is estimated.
	workDone, workTotal int64
	retries             map[int64]int // failed store writes per document, for backing off
	// halted is why indexing stopped by itself: the library could not be
	// written (a full disk). Resume, or the next run, tries again.
	halted  error
	owner   string // this ingester's name on its claims (see index.Claim)
	started time.Time
	now     func() time.Time // the clock progress is timed by
	large   chan struct{}    // held while a large file is indexed (see largeFile)
	// folders tells the watcher that a watched folder was added, so it
	// follows it at once rather than at the next rescan.
	folders chan struct{}
	// settling counts the changes the watcher has seen and not yet
	// queued (their debounce is running): Wait waits for them too, so a
	// caller who changed a watched file and then waits finds it indexed.
	settling int
	epoch    int // bumped by Cancel: workers drop what they took before
	idleCond *sync.Cond
	prepared chan struct{} // closed when Run has taken up earlier work
	prepOnce sync.Once
	// passwords for encrypted files, by path: used for the next attempt
	// to read the file, then forgotten (never written to disk).
	passwords map[string]string
	// looks counts the workers' looks at the queue: an idle queue must
	// not be looked at again and again (TestIdleWorkersSleep).
	looks atomic.Int64
}

// SetPassword gives the password of an encrypted file for its next
// indexing; queue the file again (status.Queued) to use it.
func (in *Ingester) SetPassword(path, password string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.passwords == nil {
		in.passwords = map[string]string{}
	}
	in.passwords[path] = password
	in.poke()
}

func (in *Ingester) takePassword(path string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	pw := in.passwords[path]
	delete(in.passwords, path)
	return pw
}

// New returns an Ingester. emit, if not nil, receives events; it must not
// block for long.
func New(idx *index.Index, parser *docs.Parser, opts Options, emit func(event.Event)) *Ingester {
	if opts.Workers <= 0 {
		opts.Workers = min(runtime.NumCPU(), 4)
	}
	if opts.ParseTimeout <= 0 {
		opts.ParseTimeout = 2 * time.Minute
	}
	if opts.Rescan <= 0 {
		opts.Rescan = 2 * time.Minute
	}
	if emit == nil {
		emit = func(event.Event) {}
	}
	in := &Ingester{idx: idx, parser: parser, opts: opts, emit: emit, wake: make(chan struct{}, 1), busy: map[int64]bool{}, elsewhere: map[int64]bool{},
		counted: map[int64]int64{}, retries: map[int64]int{}, prepared: make(chan struct{}), folders: make(chan struct{}, 1), owner: newOwner(), large: make(chan struct{}, 1), now: time.Now}
	in.idleCond = sync.NewCond(&in.mu)
	if tc, ok := opts.Embedder.(TokenCounter); ok && in.opts.Chunk.Count == nil {
		in.opts.Chunk.Count = tc.CountTokens
	}
	return in
}

// skipDirs and skipExt are never indexed when walking folders: system
// folders, and files that are certainly not documents.
var (
	skipNames = map[string]bool{"Thumbs.db": true, "desktop.ini": true, "node_modules": true, "__pycache__": true, "$RECYCLE.BIN": true, "System Volume Information": true}
	// imageExt are pictures: indexed, through OCR, when OCR is available
	// (a folder of scans), else skipped like other non-documents.
	imageExt = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".tif": true, ".tiff": true, ".webp": true, ".bmp": true}
	skipExt  = map[string]bool{
		".gif": true, ".heic": true, ".ico": true, ".svg": true,
		".mp3": true, ".wav": true, ".flac": true, ".ogg": true, ".m4a": true, ".mp4": true, ".mov": true, ".avi": true, ".mkv": true, ".webm": true,
		".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".7z": true, ".rar": true, ".iso": true, ".dmg": true,
		".exe": true, ".dll": true, ".so": true, ".dylib": true, ".bin": true, ".o": true, ".a": true, ".class": true, ".jar": true,
		".ttf": true, ".otf": true, ".woff": true, ".woff2": true, ".db": true, ".sqlite": true, ".gguf": true, ".safetensors": true,
		".tmp": true, ".swp": true, ".lock": true, ".part": true, ".crdownload": true, ".lnk": true,
	}
)

// ignored reports whether a name inside a folder walk is skipped: hidden
// files, system files, office lock files, non-documents, and the
// library's ignore patterns (matched against the name and the path
// relative to the folder added).
func ignored(name, rel string, isDir, images bool, patterns []string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") || skipNames[name] {
		return true
	}
	if ext := strings.ToLower(filepath.Ext(name)); !isDir && (skipExt[ext] || (!images && imageExt[ext])) {
		return true
	}
	for _, p := range patterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
		if ok, _ := filepath.Match(p, filepath.ToSlash(rel)); ok {
			return true
		}
	}
	return false
}

// Add queues files and whole folders (recursively) of a library and
// records them as its sources. It returns how many files were queued
// (unchanged, already indexed files are not). Work starts in Run.
func (in *Ingester) Add(ctx context.Context, lib index.Library, watch bool, paths ...string) (n int, err error) {
	defer func() { err = StorageError(err) }()
	queued := 0
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return queued, err
		}
		st, err := os.Stat(abs)
		if err != nil || !st.IsDir() {
			// A file given by path is checked as a walk would: a pipe or a
			// device is refused at once, never opened.
			if st, err = docs.Check(abs); err != nil {
				return queued, err
			}
		}
		if err := in.idx.AddSource(ctx, lib.ID, abs, watch && st.IsDir()); err != nil {
			return queued, err
		}
		if !st.IsDir() {
			n, err := in.enqueue(ctx, lib.ID, abs, st)
			queued += n
			if err != nil {
				return queued, err
			}
			continue
		}
		n, err := in.walk(ctx, lib, abs, nil)
		queued += n
		if err != nil {
			return queued, err
		}
	}
	if queued > 0 {
		in.emit(event.Event{Kind: event.Queued, LibraryID: lib.ID, Total: queued})
		in.poke()
	}
	if watch {
		select {
		case in.folders <- struct{}{}:
		default:
		}
	}
	return queued, nil
}

// walk queues the files below root; seen, if not nil, collects the paths
// found (for rescans, to notice deletions).
func (in *Ingester) walk(ctx context.Context, lib index.Library, root string, seen map[string]bool) (int, error) {
	queued := 0
	images := in.readsImages(ctx)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable folder: skip it, keep walking
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(root, path)
		if path != root && ignored(d.Name(), rel, d.IsDir(), images, lib.Ignore) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // folders are entered; links and devices are not followed
		}
		if seen != nil {
			seen[path] = true
		}
		st, err := d.Info()
		if err != nil {
			return nil
		}
		n, err := in.enqueue(ctx, lib.ID, path, st)
		queued += n
		return err
	})
	return queued, err
}

// retryable is Retryable, and also true for a scan recorded while OCR
// was missing, now that it is here.
func (in *Ingester) retryable(ctx context.Context, d index.Document) bool {
	if Retryable(d) {
		return true
	}
	return errors.Is(failure.Kind(d.ErrorKind).Err(), failure.ErrScanned) && in.readsImages(ctx)
}

// readsImages reports whether pictures are indexed: only while OCR can
// read them.
func (in *Ingester) readsImages(ctx context.Context) bool {
	return in.opts.OCR != nil && in.opts.OCR.Available(ctx) == nil
}

func (in *Ingester) enqueue(ctx context.Context, lib int64, path string, st fs.FileInfo) (int, error) {
	d, changed, err := in.idx.Enqueue(ctx, lib, path, st.Size(), st.ModTime(), func(d index.Document) bool { return !in.retryable(ctx, d) })
	if err != nil || !changed {
		return 0, err
	}
	in.count(d)
	return 1, nil
}

// count adds a document to the progress total, once per batch (a file
// queued by Add while Run takes up earlier work is not counted twice).
func (in *Ingester) count(d index.Document) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if _, ok := in.counted[d.ID]; ok {
		return
	}
	if in.total == in.done {
		in.started = in.now()
	}
	w := work(d.Size)
	in.counted[d.ID] = w
	in.total++
	in.workTotal += w
}

// perFile is the work every file costs whatever its size (opening,
// detecting, storing), in bytes of work.
const perFile = 2 << 10

// work is how much indexing a file of size bytes costs, in bytes: its
// size, and the cost of a file. Time left is estimated from the work that
// remains at the rate measured so far, not from the count of files: a
// folder's small files are read in a moment and its one book takes
// minutes.
func work(size int64) int64 { return max(size, 0) + perFile }

// timeLeft estimates the time the remaining work takes at the rate of
// the work done in elapsed; 0 means not known yet (no work done, or too
// little time to measure a rate).
func timeLeft(elapsed time.Duration, done, total int64) time.Duration {
	if done <= 0 || total <= done || elapsed < time.Second {
		return 0
	}
	return time.Duration(float64(elapsed) * float64(total-done) / float64(done))
}

// Remove takes files, or everything below folders, out of a library.
func (in *Ingester) Remove(ctx context.Context, lib index.Library, paths ...string) (int, error) {
	removed := 0
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return removed, err
		}
		if err := in.idx.RemoveSource(ctx, lib.ID, abs); err != nil {
			return removed, fmt.Errorf("ingest: forgetting %s: %w", abs, err)
		}
		ds, err := in.idx.Documents(ctx, index.DocFilter{LibraryID: lib.ID, PathPrefix: abs})
		if err != nil {
			return removed, err
		}
		for _, d := range ds {
			if d.Path != abs && !strings.HasPrefix(d.Path, abs+string(filepath.Separator)) {
				continue
			}
			if err := in.removeDoc(ctx, d); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

// removeDoc deletes a document; documents that were its duplicates are
// queued to be indexed in its place.
func (in *Ingester) removeDoc(ctx context.Context, d index.Document) error {
	if err := in.idx.Remove(ctx, d.ID); err != nil && !errors.Is(err, index.ErrNotFound) {
		return err
	}
	in.emit(event.Event{Kind: event.Removed, LibraryID: d.LibraryID, Path: d.Path})
	if d.Hash != "" {
		dups, err := in.idx.Documents(ctx, index.DocFilter{LibraryID: d.LibraryID})
		if err != nil {
			return err
		}
		for _, x := range dups {
			if x.DuplicateOf == d.ID {
				if err := in.Requeue(ctx, x.ID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Pause stops taking new files; files already started finish.
func (in *Ingester) Pause() {
	in.mu.Lock()
	in.paused = true
	in.mu.Unlock()
}

// Resume continues after Pause.
func (in *Ingester) Resume() {
	in.mu.Lock()
	in.paused = false
	in.halted = nil
	clear(in.retries)
	in.mu.Unlock()
	in.poke()
}

// Paused reports whether the queue is paused.
func (in *Ingester) Paused() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.paused
}

// Cancel empties the queue: files not yet indexed are marked failed with
// the reason "cancelled" (add them again to index them).
func (in *Ingester) Cancel(ctx context.Context) error {
	// A worker that claimed a document while the queue was being paused
	// or cancelled settles it under the same lock (see claim).
	in.cancelMu.Lock()
	defer in.cancelMu.Unlock()
	in.mu.Lock()
	in.epoch++
	in.mu.Unlock()
	ds, err := in.idx.Documents(ctx, index.DocFilter{Statuses: []status.Status{status.Queued, status.Stale}})
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range ds {
		if d.Status == status.Stale {
			// Its old chunks stay valid for the old content.
			errs = append(errs, in.idx.SetStatus(ctx, d.ID, status.Ready, "", ""))
			continue
		}
		errs = append(errs, in.idx.Fail(ctx, d.ID, "", "", "indexing was cancelled", string(failure.Cancelled)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ingest: cancelling: %w", err)
	}
	in.mu.Lock()
	in.done, in.total, in.workDone, in.workTotal = 0, 0, 0, 0
	clear(in.counted)
	in.mu.Unlock()
	return nil
}

// Requeue puts a document back in the queue to be read again, even if
// its file is unchanged; its passages keep serving until the new ones
// replace them. The ingester is the queue's one owner: the facade asks it
// rather than writing a status itself.
func (in *Ingester) Requeue(ctx context.Context, id int64) error {
	if err := in.idx.SetStatus(ctx, id, status.Queued, "", ""); err != nil {
		return fmt.Errorf("ingest: queueing document %d again: %w", id, err)
	}
	d, err := in.idx.DocumentByID(ctx, id)
	if err != nil {
		d = index.Document{ID: id} // counted as a file of no size
	}
	in.count(d)
	in.poke()
	return nil
}

// RequeueAll queues every indexed document of the index to be read again
// (a new passage size), and returns how many.
func (in *Ingester) RequeueAll(ctx context.Context) (int, error) {
	ds, err := in.idx.Documents(ctx, index.DocFilter{Statuses: []status.Status{status.Ready}})
	if err != nil {
		return 0, fmt.Errorf("ingest: listing documents: %w", err)
	}
	n := 0
	for _, d := range ds {
		if d.DuplicateOf != 0 {
			continue // it follows its original
		}
		if err := in.idx.SetStatus(ctx, d.ID, status.Queued, "", ""); err != nil {
			return n, fmt.Errorf("ingest: queueing %s again: %w", d.Path, err)
		}
		in.count(d)
		n++
	}
	in.poke()
	return n, nil
}

func (in *Ingester) poke() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// Run processes the queue until ctx ends, with the configured number of
// workers. Work left unfinished by an earlier run (a crash) is taken up
// first. Workers sleep while the queue is empty and are woken by whatever
// queues work (Add, Requeue, the watcher, Resume): nothing polls.
func (in *Ingester) Run(ctx context.Context) error {
	if err := in.prepare(ctx); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	in.prepOnce.Do(func() { close(in.prepared) })
	var wg sync.WaitGroup
	for i := 0; i < in.opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.worker(ctx)
		}()
	}
	in.poke()
	wg.Wait()
	return ctx.Err()
}

// wordsFirstPassages is the size above which a document is stored for
// search by words before it is embedded (a few seconds of embedding).
const wordsFirstPassages = 16

// prepare takes up earlier work: documents caught mid-work by a crash
// start over, and documents embedded with another model (or none) are
// re-embedded in the background (they stay searchable by their words
// meanwhile). Errors are reported; the queue still runs.
func (in *Ingester) prepare(ctx context.Context) error {
	var errs []error
	// Claims of processes of this machine that are gone (a crash, a kill)
	// are taken up at once; those of other machines when they expire.
	_, err := in.idx.ReleaseOwners(ctx, ownerGone)
	errs = append(errs, err)
	// Failures of the moment (a full disk, a busy machine) get another
	// attempt.
	_, err = in.idx.RequeueFailed(ctx, func(d index.Document) bool { return in.retryable(ctx, d) })
	errs = append(errs, err)
	if in.opts.Embedder != nil {
		model := in.opts.Embedder.Model()
		if ds, err := in.idx.Documents(ctx, index.DocFilter{Statuses: []status.Status{status.Ready}}); err != nil {
			errs = append(errs, err)
		} else {
			for _, d := range ds {
				if d.Model != model && d.Chunks > 0 && d.DuplicateOf == 0 {
					errs = append(errs, in.idx.SetStatus(ctx, d.ID, status.Stale, "", ""))
				}
			}
		}
	}
	ds, err := in.idx.Documents(ctx, index.DocFilter{Statuses: []status.Status{status.Queued, status.Stale}})
	errs = append(errs, err)
	for _, d := range ds {
		in.count(d)
	}
	if err := errors.Join(errs...); err != nil {
		in.emit(event.Event{Kind: event.Failed, Err: fmt.Errorf("ingest: taking up earlier work: %w", err)})
		return err
	}
	return nil
}

func (in *Ingester) worker(ctx context.Context) {
	for ctx.Err() == nil {
		d, epoch, ok, err := in.claim(ctx)
		if err != nil && errors.Is(StorageError(err), failure.ErrStorage) {
			// Not even a claim can be written (a full disk): halt, as
			// storeFailed does, rather than try again forever.
			in.mu.Lock()
			in.halted = StorageError(err)
			in.idleCond.Broadcast()
			in.mu.Unlock()
			in.emit(event.Event{Kind: event.Failed, Err: StorageError(err)})
		}
		if err != nil {
			// The store could not be read (busy, a full disk): try again
			// shortly rather than sleep until the next change.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-in.wake:
				continue
			}
		}
		// There may be more: let another worker look. Only a worker that
		// found work passes the wake on; one that found none going back
		// to sleep must not, or idle workers wake each other forever (a
		// core burnt while nothing happens).
		in.poke()
		stop := in.keepClaim(ctx, d.ID)
		err = in.process(ctx, d, epoch)
		stop()
		switch {
		case ctx.Err() != nil:
			// Stopped (the app closing, a settings change): give the
			// document back now rather than when its claim expires.
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			in.idx.Release(rctx, d.ID, in.owner)
			cancel()
		case err != nil:
			in.storeFailed(ctx, d, err)
		default:
			in.mu.Lock()
			delete(in.retries, d.ID)
			in.mu.Unlock()
		}
		in.release(d.ID)
	}
}

// keepClaim renews the claim on a document while it is processed, and
// returns the function that stops renewing.
func (in *Ingester) keepClaim(ctx context.Context, id int64) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				in.idx.Renew(ctx, id, in.owner, lease)
			}
		}
	}()
	return func() { close(done) }
}

// storeFailed handles a document whose indexing could not be recorded:
// it goes back to the queue and is tried again after a pause that grows
// with each attempt. The store's errors are not the document's fault: on
// the third failure indexing halts (a full disk), Wait returns the error,
// and Resume or the next run tries again. A document never stays in an
// in-between status: at worst its claim expires.
func (in *Ingester) storeFailed(ctx context.Context, d index.Document, cause error) {
	in.mu.Lock()
	in.retries[d.ID]++
	n := in.retries[d.ID]
	in.mu.Unlock()
	// The write that failed may fail again for a moment (the database
	// busy with another writer): retry it a few times.
	released := false
	for i := 0; i < 5 && ctx.Err() == nil && !released; i++ {
		if err := in.idx.Release(ctx, d.ID, in.owner); err == nil {
			released = true
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(i+1) * 100 * time.Millisecond):
		}
	}
	// Even giving the document back could not be written: the store takes
	// nothing now (a full disk), so stop at once rather than fail every
	// document in turn. Its claim expires; the next run takes it up.
	if n < 3 && released {
		time.AfterFunc(time.Duration(n)*time.Second, in.poke)
		return
	}
	err := fmt.Errorf("%w: %w", failure.ErrStorage, index.MarkFull(cause))
	in.mu.Lock()
	in.halted = err
	clear(in.retries)
	in.mu.Unlock()
	in.emit(event.Event{Kind: event.Failed, LibraryID: d.LibraryID, Path: d.Path, Status: string(status.Queued), Err: err})
	in.mu.Lock()
	in.idleCond.Broadcast()
	in.mu.Unlock()
}

// claim takes the next pending document no worker (of this process or
// another) holds; ok is false when there is none, or the queue is paused
// or halted.
func (in *Ingester) claim(ctx context.Context) (d index.Document, epoch int, ok bool, err error) {
	in.looks.Add(1)
	in.mu.Lock()
	paused, epoch := in.paused || in.halted != nil, in.epoch
	skip := make(map[int64]bool, len(in.busy))
	for id := range in.busy {
		skip[id] = true
	}
	for id := range in.elsewhere {
		skip[id] = true
	}
	in.mu.Unlock()
	if paused {
		return d, 0, false, nil
	}
	d, ok, err = in.idx.Claim(ctx, in.owner, lease, skip)
	if err != nil {
		return d, epoch, false, err
	}
	if ok {
		// The queue may have been paused or cancelled while the claim was
		// made: then the document is not started. Under cancelMu, so that
		// a Cancel running now either sees it back in the queue or has
		// already counted in its epoch.
		in.cancelMu.Lock()
		in.mu.Lock()
		cancelled, paused := in.epoch != epoch, in.paused || in.halted != nil
		if !cancelled && !paused {
			in.busy[d.ID] = true
		}
		in.mu.Unlock()
		switch {
		case cancelled:
			err = in.idx.Fail(ctx, d.ID, in.owner, "", "indexing was cancelled", string(failure.Cancelled))
		case paused:
			err = in.idx.Release(ctx, d.ID, in.owner)
		}
		in.cancelMu.Unlock()
		if cancelled || paused {
			return d, 0, false, err
		}
		in.count(d)
		return d, epoch, true, nil
	}
	// Nothing to take. Documents other processes are indexing are not
	// ours to take, but their end (or their owner's death) matters to
	// Wait: look again when the first claim would expire, at most a
	// second from now.
	if n, first, err := in.idx.Claimed(ctx, in.owner); err == nil && n > 0 {
		time.AfterFunc(min(time.Second, max(time.Until(first), 10*time.Millisecond)), in.poke)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.busy) == 0 {
		if in.total > 0 {
			go in.emit(event.Event{Kind: event.Idle})
		}
		in.done, in.total, in.workDone, in.workTotal = 0, 0, 0, 0
		clear(in.counted)
		in.idleCond.Broadcast() // Wait re-checks the registry itself
	}
	return d, 0, false, nil
}

func (in *Ingester) release(id int64) {
	in.mu.Lock()
	delete(in.busy, id)
	in.done = min(in.done+1, in.total)
	in.workDone = min(in.workDone+in.counted[id], in.workTotal)
	ev := event.Event{Kind: event.Progress, Done: in.done, Total: in.total,
		ETA: timeLeft(in.now().Sub(in.started), in.workDone, in.workTotal)}
	if in.workTotal > 0 {
		ev.Fraction = float64(in.workDone) / float64(in.workTotal)
	}
	in.mu.Unlock()
	in.emit(ev)
	in.poke()
}

// Idle reports whether this process has no file in hand or counted for
// indexing now (what event.Idle announced); unlike Wait, it does not look
// at the registry.
func (in *Ingester) Idle() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.total == 0 && len(in.busy) == 0
}

// Wait blocks until the queue is empty or ctx ends. Call it once Run has
// been started: it first waits for Run to take up earlier work.
func (in *Ingester) Wait(ctx context.Context) error {
	select {
	case <-in.prepared:
	case <-ctx.Done():
		return ctx.Err()
	}
	stop := context.AfterFunc(ctx, func() {
		in.mu.Lock()
		in.idleCond.Broadcast()
		in.mu.Unlock()
	})
	defer stop()
	in.mu.Lock()
	defer in.mu.Unlock()
	var poked time.Time
	for ctx.Err() == nil {
		if in.halted != nil {
			return in.halted
		}
		if in.total == 0 && len(in.busy) == 0 && in.settling == 0 {
			pending, err := in.idx.Documents(ctx, index.DocFilter{Statuses: []status.Status{status.Queued, status.Stale, status.Parsing, status.Embedding}, Limit: len(in.elsewhere) + 1})
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("ingest: reading the queue: %w", err)
			}
			// Other members' files left queued for them are not work
			// this computer can finish.
			pending = slices.DeleteFunc(pending, func(d index.Document) bool {
				return in.elsewhere[d.ID] && (d.Status == status.Queued || d.Status == status.Stale)
			})
			if len(pending) == 0 || in.paused {
				return nil
			}
			// The work is another process's (it queued or holds it): this
			// ingester's workers, asleep, must look again, to share what
			// is queued and to follow the other's claims to their end (a
			// look schedules the next while others hold claims). At most
			// once a second, so that looking does not become a loop.
			if time.Since(poked) >= time.Second {
				poked = time.Now()
				in.poke()
			}
		}
		// Re-check at least every second: the end of another process's
		// work wakes no one here.
		t := time.AfterFunc(time.Second, func() {
			in.mu.Lock()
			in.idleCond.Broadcast()
			in.mu.Unlock()
		})
		in.idleCond.Wait()
		t.Stop()
	}
	return ctx.Err()
}

// process indexes one document. It returns an error only when the index
// could not record what happened (the worker then queues the document
// again); a file that cannot be read or parsed is recorded as failed.
func (in *Ingester) process(ctx context.Context, d index.Document, epoch int) error {
	in.emit(event.Event{Kind: event.Indexing, LibraryID: d.LibraryID, Path: d.Path, Status: string(status.Parsing)})
	st, err := os.Lstat(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		if in.idx.OnServer() {
			// A team library's file that this computer does not have is
			// another member's: it stays queued for them, not removed.
			in.mu.Lock()
			in.elsewhere[d.ID] = true
			in.mu.Unlock()
			return in.idx.Release(ctx, d.ID, in.owner)
		}
		return in.removeDoc(ctx, d)
	}
	// A large file takes many times its size in memory while it is parsed,
	// cut and stored: one at a time, so that two at once never add up.
	if err == nil && st.Size() > largeFile {
		select {
		case in.large <- struct{}{}:
			defer func() { <-in.large }()
		case <-ctx.Done():
			return nil
		}
	}
	data, err := docs.ReadFile(d.Path, docs.Options{})
	hash := ""
	if data != nil {
		hash = hashOf(data)
	}
	fail := func(msg string, cause error) error {
		if ctx.Err() != nil {
			return nil // stopped: the document stays queued and resumes later
		}
		if err := in.idx.Fail(ctx, d.ID, in.owner, hash, msg, string(failure.KindOf(cause))); err != nil {
			return fmt.Errorf("recording the failure of %s: %w", d.Path, err)
		}
		in.emit(event.Event{Kind: event.Failed, LibraryID: d.LibraryID, Path: d.Path, Status: string(status.Failed), Err: cause})
		return nil
	}
	if err != nil {
		return fail(strings.TrimPrefix(err.Error(), d.Path+": "), err)
	}
	model := ""
	if in.opts.Embedder != nil {
		model = in.opts.Embedder.Model()
	}
	indexed := func() error {
		in.emit(event.Event{Kind: event.Indexed, LibraryID: d.LibraryID, Path: d.Path, Status: string(status.Ready)})
		return nil
	}
	// The same content as indexed before, with vectors of the same model:
	// nothing to redo (a touched file, a restored backup).
	if d.Hash == hash && d.Status == status.Stale && d.Model == model {
		if err := in.idx.Advance(ctx, d.ID, in.owner, status.Ready); err != nil {
			return err
		}
		return indexed()
	}
	orig, ok, err := in.idx.FindByHash(ctx, d.LibraryID, hash, d.ID)
	if err != nil {
		return err
	}
	if ok {
		if err := in.idx.Replace(ctx, d.ID, index.Meta{Hash: hash, Format: orig.Format, Title: orig.Title, Language: orig.Language, Pages: orig.Pages, DuplicateOf: orig.ID, Owner: in.owner}, nil, nil, ""); err != nil {
			return err
		}
		// The original may have been removed meanwhile (a rename is a
		// removal and an addition): its removal re-queues duplicates it
		// sees, and this check catches a duplicate recorded just after.
		if _, err := in.idx.DocumentByID(ctx, orig.ID); errors.Is(err, index.ErrNotFound) {
			return in.Requeue(ctx, d.ID)
		}
		return indexed()
	}
	// The time limit is meant for hostile files, not for a busy machine:
	// a document that ran out of time before gets a longer one.
	limit := in.opts.ParseTimeout * time.Duration(1+2*min(d.Attempts, 2))
	doc, err := in.parser.ParseBytes(ctx, d.Path, data, docs.Options{Timeout: limit, Password: in.takePassword(d.Path),
		OCR: in.opts.OCR, OCRDPI: in.opts.OCRDPI, OCRPages: in.ocrPages(), OCRProgress: in.pageProgress(d, epoch)})
	if err != nil {
		in.mu.Lock()
		cancelled := epoch != in.epoch
		in.mu.Unlock()
		if cancelled && ctx.Err() == nil {
			// Stopped between the pages of a scan by Cancel.
			return in.idx.Fail(ctx, d.ID, in.owner, "", "indexing was cancelled", string(failure.Cancelled))
		}
		return fail(strings.TrimPrefix(err.Error(), d.Path+": "), err)
	}
	meta := index.Meta{Hash: hash, Format: string(doc.Format), Title: doc.Title, Language: doc.Language, Pages: doc.Pages, Owner: in.owner}
	if in.idx.OnServer() && len(data) <= sharedFileLimit {
		// A team library keeps the file itself, so that a member whose
		// computer does not have it (or has it elsewhere) still opens the
		// cited page.
		meta.Content = data
	}
	// The file's bytes are parsed: let them go before the passages are
	// cut (a long file's text is held several times over until stored).
	data = nil
	chunks, sections := chunk.SplitSections(doc, in.opts.Chunk)
	// The passages and sections hold the text now (sharing it where they
	// can): the parsed blocks, a third copy of a long file's words, go.
	doc.Blocks = nil
	records := make([]index.Chunk, 0, len(chunks))
	var texts []string
	for _, c := range chunks {
		if c.DuplicateOf >= 0 {
			continue // a repeated passage adds nothing to search
		}
		records = append(records, index.Chunk{Text: c.Text, Page: c.Page, Heading: c.Heading, Tokens: c.Tokens, Place: c.Place})
		if in.opts.Embedder != nil {
			texts = append(texts, embedText(doc.Title, c))
		}
	}
	for _, l := range doc.Layouts {
		meta.Layouts = append(meta.Layouts, index.Layout{Page: l.Page, Data: docs.EncodeLayout(l)})
	}
	for i, sec := range sections {
		meta.Sections = append(meta.Sections, index.Section{Ord: i, Page: sec.Page, Heading: sec.Heading, Text: sec.Text})
	}
	// Words first: a long new (or changed) document is stored and
	// searchable by its words at once, then embedded; on 2 cores a
	// 300-page book takes minutes to embed. A document re-embedded with
	// the same content keeps its old passages and vectors serving until
	// its new ones are stored whole.
	wordsFirst := in.opts.Embedder != nil && len(texts) > wordsFirstPassages && (d.Hash != hash || d.Chunks == 0)
	if wordsFirst {
		meta.Embedding = true
		if err := in.idx.Replace(ctx, d.ID, meta, records, nil, ""); err != nil {
			return err
		}
		// Stored: only the vectors are still to come, so the passages
		// and the document's sections and layouts need not stay in
		// memory while it is embedded.
		records, meta = nil, index.Meta{}
	}
	var vectors [][]float32
	if in.opts.Embedder != nil && len(texts) > 0 {
		if !wordsFirst {
			if err := in.idx.Advance(ctx, d.ID, in.owner, status.Embedding); err != nil {
				return err
			}
		}
		in.emit(event.Event{Kind: event.Indexing, LibraryID: d.LibraryID, Path: d.Path, Status: string(status.Embedding)})
		if vectors, err = in.opts.Embedder.Embed(ctx, texts); err != nil {
			return fail("embedding failed: "+err.Error(), fmt.Errorf("%w: %w", failure.ErrEmbedding, err))
		}
	}
	in.mu.Lock()
	cancelled := epoch != in.epoch
	in.mu.Unlock()
	if ctx.Err() != nil {
		return nil // the worker gives the document back
	}
	if cancelled {
		return in.idx.Fail(ctx, d.ID, in.owner, "", "indexing was cancelled", string(failure.Cancelled))
	}
	if wordsFirst {
		if _, err := in.idx.AddVectors(ctx, d.ID, in.owner, model, vectors); err != nil {
			return err
		}
		return indexed()
	}
	if err := in.idx.Replace(ctx, d.ID, meta, records, vectors, model); err != nil {
		return err
	}
	return indexed()
}

// ocrPages is how many pages of a scan the file in hand may read at once:
// its own, and one for each worker with no file (the queue is empty
// behind this one), so a scan added alone is read on every core. With a
// full queue each core has a file already, and the embedder's threads
// besides: more recognisers would only crowd them.
func (in *Ingester) ocrPages() int {
	if in.opts.OCRPages > 0 {
		return in.opts.OCRPages
	}
	in.mu.Lock()
	idle := in.opts.Workers - len(in.busy)
	in.mu.Unlock()
	return 1 + max(idle, 0)
}

// errCancelled stops the reading of a scanned document between pages
// when the queue is cancelled.
var errCancelled = errors.New("indexing was cancelled")

// pageProgress reports each page OCR reads of d, and holds the reading
// between pages while the queue is paused: reading a long scan takes
// minutes, and pausing must not wait for its end. A cancelled queue stops
// it.
func (in *Ingester) pageProgress(d index.Document, epoch int) docs.PageProgress {
	return func(ctx context.Context, done, total int) error {
		in.emit(event.Event{Kind: event.Page, LibraryID: d.LibraryID, Path: d.Path, Status: string(status.Parsing), Page: done, Pages: total})
		for {
			in.mu.Lock()
			paused, cancelled := in.paused, epoch != in.epoch
			in.mu.Unlock()
			switch {
			case cancelled:
				return errCancelled
			case ctx.Err() != nil:
				return ctx.Err()
			case !paused || done == total:
				return nil
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// embedText is what is embedded for a chunk: the document title and the
// heading give the passage its context.
func embedText(title string, c chunk.Chunk) string {
	if title == "" && c.Heading == "" {
		return c.Text // no copy: a long file's passages are held while they are embedded
	}
	var b strings.Builder
	if title != "" {
		b.WriteString(title)
		b.WriteString("\n")
	}
	if c.Heading != "" {
		b.WriteString(c.Heading)
		b.WriteString("\n")
	}
	b.WriteString(c.Text)
	return b.String()
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
