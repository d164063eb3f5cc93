package index

import (
	"container/heap"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/engine/terms"
)

// Filter narrows a search; zero fields match everything.
type Filter struct {
	Libraries  []int64
	PathPrefix string    // a folder: only documents below it
	Paths      []string  // only these documents, by path
	Formats    []string  // "pdf", "docx", …
	Since      time.Time // documents modified at or after
	Until      time.Time // documents modified before
}

// Hit is a chunk a search found, with its raw score: for lexical search
// the BM25 score (higher is better), for vector search the cosine
// similarity.
type Hit struct {
	ChunkID int64
	Score   float64
}

func (f Filter) sql(args []any) (string, []any) {
	var b strings.Builder
	if len(f.Libraries) > 0 {
		b.WriteString(` AND d.library_id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(f.Libraries)), ",") + `)`)
		for _, l := range f.Libraries {
			args = append(args, l)
		}
	}
	if f.PathPrefix != "" {
		b.WriteString(` AND substr(d.path, 1, ?) = ?`)
		args = append(args, len(f.PathPrefix), f.PathPrefix)
	}
	if len(f.Paths) > 0 {
		b.WriteString(` AND d.path IN (` + strings.TrimSuffix(strings.Repeat("?,", len(f.Paths)), ",") + `)`)
		for _, p := range f.Paths {
			args = append(args, p)
		}
	}
	if len(f.Formats) > 0 {
		b.WriteString(` AND d.format IN (` + strings.TrimSuffix(strings.Repeat("?,", len(f.Formats)), ",") + `)`)
		for _, x := range f.Formats {
			args = append(args, x)
		}
	}
	if !f.Since.IsZero() {
		b.WriteString(` AND d.mtime >= ?`)
		args = append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		b.WriteString(` AND d.mtime < ?`)
		args = append(args, f.Until.UnixNano())
	}
	return b.String(), args
}

func (f Filter) empty() bool {
	return len(f.Libraries) == 0 && f.PathPrefix == "" && len(f.Paths) == 0 && len(f.Formats) == 0 && f.Since.IsZero() && f.Until.IsZero()
}

// Lexical ranks chunks by BM25 over the query's terms (any of them may
// match). It also returns the query's terms.
func (x *Index) Lexical(ctx context.Context, query string, f Filter, k int) ([]Hit, []string, error) {
	qterms := dedupe(terms.Of(query))
	if len(qterms) == 0 || k <= 0 {
		return nil, qterms, nil
	}
	return x.store.lexical(ctx, x, qterms, f, k)
}

// LexicalFTS5 ranks as Lexical does, but in a library folder always in
// FTS5, scoring every passage that holds a query term: the reference
// the postings' ranking is measured and tested against. On a server it
// is Lexical.
func (x *Index) LexicalFTS5(ctx context.Context, query string, f Filter, k int) ([]Hit, []string, error) {
	s, ok := x.store.(*sqliteStore)
	qterms := dedupe(terms.Of(query))
	if !ok || len(qterms) == 0 || k <= 0 {
		return x.Lexical(ctx, query, f, k)
	}
	return s.lexicalWith(ctx, x, qterms, f, k, true)
}

// selective drops query terms found in more than half of all chunks when
// rarer terms remain: their BM25 weight is near zero, yet ranking every
// chunk that has them is most of a search's cost.
func (x *Index) selective(ctx context.Context, terms []string) []string {
	total := int(x.chunks.Load())
	if len(terms) < 2 || total < 1000 {
		return terms
	}
	dfs, err := x.store.docFreqs(ctx, terms)
	if err != nil {
		return terms
	}
	return selectRare(terms, dfs, total)
}

// selectRare is selective's choice, given each term's passage count
// (dfs) among total passages.
func selectRare(terms []string, dfs map[string]int, total int) []string {
	if len(terms) < 2 || total < 1000 {
		return terms
	}
	var keep []string
	for _, t := range terms {
		if dfs[t]*2 <= total {
			keep = append(keep, t)
		}
	}
	if len(keep) == 0 {
		return terms
	}
	return keep
}

// DocFreq returns how many chunks hold each term (0 for terms the index
// has never seen) and how many chunks there are in all.
func (x *Index) DocFreq(ctx context.Context, terms []string) (map[string]int, int, error) {
	out, err := x.store.docFreqs(ctx, dedupe(terms))
	if err != nil {
		return nil, 0, fmt.Errorf("index: term statistics: %w", err)
	}
	return out, int(x.chunks.Load()), nil
}

// scanHits reads (id, bm25) rows; SQLite's bm25 is negative, lower being
// better, so it is negated.
func scanHits(rows *sql.Rows) ([]Hit, error) {
	hits, err := scanScores(rows)
	for i := range hits {
		hits[i].Score = -hits[i].Score
	}
	return hits, err
}

// scanScores reads (id, score) rows as hits, and closes them.
func scanScores(rows *sql.Rows) ([]Hit, error) {
	defer rows.Close()
	var hits []Hit
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ChunkID, &h.Score); err != nil {
			return nil, err
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// Vector ranks chunks by cosine similarity to vec (a unit vector of the
// loaded model).
func (x *Index) Vector(ctx context.Context, vec []float32, f Filter, k int) ([]Hit, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, ErrClosed
	}
	if x.model == "" || k <= 0 {
		return nil, nil
	}
	return x.vectorLocked(ctx, x.vec, x.model, vec, f, k)
}

// VectorBoth ranks chunks in the set in use by similarity to vec, and
// those still with vectors of the previous model (see ChangeModel) by
// similarity to prevVec, a query vector of that model, in one look at
// the index: a document moved from one set to the other while a library
// is re-embedded is found in exactly one of them, never in neither.
func (x *Index) VectorBoth(ctx context.Context, vec, prevVec []float32, f Filter, k int) (cur, prev []Hit, err error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, nil, ErrClosed
	}
	if k <= 0 {
		return nil, nil, nil
	}
	if x.model != "" {
		if cur, err = x.vectorLocked(ctx, x.vec, x.model, vec, f, k); err != nil {
			return nil, nil, err
		}
	}
	if x.prevModel != "" && prevVec != nil {
		if prev, err = x.vectorLocked(ctx, x.prev, x.prevModel, prevVec, f, k); err != nil {
			return nil, nil, err
		}
	}
	return cur, prev, nil
}

func (x *Index) vectorLocked(ctx context.Context, stores vectorSet, model string, vec []float32, f Filter, k int) ([]Hit, error) {
	want := k
	if !f.empty() {
		want = k * 4 // filters are applied after: look further
	}
	if !x.store.vectorsInMemory() {
		hits, err := x.store.searchVectors(ctx, model, vec, f.Libraries, want, false)
		if err != nil {
			return nil, err
		}
		if !f.empty() && len(hits) > 0 {
			if hits, err = x.keep(ctx, hits, f); err != nil {
				return nil, err
			}
		}
		return hits[:min(k, len(hits))], nil
	}
	var hits []Hit
	for lib, s := range stores {
		if len(f.Libraries) > 0 && !containsID(f.Libraries, lib) {
			continue
		}
		found, err := s.search(ctx, vec, want)
		if err != nil {
			return nil, fmt.Errorf("index: vector search: %w", err)
		}
		for _, r := range found {
			hits = append(hits, Hit{ChunkID: r.id, Score: float64(r.score)})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	if !f.empty() && len(hits) > 0 {
		var err error
		if hits, err = x.keep(ctx, hits, f); err != nil {
			return nil, err
		}
	}
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits, nil
}

// keep filters hits through the documents table.
func (x *Index) keep(ctx context.Context, hits []Hit, f Filter) ([]Hit, error) {
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ChunkID
	}
	where, args := f.sql(nil)
	// CROSS JOIN keeps chunks the outer loop: primary-key lookups of the
	// listed ids, not a scan of the library's documents.
	rows, err := x.db.QueryContext(ctx, `SELECT c.id FROM chunks c CROSS JOIN documents d ON d.id = c.doc_id
		WHERE c.id IN (`+idList(ids)+`)`+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ok := map[int64]bool{}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ok[id] = true
	}
	out := hits[:0]
	for _, h := range hits {
		if ok[h.ChunkID] {
			out = append(out, h)
		}
	}
	return out, rows.Err()
}

// Passage is a chunk with the document it belongs to.
type Passage struct {
	Chunk
	Doc Document
}

// Passages fetches chunks by id, with their documents.
func (x *Index) Passages(ctx context.Context, ids []int64) (map[int64]Passage, error) {
	out := map[int64]Passage{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := x.db.QueryContext(ctx, `SELECT c.id, c.doc_id, c.ord, c.text, c.page, c.heading, c.tokens, c.section, c.pos_start, c.pos_end, c.char_first, c.char_last, `+prefixed("d", docColumns)+`
		FROM chunks c CROSS JOIN documents d ON d.id = c.doc_id WHERE c.id IN (`+idList(ids)+`)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p Passage
		var d Document
		var mtime, indexed int64
		var st string
		if err := rows.Scan(&p.ID, &p.DocID, &p.Ord, &p.Text, &p.Page, &p.Heading, &p.Tokens, &p.Section, &p.Start, &p.End, &p.CharFirst, &p.CharLast,
			&d.ID, &d.LibraryID, &d.Path, &d.Hash, &d.Size, &mtime, &d.Format, &d.Title, &d.Language,
			&st, &d.Error, &d.ErrorKind, &d.Chunks, &d.Pages, &indexed, &d.DuplicateOf, &d.Model, &d.Attempts); err != nil {
			return nil, err
		}
		d.Status = status.Status(st)
		d.ModTime = time.Unix(0, mtime)
		d.IndexedAt = time.Unix(0, indexed)
		p.Doc = d
		out[p.ID] = p
	}
	return out, rows.Err()
}

// DocumentPassages returns every chunk of a document, in order, with the
// document.
func (x *Index) DocumentPassages(ctx context.Context, docID int64) ([]Passage, error) {
	d, err := x.DocumentByID(ctx, docID)
	if err != nil {
		return nil, err
	}
	rows, err := x.db.QueryContext(ctx, `SELECT id, doc_id, ord, text, page, heading, tokens, section, pos_start, pos_end, char_first, char_last FROM chunks WHERE doc_id = ? ORDER BY ord`, docID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Passage
	for rows.Next() {
		p := Passage{Doc: d}
		if err := rows.Scan(&p.ID, &p.DocID, &p.Ord, &p.Text, &p.Page, &p.Heading, &p.Tokens, &p.Section, &p.Start, &p.End, &p.CharFirst, &p.CharLast); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DocumentSections returns a document's sections in order: the texts its
// passages were cut from.
func (x *Index) DocumentSections(ctx context.Context, docID int64) ([]Section, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT ord, page, heading, text FROM sections WHERE doc_id = ? ORDER BY ord`, docID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Section
	for rows.Next() {
		var s Section
		if err := rows.Scan(&s.Ord, &s.Page, &s.Heading, &s.Text); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PageLayout returns the stored layout of a page read by OCR (see
// Meta.Layouts); ok is false for a page that was not.
func (x *Index) PageLayout(ctx context.Context, docID int64, page int) (data []byte, ok bool, err error) {
	err = x.db.QueryRowContext(ctx, `SELECT layout FROM page_layouts WHERE doc_id = ? AND page = ?`, docID, page).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// Section returns one section of a document.
func (x *Index) Section(ctx context.Context, docID int64, ord int) (Section, error) {
	s := Section{Ord: ord}
	err := x.db.QueryRowContext(ctx, `SELECT page, heading, text FROM sections WHERE doc_id = ? AND ord = ?`, docID, ord).Scan(&s.Page, &s.Heading, &s.Text)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("%w: section %d of document %d", ErrNotFound, ord, docID)
	}
	return s, err
}

// Stats counts what the index holds.
type Stats struct {
	Documents, Chunks, Vectors int
	LastIndexed                time.Time
}

// Stats returns counts for a library (0 for all).
func (x *Index) Stats(ctx context.Context, lib int64) (Stats, error) {
	var s Stats
	var last int64
	q := `SELECT COUNT(*), COALESCE(SUM(chunks), 0), COALESCE(MAX(indexed_at), 0) FROM documents`
	args := []any{}
	if lib != 0 {
		q += ` WHERE library_id = ?`
		args = append(args, lib)
	}
	if err := x.db.QueryRowContext(ctx, q, args...).Scan(&s.Documents, &s.Chunks, &last); err != nil {
		return s, err
	}
	if last > 0 {
		s.LastIndexed = time.Unix(0, last)
	}
	x.mu.RLock()
	model := x.model
	for l, v := range x.vec {
		if lib == 0 || l == lib {
			s.Vectors += v.count()
		}
	}
	x.mu.RUnlock()
	if !x.store.vectorsInMemory() && model != "" {
		// The vectors stay on the server.
		q, args := `SELECT COUNT(*) FROM vectors WHERE model = ?`, []any{model}
		if lib != 0 {
			q, args = q+` AND library_id = ?`, append(args, lib)
		}
		if err := x.db.QueryRowContext(ctx, q, args...).Scan(&s.Vectors); err != nil {
			return s, err
		}
	}
	return s, nil
}

// idList formats ids for an IN clause. They are integers from the index
// itself, so writing them into the statement is safe.
func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// BuildVectorIndex makes the database's index of the current model's
// vectors now, as an opening would, where the database searches them
// (pgvector), and waits for it; nothing otherwise.
func (x *Index) BuildVectorIndex(ctx context.Context) error {
	model := x.Model()
	if x.store.vectorsInMemory() || model == "" {
		return nil
	}
	x.store.prepareVectors(model)
	return x.store.waitVectors(ctx, model)
}

// WaitVectorIndex waits until the database's index of the current
// model's vectors is made (or its build ended); at once where there is
// none to make. For benchmarks and tests.
func (x *Index) WaitVectorIndex(ctx context.Context) error {
	return x.store.waitVectors(ctx, x.Model())
}

// VectorRecall measures the share of the exact k nearest passages that
// similarity search finds, over the given query vectors of the current
// model: where the database searches the vectors with an approximate
// index (pgvector), and where a library folder's search scans the
// one-bit codes of its vector file; 1 where every vector is compared in
// memory. The exact answer is an exhaustive pass over the database's
// vectors.
func (x *Index) VectorRecall(ctx context.Context, queries [][]float32, k int) (float64, error) {
	model := x.Model()
	var approx, exact [][]Hit
	switch {
	case !x.store.vectorsInMemory():
		for _, q := range queries {
			a, err := x.store.searchVectors(ctx, model, q, nil, k, false)
			if err != nil {
				return 0, err
			}
			e, err := x.store.searchVectors(ctx, model, q, nil, k, true)
			if err != nil {
				return 0, err
			}
			approx, exact = append(approx, a), append(exact, e)
		}
	case x.store.vectorDir() != "":
		for _, q := range queries {
			a, err := x.Vector(ctx, q, Filter{}, k)
			if err != nil {
				return 0, err
			}
			approx = append(approx, a)
		}
		var err error
		if exact, err = x.exhaustive(ctx, model, queries, k); err != nil {
			return 0, err
		}
	default:
		return 1, nil
	}
	found, total := 0, 0
	for i := range exact {
		got := map[int64]bool{}
		for _, h := range approx[i] {
			got[h.ChunkID] = true
		}
		for _, h := range exact[i] {
			if got[h.ChunkID] {
				found++
			}
		}
		total += len(exact[i])
	}
	if total == 0 {
		return 1, nil
	}
	return float64(found) / float64(total), nil
}

// ScanRecall measures, where a library folder's vector files are searched,
// the recall of the one-bit scan when it keeps only candidates of each
// library's vectors (a search keeps at least 2,000, and 1 in 200 of a
// larger library): the share of the exact k nearest passages it finds
// over the given query vectors of the current model. On a small library
// of real embeddings, it tells how recall holds when the nearest k must
// be found among few candidates, as in a library many times larger.
func (x *Index) ScanRecall(ctx context.Context, queries [][]float32, k, candidates int) (float64, error) {
	if x.store.vectorDir() == "" {
		return 0, errors.New("index: this library's vectors are not searched from vector files")
	}
	cands := func(n int) int { return min(n, max(k, candidates)) }
	model := x.Model()
	exact, err := x.exhaustive(ctx, model, queries, k)
	if err != nil {
		return 0, err
	}
	found, total := 0, 0
	x.mu.RLock()
	defer x.mu.RUnlock()
	for i, q := range queries {
		var got []scored
		for _, s := range x.vec {
			var r []scored
			if m, ok := s.(*mapped); ok {
				r, err = m.searchScanning(ctx, q, k, cands)
			} else {
				r, err = s.search(ctx, q, k)
			}
			if err != nil {
				return 0, err
			}
			got = append(got, r...)
		}
		sort.Slice(got, func(a, b int) bool { return got[a].score > got[b].score })
		in := map[int64]bool{}
		for _, g := range got[:min(k, len(got))] {
			in[g.id] = true
		}
		for _, h := range exact[i] {
			if in[h.ChunkID] {
				found++
			}
		}
		total += len(exact[i])
	}
	if total == 0 {
		return 1, nil
	}
	return float64(found) / float64(total), nil
}

// exhaustive ranks every vector of model in the database against each
// query: the exact answer recall is measured against.
func (x *Index) exhaustive(ctx context.Context, model string, queries [][]float32, k int) ([][]Hit, error) {
	heaps := make([]minHeap, len(queries))
	rows, err := x.db.QueryContext(ctx, `SELECT chunk_id, vec FROM vectors WHERE model = ?`, model)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	const batch = 4096
	var ids []int64
	var vecs [][]float32
	score := func() {
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for qi := w; qi < len(queries); qi += workers {
					h := &heaps[qi]
					for i, v := range vecs {
						if len(v) != len(queries[qi]) {
							continue
						}
						s := dot(queries[qi], v)
						if h.Len() < k {
							heap.Push(h, scored{ids[i], s})
						} else if s > (*h)[0].score {
							(*h)[0] = scored{ids[i], s}
							heap.Fix(h, 0)
						}
					}
				}
			}(w)
		}
		wg.Wait()
		ids, vecs = ids[:0], vecs[:0]
	}
	for rows.Next() {
		var id int64
		var blob sql.RawBytes
		if err := rows.Scan(&id, &blob); err != nil {
			return nil, err
		}
		ids, vecs = append(ids, id), append(vecs, decodeVecInto(nil, blob))
		if len(ids) == batch {
			score()
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	score()
	out := make([][]Hit, len(queries))
	for i, h := range heaps {
		sort.Slice(h, func(a, b int) bool { return h[a].score > h[b].score })
		for _, r := range h {
			out[i] = append(out[i], Hit{ChunkID: r.id, Score: float64(r.score)})
		}
	}
	return out, nil
}

// VectorSearch says where similarity search runs: "memory" (exact, in
// this process) or "pgvector" (on the server).
func (x *Index) VectorSearch() string {
	if x.store.vectorsInMemory() {
		return vectorsMemory
	}
	return vectorsPgvector
}

// File returns the copy of a file a library on a server keeps (see
// Meta.Content), by its content hash; ok is false when there is none (a
// library in a folder, a file over the size limit, or a hash no document
// has).
func (x *Index) File(ctx context.Context, hash string) (data []byte, ok bool, err error) {
	if hash == "" {
		return nil, false, nil
	}
	return x.store.file(ctx, hash)
}

// OnServer reports whether the library lives on a server, shared with
// other computers, rather than in a folder of this one.
func (x *Index) OnServer() bool { return x.store.shared() }

// OnChange sets fn to be called, on a goroutine of the index, for each
// change another process makes to a library on a server, once this
// process's view (vectors, statistics) includes it. It replaces an
// earlier fn; nil stops the calls. A library in a folder never calls it.
func (x *Index) OnChange(fn func(Change)) { x.store.onChange(fn) }
