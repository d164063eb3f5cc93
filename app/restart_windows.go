package main

import (
	"fmt"
	"os"
	"os/exec"
)

// restartSelf starts the program again with args (args[0] its name) and
// returns, so that this process ends: Windows cannot replace a running
// process's image.
func restartSelf(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("starting again: %w", err)
	}
	cmd := exec.Command(exe, args[1:]...)
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting again (%s): %w", exe, err)
	}
	return cmd.Process.Release()
}
