package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/carrel-ai/carrel/engine"
)

// The library last shown is kept per data folder (and team server):
// another data folder's window does not show, nor make by adding files,
// a library of that name; it shows one of its own. A library made in the
// window stays listed before a file is added to it.
func TestLastLibraryIsKeptPerPlace(t *testing.T) {
	a := test.NewTempApp(t)
	first := newStub(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("Thesis notes about herons."), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := first.Add(ctx, "Thesis", false, dir); err != nil {
		t.Fatal(err)
	}
	g := newTestGUIOn(t, a, first)
	g.showMain()
	settle(t, g)
	g.main.library.pick.SetSelected("Thesis")
	settle(t, g)
	if got := g.lastLibrary(); got != "Thesis" {
		t.Fatalf("the library last shown: %q", got)
	}
	// Preferences written before they were kept per place name it too.
	a.Preferences().SetString(prefLibrary, "Thesis")

	second := newStub(t)
	g2 := newTestGUIOn(t, a, second)
	g2.showMain()
	settle(t, g2)
	lib := g2.main.library
	if lib.pick.Selected != engine.DefaultLibrary || slices.Contains(lib.pick.Options, "Thesis") {
		t.Errorf("another data folder shows %q of %q", lib.pick.Selected, lib.pick.Options)
	}
	libs, err := second.Libraries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		if l.Name == "Thesis" {
			t.Error("the other data folder's library was made here")
		}
	}
	// A library made in this window is kept, though still empty.
	lib.created["Drafts"] = true
	lib.pick.Options = append(lib.pick.Options, "Drafts")
	lib.pick.SetSelected("Drafts")
	settle(t, g2)
	lib.reload()
	settle(t, g2)
	if lib.pick.Selected != "Drafts" {
		t.Errorf("a library made in the window and still empty: showing %q", lib.pick.Selected)
	}
	// The first data folder still opens on its own last library.
	g3 := newTestGUIOn(t, a, first)
	g3.showMain()
	settle(t, g3)
	if got := g3.main.library.pick.Selected; got != "Thesis" {
		t.Errorf("the first data folder opened on %q", got)
	}
}
