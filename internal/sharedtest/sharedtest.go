// Package sharedtest finds the read-only test assets in ../shared (models,
// documents, QA sets) for tests and benchmarks. It is the one place that
// knows where they live; a test that needs them calls Path and is skipped,
// with a clear message, on a clone that has no ../shared beside it.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Env names a variable that overrides where the shared folder is.
const Env = "CARREL_SHARED"

// Dir returns the shared folder, or "" when there is none. It looks at
// $CARREL_SHARED, then at "shared" beside the repository root (the folder
// holding go.mod), walking up from the working directory.
func Dir() string {
	if d := os.Getenv(Env); d != "" {
		if isDir(d) {
			return d
		}
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(d), "shared")
			if isDir(s) {
				return s
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Path returns the path of rel inside the shared folder, or skips the test
// when the folder or the file is missing.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	d := Dir()
	if d == "" {
		tb.Skipf("skipping: needs ../shared/%s (test assets beside the repository, or $%s), which is absent", rel, Env)
	}
	p := filepath.Join(d, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("skipping: %s is missing from the shared test assets: %v", rel, err)
	}
	return p
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
