package engine_test

import (
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/internal/pgtest"
	"github.com/carrel-ai/carrel/internal/testdocs"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// Two members share a library on PostgreSQL, each with a data folder of
// their own. What one adds, the other finds within seconds (without
// polling) and can open: the cited page is drawn from the server's copy
// of the file, which the other's computer does not have.
func TestTeamLibrary(t *testing.T) {
	ctx, cancel := testwait.Context(t)
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
			changed = ev.Kind == event.Changed && ev.Path == pdf && ev.Status == "ready"
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
	ctx, cancel := testwait.Context(t)
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
	u, _ := neturl.Parse(owner)
	u.User = neturl.User(role)
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

// A person keeps their own libraries on the laptop and one library on the
// team's server (Settings.LibraryServers). Each library's files go to its
// own store; searches over all libraries reach both and every hit's IDs
// lead back to its store, across a restart; a colleague who places the
// same library on the same server sees what was added; a server that is
// away leaves its library listed with the reason and the others working.
func TestLibraryOnItsOwnServer(t *testing.T) {
	ctx, cancel := testwait.Context(t)
	defer cancel()
	url := pgtest.Database(t)
	s := engine.DefaultSettings()
	s.EmbedModel = engine.NoEmbedModel
	s.LibraryServers = map[string]string{"Lab": url}
	data := t.TempDir()
	open := func(data string, s engine.Settings) *engine.Engine {
		t.Helper()
		e, err := engine.Open(ctx, engine.Options{DataDir: data, Settings: &s, NoWatch: true, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := open(data, s)
	defer func() { e.Close() }()
	if e.LibraryServer() != "" {
		t.Errorf("the data folder's libraries are said to be on %q", e.LibraryServer())
	}
	libs, err := e.Libraries(ctx)
	if err != nil || len(libs) != 1 || libs[0].Name != "Lab" || libs[0].Server == "" || libs[0].Away != "" {
		t.Fatalf("before anything is added, the server's library is listed: %+v %v", libs, err)
	}
	if strings.Contains(libs[0].Server, "secret") {
		t.Errorf("the listed server shows its password: %s", libs[0].Server)
	}
	addAndWait(t, e, "Mine", writeDocs(t))
	lab := t.TempDir()
	pdf := filepath.Join(lab, "minutes.pdf")
	os.WriteFile(pdf, testdocs.PDF("The committee approved the new heron survey for the spring."), 0o644)
	addAndWait(t, e, "Lab", lab)

	libs, err = e.Libraries(ctx)
	if err != nil || len(libs) != 2 {
		t.Fatalf("libraries: %+v %v", libs, err)
	}
	for _, l := range libs {
		switch {
		case l.Name == "Mine" && (l.Server != "" || l.Documents != 3):
			t.Errorf("the laptop's library: %+v", l)
		case l.Name == "Lab" && (l.Server == "" || l.Documents != 1):
			t.Errorf("the server's library: %+v", l)
		}
	}
	// The server holds the Lab library alone; the data folder holds Mine.
	member := open(t.TempDir(), func() engine.Settings { m := s; m.LibraryServers, m.LibraryServer = nil, url; return m }())
	onServer, err := member.Libraries(ctx)
	member.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(onServer) != 1 || onServer[0].Name != "Lab" || onServer[0].Documents != 1 {
		t.Errorf("the server holds %+v; want the Lab library alone", onServer)
	}
	if ds, err := e.Documents(ctx, ""); err != nil || len(ds) != 4 {
		t.Errorf("every library's documents: %d %v", len(ds), err)
	}

	// Placing a library that holds documents here on a server would hide
	// them: refused, with the reason.
	move := e.Settings()
	move.LibraryServers["Mine"] = url
	if _, err := e.SetSettings(ctx, move); err == nil || !strings.Contains(err.Error(), "3 documents") {
		t.Errorf("placing a library with documents on a server: %v", err)
	}
	if got := e.Settings().LibraryServers; len(got) != 1 {
		t.Errorf("the refused placement was saved: %v", got)
	}

	// One search over both stores.
	res, err := e.Search(ctx, "heron survey Eiffel tower", engine.SearchOptions{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]engine.Hit{}
	for _, h := range res.Hits {
		paths[filepath.Base(h.Path)] = h
	}
	heron, ok := paths["minutes.pdf"]
	if _, eiffel := paths["paris.txt"]; !ok || !eiffel {
		t.Fatalf("a search of all libraries found %v", res.Hits)
	}
	if only, err := e.Search(ctx, "heron survey", engine.SearchOptions{Library: "Mine"}); err != nil || len(only.Hits) != 0 && strings.HasSuffix(only.Hits[0].Path, "minutes.pdf") {
		t.Errorf("a search of the laptop's library reached the server's: %+v %v", only.Hits, err)
	}
	src := engine.Source{N: 1, Path: heron.Path, Page: heron.Page, DocID: heron.DocID, ChunkID: heron.ChunkID, Text: heron.Text, Place: heron.Place}
	check := func(e *engine.Engine, when string) {
		t.Helper()
		st, err := e.SourceText(ctx, src)
		if err != nil || !st.Exact || !strings.Contains(st.Text, "heron survey") {
			t.Errorf("%s: the server's source text: %+v %v", when, st, err)
		}
		if rp, err := e.RenderPage(ctx, src, 400); err != nil || len(rp.Marks) == 0 {
			t.Errorf("%s: the server's cited page: %v", when, err)
		}
		ps, err := e.Passages(ctx, heron.DocID)
		if err != nil || len(ps) == 0 || ps[0].DocID != heron.DocID || !strings.Contains(ps[0].Text, "heron") {
			t.Errorf("%s: the server's document's passages: %+v %v", when, ps, err)
		}
	}
	check(e, "open")
	a, err := e.Ask(ctx, "Who approved the heron survey?", engine.AskOptions{}, nil)
	if err != nil || len(a.Sources) == 0 || a.Sources[0].DocID != heron.DocID {
		t.Errorf("an answer's sources: %+v %v", a, err)
	}

	// Across a restart, with a second server added that sorts before it
	// (its user, "aaron", before "carrel"), the IDs
	// saved with answers still lead to the same rows.
	e.Close()
	away := s
	away.LibraryServers = map[string]string{"Lab": url, "Archive": "postgres://aaron:secret@127.0.0.1:1/none?connect_timeout=5"}
	e = open(data, away)
	check(e, "reopened")
	libs, err = e.Libraries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var gone *engine.Library
	for i := range libs {
		if libs[i].Name == "Archive" {
			gone = &libs[i]
		}
	}
	if gone == nil || gone.Away == "" || strings.Contains(gone.Server+gone.Away, "secret") {
		t.Errorf("the library whose server is away: %+v", gone)
	}
	if _, err := e.Add(ctx, "Archive", false, lab); !errors.Is(err, engine.ErrLibraryAway) {
		t.Errorf("adding to a library whose server is away: %v", err)
	}
	if res, err := e.Search(ctx, "Colosseum", engine.SearchOptions{}); err != nil || len(res.Hits) == 0 {
		t.Errorf("with a server away, the other libraries' search: %v", err)
	}

	// A colleague who places Lab on the same server searches what was
	// added here.
	col := open(t.TempDir(), s)
	defer col.Close()
	if res, err := col.Search(ctx, "heron survey", engine.SearchOptions{Library: "Lab"}); err != nil || len(res.Hits) == 0 {
		t.Errorf("the colleague's search of Lab: %+v %v", res, err)
	}

	// The server's library goes away while Carrel is open: a search that
	// needs it says which library's server failed; the laptop's library
	// is still searched.
	col.Close()
	u, _ := neturl.Parse(url)
	db := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	c, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `DROP DATABASE "`+db+`" WITH (FORCE)`); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	if _, err := e.Search(ctx, "heron survey", engine.SearchOptions{}); !errors.Is(err, engine.ErrLibraryAway) || !strings.Contains(err.Error(), `"Lab"`) {
		t.Errorf("a search needing a server gone away: %v", err)
	}
	if res, err := e.Search(ctx, "Colosseum", engine.SearchOptions{Library: "Mine"}); err != nil || len(res.Hits) == 0 {
		t.Errorf("the laptop's library with the server gone: %+v %v", res, err)
	}
	libs, err = e.Libraries(ctx)
	if err != nil {
		t.Fatalf("listing libraries with a server gone: %v", err)
	}
	for _, l := range libs {
		if (l.Name == "Mine") != (l.Away == "") {
			t.Errorf("with Lab's server gone: %+v", l)
		}
	}
}

// A library on a server of its own is searched with its own embedding
// model (here a model server's) while the laptop's libraries keep theirs
// (here words only): its passages are embedded by that model alone, one
// search reaches both, each by its own means, and a search by meaning
// finds the server's library only.
func TestLibraryWithItsOwnEmbeddingModel(t *testing.T) {
	ctx, cancel := testwait.Context(t)
	defer cancel()
	var calls atomic.Int64
	srv := embedServer(t, &calls)
	url := pgtest.Database(t)
	s := engine.DefaultSettings()
	s.EmbedModel = engine.NoEmbedModel
	s.LibraryServers = map[string]string{"Lab": url}
	s.LibraryEmbedModels = map[string]engine.EmbedChoice{"Lab": {Model: srv.URL + "/v1", ServerModel: "hash-64"}}
	e, err := engine.Open(ctx, engine.Options{DataDir: t.TempDir(), Settings: &s, NoWatch: true, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	addAndWait(t, e, "Mine", writeDocs(t))
	if calls.Load() != 0 {
		t.Fatal("the laptop's library was embedded by the Lab's model")
	}
	lab := t.TempDir()
	os.WriteFile(filepath.Join(lab, "survey.txt"), []byte("The heron survey counted forty nests along the river this spring."), 0o644)
	addAndWait(t, e, "Lab", lab)
	if calls.Load() == 0 {
		t.Fatal("the Lab's passages were not embedded by its model")
	}
	ds, err := e.Documents(ctx, "")
	if err != nil || len(ds) != 4 {
		t.Fatalf("documents: %d %v", len(ds), err)
	}
	for _, d := range ds {
		if onLab := strings.HasSuffix(d.Path, "survey.txt"); onLab != strings.Contains(d.Model, "hash-64") {
			t.Errorf("%s has vectors of %q", filepath.Base(d.Path), d.Model)
		}
	}
	libs, err := e.Libraries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		switch {
		case l.Name == "Lab" && (l.Search == nil || !l.Search.Meaning || !strings.Contains(l.Search.Name, "hash-64")):
			t.Errorf("the Lab's search method: %+v", l.Search)
		case l.Name == "Mine" && l.Search != nil:
			t.Errorf("the laptop's library has a method of its own: %+v", l.Search)
		}
	}

	res, err := e.Search(ctx, "heron survey Colosseum spectators", engine.SearchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var heron, rome *engine.Hit
	for i, h := range res.Hits {
		switch filepath.Base(h.Path) {
		case "survey.txt":
			heron = &res.Hits[i]
		case "rome.html":
			rome = &res.Hits[i]
		}
	}
	if heron == nil || rome == nil {
		t.Fatalf("one search over both: %+v", res.Hits)
	}
	if heron.Scores.VectorRank == 0 || rome.Scores.VectorRank != 0 {
		t.Errorf("the Lab's passage by meaning %d, the laptop's %d", heron.Scores.VectorRank, rome.Scores.VectorRank)
	}
	vec, err := e.Search(ctx, "heron nests river", engine.SearchOptions{Mode: engine.SearchVector})
	if err != nil || len(vec.Hits) == 0 {
		t.Fatalf("a search by meaning: %+v %v", vec, err)
	}
	for _, h := range vec.Hits {
		if !strings.HasSuffix(h.Path, "survey.txt") {
			t.Errorf("a search by meaning found %s, of a library searched by words only", h.Path)
		}
	}

	bad := e.Settings()
	bad.LibraryEmbedModels["Mine"] = engine.EmbedChoice{Model: engine.NoEmbedModel}
	if _, err := e.SetSettings(ctx, bad); err == nil || !strings.Contains(err.Error(), "placed on a server") {
		t.Errorf("a library of this computer given its own embedding model: %v", err)
	}

	// A model that cannot be loaded leaves the library away, saying why;
	// the laptop's library works.
	missing := s
	missing.LibraryEmbedModels = map[string]engine.EmbedChoice{"Lab": {Model: filepath.Join(t.TempDir(), "gone.gguf")}}
	m, err := engine.Open(ctx, engine.Options{DataDir: t.TempDir(), Settings: &missing, NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	libs, err = m.Libraries(ctx)
	if err != nil || len(libs) != 1 || libs[0].Name != "Lab" || !strings.Contains(libs[0].Away, "embedding model could not be loaded") {
		t.Errorf("with the Lab's model missing: %+v %v", libs, err)
	}
}
