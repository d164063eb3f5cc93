package api_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/api"
	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// TestMain serves MCP over stdio when a client starts the test binary as
// "carrel mcp" (CARREL_TEST_MCP_STDIO names the data folder).
func TestMain(m *testing.M) {
	if dir := os.Getenv("CARREL_TEST_MCP_STDIO"); dir != "" {
		ctx := context.Background()
		e, err := engine.Open(ctx, engine.Options{DataDir: dir, NoWatch: true, NoIndexing: true})
		if err != nil {
			os.Exit(3)
		}
		err = api.ServeStdio(ctx, e, "", "test")
		e.Close()
		if err != nil {
			os.Exit(4)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The official clients, as other programs would use Carrel: the openai
// npm package and the MCP TypeScript SDK, installed with npm into the
// test's own folder (skipped, saying why, without Node.js or the npm
// registry).
func TestOfficialClients(t *testing.T) {
	node, err := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	if err != nil || err2 != nil {
		t.Skip("skipping: Node.js and npm are not installed")
	}
	e := library(t)
	srv, base := serve(t, e, api.Options{})
	mods := t.TempDir()
	ctx, cancel := testwait.Context(t)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", mods, "openai@6", "@modelcontextprotocol/sdk@1")
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("skipping: npm could not install the clients (is the npm registry reachable?): %v\n%s", err, out)
	}
	script := filepath.Join(mods, "clients.mjs")
	b, err := os.ReadFile("testdata/clients.mjs")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(script, b, 0o600)
	run := exec.CommandContext(ctx, node, script)
	run.Dir = mods
	run.Env = append(os.Environ(), "CARREL_URL="+base, "CARREL_TOKEN="+srv.Token(), "CARREL_DATA="+e.DataDir(), "CARREL_STDIO_COMMAND="+os.Args[0])
	out, err := run.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("the clients failed: %v\n%s\n%s", err, out, stderr)
	}
	var got struct {
		Models []string
		Whole  struct {
			Content, Finish string
			Sources         []string
		}
		Stream struct {
			Chunks int
			Text   string
			Finish string
		}
		Embedding  int
		WrongToken any
		MCPHTTP    struct {
			Tools   []string
			First   string
			IsError bool
		} `json:"mcpHTTP"`
		MCPStdio struct {
			Tools   []string
			First   string
			IsError bool
		} `json:"mcpStdio"`
	}
	if err := json.Unmarshal(out[strings.LastIndexByte(strings.TrimSpace(string(out)), '\n')+1:], &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Logf("%s", out)
	if !strings.Contains(strings.Join(got.Models, ","), "carrel/My Library") {
		t.Errorf("models %v", got.Models)
	}
	if got.Whole.Finish == "" || len(got.Whole.Sources) == 0 || !strings.HasSuffix(got.Whole.Sources[0], "tower.md") {
		t.Errorf("the library's answer: %+v", got.Whole)
	}
	if got.Stream.Chunks < 3 || got.Stream.Finish == "" {
		t.Errorf("streamed chat: %+v", got.Stream)
	}
	if vs, _, err := e.Embed(ctx, []string{"x"}); err != nil || got.Embedding != len(vs[0]) {
		t.Errorf("the client's embedding has %d dimensions, the model's %d (%v)", got.Embedding, len(vs[0]), err)
	}
	if got.WrongToken != float64(401) {
		t.Errorf("a wrong token: %v", got.WrongToken)
	}
	for name, m := range map[string]struct {
		Tools   []string
		First   string
		IsError bool
	}{"HTTP": got.MCPHTTP, "stdio": got.MCPStdio} {
		if len(m.Tools) != 5 || m.IsError || !strings.HasSuffix(m.First, "herons.md") {
			t.Errorf("MCP over %s: %+v", name, m)
		}
	}
}
