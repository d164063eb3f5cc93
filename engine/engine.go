package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/carrel-ai/carrel/internal/private"

	"github.com/carrel-ai/carrel/engine/chunk"
	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/federated"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/inference"
	"github.com/carrel-ai/carrel/engine/ingest"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/ocr"
	"github.com/carrel-ai/carrel/engine/rag"
	"github.com/carrel-ai/carrel/engine/settings"
)

// Options open an Engine; zero values pick the defaults.
type Options struct {
	// DataDir holds the libraries, conversations and settings; "" means
	// DefaultDataDir().
	DataDir string
	// Settings, when set, replace config.toml's for this session without
	// being saved (SetSettings saves).
	Settings *Settings
	// LibraryServer, when set, is the PostgreSQL server (a postgres://
	// URL) whose libraries this session uses, in place of the settings'
	// LibraryServer, without saving it.
	LibraryServer string
	// NoLibraryServer opens the data folder's libraries even when the
	// settings name a LibraryServer, without changing them: the way back
	// to the person's settings when that server cannot be reached (the
	// window offers it). AtNextOpening then reports the team library.
	NoLibraryServer bool
	// NoIndexing leaves the indexing queue alone: files are registered by
	// Add but parsed only by an engine that indexes. For short-lived
	// programs that only ask or search.
	NoIndexing bool
	// NoWatch does not watch the libraries' folders for changes.
	NoWatch bool
	// Workers is how many files are parsed at once; 0 means the number of
	// CPUs, at most 4.
	Workers int
	// NoChatModel does not load the chat model: for programs that only
	// index or search. Ask then answers with passages only.
	NoChatModel bool
	// Rescan is the interval of the folder watcher's safety-net rescan; 0
	// means two minutes.
	Rescan time.Duration
	// BundledEmbedModel is the embedding model used when the settings name
	// none: "" means the one that ships with Carrel, found beside the
	// executable (models.FindBundled); NoEmbedModel means words only.
	BundledEmbedModel string
}

// Engine is an opened data folder: its libraries, models, conversations
// and background work. It is safe for concurrent use.
type Engine struct {
	dir  string
	opts Options
	// shelves are the places libraries live, by number (see shelf):
	// fixed at Open. all searches the open ones as one, under global IDs.
	shelves []*shelf
	all     *federated.Index
	parts   []part // the shelves grouped by embedding model, for search
	server  string // the home shelf's server, redacted; "" for the data folder
	parser  *docs.Parser
	ocr     *ocr.Engine // nil when OCR is off; guarded by mu after start
	chats   *rag.Store
	model   inference.Slot
	events  events
	ahead   ahead // reading ahead while a question is typed

	bg   context.Context // ends at Close
	stop context.CancelFunc
	mu   sync.Mutex // guards set, emb, ing, ingEnd, paused, closed; never held across long work
	// changeMu serialises SetSettings: a change prepares outside mu.
	changeMu sync.Mutex
	set      Settings
	// opened are the settings the engine opened with, and the team
	// library it opened: where libraries live is fixed for the session
	// (see AtNextOpening).
	opened Settings
	paused bool // indexing paused by the person; a new ingester starts paused too
	emb    *Embedder
	method SearchMethod // how libraries are searched: emb's file and name
	// rr re-orders the best passages of a search (Settings.Reranker); it
	// is closed, like prevEmb, only while no search holds prevMu.
	rr         *Reranker
	rerankNote string // why the chosen reranker is not in use
	// prevEmb is the embedding model before a change, kept for queries
	// while the library is re-embedded; prevMu is held (read) while a
	// search uses it, so it is closed only when no search does.
	prevEmb *Embedder
	prevMu  sync.RWMutex
	ings    []*ingest.Ingester // one per shelf, by number; nil where no store is open
	ingEnd  func()             // stops the ingesters' goroutines and waits for them
	closed  bool
	// libs caches library names for events, by global ID. It has its own
	// lock: events come from indexing workers that SetSettings may be
	// waiting for.
	libMu sync.Mutex
	libs  map[int64]string
	// loadEmbedder is LoadEmbedder; tests hold it to catch a change in
	// its slow phase.
	loadEmbedder func(ctx context.Context, path string, cpuOnly bool) (*Embedder, error)
}

// Errors of the facade.
var (
	ErrClosed        = errors.New("engine: closed")
	ErrNoLibrary     = errors.New("engine: no such library")
	ErrEmptyQuestion = errors.New("engine: the question is empty")
)

// Open opens the data folder (creating it if needed), the index, and the
// conversations; starts indexing work left unfinished (unless NoIndexing)
// and watching folders (unless NoWatch); and starts loading the chat model
// in the background (Ask waits for it).
func Open(ctx context.Context, o Options) (*Engine, error) {
	dir := o.DataDir
	if dir == "" {
		d, err := DefaultDataDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	// The library holds a person's private text: readable by them alone.
	if err := private.Dir(dir); err != nil {
		return nil, fmt.Errorf("engine: data folder: %w", err)
	}
	set, err := ReadSettings(dir)
	if err != nil {
		return nil, err
	}
	if o.Settings != nil {
		set = *o.Settings
		if err := set.Validate(); err != nil {
			return nil, err
		}
	}
	e := &Engine{dir: dir, opts: o, set: set, opened: set.Clone(), libs: map[int64]string{}, loadEmbedder: LoadEmbedder}
	e.bg, e.stop = context.WithCancel(context.Background())
	e.method = o.SearchMethodFor(set)
	if e.method.Meaning {
		emb, err := e.searchEmbedder(ctx, e.method, set)
		switch {
		case err != nil && e.method.Bundled:
			// A damaged installation still opens, searching by words.
			e.method = SearchMethod{Note: "the built-in embedding model could not be loaded: " + Describe(err)}
		case err != nil:
			return nil, fmt.Errorf("engine: embedding model: %w", err)
		default:
			e.emb = emb
		}
	}
	if set.Reranker != "" {
		// A reranker that cannot load costs search its second stage, not
		// the library: it opens without, saying why.
		if e.rr, err = LoadReranker(ctx, set.Reranker, set.CPUOnly); err != nil {
			e.rerankNote = "the reranking model could not be loaded: " + Describe(err)
		}
	}
	model := ""
	if e.emb != nil {
		model = e.emb.Model()
	}
	server := set.LibraryServer
	if o.LibraryServer != "" {
		server = o.LibraryServer
	}
	if o.NoLibraryServer {
		server = ""
	}
	e.opened.LibraryServer = server // the session's, whatever the settings say
	var home *index.Index
	if server != "" {
		e.server = index.Redact(server)
		home, err = index.OpenServer(ctx, server, model)
	} else {
		home, err = index.Open(ctx, filepath.Join(dir, "library"), model)
	}
	if err != nil {
		e.closeEmbedder()
		return nil, ingest.StorageError(err)
	}
	if e.shelves, err = e.openShelves(ctx, home, server, set, model); err == nil {
		if e.all, err = joined(e.shelves); err == nil {
			e.parts, err = partsOf(e.shelves, e.all)
		}
	}
	if err == nil {
		e.chats, err = rag.OpenStore(filepath.Join(dir, "chats"))
	}
	if err != nil {
		home.Close()
		for _, s := range e.shelves[min(1, len(e.shelves)):] {
			if s != nil {
				s.close()
			}
		}
		e.closeEmbedder()
		return nil, err
	}
	// Changes other members of a team library make arrive as the
	// index's notifications: front ends hear of them as events.
	for _, s := range e.open() {
		s.idx.OnChange(func(c index.Change) { e.libraryChanged(s, c) })
	}
	e.parser = docs.NewParser(filepath.Join(dir, "cache", "pdfium"))
	e.ocr = newOCR(set)
	e.startIngest()
	e.loadChatModel(set)
	return e, nil
}

// DataDir is the engine's data folder.
func (e *Engine) DataDir() string { return e.dir }

// IsLibraryServer reports whether s names a PostgreSQL server (a
// postgres:// URL), as the LibraryServer setting must.
func IsLibraryServer(s string) bool { return index.IsServerURL(s) }

// searchEmbedder makes the embedding model of a search method: a model
// server's, or a GGUF file loaded here.
func (e *Engine) searchEmbedder(ctx context.Context, m SearchMethod, s Settings) (*Embedder, error) {
	if IsServerAddress(s.EmbedModel) {
		return inference.ServerEmbedder(s.EmbedModel, s.EmbedServerKey, s.EmbedServerModel)
	}
	return e.loadEmbedder(ctx, m.Model, s.CPUOnly)
}

// RedactServer returns a library server's connection string without its
// password, for display.
func RedactServer(conn string) string {
	if conn == "" {
		return ""
	}
	return index.Redact(conn)
}

// LibraryServer is the PostgreSQL server the libraries of this session
// live on, without its password; "" when they live in the data folder.
func (e *Engine) LibraryServer() string { return e.server }

// startIngest makes an ingester per open shelf for the current embedder
// and starts their queues and watchers. Call with e.mu held or before the
// engine is shared.
func (e *Engine) startIngest() {
	ctx, cancel := context.WithCancel(e.bg)
	var wg sync.WaitGroup
	e.ings = make([]*ingest.Ingester, len(e.shelves))
	for _, s := range e.open() {
		m := e.emb
		if s.own {
			m = s.emb
		}
		var emb ingest.Embedder // words only: a nil interface, not a nil *Embedder
		if m != nil {
			emb = m
		}
		in := ingest.New(s.idx, e.parser, ingest.Options{
			Workers: e.opts.Workers, Embedder: emb, Chunk: chunk.Options{Size: e.set.ChunkTokens}, Rescan: e.opts.Rescan,
			OCR: e.recognizer(),
		}, func(ev event.Event) { e.ingestEvent(s, ev) })
		if e.paused {
			in.Pause()
		}
		e.ings[s.n] = in
		if !e.opts.NoIndexing {
			wg.Add(1)
			go func() { defer wg.Done(); in.Run(ctx) }()
		}
		if !e.opts.NoWatch {
			wg.Add(1)
			go func() { defer wg.Done(); in.Watch(ctx) }()
		}
	}
	e.ingEnd = func() { cancel(); wg.Wait() }
}

// closeEmbedder closes the search models: the embedding models and the
// reranker.
func (e *Engine) closeEmbedder() {
	if e.emb != nil {
		e.emb.Close()
		e.emb = nil
	}
	for _, s := range e.shelves {
		if s != nil && s.emb != nil {
			s.emb.Close()
			s.emb = nil
		}
	}
	if e.rr != nil {
		e.rr.Close()
		e.rr = nil
	}
	e.retirePrevious()
}

// retirePrevious stops using the previous embedding model: its vectors are
// dropped and the model is closed once no search uses it. Call with e.mu
// held.
func (e *Engine) retirePrevious() {
	prev := e.prevEmb
	if prev == nil {
		return
	}
	e.prevEmb = nil
	for _, s := range e.common() {
		s.idx.DropPrevious()
	}
	e.retireModel(prev)
}

// retireModel closes an embedding model once no search uses it (searches
// hold prevMu for reading while they run).
func (e *Engine) retireModel(m *Embedder) {
	if m == nil {
		return
	}
	go func() {
		e.prevMu.Lock()
		m.Close()
		e.prevMu.Unlock()
	}()
}

// reembedded retires the previous embedding model once no document has
// vectors of it any more.
func (e *Engine) reembedded() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.prevEmb == nil || e.closed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	prev := e.prevEmb.Model()
	for _, s := range e.common() {
		ds, err := s.idx.Documents(ctx, index.DocFilter{})
		if err != nil {
			return
		}
		for _, d := range ds {
			if d.Model == prev {
				return
			}
		}
	}
	e.retirePrevious()
}

// Close stops background work and frees the models. Indexing work not yet
// done stays queued in the index and resumes at the next Open; answers in
// progress are cancelled.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	end := e.ingEnd
	e.mu.Unlock()
	e.stop()
	e.ahead.stopped()
	end()
	e.model.Close()
	e.prevMu.Lock() // searches and embeddings in progress end first
	e.mu.Lock()
	e.closeEmbedder()
	e.mu.Unlock()
	e.prevMu.Unlock()
	e.parser.Close()
	e.events.close()
	var errs []error
	for _, s := range e.shelves {
		if s != nil {
			errs = append(errs, s.close())
		}
	}
	return errors.Join(errs...)
}

// ingester returns the ingester of a shelf.
func (e *Engine) ingester(s *shelf) (*ingest.Ingester, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	return e.ings[s.n], nil
}

// ingesters returns the ingester of every open shelf.
func (e *Engine) ingesters() ([]*ingest.Ingester, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	return e.running(), nil
}

// running lists the ingesters there are (one per open shelf); call with
// e.mu held.
func (e *Engine) running() []*ingest.Ingester {
	out := make([]*ingest.Ingester, 0, len(e.ings))
	for _, in := range e.ings {
		if in != nil {
			out = append(out, in)
		}
	}
	return out
}

// Settings returns the current settings. It returns at once, also while
// a change is being applied (it then returns the settings before it).
func (e *Engine) Settings() Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set.Clone() // the caller's to change
}

// SetSettings checks, saves and applies new settings. A new chat model (or
// new model options) loads in the background; a new embedding model is
// loaded now and the library is re-embedded in the background (its chunks
// stay searchable meanwhile, by the previous model's vectors and by their
// words); a new chunk size re-indexes every document in the background. It
// reports whether re-indexing began.
//
// The slow parts (loading the embedding model, stopping the indexing
// workers, loading vectors) run before the engine's lock is taken; only
// the swap of the new state happens under it, so every other call stays
// responsive during a change. Changes are applied one at a time.
func (e *Engine) SetSettings(ctx context.Context, s Settings) (reindex bool, err error) {
	if err := s.Validate(); err != nil {
		return false, err
	}
	s = s.Clone() // the engine's own from here
	e.changeMu.Lock()
	defer e.changeMu.Unlock()
	e.mu.Lock()
	closed, old := e.closed, e.set
	e.mu.Unlock()
	if closed {
		return false, ErrClosed
	}
	// A file that is not a usable model is refused now, not when it loads.
	for _, p := range []struct{ new, old, what string }{{s.ChatModel, old.ChatModel, "chat model"}, {s.Adapter, old.Adapter, "adapter"}} {
		if p.new != "" && p.new != p.old {
			if _, err := llm.ReadInfo(p.new); err != nil {
				return false, fmt.Errorf("engine: %s: %w", p.what, err)
			}
		}
	}
	if err := e.checkPlacements(ctx, old, s); err != nil {
		return false, err
	}
	// A new reranker is loaded now; it replaces the old once the settings
	// are saved.
	newRR := s.Reranker != old.Reranker || (s.Reranker != "" && s.CPUOnly != old.CPUOnly)
	var rr *Reranker
	if newRR && s.Reranker != "" {
		if rr, err = LoadReranker(ctx, s.Reranker, s.CPUOnly); err != nil {
			return false, fmt.Errorf("engine: reranking model: %w", err)
		}
	}
	swapRR := func() { // with e.mu held
		if newRR {
			if old := e.rr; old != nil {
				go func() { e.prevMu.Lock(); old.Close(); e.prevMu.Unlock() }()
			}
			e.rr, e.rerankNote = rr, ""
		}
	}
	method := e.opts.SearchMethodFor(s)
	e.mu.Lock()
	newEmbed, newChunks := method.Model != e.method.Model, s.ChunkTokens != old.ChunkTokens
	newRecognizer := ocrChanged(old, s)
	e.mu.Unlock()
	if !newEmbed && !newChunks && !newRecognizer {
		if err := settings.Save(e.dir, s); err != nil {
			if rr != nil {
				rr.Close()
			}
			return false, err
		}
		e.mu.Lock()
		e.set = s
		swapRR()
		e.mu.Unlock()
		e.reloadChatModel(old, s)
		return false, nil
	}
	var emb *Embedder
	if newEmbed && method.Meaning {
		if emb, err = e.searchEmbedder(ctx, method, s); err != nil {
			return false, fmt.Errorf("engine: embedding model: %w", err)
		}
	}
	if err := settings.Save(e.dir, s); err != nil {
		if emb != nil {
			emb.Close()
		}
		if rr != nil {
			rr.Close()
		}
		return false, err
	}
	// Stop the workers (they finish the file in hand) before the models
	// they use change; calls that reach the stopped ingester meanwhile
	// still queue their work, which the new one takes up.
	e.mu.Lock()
	end := e.ingEnd
	e.mu.Unlock()
	end()
	var loadErr error
	if newEmbed {
		model := ""
		if emb != nil {
			model = emb.Model()
		}
		// Each index loads the new model's vectors (if any were made
		// before) beside the current ones, then switches; searches go on
		// meanwhile with the current set.
		for _, sh := range e.common() {
			if err := sh.idx.ChangeModel(ctx, model); err != nil && loadErr == nil {
				loadErr = err
			}
		}
	}
	e.mu.Lock()
	if newEmbed && loadErr == nil {
		// The index now holds the vectors of the model in use before as
		// its previous set (ChangeModel): an earlier previous model is
		// closed, once no search uses it.
		e.retireModel(e.prevEmb)
		e.prevEmb = nil
		if e.emb != nil && emb != nil {
			// The old model keeps answering queries for the passages not
			// yet re-embedded; it is closed when all are done.
			e.prevEmb = e.emb
		} else {
			e.retireModel(e.emb)
		}
		e.emb = emb
		e.method = method
	} else if emb != nil {
		emb.Close()
	}
	e.set = s
	swapRR()
	if newRecognizer {
		// The new ingester reads the scans left out before (see
		// ingest's prepare) when OCR is now available.
		e.ocr = newOCR(s)
	}
	e.startIngest()
	ings := e.running()
	e.mu.Unlock()
	if loadErr != nil {
		return false, loadErr
	}
	if newChunks {
		for _, in := range ings {
			if _, err := in.RequeueAll(ctx); err != nil {
				return true, err
			}
		}
	}
	e.reloadChatModel(old, s)
	return newEmbed || newChunks, nil
}

// reloadChatModel loads the chat model again when a setting it depends on
// changed.
func (e *Engine) reloadChatModel(old, s Settings) {
	if s.ChatModel != old.ChatModel || s.ChatServer != old.ChatServer || s.ChatServerKey != old.ChatServerKey ||
		s.ChatServerModel != old.ChatServerModel || s.CPUOnly != old.CPUOnly || s.Threads != old.Threads || s.ContextSize != old.ContextSize ||
		s.Adapter != old.Adapter || s.AdapterScale != old.AdapterScale || s.SystemPrompt != old.SystemPrompt {
		e.loadChatModel(s)
	}
}

// loadChatModel starts loading the chat model of s, unless the engine was
// opened without one.
func (e *Engine) loadChatModel(s Settings) {
	if e.opts.NoChatModel {
		s.ChatModel, s.ChatServer = "", ""
	}
	e.model.Load(e.bg, s, e.events.emit)
}

// ChatModel says whether a chat model is set, loading, ready or failed.
func (e *Engine) ChatModel() ModelStatus { return e.model.Status() }

// WaitModel waits for the chat model's load in progress, if any, and
// returns its status.
func (e *Engine) WaitModel(ctx context.Context) (ModelStatus, error) {
	cm, err := e.model.Acquire(ctx)
	if cm != nil {
		cm.Release()
	}
	if ctx.Err() != nil {
		return e.model.Status(), ctx.Err()
	}
	return e.model.Status(), err
}

// since merges a caller's context with the engine's lifetime.
func (e *Engine) since(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(e.bg, cancel)
	return ctx, func() { stop(); cancel() }
}

// ingestEvent passes a shelf's ingester's event on, naming its library.
// Indexing has finished when every shelf's has: the last to finish
// announces it (each has set its state before its event runs, so one of
// two finishing together sees the other idle).
func (e *Engine) ingestEvent(s *shelf, ev event.Event) {
	if ev.Kind == event.Idle {
		e.mu.Lock()
		self, ings := e.ings[s.n], e.running()
		e.mu.Unlock()
		for _, in := range ings {
			if in != self && !in.Idle() {
				return
			}
		}
	}
	if ev.LibraryID != 0 {
		ev.Library = e.libraryName(s, ev.LibraryID)
	}
	e.events.emit(ev)
	if ev.Kind == event.Idle {
		go e.reembedded()
	}
}

// libraryChanged reports a change another process made to a library on a
// server, once the index has applied it.
func (e *Engine) libraryChanged(s *shelf, c index.Change) {
	ev := event.Event{Kind: event.Changed}
	if c.Document != 0 {
		ctx, cancel := context.WithTimeout(e.bg, 10*time.Second)
		d, err := s.idx.DocumentByID(ctx, c.Document)
		cancel()
		switch {
		case errors.Is(err, index.ErrNotFound):
			ev.Status = "removed"
		case err != nil:
			return // the engine is closing, or the server is away
		default:
			ev.Path, ev.Status, ev.Library = d.Path, string(d.Status), e.libraryName(s, d.LibraryID)
		}
	}
	e.events.emit(ev)
}

// libraryName names a shelf's library by its ID in the shelf's store.
func (e *Engine) libraryName(s *shelf, id int64) string {
	g := federated.Global(s.n, id)
	e.libMu.Lock()
	name, ok := e.libs[g]
	e.libMu.Unlock()
	if ok {
		return name
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	libs, err := s.idx.Libraries(ctx)
	if err != nil {
		return ""
	}
	e.libMu.Lock()
	defer e.libMu.Unlock()
	for _, l := range libs {
		e.libs[federated.Global(s.n, l.ID)] = l.Name
	}
	return e.libs[g]
}

// checkPlacements refuses to place on a server a library that holds
// documents in the data folder: the name would then mean the server's
// library, and the documents here would be out of sight.
func (e *Engine) checkPlacements(ctx context.Context, old, s Settings) error {
	home := e.shelves[0]
	for name := range s.LibraryServers {
		if _, was := old.LibraryServers[name]; was || (e.server != "" && index.Redact(s.LibraryServers[name]) == e.server) {
			continue
		}
		l, err := home.idx.FindLibrary(ctx, name)
		if errors.Is(err, index.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("engine: library %q: %w", name, err)
		}
		st, err := home.idx.Stats(ctx, l.ID)
		if err != nil {
			return fmt.Errorf("engine: library %q: %w", name, err)
		}
		if st.Documents > 0 {
			return fmt.Errorf("engine: settings: library %q already holds %d documents where your other libraries are; placed on a server, they would be out of sight: remove them from it first, or give the server's library another name", name, st.Documents)
		}
	}
	return nil
}
