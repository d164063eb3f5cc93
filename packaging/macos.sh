#!/bin/sh
# Makes Carrel.app and a .dmg from bin/carrel, on a Mac (run `make build`
# first). The app bundle comes from fyne's packager (FyneApp.toml: name,
# id, version, icon); the disk image from hdiutil. Sign and notarize with
# your Developer ID before distributing (not done here).
set -eu
go=${GO:-go}
version=$(sed -n 's/^[[:space:]]*Version *= *"\(.*\)"/\1/p' FyneApp.toml)
arch=$($go env GOARCH)
mkdir -p dist
command -v fyne >/dev/null || $go install fyne.io/tools/cmd/fyne@v1.7.4
fyne=$(command -v fyne || echo "$($go env GOPATH)/bin/fyne")
"$fyne" package -os darwin --exe bin/carrel --name Carrel --app-id ai.carrel.app \
	--app-version "$version" --icon assets/icon.png --release
rm -rf dist/Carrel.app
mv Carrel.app dist/
# The bundled embedding model goes in Resources/models, where the binary
# in Contents/MacOS looks for it (engine/models.BundledDirs).
sh packaging/embedder.sh dist/Carrel.app/Contents/Resources/models
staging=$(mktemp -d)
cp -R dist/Carrel.app "$staging/"
ln -s /Applications "$staging/Applications"
# Tesseract is not bundled (it is a separate program with its own
# language packs): the disk image says how to add it for reading scans.
cat > "$staging/Reading scans (OCR).txt" <<'EOF'
Carrel reads scanned pages and pictures with Tesseract when it is
installed. Without it Carrel works, and lists scans as "Scanned: install
OCR to read it"; they are read once Tesseract is there.

  brew install tesseract tesseract-lang

Carrel finds it in /opt/homebrew/bin or /usr/local/bin, also when it is
started from the Finder.
EOF
hdiutil create -volname Carrel -srcfolder "$staging" -ov -format UDZO "dist/Carrel-$version-macos-$arch.dmg"
rm -rf "$staging"
echo "dist/Carrel-$version-macos-$arch.dmg"
