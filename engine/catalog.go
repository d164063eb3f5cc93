package engine

import (
	"context"
	"os"
	"path/filepath"

	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
)

// Model discovery and downloads, re-exported from engine/models.
type (
	FoundModel       = models.Found
	CatalogModel     = models.Entry
	DownloadProgress = models.Progress
	// Verified says how a download was checked.
	Verified = models.Verified
)

// SizeText writes a model's size in bytes as Carrel shows it: "4.7 GB".
func SizeText(b int64) string { return models.SizeText(b) }

// FindModels lists the GGUF models on this computer: those Ollama, LM
// Studio, GPT4All, Jan, llama.cpp and the Hugging Face cache keep, and
// those in the data folder's models/.
func (e *Engine) FindModels(ctx context.Context) ([]FoundModel, error) {
	return models.Discover(ctx, models.Places(models.HostEnv(e.dir)))
}

// Catalog is the list of recommended models, and the one recommended for
// this computer's memory and GPU.
func (e *Engine) Catalog() ([]CatalogModel, CatalogModel) {
	return models.Catalog, models.Recommend(Memory())
}

// Memory returns this computer's RAM and the free memory of its best GPU,
// in bytes; 0 when unknown (a build without llama.cpp).
func Memory() (ram, gpu uint64) {
	for _, d := range llm.Devices() {
		switch d.Kind {
		case llm.DeviceCPU:
			ram = d.TotalBytes
		case llm.DeviceGPU:
			gpu = max(gpu, d.FreeBytes)
		}
	}
	return ram, gpu
}

// DownloadModel downloads a catalog model into the data folder's models/
// (resuming an interrupted download) and returns its path and how it was
// verified. It is the only call of the engine that uses the network.
func (e *Engine) DownloadModel(ctx context.Context, id string, progress func(DownloadProgress)) (string, Verified, error) {
	m, err := models.Lookup(id)
	if err != nil {
		return "", "", err
	}
	dest := filepath.Join(e.dir, "models", m.File())
	if _, err := os.Stat(dest); err == nil {
		return dest, "already downloaded", nil
	}
	v, err := (&models.Downloader{}).Download(ctx, m.URL, dest, m.SHA256, progress)
	return dest, v, err
}
