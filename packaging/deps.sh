#!/bin/sh
# Installs the system packages Carrel's build needs, if any are missing.
#   deps.sh build   C compiler and the GL/X11 headers Fyne needs, and
#                   Tesseract with English for reading scans (OCR)
#   deps.sh test    the same, plus Xvfb and ImageMagick's import for the
#                   window tests (Xvfb's GL canvas reads back blank, so the
#                   tour takes the screen with import), Tesseract's
#                   Chinese pack and a Chinese font for the CJK OCR test,
#                   and squashfs-tools for the AppImage runtime's tests
#   deps.sh package the same, plus mingw-w64 (the Windows cross-build), xz,
#                   zip, squashfs-tools (the AppImage), and lintian, Xvfb and
#                   ImageMagick for packaging/check-linux.sh
# On Debian/Ubuntu it runs apt-get as root (or through sudo); otherwise it
# prints the exact command to run. On macOS it checks for Xcode's tools.
set -eu
what=${1:-build}

case "$(uname -s)" in
Darwin)
	if ! xcode-select -p >/dev/null 2>&1; then
		echo "Carrel needs Xcode's command-line tools: run  xcode-select --install" >&2
		exit 1
	fi
	exit 0 ;;
Linux) ;;
*)
	exit 0 ;;
esac

pkgs="gcc g++ pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd"
if [ "$what" = test ]; then
	pkgs="$pkgs xvfb xauth poppler-utils imagemagick tesseract-ocr-chi-sim fonts-droid-fallback postgresql-15 postgresql-server-dev-15 squashfs-tools"
fi
if [ "$what" = package ]; then
	pkgs="$pkgs g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix xz-utils zip squashfs-tools lintian xvfb xauth imagemagick"
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "Not a Debian/Ubuntu system: make sure these (or your distribution's equivalents) are installed:" >&2
	echo "  $pkgs" >&2
	exit 0
fi

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ]; then
	echo "installing:$missing" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
		apt-get update >/dev/null 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
	}
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	echo "installing:$missing" >&2
	sudo DEBIAN_FRONTEND=noninteractive $cmd
else
	echo "Carrel's build needs system packages that are missing. Run:" >&2
	echo "  sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
