package federated

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNumbersStayWithTheirServers(t *testing.T) {
	dir := t.TempDir()
	nums, err := ReadNumbers(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		server string
		want   int
	}{{"postgres://a/x", 1}, {"postgres://b/y", 2}, {"postgres://a/x", 1}} {
		if n, err := nums.Number(c.server); err != nil || n != c.want {
			t.Fatalf("%s: %d %v, want %d", c.server, n, err, c.want)
		}
	}
	if err := nums.Save(dir); err != nil {
		t.Fatal(err)
	}
	// Server a is taken away: b keeps its number, and a new server takes
	// the free one, not b's.
	again, err := ReadNumbers(dir)
	if err != nil {
		t.Fatal(err)
	}
	delete(again.Numbers, "postgres://a/x")
	if n, _ := again.Number("postgres://b/y"); n != 2 {
		t.Errorf("b became %d", n)
	}
	if n, _ := again.Number("postgres://c/z"); n != 1 {
		t.Errorf("a new server got %d, want the free 1", n)
	}
	full := &Numbers{Numbers: map[string]int{}}
	for i := 1; i < MaxStores; i++ {
		if _, err := full.Number(strings.Repeat("s", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := full.Number("one too many"); err == nil {
		t.Error("a server beyond the last number was given one")
	}
	os.WriteFile(filepath.Join(dir, NumbersFile), []byte("{oops"), 0o600)
	if _, err := ReadNumbers(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a damaged file: %v", err)
	}
}
