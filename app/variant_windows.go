//go:build windows

package main

import (
	"errors"
	"os"
	"os/exec"
)

// runVariant runs the variant build in this process's place (Windows has
// no exec) and exits with its status.
func runVariant(path string) {
	cmd := exec.Command(path, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), variantEnv+"=1")
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &ee):
		os.Exit(ee.ExitCode())
	}
	// It could not start: carry on as the baseline.
}
