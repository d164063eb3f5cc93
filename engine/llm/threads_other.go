//go:build !linux && !darwin

package llm

// physicalCores is unknown here; runtime.NumCPU is used as it is.
func physicalCores() int { return 0 }
