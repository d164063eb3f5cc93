// Package models finds the GGUF models already on this computer (the ones
// Ollama, LM Studio, GPT4All, Jan, llama.cpp and the Hugging Face cache
// keep), offers a small curated catalog of recommended models, and
// downloads them when, and only when, the person asks: resumable, with
// progress, verified. It is the only package of the engine that touches
// the network.
package models

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// Source names a program that keeps models.
type Source string

// Sources of models.
const (
	Ollama      Source = "Ollama"
	LMStudio    Source = "LM Studio"
	GPT4All     Source = "GPT4All"
	Jan         Source = "Jan"
	LlamaCpp    Source = "llama.cpp"
	HuggingFace Source = "Hugging Face"
	Carrel      Source = "Carrel"
)

// Place is a folder where a program keeps models.
type Place struct {
	Source Source
	Dir    string
}

// Env is what discovery reads of the environment, so tests can lay out a
// fake home.
type Env struct {
	Home    string            // the user's home folder
	OS      string            // "linux", "darwin" or "windows"
	Vars    map[string]string // environment variables that move the folders
	DataDir string            // Carrel's data folder (its models/ is searched)
}

// HostEnv describes this computer.
func HostEnv(dataDir string) Env {
	home, _ := os.UserHomeDir()
	vars := map[string]string{}
	for _, k := range []string{"OLLAMA_MODELS", "LLAMA_CACHE", "HF_HUB_CACHE", "HF_HOME", "LOCALAPPDATA", "APPDATA", "XDG_CACHE_HOME", "XDG_DATA_HOME"} {
		if v := os.Getenv(k); v != "" {
			vars[k] = v
		}
	}
	return Env{Home: home, OS: runtime.GOOS, Vars: vars, DataDir: dataDir}
}

// Places lists the folders where each program keeps its models, on the
// described computer. Folders that do not exist are included: Discover
// skips them.
func Places(env Env) []Place {
	h := func(p ...string) string { return filepath.Join(append([]string{env.Home}, p...)...) }
	v := func(k, def string) string {
		if s := env.Vars[k]; s != "" {
			return s
		}
		return def
	}
	var out []Place
	add := func(s Source, dirs ...string) {
		for _, d := range dirs {
			if d != "" {
				out = append(out, Place{s, d})
			}
		}
	}
	if env.DataDir != "" {
		add(Carrel, filepath.Join(env.DataDir, "models"))
	}
	add(Ollama, v("OLLAMA_MODELS", h(".ollama", "models")))
	if env.OS == "linux" && env.Vars["OLLAMA_MODELS"] == "" {
		add(Ollama, "/usr/share/ollama/.ollama/models") // the Linux service's own
	}
	add(LMStudio, h(".lmstudio", "models"), h(".cache", "lm-studio", "models"))
	cache := v("XDG_CACHE_HOME", h(".cache"))
	data := v("XDG_DATA_HOME", h(".local", "share"))
	switch env.OS {
	case "darwin":
		sup := h("Library", "Application Support")
		add(GPT4All, filepath.Join(sup, "nomic.ai", "GPT4All"))
		add(Jan, filepath.Join(sup, "Jan", "data", "llamacpp", "models"), h("jan", "models"))
		add(LlamaCpp, v("LLAMA_CACHE", h("Library", "Caches", "llama.cpp")))
	case "windows":
		local := v("LOCALAPPDATA", h("AppData", "Local"))
		roaming := v("APPDATA", h("AppData", "Roaming"))
		add(GPT4All, filepath.Join(local, "nomic.ai", "GPT4All"))
		add(Jan, filepath.Join(roaming, "Jan", "data", "llamacpp", "models"), h("jan", "models"))
		add(LlamaCpp, v("LLAMA_CACHE", filepath.Join(local, "llama.cpp")))
	default:
		add(GPT4All, filepath.Join(data, "nomic.ai", "GPT4All"))
		add(Jan, filepath.Join(data, "Jan", "data", "llamacpp", "models"), h("jan", "models"))
		add(LlamaCpp, v("LLAMA_CACHE", filepath.Join(cache, "llama.cpp")))
	}
	hub := env.Vars["HF_HUB_CACHE"]
	if hub == "" {
		hub = filepath.Join(v("HF_HOME", h(".cache", "huggingface")), "hub")
	}
	add(HuggingFace, hub)
	return out
}

// Found is a GGUF model file found on this computer.
type Found struct {
	Path   string
	Source Source
	// Name is what the program calls it ("llama3.2:3b" in Ollama,
	// "org/repo" in the Hugging Face cache), else the model's own name.
	Name      string
	Info      gguf.Info
	Embedding bool // an embedding model rather than a chat model
}

// walk limits: model folders are shallow, and a home folder pointed at by
// mistake must not be crawled whole.
const (
	maxDepth = 6
	maxFiles = 20000
)

// Discover lists the GGUF models in places, each file once (the first
// place that holds it wins; links are followed). Files that are not
// readable GGUF models, LoRA adapters and vision projectors are left out.
func Discover(ctx context.Context, places []Place) ([]Found, error) {
	var out []Found
	seen := map[string]bool{}
	add := func(f Found) {
		real, err := filepath.EvalSymlinks(f.Path)
		if err != nil || seen[real] {
			return
		}
		seen[real] = true
		info, err := gguf.ReadInfo(f.Path)
		if err != nil || info.Adapter || strings.HasPrefix(strings.ToLower(filepath.Base(f.Path)), "mmproj") || info.Architecture == "clip" {
			return
		}
		f.Info = info
		f.Embedding = isEmbedding(info)
		if f.Name == "" {
			f.Name = info.Name
		}
		out = append(out, f)
	}
	for _, p := range places {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if st, err := os.Stat(p.Dir); err != nil || !st.IsDir() {
			continue
		}
		switch p.Source {
		case Ollama:
			for _, f := range ollamaModels(p.Dir) {
				add(f)
			}
		case HuggingFace:
			for _, path := range ggufFiles(ctx, p.Dir) {
				add(Found{Path: path, Source: p.Source, Name: hfName(p.Dir, path)})
			}
		default:
			for _, path := range ggufFiles(ctx, p.Dir) {
				add(Found{Path: path, Source: p.Source})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Embedding != out[j].Embedding {
			return !out[i].Embedding
		}
		return out[i].Info.FileSize < out[j].Info.FileSize
	})
	return out, nil
}

// isEmbedding tells embedding models (BERT-style, with their own pooling)
// from chat models.
func isEmbedding(info gguf.Info) bool {
	switch info.Architecture {
	case "bert", "nomic-bert", "jina-bert-v2", "nomic-bert-moe", "modern-bert", "t5encoder":
		return true
	}
	return info.Pooling != "" && info.Pooling != "none"
}

// ggufFiles walks dir (not too deep, following no links to folders) for
// files ending in .gguf.
func ggufFiles(ctx context.Context, dir string) []string {
	var out []string
	n := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if n++; n > maxFiles {
			return fs.SkipAll
		}
		if d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			if rel != "." && (strings.Count(rel, string(filepath.Separator)) >= maxDepth || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.EqualFold(filepath.Ext(path), ".gguf") {
			out = append(out, path)
		}
		return nil
	})
	return out
}

// hfName names a file in the Hugging Face cache by its repository:
// hub/models--org--repo/snapshots/REV/file.gguf is "org/repo".
func hfName(hub, path string) string {
	rel, err := filepath.Rel(hub, path)
	if err != nil {
		return ""
	}
	top := strings.Split(filepath.ToSlash(rel), "/")[0]
	repo, ok := strings.CutPrefix(top, "models--")
	if !ok {
		return ""
	}
	return strings.ReplaceAll(repo, "--", "/")
}

// ollamaManifest is the part of an Ollama manifest that locates the model.
type ollamaManifest struct {
	Layers []struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
	} `json:"layers"`
}

// ollamaModels reads Ollama's manifests: manifests/HOST/NAMESPACE/MODEL/TAG
// name a model whose weights are the blob of the layer of media type
// application/vnd.ollama.image.model, stored as blobs/sha256-HEX.
func ollamaModels(dir string) []Found {
	root := filepath.Join(dir, "manifests")
	var out []Found
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) < 4 {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil || len(data) > 1<<20 {
			return nil
		}
		var m ollamaManifest
		if json.Unmarshal(data, &m) != nil {
			return nil
		}
		for _, l := range m.Layers {
			if l.MediaType != "application/vnd.ollama.image.model" {
				continue
			}
			hex, ok := strings.CutPrefix(l.Digest, "sha256:")
			if !ok || strings.ContainsAny(hex, `/\.`) {
				continue
			}
			out = append(out, Found{Path: filepath.Join(dir, "blobs", "sha256-"+hex), Source: Ollama, Name: ollamaName(parts)})
		}
		return nil
	})
	return out
}

// ollamaName writes a model's name as Ollama shows it: "llama3.2:3b" for
// the default registry's library, else "host/namespace/model:tag".
func ollamaName(parts []string) string {
	host, tag := parts[0], parts[len(parts)-1]
	path := strings.Join(parts[1:len(parts)-1], "/")
	if host == "registry.ollama.ai" {
		path = strings.TrimPrefix(path, "library/")
		return path + ":" + tag
	}
	return host + "/" + path + ":" + tag
}

// MemoryNeeded estimates the memory a model needs to answer: its weights,
// plus a working margin for the context and buffers.
func MemoryNeeded(info gguf.Info) uint64 {
	return uint64(float64(info.FileSize)*1.15) + 512<<20
}
