//go:build cgo

package llm_test

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/carrel-ai/carrel/engine/gguf"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/synth"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// fixtures are models the tests write themselves, once per test binary.
var fixtures struct {
	once sync.Once
	dir  string
	err  error
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	fixtures.once.Do(func() {
		fixtures.dir, fixtures.err = os.MkdirTemp("", "carrel-llm-test")
		if fixtures.err != nil {
			return
		}
		ctx := context.Background()
		tiny := synth.Shapes["tiny"]
		steps := []func() error{
			func() error {
				return synth.Write(ctx, filepath.Join(fixtures.dir, "tiny.gguf"), synth.Options{Shape: tiny, Type: gguf.TensorF32, ChatTemplate: synth.ChatML, Seed: 1})
			},
			func() error {
				return synth.Write(ctx, filepath.Join(fixtures.dir, "tiny-plain.gguf"), synth.Options{Shape: tiny, Type: gguf.TensorF32, Seed: 1})
			},
			func() error { return synth.LoRA(ctx, filepath.Join(fixtures.dir, "lora.gguf"), tiny, 4, 3) },
			func() error {
				other := tiny
				other.Embd, other.FF = 128, 256
				return synth.LoRA(ctx, filepath.Join(fixtures.dir, "lora-other.gguf"), other, 4, 3)
			},
		}
		for _, s := range steps {
			if fixtures.err = s(); fixtures.err != nil {
				return
			}
		}
	})
	if fixtures.err != nil {
		t.Fatal(fixtures.err)
	}
	return filepath.Join(fixtures.dir, name)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtures.dir != "" {
		os.RemoveAll(fixtures.dir)
	}
	os.Exit(code)
}

func load(t *testing.T, path string) *llm.Model {
	t.Helper()
	m, err := llm.Load(context.Background(), path, llm.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newCtx(t *testing.T, m *llm.Model, o llm.ContextOptions) *llm.Context {
	t.Helper()
	c, err := m.NewContext(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var greedy = &llm.Sampling{Temperature: 0}

func generate(t *testing.T, c *llm.Context, prompt string, o llm.GenerateOptions) (string, llm.Stats) {
	t.Helper()
	var b strings.Builder
	st, err := c.Generate(context.Background(), prompt, o, func(s string) error { b.WriteString(s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), st
}

func TestStoriesGeneratesEnglish(t *testing.T) {
	m := load(t, sharedtest.Path(t, "models/stories260K.gguf"))
	c := newCtx(t, m, llm.ContextOptions{})
	text, st := generate(t, c, "Once upon a time", llm.GenerateOptions{MaxTokens: 60, Sampling: greedy})
	words := strings.Fields(text)
	if len(words) < 20 {
		t.Fatalf("only %d words: %q", len(words), text)
	}
	known := 0
	for _, w := range words {
		w = strings.ToLower(strings.TrimFunc(w, unicode.IsPunct))
		switch w {
		case "the", "a", "was", "she", "he", "and", "to", "her", "his", "little", "there", "girl", "boy", "named", "day", "lily", "tom", "they", "with", "it", "in", "of", "big", "play", "happy", "saw":
			known++
		}
	}
	if known < len(words)/5 {
		t.Errorf("continuation does not read as English (%d of %d common words): %q", known, len(words), text)
	}
	if st.GeneratedTokens != 60 || st.Reason != llm.StopLength || st.PromptTokens < 4 {
		t.Errorf("stats = %+v", st)
	}
	if st.TokensPerSecond() <= 0 || st.FirstToken <= 0 {
		t.Errorf("no timings: %+v", st)
	}
}

func TestSeedReproducible(t *testing.T) {
	m := load(t, sharedtest.Path(t, "models/stories260K.gguf"))
	c := newCtx(t, m, llm.ContextOptions{})
	run := func(seed int64) string {
		s := llm.DefaultSampling()
		s.Temperature, s.Seed = 1.0, seed
		out, _ := generate(t, c, "Once upon a time", llm.GenerateOptions{MaxTokens: 40, Sampling: &s})
		return out
	}
	a, b, other := run(42), run(42), run(7)
	if a != b {
		t.Errorf("same seed, different text:\n%q\n%q", a, b)
	}
	if a == other {
		t.Errorf("seeds 42 and 7 gave the same text %q", a)
	}
}

func TestCancelMidStream(t *testing.T) {
	m := load(t, fixture(t, "tiny.gguf"))
	c := newCtx(t, m, llm.ContextOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	st, err := c.Generate(ctx, "hello world", llm.GenerateOptions{Sampling: greedy}, func(string) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || st.Reason != llm.StopCancelled {
		t.Fatalf("err = %v, reason %q", err, st.Reason)
	}
	if st.GeneratedTokens > n+1 {
		t.Errorf("generated %d tokens after cancelling at emit %d", st.GeneratedTokens, n)
	}
	// The context stays usable.
	if out, _ := generate(t, c, "hello world", llm.GenerateOptions{MaxTokens: 5, Sampling: greedy}); out == "" {
		t.Error("no output after a cancelled call")
	}
}

func TestCancelBeforePrompt(t *testing.T) {
	m := load(t, fixture(t, "tiny.gguf"))
	c := newCtx(t, m, llm.ContextOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Generate(ctx, strings.Repeat("word ", 100), llm.GenerateOptions{}, func(string) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestStopString(t *testing.T) {
	m := load(t, sharedtest.Path(t, "models/stories260K.gguf"))
	c := newCtx(t, m, llm.ContextOptions{})
	full, _ := generate(t, c, "Once upon a time", llm.GenerateOptions{MaxTokens: 60, Sampling: greedy})
	words := strings.Fields(full)
	if len(words) < 10 {
		t.Fatalf("too short: %q", full)
	}
	stop := " " + words[8] + " " + words[9]
	i := strings.Index(full, stop)
	out, st := generate(t, c, "Once upon a time", llm.GenerateOptions{MaxTokens: 60, Stop: []string{stop}, Sampling: greedy})
	if out != full[:i] || st.Reason != llm.StopString {
		t.Errorf("with stop %q got %q (%s), want %q", stop, out, st.Reason, full[:i])
	}
}

func TestPrefixCacheReuse(t *testing.T) {
	m := load(t, sharedtest.Path(t, "models/stories260K.gguf"))
	c := newCtx(t, m, llm.ContextOptions{})
	sys := "Once upon a time there was a little girl named Lily. She loved to play outside in the park with her friends."
	_, first := generate(t, c, sys, llm.GenerateOptions{MaxTokens: 8, Sampling: greedy})
	if first.CachedTokens != 0 {
		t.Errorf("fresh context reused %d tokens", first.CachedTokens)
	}
	prompt := sys + " One day, she saw a big dog."
	warm, st := generate(t, c, prompt, llm.GenerateOptions{MaxTokens: 20, Sampling: greedy})
	a, _ := m.Tokenize(sys, true)
	if st.CachedTokens < len(a)-2 {
		t.Errorf("reused %d tokens, want about the %d of the shared prefix", st.CachedTokens, len(a))
	}
	// Reuse must not change the result.
	cold, _ := generate(t, newCtx(t, m, llm.ContextOptions{}), prompt, llm.GenerateOptions{MaxTokens: 20, Sampling: greedy})
	if warm != cold {
		t.Errorf("cached %q != fresh %q", warm, cold)
	}
	// The same prompt again reuses all but the last token.
	_, again := generate(t, c, prompt, llm.GenerateOptions{MaxTokens: 1, Sampling: greedy})
	if again.CachedTokens != again.PromptTokens-1 {
		t.Errorf("repeat prompt reused %d of %d", again.CachedTokens, again.PromptTokens)
	}

	// Prefill warms the cache of a fresh context for a prompt to come.
	pre := newCtx(t, m, llm.ContextOptions{})
	if n, err := pre.Prefill(context.Background(), sys); err != nil || n != 0 {
		t.Fatalf("prefill: %d cached, %v", n, err)
	}
	prefilled, st := generate(t, pre, prompt, llm.GenerateOptions{MaxTokens: 20, Sampling: greedy})
	if st.CachedTokens < len(a)-2 || prefilled != cold {
		t.Errorf("after prefill: reused %d tokens, output %q (want %q)", st.CachedTokens, prefilled, cold)
	}
}

// ReadAhead reads a prompt's beginning a little at a time; the answer
// that follows reuses what matches, reports what was read for nothing,
// and is the same as without reading ahead.
func TestReadAhead(t *testing.T) {
	m := load(t, sharedtest.Path(t, "models/stories260K.gguf"))
	ctx := context.Background()
	sys := "Once upon a time there was a little girl named Lily. She loved to play outside in the park with her friends."
	prompt := sys + " One day, she saw a big dog."
	cold, _ := generate(t, newCtx(t, m, llm.ContextOptions{}), prompt, llm.GenerateOptions{MaxTokens: 20, Sampling: greedy})

	c := newCtx(t, m, llm.ContextOptions{})
	// A guess that turns out wrong at its end: "cat" where the prompt
	// says "dog", read four tokens at a time.
	guess := sys + " One day, she saw a big cat and a bird in the sky."
	want, _ := m.Tokenize(guess, true)
	read, calls := 0, 0
	for done := false; !done; calls++ {
		n, d, err := c.ReadAhead(ctx, guess, 4)
		if err != nil {
			t.Fatal(err)
		}
		read, done = read+n, d
	}
	if read != len(want) || calls < len(want)/4 {
		t.Fatalf("read %d tokens in %d calls, want %d in about %d", read, calls, len(want), len(want)/4)
	}
	if n, done, err := c.ReadAhead(ctx, guess, 4); n != 0 || !done || err != nil {
		t.Errorf("reading a cached prompt again: %d, %v, %v", n, done, err)
	}
	out, st := generate(t, c, prompt, llm.GenerateOptions{MaxTokens: 20, Sampling: greedy})
	if out != cold {
		t.Errorf("after reading ahead %q, fresh %q", out, cold)
	}
	shared, _ := m.Tokenize(sys+" One day, she saw a big", true)
	if st.ReadAhead < len(shared)-1 || st.ReadAhead > len(shared) || st.CachedTokens != st.ReadAhead {
		t.Errorf("used %d tokens read ahead (%d cached), want the %d shared", st.ReadAhead, st.CachedTokens, len(shared))
	}
	if st.ReadAhead+st.AheadWasted != read {
		t.Errorf("used %d + wasted %d != read %d", st.ReadAhead, st.AheadWasted, read)
	}
	// The next answer starts counting anew.
	_, again := generate(t, c, prompt, llm.GenerateOptions{MaxTokens: 1, Sampling: greedy})
	if again.ReadAhead != 0 || again.AheadWasted != 0 {
		t.Errorf("second answer: %d read ahead, %d wasted", again.ReadAhead, again.AheadWasted)
	}
}

func TestChatTemplates(t *testing.T) {
	msgs := []llm.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}}
	m := load(t, fixture(t, "tiny.gguf"))
	want := "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
	if got := m.ApplyTemplate(msgs, true); got != want {
		t.Errorf("chatml: got %q", got)
	}
	if f := m.ChatFormat(); !strings.Contains(f, "own chat template") {
		t.Errorf("ChatFormat = %q", f)
	}
	toks, _ := m.Tokenize("<|im_start|>", false)
	if len(toks) != 1 {
		t.Errorf("special token split into %v", toks)
	}
	p := load(t, fixture(t, "tiny-plain.gguf"))
	if got := p.ApplyTemplate(msgs, true); got != "Be brief.\n\nUser: Hi\nAssistant:" {
		t.Errorf("fallback: got %q", got)
	}
	if f := p.ChatFormat(); !strings.Contains(f, "no chat template") {
		t.Errorf("ChatFormat = %q", f)
	}
}

func TestChatDropsOldestTurns(t *testing.T) {
	m := load(t, fixture(t, "tiny.gguf"))
	c := newCtx(t, m, llm.ContextOptions{ContextSize: 256})
	msgs := []llm.Message{{Role: "system", Content: "system prompt stays"}}
	for i := 0; i < 12; i++ {
		msgs = append(msgs, llm.Message{Role: "user", Content: strings.Repeat("question ", 8)}, llm.Message{Role: "assistant", Content: strings.Repeat("answer ", 8)})
	}
	msgs = append(msgs, llm.Message{Role: "user", Content: "last"})
	st, err := c.Chat(context.Background(), msgs, llm.GenerateOptions{MaxTokens: 16, Sampling: greedy}, func(string) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if st.DroppedMessages == 0 || st.DroppedMessages%2 != 0 {
		t.Errorf("dropped %d messages", st.DroppedMessages)
	}
	// A system prompt that alone overflows the context is an error.
	huge := []llm.Message{{Role: "system", Content: strings.Repeat("long ", 400)}, {Role: "user", Content: "q"}}
	if _, err := c.Chat(context.Background(), huge, llm.GenerateOptions{}, func(string) error { return nil }); !errors.Is(err, llm.ErrContextFull) {
		t.Errorf("err = %v, want ErrContextFull", err)
	}
}

func TestEmbeddings(t *testing.T) {
	m := load(t, fixture(t, "tiny.gguf"))
	e, err := m.NewEmbedder(llm.EmbedOptions{MaxSeqs: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	texts := []string{"the cat sat on the mat", "a dog ran in the park", "", "the cat sat on the mat", "rain", "sun and moon"}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(texts) || e.Dims() != 64 {
		t.Fatalf("%d vectors, dims %d", len(vs), e.Dims())
	}
	for i, v := range vs {
		if len(v) != 64 {
			t.Fatalf("vector %d has %d dims", i, len(v))
		}
		if texts[i] == "" {
			continue
		}
		var ss float64
		for _, x := range v {
			ss += float64(x) * float64(x)
		}
		if math.Abs(ss-1) > 1e-4 {
			t.Errorf("vector %d has norm² %v", i, ss)
		}
	}
	// Batching must not change a text's vector.
	alone, _ := e.Embed(context.Background(), texts[1:2])
	for j := range alone[0] {
		if math.Abs(float64(alone[0][j]-vs[1][j])) > 1e-4 {
			t.Fatalf("dim %d: alone %v, batched %v", j, alone[0][j], vs[1][j])
		}
	}
	if cos(vs[0], vs[3]) < 0.9999 || cos(vs[0], vs[1]) > 0.9999 {
		t.Errorf("cos(same) = %v, cos(different) = %v", cos(vs[0], vs[3]), cos(vs[0], vs[1]))
	}
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestLoRA(t *testing.T) {
	m := load(t, fixture(t, "tiny.gguf"))
	c := newCtx(t, m, llm.ContextOptions{})
	opts := llm.GenerateOptions{MaxTokens: 12, Sampling: greedy}
	base, _ := generate(t, c, "the sun", opts)
	a, err := m.LoadAdapter(fixture(t, "lora.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyAdapter(a, 1); err != nil {
		t.Fatal(err)
	}
	tuned, _ := generate(t, c, "the sun", opts)
	if tuned == base {
		t.Errorf("adapter did not change the output %q", base)
	}
	if err := c.RemoveAdapter(a); err != nil {
		t.Fatal(err)
	}
	if again, _ := generate(t, c, "the sun", opts); again != base {
		t.Errorf("after removing the adapter: %q, want %q", again, base)
	}
	if err := m.Close(); !errors.Is(err, llm.ErrBusy) {
		t.Errorf("closing a model with an adapter loaded: %v", err)
	}
	a.Close()

	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"wrong shape", fixture(t, "lora-other.gguf"), llm.ErrAdapter},
		{"a model, not an adapter", fixture(t, "tiny.gguf"), llm.ErrAdapter},
		{"missing", filepath.Join(t.TempDir(), "nope.gguf"), llm.ErrNotFound},
	} {
		if _, err := m.LoadAdapter(tc.path); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tiny, err := os.ReadFile(fixture(t, "tiny.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	// A well-formed file for an architecture llama.cpp does not know.
	w := gguf.NewWriter()
	w.Set("general.architecture", "carrel-imaginary")
	w.AddTensor("x", gguf.TensorF32, []uint64{4}, func(w io.Writer) error { _, err := w.Write(make([]byte, 16)); return err })
	arch := filepath.Join(dir, "arch.gguf")
	if err := w.WriteFile(context.Background(), arch); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"missing", filepath.Join(dir, "missing.gguf"), llm.ErrNotFound},
		{"folder", dir, llm.ErrNotGGUF},
		{"empty", write("empty.gguf", nil), llm.ErrNotGGUF},
		{"text", write("notes.gguf", []byte("just some notes, not a model")), llm.ErrNotGGUF},
		{"truncated", write("cut.gguf", tiny[:len(tiny)/2]), llm.ErrTruncated},
		{"header only", write("hdr.gguf", tiny[:40]), llm.ErrTruncated},
		{"unknown architecture", arch, llm.ErrUnsupportedArch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := llm.Load(context.Background(), tc.path, llm.ModelOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var le *llm.LoadError
			if !errors.As(err, &le) || le.Path != tc.path {
				t.Errorf("not a *LoadError with the path: %#v", err)
			}
		})
	}
}

func TestContextTooBigForMemory(t *testing.T) {
	m := load(t, fixture(t, "tiny.gguf"))
	_, err := m.NewContext(llm.ContextOptions{ContextSize: 1 << 30})
	if !errors.Is(err, llm.ErrOutOfMemory) {
		t.Fatalf("err = %v, want ErrOutOfMemory", err)
	}
}

func TestLifetimes(t *testing.T) {
	m, err := llm.Load(context.Background(), fixture(t, "tiny.gguf"), llm.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.NewContext(llm.ContextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); !errors.Is(err, llm.ErrBusy) {
		t.Errorf("Close with an open context: %v", err)
	}
	c.Close()
	if err := c.Close(); err != nil {
		t.Errorf("second context Close: %v", err)
	}
	if _, err := c.Generate(context.Background(), "x", llm.GenerateOptions{}, func(string) error { return nil }); !errors.Is(err, llm.ErrClosed) {
		t.Errorf("Generate after Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := m.NewContext(llm.ContextOptions{}); !errors.Is(err, llm.ErrClosed) {
		t.Errorf("NewContext after Close: %v", err)
	}
}

func TestGenerateAndEmbedConcurrently(t *testing.T) {
	m := load(t, fixture(t, "tiny.gguf"))
	c := newCtx(t, m, llm.ContextOptions{})
	e, err := m.NewEmbedder(llm.EmbedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 2; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := c.Generate(context.Background(), "the cat", llm.GenerateOptions{MaxTokens: 20}, func(string) error { return nil })
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := e.Embed(context.Background(), []string{"one", "two", "three"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestQuantize(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tiny-q8.gguf")
	if err := llm.Quantize(context.Background(), fixture(t, "tiny.gguf"), out, 7, 0); err != nil {
		t.Fatal(err)
	}
	info, err := llm.ReadInfo(out)
	if err != nil || info.Quantization != "Q8_0" {
		t.Fatalf("info = %+v, %v", info, err)
	}
	m := load(t, out)
	if o, _ := generate(t, newCtx(t, m, llm.ContextOptions{}), "the", llm.GenerateOptions{MaxTokens: 4, Sampling: greedy}); o == "" {
		t.Error("quantized model generated nothing")
	}
}

func TestDevicesAndInfo(t *testing.T) {
	devs := llm.Devices()
	var cpu *llm.Device
	for i := range devs {
		if devs[i].Kind == llm.DeviceCPU {
			cpu = &devs[i]
		}
	}
	if cpu == nil || cpu.TotalBytes == 0 {
		t.Fatalf("no CPU device with memory in %+v", devs)
	}
	m := load(t, sharedtest.Path(t, "models/stories260K.gguf"))
	info := m.Info()
	if info.Architecture != "llama" || info.VocabSize != 512 || info.ContextLength == 0 || info.EmbeddingLength == 0 {
		t.Errorf("info = %+v", info)
	}
	p := m.Placement()
	if p.Reason == "" || p.Threads < 1 || p.Threads > llm.PhysicalCores() {
		t.Errorf("placement = %+v", p)
	}
}

func TestBench(t *testing.T) {
	m := load(t, fixture(t, "tiny.gguf"))
	c := newCtx(t, m, llm.ContextOptions{})
	r, err := c.Bench(context.Background(), 64, 16, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.PromptTPS <= 0 || r.GenTPS <= 0 || r.Reps != 2 {
		t.Errorf("bench = %+v", r)
	}
}

// Prompt-lookup decoding writes exactly what plain greedy decoding writes,
// token for token, and leaves the KV cache as plain decoding would: drafts
// the model did not choose are removed, also when generation ends on a
// stop string or the length cap in the middle of a draft.
func TestPromptLookupIdentical(t *testing.T) {
	story := "Lily and Tom went to the park to play with a big red ball. They played all day. " +
		"Lily and Tom went to the park to play with a big red ball. They"
	for _, tc := range []struct {
		name, model, prompt string
		o                   llm.GenerateOptions
	}{
		{"stories", "models/stories260K.gguf", story, llm.GenerateOptions{MaxTokens: 96, Sampling: greedy}},
		{"stories, length cap mid-draft", "models/stories260K.gguf", story, llm.GenerateOptions{MaxTokens: 7, Sampling: greedy}},
		{"stories, stop string", "models/stories260K.gguf", story, llm.GenerateOptions{MaxTokens: 96, Sampling: greedy, Stop: []string{"ball"}}},
		{"stories, repeat penalty", "models/stories260K.gguf", story, llm.GenerateOptions{MaxTokens: 96, Sampling: &llm.Sampling{Temperature: 0, RepeatPenalty: 1.3, RepeatLastN: 32}}},
		{"stories, once upon a time", "models/stories260K.gguf", "Once upon a time", llm.GenerateOptions{MaxTokens: 128, Sampling: greedy}},
		{"synthetic", "tiny.gguf", story, llm.GenerateOptions{MaxTokens: 64, Sampling: greedy}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := fixture(t, tc.model)
			if strings.HasPrefix(tc.model, "models/") {
				path = sharedtest.Path(t, tc.model)
			}
			m := load(t, path)
			plainOpts, lookOpts := tc.o, tc.o
			plainOpts.Lookup, lookOpts.Lookup = llm.LookupOff, llm.LookupOn
			plain, pst := generate(t, newCtx(t, m, llm.ContextOptions{}), tc.prompt, plainOpts)
			c := newCtx(t, m, llm.ContextOptions{})
			looked, lst := generate(t, c, tc.prompt, lookOpts)
			if looked != plain || lst.GeneratedTokens != pst.GeneratedTokens || lst.Reason != pst.Reason {
				t.Fatalf("with lookup %q (%d tokens, %s)\nplain       %q (%d tokens, %s)", looked, lst.GeneratedTokens, lst.Reason, plain, pst.GeneratedTokens, pst.Reason)
			}
			if pst.Drafted != 0 || lst.Accepted > lst.Drafted {
				t.Errorf("drafts: plain %d, lookup %d accepted of %d", pst.Drafted, lst.Accepted, lst.Drafted)
			}
			// The cache holds what plain decoding leaves: the same prompt
			// again reuses it and writes the same.
			again, ast := generate(t, c, tc.prompt, lookOpts)
			if again != plain || ast.CachedTokens != ast.PromptTokens-1 {
				t.Errorf("again on the same context: %q, %d of %d prompt tokens cached", again, ast.CachedTokens, ast.PromptTokens)
			}
			t.Logf("%d tokens, %d drafted, %d accepted", lst.GeneratedTokens, lst.Drafted, lst.Accepted)
		})
	}
	// The path must have run: a story that repeats itself is drafted from.
	m := load(t, sharedtest.Path(t, "models/stories260K.gguf"))
	_, st := generate(t, newCtx(t, m, llm.ContextOptions{}), story, llm.GenerateOptions{MaxTokens: 96, Sampling: greedy, Lookup: llm.LookupOn})
	if st.Accepted == 0 {
		t.Errorf("no draft accepted: %+v", st)
	}
	// Sampling at a temperature never drafts.
	_, st = generate(t, newCtx(t, m, llm.ContextOptions{}), story, llm.GenerateOptions{MaxTokens: 32, Sampling: &llm.Sampling{Temperature: 0.8, Seed: 1}, Lookup: llm.LookupOn})
	if st.Drafted != 0 {
		t.Errorf("drafted %d tokens while sampling", st.Drafted)
	}
}

// The model predicts its own kind of text better than the same words
// shuffled: perplexity measures something real.
func TestPerplexity(t *testing.T) {
	m := load(t, sharedtest.Path(t, "models/stories260K.gguf"))
	c := newCtx(t, m, llm.ContextOptions{ContextSize: 128})
	story := strings.Repeat("Once upon a time, there was a little girl named Lily. She loved to play outside in the sun with her big red ball. One day, she saw a dog in the park and they played together all day. ", 4)
	words := strings.Fields(story)
	shuffled := make([]string, len(words))
	for i := range words {
		shuffled[i] = words[(i*37)%len(words)]
	}
	a, err := c.Perplexity(context.Background(), story)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Perplexity(context.Background(), strings.Join(shuffled, " "))
	if err != nil {
		t.Fatal(err)
	}
	if a.Tokens == 0 || a.Window != 128 || !(a.Value > 1) || !(a.Value < b.Value) {
		t.Errorf("a story: %+v; its words shuffled: %+v", a, b)
	}
	if _, err := c.Perplexity(context.Background(), "Once"); err == nil {
		t.Error("a text of one word was measured")
	}
}
