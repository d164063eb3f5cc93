# Carrel's build. `make run` and `make test` are all a new machine needs:
# they install missing system packages (packaging/deps.sh), point cgo at
# the llama.cpp sources in third_party/ollama, and build.

GO      ?= go
VERSION ?= $(shell sed -n 's/^[[:space:]]*Version *= *"\(.*\)"/\1/p' FyneApp.toml)

# llama.cpp and ggml: the copy ollama vendors, carried in third_party/ollama
# with Carrel's CPU-kernel patches (third_party/README.md); go.mod points
# the ollama module there. cgo needs their headers.
OLLAMA_DIR := $(CURDIR)/third_party/ollama
export CGO_CPPFLAGS := -I$(OLLAMA_DIR)/llama/llama.cpp/include -I$(OLLAMA_DIR)/llama/llama.cpp/src -I$(OLLAMA_DIR)/ml/backend/ggml/ggml/include

# C flags for llama.cpp and ggml. Local builds tune for this CPU (AVX2,
# AVX-512, NEON… whatever it has); a release build must choose a baseline
# that runs everywhere (see packaging/ and docs/install.md).
CPU_FLAGS ?= -O3 -march=native
export CGO_CFLAGS   := $(CPU_FLAGS)
export CGO_CXXFLAGS := $(CPU_FLAGS)

LDFLAGS := -X 'main.version=$(VERSION)' -X 'main.cpuFlags=$(CPU_FLAGS)'

# Packages that are pure Go: they must also build and pass without cgo.
PURE := ./engine/... ./internal/... ./api/...

.PHONY: all build run test test-pure vet deps deps-test check-ollama screenshots package package-linux package-windows check-package-linux clean

all: build

check-ollama:
	@test -f "$(OLLAMA_DIR)/ml/backend/ggml/ggml/include/ggml.h" || { echo "third_party/ollama is incomplete (llama.cpp and ggml are built from it); check out the repository again" >&2; exit 1; }

deps:
	@sh packaging/deps.sh build

deps-test:
	@sh packaging/deps.sh test
	@sh packaging/pgvector.sh $(SHARED)

# The binary, and beside it the embedding model that ships with Carrel
# (fetched through the module proxy and checked: packaging/embedder.sh).
build: deps check-ollama
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/carrel ./app
	@sh packaging/embedder.sh bin/models

run: build
	./bin/carrel

vet: check-ollama
	$(GO) vet ./...

# The whole suite with the race detector, then the pure-Go core again
# without cgo, as a machine without a C compiler would build it. The
# PostgreSQL tests start their own server (deps-test installs it, and
# pgvector from the shared source): here they fail rather than skip when
# it is missing. The app's
# package runs the real window through its tour under Xvfb, which on 2
# busy cores can pass go test's default 10 minutes: the limit is CI's
# budget, not a speed target.
test: deps-test check-ollama vet
	CARREL_TEST_POSTGRES=require $(if $(wildcard $(SHARED)/pgvector/src),CARREL_TEST_PGVECTOR=require) \
		$(GO) test -race -count=1 -timeout 40m ./...
	$(MAKE) --no-print-directory test-pure

test-pure:
	CGO_ENABLED=0 $(GO) test -count=1 $(PURE)

# Screenshots of the app's main states, taken from the real window under
# Xvfb with the shared test assets: a new data folder, documents dropped
# in, a question asked of the tiny story model.
SHARED ?= ../shared
screenshots: deps-test build
	xvfb-run -a -s "-screen 0 1024x700x24" ./bin/carrel screenshots --out docs/screenshots \
		--model $(SHARED)/models/stories260K.gguf --scan-question "Happy New Year 2003" \
		$(SHARED)/corpus/pdf/text $(SHARED)/corpus/docx $(SHARED)/corpus/pdf/encrypted $(SHARED)/corpus/pdf/scanned
	# Moments too short to catch on screen (reading, a long answer at two
	# widths), drawn by Fyne's test driver from the real views.
	CARREL_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test ./ui -run TestWindowMoments -count=1

# Installable packages in dist/: for Linux the .deb, the AppImage and the
# tarball, and the Windows zip (cross-built with mingw-w64), each with
# llama.cpp compiled for three x86-64 levels (see packaging/package.sh).
# The macOS app is built on a Mac by .github/workflows/release.yml.
# check-package-linux installs the .deb, starts it and removes it again
# (as root; see packaging/check-linux.sh).
package: package-linux package-windows

deps-package:
	@sh packaging/deps.sh package

package-linux: deps-package check-ollama
	sh packaging/package.sh linux

package-windows: deps-package check-ollama
	sh packaging/package.sh windows

check-package-linux: deps-package
	sh packaging/check-linux.sh dist

clean:
	rm -rf bin dist
