// Package settings holds a person's choices, as kept in config.toml in
// the data folder: which models answer and search, where libraries live,
// how documents are read. It checks them (Validate) and reads and writes
// the file, atomically.
package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/carrel-ai/carrel/engine/federated"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/internal/atomicfile"
)

// Settings are a person's choices, kept in config.toml in the data folder.
type Settings struct {
	// ChatModel is the GGUF file answers come from; "" means none
	// (retrieval-only answers).
	ChatModel string `toml:"chat_model"`
	// EmbedModel is the GGUF embedding model for search by meaning; ""
	// means the model that ships with Carrel, NoEmbedModel ("none")
	// search by words only. An http:// or https:// address is a model
	// server's OpenAI-compatible /embeddings, with EmbedServerModel (""
	// lets the server choose) and EmbedServerKey.
	EmbedModel       string `toml:"embed_model"`
	EmbedServerModel string `toml:"embed_server_model"`
	EmbedServerKey   string `toml:"embed_server_key"`
	// Reranker is a GGUF reranking model that re-orders the best passages
	// of every search by reading each with the question; "" means none.
	Reranker string `toml:"reranker"`
	// CPUOnly keeps models off the GPU.
	CPUOnly bool `toml:"cpu_only"`
	// Threads for generation; 0 means automatic: one per physical core,
	// fewer while other programs keep the cores busy.
	Threads int `toml:"threads"`
	// ContextSize is the chat model's window in tokens; 0 means the
	// model's trained length, at most 8192.
	ContextSize int `toml:"context_size"`
	// Temperature of answers; 0 always picks the most likely word.
	Temperature float32 `toml:"temperature"`
	// SystemPrompt replaces the default instructions when not empty.
	SystemPrompt string `toml:"system_prompt"`
	// Adapter is a LoRA adapter (GGUF) applied to the chat model at
	// AdapterScale (1 is its trained strength).
	Adapter      string  `toml:"adapter"`
	AdapterScale float32 `toml:"adapter_scale"`
	// Serve lets other programs on this computer use Carrel while the
	// window is open: the OpenAI-compatible API and the MCP server at
	// ServeAddr ("" means 127.0.0.1:8765), with the token of the data
	// folder. Off by default.
	Serve     bool   `toml:"serve"`
	ServeAddr string `toml:"serve_addr"`
	// ChunkTokens is the size of indexed passages; 0 means 400.
	ChunkTokens int `toml:"chunk_tokens"`
	// Sources is how many passages an answer may draw on; 0 means 6.
	Sources int `toml:"sources"`
	// AnswerTokens caps an answer's length; 0 means 512.
	AnswerTokens int `toml:"answer_tokens"`
	// Library is the library questions go to by default; "" means all.
	Library string `toml:"library"`
	// OCR reads scanned pages and pictures with Tesseract when it is
	// installed ("" or "auto"); OCROff ("off") leaves them out, marked
	// as scanned.
	OCR string `toml:"ocr"`
	// OCRLanguages are the Tesseract language packs scans are read with,
	// joined by "+" as Tesseract writes them ("eng", "eng+deu",
	// "chi_sim"…); "" means automatic: each page's script is detected and
	// read with the installed packs for it.
	OCRLanguages string `toml:"ocr_languages"`
	// OCRProgram is the tesseract executable; "" finds it.
	OCRProgram string `toml:"ocr_program"`
	// ChatServer is a model server speaking the OpenAI-compatible API
	// (llama.cpp's llama-server, vLLM, Ollama, another Carrel's serve),
	// such as http://gpu.lab:8080/v1: when set, answers come from it
	// instead of ChatModel, and each answer says so. ChatServerKey is its
	// API key ("" sends none), ChatServerModel the model to ask for ("":
	// the server's own).
	ChatServer      string `toml:"chat_server"`
	ChatServerKey   string `toml:"chat_server_key"`
	ChatServerModel string `toml:"chat_server_model"`
	// LibraryServer is a PostgreSQL server that holds the libraries
	// instead of this data folder (a postgres:// URL, whose user and
	// password are the access to it): a library a team shares. "" keeps
	// them on this computer. A change takes effect when the engine opens
	// next.
	LibraryServer string `toml:"library_server"`
	// LibraryServers places single libraries on PostgreSQL servers, by
	// library name: "Lab papers" = "postgres://…" keeps that library on
	// the team's server while the others stay where LibraryServer says.
	// Several libraries may share a server. A change takes effect when the
	// engine opens next.
	LibraryServers map[string]string `toml:"library_servers"`
	// LibraryChatServers send the questions asked of one library to a
	// model server of its own, by library name: the team's library is
	// answered by the team's GPU server while questions about the other
	// libraries (or all of them) go to ChatServer or ChatModel. Each
	// answer says where it was written.
	LibraryChatServers map[string]ModelServer `toml:"library_chat_servers"`
	// LibraryAdapters give the questions asked of one library alone a
	// LoRA adapter of their own, by library name: the one `carrel teach`
	// wrote for it, or NoAdapter to answer that library without Adapter.
	// Questions about all libraries use Adapter.
	LibraryAdapters map[string]string `toml:"library_adapters"`
	// LibraryEmbedModels give a library placed on a server of its own
	// (LibraryServers) its own embedding model, by library name: the
	// team's library is searched with the model the team agreed on (or
	// its model server's) while the laptop's libraries keep EmbedModel.
	// Vectors are kept per store, so libraries that share a server share
	// its model. A change takes effect when the engine opens next.
	LibraryEmbedModels map[string]EmbedChoice `toml:"library_embed_models"`
}

// EmbedChoice is an embedding model as EmbedModel gives it: a GGUF file,
// a model server's address (with its key and the model to ask for),
// NoEmbedModel for words only, or "" for the model that ships with Carrel.
type EmbedChoice struct {
	Model       string `toml:"model"`
	ServerKey   string `toml:"server_key"`
	ServerModel string `toml:"server_model"`
}

// OpeningChanges names, in words for the person, the settings that differ
// between a and b and take effect only when an engine opens: where
// libraries live (LibraryServer, LibraryServers) and the embedding models
// of libraries on servers (LibraryEmbedModels).
func OpeningChanges(a, b Settings) []string {
	var out []string
	if a.LibraryServer != b.LibraryServer {
		out = append(out, "the team library")
	}
	if !maps.Equal(a.LibraryServers, b.LibraryServers) {
		out = append(out, "libraries on servers")
	}
	if !maps.Equal(a.LibraryEmbedModels, b.LibraryEmbedModels) {
		out = append(out, "the search models of libraries on servers")
	}
	return out
}

// Clone copies s with maps of its own.
func (s Settings) Clone() Settings {
	s.LibraryServers = maps.Clone(s.LibraryServers)
	s.LibraryChatServers = maps.Clone(s.LibraryChatServers)
	s.LibraryAdapters = maps.Clone(s.LibraryAdapters)
	s.LibraryEmbedModels = maps.Clone(s.LibraryEmbedModels)
	return s
}

// In gives the choice the form of the global settings s, for the
// functions that read EmbedModel and its server fields.
func (c EmbedChoice) In(s Settings) Settings {
	s.EmbedModel, s.EmbedServerKey, s.EmbedServerModel = c.Model, c.ServerKey, c.ServerModel
	return s
}

// ModelServer is a model server speaking the OpenAI-compatible API: its
// address (such as http://gpu.lab:8080/v1), its API key ("" sends none)
// and the model to ask for ("": the server's own).
type ModelServer struct {
	URL   string `toml:"url"`
	Key   string `toml:"key"`
	Model string `toml:"model"`
}

// OCROff is the OCR setting that turns it off.
const OCROff = "off"

// NoEmbedModel, as Settings.EmbedModel, searches by words only.
const NoEmbedModel = "none"

// NoAdapter in LibraryAdapters answers a library without an adapter.
const NoAdapter = "none"

// IsServerAddress reports whether a model setting names a model server
// (an http:// or https:// address) rather than a GGUF file.
func IsServerAddress(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// Default are the settings of a new data folder.
func Default() Settings {
	return Settings{Temperature: 0.2, AdapterScale: 1, ChunkTokens: 400, Sources: 6, AnswerTokens: 512}
}

// Validate reports a setting that cannot work, in words.
func (s Settings) Validate() error {
	var errs []error
	if s.ServeAddr != "" {
		host, _, err := net.SplitHostPort(s.ServeAddr)
		ip := net.ParseIP(host)
		if err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			errs = append(errs, fmt.Errorf("the address for other apps must be on this computer, such as 127.0.0.1:8765 (not %q)", s.ServeAddr))
		}
	}
	if s.Threads < 0 || s.Threads > runtime.NumCPU() {
		errs = append(errs, fmt.Errorf("threads must be 0 (automatic) to %d, the processors of this computer", runtime.NumCPU()))
	}
	if s.ContextSize != 0 && s.ContextSize < 256 {
		errs = append(errs, errors.New("context size must be 0 (automatic) or at least 256 tokens"))
	}
	if s.Temperature < 0 || s.Temperature > 2 {
		errs = append(errs, errors.New("temperature must be between 0 and 2"))
	}
	if s.ChunkTokens != 0 && (s.ChunkTokens < 50 || s.ChunkTokens > 4000) {
		errs = append(errs, errors.New("chunk size must be between 50 and 4000 tokens"))
	}
	if s.Sources < 0 || s.Sources > 50 {
		errs = append(errs, errors.New("sources must be between 1 and 50"))
	}
	if s.AnswerTokens < 0 {
		errs = append(errs, errors.New("answer length must be 0 (automatic) or more"))
	}
	if s.OCR != "" && s.OCR != "auto" && s.OCR != OCROff {
		errs = append(errs, fmt.Errorf("OCR must be auto or off (not %q)", s.OCR))
	}
	for _, l := range OCRLanguageList(s.OCRLanguages) {
		if !validLang(l) {
			errs = append(errs, fmt.Errorf("%q is not a Tesseract language pack name (such as eng, deu or chi_sim)", l))
		}
	}
	if IsServerAddress(s.EmbedModel) {
		if _, err := models.NewRemote(s.EmbedModel, "", ""); err != nil {
			errs = append(errs, errors.New("the embedding model's server must be an address such as http://gpu.lab:8080/v1"))
		}
	}
	if s.ChatServer != "" {
		if _, err := models.NewRemote(s.ChatServer, "", ""); err != nil {
			errs = append(errs, errors.New("the model server must be an http:// or https:// address, such as http://gpu.lab:8080/v1"))
		}
	}
	if s.LibraryServer != "" && !index.IsServerURL(s.LibraryServer) {
		errs = append(errs, errors.New("the library server must be a PostgreSQL connection string starting with postgres://"))
	}
	for name, conn := range s.LibraryServers {
		switch {
		case strings.TrimSpace(name) == "":
			errs = append(errs, errors.New("a library placed on a server needs a name"))
		case !index.IsServerURL(conn):
			errs = append(errs, fmt.Errorf("library %q: its server must be a PostgreSQL connection string starting with postgres://", name))
		}
	}
	for name, ms := range s.LibraryChatServers {
		if strings.TrimSpace(name) == "" {
			errs = append(errs, errors.New("a library given its own model server needs a name"))
		} else if _, err := models.NewRemote(ms.URL, "", ""); err != nil {
			errs = append(errs, fmt.Errorf("library %q: its model server must be an http:// or https:// address, such as http://gpu.lab:8080/v1", name))
		}
	}
	for name, a := range s.LibraryAdapters {
		if strings.TrimSpace(name) == "" || strings.TrimSpace(a) == "" {
			errs = append(errs, errors.New("a library's own adapter needs the library's name and a file (or \"none\")"))
		}
	}
	shared := map[string]string{} // a server's libraries with their own model, by server
	for name, c := range s.LibraryEmbedModels {
		conn, placed := s.LibraryServers[name]
		switch {
		case !placed:
			errs = append(errs, fmt.Errorf("library %q: an embedding model of its own needs the library placed on a server (library_servers): vectors are kept per store", name))
			continue
		case IsServerAddress(c.Model):
			if _, err := models.NewRemote(c.Model, "", ""); err != nil {
				errs = append(errs, fmt.Errorf("library %q: its embedding model's server must be an address such as http://gpu.lab:8080/v1", name))
			}
		}
		shared[index.Redact(conn)] = name
	}
	for name, conn := range s.LibraryServers {
		other, ok := shared[index.Redact(conn)]
		if ok && other != name && s.LibraryEmbedModels[name] != s.LibraryEmbedModels[other] {
			a, b := min(name, other), max(name, other)
			errs = append(errs, fmt.Errorf("libraries %q and %q share a server, so they share its embedding model: give both the same one", a, b))
		}
	}
	if len(s.LibraryServers) >= federated.MaxStores {
		errs = append(errs, fmt.Errorf("at most %d libraries can be placed on servers", federated.MaxStores-1))
	}
	if s.AdapterScale < 0 || s.AdapterScale > 4 {
		errs = append(errs, errors.New("adapter scale must be between 0 and 4"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

// File is the settings' file in a data folder.
const File = "config.toml"

// Read reads the settings saved in a data folder's config.toml; a
// missing file gives the defaults, a damaged one an error that names it
// (it is never overwritten silently).
func Read(dir string) (Settings, error) {
	s := Default()
	p := filepath.Join(dir, File)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("settings: reading: %w", err)
	}
	if _, err := toml.Decode(string(data), &s); err != nil {
		return s, fmt.Errorf("settings: %s is damaged (fix or delete it): %w", p, err)
	}
	return s, s.Validate()
}

// Save writes s to dir's settings file, whole or not at all.
func Save(dir string, s Settings) error {
	var b strings.Builder
	b.WriteString("# Carrel settings. Edit while Carrel is closed, or use the app's settings.\n")
	if err := toml.NewEncoder(&b).Encode(s); err != nil {
		return fmt.Errorf("settings: encoding: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, File), []byte(b.String())); err != nil {
		return fmt.Errorf("settings: saving: %w", err)
	}
	return nil
}

// validLang reports whether s can name a Tesseract language pack: letters,
// digits and underscores, as in "eng" or "chi_sim_vert".
func validLang(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// OCRLanguageList splits an OCR languages setting ("eng+deu") into pack
// names; "" gives none (automatic).
func OCRLanguageList(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '+' || r == ',' || r == ' ' }) {
		out = append(out, l)
	}
	return out
}
