package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/status"
)

// Every door into a library answers the same way: "carrel add", "carrel
// search", "carrel ask" and the engine facade (which the window uses) all
// take the embedding model and the passage size from the saved settings.
func TestOneWiringAcrossDoors(t *testing.T) {
	needLlama(t)
	data, src := t.TempDir(), t.TempDir()
	topics := []string{"lighthouses and their keepers", "the migration of eels", "bread made with a sourdough starter"}
	for i, topic := range topics {
		var b strings.Builder
		for s := 0; s < 12; s++ {
			fmt.Fprintf(&b, "Sentence %d of this note is about %s, and it says a little more each time. ", s, topic)
		}
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("note%d.txt", i)), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The settings name a (synthetic) embedding model and small passages.
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{DataDir: data, NoIndexing: true, NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	s := e.Settings()
	s.EmbedModel, s.ChunkTokens = tinyModel(t), 60
	if _, err := e.SetSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	e.Close()

	if code, _, stderr := runCLI(t, "add", "--data", data, "--json", src); code != 0 {
		t.Fatalf("add: exit %d: %s", code, stderr)
	}
	const query = "sourdough starter"
	code, out, stderr := runCLI(t, "search", "--data", data, "--json", "-k", "5", query)
	if code != 0 {
		t.Fatalf("search: exit %d: %s", code, stderr)
	}
	var cli struct {
		Mode string
		Hits []struct {
			Path, Text string
			Scores     engine.Scores
		}
	}
	if err := json.Unmarshal([]byte(out), &cli); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCLI(t, "ask", "--data", data, "--json", query)
	if code != 0 {
		t.Fatalf("ask: exit %d: %s", code, stderr)
	}
	var ask struct {
		Outcome string
		Sources []struct{ Path, Text string }
		Related []struct{ Path, Text string }
	}
	if err := json.Unmarshal([]byte(out), &ask); err != nil {
		t.Fatal(err)
	}

	e, err = engine.Open(ctx, engine.Options{DataDir: data, NoWatch: true, NoChatModel: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ds, err := e.Documents(ctx, "")
	if err != nil || len(ds) != len(topics) {
		t.Fatalf("documents %v %v", ds, err)
	}
	for _, d := range ds {
		// Each note is about 250 tokens: 60-token passages cut it in
		// several, the default 400 would not.
		if d.Status != status.Ready || !strings.HasPrefix(d.Model, "tiny.gguf@") || d.Chunks < 4 {
			t.Errorf("%s: %s, model %q, %d passages: the CLI did not index with the settings", d.Path, d.Status, d.Model, d.Chunks)
		}
	}
	res, err := e.Search(ctx, query, engine.SearchOptions{K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Mode) != cli.Mode || cli.Mode != "hybrid" || len(res.Hits) != len(cli.Hits) {
		t.Fatalf("facade: %s, %d hits; CLI: %s, %d hits", res.Mode, len(res.Hits), cli.Mode, len(cli.Hits))
	}
	for i, h := range res.Hits {
		c := cli.Hits[i]
		if h.Path != c.Path || h.Text != c.Text || h.Scores != c.Scores {
			t.Errorf("hit %d: facade %s %+v, CLI %s %+v", i, filepath.Base(h.Path), h.Scores, filepath.Base(c.Path), c.Scores)
		}
		if h.Scores.VectorRank == 0 && h.Scores.LexicalRank == 0 {
			t.Errorf("hit %d has no score", i)
		}
	}
	a, err := e.Ask(ctx, query, engine.AskOptions{NoSave: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := append(ask.Sources, ask.Related...)
	want := append(a.Sources, a.Related...)
	if string(a.Outcome) != ask.Outcome || len(got) != len(want) || len(want) == 0 {
		t.Fatalf("ask: facade %s with %d passages, CLI %s with %d", a.Outcome, len(want), ask.Outcome, len(got))
	}
	for i := range want {
		if got[i].Path != want[i].Path || got[i].Text != want[i].Text {
			t.Errorf("ask passage %d: facade %s, CLI %s", i, filepath.Base(want[i].Path), filepath.Base(got[i].Path))
		}
	}
}
