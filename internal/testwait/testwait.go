// Package testwait waits, in tests, for something that happens in the
// background. A wait's bound is a guard against a hang, never a claim about
// speed: it ends at the test binary's own deadline (go test -timeout) less a
// margin for the report, and at most after Max, so one hung wait does not
// hold a whole suite. How fast things happen is measured in benchmarks.
package testwait

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// Max is the longest any one wait lasts: far beyond what a working
// program needs on a loaded machine under the race detector.
const Max = 3 * time.Minute

// poll is how often Until looks.
const poll = 20 * time.Millisecond

// Bound returns how long a wait that starts now may last.
func Bound(t testing.TB) time.Duration {
	d := Max
	if dl, ok := t.(interface{ Deadline() (time.Time, bool) }); ok { // a test, not a benchmark
		if end, ok := dl.Deadline(); ok {
			// Leave a tenth of what is left, at least 5 s, for the report.
			left := time.Until(end)
			d = min(d, left-max(left/10, 5*time.Second))
		}
	}
	return max(d, time.Second)
}

// Until polls cond until it holds, and fails the test if it never does.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(Bound(t))
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: it never happened (a hang guard of %v)", what, Bound(t))
		}
		time.Sleep(poll)
	}
}

// Recv receives from ch, and fails the test if nothing comes.
func Recv[T any](t testing.TB, what string, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(Bound(t))
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("%s: nothing came (a hang guard)", what)
		panic("unreachable")
	}
}

// Buffer collects what a background process or server writes while the
// test reads it. Close does nothing, so it can stand for a stream that is
// closed when the writer is done.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// Close does nothing.
func (b *Buffer) Close() error { return nil }

// String is what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Context is a context for a test's background work that ends at the
// bound of a wait (see Bound): a guard against a hang, not a budget.
func Context(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), Bound(t))
}
