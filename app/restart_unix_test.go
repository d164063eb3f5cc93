//go:build !windows

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The window's "Restart now" ends in restartSelf: the new start replaces
// this process (the same process ID, so whatever started the window keeps
// following it) and keeps its environment (the data folder, the team
// server given for the session).
func TestRestartReplacesTheProcess(t *testing.T) {
	if out := os.Getenv("CARREL_RESTART_TEST"); out != "" {
		if first := os.Getenv("CARREL_RESTARTED_FROM"); first != "" {
			os.WriteFile(out, []byte(fmt.Sprintf("%s %d", first, os.Getpid())), 0o600)
			return
		}
		os.Setenv("CARREL_RESTARTED_FROM", strconv.Itoa(os.Getpid()))
		err := restartSelf([]string{os.Args[0], "-test.run=^TestRestartReplacesTheProcess$"})
		t.Fatalf("restartSelf returned: %v", err)
	}
	out := filepath.Join(t.TempDir(), "pids")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRestartReplacesTheProcess$")
	cmd.Env = append(os.Environ(), "CARREL_RESTART_TEST="+out)
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the process to restart: %v\n%s", err, output)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the new start did not run: %v", err)
	}
	pids := strings.Fields(string(data))
	if len(pids) != 2 || pids[0] != pids[1] || pids[0] != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("process IDs before and after the restart, and of the process started: %q, %d", pids, cmd.Process.Pid)
	}
}
