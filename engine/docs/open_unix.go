//go:build !windows

package docs

import (
	"os"
	"syscall"
)

// openNonBlocking opens a file for reading without waiting: a pipe that
// replaced the file after it was checked does not block the open.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
