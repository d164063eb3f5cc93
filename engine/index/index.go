// Package index is the library's store of record: a registry of documents
// and their chunks, a lexical index over Carrel's own terms (see Terms),
// and the chunks' vectors, loaded at open into an in-memory exact vector
// index for similarity search (or searched by the database, with
// pgvector).
//
// One Index serves two backends (see backend): SQLite in a folder of this
// computer (WAL mode, through the pure-Go modernc.org/sqlite, terms in
// Carrel's own postings, see postings.go, with FTS5 beside them), and
// PostgreSQL for a team library. Every change to a document
// (its chunks, terms and vectors) is one transaction, so a crash or kill
// at any moment leaves either the old version or the new one, never both
// or neither, and the index reopens consistent.
package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/carrel-ai/carrel/engine/passage"
	"github.com/carrel-ai/carrel/engine/status"
)

// Errors.
var (
	ErrNotFound = errors.New("index: not found")
	ErrClosed   = errors.New("index: closed")
)

// Library is a named collection of sources, such as "Work" or "Thesis".
type Library struct {
	ID     int64
	Name   string
	Ignore []string // glob patterns of files to skip when adding folders
}

// Document is a file in a library's registry.
type Document struct {
	ID          int64
	LibraryID   int64
	Path        string
	Hash        string // SHA-256 of the content, hex
	Size        int64
	ModTime     time.Time
	Format      string
	Title       string
	Language    string
	Status      status.Status
	Error       string // why it failed, in words
	ErrorKind   string // encrypted, corrupt, unsupported, no_text, too_large, timeout
	Chunks      int
	Pages       int
	IndexedAt   time.Time
	DuplicateOf int64  // another document with the same content, or 0
	Model       string // embedding model of its vectors, "" for lexical only
	Attempts    int    // failed attempts since it was last indexed
}

// Chunk is a passage of a document as stored, with its exact place.
type Chunk struct {
	ID      int64
	DocID   int64
	Ord     int
	Text    string
	Page    int
	Heading string
	Tokens  int
	// Place is where it stands; its Section is -1 for a chunk stored
	// before sections were (it is read again at open).
	passage.Place
}

// Section is the text of one page or section of a document, as passages
// were cut from it.
type Section struct {
	Ord     int
	Page    int
	Heading string
	Text    string
}

// Embedder makes the unit vectors the index stores and searches with: the
// one embedding seam of the engine (ingest embeds passages with it,
// retrieve embeds queries). Model names the model, so that vectors of
// different models never mix.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Model() string
}

// Index is an open library store. It is safe for concurrent use.
type Index struct {
	dir string
	db  *conn
	// store is what differs between a library in a folder and one on a
	// server (see backend).
	store   backend
	writeMu sync.Mutex // one writer at a time: no SQLITE_BUSY churn

	mu    sync.RWMutex // vector stores and what searches see
	vec   vectorSet    // library id → its vectors
	model string       // embedding model whose vectors are loaded
	// prev keeps the vectors of the model before a change, searchable
	// while the library is re-embedded (see ChangeModel).
	prev      vectorSet
	prevModel string
	// loads are the vector sets being read from the database (by
	// LoadVectors or ChangeModel): writes made meanwhile are logged to
	// them.
	loads []*loading
	// afterRead, in tests, runs between reading a set and replaying the
	// writes made meanwhile.
	afterRead func()
	chunks    atomic.Int64 // chunks in the index, for query planning
	closed    bool

	// A new vector file written in the background (see refreshAt):
	// refreshing while one is, refreshFloor the vectors in memory below
	// which none starts again after one failed; bg ends with Close.
	refreshing   bool
	refreshFloor int
	bgCtx        context.Context
	bgStop       context.CancelFunc
	bg           sync.WaitGroup
}

func newIndex(dir string, db *conn, store backend) *Index {
	ctx, stop := context.WithCancel(context.Background())
	return &Index{dir: dir, db: db, store: store, vec: vectorSet{}, bgCtx: ctx, bgStop: stop}
}

// Close closes the index; the data is already durable.
func (x *Index) Close() error {
	// A server's listener takes the search lock to apply changes: it
	// stops first.
	x.store.close()
	// A vector file being written is abandoned (a temporary file).
	x.bgStop()
	x.bg.Wait()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	x.vec.close()
	x.prev.close()
	x.vec, x.prev = vectorSet{}, nil
	return x.db.Close()
}

// Dir is the folder of the database files: a change to them may be
// another process writing to the library. It is "" for a library on a
// server, whose changes come as notifications (see OnChange).
func (x *Index) Dir() string { return x.dir }

// DB exposes the database for packages of the engine that keep their own
// tables beside the index (none may change the index's tables).
func (x *Index) DB() *sql.DB { return x.db.DB }

// Library returns the library named name, creating it if needed.
func (x *Index) Library(ctx context.Context, name string) (Library, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Library{}, errors.New("index: a library needs a name")
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	if _, err := x.exec(ctx, `INSERT INTO libraries(name, created_at) VALUES(?, ?) ON CONFLICT(name) DO NOTHING`, name, time.Now().Unix()); err != nil {
		return Library{}, fmt.Errorf("index: creating library %q: %w", name, err)
	}
	return x.libraryByName(ctx, name)
}

func (x *Index) libraryByName(ctx context.Context, name string) (Library, error) {
	var l Library
	var ignore string
	err := x.db.QueryRowContext(ctx, `SELECT id, name, ignore FROM libraries WHERE name = ?`, name).Scan(&l.ID, &l.Name, &ignore)
	if errors.Is(err, sql.ErrNoRows) {
		return l, fmt.Errorf("%w: library %q", ErrNotFound, name)
	}
	l.Ignore = splitLines(ignore)
	return l, err
}

// FindLibrary returns an existing library.
func (x *Index) FindLibrary(ctx context.Context, name string) (Library, error) {
	return x.libraryByName(ctx, name)
}

// Libraries lists all libraries.
func (x *Index) Libraries(ctx context.Context) ([]Library, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT id, name, ignore FROM libraries ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Library
	for rows.Next() {
		var l Library
		var ignore string
		if err := rows.Scan(&l.ID, &l.Name, &ignore); err != nil {
			return nil, err
		}
		l.Ignore = splitLines(ignore)
		out = append(out, l)
	}
	return out, rows.Err()
}

// SetIgnore replaces a library's ignore patterns.
func (x *Index) SetIgnore(ctx context.Context, lib int64, patterns []string) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	_, err := x.exec(ctx, `UPDATE libraries SET ignore = ? WHERE id = ?`, strings.Join(patterns, "\n"), lib)
	return err
}

// AddSource records a file or folder a library watches or was given.
func (x *Index) AddSource(ctx context.Context, lib int64, path string, watch bool) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	_, err := x.exec(ctx, `INSERT INTO sources(library_id, path, watch) VALUES(?, ?, ?)
		ON CONFLICT(library_id, path) DO UPDATE SET watch = CASE WHEN excluded.watch > sources.watch THEN excluded.watch ELSE sources.watch END`,
		lib, path, boolInt(watch))
	return err
}

// RemoveSource forgets a source.
func (x *Index) RemoveSource(ctx context.Context, lib int64, path string) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	_, err := x.exec(ctx, `DELETE FROM sources WHERE library_id = ? AND path = ?`, lib, path)
	return err
}

// Source is a path a library was given.
type Source struct {
	LibraryID int64
	Path      string
	Watch     bool
}

// Sources lists the sources of all libraries.
func (x *Index) Sources(ctx context.Context) ([]Source, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT library_id, path, watch FROM sources ORDER BY library_id, path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		var s Source
		var w int
		if err := rows.Scan(&s.LibraryID, &s.Path, &w); err != nil {
			return nil, err
		}
		s.Watch = w != 0
		out = append(out, s)
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ErrFull means the database could not be written because its disk is
// full (SQLITE_FULL). Nothing was half-written: the transaction was rolled
// back.
var ErrFull = errors.New("index: the disk of the library is full")

// MarkFull returns err with ErrFull in its chain (for errors.Is) when it
// says the disk is full, and err unchanged otherwise.
func MarkFull(err error) error {
	var se *sqlite.Error
	if (errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL || serverFull(err)) && !errors.Is(err, ErrFull) {
		return fmt.Errorf("%w (%v)", ErrFull, err)
	}
	return err
}

// busy reports whether err is SQLite saying another connection holds the
// database (SQLITE_BUSY, SQLITE_LOCKED, or a snapshot gone stale).
func busy(err error) bool {
	if serverBusy(err) {
		return true
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// retryBusy runs fn again while the database is busy with another
// process's writes that SQLite does not wait for by itself (a read turned
// into a write after another process committed, the first writer of a new
// database), for up to a minute.
func retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(time.Minute)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err := fn()
		if err == nil || !busy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// exec runs one write statement, again while the database is busy.
func (x *Index) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := retryBusy(ctx, func() error {
		var err error
		res, err = x.db.ExecContext(ctx, q, args...)
		return err
	})
	return res, err
}
