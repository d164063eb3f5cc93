package engine

import "github.com/carrel-ai/carrel/engine/settings"

// The settings are package settings' types; these names keep them in the
// facade's vocabulary.
type (
	// Settings are a person's choices, kept in config.toml in the data
	// folder.
	Settings = settings.Settings
	// EmbedChoice is an embedding model as Settings.EmbedModel gives it.
	EmbedChoice = settings.EmbedChoice
	// ModelServer is a model server speaking the OpenAI-compatible API.
	ModelServer = settings.ModelServer
)

const (
	// NoEmbedModel, as Settings.EmbedModel or Options.BundledEmbedModel,
	// searches by words only.
	NoEmbedModel = settings.NoEmbedModel
	// NoAdapter in Settings.LibraryAdapters answers a library without one.
	NoAdapter = settings.NoAdapter
	// OCROff is the OCR setting that turns it off.
	OCROff = settings.OCROff
)

// DefaultSettings are the settings of a new data folder.
func DefaultSettings() Settings { return settings.Default() }

// ReadSettings reads the settings saved in a data folder; a missing file
// gives the defaults, a damaged one an error that names it.
func ReadSettings(dir string) (Settings, error) { return settings.Read(dir) }

// IsServerAddress reports whether a model setting names a model server
// rather than a GGUF file.
func IsServerAddress(s string) bool { return settings.IsServerAddress(s) }

// AtNextOpening names the saved settings this session does not use yet
// (see OpeningChanges): nil when the session runs as the settings say. A
// LibraryServer given in Options stays the session's, and so is not
// reported; a session opened with NoLibraryServer reports the team
// library while the settings name one.
func (e *Engine) AtNextOpening() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	next := e.set
	if e.opts.LibraryServer != "" {
		next.LibraryServer = e.opts.LibraryServer
	}
	return settings.OpeningChanges(e.opened, next)
}
