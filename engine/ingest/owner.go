package ingest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// lease is how long a claim on a document holds without renewal; the
// worker renews it every lease/3 while it works, so a document is taken
// over by another process at most this long after its owner died (at once
// when the owner ran on this machine and is known to be gone).
const lease = time.Minute

// sharedFileLimit is the largest file a team library keeps a copy of on
// its server (larger ones open only where their file is).
const sharedFileLimit = 256 << 20

// newOwner names an ingester for its claims: this machine, this process
// and a random part (two ingesters of one process are two owners).
func newOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("%s|%d|%s", host, os.Getpid(), hex.EncodeToString(b))
}

// ownerGone reports whether owner is a process of this machine that no
// longer runs: its claims can be taken at once rather than when they
// expire.
func ownerGone(owner string) bool {
	parts := strings.Split(owner, "|")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[1])
	if parts[0] != host || err != nil || pid <= 0 {
		return false
	}
	return !processAlive(pid)
}
