// Package pgtest starts a throwaway PostgreSQL server for tests of the
// PostgreSQL library store: a new cluster in a temporary folder, listening
// on loopback only, owned by the test process (or, when tests run as root,
// which PostgreSQL refuses, by the unprivileged "postgres" user). Each test
// gets a database of its own on the one server of its test binary.
//
// Where no server binaries are installed, tests skip with a clear message,
// unless $CARREL_TEST_POSTGRES is "require" (as `make test` sets it, after
// installing them): then they fail. $CARREL_TEST_POSTGRES may instead hold
// the URL of a server to use (its user must be allowed to create
// databases).
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable that requires PostgreSQL ("require") or names a
// server to use (a postgres:// URL).
const Env = "CARREL_TEST_POSTGRES"

// Server is a running PostgreSQL server for tests.
type Server struct {
	url  string // of its maintenance database
	cmd  *exec.Cmd
	dir  string
	dbs  atomic.Int64
	done chan struct{}
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Database returns the URL of a new, empty database on the test binary's
// server, starting the server at first use. It skips the test when
// PostgreSQL is not installed (fails when $CARREL_TEST_POSTGRES requires
// it). Call Stop from TestMain when the tests are done.
func Database(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = start() })
	if shared.err != nil {
		if errors.Is(shared.err, errNotInstalled) && os.Getenv(Env) != "require" {
			t.Skipf("PostgreSQL tests skipped: %v (install postgresql-15, or run make test)", shared.err)
		}
		t.Fatalf("starting PostgreSQL: %v", shared.err)
	}
	u, err := shared.srv.newDatabase()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Stop stops the test binary's server, if one was started, and removes its
// files.
func Stop() {
	if shared.srv != nil {
		shared.srv.stop()
	}
}

// runAs is the user the server programs run as, when not this process's.
type runAs struct{ uid, gid uint32 }

var errNotInstalled = errors.New("the PostgreSQL server programs (initdb, postgres) are not installed")

// binDir finds the newest installed server's programs.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errNotInstalled
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func start() (*Server, error) {
	if u := os.Getenv(Env); strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		return &Server{url: u}, nil
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	// Run as root, the server runs as another user, who must reach its
	// folder: /tmp, not a $TMPDIR that may sit inside root's home.
	base := ""
	if os.Geteuid() == 0 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "carrel-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, done: make(chan struct{})}
	data := filepath.Join(dir, "data")
	// PostgreSQL will not run as root: then the cluster belongs to the
	// unprivileged postgres user that Debian's package creates.
	var cred *runAs
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &runAs{uid: uint32(uid), gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "carrel", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = procAttr(cred)
	initdb.Dir = dir // the server's user may not enter the test's folder
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Durability settings off: a test cluster is thrown away, and the
	// tests are about behaviour, not about surviving power loss.
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200")
	s.cmd.SysProcAttr = procAttr(cred)
	s.cmd.Dir = dir
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err == nil {
		s.cmd.Stdout, s.cmd.Stderr = logf, logf
		defer logf.Close()
	}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	s.url = fmt.Sprintf("postgres://carrel@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, s.url)
		cancel()
		if err == nil {
			c.Close(context.Background())
			return s, nil
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("the server stopped at start: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("the server did not accept connections within 30 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) newDatabase() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	name := fmt.Sprintf("carrel_test_%d_%d", os.Getpid(), s.dbs.Add(1))
	if _, err := c.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		return "", fmt.Errorf("creating a test database: %w", err)
	}
	u, err := url.Parse(s.url)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func (s *Server) stop() {
	if s.cmd == nil {
		return
	}
	// SIGINT is PostgreSQL's fast shutdown.
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// PgvectorEnv names the variable that requires pgvector ("require", as
// `make test` sets it when it could build pgvector from the shared
// source); without it, tests that need pgvector skip when it is missing.
const PgvectorEnv = "CARREL_TEST_PGVECTOR"

// NeedPgvector skips (or, when $CARREL_TEST_PGVECTOR requires it, fails)
// the test unless the server of the database at url can load pgvector.
func NeedPgvector(t testing.TB, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var ok bool
	if err := c.QueryRow(ctx, `SELECT EXISTS(SELECT 1 FROM pg_available_extensions WHERE name = 'vector')`).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	if ok {
		return
	}
	if os.Getenv(PgvectorEnv) == "require" {
		t.Fatal("pgvector is not installed on the test server (packaging/pgvector.sh builds it)")
	}
	t.Skip("pgvector is not installed on this machine's PostgreSQL: packaging/pgvector.sh builds it from ../shared/pgvector")
}
