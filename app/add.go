package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/ingest"
)

// libraryFlags are shared by the commands that open a library.
type libraryFlags struct {
	data       string
	library    string
	embedModel string
}

func (f *libraryFlags) register(fs *flag.FlagSet) {
	dataFlagVar(fs, &f.data)
	fs.StringVar(&f.library, "library", "My Library", "library `name`")
	fs.StringVar(&f.embedModel, "embed-model", "", "GGUF embedding model `file` for vector search (default: lexical search only)")
}

// progress prints one updating line on a terminal.
type progress struct {
	mu      sync.Mutex
	on      bool
	current string
	last    time.Time
}

func (p *progress) event(ev ingest.Event) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Kind {
	case ingest.EventStarted:
		p.current = filepath.Base(ev.Path)
	case ingest.EventFailed:
		fmt.Fprintf(os.Stderr, "\r\033[K✗ %s: %v\n", ev.Path, ev.Err)
	case ingest.EventProgress:
		if time.Since(p.last) < 100*time.Millisecond && ev.Done < ev.Total {
			return
		}
		p.last = time.Now()
		eta := ""
		if ev.ETA > 0 {
			eta = " · about " + ev.ETA.Round(time.Second).String() + " left"
		}
		fmt.Fprintf(os.Stderr, "\r\033[Kindexing %d/%d · %s%s", ev.Done, ev.Total, p.current, eta)
	case ingest.EventIdle:
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
}

func addCmd() *command {
	fs := flag.NewFlagSet("add", flag.ContinueOnError)
	var lf libraryFlags
	lf.register(fs)
	watch := fs.Bool("watch", false, "keep the folders watched: changes are indexed when \"carrel watch\" or the app runs")
	asJSON := fs.Bool("json", false, "print a JSON summary instead of progress")
	return &command{
		Name: "add", Usage: "PATH... [--library NAME] [--watch] [--embed-model FILE]",
		Short: "add files and folders to a library and index them (folders recursively)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return usagef("give files or folders to add")
			}
			l, err := openLibrary(ctx, lf.data, lf.embedModel)
			if err != nil {
				return err
			}
			defer l.Close()
			lib, err := l.idx.Library(ctx, lf.library)
			if err != nil {
				return err
			}
			p := &progress{on: !*asJSON && isTerminal(os.Stderr)}
			in := ingest.New(l.idx, l.parser, ingest.Options{Embedder: l.embedderOrNil()}, p.event)
			queued, err := in.Add(ctx, lib, *watch, args...)
			if err != nil {
				return err
			}
			if l.emb == nil && !*asJSON {
				fmt.Fprintln(os.Stderr, "no embedding model given: the library is searched by words only (add --embed-model FILE for meaning-based search)")
			}
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- in.Run(runCtx) }()
			werr := in.Wait(ctx)
			stop()
			<-done
			if werr != nil {
				return werr
			}
			return reportLibrary(ctx, l.idx, lib, queued, *asJSON)
		},
	}
}

// reportLibrary prints what a library holds after adding: counts, and
// every failure with its reason.
func reportLibrary(ctx context.Context, idx *index.Index, lib index.Library, queued int, asJSON bool) error {
	ds, err := idx.Documents(ctx, index.DocFilter{LibraryID: lib.ID})
	if err != nil {
		return err
	}
	ready, dups, chunks := 0, 0, 0
	var failed []index.Document
	for _, d := range ds {
		switch {
		case d.Status == index.Failed:
			failed = append(failed, d)
		case d.DuplicateOf != 0:
			dups++
		case d.Status == index.Ready:
			ready++
			chunks += d.Chunks
		}
	}
	if asJSON {
		type failure struct {
			Path, Kind, Reason string
		}
		var fl []failure
		for _, d := range failed {
			fl = append(fl, failure{d.Path, d.ErrorKind, d.Error})
		}
		return json.NewEncoder(os.Stdout).Encode(map[string]any{
			"library": lib.Name, "queued": queued, "ready": ready, "duplicates": dups, "failed": fl, "chunks": chunks,
		})
	}
	fmt.Printf("%s: %d documents searchable (%d passages)", lib.Name, ready, chunks)
	if dups > 0 {
		fmt.Printf(", %d duplicates", dups)
	}
	fmt.Printf(", %d could not be read\n", len(failed))
	for _, d := range failed {
		fmt.Printf("  ✗ %s\n    %s\n", d.Path, d.Error)
	}
	return nil
}

func removeCmd() *command {
	fs := flag.NewFlagSet("remove", flag.ContinueOnError)
	var lf libraryFlags
	lf.register(fs)
	return &command{
		Name: "remove", Usage: "PATH... [--library NAME]",
		Short: "take files, or everything below folders, out of a library (the files themselves are not touched)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return usagef("give files or folders to remove")
			}
			l, err := openLibrary(ctx, lf.data, "")
			if err != nil {
				return err
			}
			defer l.Close()
			lib, err := l.idx.FindLibrary(ctx, lf.library)
			if err != nil {
				return err
			}
			n, err := ingest.New(l.idx, l.parser, ingest.Options{}, nil).Remove(ctx, lib, args...)
			if err != nil {
				return err
			}
			fmt.Printf("removed %d documents from %s\n", n, lib.Name)
			return nil
		},
	}
}

func listCmd() *command {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	var lf libraryFlags
	lf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	all := fs.Bool("all", false, "list every library")
	return &command{
		Name: "list", Usage: "[--library NAME | --all] [--json]",
		Short: "list the documents of a library with their status, and why any failed",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			l, err := openLibrary(ctx, lf.data, "")
			if err != nil {
				return err
			}
			defer l.Close()
			f := index.DocFilter{}
			if !*all {
				lib, err := l.idx.FindLibrary(ctx, lf.library)
				if err != nil {
					if errors.Is(err, index.ErrNotFound) {
						return fmt.Errorf("there is no library %q yet: add documents with \"carrel add\"", lf.library)
					}
					return err
				}
				f.LibraryID = lib.ID
			}
			ds, err := l.idx.Documents(ctx, f)
			if err != nil {
				return err
			}
			if *asJSON {
				type row struct {
					Path      string    `json:"path"`
					Status    string    `json:"status"`
					Format    string    `json:"format,omitempty"`
					Title     string    `json:"title,omitempty"`
					Chunks    int       `json:"chunks"`
					Pages     int       `json:"pages,omitempty"`
					Error     string    `json:"error,omitempty"`
					Kind      string    `json:"error_kind,omitempty"`
					Duplicate int64     `json:"duplicate_of,omitempty"`
					Indexed   time.Time `json:"indexed_at"`
				}
				rows := []row{}
				for _, d := range ds {
					rows = append(rows, row{d.Path, string(d.Status), d.Format, d.Title, d.Chunks, d.Pages, d.Error, d.ErrorKind, d.DuplicateOf, d.IndexedAt})
				}
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			for _, d := range ds {
				detail := fmt.Sprintf("%d passages", d.Chunks)
				switch {
				case d.Status == index.Failed:
					detail = d.Error
				case d.DuplicateOf != 0:
					detail = "same content as another document"
				case d.Status != index.Ready:
					detail = "waiting"
				}
				fmt.Printf("%-9s %-60s %s\n", d.Status, d.Path, strings.TrimSpace(detail))
			}
			return nil
		},
	}
}

func watchCmd() *command {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	var lf libraryFlags
	lf.register(fs)
	rescan := fs.Duration("rescan", 2*time.Minute, "interval of the full rescan that catches missed changes")
	return &command{
		Name: "watch", Usage: "[--embed-model FILE]",
		Short: "stay in the foreground keeping watched folders indexed (add folders with \"carrel add --watch\")",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			l, err := openLibrary(ctx, lf.data, lf.embedModel)
			if err != nil {
				return err
			}
			defer l.Close()
			srcs, _ := l.idx.Sources(ctx)
			n := 0
			for _, s := range srcs {
				if s.Watch {
					n++
					fmt.Fprintf(os.Stderr, "watching %s\n", s.Path)
				}
			}
			if n == 0 {
				return fmt.Errorf("no folder is watched yet: add one with \"carrel add --watch FOLDER\"")
			}
			in := ingest.New(l.idx, l.parser, ingest.Options{Embedder: l.embedderOrNil(), Rescan: *rescan}, func(ev ingest.Event) {
				switch ev.Kind {
				case ingest.EventIndexed:
					fmt.Fprintf(os.Stderr, "%s indexed %s\n", time.Now().Format("15:04:05"), ev.Path)
				case ingest.EventRemoved:
					fmt.Fprintf(os.Stderr, "%s removed %s\n", time.Now().Format("15:04:05"), ev.Path)
				case ingest.EventFailed:
					fmt.Fprintf(os.Stderr, "%s could not index %s: %v\n", time.Now().Format("15:04:05"), ev.Path, ev.Err)
				}
			})
			go in.Run(ctx)
			err = in.Watch(ctx)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
}
