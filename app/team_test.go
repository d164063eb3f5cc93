package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/carrel-ai/carrel/internal/pgtest"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// teamRow is what "carrel list --json" says of a document.
type teamRow struct {
	Path   string
	Status string
	Chunks int
	Dup    int64 `json:"duplicate_of"`
}

// teamList lists a team library as one member sees it, sorted by path.
func teamList(t *testing.T, url string) []teamRow {
	t.Helper()
	cmd := cliProcess(t, "list", "--data", t.TempDir(), "--json")
	cmd.Env = append(cmd.Env, libraryServerEnv+"="+url)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var rows []teamRow
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Path < rows[j].Path })
	return rows
}

// teamAdd is one member's "carrel add" of src into the team library at
// url, each member with a data folder of its own (its own computer).
func teamAdd(t *testing.T, url, src string, out *strings.Builder) *exec.Cmd {
	cmd := cliProcess(t, "add", "--data", t.TempDir(), "--json", src)
	cmd.Env = append(cmd.Env, libraryServerEnv+"="+url)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// Two Carrel processes index one folder into one PostgreSQL library at
// once, and the library equals what one process alone makes: every
// document once, with the same passages. Then again with one of the two
// killed (SIGKILL) midway, and a third started in its place, as a member
// whose computer crashed starts Carrel again: nothing is lost or doubled.
func TestTwoProcessesShareAPostgresLibrary(t *testing.T) {
	src := t.TempDir()
	const files = 240
	for i := range files {
		text := fmt.Sprintf("# Note %d\n\nThe heron number %d stood in the reeds by the weir.\n\n", i, i)
		// A few copies of one content: duplicates must stay duplicates.
		if i%40 == 0 {
			text = "# Copy\n\nThe same words in several files.\n"
		}
		os.WriteFile(filepath.Join(src, fmt.Sprintf("n%03d.md", i)), []byte(text+strings.Repeat("More words about the river and its birds. ", 40)), 0o600)
	}

	single := pgtest.Database(t)
	var out strings.Builder
	if err := teamAdd(t, single, src, &out).Wait(); err != nil {
		t.Fatalf("one process: %v\n%s", err, out.String())
	}
	want := teamList(t, single)
	if len(want) != files {
		t.Fatalf("one process indexed %d of %d files", len(want), files)
	}
	same := func(what string, got []teamRow) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d documents, one process made %d", what, len(got), len(want))
		}
		dups, wantDups := 0, 0
		for i := range got {
			g, w := got[i], want[i]
			if g.Path != w.Path || g.Status != w.Status || g.Chunks != w.Chunks {
				t.Errorf("%s: %+v, one process made %+v", what, g, w)
			}
			if g.Dup != 0 {
				dups++
			}
			if w.Dup != 0 {
				wantDups++
			}
		}
		if dups != wantDups {
			t.Errorf("%s: %d duplicates, one process found %d", what, dups, wantDups)
		}
	}

	t.Run("together", func(t *testing.T) {
		url := pgtest.Database(t)
		var outA, outB strings.Builder
		a, b := teamAdd(t, url, src, &outA), teamAdd(t, url, src, &outB)
		errA, errB := a.Wait(), b.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("%v %v\n%s\n%s", errA, errB, outA.String(), outB.String())
		}
		same("two processes", teamList(t, url))
		passagesOnce(t, url)
	})

	t.Run("one killed", func(t *testing.T) {
		url := pgtest.Database(t)
		var outA, outB, outC strings.Builder
		a, b := teamAdd(t, url, src, &outA), teamAdd(t, url, src, &outB)
		// Kill the first once some documents are in, mid-way.
		ctx, cancel := testwait.Context(t)
		defer cancel()
		db, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close(ctx)
		for {
			var n int
			db.QueryRow(ctx, `SELECT COUNT(*) FROM documents WHERE status = 'ready'`).Scan(&n)
			if n >= files/6 {
				break
			}
			if ctx.Err() != nil {
				t.Fatal("no progress within a minute")
			}
			time.Sleep(20 * time.Millisecond)
		}
		a.Process.Signal(syscall.SIGKILL)
		a.Wait()
		c := teamAdd(t, url, src, &outC)
		errB, errC := b.Wait(), c.Wait()
		if errB != nil || errC != nil {
			t.Fatalf("%v %v\n%s\n%s", errB, errC, outB.String(), outC.String())
		}
		same("with a process killed", teamList(t, url))
		passagesOnce(t, url)
	})
}

// passagesOnce checks that the library holds each document's passages
// once: as many passages as the documents say, no document's ord twice.
func passagesOnce(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	var stored, said, doubled int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM chunks`).Scan(&stored)
	db.QueryRow(ctx, `SELECT COALESCE(SUM(chunks), 0) FROM documents`).Scan(&said)
	db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT doc_id, ord FROM chunks GROUP BY doc_id, ord HAVING COUNT(*) > 1) x`).Scan(&doubled)
	if stored != said || doubled != 0 {
		t.Errorf("%d passages stored, documents count %d, %d stored twice", stored, said, doubled)
	}
}

// A team library's server that is not there is a message that says what
// to check, and never shows the password.
func TestTeamServerUnreachable(t *testing.T) {
	cmd := cliProcess(t, "search", "--data", t.TempDir(), "heron")
	cmd.Env = append(cmd.Env, libraryServerEnv+"=postgres://ann:s3cret@127.0.0.1:1/lib?sslmode=disable&connect_timeout=5")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("search succeeded without its server")
	}
	if !strings.Contains(string(out), "check the team library's address") || strings.Contains(string(out), "s3cret") {
		t.Errorf("output:\n%s", out)
	}
}
