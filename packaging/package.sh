#!/bin/sh
# Builds Carrel's installable packages into dist/:
#
#   sh packaging/package.sh linux     dist/carrel-VERSION-linux-amd64.tar.xz,
#                                     dist/carrel_VERSION_amd64.deb (packaging/deb.sh),
#                                     dist/Carrel-VERSION-x86_64.AppImage (packaging/appimage.sh)
#   sh packaging/package.sh windows   dist/carrel-VERSION-windows-amd64.zip (Carrel.exe + CPU variants)
#
# Both hold three builds of the binary, with llama.cpp compiled for three
# x86-64 levels: x86-64 (any 64-bit PC), x86-64-v3 (AVX2, FMA: most PCs
# since 2013-2015) and x86-64-v4 (AVX-512). The baseline starts, asks the
# CPU what it supports and hands over to the best build beside it (see
# app/variant.go), so one package is fast on every CPU.
#
# The Makefile exports the cgo flags for the vendored llama.cpp; run it as
# `make package` (or `make package-linux`, `make package-windows`).
# LEVELS="x86-64" builds the baseline alone, for a quicker check of the
# packaging (packaging/check-linux.sh).
set -eu

target=${1:-linux}
version=$(sed -n 's/^[[:space:]]*Version *= *"\(.*\)"/\1/p' FyneApp.toml)
build=$(sed -n 's/^[[:space:]]*Build *= *\([0-9]*\)/\1/p' FyneApp.toml)
levels=${LEVELS:-"x86-64 x86-64-v3 x86-64-v4"}
go=${GO:-go}
out=dist
mkdir -p "$out"

# build GOOS OUTDIR SUFFIX: the three CPU levels of the binary.
build() {
	goos=$1 dir=$2 suffix=$3
	mkdir -p "$dir"
	for level in $levels; do
		name=carrel-$level$suffix
		[ "$level" = x86-64 ] && name=carrel$suffix
		echo "building $dir/$name (llama.cpp for $level)" >&2
		ldflags="-s -w -X 'main.version=$version' -X 'main.cpuLevel=$level' -X 'main.cpuFlags=-O3 -march=$level'"
		[ "$goos" = windows ] && ldflags="$ldflags -H=windowsgui"
		CGO_ENABLED=1 GOOS=$goos GOARCH=amd64 \
			CGO_CFLAGS="-O3 -march=$level -mtune=generic" CGO_CXXFLAGS="-O3 -march=$level -mtune=generic" \
			$go build -trimpath -ldflags "$ldflags" -o "$dir/$name" ./app
	done
}

case $target in
linux)
	root=$out/carrel-$version
	rm -rf "$root"
	build linux "$root/lib/carrel" ""
	# The bundled embedding model, where every build of the binary finds
	# it (engine/models.BundledDirs).
	sh packaging/embedder.sh "$root/lib/carrel/models"
	mkdir -p "$root/bin" "$root/share/applications"
	mv "$root/lib/carrel/carrel" "$root/bin/carrel"
	for size in 16 32 48 64 128 256 512; do
		mkdir -p "$root/share/icons/hicolor/${size}x$size/apps"
	done
	$go run ./packaging/icon -out "$out/icons" -sizes 16,32,48,64,128,256,512
	for size in 16 32 48 64 128 256 512; do
		cp "$out/icons/icon-$size.png" "$root/share/icons/hicolor/${size}x$size/apps/ai.carrel.app.png"
	done
	# The desktop entry registers Carrel for the formats it reads, so a
	# file manager offers "Open with Carrel" (which adds the file).
	cat > "$root/share/applications/ai.carrel.app.desktop" <<EOF
[Desktop Entry]
Type=Application
Name=Carrel
GenericName=Document assistant
Comment=Ask your own documents, privately, on this computer
Exec=carrel %F
Icon=ai.carrel.app
Terminal=false
Categories=Office;Education;Utility;
Keywords=documents;search;questions;AI;offline;
MimeType=application/pdf;application/vnd.openxmlformats-officedocument.wordprocessingml.document;application/vnd.oasis.opendocument.text;application/epub+zip;text/html;text/markdown;text/plain;application/rtf;text/rtf;text/csv;image/png;image/jpeg;image/tiff;image/webp;
StartupWMClass=Carrel
EOF
	cat > "$root/INSTALL.txt" <<'EOF'
Carrel for Linux (x86-64)

Install:   make install                      (to /usr/local, as root)
           make install PREFIX=$HOME/.local  (for one user)
Uninstall: make uninstall (with the same PREFIX)

Reading scans (OCR) needs Tesseract 4 or 5 and a language pack per
language of your scans. Without it Carrel still works: scanned pages and
pictures are listed as "Scanned: install OCR to read it", and they are
read as soon as Tesseract is installed.
  Debian, Ubuntu: sudo apt install tesseract-ocr tesseract-ocr-eng
                  (more languages: tesseract-ocr-deu, tesseract-ocr-chi-sim, ...)
  Fedora:         sudo dnf install tesseract tesseract-langpack-eng
  Arch:           sudo pacman -S tesseract tesseract-data-eng
EOF
	cat > "$root/Makefile" <<'EOF'
# Installs Carrel: `make install` (to /usr/local, as root) or
# `make install PREFIX=$HOME/.local` (for one user). `make uninstall` removes it.
# Carrel reads scans with Tesseract when it is installed: see INSTALL.txt.
PREFIX ?= /usr/local

install:
	install -d $(PREFIX)/bin $(PREFIX)/lib/carrel $(PREFIX)/share/applications
	install -m 755 bin/carrel $(PREFIX)/bin/carrel
	install -m 755 lib/carrel/carrel-* $(PREFIX)/lib/carrel/
	install -d $(PREFIX)/lib/carrel/models
	install -m 644 lib/carrel/models/* $(PREFIX)/lib/carrel/models/
	install -m 644 share/applications/ai.carrel.app.desktop $(PREFIX)/share/applications/
	for d in share/icons/hicolor/*/apps; do install -d $(PREFIX)/$$d && install -m 644 $$d/ai.carrel.app.png $(PREFIX)/$$d/; done
	-update-desktop-database $(PREFIX)/share/applications 2>/dev/null
	-gtk-update-icon-cache -q $(PREFIX)/share/icons/hicolor 2>/dev/null
	@command -v tesseract >/dev/null 2>&1 || echo "Note: Tesseract is not installed, so scanned pages and pictures are not read (OCR). See INSTALL.txt; on Debian or Ubuntu: sudo apt install tesseract-ocr"

uninstall:
	rm -f $(PREFIX)/bin/carrel $(PREFIX)/share/applications/ai.carrel.app.desktop
	rm -rf $(PREFIX)/lib/carrel
	rm -f $(PREFIX)/share/icons/hicolor/*/apps/ai.carrel.app.png
	-update-desktop-database $(PREFIX)/share/applications 2>/dev/null

.PHONY: install uninstall
EOF
	tar -C "$out" -cJf "$out/carrel-$version-linux-amd64.tar.xz" "carrel-$version"
	echo "$out/carrel-$version-linux-amd64.tar.xz"
	sh packaging/deb.sh "$root" "$version" "$out"
	sh packaging/appimage.sh "$root" "$version" "$out"
	;;
windows)
	cc=${WINDOWS_CC:-x86_64-w64-mingw32-gcc-posix}
	cxx=${WINDOWS_CXX:-x86_64-w64-mingw32-g++-posix}
	command -v "$cc" >/dev/null || { echo "needs $cc: apt-get install g++-mingw-w64-x86-64-posix" >&2; exit 1; }
	dir=$out/windows
	rm -rf "$dir"
	# The icon, version information and manifest go into the executables
	# as a Windows resource (the same library fyne's packager uses).
	$go run ./packaging/icon -ico "$out/carrel.ico"
	$go run ./packaging/winres -ico "$out/carrel.ico" -version "$version.${build:-0}" -out app/rsrc_windows_amd64.syso
	trap 'rm -f app/rsrc_windows_amd64.syso' EXIT
	CC=$cc CXX=$cxx build windows "$dir" .exe
	mv "$dir/carrel.exe" "$dir/Carrel.exe"
	sh packaging/embedder.sh "$dir/models"
	# Tesseract is a separate program with its own language packs: the
	# zip says how to add it for reading scans.
	cat > "$dir/Reading scans (OCR).txt" <<'EOF'
Carrel reads scanned pages and pictures with Tesseract when it is
installed. Without it Carrel works, and lists scans as "Scanned: install
OCR to read it"; they are read once Tesseract is there.

Install UB Mannheim's build (tick the languages you need):
  winget install UB-Mannheim.TesseractOCR
or the installer from https://github.com/UB-Mannheim/tesseract/wiki

Carrel finds it in Program Files\Tesseract-OCR without a change to PATH.
EOF
	(cd "$dir" && zip -q -r "../carrel-$version-windows-amd64.zip" .)
	echo "$out/carrel-$version-windows-amd64.zip"
	;;
*)
	echo "usage: package.sh linux|windows" >&2
	exit 2
	;;
esac
