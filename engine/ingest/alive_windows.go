//go:build windows

package ingest

import "os"

// processAlive reports whether a process of this machine runs: on Windows
// opening a process that has ended fails.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
