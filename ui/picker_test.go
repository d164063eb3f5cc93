package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"
)

// "Add files…" takes several files at once, across folders: folders are
// listed first, hidden files are not, ticks stay while moving between
// folders, and the button adds every ticked file to the library.
func TestAddSeveralFiles(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	dir := t.TempDir()
	writeDoc(t, dir, "a.md", "# Apples\n\nApples grow in the orchard.")
	writeDoc(t, dir, "B.txt", "Bread rises overnight.")
	writeDoc(t, dir, "c.txt", "Cherries ripen in June.")
	writeDoc(t, dir, ".hidden.txt", "not to be listed")
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeDoc(t, sub, "d.txt", "Damsons make a dark jam.")
	g.app.Preferences().SetString(prefPickerDir, dir)

	p := g.main.library.filePicker()
	p.show()
	settle(t, g)
	var names []string
	for _, r := range p.rows {
		names = append(names, r.name)
	}
	if want := []string{"sub", "a.md", "B.txt", "c.txt"}; !slices.Equal(names, want) {
		t.Fatalf("the folder lists %v, want %v", names, want)
	}
	if !p.ok.Disabled() {
		t.Error("the add button is enabled with nothing ticked")
	}
	p.tap(1)
	p.tap(2)
	p.tap(3)
	p.tap(3) // unticked again
	if p.ok.Text != "Add 2 files" {
		t.Errorf("button %q after ticking two files", p.ok.Text)
	}
	p.tap(0) // into sub
	settle(t, g)
	if p.dir != sub || len(p.rows) != 1 {
		t.Fatalf("in %s: %+v", p.dir, p.rows)
	}
	p.all()
	if p.ok.Text != "Add 3 files" {
		t.Errorf("button %q after ticking the subfolder's file", p.ok.Text)
	}
	test.Tap(p.ok)
	settle(t, g)
	ctx := context.Background()
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	docs, err := s.Documents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var added []string
	for _, d := range docs {
		added = append(added, filepath.Base(d.Path))
	}
	if want := []string{"B.txt", "a.md", "d.txt"}; !slices.Equal(added, want) {
		t.Errorf("added %v, want %v", added, want)
	}
}
