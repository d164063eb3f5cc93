// Package engine is Carrel's headless core: the facade that front ends (the
// desktop app, the CLI, other Go programs) use. Its sub-packages hold one
// concern each: llm (on-device models), gguf (the model file format), synth
// (synthetic models for benchmarks and tests).
package engine

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/adrg/xdg"
)

// HomeEnv overrides the data folder.
const HomeEnv = "CARREL_HOME"

// DefaultDataDir is where Carrel keeps a person's libraries, models and
// conversations: $CARREL_HOME if set, else the platform's data folder
// (~/.local/share/carrel, ~/Library/Application Support/carrel,
// %LOCALAPPDATA%\carrel).
func DefaultDataDir() (string, error) {
	if d := os.Getenv(HomeEnv); d != "" {
		return filepath.Abs(d)
	}
	if xdg.DataHome == "" {
		return "", errors.New("engine: cannot tell where the user's data folder is; set " + HomeEnv)
	}
	return filepath.Join(xdg.DataHome, "carrel"), nil
}
