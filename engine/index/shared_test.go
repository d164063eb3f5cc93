package index

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/internal/pgtest"

	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// Two processes (two openings of one library) with several workers each
// claim a queue together: every document is claimed exactly once.
func TestClaimsAreExclusiveAcrossProcesses(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		a, b := open(""), open("")
		lib, err := a.Library(ctx, "Shared")
		if err != nil {
			t.Fatal(err)
		}
		const docs = 60
		for i := range docs {
			if _, _, err := a.Enqueue(ctx, lib.ID, fmt.Sprintf("/d/%03d.txt", i), 1, time.Unix(1, 0), nil); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		claimed := map[int64]string{}
		var wg sync.WaitGroup
		for w := range 8 {
			x := a
			if w%2 == 1 {
				x = b
			}
			owner := fmt.Sprintf("worker-%d", w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					d, ok, err := x.Claim(ctx, owner, time.Minute, nil)
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					if prev, dup := claimed[d.ID]; dup {
						t.Errorf("%s claimed %s, already claimed by %s", owner, d.Path, prev)
					}
					claimed[d.ID] = owner
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(claimed) != docs {
			t.Errorf("%d of %d documents claimed", len(claimed), docs)
		}
	})
}

// A claim whose owner stopped renewing it is taken over when its lease
// runs out; the old owner then learns it lost it.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		a, b := open(""), open("")
		lib, _ := a.Library(ctx, "L")
		if _, _, err := a.Enqueue(ctx, lib.ID, "/a.txt", 1, time.Unix(1, 0), nil); err != nil {
			t.Fatal(err)
		}
		d, ok, err := a.Claim(ctx, "killed", 50*time.Millisecond, nil)
		if err != nil || !ok {
			t.Fatalf("first claim: %v %v", ok, err)
		}
		if _, ok, _ := b.Claim(ctx, "survivor", time.Minute, nil); ok {
			t.Fatal("a live claim was taken")
		}
		time.Sleep(100 * time.Millisecond)
		got, ok, err := b.Claim(ctx, "survivor", time.Minute, nil)
		if err != nil || !ok || got.ID != d.ID {
			t.Fatalf("after the lease ran out: %v %v %v", got.ID, ok, err)
		}
		if renewed, _ := a.Renew(ctx, d.ID, "killed", time.Minute); renewed {
			t.Error("the old owner renewed a claim it lost")
		}
		if err := b.Replace(ctx, d.ID, Meta{Hash: "h", Owner: "survivor"}, []Chunk{{Text: "kept"}}, nil, ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := a.DocumentByID(ctx, d.ID); got.Status != status.Ready {
			t.Errorf("status %s", got.Status)
		}
	})
}

// Two copies of one content stored at once by two processes: one is the
// original and the other its duplicate, never two originals.
func TestCopiesStoredAtOnceAreOneOriginal(t *testing.T) {
	eachStore(t, func(t *testing.T, open func(model string) *Index) {
		ctx := context.Background()
		a, b := open(""), open("")
		lib, _ := a.Library(ctx, "L")
		for round := range 5 {
			var ids [2]int64
			for i := range ids {
				d, _, err := a.Enqueue(ctx, lib.ID, fmt.Sprintf("/%d/copy%d.txt", round, i), 1, time.Unix(1, 0), nil)
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = d.ID
			}
			var wg sync.WaitGroup
			for i, x := range []*Index{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := x.Replace(ctx, ids[i], Meta{Hash: fmt.Sprint("same-", round)}, []Chunk{{Text: "identical words"}}, nil, ""); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			originals := 0
			for _, id := range ids {
				d, _ := a.DocumentByID(ctx, id)
				if d.DuplicateOf == 0 {
					originals++
				}
			}
			if originals != 1 {
				t.Errorf("round %d: %d originals", round, originals)
			}
		}
	})
}

// Both stores rank the same passages alike: the same order and the same
// BM25 scores, CJK and stemmed words included.
func TestStoresRankAlike(t *testing.T) {
	ctx := context.Background()
	texts := []string{
		"The lighthouse keeper lit the lamps every evening.",
		"Keepers of lighthouses kept logs of passing ships.",
		"東京の図書館で静かに本を読む。",
		"図書館の本を返す。",
		"Ships passed the rocks at night; the keeper watched.",
		"An unrelated note about gardening and tomatoes.",
	}
	lite := openTest(t, t.TempDir(), "")
	pg, err := OpenServer(ctx, pgtest.Database(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, x := range []*Index{lite, pg} {
		lib, _ := x.Library(ctx, "L")
		addDoc(t, x, lib.ID, "/a.txt", "text", texts, nil)
		addDoc(t, x, lib.ID, "/b.txt", "text", texts[:3], nil)
	}
	for _, q := range []string{"keeper lighthouse", "ships", "図書館", "本を読む", "gardening keepers"} {
		a, _, err := lite.Lexical(ctx, q, Filter{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := pg.Lexical(ctx, q, Filter{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) == 0 || len(a) != len(b) {
			t.Errorf("%q: %d hits in SQLite, %d on the server", q, len(a), len(b))
			continue
		}
		for i := range a {
			// Chunk ids are the same: both stores number them alike.
			if a[i].ChunkID != b[i].ChunkID && math.Abs(a[i].Score-b[i].Score) > 1e-9 {
				t.Errorf("%q: hit %d is %d in SQLite, %d on the server", q, i, a[i].ChunkID, b[i].ChunkID)
			}
			if d := math.Abs(a[i].Score-b[i].Score) / a[i].Score; d > 1e-6 {
				t.Errorf("%q: hit %d scores %g in SQLite, %g on the server", q, i, a[i].Score, b[i].Score)
			}
		}
	}
}

// A change one process makes on the server reaches another's vector
// search, without polling, within seconds; and its OnChange hears of it.
func TestChangesReachOtherProcesses(t *testing.T) {
	for _, mode := range []string{"memory", "pgvector"} {
		t.Run(mode, func(t *testing.T) { changesReachOtherProcesses(t, serverURL(t, mode)) })
	}
}

func changesReachOtherProcesses(t *testing.T, url string) {
	ctx := context.Background()
	a, err := OpenServer(ctx, url, "m")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenServer(ctx, url, "m")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	heard := make(chan Change, 100)
	b.OnChange(func(c Change) { heard <- c })
	lib, _ := a.Library(ctx, "Team")
	d := addDoc(t, a, lib.ID, "/shared/report.txt", "text", []string{"north", "east"}, [][]float32{unit(1, 0), unit(0, 1)})
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		testwait.Until(t, what, ok)
	}
	waitFor("the other process finds the new passages by meaning", func() bool {
		hits, err := b.Vector(ctx, unit(1, 0), Filter{}, 5)
		return err == nil && len(hits) == 2
	})
	waitFor("the other process hears of the change", func() bool {
		for {
			select {
			case c := <-heard:
				if c.Document == d.ID && c.Passages {
					return true
				}
			default:
				return false
			}
		}
	})
	waitFor("the term statistics count the new passages", func() bool {
		_, n, _ := b.DocFreq(ctx, []string{"north"})
		return n == 2
	})
	if err := a.Remove(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	waitFor("the removed passages leave the other process's vectors", func() bool {
		hits, err := b.Vector(ctx, unit(1, 0), Filter{}, 5)
		return err == nil && len(hits) == 0
	})
}

// A server that cannot be reached is a clear error naming it, without
// the password.
func TestUnreachableServer(t *testing.T) {
	ctx, cancel := testwait.Context(t)
	defer cancel()
	_, err := OpenServer(ctx, "postgres://carrel:s3cret@127.0.0.1:1/lib?sslmode=disable&connect_timeout=5", "")
	if err == nil {
		t.Fatal("opened a server that is not there")
	}
	if !errors.Is(err, ErrServer) || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "127.0.0.1:1/lib") {
		t.Errorf("error: %v", err)
	}
	if _, err := OpenServer(ctx, "postgres://carrel:s3cret@[bad", ""); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad string: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://ann:pw@db.lab:5432/lib?sslmode=require", "postgres://ann:xxxxx@db.lab:5432/lib?sslmode=require"},
		{"postgres://ann@db.lab/lib?password=pw", "postgres://ann@db.lab/lib?password=xxxxx"},
		{"host=db.lab user=ann password=pw dbname=lib", "host=db.lab user=ann password=xxxxx dbname=lib"},
		{"postgres://db.lab/lib", "postgres://db.lab/lib"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A member's role may read and write the library's rows without owning
// its tables (the least privilege, once an owner's Carrel made them): it
// opens the library, adds, claims and searches.
func TestMemberRoleWithoutOwnership(t *testing.T) {
	for _, mode := range []string{"pgvector", "memory"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			owner := serverURL(t, mode)
			x, err := OpenServer(ctx, owner, "m")
			if err != nil {
				t.Fatal(err)
			}
			lib, _ := x.Library(ctx, "Team")
			addDoc(t, x, lib.ID, "/a.txt", "text", []string{"owner's note on kestrels"}, [][]float32{unit(1, 0)})
			role := fmt.Sprintf("member_%d", time.Now().UnixNano())
			for _, q := range []string{
				`CREATE ROLE ` + role + ` LOGIN`,
				`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ` + role,
				`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ` + role,
			} {
				if _, err := x.db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			x.Close()
			u, _ := url.Parse(owner)
			u.User = url.User(role)
			m, err := OpenServer(ctx, u.String(), "m")
			if err != nil {
				t.Fatalf("a member without ownership cannot open the library: %v", err)
			}
			defer m.Close()
			addDoc(t, m, lib.ID, "/b.txt", "text", []string{"member's note on kestrels"}, [][]float32{unit(0, 1)})
			if hits, _, err := m.Lexical(ctx, "kestrels", Filter{}, 5); err != nil || len(hits) != 2 {
				t.Errorf("lexical: %v %v", hits, err)
			}
			if hits, err := m.Vector(ctx, unit(0, 1), Filter{}, 5); err != nil || len(hits) != 2 {
				t.Errorf("vector: %v %v", hits, err)
			}
		})
	}
}

// A library made by the first server layout (postings without their
// passage's length) is upgraded in place when opened, and ranks as
// before.
func TestServerLayoutUpgrade(t *testing.T) {
	ctx := context.Background()
	url := serverURL(t, "memory")
	x, err := OpenServer(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	lib, _ := x.Library(ctx, "L")
	addDoc(t, x, lib.ID, "/a.txt", "text", []string{"kestrels hover over the dunes", "gulls follow the boats"}, nil)
	before, _, _ := x.Lexical(ctx, "kestrels dunes", Filter{}, 5)
	for _, q := range []string{
		`ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_pkey`,
		`ALTER TABLE chunk_terms DROP COLUMN len`,
		`ALTER TABLE chunk_terms ADD PRIMARY KEY (term, chunk_id)`,
		`UPDATE carrel_meta SET value = '2' WHERE key = 'schema'`,
	} {
		if _, err := x.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	x.Close()
	y, err := OpenServer(ctx, url, "")
	if err != nil {
		t.Fatalf("upgrading: %v", err)
	}
	defer y.Close()
	after, _, err := y.Lexical(ctx, "kestrels dunes", Filter{}, 5)
	if err != nil || len(after) != len(before) || len(after) == 0 || math.Abs(after[0].Score-before[0].Score) > 1e-9 {
		t.Errorf("before %v, after %v (%v)", before, after, err)
	}
}
