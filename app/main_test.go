package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/synth"
	"github.com/carrel-ai/carrel/internal/sharedtest"
	"github.com/carrel-ai/carrel/lab"
)

// runCLI runs the command line in-process and returns exit code, stdout
// and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	oldOut, oldErr := os.Stdout, os.Stderr
	ro, wo, _ := os.Pipe()
	re, we, _ := os.Pipe()
	os.Stdout, os.Stderr = wo, we
	outc, errc := make(chan string), make(chan string)
	go func() { b, _ := io.ReadAll(ro); outc <- string(b) }()
	go func() { b, _ := io.ReadAll(re); errc <- string(b) }()
	code := run(context.Background(), args)
	wo.Close()
	we.Close()
	os.Stdout, os.Stderr = oldOut, oldErr
	return code, <-outc, <-errc
}

func tinyModel(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := synth.Write(context.Background(), p, synth.Options{Shape: synth.Shapes["tiny"], Type: gguf.TensorF32, ChatTemplate: synth.ChatML, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	return p
}

func needLlama(t *testing.T) {
	if !llm.Available() {
		t.Skip("skipping: built without llama.cpp (cgo)")
	}
}

func TestUsageErrors(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		args   []string
		code   int
		errHas string
	}{
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"generate", "hi"}, 2, "--model FILE is required"},
		{[]string{"generate", "--model"}, 2, "flag needs an argument"},
		{[]string{"generate", "--model", "m.gguf", "--threads", "-2", "hi"}, 2, "--threads"},
		{[]string{"generate", "--model", "m.gguf", "--temp", "hot", "hi"}, 2, "not a number"},
		{[]string{"generate", "--model", "m.gguf", "--threads", "100000", "hi"}, 2, "the processors of this computer"},
		{[]string{"generate", "--model", "m.gguf", "-n", "-1", "hi"}, 2, "outside 0"},
		{[]string{"ask", "--data", data, "--threads", "100000", "what?"}, 1, "threads must be"},
		{[]string{"ask", "--data", data, "--bogus", "what?"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"bench"}, 2, "gen, index, lookup, ocr, recall, synth"},
		{[]string{"bench", "synth", "--shape", "7b", "--out", "x"}, 2, "unknown shape"},
		{[]string{"bench", "synth", "--shape", "tiny", "--quant", "Q9", "--out", "x"}, 2, "unknown quantization"},
		{[]string{"embed", "text"}, 2, "--model FILE is required"},
		{[]string{"info", "extra"}, 2, "no arguments"},
		{[]string{"eval", "answers"}, 2, "give one question set folder"},
		{[]string{"eval", "answers", "--data", data, "set"}, 2, "give the model to measure"},
		{[]string{"eval", "answers", "--data", data, "--model", "m.gguf", "--holdout", "1", "set"}, 2, "--holdout must be"},
		{[]string{"eval", "answers", "--data", data, "--model", "m.gguf", filepath.Join(data, "none")}, 1, "not a question set"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.errHas) {
			t.Errorf("carrel %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, tc.code, tc.errHas)
		}
		if n := strings.Count(stderr, "Usage:"); n > 1 {
			t.Errorf("carrel %v: the usage is printed %d times", tc.args, n)
		}
	}
}

func TestModelErrorsAreExplained(t *testing.T) {
	needLlama(t)
	dir := t.TempDir()
	notModel := filepath.Join(dir, "page.gguf")
	os.WriteFile(notModel, []byte("<html>404 not found</html>"), 0o644)
	for _, tc := range []struct {
		path, has string
	}{
		{filepath.Join(dir, "missing.gguf"), "model file not found"},
		{notModel, "looks like a web page"},
	} {
		code, _, stderr := runCLI(t, "generate", "--model", tc.path, "hello")
		if code != 1 || !strings.Contains(stderr, tc.has) {
			t.Errorf("%s: exit %d, stderr %q", tc.path, code, stderr)
		}
	}
}

func TestGenerateStreamsAndTimes(t *testing.T) {
	needLlama(t)
	code, out, stderr := runCLI(t, "generate", "--model", tinyModel(t), "--seed", "3", "-n", "12", "the sun")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(out, "the sun") || len(out) <= len("the sun\n") {
		t.Errorf("stdout %q", out)
	}
	if !strings.Contains(stderr, "generated 12 tokens") || !strings.Contains(stderr, "tok/s") {
		t.Errorf("timings line missing: %q", stderr)
	}
	// The same seed gives the same text.
	_, again, _ := runCLI(t, "generate", "--model", tinyModel(t), "--seed", "3", "-n", "12", "the sun")
	if again != out {
		t.Errorf("seed 3 twice: %q vs %q", out, again)
	}
}

func TestGenerateStories(t *testing.T) {
	needLlama(t)
	model := sharedtest.Path(t, "models/stories260K.gguf")
	code, out, stderr := runCLI(t, "generate", "--model", model, "--temp", "0", "-n", "40", "Once upon a time")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, " the ") && !strings.Contains(out, " was ") {
		t.Errorf("not a story: %q", out)
	}
}

func TestEmbedPrintsJSONLines(t *testing.T) {
	needLlama(t)
	code, out, stderr := runCLI(t, "embed", "--model", tinyModel(t), "first text", "second text")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), out)
	}
	for i, l := range lines {
		var v struct {
			Index     int       `json:"index"`
			Dims      int       `json:"dims"`
			Embedding []float32 `json:"embedding"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		if v.Index != i || v.Dims != 64 || len(v.Embedding) != 64 {
			t.Errorf("line %d: %+v", i, v)
		}
	}
}

func TestBenchSynthAndGen(t *testing.T) {
	needLlama(t)
	out := filepath.Join(t.TempDir(), "synth-q8.gguf")
	code, _, stderr := runCLI(t, "bench", "synth", "--shape", "tiny", "--quant", "Q8_0", "--out", out)
	if code != 0 {
		t.Fatalf("synth: exit %d: %s", code, stderr)
	}
	info, err := llm.ReadInfo(out)
	if err != nil || info.Quantization != "Q8_0" || info.Architecture != "llama" {
		t.Fatalf("synthetic model: %+v, %v", info, err)
	}
	code, stdout, stderr := runCLI(t, "bench", "gen", "--model", out, "--pp", "32", "--tg", "8", "--reps", "1", "--json", "--native")
	if code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v in %q", err, stdout)
	}
	for _, k := range []string{"pp32_tps", "tg8_tps", "threads", "backend", "native"} {
		if _, ok := r[k]; !ok {
			t.Errorf("no %q in %v", k, r)
		}
	}
	if tps, _ := r["tg8_tps"].(float64); tps <= 0 {
		t.Errorf("tg8_tps = %v", r["tg8_tps"])
	}
}

func TestInfoJSON(t *testing.T) {
	code, out, stderr := runCLI(t, "info", "--json", "--data", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r infoReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Backend == "" || r.Reason == "" || r.Threads < 1 || r.DataDir == "" {
		t.Errorf("report %+v", r)
	}
	if r.LlamaCPP && len(r.Devices) == 0 {
		t.Error("no devices listed")
	}
}

// A chat without a library goes through the engine, with the settings'
// model, and keeps its conversation in the command.
func TestChatLoop(t *testing.T) {
	needLlama(t)
	s := engine.DefaultSettings()
	s.ChatModel, s.EmbedModel = tinyModel(t), engine.NoEmbedModel
	e, err := engine.Open(context.Background(), engine.Options{DataDir: t.TempDir(), Settings: &s, NoIndexing: true, NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	in := strings.NewReader("hello there\n/reset\nand again\n/exit\nnever read\n")
	var out, info bytes.Buffer
	sp := engine.Sampling{Seed: 1}
	if err := chatLoop(context.Background(), e, "be brief", engine.ChatOptions{MaxTokens: 8, Sampling: &sp}, in, &out, &info); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(info.String(), "generated"); n != 2 {
		t.Errorf("%d answers, want 2: %q", n, info.String())
	}
	if !strings.Contains(info.String(), "conversation cleared") || !strings.Contains(info.String(), "own chat template") {
		t.Errorf("info %q", info.String())
	}
}

func TestExtractAndChunk(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "notes.md")
	os.WriteFile(doc, []byte("# Plan\n\nFirst paragraph about the garden.\n\n## Budget\n\nSecond paragraph about money.\n"), 0o644)
	code, out, stderr := runCLI(t, "extract", "--json", "--data", dir, doc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Format string `json:"format"`
		Title  string `json:"title"`
		Blocks []struct {
			Text, Heading string
			Start, End    int
		} `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Format != "markdown" || r.Title != "Plan" || len(r.Blocks) != 4 || r.Blocks[3].Heading != "Plan › Budget" {
		t.Errorf("%+v", r)
	}
	if b := r.Blocks[1]; b.Start != len("Plan\n\n") || b.End-b.Start != len(b.Text) {
		t.Errorf("offsets %d..%d for %q", b.Start, b.End, b.Text)
	}

	mp3 := filepath.Join(dir, "song.mp3")
	os.WriteFile(mp3, []byte("ID3\x03rest of a song"), 0o644)
	code, out, _ = runCLI(t, "extract", "--json", "--data", dir, mp3)
	var e struct {
		Error struct{ Kind, Message string } `json:"error"`
	}
	if code != 2 || json.Unmarshal([]byte(out), &e) != nil || e.Error.Kind != "unsupported" || !strings.Contains(e.Error.Message, "MP3") {
		t.Errorf("exit %d, %q", code, out)
	}

	code, out, stderr = runCLI(t, "chunk", "--data", dir, "--size", "16", doc)
	if code != 0 || !strings.Contains(out, "[Plan › Budget]") || !strings.Contains(out, "Second paragraph about money.") {
		t.Errorf("chunk: exit %d, %q %s", code, out, stderr)
	}
}

func TestLibraryCommands(t *testing.T) {
	data, src := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "ships.md"), []byte("# Ships\n\nThe lighthouse keeper watched the ships pass the harbour."), 0o644)
	os.WriteFile(filepath.Join(src, "bad.docx"), []byte("PK\x03\x04 cut short"), 0o644)
	code, out, stderr := runCLI(t, "add", "--data", data, "--json", src)
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, stderr)
	}
	var sum struct {
		Ready  int `json:"ready"`
		Failed []struct{ Path, Kind, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Ready != 1 || len(sum.Failed) != 1 || sum.Failed[0].Kind != "corrupt" {
		t.Fatalf("add summary %q (%v)", out, err)
	}
	code, out, _ = runCLI(t, "search", "--data", data, "--json", "lighthouse keeper")
	var res struct {
		Relevant bool `json:"relevant"`
		Hits     []struct {
			Path, Heading string
			Scores        struct{ Lexical float64 }
		} `json:"hits"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Relevant || len(res.Hits) != 1 || res.Hits[0].Heading != "Ships" {
		t.Fatalf("search: exit %d %q", code, out)
	}
	code, out, _ = runCLI(t, "list", "--data", data, "--json")
	if code != 0 || !strings.Contains(out, `"status": "failed"`) || !strings.Contains(out, `"error_kind": "corrupt"`) {
		t.Errorf("list: %q", out)
	}
	code, out, _ = runCLI(t, "remove", "--data", data, filepath.Join(src, "ships.md"))
	if code != 0 || !strings.Contains(out, "removed 1") {
		t.Errorf("remove: %q", out)
	}
	_, out, _ = runCLI(t, "search", "--data", data, "--json", "lighthouse")
	if strings.Contains(out, "ships.md") {
		t.Errorf("removed document still found: %q", out)
	}
	if code, _, stderr := runCLI(t, "search", "--data", data, "--library", "Nope", "x"); code != 1 || !strings.Contains(stderr, "no library") {
		t.Errorf("unknown library: %d %q", code, stderr)
	}
}

// TestCorpusSearchFindsPages adds the shared corpus's text PDFs and looks
// up known passages: the right file and page must come first.
func TestCorpusSearchFindsPages(t *testing.T) {
	dir := sharedtest.Path(t, "corpus/pdf/text")
	data := t.TempDir()
	if code, _, stderr := runCLI(t, "add", "--data", data, "--json", dir); code != 0 {
		t.Fatalf("add: %s", stderr)
	}
	for _, tc := range []struct {
		query, file string
		page        int
	}{
		{"trace-based just-in-time type specialization for dynamic languages", "pdfjs-tracemonkey-paper.pdf", 1},
		{"delicious evening whole body is one sense", "pdfcpu-Walden.pdf", 2}, // page 1 is the title page
		{"Errata for the PDF Reference sixth edition", "pdfcpu-adobe-errata.pdf", 1},
	} {
		code, out, stderr := runCLI(t, "search", "--data", data, "--json", "-k", "3", tc.query)
		var res struct {
			Hits []struct {
				Path string
				Page int
			} `json:"hits"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Hits) == 0 {
			t.Fatalf("%q: exit %d %s", tc.query, code, stderr)
		}
		if filepath.Base(res.Hits[0].Path) != tc.file || res.Hits[0].Page != tc.page {
			t.Errorf("%q: top hit %s page %d, want %s page %d", tc.query, res.Hits[0].Path, res.Hits[0].Page, tc.file, tc.page)
		}
	}
}

func TestAskCommand(t *testing.T) {
	data, src := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "ships.md"), []byte("# Ships\n\nThe lighthouse keeper watched the ships pass the harbour every night."), 0o644)
	if code, _, _ := runCLI(t, "ask", "--data", data, "anything"); code != 1 {
		t.Errorf("asking an empty library: exit %d", code)
	}
	if code, _, stderr := runCLI(t, "add", "--data", data, src); code != 0 {
		t.Fatalf("add: %s", stderr)
	}
	type answer struct {
		Answer    string `json:"answer"`
		Grounded  bool   `json:"grounded"`
		Outcome   string `json:"outcome"`
		Citations []struct {
			N    int    `json:"n"`
			Path string `json:"path"`
		} `json:"citations"`
		Sources []struct {
			N       int    `json:"n"`
			Path    string `json:"path"`
			Heading string `json:"heading"`
		} `json:"sources"`
		Timings struct {
			RetrieveMS   float64 `json:"retrieve_ms"`
			FirstTokenMS float64 `json:"first_token_ms"`
			TokensPerS   float64 `json:"tokens_per_s"`
		} `json:"timings"`
		Conversation string `json:"conversation"`
	}
	ask := func(args ...string) answer {
		t.Helper()
		code, out, stderr := runCLI(t, append([]string{"ask", "--data", data, "--json"}, args...)...)
		var a answer
		if code != 0 || json.Unmarshal([]byte(out), &a) != nil {
			t.Fatalf("ask %v: exit %d, %q %s", args, code, out, stderr)
		}
		return a
	}
	a := ask("Who watched the ships?")
	if a.Outcome != "retrieval_only" || a.Grounded || len(a.Sources) != 1 || a.Sources[0].Heading != "Ships" {
		t.Errorf("without a model: %+v", a)
	}
	if a := ask("What is the boiling point of mercury?"); a.Outcome != "not_found" || a.Answer != "I could not find this in your documents." {
		t.Errorf("unrelated question: %+v", a)
	}
	code, out, _ := runCLI(t, "ask", "--data", data, "Who watched the ships?")
	if code != 0 || !strings.Contains(out, "[1] ships.md, “Ships”") || !strings.Contains(out, "No chat model is set") {
		t.Errorf("text output: %q", out)
	}
	if code, _, stderr := runCLI(t, "ask", "--data", data, "--library", "Nope", "ships"); code != 1 || !strings.Contains(stderr, "no library") {
		t.Errorf("unknown library: %d %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "ask", "--data", data); code != 2 {
		t.Errorf("no question: exit %d", code)
	}

	needLlama(t)
	stories := sharedtest.Path(t, "models/stories260K.gguf")
	a = ask("--model", stories, "--answer-tokens", "32", "Who watched the ships?")
	// The story model writes a story and cites nothing: answered from the
	// sources, but not called grounded.
	if a.Outcome != "uncited" || a.Grounded || a.Answer == "" || len(a.Sources) != 1 || a.Timings.FirstTokenMS <= 0 || a.Timings.TokensPerS <= 0 || a.Conversation == "" {
		t.Errorf("with a model: %+v", a)
	}
	for _, c := range a.Citations {
		if c.N != 1 || !strings.HasSuffix(c.Path, "ships.md") {
			t.Errorf("citation %+v", c)
		}
	}
	// A follow-up in the same conversation.
	b := ask("--model", stories, "--answer-tokens", "32", "--conversation", a.Conversation, "And the harbour?")
	if b.Conversation != a.Conversation {
		t.Errorf("follow-up went to conversation %q", b.Conversation)
	}

	// An interactive session answers from the library and lists sources.
	in := strings.NewReader("Who watched the ships?\n/new\nWhat is the boiling point of mercury?\n/exit\n")
	var chatOut, info bytes.Buffer
	s := engine.DefaultSettings()
	s.ChatModel, s.AnswerTokens = stories, 16
	e, err := engine.Open(context.Background(), engine.Options{DataDir: data, Settings: &s, NoIndexing: true, NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := libraryChat(context.Background(), e, "", in, &chatOut, &info); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(chatOut.String(), "[1] ships.md") || !strings.Contains(chatOut.String(), "I could not find this in your documents.") ||
		!strings.Contains(info.String(), "new conversation") {
		t.Errorf("chat output %q, info %q", chatOut.String(), info.String())
	}
}

// TestCorpusAsk asks questions of the shared corpus's text PDFs with the
// tiny model: the right file and page must be the first source, and a
// question the documents cannot answer must be declined.
func TestCorpusAsk(t *testing.T) {
	needLlama(t)
	dir := sharedtest.Path(t, "corpus/pdf/text")
	stories := sharedtest.Path(t, "models/stories260K.gguf")
	data := t.TempDir()
	if code, _, stderr := runCLI(t, "add", "--data", data, dir); code != 0 {
		t.Fatalf("add: %s", stderr)
	}
	for _, tc := range []struct {
		question, file string
		page           int
	}{
		{"What is trace-based just-in-time type specialization for dynamic languages?", "pdfjs-tracemonkey-paper.pdf", 1},
		{"Which errata does the PDF Reference sixth edition have?", "pdfcpu-adobe-errata.pdf", 1},
		{"What is the capital of Mongolia?", "", 0},
	} {
		code, out, stderr := runCLI(t, "ask", "--data", data, "--model", stories, "--answer-tokens", "32", "--json", tc.question)
		var a struct {
			Outcome string `json:"outcome"`
			Sources []struct {
				Path string `json:"path"`
				Page int    `json:"page"`
			} `json:"sources"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &a) != nil {
			t.Fatalf("%q: exit %d %s", tc.question, code, stderr)
		}
		if tc.file == "" {
			if a.Outcome != "not_found" {
				t.Errorf("%q: %s, want not_found", tc.question, a.Outcome)
			}
			continue
		}
		if (a.Outcome != "answered" && a.Outcome != "uncited") || len(a.Sources) == 0 || filepath.Base(a.Sources[0].Path) != tc.file || a.Sources[0].Page != tc.page {
			t.Errorf("%q: %s, sources %+v; want %s page %d first", tc.question, a.Outcome, a.Sources, tc.file, tc.page)
		}
	}
}

func TestModelsCommands(t *testing.T) {
	data := t.TempDir()
	t.Setenv("HOME", t.TempDir()) // no models of the machine's own programs
	t.Setenv("OLLAMA_MODELS", "")
	t.Setenv("HF_HOME", "")
	t.Setenv("LLAMA_CACHE", "")
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	m := tinyModel(t)
	os.MkdirAll(filepath.Join(data, "models"), 0o755)
	raw, _ := os.ReadFile(m)
	os.WriteFile(filepath.Join(data, "models", "tiny.gguf"), raw, 0o644)

	code, out, stderr := runCLI(t, "models", "list", "--data", data, "--json")
	var list struct {
		ChatModel string `json:"chat_model"`
		Found     []struct {
			Name, Source, Path string
		} `json:"found"`
		Catalog []struct {
			ID          string `json:"id"`
			Recommended bool   `json:"recommended"`
		} `json:"catalog"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("list: exit %d %q %s", code, out, stderr)
	}
	if list.ChatModel != "" || len(list.Found) != 1 || list.Found[0].Source != "Carrel" || len(list.Catalog) == 0 {
		t.Fatalf("list %+v", list)
	}
	recommended := 0
	for _, c := range list.Catalog {
		if c.Recommended {
			recommended++
		}
	}
	if recommended != 1 {
		t.Errorf("%d models recommended", recommended)
	}
	if code, out, stderr := runCLI(t, "models", "use", "--data", data, list.Found[0].Name); code != 0 || !strings.Contains(out, "chat model:") {
		t.Fatalf("use by name: exit %d %q %s", code, out, stderr)
	}
	s, err := engine.ReadSettings(data)
	if err != nil || s.ChatModel != filepath.Join(data, "models", "tiny.gguf") {
		t.Errorf("settings after use: %+v %v", s, err)
	}
	if code, _, stderr := runCLI(t, "models", "use", "--data", data, "no-such-model"); code != 1 || !strings.Contains(stderr, "models list") {
		t.Errorf("unknown model: %d %q", code, stderr)
	}
	bad := filepath.Join(t.TempDir(), "notes.gguf")
	os.WriteFile(bad, []byte("hello"), 0o644)
	if code, _, stderr := runCLI(t, "models", "use", "--data", data, bad); code != 1 || !strings.Contains(stderr, "GGUF") {
		t.Errorf("not a model: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "models", "download", "--data", data, "gpt-99"); code != 2 || !strings.Contains(stderr, "qwen3-0.6b") {
		t.Errorf("unknown catalog id: %d %q", code, stderr)
	}
	if code, out, _ := runCLI(t, "models", "use", "--data", data, "gemma-3-1b-it"); code != 1 {
		t.Errorf("a catalog model not downloaded: %d %q", code, out)
	}
}

// TestScreenshots builds the app and walks the real window through its
// main states under Xvfb (which make test installs), checking that every
// screenshot shows something. It is skipped without Xvfb, the shared
// assets, or in -short mode.
func TestScreenshots(t *testing.T) {
	needLlama(t)
	if testing.Short() {
		t.Skip("skipping the window tour in -short mode")
	}
	xvfb, err := exec.LookPath("xvfb-run")
	if err != nil {
		t.Skip("skipping: xvfb-run is not installed (make test installs it)")
	}
	model := sharedtest.Path(t, "models/stories260K.gguf")
	docs := sharedtest.Path(t, "corpus/pdf/text")
	scans := sharedtest.Path(t, "corpus/pdf/scanned")
	bin := filepath.Join(t.TempDir(), "carrel")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the app: %v\n%s", err, out)
	}
	out := t.TempDir()
	shots := []string{"1-setup", "2-empty-library", "3-indexing", "4-library", "5-answer", "6-source", "7-not-found"}
	args := []string{"-a", "-s", "-screen 0 1024x700x24", bin, "screenshots", "--out", out, "--model", model}
	if _, err := exec.LookPath("tesseract"); err == nil {
		// A citation into a scanned page, shown on the scan.
		args = append(args, "--scan-question", "Happy New Year 2003", scans)
		shots = append(shots, "8-scan-source")
	}
	run := exec.Command(xvfb, append(args, docs)...)
	if b, err := run.CombinedOutput(); err != nil {
		t.Fatalf("the tour failed: %v\n%s", err, b)
	}
	for _, name := range shots {
		f, err := os.Open(filepath.Join(out, name+".png"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		colours := map[color.Color]bool{}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y += 7 {
			for x := b.Min.X; x < b.Max.X; x += 7 {
				colours[img.At(x, y)] = true
			}
		}
		if len(colours) < 10 {
			t.Errorf("%s looks blank (%d colours)", name, len(colours))
		}
	}
}

func TestOpenWith(t *testing.T) {
	f := filepath.Join(t.TempDir(), "a.pdf")
	os.WriteFile(f, []byte("%PDF-1.4"), 0o644)
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{f}, true},
		{[]string{f, filepath.Dir(f)}, true},
		{[]string{"ask", "question"}, false},
		{[]string{f, "/no/such/file"}, false},
		{[]string{"nonsense"}, false},
	} {
		if got := openWith(tc.args); got != tc.want {
			t.Errorf("openWith(%v) = %v", tc.args, got)
		}
	}
}

func TestBestVariant(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("x86-64 only")
	}
	exe, _ := os.Executable()
	dir := filepath.Dir(exe)
	old := cpuLevel
	defer func() { cpuLevel = old }()
	cpuLevel = ""
	if v := bestVariant(); v != "" {
		t.Errorf("a local build looked for variants: %q", v)
	}
	cpuLevel = "x86-64"
	levels := supportedLevels()
	if len(levels) == 0 {
		if v := bestVariant(); v != "" {
			t.Errorf("a CPU without AVX2 chose %q", v)
		}
		return
	}
	want := filepath.Join(dir, variantName(levels[len(levels)-1]))
	if err := os.WriteFile(want, []byte("x"), 0o755); err != nil {
		t.Skip("cannot write beside the test binary:", err)
	}
	defer os.Remove(want)
	if v := bestVariant(); v != want {
		t.Errorf("bestVariant() = %q, want %q", v, want)
	}
	t.Setenv(variantEnv, "1")
	if v := bestVariant(); v != "" {
		t.Errorf("a variant looked for variants: %q", v)
	}
}

// TestVariantInLib checks the Linux install layout: bin/carrel hands over
// to lib/carrel/carrel-x86-64-v3.
func TestVariantInLib(t *testing.T) {
	if runtime.GOARCH != "amd64" || len(supportedLevels()) == 0 {
		t.Skip("needs an x86-64 CPU with AVX2")
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	os.MkdirAll(filepath.Join(root, "lib", "carrel"), 0o755)
	self, _ := os.Executable()
	raw, _ := os.ReadFile(self)
	bin := filepath.Join(root, "bin", "carrel")
	os.WriteFile(bin, raw, 0o755)
	level := supportedLevels()[len(supportedLevels())-1]
	variant := filepath.Join(root, "lib", "carrel", variantName(level))
	os.WriteFile(variant, []byte("#!/bin/sh\necho variant \"$@\"\n"), 0o755)
	// The copied test binary runs this test's helper mode: ask it which
	// variant it would choose.
	cmd := exec.Command(bin, "-test.run=^TestVariantHelper$")
	cmd.Env = append(os.Environ(), "CARREL_VARIANT_HELPER=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "chose "+variant) {
		t.Errorf("the installed binary chose: %s", out)
	}
}

// TestVariantHelper is run by TestVariantInLib in a copy of the test
// binary: it prints the variant a baseline build would choose.
func TestVariantHelper(t *testing.T) {
	if os.Getenv("CARREL_VARIANT_HELPER") == "" {
		t.Skip("helper for TestVariantInLib")
	}
	cpuLevel = "x86-64"
	fmt.Println("chose " + bestVariant())
}

// TestNoLocaleNoise checks that under the C locale (containers, services)
// Fyne's package initialization prints no locale error before a command's
// output: internal/locale runs first.
func TestNoLocaleNoise(t *testing.T) {
	if os.Getenv("CARREL_LOCALE_HELPER") != "" {
		return // the child: initialization has already happened
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoLocaleNoise$")
	env := []string{"CARREL_LOCALE_HELPER=1", "LANG=C.UTF-8"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LANG=") && !strings.HasPrefix(kv, "LC_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if strings.Contains(string(out), "locale") {
		t.Errorf("locale noise at start:\n%s", out)
	}
}

// Without a display the window says so and points to the terminal
// commands, instead of a Go panic.
func TestNoDisplay(t *testing.T) {
	for _, tc := range []struct {
		goos string
		env  map[string]string
		want bool
	}{
		{"linux", nil, false},
		{"linux", map[string]string{"DISPLAY": ":0"}, true},
		{"freebsd", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true},
		{"darwin", nil, true},
		{"windows", nil, true},
	} {
		if got := hasDisplay(tc.goos, func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%s %v: %v", tc.goos, tc.env, got)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	f := filepath.Join(t.TempDir(), "a.txt")
	os.WriteFile(f, []byte("text"), 0o600)
	for _, args := range [][]string{nil, {f}} {
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, "needs a display") || strings.Contains(stderr, "panic") {
			t.Errorf("carrel %v: exit %d: %q", args, code, stderr)
		}
	}
}

// carrel eval answers through the real model path: a question set made
// here, the tiny story model, the JSON report and the per-question file.
// (The figures themselves are pinned on a scripted model in the engine's
// TestEvaluateAnswers; a story model's answers only need to be graded.)
func TestEvalAnswersCommand(t *testing.T) {
	needLlama(t)
	stories := sharedtest.Path(t, "models/stories260K.gguf")
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "documents"), 0o700)
	os.WriteFile(filepath.Join(dir, "documents", "ships.md"), []byte("# Harbour\n\nLily watched the ships sail into the harbour at dawn."), 0o600)
	os.WriteFile(filepath.Join(dir, "documents", "garden.md"), []byte("# Garden\n\nTom planted tomatoes and beans in the garden."), 0o600)
	os.WriteFile(filepath.Join(dir, "questions.jsonl"), []byte(`{"id": "a", "question": "Who watched the ships?", "answers": ["Lily"], "doc": "ships.md"}
{"id": "b", "question": "What did Tom plant in the garden?", "answers": ["tomatoes and beans"], "doc": "garden.md"}
{"id": "c", "question": "What is the boiling point of mercury?", "answers": []}
`), 0o600)
	details := filepath.Join(t.TempDir(), "details.jsonl")
	data := t.TempDir()
	code, out, stderr := runCLI(t, "eval", "answers", dir, "--data", data, "--model", stories, "--embed-model", "none", "--answer-tokens", "16",
		"--details", details, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep lab.AnswerEvalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if rep.Questions != 3 || rep.Answerable != 2 || rep.Unanswerable != 1 || rep.Model != "stories260K" || rep.Server != "" ||
		rep.Generated != 2 || rep.FirstTokenP50 <= 0 || rep.TokensPerS <= 0 || rep.PromptTokens <= 0 || rep.UnanswerableDeclined != 1 {
		t.Errorf("report %+v", rep)
	}
	b, err := os.ReadFile(details)
	if err != nil || strings.Count(string(b), "\n") != 3 || !strings.Contains(string(b), `"id":"c"`) {
		t.Errorf("details %q (%v)", b, err)
	}
	code, out, _ = runCLI(t, "eval", "answers", dir, "--data", data, "--model", stories, "--embed-model", "none", "--answer-tokens", "8", "--questions", "1")
	for _, want := range []string{"1 questions (1 answerable", "model      stories260K (this computer)", "exact match", "citations  precision", "first token p50"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("text report lacks %q: %q", want, out)
		}
	}
}

// models shrink writes a quantized copy and compares it with the original
// on size, speed and the perplexity of the library's text; a name taken,
// or a quantization llama.cpp does not know, is refused before any work.
func TestModelsShrink(t *testing.T) {
	needLlama(t)
	model := tinyModel(t)
	data := t.TempDir()
	docs := t.TempDir()
	os.WriteFile(filepath.Join(docs, "keeper.md"), []byte(strings.Repeat("The keeper lit the lamp at dusk and watched the ships pass the point. ", 80)), 0o644)
	if code, _, stderr := runCLI(t, "add", "--data", data, "--embed-model", "none", docs); code != 0 {
		t.Fatalf("add: %d %s", code, stderr)
	}
	code, out, stderr := runCLI(t, "models", "shrink", "--data", data, "--to", "Q8_0", model)
	if code != 0 {
		t.Fatalf("shrink: %d %s", code, stderr)
	}
	small := filepath.Join(data, "models", "tiny-Q8_0.gguf")
	a, _ := os.Stat(model)
	b, err := os.Stat(small)
	if err != nil || b.Size() >= a.Size() {
		t.Fatalf("the copy: %v, %d bytes from %d", err, b.Size(), a.Size())
	}
	for _, want := range []string{"perplexity", "F32", "Q8_0", "tiny-Q8_0.gguf", "carrel models use " + small} {
		if !strings.Contains(out, want) {
			t.Errorf("the comparison lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, `library "My Library"`) {
		t.Errorf("it did not say what perplexity was measured on: %s", stderr)
	}
	if code, _, stderr := runCLI(t, "models", "shrink", "--data", data, "--to", "Q8_0", model); code != 2 || !strings.Contains(stderr, "exists already") {
		t.Errorf("a copy already there: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "models", "shrink", "--data", data, "--to", "Q3_X", "--out", filepath.Join(t.TempDir(), "x.gguf"), model); code != 2 {
		t.Errorf("an unknown quantization: %d %s", code, stderr)
	}
}

// TestTeach teaches stories260K a library from the command line, then
// turns its adapter off and on for the library.
func TestTeach(t *testing.T) {
	needLlama(t)
	data := t.TempDir()
	docs := t.TempDir()
	var log strings.Builder
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&log, "At %d o'clock the keeper logged ship number %d passing the point, bound for port %d.\n\n", i%24, i, i%7)
	}
	os.WriteFile(filepath.Join(docs, "keeper.md"), []byte(log.String()), 0o644)
	if code, _, stderr := runCLI(t, "add", "--data", data, "--embed-model", "none", docs); code != 0 {
		t.Fatalf("add: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "teach", "--data", data, "--on", "--off"); code != 2 {
		t.Errorf("--on --off: %d %s", code, stderr)
	}
	stories := sharedtest.Path(t, "models/stories260K.gguf")
	code, out, stderr := runCLI(t, "teach", "--data", data, "--model", stories, "--steps", "20", "--threads", "2")
	if code != 0 {
		t.Fatalf("teach: %d %s", code, stderr)
	}
	adapter := filepath.Join(data, "adapters", "My-Library-stories260K.gguf")
	for _, want := range []string{"adapter: " + adapter, "perplexity on passages held out of training", "20 steps"} {
		if !strings.Contains(out, want) {
			t.Errorf("teach's report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "of memory") || !strings.Contains(stderr, "held-out loss") {
		t.Errorf("teach said no estimate or progress: %s", stderr)
	}
	if code, out, stderr := runCLI(t, "teach", "--data", data, "--model", stories, "--off"); code != 0 || !strings.Contains(out, "without an adapter") {
		t.Errorf("--off: %d %s %s", code, out, stderr)
	}
	if code, out, stderr := runCLI(t, "teach", "--data", data, "--model", stories, "--on"); code != 0 || !strings.Contains(out, "My-Library-stories260K.gguf") {
		t.Errorf("--on: %d %s %s", code, out, stderr)
	}
	s, err := engine.ReadSettings(data)
	if err != nil || s.LibraryAdapters["My Library"] != adapter {
		t.Errorf("the library's adapter: %v %v", s.LibraryAdapters, err)
	}
}
