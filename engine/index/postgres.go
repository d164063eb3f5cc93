package index

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// A library on a PostgreSQL server (a team library) keeps the same tables
// and the same statements as the SQLite store, with these differences,
// all in this file:
//
//   - Transactions of several processes (several machines) run side by
//     side instead of one at a time: the rows a transaction changes are
//     locked first (SELECT … FOR UPDATE), the queue is claimed with FOR
//     UPDATE SKIP LOCKED, and copies of one content are told apart under
//     an advisory lock on the content's hash.
//   - The lexical index is a table of postings (term, passage, count) of
//     Carrel's own terms, ranked by BM25 in SQL with FTS5's formula, so
//     that CJK text and stemming behave exactly as in the SQLite store.
//   - Every committed change is announced with NOTIFY: the other
//     processes bring their vectors and term statistics up to date
//     without polling, and tell their front ends (OnChange).

// server is the backend of a library on a PostgreSQL server.
type server struct {
	x        *Index // the index it serves, whose vectors it keeps current
	db       *conn
	cfg      *pgx.ConnConfig
	instance string // this opening's name in the notifications it sends
	// docChunks are, per document, the passages whose vectors are in
	// memory: a change another process makes replaces exactly those.
	// Guarded by Index.mu.
	docChunks followed
	// termTotal is the number of terms in all passages, for BM25's
	// average passage length; with Index.chunks, refreshed after changes.
	termTotal atomic.Int64
	dirty     chan struct{} // nudges the statistics refresher
	// vector says the server has pgvector: vectors are stored in its type
	// as well and searched there; otherwise they are loaded and searched
	// in memory.
	vector bool
	// indexed are the models whose HNSW index exists or is being made.
	indexMu    sync.Mutex
	indexed    map[string]chan struct{}
	onChangeFn atomic.Pointer[func(Change)]
	ctx        context.Context // ends when the index closes
	stop       context.CancelFunc
	done       sync.WaitGroup
}

// Change is a change another process made to a library on a server.
type Change struct {
	Document int64
	// Passages is true when the document's passages changed (it was
	// indexed, re-indexed or removed), false when only its entry did (it
	// was queued or claimed).
	Passages bool
}

type changeKind byte

const (
	changeRegistry changeKind = 'r'
	changePassages changeKind = 'p'
)

const notifyChannel = "carrel_changes"

// IsServerURL reports whether s names a PostgreSQL server rather than a
// folder.
func IsServerURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns a connection string without its password, for messages
// and logs.
func Redact(conn string) string {
	if u, err := url.Parse(conn); err == nil && u.Scheme != "" {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	// Not a URL that parses (a key=value string, or a broken URL): blank
	// whatever looks like a password.
	conn = userPassword.ReplaceAllString(conn, "://$1:xxxxx@")
	return passwordField.ReplaceAllString(conn, "password=xxxxx")
}

var (
	passwordField = regexp.MustCompile(`password\s*=\s*('[^']*'|[^\s&]+)`)
	userPassword  = regexp.MustCompile(`://([^:@/]*):[^@]*@`)
)

// ErrServer means the library's server could not be reached or refused
// the connection; the message says which server, without its password.
var ErrServer = errors.New("index: the library's server cannot be used")

// OpenServer opens (creating its tables if needed) the library store on
// the PostgreSQL server named by conn (a postgres:// URL; its user and
// password are the access control, and its sslmode decides TLS), and
// loads the vectors of the given embedding model for similarity search.
func OpenServer(ctx context.Context, connString string, model string) (*Index, error) {
	connString, mode, err := vectorMode(connString)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		// pgx's message may quote the string: say what is wrong without it.
		return nil, fmt.Errorf("%w: the connection string %s is not valid", ErrServer, Redact(connString))
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrServer, where, err)
	}
	if err := serverSchema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("index: preparing the library's tables on %s: %w", where, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	c := &conn{DB: db, rewrite: numberPlaceholders}
	s := &server{
		db: c, cfg: cfg, instance: hex.EncodeToString(b), docChunks: followed{}, dirty: make(chan struct{}, 1),
		indexed: map[string]chan struct{}{},
	}
	x := newIndex("", c, s)
	s.x = x
	lctx, stop := context.WithCancel(context.Background())
	s.ctx, s.stop = lctx, stop
	if err := s.choosePgvector(ctx, mode); err != nil {
		stop()
		db.Close()
		return nil, fmt.Errorf("index: %s: %w", where, err)
	}
	if err := s.refreshStats(ctx); err != nil {
		stop()
		db.Close()
		return nil, fmt.Errorf("index: reading the library on %s: %w", where, err)
	}
	// Listen before loading: a change made during the load is either in
	// what was loaded or announced after it (and applying it twice is
	// harmless).
	ready := make(chan error, 1)
	s.done.Add(2)
	go func() { defer s.done.Done(); s.listen(lctx, ready) }()
	go func() { defer s.done.Done(); s.refreshLoop(lctx) }()
	if err := <-ready; err != nil {
		x.Close()
		return nil, fmt.Errorf("%w: %s: listening for changes: %v", ErrServer, where, err)
	}
	if err := x.LoadVectors(ctx, model); err != nil {
		x.Close()
		return nil, err
	}
	return x, nil
}

// serverSchema creates the tables, under an advisory lock: two members
// opening a new library at once would otherwise race in CREATE … IF NOT
// EXISTS, which PostgreSQL does not make atomic.
func serverSchema(ctx context.Context, db *sql.DB) error {
	return withSchemaLock(ctx, db, func(c *sql.Conn) error { return upgradeSchema(ctx, c) })
}

// withSchemaLock runs fn on a connection of its own that holds the
// advisory lock of schema changes.
func withSchemaLock(ctx context.Context, db *sql.DB, fn func(c *sql.Conn) error) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, schemaLock); err != nil {
		return err
	}
	defer c.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, schemaLock)
	return fn(c)
}

// upgradeSchema makes the tables, or brings an older layout up to date.
func upgradeSchema(ctx context.Context, c *sql.Conn) error {
	var v string
	err := c.QueryRowContext(ctx, `SELECT value FROM carrel_meta WHERE key = 'schema'`).Scan(&v)
	if err == nil && v == strconv.Itoa(serverSchemaVersion) {
		return nil
	}
	if _, err := c.ExecContext(ctx, serverTables); err != nil {
		return err
	}
	if err == nil && v != "" {
		if n, _ := strconv.Atoi(v); n < 3 {
			// Version 2 postings had no length, and a key without it.
			for _, q := range []string{
				`ALTER TABLE chunk_terms ADD COLUMN IF NOT EXISTS len INTEGER NOT NULL DEFAULT 0`,
				`UPDATE chunk_terms t SET len = l.terms FROM chunk_lengths l WHERE l.chunk_id = t.chunk_id`,
				`ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_pkey`,
				`ALTER TABLE chunk_terms ADD PRIMARY KEY (term, chunk_id) INCLUDE (tf, len)`,
			} {
				if _, err := c.ExecContext(ctx, q); err != nil {
					return err
				}
			}
		}
	}
	_, err = c.ExecContext(ctx, `INSERT INTO carrel_meta(key, value) VALUES('schema', $1)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, strconv.Itoa(serverSchemaVersion))
	return err
}

// schemaLock is the advisory lock key of schema changes ("carrel" in
// ASCII, as a number).
const schemaLock = 0x636172726c

const serverSchemaVersion = 3

// serverTables mirror the SQLite tables (see schema), with 64-bit
// integers, bytea for blobs, byte-order collation for paths (the SQLite
// store's order), and the postings that replace FTS5. A posting carries
// its passage's length, and the key includes both numbers: BM25 ranks
// from the key alone (an index-only scan), without visiting the table's
// rows, which lie one page apart for one term.
const serverTables = `
CREATE TABLE IF NOT EXISTS carrel_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS libraries(
	id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE,
	ignore TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sources(
	id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, library_id BIGINT NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
	path TEXT COLLATE "C" NOT NULL, watch BIGINT NOT NULL DEFAULT 0, UNIQUE(library_id, path));
CREATE TABLE IF NOT EXISTS documents(
	id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, library_id BIGINT NOT NULL REFERENCES libraries(id) ON DELETE CASCADE,
	path TEXT COLLATE "C" NOT NULL, hash TEXT NOT NULL DEFAULT '', size BIGINT NOT NULL DEFAULT 0, mtime BIGINT NOT NULL DEFAULT 0,
	format TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '', language TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', error_kind TEXT NOT NULL DEFAULT '',
	chunks BIGINT NOT NULL DEFAULT 0, pages BIGINT NOT NULL DEFAULT 0, indexed_at BIGINT NOT NULL DEFAULT 0,
	duplicate_of BIGINT NOT NULL DEFAULT 0, model TEXT NOT NULL DEFAULT '',
	owner TEXT NOT NULL DEFAULT '', lease BIGINT NOT NULL DEFAULT 0, attempts BIGINT NOT NULL DEFAULT 0,
	UNIQUE(library_id, path));
CREATE INDEX IF NOT EXISTS documents_hash ON documents(library_id, hash);
CREATE INDEX IF NOT EXISTS documents_status ON documents(status);
CREATE TABLE IF NOT EXISTS chunks(
	id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, doc_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
	ord BIGINT NOT NULL, text TEXT NOT NULL, page BIGINT NOT NULL DEFAULT 0, heading TEXT NOT NULL DEFAULT '',
	spans TEXT NOT NULL DEFAULT '', tokens BIGINT NOT NULL DEFAULT 0,
	section BIGINT NOT NULL DEFAULT -1, pos_start BIGINT NOT NULL DEFAULT 0, pos_end BIGINT NOT NULL DEFAULT 0,
	char_first BIGINT NOT NULL DEFAULT -1, char_last BIGINT NOT NULL DEFAULT -1);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS sections(
	doc_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, ord BIGINT NOT NULL,
	page BIGINT NOT NULL DEFAULT 0, heading TEXT NOT NULL DEFAULT '', text TEXT NOT NULL,
	PRIMARY KEY(doc_id, ord));
CREATE TABLE IF NOT EXISTS page_layouts(
	doc_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, page BIGINT NOT NULL, layout BYTEA NOT NULL,
	PRIMARY KEY(doc_id, page));
CREATE TABLE IF NOT EXISTS chunk_terms(
	term TEXT COLLATE "C" NOT NULL, chunk_id BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE, tf INTEGER NOT NULL,
	len INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY(term, chunk_id) INCLUDE (tf, len));
CREATE INDEX IF NOT EXISTS chunk_terms_chunk ON chunk_terms(chunk_id);
CREATE TABLE IF NOT EXISTS chunk_lengths(
	chunk_id BIGINT PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE, terms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS vectors(
	chunk_id BIGINT PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE, library_id BIGINT NOT NULL,
	model TEXT NOT NULL, vec BYTEA NOT NULL);
CREATE INDEX IF NOT EXISTS vectors_model ON vectors(model, library_id);
CREATE TABLE IF NOT EXISTS files(hash TEXT PRIMARY KEY, data BYTEA NOT NULL);
`

// Vector search modes of a server store, chosen with the connection
// string's carrel_vectors parameter (which Carrel removes before
// connecting).
const (
	vectorsAuto     = "auto"     // pgvector when the server has it, else memory
	vectorsPgvector = "pgvector" // pgvector, or an error when it is missing
	vectorsMemory   = "memory"   // exact search in Carrel over vectors loaded from the server
)

// vectorMode takes the carrel_vectors parameter out of a connection URL.
func vectorMode(conn string) (string, string, error) {
	u, err := url.Parse(conn)
	if err != nil || !u.Query().Has("carrel_vectors") {
		return conn, vectorsAuto, nil
	}
	q := u.Query()
	mode := q.Get("carrel_vectors")
	switch mode {
	case vectorsAuto, vectorsPgvector, vectorsMemory:
	default:
		return "", "", fmt.Errorf("%w: carrel_vectors must be auto, pgvector or memory (not %q)", ErrServer, mode)
	}
	q.Del("carrel_vectors")
	u.RawQuery = q.Encode()
	return u.String(), mode, nil
}

// choosePgvector decides where similarity search runs. With pgvector on
// the server (installed by Carrel when its role may, else by the
// server's administrator), vectors are also stored in its type, and
// searched there through an HNSW index per embedding model: the vectors
// need not be loaded into every member's memory. Without it, they are
// loaded and searched exactly in memory, as in the SQLite store.
func (s *server) choosePgvector(ctx context.Context, mode string) error {
	if mode == vectorsMemory {
		return nil
	}
	// Needs the right to create extensions; without it, the server's
	// administrator may have done it.
	s.db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS vector`)
	var have bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM pg_extension WHERE extname = 'vector')`).Scan(&have); err != nil {
		return err
	}
	if !have {
		if mode == vectorsPgvector {
			return errors.New("carrel_vectors=pgvector, but the server has no pgvector extension (CREATE EXTENSION vector, as its administrator)")
		}
		return nil
	}
	// The column is added once, by a role that owns the table; members
	// with only the right to read and write rows find it there.
	var hasColumn bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'vectors' AND column_name = 'emb')`).Scan(&hasColumn); err != nil {
		return err
	}
	if !hasColumn {
		err := withSchemaLock(ctx, s.db.DB, func(c *sql.Conn) error {
			_, err := c.ExecContext(ctx, `ALTER TABLE vectors ADD COLUMN IF NOT EXISTS emb vector`)
			return err
		})
		if err != nil {
			if mode == vectorsPgvector {
				return err
			}
			return nil // a member who may not change tables: vectors in memory
		}
	}
	// Vectors stored before pgvector was installed lack its type: they
	// are converted first.
	if err := s.fillVectorType(ctx); err != nil {
		return fmt.Errorf("converting the vectors for pgvector: %w", err)
	}
	s.vector = true
	return nil
}

// fillVectorType stores, in pgvector's type, the vectors that lack it.
func (s *server) fillVectorType(ctx context.Context) error {
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT chunk_id, vec FROM vectors WHERE emb IS NULL LIMIT 1000`)
		if err != nil {
			return err
		}
		var ids []int64
		var texts []string
		for rows.Next() {
			var id int64
			var blob []byte
			if err := rows.Scan(&id, &blob); err != nil {
				rows.Close()
				return err
			}
			ids, texts = append(ids, id), append(texts, vectorText(decodeVecInto(nil, blob)))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE vectors v SET emb = u.e::vector FROM unnest(?::bigint[], ?::text[]) AS u(c, e) WHERE v.chunk_id = u.c`,
			ids, texts); err != nil {
			return err
		}
	}
}

// vectorText writes v in pgvector's text form.
func vectorText(v []float32) string {
	b := make([]byte, 0, len(v)*11+2)
	b = append(b, '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(f), 'g', -1, 32)
	}
	return string(append(b, ']'))
}

// prepareVectors makes, in the background, the HNSW index of a model's
// vectors if it does not exist (once per opening and model). Searches
// work meanwhile, scanning every vector exactly.
func (s *server) prepareVectors(model string) {
	if !s.vector {
		return
	}
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if _, ok := s.indexed[model]; ok {
		return
	}
	done := make(chan struct{})
	s.indexed[model] = done
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		err := s.makeVectorIndex(s.ctx, model)
		if errors.Is(err, sql.ErrNoRows) {
			// No vectors yet: the next insert tries again. Any other
			// failure (a member who may not create indexes, a build
			// stopped) leaves exact scans on the server until a later
			// opening.
			s.indexMu.Lock()
			delete(s.indexed, model)
			s.indexMu.Unlock()
		}
		close(done)
	}()
}

func (s *server) makeVectorIndex(ctx context.Context, model string) error {
	var dims int
	if err := s.db.QueryRowContext(ctx, `SELECT vector_dims(emb) FROM vectors WHERE model = ? AND emb IS NOT NULL LIMIT 1`, model).Scan(&dims); err != nil {
		return err
	}
	h := fnv.New32a()
	h.Write([]byte(model))
	name := fmt.Sprintf("vectors_hnsw_%d_%08x", dims, h.Sum32())
	var valid sql.NullBool
	err := s.db.QueryRowContext(ctx, `SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = ?`, name).Scan(&valid)
	switch {
	case err == nil && valid.Bool:
		return nil
	case err == nil:
		// Left invalid by a build that was stopped: make it again.
		if _, err := s.db.ExecContext(ctx, `DROP INDEX CONCURRENTLY IF EXISTS `+name); err != nil {
			return err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	// CONCURRENTLY: members keep adding documents while it is built.
	_, err = s.db.ExecContext(ctx, fmt.Sprintf(`CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON vectors
		USING hnsw ((emb::vector(%d)) vector_ip_ops) WHERE model = %s`, name, dims, quoteLiteral(model)))
	return err
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// hnswSearchWidth is the candidates an HNSW search keeps (pgvector's
// ef_search; its default is 40).
const hnswSearchWidth = 100

// searchVectors ranks a model's vectors on the server by inner product
// with vec (cosine similarity, for unit vectors), through the model's
// HNSW index when it exists (exact: every vector compared), among the
// given libraries (all when none).
func (s *server) searchVectors(ctx context.Context, model string, vec []float32, libs []int64, k int, exact bool) ([]Hit, error) {
	if model == "" || k <= 0 {
		return nil, nil
	}
	d := len(vec)
	q := fmt.Sprintf(`SELECT chunk_id, -((emb::vector(%d)) <#> ?::vector(%d)) FROM vectors WHERE model = ?`, d, d)
	qv := vectorText(vec)
	args := []any{qv, model}
	if len(libs) > 0 {
		q += ` AND library_id = ANY(?::bigint[])`
		args = append(args, libs)
	}
	q += fmt.Sprintf(` ORDER BY (emb::vector(%d)) <#> ?::vector(%d) LIMIT ?`, d, d)
	args = append(args, qv, k)
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// A wider search than pgvector's default, for recall (at most its
	// limit of 1,000); with a library filter, the scan goes on until k
	// pass it.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL hnsw.ef_search = %d`, min(max(hnswSearchWidth, k), 1000))); err != nil {
		return nil, err
	}
	if len(libs) > 0 {
		tx.ExecContext(ctx, `SET LOCAL hnsw.iterative_scan = strict_order`)
	}
	if exact {
		// For measuring recall: every vector compared, no index.
		tx.ExecContext(ctx, `SET LOCAL enable_indexscan = off`)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("index: vector search: %w", err)
	}
	return scanScores(rows)
}

// Other processes' transactions run side by side with this one's: the
// rows a transaction reads to change are locked, and a claim passes over
// rows another process is claiming.
func (s *server) forUpdate() string  { return ` FOR UPDATE` }
func (s *server) skipLocked() string { return ` FOR UPDATE SKIP LOCKED` }

// lockContent holds, until the transaction ends, a lock on one content of
// a library: two processes storing copies of one file decide in turn
// which is the original.
func (s *server) lockContent(ctx context.Context, tx *txn, lib int64, hash string) error {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s", lib, hash)
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(h.Sum64()))
	return err
}

// notify announces a change to a document to the library's other
// processes, when the transaction tx commits (at once when tx is nil).
func (s *server) notify(ctx context.Context, tx *txn, kind changeKind, doc int64) error {
	if kind == changePassages {
		s.touch()
	}
	payload := fmt.Sprintf("%s %c %d", s.instance, kind, doc)
	var err error
	if tx != nil {
		_, err = tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, notifyChannel, payload)
	} else {
		_, err = s.db.ExecContext(ctx, `SELECT pg_notify(?, ?)`, notifyChannel, payload)
	}
	return err
}

// keepFile stores a file's copy once per content.
func (s *server) keepFile(ctx context.Context, tx *txn, hash string, data []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO files(hash, data) VALUES(?, ?) ON CONFLICT(hash) DO NOTHING`, hash, data)
	return err
}

// dropFile removes the copy of a content no document has any more.
func (s *server) dropFile(ctx context.Context, tx *txn, hash string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM files WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM documents WHERE hash = ?)`, hash, hash)
	return err
}

func (s *server) file(ctx context.Context, hash string) (data []byte, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT data FROM files WHERE hash = ?`, hash).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return data, err == nil, err
}

func (s *server) shared() bool { return true }

func (s *server) onChange(fn func(Change)) {
	if fn == nil {
		s.onChangeFn.Store(nil)
		return
	}
	s.onChangeFn.Store(&fn)
}

// listen receives the other processes' changes on its own connection,
// reconnecting after a failure; after a reconnection, changes may have
// been missed, so every vector is read again.
func (s *server) listen(ctx context.Context, ready chan<- error) {
	first := true
	for wait := time.Second; ctx.Err() == nil; wait = min(2*wait, 30*time.Second) {
		c, err := pgx.ConnectConfig(ctx, s.cfg)
		if err == nil {
			if _, err = c.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
				c.Close(context.Background())
			}
		}
		if first {
			ready <- err
			if err != nil {
				return
			}
			first = false
		} else if err == nil {
			s.reloadAll(ctx)
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			continue
		}
		wait = time.Second
		for {
			n, err := c.WaitForNotification(ctx)
			if err != nil {
				break
			}
			s.applyNotification(ctx, n.Payload)
		}
		c.Close(context.Background())
	}
}

func (s *server) applyNotification(ctx context.Context, payload string) {
	f := strings.Fields(payload)
	if len(f) != 3 || f[0] == s.instance || len(f[1]) != 1 {
		return
	}
	doc, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return
	}
	ch := Change{Document: doc, Passages: changeKind(f[1][0]) == changePassages}
	if ch.Passages {
		s.touch()
		if err := s.reloadDocument(ctx, doc); err != nil && ctx.Err() == nil {
			// The next change, or the next reconnection, reads it again.
			s.touch()
		}
	}
	if fn := s.onChangeFn.Load(); fn != nil {
		(*fn)(ch)
	}
}

// reloadDocument replaces a document's vectors in memory with those on
// the server, in one step under the search lock.
func (s *server) reloadDocument(ctx context.Context, doc int64) error {
	if s.vector {
		return nil // searched on the server: nothing in memory
	}
	x := s.x
	x.mu.RLock()
	model, prevModel := x.model, x.prevModel
	x.mu.RUnlock()
	type loaded struct {
		model string
		lib   int64
		ids   []int64
		vecs  [][]float32
	}
	var got []loaded
	for _, m := range []string{model, prevModel} {
		if m == "" {
			continue
		}
		rows, err := x.db.QueryContext(ctx, `SELECT v.chunk_id, v.library_id, v.vec FROM vectors v JOIN chunks c ON c.id = v.chunk_id
			WHERE v.model = ? AND c.doc_id = ? ORDER BY c.ord`, m, doc)
		if err != nil {
			return err
		}
		l := loaded{model: m}
		for rows.Next() {
			var id int64
			var blob []byte
			if err := rows.Scan(&id, &l.lib, &blob); err != nil {
				rows.Close()
				return err
			}
			l.ids, l.vecs = append(l.ids, id), append(l.vecs, decodeVecInto(nil, blob))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(l.ids) > 0 {
			got = append(got, l)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return ErrClosed
	}
	if old, ok := s.docChunks[doc]; ok {
		x.dropVectorsLocked(old.lib, doc, old.ids)
	}
	for _, l := range got {
		if l.model == x.prevModel && x.prevModel != "" {
			storeOf(x.prev, l.lib, len(l.vecs[0])).addAll(l.ids, l.vecs)
			s.docChunks.set(doc, l.lib, l.ids)
			continue
		}
		x.addVectorsLocked(l.lib, doc, l.model, l.ids, l.vecs)
	}
	return nil
}

// reloadAll reads every vector again, after notifications may have been
// lost.
func (s *server) reloadAll(ctx context.Context) {
	s.touch()
	if err := s.x.ChangeModel(ctx, s.x.Model()); err == nil {
		if fn := s.onChangeFn.Load(); fn != nil {
			(*fn)(Change{Passages: true})
		}
	}
}

func (s *server) touch() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// refreshLoop recounts the passages and their terms after changes, at
// most once a second: BM25 needs the average passage length, and a count
// per change would cost more than the change while a library is indexed.
func (s *server) refreshLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.dirty:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		s.refreshStats(ctx)
	}
}

func (s *server) refreshStats(ctx context.Context) error {
	var n, total int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(terms), 0) FROM chunk_lengths`).Scan(&n, &total); err != nil {
		return err
	}
	s.x.chunks.Store(n)
	s.termTotal.Store(total)
	// A library filled in one long session gets its vector index once it
	// is large enough for one to matter, and its bulk is in: an HNSW index
	// made first and kept up through every insert makes adding several
	// times slower (measured: 197 passages/s against 996 at 100,000).
	if n >= vectorIndexAt {
		if model := s.x.Model(); model != "" {
			s.prepareVectors(model)
		}
	}
	return nil
}

// vectorIndexAt is the library size from which a session makes the HNSW
// index it lacks (an opening makes it at any size): below it, an exact
// scan on the server takes milliseconds.
const vectorIndexAt = 50000

func (s *server) close() {
	s.stop()
	s.done.Wait()
}

// insertPassages stores each table's rows of the document in one
// statement (arrays unnested on the server): four round trips a document
// instead of three a passage.
func (s *server) insertPassages(ctx context.Context, tx *txn, docID int64, chunks []Chunk, ids []int64) (int, error) {
	if len(chunks) == 0 {
		return 0, nil
	}
	n := len(chunks)
	ords, pages, tokens, sections, starts, ends, firsts, lasts := make([]int64, n), make([]int64, n), make([]int64, n),
		make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	texts, headings := make([]string, n), make([]string, n)
	for i, c := range chunks {
		ords[i], texts[i], pages[i], headings[i], tokens[i] = int64(i), c.Text, int64(c.Page), c.Heading, int64(c.Tokens)
		sections[i], starts[i], ends[i], firsts[i], lasts[i] = int64(c.Section), int64(c.Start), int64(c.End), int64(c.CharFirst), int64(c.CharLast)
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO chunks(doc_id, ord, text, page, heading, tokens, section, pos_start, pos_end, char_first, char_last)
		SELECT ?, * FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
		RETURNING id, ord`, docID, ords, texts, pages, headings, tokens, sections, starts, ends, firsts, lasts)
	if err != nil {
		return 0, err
	}
	got := 0
	for rows.Next() {
		var id, ord int64
		if err := rows.Scan(&id, &ord); err != nil {
			rows.Close()
			return 0, err
		}
		if ord < 0 || ord >= int64(n) {
			rows.Close()
			return 0, fmt.Errorf("index: the server returned passage %d of %d", ord, n)
		}
		ids[ord] = id
		got++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if got != n {
		return 0, fmt.Errorf("index: the server stored %d of %d passages", got, n)
	}
	var termIDs, lenIDs []int64
	var termWords []string
	var tfs, lens, termLens []int64
	total := 0
	for i, c := range chunks {
		words := passageTerms(c)
		total += len(words)
		lenIDs, lens = append(lenIDs, ids[i]), append(lens, int64(len(words)))
		counts := map[string]int64{}
		for _, w := range words {
			counts[w]++
		}
		for w, k := range counts {
			termIDs, termWords, tfs, termLens = append(termIDs, ids[i]), append(termWords, w), append(tfs, k), append(termLens, int64(len(words)))
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chunk_lengths(chunk_id, terms) SELECT * FROM unnest(?::bigint[], ?::bigint[])`, lenIDs, lens); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chunk_terms(term, chunk_id, tf, len) SELECT * FROM unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[])`,
		termWords, termIDs, tfs, termLens); err != nil {
		return 0, err
	}
	return total, nil
}

// removeTerms counts the terms of a document's passages, for BM25's
// average passage length; the postings go with the passages (ON DELETE
// CASCADE).
func (s *server) removeTerms(ctx context.Context, tx *txn, docID int64) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(terms), 0) FROM chunk_lengths
		WHERE chunk_id IN (SELECT id FROM chunks WHERE doc_id = ?)`, docID).Scan(&n)
	return n, err
}

func (s *server) termsChanged(n int64) { s.termTotal.Add(n) }

// insertVectors stores the vectors in one statement, and, where pgvector
// searches them, in its type too.
func (s *server) insertVectors(ctx context.Context, tx *txn, lib int64, model string, ids []int64, vectors [][]float32) error {
	blobs := make([][]byte, len(vectors))
	for i, v := range vectors {
		blobs[i] = encodeVec(v)
	}
	if s.vector {
		texts := make([]string, len(vectors))
		for i, v := range vectors {
			texts[i] = vectorText(v)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO vectors(chunk_id, library_id, model, vec, emb)
			SELECT c, ?, ?, v, e::vector FROM unnest(?::bigint[], ?::bytea[], ?::text[]) AS u(c, v, e)`, lib, model, ids, blobs, texts)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO vectors(chunk_id, library_id, model, vec) SELECT c, ?, ?, v FROM unnest(?::bigint[], ?::bytea[]) AS u(c, v)`,
		lib, model, ids, blobs)
	return err
}

// vectorQuery reads each vector with its document: another member's
// change to a document replaces exactly its vectors.
func (s *server) vectorQuery() string {
	return `SELECT v.chunk_id, v.library_id, v.vec, c.doc_id FROM vectors v JOIN chunks c ON c.id = v.chunk_id WHERE v.model = ?`
}

func (s *server) vectorsInMemory() bool { return !s.vector }

func (s *server) vectorDir() string { return "" }

func (s *server) followed() followed { return s.docChunks }

// waitVectors waits until the HNSW index of a model's vectors is made (or
// its build ended); at once when none is being made.
func (s *server) waitVectors(ctx context.Context, model string) error {
	s.indexMu.Lock()
	done, ok := s.indexed[model]
	s.indexMu.Unlock()
	if !ok {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BM25's parameters, as FTS5 sets them.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// lexical ranks passages by BM25 over terms (any may match), with FTS5's
// formula, within the filter. One count of the terms serves both the
// choice of terms and their weights.
func (s *server) lexical(ctx context.Context, x *Index, qterms []string, f Filter, k int) ([]Hit, []string, error) {
	x.mu.RLock()
	closed := x.closed
	x.mu.RUnlock()
	if closed {
		return nil, qterms, ErrClosed
	}
	dfs, err := s.docFreqs(ctx, qterms)
	if err != nil {
		return nil, qterms, fmt.Errorf("index: lexical search: %w", err)
	}
	hits, err := s.rank(ctx, selectRare(qterms, dfs, int(x.chunks.Load())), dfs, f, k)
	return hits, qterms, err
}

// rank is lexical's ranking, given the terms' passage counts.
func (s *server) rank(ctx context.Context, terms []string, dfs map[string]int, f Filter, k int) ([]Hit, error) {
	n := float64(s.x.chunks.Load())
	avg := 1.0
	if n > 0 {
		avg = max(1, float64(s.termTotal.Load())/n)
	}
	var qs []string
	var idfs []float64
	for _, t := range terms {
		df := float64(dfs[t])
		if df == 0 {
			continue
		}
		idf := math.Log((n - df + 0.5) / (df + 0.5))
		if idf <= 0 {
			idf = 1e-6
		}
		qs, idfs = append(qs, t), append(idfs, idf)
	}
	if len(qs) == 0 {
		return nil, nil
	}
	args := []any{bm25K1 + 1, bm25K1, 1 - bm25B, bm25B / avg, qs, idfs}
	join := ""
	where := ""
	if !f.empty() {
		join = ` JOIN chunks c ON c.id = t.chunk_id JOIN documents d ON d.id = c.doc_id`
		where, args = f.sql(args)
		where = ` WHERE 1=1` + where
	}
	args = append(args, k)
	rows, err := s.db.QueryContext(ctx, `SELECT t.chunk_id, SUM(q.idf * t.tf * ?::float8 / (t.tf + ?::float8 * (?::float8 + ?::float8 * t.len))) AS s
		FROM unnest(?::text[], ?::float8[]) AS q(term, idf)
		JOIN chunk_terms t ON t.term = q.term`+join+where+`
		GROUP BY t.chunk_id ORDER BY s DESC, t.chunk_id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("index: lexical search: %w", err)
	}
	return scanScores(rows)
}

// docFreqs counts the passages holding each term, in one statement.
func (s *server) docFreqs(ctx context.Context, terms []string) (map[string]int, error) {
	out := make(map[string]int, len(terms))
	for _, t := range terms {
		out[t] = 0
	}
	if len(terms) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT term, COUNT(*) FROM chunk_terms WHERE term = ANY(?::text[]) GROUP BY term`, terms)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}

// serverBusy reports errors after which a server's transaction is simply
// tried again: a serialization failure, a deadlock, a lock not available.
func serverBusy(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "55P03":
		return true
	}
	return false
}

// ErrReadOnly means the library's server refused a change: the member's
// role may read the team library but not change it.
var ErrReadOnly = errors.New("index: this member may only read the team library")

// MarkReadOnly returns err with ErrReadOnly in its chain when the server
// refused it for want of privileges (SQLSTATE 42501), else err.
func MarkReadOnly(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42501" && !errors.Is(err, ErrReadOnly) {
		return fmt.Errorf("%w (%v)", ErrReadOnly, err)
	}
	return err
}

// serverFull reports a server out of disk (SQLSTATE 53100).
func serverFull(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53100"
}
