#!/bin/sh
# Re-creates third_party/ollama: the llama.cpp and ggml sources that the
# ollama Go module vendors (and the cgo packages that build them), taken
# from a release of that module, with Carrel's patches applied.
#
#   sh third_party/update.sh [VERSION]     default: the version go.mod requires
#
# Run it from the repository's root. It needs the network (or a module
# cache that holds the version) and git (to apply the patches). A patch
# that no longer applies stops it: bring the patch up to the new sources,
# or drop it when upstream has made it unnecessary, and say which in
# third_party/README.md.
set -eu
cd "$(dirname "$0")/.."
version=${1:-$(sed -n 's/^[[:space:]]*github.com\/ollama\/ollama \(v[^ ]*\).*/\1/p' go.mod | head -n 1)}
[ -n "$version" ] || { echo "no ollama version in go.mod" >&2; exit 1; }
# GOFLAGS=-mod=mod lets go download the module although go.mod replaces it.
src=$(cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod go mod download -json "github.com/ollama/ollama@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[ -d "$src" ] || { echo "could not download github.com/ollama/ollama@$version" >&2; exit 1; }

dst=third_party/ollama
rm -rf "$dst"
mkdir -p "$dst/llama/llama.cpp" "$dst/ml/backend/ggml"
# What Carrel builds: llama.cpp's library (include, src), ggml with its
# CPU, Metal and BLAS cgo packages, and the CMake project and GPU sources
# that packaging/gpu.sh builds the CUDA and Vulkan backends from.
cp "$src/LICENSE" "$src/CMakeLists.txt" "$src/CMakePresets.json" "$dst/"
cp -R "$src/llama/llama.cpp/LICENSE" "$src/llama/llama.cpp/include" "$src/llama/llama.cpp/src" "$dst/llama/llama.cpp/"
cp -R "$src/ml/backend/ggml/ggml" "$dst/ml/backend/ggml/"
chmod -R u+w "$dst"
# The copy holds only packages that import nothing outside it.
printf 'module github.com/ollama/ollama\n\ngo 1.24.1\n' > "$dst/go.mod"
echo "$version" > "$dst/VERSION"

for p in third_party/patches/*.patch; do
	[ -e "$p" ] || continue
	echo "applying $p"
	git apply --directory="$dst" "$p"
done
echo "third_party/ollama is ollama $version with $(ls third_party/patches/*.patch 2>/dev/null | wc -l) patches; now build and run make test"
