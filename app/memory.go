package main

import (
	"os"
	"runtime/debug"

	"github.com/carrel-ai/carrel/engine"
)

// limitHeap holds the Go heap of a process that indexes documents to the
// ingest budget: without it the collector lets the heap grow to twice
// what is live, and a long file's words (held while its passages are cut
// and stored) made a 50 MB one-line CSV cost 900 MB. The limit is soft: a
// document that needs more is collected for more often, never refused.
// A GOMEMLIMIT the person set is theirs and wins.
func limitHeap() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(engine.IndexingHeapBudget)
}
