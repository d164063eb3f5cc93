package index

import "context"

// backend is the one seam between the index and its database: what
// differs between a library in a folder of this computer (SQLite, see
// sqliteStore) and a team library on a PostgreSQL server (see server).
// Everything else — the registry, the queue, the transactions that swap a
// document's passages, the vectors in memory — is written once in Index,
// in SQL both understand (see conn).
type backend interface {
	// forUpdate and skipLocked end a SELECT inside a transaction: the
	// rows read stay locked until it ends, or rows another process has
	// locked are passed over. Empty where a transaction already holds
	// the whole database.
	forUpdate() string
	skipLocked() string
	// lockContent holds, until tx ends, a lock on one content of a
	// library: two processes storing copies of one file decide in turn
	// which is the original.
	lockContent(ctx context.Context, tx *txn, lib int64, hash string) error
	// notify announces a change of a document to the library's other
	// processes when tx commits (at once when tx is nil).
	notify(ctx context.Context, tx *txn, kind changeKind, doc int64) error
	// onChange sets the function told of other processes' changes.
	onChange(fn func(Change))
	// shared reports a library other computers use too.
	shared() bool

	// keepFile stores the copy of a file that members without it read;
	// dropFile removes it once no document has its content; file reads
	// it (ok false when none is kept).
	keepFile(ctx context.Context, tx *txn, hash string, data []byte) error
	dropFile(ctx context.Context, tx *txn, hash string) error
	file(ctx context.Context, hash string) (data []byte, ok bool, err error)

	// insertPassages stores a document's passages with their terms,
	// filling ids, and returns how many terms they hold; removeTerms removes the terms of a document's
	// passages before the passages go, returning how many there were
	// when the store counts them.
	insertPassages(ctx context.Context, tx *txn, docID int64, chunks []Chunk, ids []int64) (int, error)
	removeTerms(ctx context.Context, tx *txn, docID int64) (int64, error)
	// termsChanged tells the store's BM25 statistics of terms added
	// (positive) or removed, once the change is committed.
	termsChanged(n int64)
	// docFreqs counts the passages holding each term; lexical ranks
	// passages by BM25 over the query's terms within the filter.
	docFreqs(ctx context.Context, terms []string) (map[string]int, error)
	lexical(ctx context.Context, x *Index, terms []string, f Filter, k int) ([]Hit, []string, error)

	// insertVectors stores one vector per passage.
	insertVectors(ctx context.Context, tx *txn, lib int64, model string, ids []int64, vectors [][]float32) error
	// vectorQuery selects a model's vectors for loading into memory:
	// chunk id, library id, vector and, where other processes' changes
	// must be applied one document at a time, the document's id (0
	// otherwise).
	vectorQuery() string
	// vectorsInMemory is false when the database searches the vectors
	// itself (pgvector): the index then loads none, and searchVectors
	// ranks them.
	vectorsInMemory() bool
	// vectorDir is the folder where the vectors searched in memory are
	// kept as vector files, mapped rather than read (see vecfile.go); ""
	// where they are read from the database at opening.
	vectorDir() string
	searchVectors(ctx context.Context, model string, vec []float32, libs []int64, k int, exact bool) ([]Hit, error)
	// prepareVectors readies the database's own search of a model's
	// vectors (an index to make in the background); waitVectors waits
	// for it.
	prepareVectors(model string)
	waitVectors(ctx context.Context, model string) error
	// followed records, per document, the passages whose vectors are in
	// memory, where another process's change to a document must replace
	// exactly those; nil where no such change is announced.
	followed() followed

	close()
}

// docVectors are a document's passages with vectors in memory.
type docVectors struct {
	lib int64
	ids []int64
}

// followed is, per document, the passages with vectors in memory (see
// backend.followed). A nil followed records nothing. Guarded by Index.mu.
type followed map[int64]docVectors

func (f followed) set(doc, lib int64, ids []int64) {
	if f != nil {
		f[doc] = docVectors{lib: lib, ids: ids}
	}
}
