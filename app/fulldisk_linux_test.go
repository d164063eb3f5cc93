package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A full disk ends "carrel add" with a clear message and a failing exit
// status, leaving the library readable; once space is freed, the next run
// finishes every document. The data folder is a 3 MB tmpfs (the documents register, then their passages fill it) (the test
// needs root to mount one, and skips without).
func TestFullDiskThenSpace(t *testing.T) {
	data := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", data).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small file system here (needs root): %v %s", err, out)
	}
	// Lazily: a file of the library closing a moment late must not leave
	// the mount busy when the test's folder is removed.
	t.Cleanup(func() { exec.Command("umount", "-l", data).Run() })
	src := t.TempDir()
	const files = 60
	for i := 0; i < files; i++ {
		var b strings.Builder
		for j := 0; j < 80; j++ {
			fmt.Fprintf(&b, "Document %d, paragraph %d: the ledger of account %d%d shows entries for the quarter.\n\n", i, j, i, j)
		}
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d.txt", i)), []byte(b.String()), 0o600)
	}
	// The first run is a process of its own, as a person's would be: its
	// claims on the documents it could not store end with it.
	first := cliProcess(t, "add", "--data", data, src)
	out, err := first.CombinedOutput()
	code, stderr := first.ProcessState.ExitCode(), string(out)
	if err == nil {
		t.Skip("the documents fitted in 3 MB: nothing filled the disk")
	}
	t.Logf("full disk: exit %d: %s", code, stderr)
	if !strings.Contains(stderr, "indexing stopped") || !strings.Contains(stderr, "free some space") {
		t.Errorf("full disk: exit %d, %q", code, stderr)
	}
	if out, err := exec.Command("mount", "-o", "remount,size=64m", data).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	code, stdout, stderr := runCLI(t, "add", "--data", data, "--json", src)
	if code != 0 {
		t.Fatalf("after freeing space: exit %d: %s", code, stderr)
	}
	var sum struct {
		Ready  int `json:"ready"`
		Failed []struct{ Path, Kind, Reason string }
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Ready != files || len(sum.Failed) != 0 {
		t.Errorf("after freeing space: %s (%v)", stdout, err)
	}
}
