package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/carrel-ai/carrel/internal/private"
)

// sqliteStore is the backend of a library in a folder of this computer:
// one SQLite database in WAL mode, whose write transactions hold the
// whole database (so rows need no locks), with the lexical index in
// Carrel's own postings (postings.go; FTS5 beside them) and the vectors
// searched in memory. Other processes on the same
// library are seen through the database files changing (see Index.Dir).
type sqliteStore struct {
	db  *conn
	dir string
	// view is this process's view of the postings not yet merged (see
	// postings.go); kick tells the merger of a write.
	view tailView
	kick chan struct{}
	// The merger runs until close.
	stopMerge context.CancelFunc
	merging   sync.WaitGroup
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
	db.SetMaxIdleConns(4)
	// Another process may be creating or writing the same library: the
	// schema and the upgrade wait for it.
	if err := retryBusy(ctx, func() error { _, err := db.ExecContext(ctx, schema+vecLogSchema+postingsSchema); return err }); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: preparing the database: %w", err)
	}
	if err := retryBusy(ctx, func() error { return migrate(ctx, db) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: upgrading the database: %w", err)
	}
	var n int64
	if err := retryBusy(ctx, func() (err error) { n, err = preparePostings(ctx, db); return err }); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: preparing the lexical postings: %w", err)
	}
	c := &conn{DB: db}
	store := &sqliteStore{db: c, dir: dir, kick: make(chan struct{}, 1)}
	x := newIndex(dir, c, store)
	x.chunks.Store(n)
	if err := x.LoadVectors(ctx, model); err != nil {
		db.Close()
		return nil, err
	}
	// New passages, and all of a library made by an older Carrel, are
	// merged into the postings in the background.
	mctx, stop := context.WithCancel(context.Background())
	store.stopMerge = stop
	store.merging.Add(1)
	go func() {
		defer store.merging.Done()
		x.mergePostings(mctx, store.kick)
	}()
	return x, nil
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

func (s *sqliteStore) forUpdate() string  { return "" }
func (s *sqliteStore) skipLocked() string { return "" }

func (s *sqliteStore) lockContent(context.Context, *txn, int64, string) error { return nil }

func (s *sqliteStore) notify(context.Context, *txn, changeKind, int64) error { return nil }
func (s *sqliteStore) onChange(func(Change))                                 {}
func (s *sqliteStore) shared() bool                                          { return false }

// The files are on this computer: no copy is kept.
func (s *sqliteStore) keepFile(context.Context, *txn, string, []byte) error { return nil }
func (s *sqliteStore) dropFile(context.Context, *txn, string) error         { return nil }
func (s *sqliteStore) file(context.Context, string) ([]byte, bool, error)   { return nil, false, nil }

// insertPassages stores the passages and their terms one statement per
// row: SQLite runs in this process, so a statement costs
// no round trip.
func (s *sqliteStore) insertPassages(ctx context.Context, tx *txn, docID int64, chunks []Chunk, ids []int64) (int, error) {
	insChunk, err := tx.PrepareContext(ctx, `INSERT INTO chunks(doc_id, ord, text, page, heading, tokens, section, pos_start, pos_end, char_first, char_last)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return 0, err
	}
	defer insChunk.Close()
	insTerms, err := tx.PrepareContext(ctx, `INSERT INTO chunk_terms(rowid, terms) VALUES(?, ?)`)
	if err != nil {
		return 0, err
	}
	defer insTerms.Close()
	termCount := 0
	ps := make([]passageWords, len(chunks))
	for i, c := range chunks {
		if err := insChunk.QueryRowContext(ctx, docID, i, c.Text, c.Page, c.Heading, c.Tokens, c.Section, c.Start, c.End, c.CharFirst, c.CharLast).Scan(&ids[i]); err != nil {
			return 0, err
		}
		words := passageTerms(c)
		termCount += len(words)
		ps[i] = passageWords{id: ids[i], words: words}
		if _, err := insTerms.ExecContext(ctx, ids[i], strings.Join(words, " ")); err != nil {
			return 0, err
		}
	}
	st, err := readLexState(ctx, tx)
	if err != nil {
		return 0, err
	}
	if err := addPostings(ctx, tx, st, ps); err != nil {
		return 0, fmt.Errorf("index: lexical postings: %w", err)
	}
	// The tail's terms are kept as stored, for the views and the merger
	// (analysing text again costs more than reading this).
	insTail, err := tx.PrepareContext(ctx, `INSERT INTO lex_tail(id, words) VALUES(?, ?)`)
	if err != nil {
		return 0, err
	}
	defer insTail.Close()
	for _, p := range ps {
		if !st.inBlocks(p.id) {
			if _, err := insTail.ExecContext(ctx, p.id, strings.Join(p.words, " ")); err != nil {
				return 0, err
			}
		}
	}
	return termCount, nil
}

// removeTerms deletes the passages' postings and their rows of FTS5,
// which has no foreign keys to remove them with the passages. The
// statistics are kept with the postings: nothing is counted.
func (s *sqliteStore) removeTerms(ctx context.Context, tx *txn, docID int64) (int64, error) {
	ps, err := passageWordsOf(ctx, tx, docID)
	if err != nil {
		return 0, err
	}
	st, err := readLexState(ctx, tx)
	if err != nil {
		return 0, err
	}
	if err := removePostings(ctx, tx, st, ps); err != nil {
		return 0, fmt.Errorf("index: lexical postings: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM lex_tail WHERE id IN (SELECT id FROM chunks WHERE doc_id = ?)`, docID); err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM chunk_terms WHERE rowid IN (SELECT id FROM chunks WHERE doc_id = ?)`, docID)
	return 0, err
}

// termsChanged tells the merger of the postings of a write.
func (s *sqliteStore) termsChanged(int64) {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// docFreqs reads each term's passage count from the postings, or, while
// they are being built, from FTS5's vocabulary.
func (s *sqliteStore) docFreqs(ctx context.Context, terms []string) (map[string]int, error) {
	if len(terms) == 0 {
		return map[string]int{}, nil
	}
	if snap, ok, err := s.readPostings(ctx, terms, nil); err != nil {
		return nil, err
	} else if ok {
		return snap.dfs, nil
	}
	out := make(map[string]int, len(terms))
	for _, t := range terms {
		var df int
		err := s.db.QueryRowContext(ctx, `SELECT doc FROM chunk_terms_vocab WHERE term = ?`, t).Scan(&df)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		out[t] = df
	}
	return out, nil
}

// lexical ranks by BM25 with FTS5's formula and statistics: over the
// postings with early termination (topk.go) once they hold every passage,
// in FTS5 before.
func (s *sqliteStore) lexical(ctx context.Context, x *Index, qterms []string, f Filter, k int) ([]Hit, []string, error) {
	return s.lexicalWith(ctx, x, qterms, f, k, false)
}

// lexicalWith is lexical; with viaFTS, it ranks in FTS5 even when the
// postings are ready (the reference the postings are tested against).
func (s *sqliteStore) lexicalWith(ctx context.Context, x *Index, qterms []string, f Filter, k int, viaFTS bool) ([]Hit, []string, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, qterms, ErrClosed
	}
	// Fast path: rank the whole library (no join), then keep the hits
	// that pass the filter. Most searches are over one library among
	// few, so a few times k candidates suffice; when the filter removes
	// too many, the joined query below ranks within the filter exactly.
	want := k
	if !f.empty() {
		want = k * 4
	}
	var snap lexSnapshot
	ok := false
	if !viaFTS {
		var err error
		snap, ok, err = s.readPostings(ctx, qterms, func(dfs map[string]int) []string {
			return selectRare(qterms, dfs, int(x.chunks.Load()))
		})
		if err != nil {
			return nil, qterms, fmt.Errorf("index: lexical search: %w", err)
		}
	}
	var matchTerms []string
	if ok {
		matchTerms = selectRare(qterms, snap.dfs, int(x.chunks.Load()))
	} else {
		matchTerms = x.selective(ctx, qterms)
	}
	quoted := make([]string, len(matchTerms))
	for i, t := range matchTerms {
		quoted[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	match := strings.Join(quoted, " OR ")
	var hits []Hit
	var err error
	if ok {
		hits = rankPostings(snap, matchTerms, want)
	} else if hits, err = s.ftsRank(ctx, match, want); err != nil {
		return nil, qterms, err
	}
	if f.empty() {
		return hits, qterms, nil
	}
	full := len(hits) < want
	if hits, err = x.keep(ctx, hits, f); err != nil {
		return nil, qterms, err
	}
	if len(hits) >= k || full {
		return hits[:min(k, len(hits))], qterms, nil
	}
	args := []any{match}
	where, args := f.sql(args)
	args = append(args, k)
	rows, err := s.db.QueryContext(ctx, `SELECT t.rowid, bm25(chunk_terms) AS s FROM chunk_terms t
		JOIN chunks c ON c.id = t.rowid JOIN documents d ON d.id = c.doc_id
		WHERE chunk_terms MATCH ?`+where+` ORDER BY s LIMIT ?`, args...)
	if err != nil {
		return nil, qterms, fmt.Errorf("index: lexical search: %w", err)
	}
	hits, err = scanHits(rows)
	return hits, qterms, err
}

func (s *sqliteStore) ftsRank(ctx context.Context, match string, k int) ([]Hit, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT rowid, rank FROM chunk_terms WHERE chunk_terms MATCH ? ORDER BY rank LIMIT ?`, match, k)
	if err != nil {
		return nil, fmt.Errorf("index: lexical search: %w", err)
	}
	return scanHits(rows)
}

func (s *sqliteStore) insertVectors(ctx context.Context, tx *txn, lib int64, model string, ids []int64, vectors [][]float32) error {
	ins, err := tx.PrepareContext(ctx, `INSERT INTO vectors(chunk_id, library_id, model, vec) VALUES(?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for i, id := range ids {
		if _, err := ins.ExecContext(ctx, id, lib, model, encodeVec(vectors[i])); err != nil {
			return err
		}
	}
	return nil
}

// vectorQuery reads the vectors table alone: a change by another process
// reloads every vector (see Index.Dir), so none is tied to its document.
func (s *sqliteStore) vectorQuery() string {
	return `SELECT chunk_id, library_id, vec, 0 FROM vectors WHERE model = ?`
}

func (s *sqliteStore) vectorsInMemory() bool { return true }

// vectorDir is the library's folder: its vectors are searched from the
// vector files kept there (vecfile.go), on the little-endian machines
// the files' layout is read on in place (all Carrel is built for).
func (s *sqliteStore) vectorDir() string {
	if !littleEndian {
		return ""
	}
	return s.dir
}

func (s *sqliteStore) searchVectors(context.Context, string, []float32, []int64, int, bool) ([]Hit, error) {
	return nil, errors.New("index: a SQLite library searches its vectors in memory")
}

func (s *sqliteStore) prepareVectors(string)                     {}
func (s *sqliteStore) waitVectors(context.Context, string) error { return nil }
func (s *sqliteStore) followed() followed                        { return nil }

// close stops the merger of the postings (a merge under way is rolled
// back: the tail stays the tail).
func (s *sqliteStore) close() {
	if s.stopMerge != nil {
		s.stopMerge()
		s.merging.Wait()
	}
}
