package engine

import (
	"path/filepath"
	"testing"
)

func TestDefaultDataDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(HomeEnv, dir)
	got, err := DefaultDataDir()
	if err != nil || got != dir {
		t.Errorf("with %s set: %q, %v", HomeEnv, got, err)
	}
	t.Setenv(HomeEnv, "")
	got, err = DefaultDataDir()
	if err != nil || filepath.Base(got) != "carrel" {
		t.Errorf("default: %q, %v", got, err)
	}
}
