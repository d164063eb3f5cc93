// Package federated searches several library stores as one: the data folder's
// SQLite index and the PostgreSQL servers that hold some libraries of a
// team. Each store numbers its own libraries, documents and passages, so
// the federation gives every row a global ID that also says which store it came
// from: the store's number in the top bits, the store's own ID below. The
// first store (number 0) keeps its IDs unchanged, so a data folder with
// one store sees the IDs it always had.
//
// Rankings are merged by their raw scores: cosine similarity is the same
// measure in every store; BM25 scores are computed by each store with its
// own term statistics, which differ little between libraries of the same
// kind of text (and the coverage floor uses the federation's summed statistics).
package federated

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/carrel-ai/carrel/engine/index"
)

// shift places the store's number above any ID a store makes: SQLite's
// rowids and PostgreSQL's bigserials count from 1 and stay far below 2^48.
// 2^48 × MaxStores is 2^53, the largest integer JSON clients (JavaScript's
// numbers) hold exactly, so global IDs survive the API.
const shift = 48

// MaxStores is how many stores a federation can join.
const MaxStores = 32

const localMask = 1<<shift - 1

// ErrUnknownStore means an ID names a store the federation does not have.
var ErrUnknownStore = errors.New("federated: the ID belongs to no open library store")

// StoreError is a store's failure during a search of the federation: callers
// can say which store (a server gone away) failed the search.
type StoreError struct {
	Store int
	Err   error
}

func (e *StoreError) Error() string { return fmt.Sprintf("federated: store %d: %v", e.Store, e.Err) }
func (e *StoreError) Unwrap() error { return e.Err }

// Global is the global ID of a store's own ID.
func Global(store int, local int64) int64 {
	if local <= 0 {
		return local // 0 means none, in every store
	}
	return int64(store)<<shift | local
}

// Split returns the store number and the store's own ID of a global ID.
func Split(id int64) (store int, local int64) {
	if id <= 0 {
		return 0, id
	}
	return int(id >> shift), id & localMask
}

// Index is several stores searched as one. Its methods are those retrieval
// needs (retrieve.Store); the stores are fixed when it is made.
type Index struct {
	stores []*index.Index
}

// New joins stores, each under its number (its place in the list); the
// first keeps its IDs. A nil store is a number no store has in this federation
// (a server away, no longer used, or searched in another federation): searches
// pass it by and its IDs are ErrUnknownStore. One store at least must be
// there.
func New(stores ...*index.Index) (*Index, error) {
	if len(stores) == 0 || len(stores) > MaxStores || !slices.ContainsFunc(stores, func(x *index.Index) bool { return x != nil }) {
		return nil, fmt.Errorf("federated: %d stores (1 to %d can be joined, one at least open)", len(stores), MaxStores)
	}
	return &Index{stores: stores}, nil
}

// store returns store n, or ErrUnknownStore.
func (u *Index) store(n int) (*index.Index, error) {
	if n < 0 || n >= len(u.stores) || u.stores[n] == nil {
		return nil, ErrUnknownStore
	}
	return u.stores[n], nil
}

// part is each store's share of a filter, in its own IDs; nil for a store
// not searched: one not there, or one that holds none of the libraries a
// filter names.
func (u *Index) part(f index.Filter) []*index.Filter {
	var libs map[int][]int64 // the libraries named, by store; nil: all
	if len(f.Libraries) > 0 {
		libs = map[int][]int64{}
		for _, l := range f.Libraries {
			n, local := Split(l)
			libs[n] = append(libs[n], local)
		}
	}
	out := make([]*index.Filter, len(u.stores))
	for n, x := range u.stores {
		if x == nil || (libs != nil && len(libs[n]) == 0) {
			continue
		}
		g := f
		g.Libraries = libs[n]
		out[n] = &g
	}
	return out
}

// merge keeps the k best of several stores' rankings, by score.
func merge(lists [][]index.Hit, k int) []index.Hit {
	var all []index.Hit
	for n, l := range lists {
		for _, h := range l {
			all = append(all, index.Hit{ChunkID: Global(n, h.ChunkID), Score: h.Score})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Score > all[j].Score })
	if k > 0 && len(all) > k {
		all = all[:k]
	}
	return all
}

// each runs search on every store the filter reaches, with the store's
// share of the filter: at once when there are several, so that a server's
// round trip overlaps the data folder's search instead of adding to it.
// The first failure, by store number, is returned.
func (u *Index) each(f index.Filter, search func(n int, x *index.Index, f index.Filter) error) error {
	parts := u.part(f)
	errs := make([]error, len(u.stores))
	var wg sync.WaitGroup
	for n, x := range u.stores {
		if parts[n] == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := search(n, x, *parts[n]); err != nil {
				errs[n] = &StoreError{Store: n, Err: err}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Lexical ranks the passages of every store by the query's words.
func (u *Index) Lexical(ctx context.Context, query string, f index.Filter, k int) ([]index.Hit, []string, error) {
	lists := make([][]index.Hit, len(u.stores))
	terms := make([][]string, len(u.stores))
	err := u.each(f, func(n int, x *index.Index, f index.Filter) (err error) {
		lists[n], terms[n], err = x.Lexical(ctx, query, f, k)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	for _, t := range terms {
		if t != nil {
			return merge(lists, k), t, nil // every store analyses terms the same way
		}
	}
	return merge(lists, k), nil, nil
}

// Vector ranks the passages of every store by similarity to vec.
func (u *Index) Vector(ctx context.Context, vec []float32, f index.Filter, k int) ([]index.Hit, error) {
	lists := make([][]index.Hit, len(u.stores))
	err := u.each(f, func(n int, x *index.Index, f index.Filter) (err error) {
		lists[n], err = x.Vector(ctx, vec, f, k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return merge(lists, k), nil
}

// VectorBoth ranks by the current model's vectors and the previous
// model's, in every store.
func (u *Index) VectorBoth(ctx context.Context, vec, prevVec []float32, f index.Filter, k int) (cur, prev []index.Hit, err error) {
	curs := make([][]index.Hit, len(u.stores))
	prevs := make([][]index.Hit, len(u.stores))
	err = u.each(f, func(n int, x *index.Index, f index.Filter) (err error) {
		curs[n], prevs[n], err = x.VectorBoth(ctx, vec, prevVec, f, k)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return merge(curs, k), merge(prevs, k), nil
}

// Model is the embedding model of the stores' vectors: every store loads
// the same one (the engine changes them together); "" when they differ,
// so that no query vector is compared with another model's vectors.
func (u *Index) Model() string { return u.same((*index.Index).Model) }

// PreviousModel is the model whose vectors the stores keep while they are
// re-embedded; "" when they differ.
func (u *Index) PreviousModel() string { return u.same((*index.Index).PreviousModel) }

// same returns what every store says, or "" when they differ.
func (u *Index) same(of func(*index.Index) string) string {
	m, first := "", true
	for _, x := range u.stores {
		switch {
		case x == nil:
		case first:
			m, first = of(x), false
		case of(x) != m:
			return ""
		}
	}
	return m
}

// Passages fetches passages by global ID, with their documents, in global
// IDs.
func (u *Index) Passages(ctx context.Context, ids []int64) (map[int64]index.Passage, error) {
	by := map[int][]int64{}
	for _, id := range ids {
		n, local := Split(id)
		by[n] = append(by[n], local)
	}
	out := make(map[int64]index.Passage, len(ids))
	for n, locals := range by {
		x, err := u.store(n)
		if err != nil {
			return nil, err
		}
		ps, err := x.Passages(ctx, locals)
		if err != nil {
			return nil, &StoreError{Store: n, Err: err}
		}
		for local, p := range ps {
			out[Global(n, local)] = PassageOf(n, p)
		}
	}
	return out, nil
}

// DocFreq counts, over all stores, the passages each term appears in and
// all passages.
func (u *Index) DocFreq(ctx context.Context, terms []string) (map[string]int, int, error) {
	df := map[string]int{}
	total := 0
	for i, x := range u.stores {
		if x == nil {
			continue
		}
		d, n, err := x.DocFreq(ctx, terms)
		if err != nil && i > 0 {
			// Statistics without a server gone away serve a search of
			// the other stores; a search that needs it fails there.
			continue
		}
		if err != nil {
			return nil, 0, &StoreError{Store: i, Err: err}
		}
		for t, c := range d {
			df[t] += c
		}
		total += n
	}
	return df, total, nil
}

// DocumentSections returns a document's sections by its global ID.
func (u *Index) DocumentSections(ctx context.Context, docID int64) ([]index.Section, error) {
	n, local := Split(docID)
	x, err := u.store(n)
	if err != nil {
		return nil, err
	}
	return x.DocumentSections(ctx, local)
}

// DocumentOf gives a store's document its global IDs.
func DocumentOf(n int, d index.Document) index.Document {
	d.ID = Global(n, d.ID)
	d.LibraryID = Global(n, d.LibraryID)
	d.DuplicateOf = Global(n, d.DuplicateOf)
	return d
}

// PassageOf gives a store's passage its global IDs.
func PassageOf(n int, p index.Passage) index.Passage {
	p.ID = Global(n, p.ID)
	p.DocID = Global(n, p.DocID)
	p.Doc = DocumentOf(n, p.Doc)
	return p
}
