package ocr

import "golang.org/x/sys/unix"

// limitMemory caps the address space of the recogniser's process, so a
// decompression bomb in a scan fails inside it rather than taking the
// machine's memory. It is set just after the start: the recogniser has
// not read its input yet.
func limitMemory(pid int, bytes int64) {
	lim := unix.Rlimit{Cur: uint64(bytes), Max: uint64(bytes)}
	_ = unix.Prlimit(pid, unix.RLIMIT_AS, &lim, nil) // best effort: the time limit still holds
}
