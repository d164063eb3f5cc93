package ingest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/index"
)

// debounce lets a burst of writes (an editor saving in steps) settle.
const debounce = 300 * time.Millisecond

// Watch keeps the watched folders of every library in step with the disk
// until ctx ends: file-system events (debounced) act within a second, and
// a periodic rescan catches what events miss (network drives, some
// platforms, events lost while Carrel was closed). It rescans once at the
// start.
func (in *Ingester) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	var mu sync.Mutex
	roots := map[string]index.Library{} // watched folder → its library
	// loadRoots follows the watched folders not yet followed, and returns
	// them. The libraries are read anew: their ignore patterns may have
	// changed.
	loadRoots := func() map[string]index.Library {
		srcs, err := in.idx.Sources(ctx)
		if err != nil {
			return nil
		}
		libs, err := in.idx.Libraries(ctx)
		if err != nil {
			return nil
		}
		byID := map[int64]index.Library{}
		for _, l := range libs {
			byID[l.ID] = l
		}
		added := map[string]index.Library{}
		mu.Lock()
		defer mu.Unlock()
		for _, s := range srcs {
			if !s.Watch {
				continue
			}
			lib := byID[s.LibraryID]
			if _, ok := roots[s.Path]; !ok {
				addTree(w, s.Path, lib.Ignore)
				added[s.Path] = lib
				in.emit(event.Event{Kind: event.Watching, LibraryID: lib.ID, Path: s.Path})
			}
			roots[s.Path] = lib
		}
		return added
	}
	libraryOf := func(path string) (index.Library, string, bool) {
		mu.Lock()
		defer mu.Unlock()
		for root, lib := range roots {
			if path == root || strings.HasPrefix(path, root+string(filepath.Separator)) {
				return lib, root, true
			}
		}
		return index.Library{}, "", false
	}
	loadRoots()
	in.rescan(ctx, roots, &mu)
	// Another process (a "carrel add --watch" in a terminal) records a new
	// watched folder in the database: a change to its files, debounced,
	// looks for new folders. No polling: the database's own writes say
	// when to look.
	// A library on a server has no folder: watched folders are this
	// computer's own, recorded by this computer's processes.
	dbDir := ""
	if d := in.idx.Dir(); d != "" {
		dbDir = filepath.Clean(d)
		w.Add(dbDir)
	}
	// At most one look every debounce interval, also while this process
	// writes without pause (indexing).
	var dbTimer *time.Timer
	dbChanged := make(chan struct{}, 1)
	defer func() {
		if dbTimer != nil {
			dbTimer.Stop()
		}
	}()

	// Debounce timers and background rescans end with Watch: it stops the
	// timers and waits for the work they started.
	timers := map[string]*time.Timer{}
	var tmu sync.Mutex
	var work sync.WaitGroup
	stopped := false // under tmu: no timer starts after Watch returns
	defer func() {
		tmu.Lock()
		stopped = true
		for p, t := range timers {
			if t.Stop() {
				work.Done() // the callback will not run
				in.settled()
			}
			delete(timers, p)
		}
		tmu.Unlock()
		work.Wait()
	}()
	var settle func(path string)
	settle = func(path string) {
		if ctx.Err() != nil {
			return
		}
		tmu.Lock()
		defer tmu.Unlock()
		if stopped {
			return
		}
		// A timer stopped before it fired starts over. One that has fired
		// may be running its look already: a new timer follows it (a
		// reset would run the same callback twice).
		if t, ok := timers[path]; ok && t.Stop() {
			t.Reset(debounce)
			return
		}
		work.Add(1)
		in.settleStart()
		var t *time.Timer
		t = time.AfterFunc(debounce, func() {
			defer work.Done()
			defer in.settled()
			tmu.Lock()
			if timers[path] == t {
				delete(timers, path)
			}
			tmu.Unlock()
			if ctx.Err() != nil {
				return
			}
			lib, root, ok := libraryOf(path)
			if !ok {
				return
			}
			err := in.check(ctx, w, lib, root, path)
			// Reconcile the folder too: a rename is two events that may
			// arrive apart or be coalesced, and the listing is the truth.
			if dir := filepath.Dir(path); dir == root || strings.HasPrefix(dir, root+string(filepath.Separator)) {
				err = errors.Join(err, in.reconcile(ctx, lib, root, dir))
			}
			if err != nil && ctx.Err() == nil {
				// The index could not record the change (busy, a full
				// disk): look at the path again shortly. The periodic
				// rescan is the last resort.
				in.settleStart()
				time.AfterFunc(2*time.Second, func() { settle(path); in.settled() })
			}
		})
		timers[path] = t
	}
	tick := time.NewTicker(in.opts.Rescan)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("ingest: the file watcher stopped")
			}
			name := filepath.Clean(ev.Name)
			if dbDir != "" && filepath.Dir(name) == dbDir {
				if dbTimer == nil {
					dbTimer = time.AfterFunc(debounce, func() {
						select {
						case dbChanged <- struct{}{}:
						default:
						}
					})
				}
				continue
			}
			settle(name)
		case <-dbChanged:
			dbTimer = nil
			if added := loadRoots(); len(added) > 0 {
				in.rescan(ctx, added, &mu)
			}
		case <-w.Errors:
			// Lost events (an overflowing queue): the rescan repairs.
			work.Add(1)
			go func() { defer work.Done(); in.rescan(ctx, roots, &mu) }()
		case <-in.folders:
			// A folder was added to be watched: follow it now.
			if added := loadRoots(); len(added) > 0 {
				in.rescan(ctx, added, &mu)
			}
		case <-tick.C:
			loadRoots()
			in.rescan(ctx, roots, &mu)
		}
	}
}

// addTree watches a folder and its subfolders (fsnotify is not recursive).
func addTree(w *fsnotify.Watcher, root string, ignore []string) {
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if path != root && ignored(d.Name(), rel, true, false, ignore) {
			return filepath.SkipDir
		}
		w.Add(path)
		return nil
	})
}

// check brings one changed path up to date: a new or changed file is
// queued, a new folder watched and walked, a vanished file or folder
// removed from the index. An error means the index could not record it
// (the caller tries again).
func (in *Ingester) check(ctx context.Context, w *fsnotify.Watcher, lib index.Library, root, path string) error {
	st, err := os.Stat(path)
	rel, _ := filepath.Rel(root, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		ds, err := in.idx.Documents(ctx, index.DocFilter{LibraryID: lib.ID, PathPrefix: path})
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.Path == path || strings.HasPrefix(d.Path, path+string(filepath.Separator)) {
				if err := in.removeDoc(ctx, d); err != nil {
					return err
				}
			}
		}
	case err != nil || ignored(filepath.Base(path), rel, st.IsDir(), in.readsImages(ctx), lib.Ignore):
	case st.IsDir():
		addTree(w, path, lib.Ignore)
		n, err := in.walk(ctx, lib, path, nil)
		if n > 0 {
			in.emit(event.Event{Kind: event.Queued, LibraryID: lib.ID, Total: n})
			in.poke()
		}
		return err
	case st.Mode().IsRegular():
		n, err := in.enqueue(ctx, lib.ID, path, st)
		if n > 0 {
			in.emit(event.Event{Kind: event.Queued, LibraryID: lib.ID, Path: path, Total: 1})
			in.poke()
		}
		return err
	}
	return nil
}

// reconcile makes the index agree with one folder's listing (not its
// subfolders): files present are queued if changed, files gone removed.
func (in *Ingester) reconcile(ctx context.Context, lib index.Library, root, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil // unreadable: nothing to compare with
	}
	present := map[string]bool{}
	queued := 0
	images := in.readsImages(ctx)
	var errs []error
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		rel, _ := filepath.Rel(root, path)
		if !e.Type().IsRegular() || ignored(e.Name(), rel, false, images, lib.Ignore) {
			continue
		}
		present[path] = true
		if st, err := e.Info(); err == nil {
			n, err := in.enqueue(ctx, lib.ID, path, st)
			queued += n
			errs = append(errs, err)
		}
	}
	ds, err := in.idx.Documents(ctx, index.DocFilter{LibraryID: lib.ID, PathPrefix: dir + string(filepath.Separator)})
	errs = append(errs, err)
	for _, d := range ds {
		if filepath.Dir(d.Path) == dir && !present[d.Path] {
			errs = append(errs, in.removeDoc(ctx, d))
		}
	}
	if queued > 0 {
		in.emit(event.Event{Kind: event.Queued, LibraryID: lib.ID, Total: queued})
		in.poke()
	}
	return errors.Join(errs...)
}

// rescan walks every watched folder: changed files are queued, files that
// are gone are removed.
func (in *Ingester) rescan(ctx context.Context, roots map[string]index.Library, mu *sync.Mutex) {
	mu.Lock()
	snapshot := make(map[string]index.Library, len(roots))
	for k, v := range roots {
		snapshot[k] = v
	}
	mu.Unlock()
	for root, lib := range snapshot {
		seen := map[string]bool{}
		n, err := in.walk(ctx, lib, root, seen)
		if err != nil {
			continue
		}
		ds, _ := in.idx.Documents(ctx, index.DocFilter{LibraryID: lib.ID, PathPrefix: root + string(filepath.Separator)})
		for _, d := range ds {
			if !seen[d.Path] {
				if _, err := os.Stat(d.Path); errors.Is(err, fs.ErrNotExist) {
					in.removeDoc(ctx, d)
				}
			}
		}
		if n > 0 {
			in.emit(event.Event{Kind: event.Queued, LibraryID: lib.ID, Total: n})
			in.poke()
		}
	}
}

// settleStart counts a change the watcher holds back (see settling).
func (in *Ingester) settleStart() {
	in.mu.Lock()
	in.settling++
	in.mu.Unlock()
}

// settled ends what settleStart counted, and wakes Wait to look again.
func (in *Ingester) settled() {
	in.mu.Lock()
	in.settling--
	in.idleCond.Broadcast()
	in.mu.Unlock()
}
