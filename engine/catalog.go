package engine

import (
	"context"

	"github.com/carrel-ai/carrel/engine/gguf"
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

// ModelInfo describes a GGUF model from its header.
type ModelInfo = gguf.Info

// Kinds of catalog entries.
const (
	EmbeddingModel = models.Embedding // embeds text, for search by meaning
	RerankingModel = models.Reranker  // re-orders a search's best passages
)

// ReadModelInfo reads a model's description from its GGUF header, without
// loading it. Its errors match ErrModelNotFound or ErrNotAModel.
func ReadModelInfo(path string) (ModelInfo, error) { return llm.ReadInfo(path) }

// LookupModel finds a catalog model by id.
func LookupModel(id string) (CatalogModel, error) { return models.Lookup(id) }

// MemoryNeeded estimates the memory a model needs to run.
func MemoryNeeded(info ModelInfo) uint64 { return models.MemoryNeeded(info) }

// CatalogModels is the list of recommended models, and the one
// recommended for this computer's memory, GPU and cores.
func CatalogModels() ([]CatalogModel, CatalogModel) {
	ram, gpu := Memory()
	return models.Catalog, models.Recommend(ram, gpu, llm.PhysicalCores())
}

// FindModelsFor lists the GGUF models on this computer, as FindModels
// does, for a data folder that is not open.
func FindModelsFor(ctx context.Context, dataDir string) ([]FoundModel, error) {
	return models.Discover(ctx, models.Places(models.HostEnv(dataDir)))
}

// ModelFile is where a catalog model is (or will be) downloaded in a data
// folder.
func ModelFile(dataDir string, m CatalogModel) string { return models.FileIn(dataDir, m) }

// DownloadModelTo downloads a catalog model into a data folder's models/
// (resuming an interrupted download) and returns its path and how it was
// verified. With DownloadModel, the only calls of the engine that use the
// network.
func DownloadModelTo(ctx context.Context, dataDir, id string, progress func(DownloadProgress)) (string, Verified, error) {
	return models.DownloadInto(ctx, dataDir, id, progress)
}

// SizeText writes a model's size in bytes as Carrel shows it: "4.7 GB".
func SizeText(b int64) string { return models.SizeText(b) }

// ParamsText writes a parameter count as model names do: "1.24B".
func ParamsText(n int64) string { return models.ParamsText(n) }

// FindModels lists the GGUF models on this computer: those Ollama, LM
// Studio, GPT4All, Jan, llama.cpp and the Hugging Face cache keep, and
// those in the data folder's models/.
func (e *Engine) FindModels(ctx context.Context) ([]FoundModel, error) {
	return FindModelsFor(ctx, e.dir)
}

// Catalog is the list of recommended models, and the one recommended for
// this computer's memory and GPU.
func (e *Engine) Catalog() ([]CatalogModel, CatalogModel) { return CatalogModels() }

// Memory returns this computer's RAM and the free memory of its best GPU,
// in bytes; 0 when unknown (a build without llama.cpp).
func Memory() (ram, gpu uint64) { return llm.Memory() }

// DownloadModel downloads a catalog model into the data folder's models/
// (resuming an interrupted download) and returns its path and how it was
// verified. It is the only call of the engine that uses the network.
func (e *Engine) DownloadModel(ctx context.Context, id string, progress func(DownloadProgress)) (string, Verified, error) {
	return DownloadModelTo(ctx, e.dir, id, progress)
}
