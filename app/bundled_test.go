package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// installed lays out an installation as `make build` does: this test
// binary as bin/carrel, and the bundled embedding model in bin/models.
// It returns a function that runs the installed carrel.
func installed(t *testing.T) func(args ...string) (string, string, error) {
	t.Helper()
	needLlama(t)
	model := sharedtest.Path(t, "models/"+models.BundledFile)
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(filepath.Join(bin, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(model, filepath.Join(bin, "models", models.BundledFile)); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(bin, "carrel")
	copyFile(t, os.Args[0], exe, 0o755)
	return func(args ...string) (string, string, error) {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), "CARREL_TEST_CLI="+strings.Join(args, "\n"))
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// On a new data folder, with no setting and nothing downloaded, an
// installed carrel indexes with the bundled model and searches by words
// and meaning: a question sharing no word with a note finds it.
func TestBundledModelOutOfTheBox(t *testing.T) {
	carrel := installed(t)
	data, docs := t.TempDir(), t.TempDir()
	for name, text := range map[string]string{
		"car.txt":   "The automobile's motor would not turn over on that freezing January morning.",
		"bread.md":  "# Sourdough\n\nSourdough bread needs a starter made of flour and water, fed every day.",
		"tower.txt": "The Eiffel Tower stands in Paris; it was completed in 1889 for the World's Fair.",
	} {
		if err := os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, stderr, err := carrel("info", "--json", "--data", data)
	if err != nil {
		t.Fatalf("info: %v\n%s", err, stderr)
	}
	var info struct{ Search engine.SearchMethod }
	if err := json.Unmarshal([]byte(out), &info); err != nil || !info.Search.Meaning || !info.Search.Bundled {
		t.Fatalf("info says search %+v (%v)", info.Search, err)
	}
	if _, stderr, err := carrel("add", "--data", data, "--json", docs); err != nil {
		t.Fatalf("add: %v\n%s", err, stderr)
	}
	out, stderr, err = carrel("search", "--data", data, "--json", "car engine trouble in cold weather")
	if err != nil {
		t.Fatalf("search: %v\n%s", err, stderr)
	}
	var res struct {
		Mode   string
		Search engine.SearchMethod
		Hits   []struct {
			Path   string
			Scores engine.Scores
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.Mode != "hybrid" || !res.Search.Bundled || len(res.Hits) == 0 {
		t.Fatalf("search: mode %q, method %+v, %d hits", res.Mode, res.Search, len(res.Hits))
	}
	top := res.Hits[0]
	if filepath.Base(top.Path) != "car.txt" || top.Scores.Vector <= 0 || top.Scores.VectorRank != 1 {
		t.Errorf("first hit %s with scores %+v; want car.txt by its vector score", filepath.Base(top.Path), top.Scores)
	}
	// "none" turns meaning off and says so.
	if out, stderr, err := carrel("models", "use", "none", "--embed", "--data", data); err != nil || !strings.Contains(out, "words only") {
		t.Errorf("models use none: %v\n%s%s", err, out, stderr)
	}
	out, _, _ = carrel("search", "--data", data, "--json", "car engine trouble in cold weather")
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Mode != "lexical" || res.Search.Meaning {
		t.Errorf("after turning meaning off: mode %q, method %+v, %v", res.Mode, res.Search, err)
	}
}
