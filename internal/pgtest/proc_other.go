//go:build !linux

package pgtest

import "syscall"

// procAttr runs a server program as this process's user: running the
// tests as root, which needs another user, is a Linux CI matter.
func procAttr(*runAs) *syscall.SysProcAttr { return nil }
