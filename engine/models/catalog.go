package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ID names a catalog model.
type ID string

// Catalog models.
const (
	Qwen3_06B        ID = "qwen3-0.6b"
	Gemma3_1B        ID = "gemma-3-1b-it"
	Qwen3_17B        ID = "qwen3-1.7b"
	SmolLM3_3B       ID = "smollm3-3b"
	Gemma3_4B        ID = "gemma-3-4b-it"
	Qwen3_4B         ID = "qwen3-4b"
	Qwen3_8B         ID = "qwen3-8b"
	NomicEmbed15     ID = "nomic-embed-text-v1.5"
	BGESmallEN15     ID = "bge-small-en-v1.5"
	MiniLML6         ID = "all-minilm-l6-v2" // ships with Carrel
	E5SmallMulti     ID = "multilingual-e5-small"
	EmbeddingGemma03 ID = "embeddinggemma-300m"
	JinaRerankV1     ID = "jina-reranker-v1-tiny-en"
	BGERerankM3      ID = "bge-reranker-v2-m3"
)

// Kind says what a model is for.
type Kind string

// Kinds of model.
const (
	Chat      Kind = "chat"
	Embedding Kind = "embedding"
	Reranker  Kind = "reranker" // scores a question and a passage together
)

// Entry is a recommended model.
type Entry struct {
	ID      ID
	Name    string
	Kind    Kind
	Params  string // parameters, as people say it ("3B")
	Quant   string
	Size    int64 // bytes of the file, approximately
	RAM     int64 // memory needed to run it with a 4k context, approximately
	License string
	URL     string // where the file is downloaded from
	// SHA256 pins the file's checksum. Entries without one are verified
	// against the checksum the server reports for its file (Hugging Face
	// sends the SHA-256 of LFS files), and always by size and GGUF header.
	SHA256 string
	Note   string // what it is good for, in plain words
	// Bundled is true for the model that ships with Carrel (nothing to
	// download).
	Bundled bool
	// Multilingual is true for models trained on many languages.
	Multilingual bool
}

// File is the name the download is saved under.
func (e Entry) File() string { return e.URL[strings.LastIndex(e.URL, "/")+1:] }

const gb = 1 << 30

func hf(repo, file string) string { return "https://huggingface.co/" + repo + "/resolve/main/" + file }

// Gemma is the licence of Google's Gemma models: free to use and share,
// under its use policy.
const gemmaLicense = "Gemma Terms of Use"

// Catalog is the curated list, smallest first within each kind: the
// current small instruct models (Qwen3, Gemma 3, SmolLM3; their
// architectures are in the vendored llama.cpp and each is tested with a
// tiny model of its architecture) and small embedders. File names are
// those of the publishers' repositories (or ggml.ai's and Unsloth's
// conversions) in 2026; sizes are approximate and were not re-checked
// online from this build machine: a download is verified by the checksum
// the server reports, its size and its GGUF header.
var Catalog = []Entry{
	{ID: Qwen3_06B, Name: "Qwen3 0.6B", Kind: Chat, Params: "0.6B", Quant: "Q8_0", Size: 639 << 20, RAM: 1 * gb,
		License: "Apache-2.0", URL: hf("Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf"), Multilingual: true,
		Note: "Tiny and quick on any computer; short answers in many languages. Good for trying Carrel out."},
	{ID: Gemma3_1B, Name: "Gemma 3 1B Instruct", Kind: Chat, Params: "1B", Quant: "Q4_K_M", Size: 806 << 20, RAM: 2 * gb,
		License: gemmaLicense, URL: hf("ggml-org/gemma-3-1b-it-GGUF", "gemma-3-1b-it-Q4_K_M.gguf"),
		Note: "Fast on laptops without a graphics card; fine for finding and quoting facts."},
	{ID: Qwen3_17B, Name: "Qwen3 1.7B", Kind: Chat, Params: "1.7B", Quant: "Q8_0", Size: 1834 << 20, RAM: 3 * gb,
		License: "Apache-2.0", URL: hf("Qwen/Qwen3-1.7B-GGUF", "Qwen3-1.7B-Q8_0.gguf"), Multilingual: true,
		Note: "Careful answers on most laptops with 8 GB of memory, in about 100 languages."},
	{ID: SmolLM3_3B, Name: "SmolLM3 3B", Kind: Chat, Params: "3B", Quant: "Q4_K_M", Size: 1966 << 20, RAM: 4 * gb,
		License: "Apache-2.0", URL: hf("unsloth/SmolLM3-3B-GGUF", "SmolLM3-3B-Q4_K_M.gguf"),
		Note: "Fully open (data and training published); English, French, Spanish, German, Italian and Portuguese; long documents."},
	{ID: Gemma3_4B, Name: "Gemma 3 4B Instruct", Kind: Chat, Params: "4B", Quant: "Q4_K_M", Size: 2550 << 20, RAM: 5 * gb,
		License: gemmaLicense, URL: hf("ggml-org/gemma-3-4b-it-GGUF", "gemma-3-4b-it-Q4_K_M.gguf"), Multilingual: true,
		Note: "Good, well-written answers in many languages; wants 8 GB of memory, or a graphics card."},
	{ID: Qwen3_4B, Name: "Qwen3 4B", Kind: Chat, Params: "4B", Quant: "Q4_K_M", Size: 2560 << 20, RAM: 5 * gb,
		License: "Apache-2.0", URL: hf("Qwen/Qwen3-4B-GGUF", "Qwen3-4B-Q4_K_M.gguf"), Multilingual: true,
		Note: "A good balance of speed and care with 16 GB of memory or a graphics card."},
	{ID: Qwen3_8B, Name: "Qwen3 8B", Kind: Chat, Params: "8B", Quant: "Q4_K_M", Size: 5150 << 20, RAM: 8 * gb,
		License: "Apache-2.0", URL: hf("Qwen/Qwen3-8B-GGUF", "Qwen3-8B-Q4_K_M.gguf"), Multilingual: true,
		Note: "The most capable here; best with a graphics card or Apple Silicon and 16 GB of memory."},
	{ID: BGESmallEN15, Name: "BGE small English v1.5", Kind: Embedding, Params: "33M", Quant: "Q8_0", Size: 36 << 20, RAM: 256 << 20,
		License: "MIT", URL: hf("CompendiumLabs/bge-small-en-v1.5-gguf", "bge-small-en-v1.5-q8_0.gguf"),
		Note: "Small and fast search by meaning, for English documents."},
	{ID: NomicEmbed15, Name: "Nomic Embed Text v1.5", Kind: Embedding, Params: "137M", Quant: "Q8_0", Size: 146 << 20, RAM: 512 << 20,
		License: "Apache-2.0", URL: hf("nomic-ai/nomic-embed-text-v1.5-GGUF", "nomic-embed-text-v1.5.Q8_0.gguf"),
		Note: "Search by meaning with long passages; English."},
	{ID: MiniLML6, Name: "all-MiniLM-L6-v2", Kind: Embedding, Params: "22M", Quant: "Q4_K_M", Size: BundledSize, RAM: 128 << 20,
		License: "Apache-2.0", URL: "https://github.com/mutablelogic/go-llama/raw/v0.0.11/" + BundledModulePath, SHA256: BundledSHA256, Bundled: true,
		Note: "Built in: search by meaning from the first start, for English text."},
	{ID: E5SmallMulti, Name: "multilingual-e5-small", Kind: Embedding, Params: "118M", Quant: "Q8_0", Size: 125 << 20, RAM: 384 << 20,
		License: "MIT", URL: hf("cstr/multilingual-e5-small-GGUF", "multilingual-e5-small-q8_0.gguf"), Multilingual: true,
		Note: "Search by meaning in about 100 languages, Chinese, Japanese, Korean, Arabic and Russian among them."},
	{ID: EmbeddingGemma03, Name: "EmbeddingGemma 300M", Kind: Embedding, Params: "300M", Quant: "Q8_0", Size: 314 << 20, RAM: 768 << 20,
		License: gemmaLicense, URL: hf("ggml-org/embeddinggemma-300M-GGUF", "embeddinggemma-300M-Q8_0.gguf"), Multilingual: true,
		Note: "Better search by meaning in over 100 languages; larger and slower than multilingual-e5-small."},
	{ID: JinaRerankV1, Name: "Jina Reranker v1 tiny (English)", Kind: Reranker, Params: "33M", Quant: "F16", Size: 68 << 20, RAM: 256 << 20,
		License: "Apache-2.0", URL: hf("ggml-org/models", "jina-reranker-v1-tiny-en/ggml-model-f16.gguf"),
		Note: "Re-orders the best passages by reading question and passage together; small and quick, English."},
	{ID: BGERerankM3, Name: "BGE Reranker v2 M3", Kind: Reranker, Params: "568M", Quant: "Q4_K_M", Size: 438 << 20, RAM: 1 * gb,
		License: "Apache-2.0", URL: hf("gpustack/bge-reranker-v2-m3-GGUF", "bge-reranker-v2-m3-Q4_K_M.gguf"), Multilingual: true,
		Note: "Re-orders the best passages by reading question and passage together; many languages, slower."},
}

// Multilingual is the catalog's suggestion for libraries in languages the
// bundled model does not know.
const Multilingual = E5SmallMulti

// Lookup finds a catalog entry by its ID.
func Lookup(id string) (Entry, error) {
	for _, e := range Catalog {
		if string(e.ID) == strings.ToLower(strings.TrimSpace(id)) {
			return e, nil
		}
	}
	var ids []string
	for _, e := range Catalog {
		ids = append(ids, string(e.ID))
	}
	return Entry{}, fmt.Errorf("models: no catalog model %q; choose one of %s", id, strings.Join(ids, ", "))
}

// Recommend picks the chat model for a computer with ram bytes of memory,
// gpu bytes of free graphics memory (0 without a GPU) and cores physical
// processor cores: the largest that runs comfortably, leaving room for
// the rest of the system, and on a CPU alone the largest whose first word
// comes within FirstWordTarget (see FirstWordEstimate) and that writes at
// reading speed (under 3 GB): memory alone
// would suggest a 3B model to a 2-core laptop, whose answers would then
// start after minutes.
func Recommend(ram, gpu uint64, cores int) Entry {
	best := Catalog[0]
	for _, e := range Catalog {
		if e.Kind != Chat {
			continue
		}
		fitsRAM := uint64(e.RAM) <= ram/2
		fitsGPU := gpu > 0 && uint64(e.RAM) <= gpu
		// On a CPU, also under 3 GB: memory bandwidth, not cores, then
		// sets the writing speed, below reading speed for larger models.
		quick := gpu > 0 || (FirstWordEstimate(e, cores) <= FirstWordTarget && e.Size < 3*gb)
		if (fitsRAM || fitsGPU) && quick && e.Size >= best.Size {
			best = e
		}
	}
	return best
}

// Prompt reading on the CPU, as measured on this project's 2-core AVX2
// build machine with the bench commands: about 50 tokens/s for a 1B
// Q4_K_M model on 2 cores (bench ask), that is 25 tokens/s per core per
// billion parameters; it scales with cores and inversely with size.
// An answer reads about 1,100 tokens (the evidence of 6 sources and the
// instructions, bench evidence).
const (
	cpuReadRate       = 25.0 // tokens/s per core per billion parameters
	promptTokens      = 1100
	FirstWordTarget   = 15 * time.Second
	defaultCoreCount  = 2
	paramsPerBillions = 1e9
)

// FirstWordEstimate is how long the model of e takes on cores CPU cores to
// read an answer's prompt: the wait before its first word.
func FirstWordEstimate(e Entry, cores int) time.Duration {
	if cores <= 0 {
		cores = defaultCoreCount
	}
	b := paramsOf(e.Params)
	if b <= 0 {
		return 0
	}
	rate := cpuReadRate * float64(cores) / (b / paramsPerBillions)
	return time.Duration(promptTokens / rate * float64(time.Second))
}

// paramsOf reads a parameter count such as "0.5B" or "137M".
func paramsOf(s string) float64 {
	s = strings.TrimSpace(strings.ToUpper(s))
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "B"):
		mult = 1e9
	case strings.HasSuffix(s, "M"):
		mult = 1e6
	default:
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(s, "B"), "M"), 64)
	if err != nil {
		return 0
	}
	return f * mult
}

// SizeText writes a file or memory size in bytes the way Carrel shows
// model sizes: "4.7 GB", "639 MB", "812 KB".
func SizeText(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KB", b>>10)
}

// ParamsText writes a parameter count as model names do: "1.24B",
// "22.7M", "260K".
func ParamsText(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
	return fmt.Sprintf("%.0fK", float64(n)/1e3)
}
