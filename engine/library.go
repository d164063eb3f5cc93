package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/federated"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/ingest"
	"github.com/carrel-ai/carrel/engine/passage"
	"github.com/carrel-ai/carrel/engine/rag"
	"github.com/carrel-ai/carrel/engine/retrieve"
	"github.com/carrel-ai/carrel/engine/status"
)

// Document is a file in a library, with its indexing status.
type Document struct {
	ID          int64
	Path        string
	Hash        string // SHA-256 of the content, hex
	Size        int64
	ModTime     time.Time
	Format      string // pdf, docx, odt, epub, html, markdown, text, rtf, csv, code, image
	Title       string
	Language    string
	Status      status.Status
	Error       string       // why it failed, in words
	ErrorKind   failure.Kind // why it failed, as a value (see Failure)
	Chunks      int          // passages indexed
	Pages       int
	IndexedAt   time.Time
	DuplicateOf int64  // another document of the library with the same content, or 0
	Model       string // embedding model of its vectors, "" for words only
}

// documentOf makes a shelf's document the facade's, under global IDs.
func documentOf(n int, d index.Document) Document {
	d = federated.DocumentOf(n, d)
	return Document{ID: d.ID, Path: d.Path, Hash: d.Hash, Size: d.Size, ModTime: d.ModTime, Format: d.Format, Title: d.Title,
		Language: d.Language, Status: d.Status, Error: d.Error, ErrorKind: failure.Kind(d.ErrorKind), Chunks: d.Chunks,
		Pages: d.Pages, IndexedAt: d.IndexedAt, DuplicateOf: d.DuplicateOf, Model: d.Model}
}

// Library describes a library.
type Library struct {
	Name        string
	Sources     []string // the files and folders it was given
	Watched     []string // the folders among them followed for changes
	Ignore      []string // patterns of files skipped in its folders
	Documents   int
	Chunks      int
	Vectors     int
	LastIndexed time.Time // "index up to date as of …"
	// Server is the PostgreSQL server the library lives on, without its
	// password; "" when it lives in the data folder.
	Server string
	// Away, when set, says why the library's server could not be reached
	// when Carrel opened: the library cannot be used until it opens again.
	Away string
	// Search, when set, is how this library is searched, with the
	// embedding model of its own (Settings.LibraryEmbedModels); nil means
	// as every library is (SearchMethod).
	Search *SearchMethod
}

// DefaultLibrary is the library files go to when none is named.
const DefaultLibrary = "My Library"

// IndexingHeapBudget is the soft limit of the Go heap, in bytes, that a
// program indexing documents should run under
// (runtime/debug.SetMemoryLimit): a process-wide setting, so the
// program's to make, not the engine's. Within it, with the embedding
// model and the PDF engine beside it, indexing hostile files (a 50 MB
// one-line file, a 40 MB paragraph) stays under 512 MB of memory.
const IndexingHeapBudget = ingest.HeapBudget

// Libraries lists the libraries with their counts.
//
// The libraries Settings.LibraryServers places on servers are listed
// whether or not they hold anything yet, each with its server; one whose
// server was away when Carrel opened is listed with the reason. A library
// of the data folder with the same name as one placed on a server is not
// listed: the name means the server's.
func (e *Engine) Libraries(ctx context.Context) ([]Library, error) {
	var out []Library
	for _, sh := range e.shelves {
		if sh == nil {
			continue
		}
		if sh.idx == nil {
			out = append(out, sh.awayLibraries(sh.down)...)
			continue
		}
		libs, err := e.shelfLibraries(ctx, sh)
		switch {
		case err != nil && sh.n > 0:
			// A server gone away since Carrel opened: its libraries are
			// listed as away, and the others still are.
			out = append(out, sh.awayLibraries(awayReason(err))...)
		case err != nil:
			return nil, err
		default:
			out = append(out, libs...)
		}
	}
	return out, nil
}

func (e *Engine) shelfLibraries(ctx context.Context, sh *shelf) ([]Library, error) {
	libs, err := sh.idx.Libraries(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: listing libraries: %w", err)
	}
	srcs, err := sh.idx.Sources(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: listing sources: %w", err)
	}
	var out []Library
	listed := map[string]bool{}
	for _, l := range libs {
		if !e.listed(sh, l.Name) {
			continue
		}
		st, err := sh.idx.Stats(ctx, l.ID)
		if err != nil {
			return nil, fmt.Errorf("engine: library %s: %w", l.Name, err)
		}
		lib := Library{Name: l.Name, Ignore: l.Ignore, Documents: st.Documents, Chunks: st.Chunks, Vectors: st.Vectors,
			LastIndexed: st.LastIndexed, Server: sh.server, Search: sh.search()}
		for _, s := range srcs {
			if s.LibraryID == l.ID {
				lib.Sources = append(lib.Sources, s.Path)
				if s.Watch {
					lib.Watched = append(lib.Watched, s.Path)
				}
			}
		}
		listed[l.Name] = true
		out = append(out, lib)
	}
	for _, name := range sh.names {
		if !listed[name] {
			out = append(out, Library{Name: name, Server: sh.server, Search: sh.search()})
		}
	}
	return out, nil
}

// library finds a library by name, with the shelf it lives on (its ID
// is the shelf's own); create makes it when missing.
func (e *Engine) library(ctx context.Context, name string, create bool) (*shelf, index.Library, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultLibrary
	}
	sh, err := e.shelfFor(name)
	if err != nil {
		return nil, index.Library{}, err
	}
	if create {
		l, err := sh.idx.Library(ctx, name)
		if err != nil {
			return nil, l, fmt.Errorf("engine: library %q: %w", name, err)
		}
		return sh, l, nil
	}
	l, err := sh.idx.FindLibrary(ctx, name)
	if err != nil {
		return nil, l, fmt.Errorf("%w: %q", ErrNoLibrary, name)
	}
	return sh, l, nil
}

// Add adds files and folders (recursively) to a library, creating the
// library if needed, and returns how many files were queued for indexing
// (unchanged files already indexed are not). Folders are watched for
// changes when watch is set.
func (e *Engine) Add(ctx context.Context, library string, watch bool, paths ...string) (int, error) {
	sh, lib, err := e.library(ctx, library, true)
	if err != nil {
		return 0, index.MarkReadOnly(err)
	}
	in, err := e.ingester(sh)
	if err != nil {
		return 0, err
	}
	abs, err := absPaths(paths)
	if err != nil {
		return 0, err
	}
	n, err := in.Add(ctx, lib, watch, abs...)
	return n, index.MarkReadOnly(err)
}

func absPaths(paths []string) ([]string, error) {
	abs := make([]string, len(paths))
	for i, p := range paths {
		var err error
		if abs[i], err = filepath.Abs(p); err != nil {
			return nil, fmt.Errorf("engine: %s: %w", p, err)
		}
	}
	return abs, nil
}

// Remove takes files, or everything below folders, out of a library. The
// files themselves are not touched.
func (e *Engine) Remove(ctx context.Context, library string, paths ...string) (int, error) {
	sh, lib, err := e.library(ctx, library, false)
	if err != nil {
		return 0, err
	}
	in, err := e.ingester(sh)
	if err != nil {
		return 0, err
	}
	abs, err := absPaths(paths)
	if err != nil {
		return 0, err
	}
	n, err := in.Remove(ctx, lib, abs...)
	return n, index.MarkReadOnly(err)
}

// Reindex reads and indexes a document again, even if it has not changed;
// its old passages keep serving until the new ones replace them.
func (e *Engine) Reindex(ctx context.Context, library, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	in, id, err := e.document(ctx, library, abs)
	if err != nil {
		return err
	}
	return in.Requeue(ctx, id)
}

// document finds a library's document by path: the ingester of its shelf
// and its ID there.
func (e *Engine) document(ctx context.Context, library, abs string) (*ingest.Ingester, int64, error) {
	sh, lib, err := e.library(ctx, library, false)
	if err != nil {
		return nil, 0, err
	}
	d, err := sh.idx.Document(ctx, lib.ID, abs)
	if err != nil {
		return nil, 0, fmt.Errorf("engine: %s is not in library %q: %w", abs, lib.Name, err)
	}
	in, err := e.ingester(sh)
	return in, d.ID, err
}

// Unlock indexes an encrypted document with its password. The password is
// used once, to read the file, and is not stored.
func (e *Engine) Unlock(ctx context.Context, library, path, password string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	in, id, err := e.document(ctx, library, abs)
	if err != nil {
		return err
	}
	in.SetPassword(abs, password)
	return in.Requeue(ctx, id)
}

// SetIgnore replaces a library's ignore patterns (globs such as "*.tmp"
// or "drafts/").
func (e *Engine) SetIgnore(ctx context.Context, library string, patterns []string) error {
	sh, lib, err := e.library(ctx, library, true)
	if err != nil {
		return err
	}
	return sh.idx.SetIgnore(ctx, lib.ID, patterns)
}

// Documents lists a library's documents ("" lists every library's), by
// path.
func (e *Engine) Documents(ctx context.Context, library string) ([]Document, error) {
	if library != "" {
		sh, lib, err := e.library(ctx, library, false)
		if err != nil {
			return nil, err
		}
		return e.shelfDocuments(ctx, sh, index.DocFilter{LibraryID: lib.ID})
	}
	var out []Document
	for _, sh := range e.open() {
		ds, err := e.shelfDocuments(ctx, sh, index.DocFilter{})
		if err != nil {
			return nil, sh.failed(err)
		}
		out = append(out, ds...)
	}
	if len(e.shelves) > 1 {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	}
	return out, nil
}

// shelfDocuments lists a shelf's documents; on a server, those of the
// libraries routed here only.
func (e *Engine) shelfDocuments(ctx context.Context, sh *shelf, f index.DocFilter) ([]Document, error) {
	ds, err := sh.idx.Documents(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("engine: listing documents: %w", err)
	}
	var keep map[int64]bool // libraries listed, by their shelf's ID; nil: all
	if f.LibraryID == 0 && (sh.n != 0 || len(e.shelves) > 1) {
		libs, err := sh.idx.Libraries(ctx)
		if err != nil {
			return nil, fmt.Errorf("engine: listing libraries: %w", err)
		}
		keep = map[int64]bool{}
		for _, l := range libs {
			if e.listed(sh, l.Name) {
				keep[l.ID] = true
			}
		}
	}
	out := make([]Document, 0, len(ds))
	for _, d := range ds {
		if keep == nil || keep[d.LibraryID] {
			out = append(out, documentOf(sh.n, d))
		}
	}
	return out, nil
}

// Pause stops indexing new files; files already started finish.
func (e *Engine) Pause() { e.setPaused(true) }

// Resume continues indexing after Pause.
func (e *Engine) Resume() { e.setPaused(false) }

func (e *Engine) setPaused(p bool) {
	e.mu.Lock()
	e.paused = p
	ings := e.running()
	e.mu.Unlock()
	for _, in := range ings {
		if p {
			in.Pause()
		} else {
			in.Resume()
		}
	}
}

// Paused reports whether indexing is paused.
func (e *Engine) Paused() bool {
	ings, err := e.ingesters()
	return err == nil && len(ings) > 0 && ings[0].Paused()
}

// CancelIndexing empties the indexing queues; files not yet indexed are
// marked failed with the reason "cancelled".
func (e *Engine) CancelIndexing(ctx context.Context) error {
	ings, err := e.ingesters()
	if err != nil {
		return err
	}
	var errs []error
	for _, in := range ings {
		errs = append(errs, in.Cancel(ctx))
	}
	return errors.Join(errs...)
}

// WaitIndexed blocks until the indexing queues are empty (or paused) or
// ctx ends.
func (e *Engine) WaitIndexed(ctx context.Context) error {
	ings, err := e.ingesters()
	if err != nil {
		return err
	}
	if e.opts.NoIndexing {
		return fmt.Errorf("engine: opened with NoIndexing; nothing indexes the queue")
	}
	for _, in := range ings {
		if err := in.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Passages returns a document's passages in order, with their pages,
// headings and places: its text as indexed.
func (e *Engine) Passages(ctx context.Context, docID int64) ([]Hit, error) {
	sh, local, err := e.locate(docID)
	if err != nil {
		return nil, err
	}
	ps, err := sh.idx.DocumentPassages(ctx, local)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	out := make([]Hit, len(ps))
	for i, c := range ps {
		c = federated.PassageOf(sh.n, c)
		out[i] = Hit{ChunkID: c.ID, DocID: c.DocID, Path: c.Doc.Path, Title: c.Doc.Title,
			Format: c.Doc.Format, Page: c.Page, Heading: c.Heading, Text: c.Text, Place: c.Place, IndexedAt: c.Doc.IndexedAt}
	}
	return out, nil
}

// SearchMode selects how passages are found.
type SearchMode = retrieve.Mode

// Search modes.
const (
	SearchHybrid  = retrieve.Hybrid  // words and meaning, fused
	SearchLexical = retrieve.Lexical // words only
	SearchVector  = retrieve.Vector  // meaning only (needs an embedding model)
)

// Scores are a hit's lexical, vector and fused scores and ranks.
type Scores = retrieve.Scores

// SearchOptions narrow a search; zero values pick the defaults.
type SearchOptions struct {
	Library string     // "" searches every library
	K       int        // results; 0 means 10
	Mode    SearchMode // "" means hybrid with an embedding model, else lexical
	Folder  string     // only documents below this folder
	// Documents, when set, searches only these documents (their paths).
	Documents []string
	Formats   []string  // only these formats ("pdf", "docx", …)
	Since     time.Time // only documents modified at or after
	Until     time.Time // only documents modified before
	// MinCoverage overrides the relevance floor: the rarity-weighted share
	// of the query's terms a passage must hold (0: the default).
	MinCoverage float64
	// Fusion combines words and meaning in a hybrid search; "" means
	// FuseScores.
	Fusion Fusion
}

// Fusion is how a hybrid search combines its two rankings.
type Fusion = retrieve.Fusion

// Fusions (see retrieve.FuseScores and retrieve.FuseRanks).
const (
	FuseScores = retrieve.FuseScores // standardised scores, added (default)
	FuseRanks  = retrieve.FuseRanks  // reciprocal rank fusion
)

// SearchResult is a search's ranked passages.
type SearchResult struct {
	Query string
	Terms []string // the query's terms, as the lexical index matched them
	Mode  SearchMode
	Hits  []Hit
	// Relevant is false when no passage passes the relevance floor: the
	// documents probably do not hold the answer, and Hits are only the
	// closest passages.
	Relevant bool
	Took     time.Duration
}

// Hit is a passage a search found, with its place and scores.
type Hit struct {
	ChunkID   int64
	DocID     int64
	Path      string
	Title     string
	Format    string
	Page      int
	Heading   string
	Text      string
	Place     passage.Place
	IndexedAt time.Time
	Scores    Scores
}

func resultOf(r retrieve.Result) SearchResult {
	out := SearchResult{Query: r.Query, Terms: r.Terms, Mode: r.Mode, Relevant: r.Relevant, Took: r.Took, Hits: make([]Hit, len(r.Hits))}
	for i, h := range r.Hits {
		out.Hits[i] = Hit{ChunkID: h.ChunkID, DocID: h.DocID, Path: h.Path, Title: h.Title, Format: h.Format, Page: h.Page,
			Heading: h.Heading, Text: h.Text, Place: h.Place, IndexedAt: h.IndexedAt, Scores: h.Scores}
	}
	return out
}

// Search finds the passages that best match query.
func (e *Engine) Search(ctx context.Context, query string, o SearchOptions) (SearchResult, error) {
	f, _, err := e.filter(ctx, o.Library, o.Folder, o.Formats, o.Documents)
	if err != nil {
		return SearchResult{}, err
	}
	f.Since, f.Until = o.Since, o.Until
	r, done := e.retriever()
	defer done()
	res, err := r.Search(ctx, query, retrieve.Options{K: o.K, Mode: o.Mode, Filter: f, MinCoverage: o.MinCoverage, Fusion: o.Fusion})
	if err != nil {
		return SearchResult{}, e.storeFailure(err)
	}
	return resultOf(res), nil
}

func (e *Engine) filter(ctx context.Context, library, folder string, formats, documents []string) (index.Filter, string, error) {
	var f index.Filter
	if library != "" {
		sh, lib, err := e.library(ctx, library, false)
		if err != nil {
			return f, "", err
		}
		f.Libraries = []int64{federated.Global(sh.n, lib.ID)}
		library = lib.Name
	} else if len(e.shelves) > 1 {
		// Every library listed: a server's other libraries, and a data
		// folder's library hidden by a server's of the same name, are
		// left out.
		for _, sh := range e.open() {
			libs, err := sh.idx.Libraries(ctx)
			if err != nil {
				return f, "", sh.failed(fmt.Errorf("engine: listing libraries: %w", err))
			}
			for _, l := range libs {
				if e.listed(sh, l.Name) {
					f.Libraries = append(f.Libraries, federated.Global(sh.n, l.ID))
				}
			}
		}
		if len(f.Libraries) == 0 {
			f.Libraries = []int64{-1} // no library yet: nothing matches
		}
	}
	if folder != "" {
		abs, err := filepath.Abs(folder)
		if err != nil {
			return f, "", err
		}
		f.PathPrefix = abs + string(filepath.Separator)
	}
	f.Formats = formats
	for _, d := range documents {
		abs, err := filepath.Abs(d)
		if err != nil {
			return f, "", err
		}
		f.Paths = append(f.Paths, abs)
	}
	return f, library, nil
}

// retriever returns a searcher for the current models and a function to
// call when the search is done (it keeps the previous embedding model,
// and the shelves' own, open meanwhile).
func (e *Engine) retriever() (searcher, func()) {
	e.prevMu.RLock()
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(searcher, 0, len(e.parts))
	for _, p := range e.parts {
		emb := e.emb
		if p.own != nil {
			emb = p.own.emb
		}
		var r *retrieve.Retriever
		if emb == nil {
			r = retrieve.New(p.u, nil)
		} else {
			r = retrieve.New(p.u, emb)
		}
		if p.own == nil && emb != nil && e.prevEmb != nil {
			r.WithPrevious(e.prevEmb)
		}
		if e.rr != nil {
			r.WithReranker(e.rr)
		}
		out = append(out, searchPart{r: r, meaning: emb != nil})
	}
	return out, e.prevMu.RUnlock
}

// part is a set of shelves searched with one embedding model: the
// shelves of the engine's (own nil), or one with its own.
type part struct {
	u   *federated.Index
	own *shelf
}

// partsOf groups the open shelves by embedding model. Most often there
// is one part, all of them.
func partsOf(shelves []*shelf, all *federated.Index) ([]part, error) {
	var owns []*shelf
	common := make([]*index.Index, len(shelves))
	for i, s := range shelves {
		switch {
		case s == nil || s.idx == nil:
		case s.own:
			owns = append(owns, s)
		default:
			common[i] = s.idx
		}
	}
	if len(owns) == 0 {
		return []part{{u: all}}, nil
	}
	u, err := federated.New(common...)
	if err != nil {
		return nil, err
	}
	out := []part{{u: u}}
	for _, s := range owns {
		alone := make([]*index.Index, s.n+1)
		alone[s.n] = s.idx
		u, err := federated.New(alone...)
		if err != nil {
			return nil, err
		}
		out = append(out, part{u: u, own: s})
	}
	return out, nil
}

// searcher searches the libraries with one retriever per embedding model
// in use and merges their results: by the reranker's scores when it ran,
// else by the fused scores, which each retriever standardises (FuseScores)
// so that rankings of different models can stand side by side.
type searcher []searchPart

type searchPart struct {
	r       *retrieve.Retriever
	meaning bool // it has an embedding model
}

func (s searcher) Search(ctx context.Context, q string, o retrieve.Options) (retrieve.Result, error) {
	if len(s) == 1 {
		return s[0].r.Search(ctx, q, o)
	}
	// The parts run at once, as the stores of a federation do.
	results := make([]*retrieve.Result, len(s))
	errs := make([]error, len(s))
	var wg sync.WaitGroup
	for i, p := range s {
		po := o
		switch {
		case p.meaning:
		case o.Mode == retrieve.Vector:
			continue // nothing of these libraries can be found by meaning
		case o.Mode == retrieve.Hybrid:
			po.Mode = retrieve.Lexical
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.r.Search(ctx, q, po)
			results[i], errs[i] = &res, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return retrieve.Result{}, err
	}
	var out retrieve.Result
	first := true
	for _, res := range results {
		switch {
		case res == nil:
		case first:
			out, first = *res, false
		default:
			out.Hits = append(out.Hits, res.Hits...)
			out.Relevant = out.Relevant || res.Relevant
			out.Took = max(out.Took, res.Took)
			if len(out.Terms) == 0 {
				out.Terms = res.Terms
			}
		}
	}
	reranked := slices.ContainsFunc(out.Hits, func(h retrieve.Hit) bool { return h.Scores.RerankRank > 0 })
	sort.SliceStable(out.Hits, func(i, j int) bool {
		a, b := out.Hits[i].Scores, out.Hits[j].Scores
		if reranked {
			return a.Rerank > b.Rerank
		}
		return a.Fused > b.Fused
	})
	k := o.K
	if k <= 0 {
		k = 10
	}
	if len(out.Hits) > k {
		out.Hits = out.Hits[:k]
	}
	if reranked {
		for i := range out.Hits {
			out.Hits[i].Scores.RerankRank = i + 1
		}
	}
	return out, nil
}

// sections makes the libraries the rag package's Library: the texts an
// answer about one whole document reads.
type sections struct{ idx *federated.Index }

func (p sections) DocumentSections(ctx context.Context, docID int64) ([]rag.Section, error) {
	secs, err := p.idx.DocumentSections(ctx, docID)
	if err != nil {
		return nil, err
	}
	out := make([]rag.Section, len(secs))
	for i, s := range secs {
		out[i] = rag.Section{Ord: s.Ord, Page: s.Page, Heading: s.Heading, Text: s.Text}
	}
	return out, nil
}

// PageImage is a page of a PDF drawn as an image, with the lines of a
// passage marked.
type PageImage = docs.RenderedPage

// ErrNotPDF means a page image was asked of a document that has no pages
// to draw: one that is neither a PDF nor a picture.
var ErrNotPDF = errors.New("engine: only pages of PDFs and pictures can be drawn")

// RenderPage draws the page a source stands on (of a PDF, or of a
// picture), width pixels wide, and marks the passage's lines: PDFium's
// rectangles of the very characters the passage was cut from, or on a
// page read by OCR the boxes of the words it was read from, as stored when
// it was indexed. A source whose document changed since is drawn without
// marks.
func (e *Engine) RenderPage(ctx context.Context, s Source, width int) (*PageImage, error) {
	sh, local, err := e.locate(s.DocID)
	if err != nil {
		return nil, err
	}
	d, err := sh.idx.DocumentByID(ctx, local)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if (d.Format != string(docs.PDF) && d.Format != string(docs.Image)) || s.Page < 1 {
		return nil, ErrNotPDF
	}
	dr := docs.Drawing{Path: d.Path, Format: docs.Format(d.Format), Page: s.Page, Width: width}
	if _, ok, err := e.placed(ctx, s); err == nil && ok && s.Place.HasChars() && s.Place.CharLast >= s.Place.CharFirst {
		dr.Span = docs.CharSpan{First: s.Place.CharFirst, Last: s.Place.CharLast}
	}
	layout, scanned, err := sh.idx.PageLayout(ctx, d.ID, s.Page)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if scanned {
		dr.Layout = layout
	}
	// A team library's file may be on another member's computer only:
	// its copy on the server is drawn instead.
	if _, serr := os.Stat(d.Path); serr != nil && sh.idx.OnServer() {
		data, ok, ferr := sh.idx.File(ctx, d.Hash)
		if ferr != nil {
			return nil, fmt.Errorf("engine: reading %s from the library's server: %w", filepath.Base(d.Path), ferr)
		}
		if ok {
			dr.Data = data
		}
	}
	return e.parser.Draw(ctx, dr)
}
