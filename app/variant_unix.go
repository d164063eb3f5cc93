//go:build !windows

package main

import (
	"os"
	"syscall"
)

// runVariant replaces this process with the variant build.
func runVariant(path string) {
	args := append([]string{path}, os.Args[1:]...)
	env := append(os.Environ(), variantEnv+"=1")
	syscall.Exec(path, args, env) // returns only on failure: carry on as the baseline
}
