// Command runtime is the head of Carrel's AppImage: an ELF executable
// with a SquashFS image of the app (an AppDir) appended, as the AppImage
// type 2 format lays it out (the magic "AI\x02" at byte 8 of the ELF).
//
// AppImage's own runtime mounts the image with FUSE. This one extracts it
// once into the user's cache folder (as the reference runtime does with
// APPIMAGE_EXTRACT_AND_RUN) and runs it from there: it needs no FUSE,
// which many systems lack or forbid, and later starts cost nothing. It
// also puts a desktop entry and an icon in the user's folders, so the app
// appears in the desktop's menus after its first start.
//
// Flags, as AppImage runtimes take them: --appimage-extract (into
// ./squashfs-root), --appimage-offset, --appimage-help.
package main

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/carrel-ai/carrel/packaging/appimage/squashfs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "carrel (AppImage):", err)
		os.Exit(1)
	}
}

func run() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if self, err = filepath.EvalSymlinks(self); err != nil {
		return err
	}
	f, err := os.Open(self)
	if err != nil {
		return err
	}
	defer f.Close()
	off, err := payloadOffset(f)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	image := io.NewSectionReader(f, off, st.Size()-off)
	img, err := squashfs.Open(image)
	if err != nil {
		return fmt.Errorf("%s holds no app image (%w): the file may be damaged; download it again", self, err)
	}
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "--appimage-offset":
			fmt.Println(off)
			return nil
		case "--appimage-extract":
			if err := img.ExtractTo("squashfs-root"); err != nil {
				return err
			}
			fmt.Println("squashfs-root")
			return nil
		case "--appimage-help":
			fmt.Println("Carrel's AppImage: run it to start Carrel (the app is unpacked into your cache folder at the first start).\n" +
				"  --appimage-extract  unpack the app into ./squashfs-root\n  --appimage-offset   print where the app's image starts in this file")
			return nil
		}
	}
	dir, err := unpacked(img, image, self)
	if err != nil {
		return err
	}
	if os.Getenv("CARREL_APPIMAGE_NO_DESKTOP") == "" {
		// Menus are a convenience: a read-only home does not stop the app.
		if err := integrate(dir, self); err != nil {
			fmt.Fprintln(os.Stderr, "carrel (AppImage): adding Carrel to the desktop's menus:", err)
		}
	}
	env := append(os.Environ(), "APPIMAGE="+self, "APPDIR="+dir, "ARGV0="+os.Args[0])
	apprun := filepath.Join(dir, "AppRun")
	return syscall.Exec(apprun, append([]string{apprun}, os.Args[1:]...), env)
}

// payloadOffset is where the ELF executable ends and the image begins:
// past the last byte any of its headers, sections or segments cover (Go's
// linker writes the section headers near the start, not at the end, as C
// linkers do).
func payloadOffset(f *os.File) (int64, error) {
	e, err := elf.NewFile(f)
	if err != nil {
		return 0, fmt.Errorf("reading the AppImage's own header: %w", err)
	}
	if e.Class != elf.ELFCLASS64 {
		return 0, errors.New("the AppImage's runtime is not a 64-bit executable")
	}
	h := make([]byte, 64) // the ELF64 header: e_shoff at 0x28, e_shentsize and e_shnum at 0x3A
	if _, err := f.ReadAt(h, 0); err != nil {
		return 0, err
	}
	shoff, entsize, num := e.ByteOrder.Uint64(h[0x28:]), e.ByteOrder.Uint16(h[0x3A:]), e.ByteOrder.Uint16(h[0x3C:])
	end := shoff + uint64(entsize)*uint64(num)
	for _, s := range e.Sections {
		if s.Type != elf.SHT_NOBITS {
			end = max(end, s.Offset+s.FileSize)
		}
	}
	for _, p := range e.Progs {
		end = max(end, p.Off+p.Filesz)
	}
	return int64(end), nil
}

// unpacked returns the folder the image is unpacked in, unpacking it the
// first time: into a folder named for the image's content, made complete
// under a temporary name and renamed, so that a start interrupted half
// way (or two at once) never runs a partial app. Folders of other
// versions are removed once this one is in place.
func unpacked(img *squashfs.Image, image io.ReaderAt, self string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	base := filepath.Join(cache, "carrel", "appimage")
	head := make([]byte, 96) // the superblock: its times and sizes name the build
	if _, err := image.ReadAt(head, 0); err != nil {
		return "", err
	}
	sum := sha256.Sum256(head)
	dir := filepath.Join(base, hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "AppRun")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(base, ".unpacking-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(os.Stderr, "carrel (AppImage): unpacking the app into %s (once) …\n", dir)
	if err := img.ExtractTo(filepath.Join(tmp, "app")); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", self, err)
	}
	if err := os.Rename(filepath.Join(tmp, "app"), dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "AppRun")); serr == nil {
			return dir, nil // another start unpacked it meanwhile
		}
		return "", err
	}
	if olds, err := os.ReadDir(base); err == nil {
		for _, o := range olds {
			if p := filepath.Join(base, o.Name()); p != dir && !strings.HasPrefix(o.Name(), ".unpacking-") {
				os.RemoveAll(p) // a running older version keeps its open files
			}
		}
	}
	return dir, nil
}

// integrate writes the desktop entry (pointing at this AppImage, where it
// is now) and the icon into the user's folders, when they differ.
func integrate(dir, self string) error {
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		data = filepath.Join(home, ".local", "share")
	}
	entry, err := os.ReadFile(filepath.Join(dir, "ai.carrel.app.desktop"))
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(entry)), "\n") {
		switch {
		case strings.HasPrefix(line, "Exec="):
			line = "Exec=" + quoteExec(self) + " %F"
		case strings.HasPrefix(line, "Icon="):
			line = "Icon=carrel-appimage"
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("X-AppImage-Path=" + self + "\n")
	if err := writeIfChanged(filepath.Join(data, "applications", "carrel-appimage.desktop"), []byte(b.String())); err != nil {
		return err
	}
	icon, err := os.ReadFile(filepath.Join(dir, "usr", "share", "icons", "hicolor", "256x256", "apps", "ai.carrel.app.png"))
	if err != nil {
		return err
	}
	return writeIfChanged(filepath.Join(data, "icons", "hicolor", "256x256", "apps", "carrel-appimage.png"), icon)
}

// quoteExec quotes a path for a desktop entry's Exec key.
func quoteExec(p string) string {
	if !strings.ContainsAny(p, " \t\"'\\$`") {
		return p
	}
	r := strings.NewReplacer(`\`, `\\\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	return `"` + r.Replace(p) + `"`
}

func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
