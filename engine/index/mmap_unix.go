//go:build unix

package index

import (
	"os"
	"syscall"
)

// mapping is a read-only view of the start of a file.
type mapping struct{ data []byte }

// mapFile maps the first size bytes of f read-only. The pages come from
// the system's file cache on demand and can be dropped by it under
// memory pressure: they are not the process's own memory.
func mapFile(f *os.File, size int64) (*mapping, error) {
	if size == 0 {
		return &mapping{}, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &mapping{data: b}, nil
}

func (m *mapping) unmap() {
	if m.data != nil {
		syscall.Munmap(m.data)
		m.data = nil
	}
}
