//go:build windows

package main

import (
	"os"
	"syscall"
)

// The Windows build is a GUI program (no console window opens when it is
// double-clicked), so a command typed in a terminal would print nowhere.
// Attaching to the parent's console makes "Carrel.exe ask …" print there.
func init() {
	if len(os.Args) < 2 {
		return // the window: no console wanted
	}
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS (-1)
	attach := syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")
	if r, _, _ := attach.Call(attachParentProcess); r == 0 {
		return // started without a console (e.g. "Open with")
	}
	if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
		os.Stdout, os.Stderr = f, f
	}
	if f, err := os.OpenFile("CONIN$", os.O_RDONLY, 0); err == nil {
		os.Stdin = f
	}
}
