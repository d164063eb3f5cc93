package ingest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// fakeClock is a clock that only the scripted embedder moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// slowEmbedder takes, on the fake clock, a fixed time per passage and a
// time per byte of text: the cost of embedding on a CPU.
type slowEmbedder struct{ clock *fakeClock }

func (e slowEmbedder) Model() string { return "slow" }

func (e slowEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		e.clock.advance(10*time.Millisecond + time.Duration(len(t))*200*time.Microsecond)
		out[i] = []float32{1, 0, 0, 0}
	}
	return out, nil
}

// The time left is estimated from the work that remains, not from the
// count of files: with a folder's small files read first and its books
// last, the estimate is within a factor of two of the time that really
// remained from a tenth of the work on (on a clock the scripted embedder
// moves, so the arithmetic is checked, not the machine's speed).
func TestTimeLeftFollowsTheWork(t *testing.T) {
	src := t.TempDir()
	// Eight small files first, then four books (sizes in KB); the text
	// varies, so that no passage is a near-copy left unembedded.
	sizes := []int{2, 3, 2, 4, 3, 2, 5, 3, 80, 120, 60, 150}
	words := strings.Fields("keeper lighthouse ship passed point weather night storm harbour lamp oil tide rock gull wind sail fog bell coast wave")
	rng := rand.New(rand.NewPCG(3, 5))
	for i, kb := range sizes {
		var b strings.Builder
		fmt.Fprintf(&b, "# Log %d\n\n", i)
		for b.Len() < kb<<10 {
			for w := 0; w < 60; w++ {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(' ')
			}
			b.WriteString("ends.\n\n")
		}
		write(t, filepath.Join(src, fmt.Sprintf("%02d-log.md", i)), b.String())
	}
	idx, err := index.Open(context.Background(), t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	parser := docs.NewParser("")
	t.Cleanup(func() { parser.Close(); idx.Close() })
	lib, _ := idx.Library(context.Background(), "Logs")
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	type sample struct {
		at       time.Time
		eta      time.Duration
		fraction float64
		done     int
	}
	var mu sync.Mutex
	var samples []sample
	var end time.Time
	in := New(idx, parser, Options{Workers: 1, Rescan: time.Hour, Embedder: slowEmbedder{clock}}, func(ev event.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch ev.Kind {
		case event.Progress:
			samples = append(samples, sample{clock.now(), ev.ETA, ev.Fraction, ev.Done})
		case event.Idle:
			end = clock.now()
		}
	})
	in.now = clock.now
	e := &env{idx: idx, in: in, lib: lib}
	if _, err := in.Add(context.Background(), lib, false, src); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	// Idle is announced on a goroutine of its own: Wait may return first.
	testwait.Until(t, "the idle event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return !end.IsZero()
	})
	mu.Lock()
	defer mu.Unlock()
	if end.IsZero() || len(samples) != len(sizes) {
		t.Fatalf("%d progress events, end %v", len(samples), end)
	}
	checked := 0
	for _, s := range samples {
		left := end.Sub(s.at)
		if s.fraction < 0.1 || left <= 0 {
			continue
		}
		checked++
		if s.eta <= 0 || s.eta > 2*left || 2*s.eta < left {
			t.Errorf("after %d files (%.0f%% of the work) the estimate was %v, and %v remained", s.done, 100*s.fraction, s.eta, left)
		}
	}
	if checked < 2 {
		t.Errorf("only %d estimates past a tenth of the work: %+v", checked, samples)
	}
}

// The estimate waits for a rate: nothing done, or under a second of
// measuring, is "estimating" (0); then the rest goes at the rate so far.
func TestTimeLeftArithmetic(t *testing.T) {
	for _, c := range []struct {
		elapsed     time.Duration
		done, total int64
		want        time.Duration
	}{
		{10 * time.Second, 0, 100, 0},
		{500 * time.Millisecond, 50, 100, 0},
		{10 * time.Second, 25, 100, 30 * time.Second},
		{10 * time.Second, 100, 100, 0},
		{time.Minute, 90, 100, 6666666666},
	} {
		if got := timeLeft(c.elapsed, c.done, c.total); got != c.want {
			t.Errorf("timeLeft(%v, %d, %d) = %v, want %v", c.elapsed, c.done, c.total, got, c.want)
		}
	}
}
