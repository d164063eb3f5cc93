// Package index is the library's store of record: a registry of documents
// and their chunks in SQLite (WAL mode, through the pure-Go
// modernc.org/sqlite), a lexical index in SQLite's FTS5 over Carrel's own
// terms (see Terms), and the chunks' vectors, kept in SQLite and loaded at
// open into an in-memory exact vector index for similarity search.
//
// Every change to a document (its chunks, terms and vectors) is one SQLite
// transaction, so a crash or kill at any moment leaves either the old
// version or the new one, never both or neither, and the index reopens
// consistent.
package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carrel-ai/carrel/internal/private"

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
	// pg holds what only the PostgreSQL store has (its notifications,
	// pgvector); nil for the SQLite store.
	pg      *server
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
}

const schema = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS libraries(
	id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, ignore TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sources(
	id INTEGER PRIMARY KEY, library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
	path TEXT NOT NULL, watch INTEGER NOT NULL DEFAULT 0, UNIQUE(library_id, path));
CREATE TABLE IF NOT EXISTS documents(
	id INTEGER PRIMARY KEY, library_id INTEGER NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
	path TEXT NOT NULL, hash TEXT NOT NULL DEFAULT '', size INTEGER NOT NULL DEFAULT 0, mtime INTEGER NOT NULL DEFAULT 0,
	format TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '', language TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', error_kind TEXT NOT NULL DEFAULT '',
	chunks INTEGER NOT NULL DEFAULT 0, pages INTEGER NOT NULL DEFAULT 0, indexed_at INTEGER NOT NULL DEFAULT 0,
	duplicate_of INTEGER NOT NULL DEFAULT 0, model TEXT NOT NULL DEFAULT '',
	owner TEXT NOT NULL DEFAULT '', lease INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
	UNIQUE(library_id, path));
CREATE INDEX IF NOT EXISTS documents_hash ON documents(library_id, hash);
CREATE INDEX IF NOT EXISTS documents_status ON documents(status);
CREATE TABLE IF NOT EXISTS chunks(
	id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
	ord INTEGER NOT NULL, text TEXT NOT NULL, page INTEGER NOT NULL DEFAULT 0, heading TEXT NOT NULL DEFAULT '',
	spans TEXT NOT NULL DEFAULT '', tokens INTEGER NOT NULL DEFAULT 0,
	section INTEGER NOT NULL DEFAULT -1, pos_start INTEGER NOT NULL DEFAULT 0, pos_end INTEGER NOT NULL DEFAULT 0,
	char_first INTEGER NOT NULL DEFAULT -1, char_last INTEGER NOT NULL DEFAULT -1);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS sections(
	doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE, ord INTEGER NOT NULL,
	page INTEGER NOT NULL DEFAULT 0, heading TEXT NOT NULL DEFAULT '', text TEXT NOT NULL,
	PRIMARY KEY(doc_id, ord));
CREATE TABLE IF NOT EXISTS page_layouts(
	doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE, page INTEGER NOT NULL, layout BLOB NOT NULL,
	PRIMARY KEY(doc_id, page));
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0 tokenchars ''_''');
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms_vocab USING fts5vocab(chunk_terms, 'row');
CREATE TABLE IF NOT EXISTS vectors(
	chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE, library_id INTEGER NOT NULL,
	model TEXT NOT NULL, vec BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS vectors_model ON vectors(model, library_id);
`

// Open opens (creating if needed) the index in dir and loads the vectors
// of the given embedding model ("" for none) for similarity search.
func Open(ctx context.Context, dir string, model string) (*Index, error) {
	// The store holds the text of a person's documents: the folder and
	// the database files are theirs alone (SQLite gives its journal files
	// the database file's permissions).
	if err := private.Dir(dir); err != nil {
		return nil, fmt.Errorf("index: creating %s: %w", dir, err)
	}
	dbPath := filepath.Join(dir, "carrel.db")
	for _, p := range []string{dbPath + "-wal", dbPath + "-shm"} {
		if err := private.File(p); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
	}
	if err := private.Create(dbPath); err != nil {
		return nil, fmt.Errorf("index: creating %s: %w", dbPath, err)
	}
	// _txlock=immediate: a write transaction takes the write lock when it
	// begins, waiting (busy_timeout) for another process's; a deferred one
	// would fail at once with SQLITE_BUSY when it turns from reading to
	// writing after the other committed.
	dsn := "file:" + filepath.ToSlash(filepath.Join(dir, "carrel.db")) +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(30000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("index: opening: %w", err)
	}
	db.SetMaxOpenConns(4)
	// Another process may be creating or writing the same library: the
	// schema and the upgrade wait for it.
	if err := retryBusy(ctx, func() error { _, err := db.ExecContext(ctx, schema); return err }); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: preparing the database: %w", err)
	}
	if err := retryBusy(ctx, func() error { return migrate(ctx, db) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: upgrading the database: %w", err)
	}
	x := &Index{dir: dir, db: &conn{DB: db}, vec: vectorSet{}}
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM chunks`).Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: counting chunks: %w", err)
	}
	x.chunks.Store(n)
	if err := x.LoadVectors(ctx, model); err != nil {
		db.Close()
		return nil, err
	}
	return x, nil
}

// Close closes the index; the data is already durable.
func (x *Index) Close() error {
	if x.pg != nil {
		// The listener takes the search lock to apply changes: stop it
		// first.
		x.pg.close()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
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

// schemaVersion is the layout Open upgrades a database to (PRAGMA
// user_version). 1: passages store their section and exact offsets. 2:
// documents store the claim of the process indexing them and the count of
// failed attempts.
const schemaVersion = 2

// migrate upgrades an older database in place. Documents indexed before
// passages had exact places are queued to be read again; their old
// passages keep serving until the new ones replace them.
func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v >= schemaVersion {
		return nil
	}
	// Another process may open the same library at the same moment: the
	// upgrade takes the write lock first, then looks again.
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.Background(), `ROLLBACK`)
		}
	}()
	if err := conn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v >= schemaVersion {
		done = true
		_, err := conn.ExecContext(ctx, `COMMIT`)
		return err
	}
	for _, t := range []struct {
		table string
		cols  [][2]string
	}{
		{"chunks", [][2]string{{"section", "INTEGER NOT NULL DEFAULT -1"}, {"pos_start", "INTEGER NOT NULL DEFAULT 0"},
			{"pos_end", "INTEGER NOT NULL DEFAULT 0"}, {"char_first", "INTEGER NOT NULL DEFAULT -1"}, {"char_last", "INTEGER NOT NULL DEFAULT -1"}}},
		{"documents", [][2]string{{"owner", "TEXT NOT NULL DEFAULT ''"}, {"lease", "INTEGER NOT NULL DEFAULT 0"},
			{"attempts", "INTEGER NOT NULL DEFAULT 0"}}},
	} {
		have := map[string]bool{}
		rows, err := conn.QueryContext(ctx, `SELECT name FROM pragma_table_info('`+t.table+`')`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			have[n] = true
		}
		rows.Close()
		for _, c := range t.cols {
			if !have[c[0]] {
				if _, err := conn.ExecContext(ctx, `ALTER TABLE `+t.table+` ADD COLUMN `+c[0]+` `+c[1]); err != nil {
					return err
				}
			}
		}
	}
	if v < 1 {
		if _, err := conn.ExecContext(ctx, `UPDATE documents SET status = 'queued'
			WHERE status = 'ready' AND chunks > 0 AND duplicate_of = 0 AND id IN (SELECT doc_id FROM chunks WHERE section < 0)`); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return err
	}
	done = true
	_, err = conn.ExecContext(ctx, `COMMIT`)
	return err
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
