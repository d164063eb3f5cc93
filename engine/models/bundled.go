package models

import (
	"fmt"
	"os"
	"path/filepath"
)

// The embedding model that ships with Carrel, so that a fresh install
// searches by meaning as well as by words with nothing to download. The
// build takes it from a Go module that carries it (so it comes through the
// module proxy like the rest of the build) and checks its checksum.
const (
	// BundledFile is the file's name beside the binary.
	BundledFile = "all-MiniLM-L6-v2-Q4_K_M.gguf"
	// BundledSHA256 and BundledSize pin the file.
	BundledSHA256 = "2ec4cee28a27a9c973d5f5230930d6ef6e52694bd2bc71be26a9bef5b1d755e6"
	BundledSize   = 20999104
	// BundledModule is the Go module and BundledModulePath the file in it
	// (`go mod download -json` prints the module's folder).
	BundledModule     = "github.com/mutablelogic/go-llama@v0.0.11"
	BundledModulePath = "testdata/" + BundledFile
)

// BundledDirs are where an installation keeps the bundled models,
// relative to the folder of the running executable, in the order they
// are looked at: beside it (a development build's bin/, the Windows
// folder), the Linux package's lib/carrel/ seen from bin/, and the macOS
// app's Resources seen from Contents/MacOS.
var BundledDirs = []string{"models", filepath.Join("..", "lib", "carrel", "models"), filepath.Join("..", "Resources", "models")}

// FindBundled returns the bundled embedding model of the installation
// whose executable is exe ("" means the running one), or an error saying
// where it was looked for. Only the size is checked here (the build checks
// the checksum): reading 21 MB at every start would cost more than the
// check is worth.
func FindBundled(exe string) (string, error) {
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return "", fmt.Errorf("models: finding the bundled embedding model: %w", err)
		}
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	dir := filepath.Dir(exe)
	var looked []string
	for _, d := range BundledDirs {
		p := filepath.Join(dir, d, BundledFile)
		looked = append(looked, p)
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if st.Size() != BundledSize {
			return "", fmt.Errorf("models: the bundled embedding model %s is damaged (%d bytes, not %d); reinstall Carrel", p, st.Size(), BundledSize)
		}
		return p, nil
	}
	return "", fmt.Errorf("models: this installation carries no embedding model (looked for %s)", looked[0])
}
