package pgtest

import "syscall"

// procAttr runs a server program as user (nil: as this process) and ends
// it with the test binary, even when that one is killed: no server
// outlives its tests.
func procAttr(user *runAs) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if user != nil {
		a.Credential = &syscall.Credential{Uid: user.uid, Gid: user.gid}
	}
	return a
}
