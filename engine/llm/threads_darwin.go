package llm

import "syscall"

// physicalCores asks the kernel for hw.physicalcpu; on Apple Silicon that
// counts performance and efficiency cores alike.
func physicalCores() int {
	n, err := syscall.SysctlUint32("hw.physicalcpu")
	if err != nil {
		return 0
	}
	return int(n)
}
