//go:build cgo

package llm

/*
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"context"
	"fmt"
	"os"
	"unsafe"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// Quantize converts the GGUF model at in to the quantization ft and writes
// it to out, with llama.cpp's own quantizer. A model already quantized is
// quantized again (which loses more than quantizing its F16 original). It runs to the
// end once started: ctx is checked only before. threads 0 means the number
// of physical cores.
func Quantize(ctx context.Context, in, out string, ft gguf.FileType, threads int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := ReadInfo(in); err != nil {
		return err
	}
	ensureInit()
	p := C.llama_model_quantize_default_params()
	p.ftype = C.enum_llama_ftype(ft)
	p.allow_requantize = true
	if threads <= 0 {
		threads = PhysicalCores()
	}
	p.nthread = C.int32_t(threads)
	cin, cout := C.CString(in), C.CString(out+".part")
	defer C.free(unsafe.Pointer(cin))
	defer C.free(unsafe.Pointer(cout))
	loadMu.Lock()
	logs.reset()
	rc := C.llama_model_quantize(cin, cout, &p)
	lines := logs.recent()
	loadMu.Unlock()
	if rc != 0 {
		os.Remove(out + ".part")
		return fmt.Errorf("llm: quantizing %s to %v failed: %v", in, ft, lines)
	}
	return os.Rename(out+".part", out)
}
