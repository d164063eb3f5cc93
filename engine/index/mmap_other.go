//go:build !unix && !windows

package index

import (
	"io"
	"os"
)

// mapping holds the start of a file read into memory, where the platform
// offers no mapping.
type mapping struct{ data []byte }

func mapFile(f *os.File, size int64) (*mapping, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), b); err != nil {
		return nil, err
	}
	return &mapping{data: b}, nil
}

func (m *mapping) unmap() { m.data = nil }
