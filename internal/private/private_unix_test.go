//go:build !windows

package private

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

func TestPrivateWhateverTheUmask(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits do not apply on Windows")
	}
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	root := t.TempDir()
	open := filepath.Join(root, "open")
	os.Mkdir(open, 0o777)
	os.WriteFile(filepath.Join(open, "f"), []byte("x"), 0o666)
	tests := []struct {
		name string
		do   func() error
		path string
		want os.FileMode
	}{
		{"new folder", func() error { return Dir(filepath.Join(root, "a", "b")) }, filepath.Join(root, "a", "b"), 0o700},
		{"open folder", func() error { return Dir(open) }, open, 0o700},
		{"open file", func() error { return File(filepath.Join(open, "f")) }, filepath.Join(open, "f"), 0o600},
		{"new file", func() error { return Create(filepath.Join(root, "db")) }, filepath.Join(root, "db"), 0o600},
		{"missing file", func() error { return File(filepath.Join(root, "none")) }, "", 0},
	}
	for _, tc := range tests {
		if err := tc.do(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tc.path == "" {
			continue
		}
		st, err := os.Stat(tc.path)
		if err != nil || st.Mode().Perm() != tc.want {
			t.Errorf("%s: mode %v (%v), want %v", tc.name, st.Mode().Perm(), err, tc.want)
		}
	}
}
