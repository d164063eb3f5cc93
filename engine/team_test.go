package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/internal/pgtest"
	"github.com/carrel-ai/carrel/internal/testdocs"
)

// Two members share a library on PostgreSQL, each with a data folder of
// their own. What one adds, the other finds within seconds (without
// polling) and can open: the cited page is drawn from the server's copy
// of the file, which the other's computer does not have.
func TestTeamLibrary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := pgtest.Database(t)
	s := engine.DefaultSettings()
	s.EmbedModel = engine.NoEmbedModel
	open := func() *engine.Engine {
		e, err := engine.Open(ctx, engine.Options{DataDir: t.TempDir(), Settings: &s, LibraryServer: url, NoWatch: true, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	ann, bob := open(), open()
	if bob.LibraryServer() == "" {
		t.Error("the engine does not say its libraries are on a server")
	}
	events, stop := bob.Subscribe()
	defer stop()

	dir := t.TempDir()
	pdf := filepath.Join(dir, "minutes.pdf")
	os.WriteFile(pdf, testdocs.PDF("The committee approved the new heron survey for the spring."), 0o644)
	addAndWait(t, ann, "Lab", dir)
	// The file leaves Ann's disk too: it is now only on the server (and
	// Bob never had it).
	os.Remove(pdf)

	var changed bool
	for !changed {
		select {
		case ev := <-events:
			changed = ev.Kind == engine.EventChanged && ev.Path == pdf && ev.Status == "ready"
		case <-ctx.Done():
			t.Fatal("Bob never heard of Ann's document")
		}
	}
	res, err := bob.Search(ctx, "heron survey", engine.SearchOptions{Library: "Lab"})
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("Bob's search: %v %+v", err, res)
	}
	h := res.Hits[0]
	src := engine.Source{N: 1, Path: h.Path, Page: h.Page, DocID: h.DocID, ChunkID: h.ChunkID, Text: h.Text, Place: h.Place}
	rp, err := bob.RenderPage(ctx, src, 600)
	if err != nil {
		t.Fatalf("Bob cannot open the cited page: %v", err)
	}
	if rp.Image.Bounds().Dx() != 600 || len(rp.Marks) == 0 {
		t.Errorf("page %v with %d marks", rp.Image.Bounds(), len(rp.Marks))
	}
	// Bob's queue does not treat Ann's file, missing here, as deleted.
	if err := bob.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := bob.Documents(ctx, "Lab")
	if err != nil || len(ds) != 1 || ds[0].Status != "ready" {
		t.Errorf("Bob's view of the library: %+v %v", ds, err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// A member whose role may only read searches and opens the team library;
// adding is refused with the server's reason, and nothing breaks.
func TestReadOnlyMember(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	owner := pgtest.Database(t)
	s := engine.DefaultSettings()
	s.EmbedModel = engine.NoEmbedModel
	e, err := engine.Open(ctx, engine.Options{DataDir: t.TempDir(), Settings: &s, LibraryServer: owner, NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	addAndWait(t, e, "Lab", writeDocs(t))
	e.Close()
	role := fmt.Sprintf("reader_%d", time.Now().UnixNano())
	c, err := pgx.Connect(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`CREATE ROLE ` + role + ` LOGIN`, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ` + role} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	c.Close(ctx)
	u, _ := url.Parse(owner)
	u.User = url.User(role)
	r, err := engine.Open(ctx, engine.Options{DataDir: t.TempDir(), Settings: &s, LibraryServer: u.String(), NoWatch: true})
	if err != nil {
		t.Fatalf("a reader cannot open the library: %v", err)
	}
	defer r.Close()
	res, err := r.Search(ctx, "Eiffel tower", engine.SearchOptions{Library: "Lab"})
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("a reader's search: %v %+v", err, res)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "new.txt"), []byte("A new note about herons."), 0o644)
	if _, err := r.Add(ctx, "Lab", false, dir); !errors.Is(err, engine.ErrReadOnly) || !strings.Contains(engine.Describe(err), "search it but not change it") {
		t.Errorf("a reader's addition: %v", err)
	}
	if _, err := r.Remove(ctx, "Lab", filepath.Join(dir, "new.txt")); err != nil && !errors.Is(err, engine.ErrReadOnly) {
		t.Errorf("a reader's removal: %v", err)
	}
	if _, err := r.Search(ctx, "Colosseum", engine.SearchOptions{Library: "Lab"}); err != nil {
		t.Errorf("search after the refused addition: %v", err)
	}
}
