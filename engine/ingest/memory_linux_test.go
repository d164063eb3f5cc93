package ingest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// Indexing hostile files keeps memory bounded: a 40 MB text of one
// paragraph, a 50 MB one-line CSV, a 1 GB sparse file and the corpus's
// broken PDFs, indexed by a child process with two workers within the
// ingest heap budget, peak under 512 MiB of resident memory. A bound, not a timing: it holds on a
// loaded machine. The race detector multiplies memory, so the check runs
// in the suite's run without it (make test's pure-Go pass).
func TestMemoryBoundOnHostileFiles(t *testing.T) {
	if dir := os.Getenv("CARREL_MEMORY_CHILD"); dir != "" {
		memoryChild(dir)
		return
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory: measured in the run without it")
	}
	src := t.TempDir()
	var b strings.Builder
	for b.Len() < 40<<20 {
		b.WriteString("word ")
	}
	write(t, filepath.Join(src, "long.txt"), b.String())
	b.Reset()
	for i := 0; b.Len() < 50<<20; i++ {
		fmt.Fprintf(&b, "cell%d,", i)
	}
	write(t, filepath.Join(src, "oneline.csv"), b.String())
	f, err := os.Create(filepath.Join(src, "sparse.txt"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(1 << 30)
	f.Close()
	// Broken and fuzzed PDFs, where the shared assets are: the PDF engine
	// starts (compiling PDFium, the largest moment of a first run) while
	// the long files are cut.
	if shared := sharedtest.Dir(); shared != "" {
		broken := filepath.Join(shared, "corpus", "pdf", "broken")
		ents, _ := os.ReadDir(broken)
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(broken, e.Name())); err == nil {
				write(t, filepath.Join(src, "broken", e.Name()), string(b))
			}
		}
	}
	data := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryBoundOnHostileFiles$")
	cmd.Env = append(os.Environ(), "CARREL_MEMORY_CHILD="+data, "CARREL_MEMORY_SRC="+src)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss >> 10 // KiB to MiB
	t.Logf("peak resident memory: %d MiB", peak)
	if peak > 512 {
		t.Errorf("indexing the hostile files peaked at %d MiB, over 512 MiB", peak)
	}
	idx, err := index.Open(context.Background(), data, "")
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	ds, _ := idx.Documents(context.Background(), index.DocFilter{})
	for _, d := range ds {
		want := status.Ready
		switch {
		case filepath.Base(d.Path) == "sparse.txt":
			want = status.Failed
		case filepath.Base(filepath.Dir(d.Path)) == "broken":
			if d.Status == status.Failed {
				continue // a damaged file may well be refused, with its reason
			}
		}
		if d.Status != want {
			t.Errorf("%s: %s (%s)", filepath.Base(d.Path), d.Status, d.Error)
		}
	}
}

func memoryChild(data string) {
	// The child process of the test: its parent bounds its run. It
	// holds its heap as the app does when it indexes.
	debug.SetMemoryLimit(HeapBudget)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	idx, err := index.Open(ctx, data, "")
	if err != nil {
		os.Exit(3)
	}
	lib, _ := idx.Library(ctx, "Test")
	in := New(idx, docs.NewParser(""), Options{Workers: 2}, nil)
	go in.Run(ctx)
	if _, err := in.Add(ctx, lib, false, os.Getenv("CARREL_MEMORY_SRC")); err != nil {
		os.Exit(4)
	}
	if err := in.Wait(ctx); err != nil {
		os.Exit(5)
	}
	idx.Close()
}
