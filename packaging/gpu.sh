#!/bin/sh
# Builds a GPU backend of ggml as a shared library, from the same ggml
# sources that are compiled into Carrel (third_party/ollama: the copy the
# ollama module vendors, which go.mod points to), with ollama's CMake
# project, and puts it where Carrel's backend
# loader looks: beside the binary, in its lib/ folder, or in
# ../lib/carrel (see `carrel info`).
#
#   sh packaging/gpu.sh cuda   [DEST]   needs the CUDA toolkit (nvcc) and CMake 3.24+
#   sh packaging/gpu.sh vulkan [DEST]   needs the Vulkan SDK (libvulkan-dev, glslc) and CMake
#
# DEST defaults to bin/lib (for bin/carrel). With the library present and a
# GPU that fits the model, Carrel offloads by itself; without either it runs
# on the CPU and `carrel info` says why.
set -eu
kind=${1:?usage: gpu.sh cuda|vulkan [DEST]}
dest=${2:-bin/lib}
go=${GO:-go}
src=$($go list -m -f '{{.Dir}}' github.com/ollama/ollama)
work=${TMPDIR:-/tmp}/carrel-ggml-$kind
rm -rf "$work"
mkdir -p "$work"
# CMake writes beside its sources: build from a copy.
cp -r "$src/CMakeLists.txt" "$src/CMakePresets.json" "$src/ml" "$work/"
chmod -R u+w "$work"
case $kind in
cuda)
	command -v nvcc >/dev/null || { echo "needs the CUDA toolkit (nvcc) on PATH" >&2; exit 1; }
	cmake -S "$work" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES:-native}"
	cmake --build "$work/build" --config Release --target ggml-cuda -j "$(nproc 2>/dev/null || echo 2)"
	;;
vulkan)
	command -v glslc >/dev/null || { echo "needs the Vulkan SDK (glslc, libvulkan-dev)" >&2; exit 1; }
	cmake -S "$work" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_VULKAN=ON
	cmake --build "$work/build" --config Release --target ggml-vulkan -j "$(nproc 2>/dev/null || echo 2)"
	;;
*)
	echo "usage: gpu.sh cuda|vulkan [DEST]" >&2
	exit 2
	;;
esac
mkdir -p "$dest"
# The backend library and the ggml-base library it links against.
find "$work/build/lib" \( -name "libggml-$kind*" -o -name "ggml-$kind*.dll" -o -name "libggml-base*" -o -name "ggml-base*.dll" \) -exec cp -P {} "$dest/" \;
ls -l "$dest"
echo "Now run: carrel info   (it should list the GPU and choose it)"
