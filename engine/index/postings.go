package index

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Carrel's own postings of a library in a folder: for each term, its
// passages in id order, in blocks of up to blockPostings, each block a
// row (term, first id) holding its last id, its count, the largest term
// count and the shortest passage in it (the bounds block-max ranking
// skips by, see topk.go) and the postings, delta-encoded. Beside them,
// each term's passage count (lex_terms) and the passage and term totals
// (lex_stats) of the passages in the blocks.
//
// Writing a document's terms into the blocks at once would rewrite a
// block per distinct term: hundreds of pages a document. So passages are
// merged into the blocks in the background, thousands at a time
// (mergePostings): the blocks hold the passages up to lex_stats.built,
// and the passages after it — the tail, whose terms are read from their
// text — are searched through an in-memory view each process keeps
// (tailView). A passage at or below built is removed from the blocks in
// the transaction that removes it; one in the tail needs nothing but a
// count of such removals (gen), which tells the views to look again.
// Everything is in the transactions that change the passages, so a crash
// leaves the postings as consistent as the passages are.
//
// FTS5 is still written too: it answers while the tail is too long for
// a view (a library made by an older Carrel, whose postings are being
// built), and ranks within a filter that removes most passages.

// blockPostings is the most postings a block holds.
const blockPostings = 128

// postingsVersion is the layout and term analysis of the postings: a
// library whose postings were made with another is indexed again (in the
// background), since its passages' terms would no longer be found to
// remove.
const postingsVersion = 1

const postingsSchema = `
CREATE TABLE IF NOT EXISTS lex_postings(
	term TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL, n INTEGER NOT NULL,
	maxtf INTEGER NOT NULL, mindl INTEGER NOT NULL, data BLOB NOT NULL,
	PRIMARY KEY(term, first)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lex_terms(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lex_tail(id INTEGER PRIMARY KEY, words TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lex_stats(
	id INTEGER PRIMARY KEY CHECK (id = 0), passages INTEGER NOT NULL, terms INTEGER NOT NULL,
	version INTEGER NOT NULL, built INTEGER NOT NULL, gen INTEGER NOT NULL);
`

// posting is one passage holding a term: its id, the term's count in it
// and its length in terms.
type posting struct {
	id     int64
	tf, dl int
}

func encodeBlock(ps []posting) lexBlock {
	b := lexBlock{first: ps[0].id, last: ps[len(ps)-1].id, n: len(ps), minDL: ps[0].dl}
	buf := make([]byte, 0, 4*len(ps))
	prev := b.first
	for _, p := range ps {
		buf = binary.AppendUvarint(buf, uint64(p.id-prev))
		buf = binary.AppendUvarint(buf, uint64(p.tf))
		buf = binary.AppendUvarint(buf, uint64(p.dl))
		prev = p.id
		b.maxTF, b.minDL = max(b.maxTF, p.tf), min(b.minDL, p.dl)
	}
	b.data = buf
	return b
}

// decodeBlock appends a block's postings to ids, tfs and dls. A damaged
// block decodes to what could be read.
func decodeBlock(b lexBlock, ids []int64, tfs, dls []int32) ([]int64, []int32, []int32) {
	data, id := b.data, b.first
	for len(data) > 0 {
		var v [3]uint64
		for i := range v {
			x, n := binary.Uvarint(data)
			if n <= 0 {
				return ids, tfs, dls
			}
			v[i], data = x, data[n:]
		}
		id += int64(v[0])
		ids, tfs, dls = append(ids, id), append(tfs, int32(v[1])), append(dls, int32(v[2]))
	}
	return ids, tfs, dls
}

func blockPostingsOf(b lexBlock) []posting {
	ids, tfs, dls := decodeBlock(b, nil, nil, nil)
	ps := make([]posting, len(ids))
	for i := range ids {
		ps[i] = posting{id: ids[i], tf: int(tfs[i]), dl: int(dls[i])}
	}
	return ps
}

// lexState is the postings' row of statistics.
type lexState struct {
	passages, terms int64 // of the passages in the blocks
	version         int
	built           int64 // passages with ids up to it are in the blocks
	gen             int64 // passages removed from the tail so far
}

// ready reports postings made with this analysis of terms.
func (s lexState) ready() bool { return s.version == postingsVersion }

// inBlocks reports whether passage id's postings belong in the blocks
// (the rest is the tail).
func (s lexState) inBlocks(id int64) bool { return id <= s.built }

type rowQuerier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func readLexState(ctx context.Context, q rowQuerier) (lexState, error) {
	var s lexState
	err := q.QueryRowContext(ctx, `SELECT passages, terms, version, built, gen FROM lex_stats WHERE id = 0`).
		Scan(&s.passages, &s.terms, &s.version, &s.built, &s.gen)
	if errors.Is(err, sql.ErrNoRows) {
		return lexState{}, nil // version 0: not made yet
	}
	return s, err
}

// preparePostings makes the statistics row of a new library, and has the
// postings of a library made before them, or with another analysis of
// terms, built anew from its passages (as a tail merged in the
// background). It returns the number of passages. Postings that do not
// hold as many passages as the library has below built (an older Carrel
// wrote to it since) are built anew too.
func preparePostings(ctx context.Context, db *sql.DB) (passages int64, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return 0, err
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.Background(), `ROLLBACK`)
		}
	}()
	s, err := readLexState(ctx, conn)
	if err != nil {
		return 0, err
	}
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM chunks`).Scan(&passages); err != nil {
		return 0, err
	}
	// (Counted as all but the tail: the tail is short, the rest may be a
	// million passages.)
	var tail int64
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM chunks WHERE id > ?`, s.built).Scan(&tail); err != nil {
		return 0, err
	}
	below := passages - tail
	if s.version != postingsVersion || s.passages != below {
		for _, q := range []string{`DELETE FROM lex_postings`, `DELETE FROM lex_terms`, `DELETE FROM lex_tail`, `DELETE FROM lex_stats`} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return 0, err
			}
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO lex_stats(id, passages, terms, version, built, gen) VALUES(0, 0, 0, ?, 0, 0)`,
			postingsVersion); err != nil {
			return 0, err
		}
	}
	done = true
	_, err = conn.ExecContext(ctx, `COMMIT`)
	return passages, err
}

// passageWords are a passage's terms, as stored and removed.
type passageWords struct {
	id    int64
	words []string
}

// addPostings puts the terms of the passages that belong in the blocks
// there, within tx; those of the tail wait for mergePostings. The
// passages must not be there yet.
func addPostings(ctx context.Context, tx *txn, st lexState, ps []passageWords) error {
	byTerm := map[string][]posting{}
	var passages, total int64
	for _, p := range ps {
		if !st.inBlocks(p.id) {
			continue
		}
		passages++
		total += int64(len(p.words))
		counts := map[string]int{}
		for _, w := range p.words {
			counts[w]++
		}
		for w, tf := range counts {
			byTerm[w] = append(byTerm[w], posting{id: p.id, tf: tf, dl: len(p.words)})
		}
	}
	if passages == 0 {
		return nil
	}
	// Three statements for the whole document, whatever its number of
	// terms: each term's count, each term's last block, and the blocks
	// written (JSON arrays unpacked by SQLite); a statement per term cost
	// ten times more.
	terms := make([]string, 0, len(byTerm))
	counts := make([][2]any, 0, len(byTerm))
	for t, list := range byTerm {
		sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
		terms, counts = append(terms, t), append(counts, [2]any{t, len(list)})
	}
	termsJSON, _ := json.Marshal(terms)
	countsJSON, _ := json.Marshal(counts)
	if _, err := tx.ExecContext(ctx, `INSERT INTO lex_terms(term, df)
		SELECT value->>0, value->>1 FROM json_each(?) WHERE true
		ON CONFLICT(term) DO UPDATE SET df = df + excluded.df`, string(countsJSON)); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT p.term, p.first, p.last, p.n, p.maxtf, p.mindl, p.data FROM json_each(?) t
		JOIN lex_postings p ON p.term = t.value AND p.first = (SELECT MAX(first) FROM lex_postings WHERE term = t.value)`, string(termsJSON))
	if err != nil {
		return err
	}
	tails := map[string]lexBlock{}
	for rows.Next() {
		var t string
		var b lexBlock
		if err := rows.Scan(&t, &b.first, &b.last, &b.n, &b.maxTF, &b.minDL, &b.data); err != nil {
			rows.Close()
			return err
		}
		tails[t] = b
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var out blockBatch
	w := blockWriter{tx: tx}
	defer w.close()
	for _, t := range terms {
		list := byTerm[t]
		b, ok := tails[t]
		switch {
		case !ok || (list[0].id > b.last && b.n >= blockPostings):
			out.add(t, list)
		case list[0].id > b.last:
			// The usual case: new passages come after the others; the
			// last block fills up first (same key: replaced).
			out.add(t, append(blockPostingsOf(b), list...))
		default:
			// A passage id taken again after the last one was removed:
			// the blocks from the one it falls in on are merged anew.
			if err := w.merge(ctx, t, list, nil); err != nil {
				return err
			}
		}
	}
	if err := out.write(ctx, tx); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE lex_stats SET passages = passages + ?, terms = terms + ? WHERE id = 0`, passages, total)
	return err
}

// removePostings takes the passages' terms out of the blocks, within tx,
// and counts those removed from the tail.
func removePostings(ctx context.Context, tx *txn, st lexState, ps []passageWords) error {
	byTerm := map[string][]posting{}
	var passages, total int64
	tail := false
	for _, p := range ps {
		if !st.inBlocks(p.id) {
			tail = true
			continue
		}
		passages++
		total += int64(len(p.words))
		seen := map[string]bool{}
		for _, w := range p.words {
			if !seen[w] {
				seen[w] = true
				byTerm[w] = append(byTerm[w], posting{id: p.id})
			}
		}
	}
	if tail {
		if _, err := tx.ExecContext(ctx, `UPDATE lex_stats SET gen = gen + 1 WHERE id = 0`); err != nil {
			return err
		}
	}
	if passages == 0 {
		return nil
	}
	terms := make([]string, 0, len(byTerm))
	for t := range byTerm {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	w := blockWriter{tx: tx}
	defer w.close()
	for _, t := range terms {
		list := byTerm[t]
		sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
		gone := map[int64]bool{}
		for _, p := range list {
			gone[p.id] = true
		}
		if err := w.merge(ctx, t, nil, gone); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lex_terms SET df = df - ? WHERE term = ?`, w.removed, t); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM lex_terms WHERE term = ? AND df <= 0`, t); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE lex_stats SET passages = passages - ?, terms = terms - ? WHERE id = 0`, passages, total)
	return err
}

// blockBatch gathers blocks to write in one statement; a block with the
// key of a stored one replaces it.
type blockBatch struct {
	rows [][7]any
}

// add cuts ps (in id order) into blocks.
func (o *blockBatch) add(term string, ps []posting) {
	for len(ps) > 0 {
		n := min(len(ps), blockPostings)
		b := encodeBlock(ps[:n])
		o.rows = append(o.rows, [7]any{term, b.first, b.last, b.n, b.maxTF, b.minDL, hex.EncodeToString(b.data)})
		ps = ps[n:]
	}
}

func (o *blockBatch) write(ctx context.Context, tx *txn) error {
	if len(o.rows) == 0 {
		return nil
	}
	raw, err := json.Marshal(o.rows)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO lex_postings(term, first, last, n, maxtf, mindl, data)
		SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, unhex(value->>6) FROM json_each(?)`, string(raw))
	return err
}

// blockWriter rewrites a term's blocks, with its statements prepared once
// per transaction.
type blockWriter struct {
	tx      *txn
	ins     *sql.Stmt
	del     *sql.Stmt
	removed int // postings the last merge removed
}

func (w *blockWriter) close() {
	for _, s := range []*sql.Stmt{w.ins, w.del} {
		if s != nil {
			s.Close()
		}
	}
}

// insert writes ps (in id order) as new blocks.
func (w *blockWriter) insert(ctx context.Context, term string, ps []posting) error {
	if w.ins == nil {
		var err error
		if w.ins, err = w.tx.PrepareContext(ctx, `INSERT INTO lex_postings(term, first, last, n, maxtf, mindl, data) VALUES(?, ?, ?, ?, ?, ?, ?)`); err != nil {
			return err
		}
	}
	for len(ps) > 0 {
		n := min(len(ps), blockPostings)
		b := encodeBlock(ps[:n])
		if _, err := w.ins.ExecContext(ctx, term, b.first, b.last, b.n, b.maxTF, b.minDL, b.data); err != nil {
			return err
		}
		ps = ps[n:]
	}
	return nil
}

// replace puts ps (in id order) in place of the blocks old.
func (w *blockWriter) replace(ctx context.Context, term string, old []lexBlock, ps []posting) error {
	if w.del == nil {
		var err error
		if w.del, err = w.tx.PrepareContext(ctx, `DELETE FROM lex_postings WHERE term = ? AND first = ?`); err != nil {
			return err
		}
	}
	for _, b := range old {
		if _, err := w.del.ExecContext(ctx, term, b.first); err != nil {
			return err
		}
	}
	return w.insert(ctx, term, ps)
}

// merge rewrites the blocks of a term that may hold the postings of add
// (in id order) or the passages in gone: add is put in, gone taken out
// (w.removed counts those found).
func (w *blockWriter) merge(ctx context.Context, term string, add []posting, gone map[int64]bool) error {
	lo, hi := int64(1)<<62, int64(-1)
	for _, p := range add {
		lo, hi = min(lo, p.id), max(hi, p.id)
	}
	for id := range gone {
		lo, hi = min(lo, id), max(hi, id)
	}
	// The blocks overlapping [lo, hi], and the one before lo for
	// postings to add there.
	rows, err := w.tx.QueryContext(ctx, `SELECT first, last, n, maxtf, mindl, data FROM lex_postings
		WHERE term = ? AND first <= ? AND last >= COALESCE((SELECT MAX(first) FROM lex_postings WHERE term = ? AND first <= ?), ?)
		ORDER BY first`, term, hi, term, lo, lo)
	if err != nil {
		return err
	}
	var old []lexBlock
	for rows.Next() {
		var b lexBlock
		if err := rows.Scan(&b.first, &b.last, &b.n, &b.maxTF, &b.minDL, &b.data); err != nil {
			rows.Close()
			return err
		}
		old = append(old, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var ps []posting
	w.removed = 0
	for _, b := range old {
		for _, p := range blockPostingsOf(b) {
			if gone[p.id] {
				w.removed++
				continue
			}
			ps = append(ps, p)
		}
	}
	if len(add) > 0 {
		have := map[int64]bool{}
		for _, p := range ps {
			have[p.id] = true
		}
		for _, p := range add {
			if have[p.id] {
				return fmt.Errorf("index: passage %d is already in the postings of %q", p.id, term)
			}
		}
		ps = append(ps, add...)
		sort.Slice(ps, func(i, j int) bool { return ps[i].id < ps[j].id })
	}
	return w.replace(ctx, term, old, ps)
}

// Merging the tail into the blocks: at mergeAt passages, or once writes
// paused for mergeIdle; at most mergeBatch passages a transaction, short
// enough that writers wait little between them, and small enough that
// the blocks written in one statement stay a few megabytes.
const (
	mergeAt    = 5000
	mergeIdle  = time.Second
	mergeBatch = 5000
)

// mergePostings merges the tail into the blocks whenever it grows, until
// ctx ends; kick tells of a write. Failures (a full disk) leave the tail
// as it is, searched through the views, and are tried again later.
func (x *Index) mergePostings(ctx context.Context, kick <-chan struct{}) {
	idle := time.NewTimer(0)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
			idle.Reset(mergeIdle)
			if n, err := x.tailLength(ctx); err != nil || n < mergeAt {
				continue
			}
		case <-idle.C:
		}
		for {
			left, err := x.mergeBatch(ctx, mergeBatch)
			if err != nil || !left {
				break
			}
		}
	}
}

// tailLength counts the passages not yet in the blocks.
func (x *Index) tailLength(ctx context.Context) (int64, error) {
	st, err := readLexState(ctx, x.db)
	if err != nil {
		return 0, err
	}
	var n int64
	err = x.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM chunks WHERE id > ?`, st.built).Scan(&n)
	return n, err
}

// mergeBatch puts the next passages of the tail (at most batch) in the
// blocks; left reports more.
func (x *Index) mergeBatch(ctx context.Context, batch int) (left bool, err error) {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	err = retryBusy(ctx, func() error {
		tx, err := x.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		st, err := readLexState(ctx, tx)
		if err != nil || !st.ready() {
			left = false
			return err
		}
		var ps []passageWords
		if err := readPassageWords(ctx, tx, tailWords+`c.id > ? ORDER BY c.id LIMIT ?`, func(p passageWords) {
			ps = append(ps, p)
		}, st.built, batch+1); err != nil {
			return err
		}
		left = len(ps) > batch
		if left {
			ps = ps[:batch]
		}
		if len(ps) == 0 {
			return nil
		}
		built := ps[len(ps)-1].id
		if err := addPostings(ctx, tx, lexState{version: postingsVersion, built: built}, ps); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE lex_stats SET built = ? WHERE id = 0`, built); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM lex_tail WHERE id <= ?`, built); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return false, fmt.Errorf("index: merging the lexical postings: %w", err)
	}
	return left, nil
}

// passageWordsOf reads the terms of a document's passages, to remove
// them.
func passageWordsOf(ctx context.Context, tx *txn, docID int64) ([]passageWords, error) {
	var ps []passageWords
	err := readPassageWords(ctx, tx, tailWords+`c.doc_id = ?`, func(p passageWords) { ps = append(ps, p) }, docID)
	return ps, err
}

// viewMax is the longest tail a view holds: beyond it (a library whose
// postings are being built), FTS5 answers.
const viewMax = 10000

// tailView is a process's view of the tail: the terms of the passages
// not yet merged into the blocks, read from their text. Guarded by mu;
// brought up to date by each search, in the search's snapshot.
type tailView struct {
	mu    sync.Mutex
	max   int // viewMax; less in tests
	valid bool
	// The statistics it was read at, and the last passage read.
	built, gen, seen int64
	ids              []int64 // in order
	docs             map[int64]tailDoc
	terms            int64
}

// tailDoc is a passage of the tail: its length in terms and its distinct
// terms, sorted, with their counts (a slice is a fifth of a map's cost to
// build, and searched by halves as fast for a passage's few terms).
type tailDoc struct {
	dl    int
	terms []string
	tfs   []int32
}

func newTailDoc(words []string) tailDoc {
	sorted := append([]string(nil), words...)
	sort.Strings(sorted)
	d := tailDoc{dl: len(words)}
	for i, w := range sorted {
		if i > 0 && w == sorted[i-1] {
			d.tfs[len(d.tfs)-1]++
			continue
		}
		d.terms, d.tfs = append(d.terms, w), append(d.tfs, 1)
	}
	return d
}

func (d tailDoc) tf(term string) int {
	i := sort.SearchStrings(d.terms, term)
	if i < len(d.terms) && d.terms[i] == term {
		return int(d.tfs[i])
	}
	return 0
}

// refresh brings the view to the snapshot tx reads, whose statistics are
// st; false when the tail is longer than a view holds.
func (v *tailView) refresh(ctx context.Context, tx *txn, st lexState) (bool, error) {
	limit := v.max
	if limit <= 0 {
		limit = viewMax
	}
	if !v.valid || v.built != st.built || v.gen != st.gen {
		// Passages merged or removed since: keep what is still the tail.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM chunks WHERE id > ? LIMIT ?)`, st.built, limit+1).Scan(&n); err != nil {
			return false, err
		}
		if n > limit {
			v.valid = false
			return false, nil
		}
		ids, err := scanIDs(tx.QueryContext(ctx, `SELECT id FROM chunks WHERE id > ? ORDER BY id`, st.built))
		if err != nil {
			return false, err
		}
		docs := make(map[int64]tailDoc, len(ids))
		var missing []int64
		var terms int64
		// A passage removed from the tail may have left its id to a new
		// one: after removals (gen), every passage is read again.
		reuse := v.valid && v.gen == st.gen
		for _, id := range ids {
			if d, ok := v.docs[id]; ok && reuse {
				docs[id] = d
				terms += int64(d.dl)
			} else {
				missing = append(missing, id)
			}
		}
		for len(missing) > 0 {
			part := missing[:min(len(missing), 500)]
			missing = missing[len(part):]
			err := readPassageWords(ctx, tx, tailWords+`c.id IN (`+idList(part)+`)`, func(p passageWords) {
				docs[p.id] = newTailDoc(p.words)
				terms += int64(len(p.words))
			})
			if err != nil {
				return false, err
			}
		}
		v.ids, v.docs, v.terms, v.built, v.gen, v.valid = ids, docs, terms, st.built, st.gen, true
		v.seen = st.built
		if len(ids) > 0 {
			v.seen = ids[len(ids)-1]
		}
	}
	// Passages stored since.
	var added []passageWords
	err := readPassageWords(ctx, tx, tailWords+`c.id > ? ORDER BY c.id LIMIT ?`, func(p passageWords) {
		added = append(added, p)
	}, v.seen, limit+1)
	if err != nil {
		return false, err
	}
	if len(v.ids)+len(added) > limit {
		v.valid = false
		return false, nil
	}
	for _, p := range added {
		v.ids = append(v.ids, p.id)
		v.docs[p.id] = newTailDoc(p.words)
		v.terms += int64(len(p.words))
		v.seen = p.id
	}
	return true, nil
}

// postings are the tail's postings of terms, in passage order.
func (v *tailView) postings(terms []string) map[string][]posting {
	out := make(map[string][]posting, len(terms))
	for _, id := range v.ids {
		d := v.docs[id]
		for _, t := range terms {
			if tf := d.tf(t); tf > 0 {
				out[t] = append(out[t], posting{id: id, tf: tf, dl: d.dl})
			}
		}
	}
	return out
}

func scanIDs(rows *sql.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// tailWords selects (id, terms as stored, heading, text) of the passages
// the condition names (on chunks c): the terms a passage of the tail was
// stored with (lex_tail), or its text where none are (passages of an
// older Carrel), which is then read and analysed.
const tailWords = `SELECT c.id, t.words, CASE WHEN t.words IS NULL THEN c.heading END, CASE WHEN t.words IS NULL THEN c.text END
	FROM chunks c LEFT JOIN lex_tail t ON t.id = c.id WHERE `

// readPassageWords runs a tailWords query and gives each passage's terms
// to each.
func readPassageWords(ctx context.Context, tx *txn, q string, each func(passageWords), args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var words, heading, text sql.NullString
		if err := rows.Scan(&id, &words, &heading, &text); err != nil {
			return err
		}
		if words.Valid {
			each(passageWords{id: id, words: strings.Fields(words.String)})
		} else {
			each(passageWords{id: id, words: passageTerms(Chunk{Heading: heading.String, Text: text.String})})
		}
	}
	return rows.Err()
}

// lexSnapshot is what one search reads of the postings, in one read
// transaction: the statistics, the terms' counts, their blocks and the
// tail's postings.
type lexSnapshot struct {
	passages, terms int64 // all passages, and their terms
	dfs             map[string]int
	blocks          map[string][]lexBlock
	tail            map[string][]posting
}

// readPostings reads, in one snapshot, the statistics, the passage
// counts of terms and the blocks and tail postings of those that choose
// picks among them (given the counts). ok is false when the postings
// cannot answer (being built): FTS5 does.
func (s *sqliteStore) readPostings(ctx context.Context, terms []string, choose func(dfs map[string]int) []string) (snap lexSnapshot, ok bool, err error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return snap, false, err
	}
	defer tx.Rollback()
	st, err := readLexState(ctx, tx)
	if err != nil || !st.ready() {
		return snap, false, err
	}
	s.view.mu.Lock()
	if ok, err := s.view.refresh(ctx, tx, st); err != nil || !ok {
		s.view.mu.Unlock()
		return snap, false, err
	}
	snap.tail = s.view.postings(terms)
	snap.passages, snap.terms = st.passages+int64(len(s.view.ids)), st.terms+s.view.terms
	s.view.mu.Unlock()
	snap.dfs = make(map[string]int, len(terms))
	args := make([]any, len(terms))
	for i, t := range terms {
		snap.dfs[t] = len(snap.tail[t])
		args[i] = t
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(terms)), ",")
	rows, err := tx.QueryContext(ctx, `SELECT term, df FROM lex_terms WHERE term IN (`+marks+`)`, args...)
	if err != nil {
		return snap, false, err
	}
	for rows.Next() {
		var t string
		var df int
		if err := rows.Scan(&t, &df); err != nil {
			rows.Close()
			return snap, false, err
		}
		snap.dfs[t] += df
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return snap, false, err
	}
	if choose == nil {
		return snap, true, nil
	}
	snap.blocks = map[string][]lexBlock{}
	for _, t := range choose(snap.dfs) {
		if snap.dfs[t] == 0 {
			continue
		}
		rows, err := tx.QueryContext(ctx, `SELECT first, last, n, maxtf, mindl, data FROM lex_postings WHERE term = ? ORDER BY first`, t)
		if err != nil {
			return snap, false, err
		}
		var bs []lexBlock
		for rows.Next() {
			var b lexBlock
			if err := rows.Scan(&b.first, &b.last, &b.n, &b.maxTF, &b.minDL, &b.data); err != nil {
				rows.Close()
				return snap, false, err
			}
			bs = append(bs, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return snap, false, err
		}
		// The tail's passages come after every passage of the blocks.
		for ps := snap.tail[t]; len(ps) > 0; {
			n := min(len(ps), blockPostings)
			bs = append(bs, encodeBlock(ps[:n]))
			ps = ps[n:]
		}
		snap.blocks[t] = bs
	}
	return snap, true, nil
}

// rankPostings ranks the passages by BM25 over terms (the query's terms
// chosen to match, in order) from a snapshot of the postings.
func rankPostings(snap lexSnapshot, terms []string, k int) []Hit {
	if snap.passages <= 0 {
		return nil
	}
	avgdl := float64(snap.terms) / float64(snap.passages)
	var lists []*termList
	for i, t := range terms {
		bs := snap.blocks[t]
		if len(bs) == 0 {
			continue
		}
		// The term's count as this snapshot holds it, as FTS5 counts the
		// passages matching a phrase.
		var n int64
		for _, b := range bs {
			n += int64(b.n)
		}
		lists = append(lists, newTermList(i, bm25IDF(snap.passages, n), bs, avgdl))
	}
	return rankTop(lists, len(terms), avgdl, k)
}
