package llm

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// The CPUs free for generation count this process's own work as free (its
// threads finishing the last call must not make the next one use fewer):
// the readings parse, stay within the machine, and the process's own time
// is seen to grow while it works.
func TestFreeCPUsReadings(t *testing.T) {
	free, ok := freeCPUs(20 * time.Millisecond)
	if !ok || free < 0 || free > float64(runtime.NumCPU()) {
		t.Fatalf("free CPUs %v (%v)", free, ok)
	}
	before, ok := selfTime()
	if !ok {
		t.Fatal("this process's time cannot be read")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	for ctx.Err() == nil {
	}
	after, _ := selfTime()
	if after <= before {
		t.Errorf("300 ms of work did not show in this process's time: %d then %d ticks", before, after)
	}
}
