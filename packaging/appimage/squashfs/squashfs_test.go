package squashfs

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// An image mksquashfs writes as the AppImage build does extracts to the
// same tree: folders (empty, nested, with more entries than one directory
// header holds), files of one and of many blocks, compressible, random and
// all zeros (stored sparse), an executable, and a link.
func TestExtractMatchesTheTree(t *testing.T) {
	if _, err := exec.LookPath("mksquashfs"); err != nil {
		t.Skip("mksquashfs is not installed (apt-get install squashfs-tools)")
	}
	src := t.TempDir()
	write := func(name string, data []byte, perm os.FileMode) {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, perm); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 300_000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	write("AppRun", []byte("#!/bin/sh\necho hello\n"), 0o755)
	write("usr/bin/carrel", bytes.Repeat([]byte("carrel binary "), 50_000), 0o755)
	write("usr/lib/carrel/models/model.gguf", random, 0o644)
	write("usr/share/zeros", make([]byte, 400_000), 0o644)
	write("usr/share/empty.txt", nil, 0o644)
	for i := range 300 {
		write(fmt.Sprintf("usr/share/many/f%03d.txt", i), []byte(fmt.Sprint(i)), 0o644)
	}
	if err := os.MkdirAll(filepath.Join(src, "usr/share/nothing"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/bin/carrel", filepath.Join(src, "carrel")); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "img.squashfs")
	out, err := exec.Command("mksquashfs", src, img, "-comp", "gzip", "-no-fragments", "-no-xattrs", "-all-root", "-noappend", "-quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, out)
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "x")
	if err := im.ExtractTo(dst); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		q := filepath.Join(dst, rel)
		a, _ := os.Lstat(p)
		b, err := os.Lstat(q)
		if err != nil {
			t.Errorf("%s missing: %v", rel, err)
			return nil
		}
		n++
		switch {
		case a.Mode()&fs.ModeSymlink != 0:
			ta, _ := os.Readlink(p)
			tb, err := os.Readlink(q)
			if err != nil || ta != tb {
				t.Errorf("%s: link to %q, want %q", rel, tb, ta)
			}
		case a.IsDir():
			if !b.IsDir() {
				t.Errorf("%s is not a folder", rel)
			}
		default:
			da, _ := os.ReadFile(p)
			db, _ := os.ReadFile(q)
			if !bytes.Equal(da, db) {
				t.Errorf("%s: %d bytes differ from %d", rel, len(db), len(da))
			}
			if a.Mode().Perm() != b.Mode().Perm() {
				t.Errorf("%s: mode %v, want %v", rel, b.Mode().Perm(), a.Mode().Perm())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 310 {
		t.Errorf("compared %d paths", n)
	}
	if _, err := Open(bytes.NewReader(make([]byte, 200))); err == nil {
		t.Error("zeros were taken for an image")
	}
}
