// Package status declares the one list of where a document stands in
// indexing, shared by the store that records it, the queue that moves it
// and the window that shows it.
package status

// Status is a document's place in indexing.
type Status string

// Document statuses.
const (
	Queued    Status = "queued"    // waiting to be read
	Parsing   Status = "parsing"   // being read and cut into passages
	Embedding Status = "embedding" // searchable by its words; its vectors are being made
	Ready     Status = "ready"     // searchable
	Failed    Status = "failed"    // could not be indexed (the document says why)
	Stale     Status = "stale"     // changed on disk; its old passages serve until it is indexed again
)
