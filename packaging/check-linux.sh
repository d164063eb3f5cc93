#!/bin/sh
# Checks the Linux packages in dist/ as a person would meet them, on this
# (Debian or Ubuntu) machine, as root (package-linux builds them):
#
#   sh packaging/check-linux.sh [DIST]
#
#  1. lintian reports no error on the .deb;
#  2. the .deb installs with apt-get (which brings its dependencies);
#  3. the installed carrel starts under Xvfb, with an empty home folder and
#     no network, on the first-run screen (read back from the screen by
#     Tesseract);
#  4. apt-get remove leaves /usr, /etc and /opt as they were: the lists of
#     files before the install and after the removal are compared;
#  5. the AppImage, not installed, starts the same way, and its first start
#     puts Carrel in the user's applications menu.
#
# It changes the system while it runs (it installs the package, then
# removes it); it stops with a message at the first failed step.
set -eu

dist=${1:-dist}
deb=$(ls "$dist"/carrel_*_amd64.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "check-linux: no carrel_*_amd64.deb in $dist (make package-linux)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "check-linux: run as root (it installs and removes the package)" >&2; exit 1; }
for tool in lintian xvfb-run import tesseract unshare; do
	command -v $tool >/dev/null || { echo "check-linux: needs $tool (apt-get install lintian xvfb imagemagick tesseract-ocr util-linux)" >&2; exit 1; }
done
if dpkg-query -W -f '${Status}' carrel 2>/dev/null | grep -q installed; then
	echo "check-linux: carrel is installed already; remove it first" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== lintian $deb"
lintian --tag-display-limit 0 "$deb" | tee "$work/lintian.txt" || true
if grep -q '^E:' "$work/lintian.txt"; then
	echo "check-linux: lintian reports errors" >&2
	exit 1
fi

# The files of the system, without the caches the triggers rewrite in
# place (their names stay) and dpkg's and apt's own records.
files() {
	find /usr /etc /opt -xdev \( -type f -o -type l \) 2>/dev/null | sort
}
files > "$work/before.txt"

echo "== apt-get install $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")" >"$work/install.txt" 2>&1 || {
	cat "$work/install.txt" >&2
	exit 1
}
# Dependencies the package brought stay installed after its removal (as
# apt does): they are left out of the comparison.
files > "$work/installed.txt"
dpkg -L carrel | sort > "$work/owned.txt"
echo "installed $(wc -l < "$work/owned.txt") paths"

# firstStart PROGRAM HOME: starts PROGRAM under Xvfb with HOME as its
# home folder and no network, and waits until the first-run screen shows
# (read back from the screen by Tesseract); the screen is left in
# $work/screen.png.
firstStart() {
	rm -f "$work/screen.png"
	unshare -n env -i HOME="$2" PATH=/usr/bin:/bin LANG=C.UTF-8 \
		xvfb-run -a -s "-screen 0 1024x700x24" sh -c '
			"$1" >"$0/app.log" 2>&1 &
			pid=$!
			for i in $(seq 1 90); do
				sleep 1
				import -window root "$0/screen.png" 2>/dev/null || continue
				tesseract "$0/screen.png" - 2>/dev/null | grep -q "Welcome to Carrel" && break
			done
			kill $pid 2>/dev/null; wait $pid 2>/dev/null; true
		' "$work" "$1"
	if ! tesseract "$work/screen.png" - 2>/dev/null | grep -q "Welcome to Carrel"; then
		echo "check-linux: $1 did not show the first-run screen; it said:" >&2
		cat "$work/app.log" >&2
		exit 1
	fi
}

echo "== first start under Xvfb, empty home, no network"
mkdir -p "$work/home"
firstStart carrel "$work/home"
echo "the first-run screen shows"
cp "$work/screen.png" "$dist/check-first-start.png"

echo "== apt-get remove carrel"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq carrel >"$work/remove.txt" 2>&1 || {
	cat "$work/remove.txt" >&2
	exit 1
}
files > "$work/after.txt"
# What the install added beyond the package's own files: its
# dependencies, which stay.
comm -13 "$work/before.txt" "$work/installed.txt" | grep -vxFf "$work/owned.txt" > "$work/deps.txt" || true
if ! comm -3 "$work/before.txt" "$work/after.txt" | sed 's/^\t//' | grep -vxFf "$work/deps.txt" > "$work/diff.txt"; then
	echo "removal left the system as it was ($(wc -l < "$work/before.txt") files compared; $(wc -l < "$work/deps.txt") files of dependencies stay)"
else
	echo "check-linux: the removal did not restore the file list:" >&2
	cat "$work/diff.txt" >&2
	exit 1
fi
appimage=$(ls "$dist"/Carrel-*-x86_64.AppImage 2>/dev/null | head -n 1)
if [ -n "$appimage" ]; then
	echo "== $appimage: first start under Xvfb, empty home, no network"
	mkdir -p "$work/home2"
	firstStart "$(cd "$(dirname "$appimage")" && pwd)/$(basename "$appimage")" "$work/home2"
	echo "the first-run screen shows"
	cp "$work/screen.png" "$dist/check-first-start-appimage.png"
	grep -q '^Exec=.*AppImage' "$work/home2/.local/share/applications/carrel-appimage.desktop" || {
		echo "check-linux: the AppImage's first start did not add Carrel to the applications menu" >&2
		exit 1
	}
	echo "its first start added Carrel to the applications menu"
else
	echo "check-linux: no AppImage in $dist (make package-linux)" >&2
	exit 1
fi
echo "check-linux: all checks passed"
