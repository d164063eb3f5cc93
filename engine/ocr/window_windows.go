package ocr

import (
	"os/exec"
	"syscall"
)

// hideWindow keeps a console window from flashing up for every page.
func hideWindow(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true}
}
