package index

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/carrel-ai/carrel/engine/passage"
	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/engine/terms"
)

const docColumns = `id, library_id, path, hash, size, mtime, format, title, language, status, error, error_kind, chunks, pages, indexed_at, duplicate_of, model, attempts`

func scanDoc(s interface{ Scan(...any) error }) (Document, error) {
	var d Document
	var mtime, indexed int64
	var st string
	err := s.Scan(&d.ID, &d.LibraryID, &d.Path, &d.Hash, &d.Size, &mtime, &d.Format, &d.Title, &d.Language,
		&st, &d.Error, &d.ErrorKind, &d.Chunks, &d.Pages, &indexed, &d.DuplicateOf, &d.Model, &d.Attempts)
	d.Status = status.Status(st)
	d.ModTime = time.Unix(0, mtime)
	if indexed > 0 {
		d.IndexedAt = time.Unix(0, indexed)
	}
	return d, err
}

// Document returns the registry entry of path in a library.
func (x *Index) Document(ctx context.Context, lib int64, path string) (Document, error) {
	d, err := scanDoc(x.db.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents WHERE library_id = ? AND path = ?`, lib, path))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	return d, err
}

// DocumentByID returns a registry entry.
func (x *Index) DocumentByID(ctx context.Context, id int64) (Document, error) {
	d, err := scanDoc(x.db.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%w: document %d", ErrNotFound, id)
	}
	return d, err
}

// DocFilter selects documents: zero fields match all.
type DocFilter struct {
	LibraryID  int64
	Statuses   []status.Status
	PathPrefix string
	Limit      int // at most this many; 0 means all
}

// Documents lists registry entries, ordered by path.
func (x *Index) Documents(ctx context.Context, f DocFilter) ([]Document, error) {
	q := `SELECT ` + docColumns + ` FROM documents WHERE 1=1`
	var args []any
	if f.LibraryID != 0 {
		q += ` AND library_id = ?`
		args = append(args, f.LibraryID)
	}
	if len(f.Statuses) > 0 {
		q += ` AND status IN (` + strings.TrimSuffix(strings.Repeat("?,", len(f.Statuses)), ",") + `)`
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if f.PathPrefix != "" {
		q += ` AND substr(path, 1, ?) = ?`
		args = append(args, len(f.PathPrefix), f.PathPrefix)
	}
	q += ` ORDER BY library_id, path`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := x.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Enqueue registers path in a library as queued, unless it is already
// known with the same size and modification time and either indexed,
// waiting or being indexed, or failed and kept so by keep (then it returns
// the entry and false). A known file that changed becomes stale until it
// is indexed again: its old chunks keep serving until then. A file that
// changed while being indexed is queued again, and the result of the
// indexing in hand does not mark it ready.
//
// It runs in one transaction that takes the write lock first, so that two
// processes adding the same file register it once.
func (x *Index) Enqueue(ctx context.Context, lib int64, path string, size int64, mtime time.Time, keep func(Document) bool) (Document, bool, error) {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return Document{}, false, err
	}
	defer tx.Rollback()
	// A new path is inserted at once; if it is there already (or another
	// process inserted it meanwhile: on a server, transactions run side by
	// side), its row is read and locked instead.
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO documents(library_id, path, size, mtime, status) VALUES(?, ?, ?, ?, ?)
		ON CONFLICT(library_id, path) DO NOTHING RETURNING id`, lib, path, size, mtime.UnixNano(), string(status.Queued)).Scan(&id)
	switch {
	case err == nil:
		if err := x.store.notify(ctx, tx, changeRegistry, id); err != nil {
			return Document{}, false, err
		}
		d := Document{ID: id, LibraryID: lib, Path: path, Size: size, ModTime: mtime, Status: status.Queued}
		return d, true, tx.Commit()
	case !errors.Is(err, sql.ErrNoRows):
		return Document{}, false, err
	}
	d, err := scanDoc(tx.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents WHERE library_id = ? AND path = ?`+x.store.forUpdate(), lib, path))
	if err != nil {
		return d, false, err
	}
	if d.Size == size && d.ModTime.Equal(time.Unix(0, mtime.UnixNano())) {
		switch d.Status {
		case status.Ready, status.Queued, status.Stale, status.Parsing, status.Embedding:
			return d, false, nil
		case status.Failed:
			if keep == nil || keep(d) {
				return d, false, nil
			}
		}
	}
	next := status.Queued
	if d.Status == status.Ready {
		next = status.Stale
	}
	if _, err = tx.ExecContext(ctx, `UPDATE documents SET size = ?, mtime = ?, status = ?, owner = '', lease = 0 WHERE id = ?`,
		size, mtime.UnixNano(), string(next), d.ID); err != nil {
		return d, false, err
	}
	if err := x.store.notify(ctx, tx, changeRegistry, d.ID); err != nil {
		return d, false, err
	}
	d.Size, d.ModTime, d.Status = size, mtime, next
	return d, true, tx.Commit()
}

// SetStatus moves a document along, dropping any claim on it; errMsg and
// kind are kept for Failed.
func (x *Index) SetStatus(ctx context.Context, id int64, s status.Status, errMsg, kind string) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	if _, err := x.exec(ctx, `UPDATE documents SET status = ?, error = ?, error_kind = ?, owner = '', lease = 0 WHERE id = ?`, string(s), errMsg, kind, id); err != nil {
		return err
	}
	return x.store.notify(ctx, nil, changeRegistry, id)
}

// FindByHash returns another ready document of the library with this
// content, for duplicate detection.
func (x *Index) FindByHash(ctx context.Context, lib int64, hash string, except int64) (Document, bool, error) {
	d, err := scanDoc(x.db.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents
		WHERE library_id = ? AND hash = ? AND id != ? AND status = 'ready' AND duplicate_of = 0 ORDER BY id LIMIT 1`, lib, hash, except))
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	return d, err == nil, err
}

// Meta is what a parse learned about a document.
type Meta struct {
	Hash, Format, Title, Language string
	Pages                         int
	DuplicateOf                   int64
	// Sections are the texts the chunks were cut from (Chunk.Section
	// indexes them).
	Sections []Section
	// Layouts are the pages read by OCR, with where their characters
	// stand (docs.EncodeLayout): the passages' CharFirst and CharLast on
	// such a page index them.
	Layouts []Layout
	// Owner, when set, is the claim the document was indexed under (see
	// Claim): if it was queued again meanwhile (its file changed), the
	// new passages are stored but the document stays queued.
	Owner string
	// Content, on a server store, is the file itself, kept once per
	// content for the members who do not have it (see File); ignored by
	// the SQLite store, whose files are on this computer.
	Content []byte
	// status.Embedding, with Owner, stores the chunks without vectors and keeps
	// the claim, with the status Embedding: the passages are searchable by
	// their words at once, and AddVectors completes the document.
	Embedding bool
}

// Layout is the stored layout of a page read by OCR.
type Layout struct {
	Page int
	Data []byte
}

// Replace swaps a document's chunks, terms and vectors for new ones and
// marks it ready, in one transaction: searches see the old version or the
// new one, never a mix. vectors may be nil (lexical only); otherwise it has
// one unit vector per chunk, made by model.
func (x *Index) Replace(ctx context.Context, docID int64, m Meta, chunks []Chunk, vectors [][]float32, model string) error {
	if vectors != nil && len(vectors) != len(chunks) {
		return fmt.Errorf("index: %d vectors for %d chunks", len(vectors), len(chunks))
	}
	return x.rewrite(ctx, docID, func(tx *txn, lib int64) (func(), error) {
		// Two copies of one file indexed at once (by two workers, or two
		// processes) each found no original when they began: the first
		// to be stored is the original, this one its duplicate.
		if m.DuplicateOf == 0 && m.Hash != "" && len(chunks) > 0 {
			if err := x.store.lockContent(ctx, tx, lib, m.Hash); err != nil {
				return nil, err
			}
			var orig int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM documents WHERE library_id = ? AND hash = ? AND id != ?
				AND status = 'ready' AND duplicate_of = 0 ORDER BY id LIMIT 1`, lib, m.Hash, docID).Scan(&orig)
			switch {
			case err == nil:
				m.DuplicateOf, m.Sections, chunks, vectors = orig, nil, nil, nil
			case !errors.Is(err, sql.ErrNoRows):
				return nil, err
			}
		}
		ids := make([]int64, len(chunks))
		if len(m.Content) > 0 && m.DuplicateOf == 0 && m.Hash != "" {
			if err := x.store.keepFile(ctx, tx, m.Hash, m.Content); err != nil {
				return nil, err
			}
		}
		for i, sec := range m.Sections {
			if _, err := tx.ExecContext(ctx, `INSERT INTO sections(doc_id, ord, page, heading, text) VALUES(?, ?, ?, ?, ?)`,
				docID, i, sec.Page, sec.Heading, sec.Text); err != nil {
				return nil, err
			}
		}
		for _, l := range m.Layouts {
			if m.DuplicateOf != 0 {
				break
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO page_layouts(doc_id, page, layout) VALUES(?, ?, ?)
				ON CONFLICT(doc_id, page) DO UPDATE SET layout = excluded.layout`,
				docID, l.Page, l.Data); err != nil {
				return nil, err
			}
		}
		placed := make([]Chunk, len(chunks))
		for i, c := range chunks {
			if len(m.Sections) == 0 {
				// No sections given (synthetic data): the chunk has no place.
				c.Place = passage.Place{Section: -1, CharFirst: passage.NoChars, CharLast: passage.NoChars}
			} else if c.Section < 0 || c.Section >= len(m.Sections) || c.Start < 0 || c.End < c.Start || c.End > len(m.Sections[c.Section].Text) {
				return nil, fmt.Errorf("index: chunk %d points outside its section", i)
			}
			placed[i] = c
		}
		termCount, err := x.store.insertPassages(ctx, tx, docID, placed, ids)
		if err != nil {
			return nil, err
		}
		if vectors != nil {
			if err := x.store.insertVectors(ctx, tx, lib, model, ids, vectors); err != nil {
				return nil, err
			}
		}
		usedModel := ""
		if vectors != nil {
			usedModel = model
		}
		done, keep := string(status.Ready), ""
		if m.Embedding && m.Owner != "" && m.DuplicateOf == 0 {
			done, keep = string(status.Embedding), m.Owner // AddVectors completes it
		}
		if _, err := tx.ExecContext(ctx, `UPDATE documents SET hash = ?, format = ?, title = ?, language = ?, pages = ?, chunks = ?,
			status = CASE WHEN ? = '' OR owner = ? THEN ? ELSE status END,
			owner = CASE WHEN ? = '' OR owner = ? THEN ? ELSE owner END,
			error = '', error_kind = '', attempts = 0, indexed_at = ?, duplicate_of = ?, model = ? WHERE id = ?`,
			m.Hash, m.Format, m.Title, m.Language, m.Pages, len(chunks), m.Owner, m.Owner, done, m.Owner, m.Owner, keep,
			time.Now().UnixNano(), m.DuplicateOf, usedModel, docID); err != nil {
			return nil, err
		}
		return func() {
			x.chunks.Add(int64(len(chunks)))
			x.store.termsChanged(int64(termCount))
			if vectors != nil {
				x.addVectorsLocked(lib, docID, model, ids, vectors)
			}
		}, nil
	})
}

// passageTerms are the terms a passage is found by. The heading is
// searchable too: a passage under "Budget" answers "budget" even if the
// word is not repeated.
func passageTerms(c Chunk) []string {
	return terms.Of(c.Heading + "\n" + c.Text)
}

// AddVectors completes a document stored with Meta.Embedding: it stores
// one vector per chunk (in chunk order), made by model, and marks the
// document ready, in one transaction. It stores nothing and returns false
// when owner no longer holds the document (it was queued again or taken
// back meanwhile: the next indexing redoes it) or it became a duplicate.
func (x *Index) AddVectors(ctx context.Context, docID int64, owner, model string, vectors [][]float32) (bool, error) {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var lib int64
	var cur string
	var dup int64
	if err := tx.QueryRowContext(ctx, `SELECT library_id, owner, duplicate_of FROM documents WHERE id = ?`+x.store.forUpdate(), docID).Scan(&lib, &cur, &dup); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil // removed meanwhile
		}
		return false, err
	}
	if cur != owner || owner == "" || dup != 0 {
		return false, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM chunks WHERE doc_id = ? ORDER BY ord`, docID)
	if err != nil {
		return false, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return false, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if len(ids) != len(vectors) {
		return false, fmt.Errorf("index: %d vectors for %d chunks", len(vectors), len(ids))
	}
	if err := x.store.insertVectors(ctx, tx, lib, model, ids, vectors); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET status = 'ready', owner = '', lease = 0, model = ? WHERE id = ? AND owner = ?`,
		model, docID, owner); err != nil {
		return false, err
	}
	if err := x.store.notify(ctx, tx, changePassages, docID); err != nil {
		return false, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := tx.Commit(); err != nil {
		return false, err
	}
	x.addVectorsLocked(lib, docID, model, ids, vectors)
	return true, nil
}

// Fail records a document that could not be indexed, counting the
// attempt. Its old chunks, if any, are removed: they no longer describe
// the file. With owner set (see Claim), a document queued again meanwhile
// (its file changed) is left queued.
func (x *Index) Fail(ctx context.Context, docID int64, owner, hash, errMsg, kind string) error {
	return x.removeChunks(ctx, docID, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE documents SET status = CASE WHEN ? = '' OR owner = ? THEN 'failed' ELSE status END,
			owner = CASE WHEN ? = '' OR owner = ? THEN '' ELSE owner END,
			hash = ?, error = ?, error_kind = ?, chunks = 0, attempts = attempts + 1, indexed_at = ? WHERE id = ?`,
			owner, owner, owner, owner, hash, errMsg, kind, time.Now().UnixNano(), docID)
		return err
	})
}

// Remove deletes a document and everything indexed from it.
func (x *Index) Remove(ctx context.Context, docID int64) error {
	return x.removeChunks(ctx, docID, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = ?`, docID)
		return err
	})
}

func (x *Index) removeChunks(ctx context.Context, docID int64, then func(*txn) error) error {
	return x.rewrite(ctx, docID, func(tx *txn, _ int64) (func(), error) { return nil, then(tx) })
}

// rewrite removes a document's chunks, terms and vectors and runs change,
// in one transaction. The commit happens under the search lock, with the
// in-memory vectors updated at once and change's returned func run: a
// search sees the old version or the new one, never a mix.
func (x *Index) rewrite(ctx context.Context, docID int64, change func(tx *txn, lib int64) (func(), error)) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var lib int64
	var oldHash string
	if err := tx.QueryRowContext(ctx, `SELECT library_id, hash FROM documents WHERE id = ?`+x.store.forUpdate(), docID).Scan(&lib, &oldHash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: document %d", ErrNotFound, docID)
		}
		return err
	}
	old, oldTerms, err := x.deleteChunks(ctx, tx, docID)
	if err != nil {
		return err
	}
	after, err := change(tx, lib)
	if err != nil {
		return err
	}
	if oldHash != "" {
		// The copy of a content no document has any more goes too.
		if err := x.store.dropFile(ctx, tx, oldHash); err != nil {
			return err
		}
	}
	if err := x.store.notify(ctx, tx, changePassages, docID); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := tx.Commit(); err != nil {
		return err
	}
	x.chunks.Add(-int64(len(old)))
	x.store.termsChanged(-oldTerms)
	x.dropVectorsLocked(lib, docID, old)
	if after != nil {
		after()
	}
	return nil
}

// deleteChunks removes a document's chunks with their terms and vectors,
// returning the removed chunk ids and, on a server, how many terms they
// held.
func (x *Index) deleteChunks(ctx context.Context, tx *txn, docID int64) (ids []int64, nterms int64, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM chunks WHERE doc_id = ?`, docID)
	if err != nil {
		return nil, 0, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if nterms, err = x.store.removeTerms(ctx, tx, docID); err != nil {
		return nil, 0, fmt.Errorf("index: removing terms: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE doc_id = ?`, docID); err != nil {
		return nil, 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sections WHERE doc_id = ?`, docID); err != nil {
		return nil, 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM page_layouts WHERE doc_id = ?`, docID); err != nil {
		return nil, 0, err
	}
	return ids, nterms, nil
}

// LoadVectors makes the vectors of model the ones similarity search uses,
// loading them from the store. Chunks without a vector of this model are
// found by lexical search only until they are embedded again. A previous
// model's set (ChangeModel) is dropped.
func (x *Index) LoadVectors(ctx context.Context, model string) error {
	return x.loadSet(ctx, model, false, func(set vectorSet) []vectorSet {
		old, prev := x.vec, x.prev
		x.vec, x.model = set, model
		x.prev, x.prevModel = nil, ""
		return []vectorSet{old, prev}
	})
}

// ChangeModel loads the vectors of a new embedding model beside the ones
// in use, then switches to them, keeping the previous model's vectors
// searchable (VectorPrevious) until DropPrevious: while the library is
// re-embedded, chunks not yet done are still found by meaning with the
// old model's query vectors. Searches run on the current set while the
// new one loads: the search lock is held only for the switch.
func (x *Index) ChangeModel(ctx context.Context, model string) error {
	return x.loadSet(ctx, model, false, func(set vectorSet) []vectorSet {
		cur, curModel := x.vec, x.model
		drop := []vectorSet{x.prev}
		x.vec, x.model = set, model
		x.prev, x.prevModel = nil, ""
		if curModel != "" && model != "" && curModel != model {
			x.prev, x.prevModel = cur, curModel
		} else {
			drop = append(drop, cur)
		}
		return drop
	})
}

// vectorOp is a change to a model's vectors made while its set loads.
type vectorOp struct {
	add bool
	lib int64
	ids []int64
	vec [][]float32
}

// loading records the changes to one model's vectors committed while its
// set is read from the database, to be replayed on the loaded set.
type loading struct {
	model string
	ops   []vectorOp
}

// loadSet reads a model's vectors into new stores without holding the
// search lock, and hands them to install under it. Writes committed
// meanwhile are logged (under the lock, by Replace and the removals) and
// replayed once the read is done, in the same hold of the lock as
// install, so the set misses nothing written during the load and keeps
// nothing deleted. install returns the sets it replaced, closed once the
// lock is released (no search can be using them then).
//
// Where the backend keeps vector files, the set is mapped from the newest
// (rebuild: a new one written first) rather than read.
func (x *Index) loadSet(ctx context.Context, model string, rebuild bool, install func(vectorSet) []vectorSet) error {
	set := vectorSet{}
	if model == "" || !x.store.vectorsInMemory() {
		if model != "" {
			// The database searches them: nothing to load, and its
			// index of the model's vectors to make if there is none.
			x.store.prepareVectors(model)
		}
		x.mu.Lock()
		drop := install(set)
		x.mu.Unlock()
		closeSets(drop)
		return nil
	}
	log := &loading{model: model}
	x.mu.Lock()
	x.loads = append(x.loads, log)
	x.mu.Unlock()
	unlog := func() { x.loads = slices.DeleteFunc(x.loads, func(l *loading) bool { return l == log }) }
	var docs map[int64]docVectors
	var err error
	if dir := x.store.vectorDir(); dir != "" {
		if err = x.readMapped(ctx, dir, model, set, rebuild); err != nil {
			err = fmt.Errorf("index: loading vectors: %w", err)
		}
	} else {
		docs, err = x.readVectors(ctx, model, set)
	}
	if err != nil {
		x.mu.Lock()
		unlog()
		x.mu.Unlock()
		set.close()
		return err
	}
	if x.afterRead != nil {
		x.afterRead()
	}
	x.mu.Lock()
	unlog()
	for id, dv := range docs {
		x.store.followed().set(id, dv.lib, dv.ids)
	}
	for _, op := range log.ops {
		if op.add {
			storeOf(set, op.lib, len(op.vec[0])).addAll(op.ids, op.vec)
		} else if s := set[op.lib]; s != nil {
			for _, id := range op.ids {
				s.remove(id)
			}
		}
	}
	log.ops = nil
	drop := install(set)
	x.mu.Unlock()
	closeSets(drop)
	if x.store.vectorDir() == "" {
		// Loading churned through every blob once; give that memory back.
		debug.FreeOSMemory()
	}
	return nil
}

func closeSets(sets []vectorSet) {
	for _, s := range sets {
		s.close()
	}
}

// readVectors reads every vector of model into set, one store a library.
// For a library on a server, it also returns the chunks of each document,
// so that a change another member makes replaces them.
func (x *Index) readVectors(ctx context.Context, model string, set vectorSet) (map[int64]docVectors, error) {
	docs, err := x.readAllVectors(ctx, model, set)
	if err != nil {
		return nil, fmt.Errorf("index: loading vectors: %w", err)
	}
	return docs, nil
}

func (x *Index) readAllVectors(ctx context.Context, model string, set vectorSet) (map[int64]docVectors, error) {
	db := x.db
	var docs map[int64]docVectors
	if x.store.followed() != nil {
		docs = map[int64]docVectors{}
	}
	// Size each library's store exactly first: growing by appending would
	// copy the vectors repeatedly and leave up to twice their memory.
	var size int
	if err := db.QueryRowContext(ctx, `SELECT length(vec) FROM vectors WHERE model = ? LIMIT 1`, model).Scan(&size); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return docs, nil
		}
		return nil, err
	}
	crows, err := db.QueryContext(ctx, `SELECT library_id, COUNT(*) FROM vectors WHERE model = ? GROUP BY library_id`, model)
	if err != nil {
		return nil, err
	}
	for crows.Next() {
		var lib int64
		var n int
		if err := crows.Scan(&lib, &n); err != nil {
			crows.Close()
			return nil, err
		}
		set[lib] = newStore(size/4, n)
	}
	crows.Close()
	rows, err := db.QueryContext(ctx, x.store.vectorQuery(), model)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var buf []float32
	for rows.Next() {
		var id, lib, doc int64
		var blob sql.RawBytes
		if err := rows.Scan(&id, &lib, &blob, &doc); err != nil {
			return nil, err
		}
		buf = decodeVecInto(buf[:0], blob)
		storeOf(set, lib, len(buf)).add(id, buf)
		if docs != nil {
			dv := docs[doc]
			dv.lib, dv.ids = lib, append(dv.ids, id)
			docs[doc] = dv
		}
	}
	return docs, rows.Err()
}

// PreviousModel is the model whose vectors ChangeModel kept, or "".
func (x *Index) PreviousModel() string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.prevModel
}

// DropPrevious frees the previous model's vectors.
func (x *Index) DropPrevious() {
	x.mu.Lock()
	prev := x.prev
	x.prev, x.prevModel = nil, ""
	x.mu.Unlock()
	prev.close()
}

// Model is the embedding model whose vectors are loaded.
func (x *Index) Model() string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.model
}

// storeOf returns a set's store for a library, making it if needed.
func storeOf(set vectorSet, lib int64, dims int) vectorStore {
	if s := set[lib]; s != nil {
		return s
	}
	s := newStore(dims, 0)
	set[lib] = s
	return s
}

// addVectorsLocked adds a document's new vectors of model to the set in
// use, when they are of its model, and to the sets loading.
func (x *Index) addVectorsLocked(lib, docID int64, model string, ids []int64, vectors [][]float32) {
	if len(ids) == 0 {
		return
	}
	if !x.store.vectorsInMemory() {
		return // the database searches them
	}
	x.store.followed().set(docID, lib, ids)
	if model == x.model {
		storeOf(x.vec, lib, len(vectors[0])).addAll(ids, vectors)
		x.refreshLocked()
	}
	for _, l := range x.loads {
		if l.model == model {
			l.ops = append(l.ops, vectorOp{add: true, lib: lib, ids: ids, vec: vectors})
		}
	}
}

func (x *Index) dropVectorsLocked(lib, docID int64, ids []int64) {
	delete(x.store.followed(), docID)
	for _, store := range []vectorSet{x.vec, x.prev} {
		if s := store[lib]; s != nil {
			for _, id := range ids {
				s.remove(id)
			}
		}
	}
	for _, l := range x.loads {
		l.ops = append(l.ops, vectorOp{lib: lib, ids: ids})
	}
}

// refreshLocked starts writing a new vector file in the background when
// the set in use holds enough vectors in memory since its file; the set
// over the new file replaces it when done.
func (x *Index) refreshLocked() {
	if x.store.vectorDir() == "" || x.refreshing || x.closed || x.model == "" {
		return
	}
	mem, base := 0, 0
	for _, s := range x.vec {
		switch s := s.(type) {
		case *mapped:
			mem += s.inMemory()
			base += s.lib.count - s.ndead
		default:
			mem += s.count()
		}
	}
	if mem < refreshAt(base) || mem < x.refreshFloor {
		return
	}
	x.refreshing = true
	model := x.model
	x.bg.Add(1)
	go func() {
		defer x.bg.Done()
		err := x.loadSet(x.bgCtx, model, true, func(set vectorSet) []vectorSet {
			x.refreshing = false
			if x.closed || x.model != model {
				return []vectorSet{set}
			}
			old := x.vec
			x.vec, x.refreshFloor = set, 0
			return []vectorSet{old}
		})
		if err != nil {
			// Disk full, or closing: try again once twice as many
			// wait, rather than at every write.
			x.mu.Lock()
			x.refreshing, x.refreshFloor = false, 2*mem
			x.mu.Unlock()
		}
	}()
}

func encodeVec(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func decodeVecInto(v []float32, b []byte) []float32 {
	n := len(b) / 4
	if littleEndian {
		// Stored little-endian, as this machine holds floats: one copy.
		v = append(v, make([]float32, n)...)
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&v[len(v)-n])), n*4), b)
		return v
	}
	for i := 0; i+4 <= len(b); i += 4 {
		v = append(v, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
	}
	return v
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
