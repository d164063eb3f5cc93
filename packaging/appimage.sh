#!/bin/sh
# Builds the AppImage from the staged Linux tree that package.sh lays out
# (bin/, lib/carrel/, share/):
#
#   sh packaging/appimage.sh STAGE VERSION OUTDIR   → OUTDIR/Carrel-VERSION-x86_64.AppImage
#
# An AppImage is one executable file: a small runtime (here Carrel's own,
# packaging/appimage/runtime, pure Go) followed by a SquashFS image of the
# app's folder (an AppDir). It runs on x86-64 Linux systems whose glibc is
# as new as the build machine's, with a desktop's X11/GL libraries,
# without installing: the first start unpacks the app into the user's
# cache folder and adds Carrel to the desktop's menus. Needs mksquashfs
# (squashfs-tools).
set -eu

stage=$1 version=$2 out=$3
go=${GO:-go}
command -v mksquashfs >/dev/null || { echo "appimage.sh: needs mksquashfs: apt-get install squashfs-tools" >&2; exit 1; }
appdir=$out/Carrel.AppDir
rm -rf "$appdir"
mkdir -p "$appdir/usr"
cp -R "$stage/bin" "$stage/lib" "$stage/share" "$appdir/usr/"
# AppRun is the app itself: through the link, the binary finds its CPU
# variants and the bundled model in ../lib/carrel, as when installed.
ln -s usr/bin/carrel "$appdir/AppRun"
cp "$stage/share/applications/ai.carrel.app.desktop" "$appdir/ai.carrel.app.desktop"
cp "$stage/share/icons/hicolor/256x256/apps/ai.carrel.app.png" "$appdir/ai.carrel.app.png"
ln -s ai.carrel.app.png "$appdir/.DirIcon"

runtime=$out/appimage-runtime
CGO_ENABLED=0 $go build -trimpath -ldflags "-s -w" -o "$runtime" ./packaging/appimage/runtime
# The AppImage type 2 magic, in the ELF header's padding bytes 8-10.
printf 'AI\002' | dd of="$runtime" bs=1 seek=8 conv=notrunc status=none

img=$out/carrel.squashfs
mksquashfs "$appdir" "$img" -comp gzip -no-fragments -no-xattrs -all-root -noappend -quiet >/dev/null
file=$out/Carrel-$version-x86_64.AppImage
cat "$runtime" "$img" > "$file"
chmod 755 "$file"
rm -rf "$appdir" "$img" "$runtime"
echo "$file"
