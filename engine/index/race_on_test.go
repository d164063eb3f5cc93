//go:build race

package index

// raceEnabled: the race detector slows SQLite (Go translated from C)
// tenfold; the largest comparisons run smaller under it, and in full in
// the suite without it (make test-pure).
const raceEnabled = true
