//go:build !windows

package engine_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/internal/testdocs"
)

// A data folder is readable by its owner alone, whatever the umask: the
// folders 0700, the files 0600 (the index holds the text of private
// documents).
func TestDataFolderIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "a.md"), []byte("# Private\n\nLehman Brothers owed a great deal."), 0o644)
	os.WriteFile(filepath.Join(src, "b.pdf"), testdocs.PDF("A page of a private report."), 0o644)
	data := filepath.Join(t.TempDir(), "carrel")
	e := openEngine(t, data, nil)
	addAndWait(t, e, "", src)
	if _, err := e.Ask(context.Background(), "Lehman Brothers", engine.AskOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	e.Close()
	n := 0
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		st, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm()&^want != 0 {
			t.Errorf("%s is %v, want at most %v", strings.TrimPrefix(p, data), st.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n < 5 {
		t.Errorf("only %d entries in the data folder", n)
	}
}
