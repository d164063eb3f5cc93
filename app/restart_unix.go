//go:build !windows

package main

import (
	"fmt"
	"os"
	"syscall"
)

// restartSelf replaces this process with a new start of the program with
// args (args[0] its name): the same executable, environment and process
// ID, so a terminal or service manager that started the window keeps
// following it. It returns only when the start failed.
func restartSelf(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("starting again: %w", err)
	}
	return fmt.Errorf("starting again (%s): %w", exe, syscall.Exec(exe, args, os.Environ()))
}
