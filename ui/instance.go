package ui

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// One window per data folder. A second start (a file opened from the file
// manager, `carrel FILE…` typed while the window is open) hands its files
// to the window already open, which adds them and comes to the front, and
// ends; two windows on one library would each show half of what happens.
// The window listens on a Unix socket in the data folder (private to its
// owner; Go speaks AF_UNIX on Windows 10 and later too).

// handoff is what a second start sends the open window.
type handoff struct {
	Open []string `json:"open"`
}

// socketPath is where the window of dataDir listens. Socket paths are
// short (about 100 bytes): a deep data folder uses one in the temporary
// folder, named by a hash of the data folder.
func socketPath(dataDir string) string {
	p := filepath.Join(dataDir, "window.sock")
	if len(p) < 100 {
		return p
	}
	sum := sha256.Sum256([]byte(dataDir))
	return filepath.Join(os.TempDir(), "carrel-"+hex.EncodeToString(sum[:8])+".sock")
}

// handOff gives files to a window open on dataDir; ok reports whether one
// took them (and came to the front). No window, or one that does not
// answer, is not an error: this start opens the window itself.
func handOff(dataDir string, files []string) (ok bool) {
	conn, err := net.DialTimeout("unix", socketPath(dataDir), time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	abs := make([]string, 0, len(files))
	for _, f := range files {
		if a, err := filepath.Abs(f); err == nil {
			abs = append(abs, a)
		}
	}
	if err := json.NewEncoder(conn).Encode(handoff{Open: abs}); err != nil {
		return false
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && reply == "ok\n"
}

// listenForHandoffs takes files from later starts and adds them, raising
// the window; it returns what stops listening. A socket left by a window
// that crashed is replaced.
func (g *gui) listenForHandoffs(dataDir string) (stop func(), err error) {
	path := socketPath(dataDir)
	ln, err := net.Listen("unix", path)
	if err != nil {
		// A stale socket (no one answers on it): take its place.
		if c, derr := net.DialTimeout("unix", path, time.Second); derr == nil {
			c.Close()
			return nil, fmt.Errorf("ui: another window is open on %s", dataDir)
		}
		os.Remove(path)
		if ln, err = net.Listen("unix", path); err != nil {
			return nil, fmt.Errorf("ui: listening for other starts: %w", err)
		}
	}
	os.Chmod(path, 0o600)
	go func() {
		for {
			conn, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			go g.serveHandoff(conn)
		}
	}()
	return func() { ln.Close(); os.Remove(path) }, nil
}

func (g *gui) serveHandoff(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(conn, 1<<20)).ReadBytes('\n')
	var h handoff
	if err != nil || json.Unmarshal(line, &h) != nil {
		return
	}
	g.do(func() {
		if len(h.Open) > 0 {
			g.openFiles(h.Open)
		}
		g.win.RequestFocus()
		g.win.Show()
	})
	conn.Write([]byte("ok\n"))
}
