package ingest

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/ocr"
	"github.com/carrel-ai/carrel/internal/testdocs"

	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// pagedOCR "reads" one page each time it is let through.
type pagedOCR struct {
	next  chan struct{}
	mu    sync.Mutex
	asked int // pages asked for, read or waiting
	read  int
}

func (p *pagedOCR) Available(context.Context) error { return nil }

func (p *pagedOCR) RecognizeEach(ctx context.Context, imgs []image.Image, o ocr.ReadOptions) ([]ocr.Reading, error) {
	return eachAlone(ctx, p, imgs, o)
}

// eachAlone reads images one by one with rec, as a stand-in
// recogniser's RecognizeEach.
func eachAlone(ctx context.Context, rec docs.Recognizer, imgs []image.Image, o ocr.ReadOptions) ([]ocr.Reading, error) {
	out := make([]ocr.Reading, len(imgs))
	for i, img := range imgs {
		pg, err := rec.Recognize(ctx, img, o)
		out[i] = ocr.Reading{Page: pg, Err: err}
	}
	return out, nil
}

func (p *pagedOCR) Recognize(ctx context.Context, img image.Image, o ocr.ReadOptions) (*ocr.Page, error) {
	p.mu.Lock()
	p.asked++
	p.mu.Unlock()
	select {
	case <-p.next:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	p.read++
	p.mu.Unlock()
	return &ocr.Page{Width: 10, Height: 10, Lines: []ocr.Line{{Words: []ocr.Word{{Text: "walrus", Box: image.Rect(1, 1, 9, 9)}}}}}, nil
}

func (p *pagedOCR) pages() (asked, read int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.asked, p.read
}

func blank() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 20, 26))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	return g
}

// A long scan reports each page, holds between pages while the queue is
// paused, and stops between pages when the queue is cancelled.
func TestScanPagesPauseAndCancel(t *testing.T) {
	src := t.TempDir()
	scan := testdocs.ImagePDF(blank(), blank(), blank(), blank(), blank(), blank())
	os.WriteFile(filepath.Join(src, "a.pdf"), scan, 0o600)
	idx, err := index.Open(context.Background(), t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	parser := docs.NewParser("")
	t.Cleanup(func() { parser.Close(); idx.Close() })
	lib, _ := idx.Library(context.Background(), "Scans")
	rec := &pagedOCR{next: make(chan struct{})}
	var mu sync.Mutex
	var pages []int
	in := New(idx, parser, Options{Workers: 1, Rescan: time.Hour, OCR: rec, OCRPages: 1}, func(ev event.Event) {
		if ev.Kind == event.Page {
			mu.Lock()
			pages = append(pages, ev.Page)
			mu.Unlock()
			if ev.Pages != 6 {
				t.Errorf("event says %d pages", ev.Pages)
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in.Add(ctx, lib, false, src)
	go in.Run(ctx)
	rec.next <- struct{}{}
	rec.next <- struct{}{}
	// Pause while the third page is in hand: it was asked for before the
	// pause, so it is let through; then no further page may be asked for.
	testwait.Until(t, "two pages read and the third asked for", func() bool {
		asked, read := rec.pages()
		return read == 2 && asked == 3
	})
	in.Pause()
	rec.next <- struct{}{}
	select {
	case rec.next <- struct{}{}:
		t.Fatal("a page was read while paused")
	case <-time.After(600 * time.Millisecond):
	}
	if err := in.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	in.Resume()
	testwait.Until(t, "the scan stopped as cancelled", func() bool {
		ds, _ := idx.Documents(ctx, index.DocFilter{Statuses: []status.Status{status.Failed}})
		return len(ds) == 1 && ds[0].ErrorKind == string(failure.Cancelled)
	})
	if _, n := rec.pages(); n != 3 {
		t.Errorf("%d pages read, want 3 (two, and the one in hand at the pause)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pages) < 3 || pages[0] != 0 || pages[1] != 1 || pages[2] != 2 {
		t.Errorf("page events %v", pages)
	}
}

// crowdOCR counts the pages in hand at once; each waits a moment for
// company, so that pages read together are seen together.
type crowdOCR struct {
	mu           sync.Mutex
	inHand, most int
}

func (c *crowdOCR) Available(context.Context) error { return nil }

func (c *crowdOCR) RecognizeEach(ctx context.Context, imgs []image.Image, o ocr.ReadOptions) ([]ocr.Reading, error) {
	return eachAlone(ctx, c, imgs, o)
}

func (c *crowdOCR) Recognize(ctx context.Context, img image.Image, o ocr.ReadOptions) (*ocr.Page, error) {
	c.mu.Lock()
	c.inHand++
	c.most = max(c.most, c.inHand)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inHand--
		c.mu.Unlock()
	}()
	for start := time.Now(); time.Since(start) < time.Second; time.Sleep(5 * time.Millisecond) {
		c.mu.Lock()
		company := c.inHand > 1
		c.mu.Unlock()
		if company {
			break
		}
	}
	return &ocr.Page{Width: 10, Height: 10, Lines: []ocr.Line{{Words: []ocr.Word{{Text: "walrus", Box: image.Rect(1, 1, 9, 9), Conf: 90}}}}}, nil
}

// A scan added alone is read on the cores of the idle workers too.
func TestScanAloneIsReadOnEveryWorker(t *testing.T) {
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "a.pdf"), testdocs.ImagePDF(blank(), blank(), blank(), blank()), 0o600)
	idx, err := index.Open(context.Background(), t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	parser := docs.NewParser("")
	t.Cleanup(func() { parser.Close(); idx.Close() })
	lib, _ := idx.Library(context.Background(), "Scans")
	rec := &crowdOCR{}
	in := New(idx, parser, Options{Workers: 3, Rescan: time.Hour, OCR: rec}, func(event.Event) {})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in.Add(ctx, lib, false, src)
	go in.Run(ctx)
	testwait.Until(t, "the scan indexed", func() bool {
		ds, _ := idx.Documents(ctx, index.DocFilter{Statuses: []status.Status{status.Ready}})
		return len(ds) == 1
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.most < 2 || rec.most > 3 {
		t.Errorf("%d pages in hand at once, want 2 or 3 (3 workers, 1 file)", rec.most)
	}
}

// The pages a file reads at once: its own, and one per worker without a
// file; as set, when set.
func TestOCRPagesFollowIdleWorkers(t *testing.T) {
	for _, tc := range []struct {
		workers, busy, set, want int
	}{
		{4, 1, 0, 4},
		{4, 3, 0, 2},
		{4, 4, 0, 1},
		{2, 2, 0, 1},
		{4, 1, 1, 1},
		{2, 2, 3, 3},
	} {
		in := &Ingester{opts: Options{Workers: tc.workers, OCRPages: tc.set}, busy: map[int64]bool{}}
		for i := 0; i < tc.busy; i++ {
			in.busy[int64(i)] = true
		}
		if got := in.ocrPages(); got != tc.want {
			t.Errorf("%d workers, %d busy, OCRPages %d: %d pages, want %d", tc.workers, tc.busy, tc.set, got, tc.want)
		}
	}
}
