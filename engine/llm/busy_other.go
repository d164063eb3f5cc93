//go:build !linux

package llm

import "time"

// freeCPUs cannot tell here: generation uses the threads it was given.
func freeCPUs(time.Duration) (float64, bool) { return 0, false }
