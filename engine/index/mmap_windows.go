//go:build windows

package index

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// mapping is a read-only view of the start of a file.
type mapping struct {
	data []byte
	h    windows.Handle
}

// mapFile maps the first size bytes of f read-only (see the Unix
// version).
func mapFile(f *os.File, size int64) (*mapping, error) {
	if size == 0 {
		return &mapping{}, nil
	}
	h, err := windows.CreateFileMapping(windows.Handle(f.Fd()), nil, windows.PAGE_READONLY,
		uint32(uint64(size)>>32), uint32(size), nil)
	if err != nil {
		return nil, os.NewSyscallError("CreateFileMapping", err)
	}
	addr, err := windows.MapViewOfFile(h, windows.FILE_MAP_READ, 0, 0, uintptr(size))
	if err != nil {
		windows.CloseHandle(h)
		return nil, os.NewSyscallError("MapViewOfFile", err)
	}
	return &mapping{data: unsafe.Slice((*byte)(unsafe.Pointer(addr)), int(size)), h: h}, nil
}

func (m *mapping) unmap() {
	if m.data != nil {
		windows.UnmapViewOfFile(uintptr(unsafe.Pointer(unsafe.SliceData(m.data))))
		windows.CloseHandle(m.h)
		m.data = nil
	}
}
