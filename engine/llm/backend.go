//go:build cgo

package llm

/*
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unsafe"

	// libllama and ggml (CPU backend compiled in; Metal on darwin/arm64),
	// vendored with cgo build files by the ollama module.
	_ "github.com/ollama/ollama/llama/llama.cpp/src"
	_ "github.com/ollama/ollama/ml/backend/ggml/ggml/src"
)

// llama.cpp's logger and backend registry are process-wide, so their Go
// side is too: one initialisation, one log ring.
var (
	initOnce sync.Once
	logs     = &logRing{}
)

// ensureInit loads dynamic GPU backends from the folders beside the binary
// and initialises llama.cpp, once per process.
func ensureInit() {
	initOnce.Do(func() {
		logs.echo = os.Getenv(LogEnv) == "1"
		C.carrel_set_log()
		for _, d := range BackendDirs() {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				cd := C.CString(d)
				C.ggml_backend_load_all_from_path(cd)
				C.free(unsafe.Pointer(cd))
			}
		}
		C.llama_backend_init()
	})
}

// BackendDirs lists where GPU backend libraries are looked for: the
// binary's folder, its lib/ and ../lib/carrel folders, and $CARREL_BACKENDS.
func BackendDirs() []string {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		d := filepath.Dir(exe)
		dirs = append(dirs, d, filepath.Join(d, "lib"), filepath.Join(d, "..", "lib", "carrel"))
	}
	if env := os.Getenv(BackendDirsEnv); env != "" {
		dirs = append(dirs, filepath.SplitList(env)...)
	}
	return dirs
}

// logRing keeps the last lines llama.cpp logged at warning level or above,
// so a failure can be explained in words instead of "returned NULL".
type logRing struct {
	mu    sync.Mutex
	lines []string
	part  strings.Builder
	echo  bool
}

//export carrelLog
func carrelLog(level C.int, text *C.char) {
	s := C.GoString(text)
	if logs.echo {
		fmt.Fprint(os.Stderr, s)
	}
	if level < C.GGML_LOG_LEVEL_WARN && level != C.GGML_LOG_LEVEL_CONT {
		return
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	logs.part.WriteString(s)
	if strings.HasSuffix(s, "\n") {
		logs.lines = append(logs.lines, strings.TrimSpace(logs.part.String()))
		logs.part.Reset()
		if len(logs.lines) > 64 {
			logs.lines = logs.lines[len(logs.lines)-64:]
		}
	}
}

// reset forgets earlier lines before an operation whose failure we may
// need to explain; recent returns what was logged since.
func (r *logRing) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = r.lines[:0]
}

func (r *logRing) recent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// Devices lists the compute devices ggml found, GPUs first.
func Devices() []Device {
	ensureInit()
	var out []Device
	buf := make([]byte, 4096)
	for i := C.size_t(0); i < C.ggml_backend_dev_count(); i++ {
		dev := C.ggml_backend_dev_get(i)
		var free, total C.size_t
		C.ggml_backend_dev_memory(dev, &free, &total)
		reg := C.ggml_backend_dev_backend_reg(dev)
		d := Device{
			Name:        C.GoString(C.ggml_backend_dev_name(dev)),
			Description: C.GoString(C.ggml_backend_dev_description(dev)),
			Backend:     C.GoString(C.ggml_backend_reg_name(reg)),
			FreeBytes:   uint64(free),
			TotalBytes:  uint64(total),
			Features:    map[string]string{},
		}
		switch C.ggml_backend_dev_type(dev) {
		case C.GGML_BACKEND_DEVICE_TYPE_CPU:
			d.Kind = DeviceCPU
		case C.GGML_BACKEND_DEVICE_TYPE_GPU:
			d.Kind = DeviceGPU
		case C.GGML_BACKEND_DEVICE_TYPE_IGPU:
			d.Kind = DeviceIGPU
		default:
			d.Kind = DeviceAccel
		}
		n := C.carrel_features(reg, (*C.char)(unsafe.Pointer(&buf[0])), C.int(len(buf)))
		for _, kv := range strings.Split(string(buf[:n]), ";") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				d.Features[k] = v
			}
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].Kind) < rank(out[j].Kind) })
	return out
}

func rank(k DeviceKind) int {
	switch k {
	case DeviceGPU:
		return 0
	case DeviceIGPU:
		return 1
	case DeviceAccel:
		return 2
	}
	return 3
}

// SystemInfo is llama.cpp's one-line summary of the build (SIMD features).
func SystemInfo() string {
	ensureInit()
	return strings.TrimSpace(C.GoString(C.llama_print_system_info()))
}

// Available reports whether this build can run models.
func Available() bool { return true }

// devicePtr finds the ggml device with the given name.
func devicePtr(name string) C.ggml_backend_dev_t {
	for i := C.size_t(0); i < C.ggml_backend_dev_count(); i++ {
		dev := C.ggml_backend_dev_get(i)
		if C.GoString(C.ggml_backend_dev_name(dev)) == name {
			return dev
		}
	}
	return nil
}
