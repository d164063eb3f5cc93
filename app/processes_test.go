package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/internal/pgtest"

	"github.com/carrel-ai/carrel/internal/testwait"
)

// TestMain lets a test start the command line as a real process of its
// own: with CARREL_TEST_CLI set (arguments separated by newlines), the
// test binary is "carrel".
func TestMain(m *testing.M) {
	if args := os.Getenv("CARREL_TEST_CLI"); args != "" {
		os.Exit(run(context.Background(), strings.Split(args, "\n")))
	}
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// cliProcess starts "carrel args..." as a separate process.
func cliProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "CARREL_TEST_CLI="+strings.Join(args, "\n"))
	return cmd
}

// Two "carrel add" processes on one data folder, started together, both
// finish, and every document is indexed exactly once (three rounds).
func TestTwoAddProcesses(t *testing.T) {
	src := t.TempDir()
	const files = 150
	for i := 0; i < files; i++ {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("n%03d.md", i)), []byte(fmt.Sprintf("# Note %d\n\nThe heron number %d stood in the reeds by the weir.", i, i)), 0o600)
	}
	for round := 0; round < 3; round++ {
		data := t.TempDir()
		a, b := cliProcess(t, "add", "--data", data, "--json", src), cliProcess(t, "add", "--data", data, "--json", src)
		var outA, outB strings.Builder
		a.Stdout, b.Stdout = &outA, &outB
		a.Stderr, b.Stderr = &outA, &outB
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		if err := b.Start(); err != nil {
			t.Fatal(err)
		}
		errA, errB := a.Wait(), b.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("round %d: %v %v\n%s\n%s", round, errA, errB, outA.String(), outB.String())
		}
		code, out, stderr := runCLI(t, "list", "--data", data, "--json")
		if code != 0 {
			t.Fatalf("list: %s", stderr)
		}
		var rows []struct {
			Path   string
			Status string
			Chunks int
		}
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatal(err)
		}
		ready := 0
		for _, r := range rows {
			if r.Status == "ready" && r.Chunks == 1 {
				ready++
			}
		}
		if len(rows) != files || ready != files {
			t.Errorf("round %d: %d documents, %d ready once; want %d", round, len(rows), ready, files)
		}
	}
}

// "carrel watch" running while "carrel add" adds the watched folder's new
// files: add finishes, and every file is indexed exactly once (three
// rounds).
func TestWatchAndAddProcesses(t *testing.T) {
	for round := 0; round < 3; round++ {
		data, dir := t.TempDir(), t.TempDir()
		if code, _, stderr := runCLI(t, "add", "--data", data, "--watch", dir); code != 0 {
			t.Fatalf("add --watch: %s", stderr)
		}
		watch := cliProcess(t, "watch", "--data", data)
		var wout strings.Builder
		watch.Stderr = &wout
		if err := watch.Start(); err != nil {
			t.Fatal(err)
		}
		const files = 100
		for i := 0; i < files; i++ {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("n%03d.txt", i)), []byte(fmt.Sprintf("Kestrel %d hovered over the field.", i)), 0o600)
		}
		add := cliProcess(t, "add", "--data", data, "--json", dir)
		out, err := add.CombinedOutput()
		watch.Process.Signal(os.Interrupt)
		watch.Wait()
		if err != nil {
			t.Fatalf("round %d: add: %v\n%s\nwatch: %s", round, err, out, wout.String())
		}
		var sum struct {
			Ready  int `json:"ready"`
			Failed []struct{ Path, Kind, Reason string }
		}
		if err := json.Unmarshal(out[strings.LastIndexByte(string(out[:len(out)-1]), '\n')+1:], &sum); err != nil || sum.Ready != files || len(sum.Failed) != 0 {
			t.Errorf("round %d: %s (%v)", round, out, err)
		}
	}
}

// A folder added with "carrel add --watch" in one process is followed by
// "carrel watch" running in another: a file created in it is in the
// library (this checks that it is followed, not how fast).
func TestWatchFollowsFolderAddedElsewhere(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	watch := cliProcess(t, "watch", "--data", data)
	var wout testwait.Buffer
	watch.Stderr = &wout
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { watch.Process.Signal(os.Interrupt); watch.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("the watcher said:\n%s", wout.String())
		}
	}()
	waitFor := func(what string) {
		t.Helper()
		testwait.Until(t, "the watcher says "+what, func() bool { return strings.Contains(wout.String(), what) })
	}
	waitFor("no folder is watched yet")
	if code, _, stderr := runCLI(t, "add", "--data", data, "--watch", dir); code != 0 {
		t.Fatalf("add --watch: %s", stderr)
	}
	waitFor("watching " + dir)
	path := filepath.Join(dir, "late.md")
	os.WriteFile(path, []byte("# Herons\n\nA grey heron waited by the weir."), 0o600)
	testwait.Until(t, "a file in a folder added by another process is followed", func() bool {
		_, out, _ := runCLI(t, "list", "--data", data, "--json")
		return strings.Contains(out, "late.md")
	})
}
