package index

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Keeping a library's vector files (vecfile.go) in step with its database.
//
// The database logs every change to a vector (vector_log, written by
// triggers in the same transaction as the change, whoever makes it). A
// file records the last log entry it includes; opening maps the newest
// file and reads back only the vectors the log names after it. When the
// vectors held in memory since the file grow past refreshAt, a new file is
// written in the background from the old one and the log (or from the
// database alone when there is no usable file), and the set in use is
// swapped for one over it. Once a file is on disk, the log entries it
// includes are removed and the point recorded (vector_log_trimmed:<model>
// in meta): a file older than that point can no longer be brought up to
// date and is rebuilt.

// vecLogSchema is the log's table and triggers, part of a library
// folder's schema.
const vecLogSchema = `
CREATE TABLE IF NOT EXISTS vector_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, chunk_id INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS vector_added AFTER INSERT ON vectors BEGIN
	INSERT INTO vector_log(model, chunk_id) VALUES(new.model, new.chunk_id); END;
CREATE TRIGGER IF NOT EXISTS vector_removed AFTER DELETE ON vectors BEGIN
	INSERT INTO vector_log(model, chunk_id) VALUES(old.model, old.chunk_id); END;
CREATE TRIGGER IF NOT EXISTS vector_changed AFTER UPDATE ON vectors BEGIN
	INSERT INTO vector_log(model, chunk_id) VALUES(old.model, old.chunk_id);
	INSERT INTO vector_log(model, chunk_id) VALUES(new.model, new.chunk_id); END;
`

// errTrimmed is a file that another process's newer file has overtaken
// while it was opened: the log no longer reaches back to it.
var errTrimmed = errors.New("index: vector file overtaken")

// refreshAt is how many vectors held in memory (added, or removed from the
// file, since it was written) start a new file for a set whose file holds
// base: a quarter of it, at least 4,096 and at most 50,000, so that
// writing files costs a small multiple of the vectors' own size while a
// library grows, and opening reads back at most 50,000 vectors.
func refreshAt(base int) int { return min(50000, max(4096, base/4)) }

// readMapped fills set with the model's vectors: the newest usable vector
// file in dir (written first when there is none, or when rebuild asks for
// a new one), and the vectors changed since it.
func (x *Index) readMapped(ctx context.Context, dir, model string, set vectorSet, rebuild bool) error {
	for attempt := 0; ; attempt++ {
		vf, err := x.newestVecFile(ctx, dir, model)
		if err != nil {
			return err
		}
		if vf == nil || rebuild {
			path, err := x.writeVecFile(ctx, dir, model, vf)
			if vf != nil {
				vf.release()
			}
			if err != nil {
				return err
			}
			if path == "" {
				return nil // no vectors of this model yet
			}
			rebuild = false
			continue
		}
		err = x.catchUp(ctx, vf, set)
		vf.release()
		if errors.Is(err, errTrimmed) && attempt < 5 {
			set.close()
			clear(set)
			continue
		}
		if err == nil {
			removeOldVecFiles(dir, model, vf.h.seq)
		}
		return err
	}
}

// vecLogState reads, in q's snapshot, the last log entry ever written and
// the point up to which the model's entries were removed.
func vecLogState(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, model string) (last, trimmed int64, err error) {
	if err = q.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'vector_log'), 0)`).Scan(&last); err != nil {
		return 0, 0, err
	}
	var v string
	switch err = q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, trimKey(model)).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		return last, 0, nil
	case err != nil:
		return 0, 0, err
	}
	trimmed, _ = strconv.ParseInt(v, 10, 64)
	return last, trimmed, nil
}

func trimKey(model string) string { return "vector_log_trimmed:" + model }

// newestVecFile opens the newest of the model's files that the log can
// bring up to date, or returns nil. Broken files are removed.
func (x *Index) newestVecFile(ctx context.Context, dir, model string) (*vecFile, error) {
	last, trimmed, err := vecLogState(ctx, x.db.DB, model)
	if err != nil {
		return nil, err
	}
	for _, ref := range vecFiles(dir, model) {
		if ref.seq < trimmed {
			break // this and older ones: the log no longer reaches them
		}
		vf, err := openVecFile(ref.path, model)
		if errors.Is(err, errVecFile) || (err == nil && vf.h.seq != ref.seq) || (err == nil && vf.h.seq > last) {
			// Broken, misnamed, or from a database this one is not (a
			// copy restored from a backup): not to be trusted.
			if vf != nil {
				vf.release()
			}
			os.Remove(ref.path)
			continue
		}
		if err != nil {
			continue // unreadable here: the next, or a new one
		}
		return vf, nil
	}
	return nil, nil
}

// catchUp fills set with stores over vf and applies the vectors changed
// since it, all read in one snapshot of the database.
func (x *Index) catchUp(ctx context.Context, vf *vecFile, set vectorSet) error {
	conn, err := x.db.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A deferred transaction: a snapshot for reading, no write lock.
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)
	_, trimmed, err := vecLogState(ctx, conn, vf.model)
	if err != nil {
		return err
	}
	if trimmed > vf.h.seq {
		return errTrimmed
	}
	for _, lib := range vf.libs {
		if lib.count > 0 {
			set[lib.id] = newMapped(vf, lib)
		}
	}
	rows, err := conn.QueryContext(ctx, `SELECT DISTINCT chunk_id FROM vector_log WHERE seq > ? AND model = ?`, vf.h.seq, vf.model)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		for _, s := range set {
			s.remove(id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = conn.QueryContext(ctx, `SELECT chunk_id, library_id, vec FROM vectors WHERE model = ?
		AND chunk_id IN (SELECT chunk_id FROM vector_log WHERE seq > ? AND model = ?)`, vf.model, vf.h.seq, vf.model)
	if err != nil {
		return err
	}
	defer rows.Close()
	var buf []float32
	for rows.Next() {
		var id, lib int64
		var blob sql.RawBytes
		if err := rows.Scan(&id, &lib, &blob); err != nil {
			return err
		}
		buf = decodeVecInto(buf[:0], blob)
		storeOf(set, lib, len(buf)).add(id, buf)
	}
	return rows.Err()
}

// writeVecFile writes a new file of the model's vectors as of now: from
// the file from and the vectors the log names after it when it can, else
// from the database alone. It returns the file's path ("" when the
// database holds no vector of the model), and removes the log entries the
// file includes.
func (x *Index) writeVecFile(ctx context.Context, dir, model string, from *vecFile) (string, error) {
	conn, err := x.db.DB.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)
	last, trimmed, err := vecLogState(ctx, conn, model)
	if err != nil {
		return "", err
	}
	var path string
	switch {
	case from != nil && from.h.seq == last:
		return from.path, nil // nothing changed since
	case from != nil && from.h.seq >= trimmed && from.h.n <= 4*max(from.h.meanSamples, 1024):
		path, err = mergeVecFile(ctx, conn, dir, model, last, from)
	default:
		// No file the log reaches, or one whose mean was taken when the
		// library was a quarter of its size: the bits are drawn afresh.
		path, err = buildVecFile(ctx, conn, dir, model, last)
	}
	if err != nil || path == "" {
		return "", err
	}
	conn.ExecContext(ctx, `ROLLBACK`)
	if err := x.trimVecLog(ctx, model, last); err != nil {
		// The file is good; the log is only longer than it needs to be.
		return path, nil
	}
	return path, nil
}

// trimVecLog removes the model's log entries up to seq, which a file on
// disk includes.
func (x *Index) trimVecLog(ctx context.Context, model string, seq int64) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	return retryBusy(ctx, func() error {
		tx, err := x.db.DB.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `DELETE FROM vector_log WHERE model = ? AND seq <= ?`, model, seq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES(?, ?)
			ON CONFLICT(key) DO UPDATE SET value = CASE WHEN CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER) THEN excluded.value ELSE value END`,
			trimKey(model), strconv.FormatInt(seq, 10)); err != nil {
			return err
		}
		return tx.Commit()
	})
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// buildVecFile writes the model's file from the database alone.
func buildVecFile(ctx context.Context, q querier, dir, model string, seq int64) (string, error) {
	var size int
	switch err := q.QueryRowContext(ctx, `SELECT length(vec) FROM vectors WHERE model = ? LIMIT 1`, model).Scan(&size); {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", err
	}
	dims := size / 4
	var libs []vfLib
	rows, err := q.QueryContext(ctx, `SELECT library_id, COUNT(*) FROM vectors WHERE model = ? GROUP BY library_id ORDER BY library_id`, model)
	if err != nil {
		return "", err
	}
	n := 0
	for rows.Next() {
		var l vfLib
		if err := rows.Scan(&l.id, &l.count); err != nil {
			rows.Close()
			return "", err
		}
		n += l.count
		libs = append(libs, l)
	}
	rows.Close()
	// The mean from about 20,000 vectors spread over the whole library.
	step := max(1, n/20000)
	mean := make([]float64, dims)
	samples := 0
	rows, err = q.QueryContext(ctx, `SELECT vec FROM vectors WHERE model = ? AND chunk_id % ? = 0`, model, step)
	if err != nil {
		return "", err
	}
	var buf []float32
	for rows.Next() {
		var blob sql.RawBytes
		if err := rows.Scan(&blob); err != nil {
			rows.Close()
			return "", err
		}
		if buf = decodeVecInto(buf[:0], blob); len(buf) == dims {
			for j, v := range buf {
				mean[j] += float64(v)
			}
			samples++
		}
	}
	rows.Close()
	m32 := make([]float32, dims)
	for j := range mean {
		if samples > 0 {
			m32[j] = float32(mean[j] / float64(samples))
		}
	}
	w, err := newVecFileWriter(dir, model, seq, dims, libs, m32, n)
	if err != nil {
		return "", err
	}
	rows, err = q.QueryContext(ctx, `SELECT chunk_id, vec FROM vectors WHERE model = ? ORDER BY library_id, chunk_id`, model)
	if err != nil {
		w.abort()
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var blob sql.RawBytes
		if err := rows.Scan(&id, &blob); err != nil {
			w.abort()
			return "", err
		}
		if err := w.add(id, decodeVecInto(buf[:0], blob)); err != nil {
			w.abort()
			return "", err
		}
	}
	if err := rows.Err(); err != nil {
		w.abort()
		return "", err
	}
	return w.finish()
}

// entry is a vector to write, with its library.
type entry struct {
	id  int64
	lib int64
	vec []float32
}

// mergeVecFile writes the model's file from the file from, less the
// vectors the log names after it, plus those vectors as the database now
// holds them. The mean stays from's, so kept entries are copied as they
// are.
func mergeVecFile(ctx context.Context, q querier, dir, model string, seq int64, from *vecFile) (string, error) {
	touched := map[int64]bool{}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT chunk_id FROM vector_log WHERE seq > ? AND model = ?`, from.h.seq, model)
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return "", err
		}
		touched[id] = true
	}
	rows.Close()
	fresh := map[int64][]entry{}
	rows, err = q.QueryContext(ctx, `SELECT chunk_id, library_id, vec FROM vectors WHERE model = ?
		AND chunk_id IN (SELECT chunk_id FROM vector_log WHERE seq > ? AND model = ?)`, model, from.h.seq, model)
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var e entry
		var blob sql.RawBytes
		if err := rows.Scan(&e.id, &e.lib, &blob); err != nil {
			rows.Close()
			return "", err
		}
		if e.vec = decodeVecInto(nil, blob); len(e.vec) != from.h.dims {
			continue
		}
		fresh[e.lib] = append(fresh[e.lib], e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	// The new library table: each old library less its touched entries,
	// plus its fresh ones; libraries new since the old file.
	counts := map[int64]int{}
	old := map[int64]vfLib{}
	for _, l := range from.libs {
		old[l.id] = l
		kept := 0
		for _, id := range from.ids[l.first : l.first+l.count] {
			if !touched[id] {
				kept++
			}
		}
		counts[l.id] = kept
	}
	for lib, es := range fresh {
		counts[lib] += len(es)
		slices.SortFunc(es, func(a, b entry) int { return cmpID(a.id, b.id) })
	}
	var libs []vfLib
	for id, c := range counts {
		if c > 0 {
			libs = append(libs, vfLib{id: id, count: c})
		}
	}
	slices.SortFunc(libs, func(a, b vfLib) int { return cmpID(a.id, b.id) })
	w, err := newVecFileWriter(dir, model, seq, from.h.dims, libs, slices.Clone(from.mean), from.h.meanSamples)
	if err != nil {
		return "", err
	}
	// The old vectors are read in file order, once.
	rr := &recReader{r: bufio.NewReaderSize(io.NewSectionReader(from.f, from.l.vecs, int64(from.h.n)*int64(from.l.recLen)), 1<<20),
		recLen: from.l.recLen, buf: make([]byte, from.l.recLen)}
	words := from.l.words
	for _, l := range libs {
		if err := ctx.Err(); err != nil {
			w.abort()
			return "", err
		}
		es := fresh[l.id]
		ol, had := old[l.id]
		var ids []int64
		if had {
			ids = from.ids[ol.first : ol.first+ol.count]
		}
		i, j := 0, 0
		for i < len(ids) || j < len(es) {
			if i < len(ids) && touched[ids[i]] {
				i++
				continue
			}
			if j < len(es) && (i >= len(ids) || es[j].id < ids[i]) {
				err = w.add(es[j].id, es[j].vec)
				j++
			} else {
				e := ol.first + i
				var rec []byte
				if rec, err = rr.read(e); err == nil {
					err = w.addCoded(ids[i], from.bits[e*words:(e+1)*words], rec)
				}
				i++
			}
			if err != nil {
				w.abort()
				return "", err
			}
		}
	}
	return w.finish()
}

func cmpID(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// recReader reads a file's full vectors at increasing entries.
type recReader struct {
	r      *bufio.Reader
	recLen int
	pos    int
	buf    []byte
}

func (rr *recReader) read(i int) ([]byte, error) {
	if i < rr.pos {
		return nil, fmt.Errorf("index: vector records read out of order")
	}
	if _, err := rr.r.Discard((i - rr.pos) * rr.recLen); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(rr.r, rr.buf); err != nil {
		return nil, err
	}
	rr.pos = i + 1
	return rr.buf, nil
}

// removeOldVecFiles removes the model's files older than seq, and
// temporary files a crash left a day ago or more. A file another process
// still maps stays where the system refuses (Windows); a later opening
// removes it.
func removeOldVecFiles(dir, model string, seq int64) {
	for _, ref := range vecFiles(dir, model) {
		if ref.seq < seq {
			os.Remove(ref.path)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".vectors-") && strings.HasSuffix(e.Name(), ".tmp") {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > 24*time.Hour {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}
