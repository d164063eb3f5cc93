//go:build !linux

package ocr

// limitMemory does nothing where a running process's limits cannot be
// set from outside; the page time limit still bounds the recogniser.
func limitMemory(pid int, bytes int64) {}
