package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// fakeGGUF returns a small valid GGUF file: a model header of the given
// architecture with one tensor of padding, so files differ in size.
func fakeGGUF(t testing.TB, arch, name string, pad int) []byte {
	t.Helper()
	w := gguf.NewWriter()
	w.Set("general.architecture", arch)
	w.Set("general.name", name)
	w.Set("general.file_type", uint32(15)) // Q4_K_M
	w.Set(arch+".context_length", uint32(4096))
	if arch == "bert" {
		w.Set("bert.pooling_type", uint32(2))
	}
	w.AddTensor("pad", gguf.TensorF32, []uint64{uint64(pad)}, func(w io.Writer) error {
		_, err := w.Write(make([]byte, 4*pad))
		return err
	})
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDiscover lays out a home folder exactly as each program stores its
// models and checks that every model is found once, under its name.
func TestDiscover(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		t.Run(goos, func(t *testing.T) {
			home := t.TempDir()
			h := func(p ...string) string { return filepath.Join(append([]string{home}, p...)...) }
			data := h("carrel-data")
			env := Env{Home: home, OS: goos, Vars: map[string]string{}, DataDir: data}

			// Ollama: a manifest naming a blob, plus an unrelated layer.
			blob := fakeGGUF(t, "llama", "Llama 3.2 3B Instruct", 10)
			sum := sha256.Sum256(blob)
			digest := hex.EncodeToString(sum[:])
			write(t, h(".ollama", "models", "blobs", "sha256-"+digest), blob)
			write(t, h(".ollama", "models", "blobs", "sha256-"+strings.Repeat("0", 64)), []byte("{{ .Prompt }}"))
			write(t, h(".ollama", "models", "manifests", "registry.ollama.ai", "library", "llama3.2", "3b"), []byte(`{"schemaVersion":2,
				"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:`+strings.Repeat("1", 64)+`"},
				"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:`+digest+`","size":1},
				          {"mediaType":"application/vnd.ollama.image.template","digest":"sha256:`+strings.Repeat("0", 64)+`","size":1}]}`))
			// The same model under a second tag is listed once.
			write(t, h(".ollama", "models", "manifests", "registry.ollama.ai", "library", "llama3.2", "latest"), []byte(`{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:`+digest+`"}]}`))
			// A manifest with a hostile digest is ignored.
			write(t, h(".ollama", "models", "manifests", "registry.ollama.ai", "evil", "x", "1"), []byte(`{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:../../../etc/passwd"}]}`))

			// LM Studio: publisher/repo/file, with a vision projector to skip.
			write(t, h(".lmstudio", "models", "lmstudio-community", "Qwen2.5-7B-Instruct-GGUF", "Qwen2.5-7B-Instruct-Q4_K_M.gguf"), fakeGGUF(t, "qwen2", "Qwen2.5 7B Instruct", 20))
			write(t, h(".lmstudio", "models", "lmstudio-community", "Qwen2.5-7B-Instruct-GGUF", "mmproj-model-f16.gguf"), fakeGGUF(t, "clip", "projector", 3))

			var gpt4all, jan, llamacpp string
			switch goos {
			case "darwin":
				gpt4all = h("Library", "Application Support", "nomic.ai", "GPT4All")
				jan = h("Library", "Application Support", "Jan", "data", "llamacpp", "models")
				llamacpp = h("Library", "Caches", "llama.cpp")
			case "windows":
				env.Vars["LOCALAPPDATA"] = h("AppData", "Local")
				env.Vars["APPDATA"] = h("AppData", "Roaming")
				gpt4all = h("AppData", "Local", "nomic.ai", "GPT4All")
				jan = h("AppData", "Roaming", "Jan", "data", "llamacpp", "models")
				llamacpp = h("AppData", "Local", "llama.cpp")
			default:
				gpt4all = h(".local", "share", "nomic.ai", "GPT4All")
				jan = h(".local", "share", "Jan", "data", "llamacpp", "models")
				llamacpp = h(".cache", "llama.cpp")
			}
			write(t, filepath.Join(gpt4all, "Meta-Llama-3-8B-Instruct.Q4_0.gguf"), fakeGGUF(t, "llama", "Meta Llama 3 8B", 30))
			write(t, filepath.Join(gpt4all, "localdocs_v2.db"), []byte("not a model"))
			write(t, filepath.Join(jan, "gemma-2-2b-it", "model.gguf"), fakeGGUF(t, "gemma2", "Gemma 2 2B", 40))
			write(t, filepath.Join(llamacpp, "bartowski_Phi-3.5-mini-instruct-GGUF_Phi-3.5-mini-instruct-Q4_K_M.gguf"), fakeGGUF(t, "phi3", "Phi 3.5 mini", 50))
			write(t, filepath.Join(llamacpp, "broken.gguf"), []byte("GGUF\x03\x00\x00\x00 cut short"))

			// Hugging Face cache: snapshots link to blobs.
			hub := h(".cache", "huggingface", "hub", "models--nomic-ai--nomic-embed-text-v1.5-GGUF")
			write(t, filepath.Join(hub, "blobs", "abc123"), fakeGGUF(t, "bert", "nomic-embed-text-v1.5", 5))
			os.MkdirAll(filepath.Join(hub, "snapshots", "rev1"), 0o755)
			if err := os.Symlink(filepath.Join("..", "..", "blobs", "abc123"), filepath.Join(hub, "snapshots", "rev1", "nomic-embed-text-v1.5.Q8_0.gguf")); err != nil {
				t.Skip("symlinks unavailable:", err)
			}
			// Carrel's own models folder.
			write(t, filepath.Join(data, "models", "mine.gguf"), fakeGGUF(t, "llama", "My fine-tune", 60))

			found, err := Discover(context.Background(), Places(env))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Found{}
			for _, f := range found {
				if _, dup := got[f.Name]; dup {
					t.Errorf("%s listed twice", f.Name)
				}
				got[f.Name] = f
			}
			want := map[string]Source{
				"llama3.2:3b": Ollama, "Qwen2.5 7B Instruct": LMStudio, "Meta Llama 3 8B": GPT4All, "Gemma 2 2B": Jan,
				"Phi 3.5 mini": LlamaCpp, "nomic-ai/nomic-embed-text-v1.5-GGUF": HuggingFace, "My fine-tune": Carrel,
			}
			if len(got) != len(want) {
				t.Errorf("found %d models, want %d: %v", len(got), len(want), names(found))
			}
			for name, src := range want {
				f, ok := got[name]
				if !ok {
					t.Errorf("%s (%s) not found; found %v", name, src, names(found))
					continue
				}
				if f.Source != src || f.Info.Quantization != "Q4_K_M" || f.Info.FileSize == 0 {
					t.Errorf("%s: %+v", name, f)
				}
			}
			if f := got["nomic-ai/nomic-embed-text-v1.5-GGUF"]; !f.Embedding {
				t.Error("the BERT model is not marked as an embedding model")
			}
			if found[len(found)-1].Name != "nomic-ai/nomic-embed-text-v1.5-GGUF" {
				t.Error("embedding models should come after chat models")
			}
		})
	}
}

func names(fs []Found) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Source)+":"+f.Name)
	}
	return out
}

func TestPlacesHonourEnvironment(t *testing.T) {
	env := Env{Home: "/home/u", OS: "linux", Vars: map[string]string{"OLLAMA_MODELS": "/srv/ollama", "HF_HOME": "/data/hf", "LLAMA_CACHE": "/x/llama"}}
	got := map[string]bool{}
	for _, p := range Places(env) {
		got[string(p.Source)+" "+p.Dir] = true
	}
	for _, want := range []string{"Ollama /srv/ollama", "Hugging Face /data/hf/hub", "llama.cpp /x/llama"} {
		if !got[want] {
			t.Errorf("missing %q in %v", want, got)
		}
	}
	if got["Ollama /usr/share/ollama/.ollama/models"] {
		t.Error("OLLAMA_MODELS should replace the default folders")
	}
}

func TestCatalog(t *testing.T) {
	ids := map[ID]bool{}
	for _, e := range Catalog {
		if ids[e.ID] || e.URL == "" || !strings.HasSuffix(e.File(), ".gguf") || e.Size <= 0 || e.RAM <= 0 || e.License == "" || e.Note == "" {
			t.Errorf("bad entry %+v", e)
		}
		ids[e.ID] = true
	}
	if e, err := Lookup(" Qwen3-1.7B "); err != nil || e.ID != Qwen3_17B {
		t.Errorf("lookup: %+v %v", e, err)
	}
	if _, err := Lookup("gpt-5"); err == nil || !strings.Contains(err.Error(), string(Qwen3_06B)) {
		t.Errorf("unknown id: %v", err)
	}
	for _, tc := range []struct {
		ram, gpu uint64
		cores    int
		want     ID
	}{
		{2 * gb, 0, 8, Qwen3_06B},
		{4 * gb, 0, 8, Gemma3_1B},
		{8 * gb, 0, 8, Qwen3_17B},  // 1.7B starts in 9 s on 8 cores; 3B would take 16 s
		{24 * gb, 0, 2, Qwen3_06B}, // plenty of memory, 2 cores: a 1B model takes 22 s to start
		{64 * gb, 0, 16, Qwen3_4B}, // 4B starts in 11 s on 16 cores; 8B writes too slowly on a CPU
		{16 * gb, 8 * gb, 2, Qwen3_8B},
	} {
		if got := Recommend(tc.ram, tc.gpu, tc.cores); got.ID != tc.want {
			t.Errorf("Recommend(%d GiB, %d GiB GPU, %d cores) = %s (first word in %v), want %s", tc.ram/gb, tc.gpu/gb, tc.cores, got.ID, FirstWordEstimate(got, tc.cores), tc.want)
		}
	}
}

// server serves one file with range support and Hugging Face's checksum
// header; it can stall after some bytes and counts range requests.
type server struct {
	data    []byte
	sum     string
	ranges  atomic.Int32
	noRange bool
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/model.gguf" {
		http.NotFound(w, r)
		return
	}
	if s.sum != "" {
		w.Header().Set("X-Linked-Etag", `"`+s.sum+`"`)
	}
	if r.Header.Get("Range") != "" {
		s.ranges.Add(1)
		if s.noRange {
			r.Header.Del("Range")
		}
	}
	http.ServeContent(w, r, "model.gguf", time.Time{}, bytes.NewReader(s.data))
}

func newServer(t *testing.T, data []byte) (*server, *httptest.Server) {
	sum := sha256.Sum256(data)
	s := &server{data: data, sum: hex.EncodeToString(sum[:])}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

func TestDownload(t *testing.T) {
	data := fakeGGUF(t, "llama", "Tiny", 300_000) // 1.2 MB
	ctx := context.Background()

	t.Run("whole, verified by the server's checksum", func(t *testing.T) {
		_, ts := newServer(t, data)
		dest := filepath.Join(t.TempDir(), "m.gguf")
		var last Progress
		v, err := (&Downloader{}).Download(ctx, ts.URL+"/model.gguf", dest, "", func(p Progress) { last = p })
		if err != nil {
			t.Fatal(err)
		}
		if v != VerifiedServer || last.Done != int64(len(data)) || last.Total != int64(len(data)) {
			t.Errorf("verified %q, last progress %+v", v, last)
		}
		if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
			t.Error("content differs")
		}
		if _, err := os.Stat(dest + ".part"); !os.IsNotExist(err) {
			t.Error("the partial file was left behind")
		}
	})

	t.Run("pinned checksum", func(t *testing.T) {
		_, ts := newServer(t, data)
		sum := sha256.Sum256(data)
		v, err := (&Downloader{}).Download(ctx, ts.URL+"/model.gguf", filepath.Join(t.TempDir(), "m.gguf"), hex.EncodeToString(sum[:]), nil)
		if err != nil || v != VerifiedPinned {
			t.Errorf("%q, %v", v, err)
		}
	})

	t.Run("resume", func(t *testing.T) {
		s, ts := newServer(t, data)
		dest := filepath.Join(t.TempDir(), "m.gguf")
		write(t, dest+".part", data[:len(data)/3])
		var first Progress
		_, err := (&Downloader{}).Download(ctx, ts.URL+"/model.gguf", dest, "", func(p Progress) {
			if first.Done == 0 {
				first = p
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if s.ranges.Load() != 1 || first.Done <= int64(len(data)/3) {
			t.Errorf("%d range requests, first progress %+v: the download did not resume", s.ranges.Load(), first)
		}
		if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
			t.Error("resumed content differs")
		}
	})

	t.Run("server without ranges restarts", func(t *testing.T) {
		s, ts := newServer(t, data)
		s.noRange = true
		dest := filepath.Join(t.TempDir(), "m.gguf")
		write(t, dest+".part", []byte("garbage that must not stay"))
		if _, err := (&Downloader{}).Download(ctx, ts.URL+"/model.gguf", dest, "", nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
			t.Error("content differs after a restart")
		}
	})

	t.Run("checksum mismatch", func(t *testing.T) {
		s, ts := newServer(t, data)
		s.sum = strings.Repeat("ab", 32)
		dest := filepath.Join(t.TempDir(), "m.gguf")
		if _, err := (&Downloader{}).Download(ctx, ts.URL+"/model.gguf", dest, "", nil); !errors.Is(err, ErrChecksum) {
			t.Fatalf("err %v", err)
		}
		for _, p := range []string{dest, dest + ".part"} {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("%s kept after a checksum mismatch", p)
			}
		}
	})

	t.Run("not a model", func(t *testing.T) {
		_, ts := newServer(t, []byte("<html>Sign in to download</html>"))
		dest := filepath.Join(t.TempDir(), "m.gguf")
		if _, err := (&Downloader{}).Download(ctx, ts.URL+"/model.gguf", dest, "", nil); err == nil || !strings.Contains(err.Error(), "not a usable GGUF") {
			t.Fatalf("err %v", err)
		}
	})

	t.Run("missing", func(t *testing.T) {
		_, ts := newServer(t, data)
		if _, err := (&Downloader{}).Download(ctx, ts.URL+"/nope.gguf", filepath.Join(t.TempDir(), "m.gguf"), "", nil); err == nil || !strings.Contains(err.Error(), "404") {
			t.Fatalf("err %v", err)
		}
	})

	t.Run("cancel keeps the part for later", func(t *testing.T) {
		_, ts := newServer(t, data)
		dest := filepath.Join(t.TempDir(), "m.gguf")
		cctx, cancel := context.WithCancel(ctx)
		d := &Downloader{open: func(name string, flag int) (io.WriteCloser, error) {
			f, err := os.OpenFile(name, flag, 0o644)
			return &cancelAfter{f: f, n: 300_000, cancel: cancel}, err
		}}
		if _, err := d.Download(cctx, ts.URL+"/model.gguf", dest, "", nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
		st, err := os.Stat(dest + ".part")
		if err != nil || st.Size() == 0 || st.Size() >= int64(len(data)) {
			t.Fatalf("partial file after cancel: %v, %v", st, err)
		}
		if _, err := (&Downloader{}).Download(ctx, ts.URL+"/model.gguf", dest, "", nil); err != nil {
			t.Fatalf("resuming after cancel: %v", err)
		}
		if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
			t.Error("content differs after cancel and resume")
		}
	})

	t.Run("disk full", func(t *testing.T) {
		_, ts := newServer(t, data)
		dest := filepath.Join(t.TempDir(), "m.gguf")
		d := &Downloader{open: func(name string, flag int) (io.WriteCloser, error) {
			f, err := os.OpenFile(name, flag, 0o644)
			return &fullAfter{f: f, n: 500_000}, err
		}}
		if _, err := d.Download(ctx, ts.URL+"/model.gguf", dest, "", nil); !errors.Is(err, ErrDiskFull) {
			t.Fatalf("err %v", err)
		}
		if st, err := os.Stat(dest + ".part"); err != nil || st.Size() != 500_000 {
			t.Errorf("the partial file should keep what was written: %v %v", st, err)
		}
	})
}

// fullAfter fails with ENOSPC once n bytes are written.
type fullAfter struct {
	f *os.File
	n int
}

func (w *fullAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k, _ := w.f.Write(p[:w.n])
		w.n = 0
		return k, &os.PathError{Op: "write", Path: w.f.Name(), Err: syscall.ENOSPC}
	}
	w.n -= len(p)
	return w.f.Write(p)
}
func (w *fullAfter) Close() error { return w.f.Close() }

// cancelAfter cancels the download once n bytes are written.
type cancelAfter struct {
	f      *os.File
	n      int
	cancel func()
}

func (w *cancelAfter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n <= 0 {
		w.cancel()
	}
	return w.f.Write(p)
}
func (w *cancelAfter) Close() error { return w.f.Close() }

func TestSizeText(t *testing.T) {
	for _, tc := range []struct {
		b    int64
		want string
	}{
		{812 << 10, "812 KB"},
		{639 << 20, "639 MB"},
		{4_724_464_026, "4.4 GB"},
	} {
		if got := SizeText(tc.b); got != tc.want {
			t.Errorf("SizeText(%d) = %q, want %q", tc.b, got, tc.want)
		}
	}
}

// A server that cannot be reached is said in a person's words: offline,
// or not answering, naming the host once.
func TestDownloadOffline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, tc := range []struct {
		url, want string
	}{
		{"http://carrel-download-test.invalid/model.gguf", "You appear to be offline"},
		{"http://" + closed + "/model.gguf", "does not answer"},
	} {
		_, err := (&Downloader{}).Download(context.Background(), tc.url, filepath.Join(t.TempDir(), "m.gguf"), "", nil)
		if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "model.gguf") != 0 {
			t.Errorf("%s: %v", tc.url, err)
		}
	}
}
