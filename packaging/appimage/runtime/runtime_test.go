package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// An AppImage made as appimage.sh makes it runs its AppRun with the
// arguments and the AppImage variables, unpacks only at the first start,
// puts its entry in the desktop's menus, and extracts on request.
func TestAppImageRunsItsApp(t *testing.T) {
	if _, err := exec.LookPath("mksquashfs"); err != nil {
		t.Skip("mksquashfs is not installed (apt-get install squashfs-tools)")
	}
	work := t.TempDir()
	runtime := filepath.Join(work, "runtime")
	if out, err := exec.Command("go", "build", "-o", runtime, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the runtime: %v\n%s", err, out)
	}
	app := filepath.Join(work, "AppDir")
	icons := filepath.Join(app, "usr", "share", "icons", "hicolor", "256x256", "apps")
	for _, d := range []string{filepath.Join(app, "usr", "bin"), icons} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := "#!/bin/sh\necho \"args: $*\"\necho \"appimage: $APPIMAGE\"\necho \"dir: $(cd \"$(dirname \"$0\")\" && pwd)\"\n"
	if err := os.WriteFile(filepath.Join(app, "usr", "bin", "carrel"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/bin/carrel", filepath.Join(app, "AppRun")); err != nil {
		t.Fatal(err)
	}
	entry := "[Desktop Entry]\nType=Application\nName=Carrel\nExec=carrel %F\nIcon=ai.carrel.app\n"
	os.WriteFile(filepath.Join(app, "ai.carrel.app.desktop"), []byte(entry), 0o644)
	os.WriteFile(filepath.Join(icons, "ai.carrel.app.png"), []byte("png"), 0o644)
	img := filepath.Join(work, "img")
	if out, err := exec.Command("mksquashfs", app, img, "-comp", "gzip", "-no-fragments", "-no-xattrs", "-all-root", "-noappend", "-quiet").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v\n%s", err, out)
	}
	head, _ := os.ReadFile(runtime)
	copy(head[8:], "AI\x02")
	body, _ := os.ReadFile(img)
	appimage := filepath.Join(work, "My Apps", "Carrel.AppImage")
	os.MkdirAll(filepath.Dir(appimage), 0o755)
	if err := os.WriteFile(appimage, append(head, body...), 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(work, "home")
	env := append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"))
	start := func(args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(appimage, args...)
		cmd.Env, cmd.Dir = env, work
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		return string(out), stderr.String()
	}
	out, log := start("a file.pdf", "--flag")
	if !strings.Contains(out, "args: a file.pdf --flag") || !strings.Contains(out, "appimage: "+appimage) ||
		!strings.Contains(out, "dir: "+filepath.Join(home, ".cache", "carrel", "appimage")) {
		t.Errorf("first start said:\n%s", out)
	}
	if !strings.Contains(log, "unpacking") {
		t.Errorf("the first start did not unpack: %q", log)
	}
	desktop, err := os.ReadFile(filepath.Join(home, ".local", "share", "applications", "carrel-appimage.desktop"))
	if err != nil || !strings.Contains(string(desktop), `Exec="`+appimage+`" %F`) || !strings.Contains(string(desktop), "Icon=carrel-appimage") {
		t.Errorf("desktop entry %q, %v", desktop, err)
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "icons", "hicolor", "256x256", "apps", "carrel-appimage.png")); err != nil {
		t.Error(err)
	}
	if _, log := start(); strings.Contains(log, "unpacking") {
		t.Errorf("the second start unpacked again: %q", log)
	}
	if out, _ := start("--appimage-extract"); !strings.Contains(out, "squashfs-root") {
		t.Errorf("extract said %q", out)
	}
	if _, err := os.Stat(filepath.Join(work, "squashfs-root", "usr", "bin", "carrel")); err != nil {
		t.Error(err)
	}
}
