//go:build cgo

package llm

/*
#include "bridge.h"
*/
import "C"

import "fmt"

// The quantized types whose CPU kernels the tests check.
var kernelTypes = map[string]C.enum_ggml_type{"Q4_0": C.GGML_TYPE_Q4_0, "Q5_0": C.GGML_TYPE_Q5_0, "Q8_0": C.GGML_TYPE_Q8_0,
	"Q4_K": C.GGML_TYPE_Q4_K, "Q5_K": C.GGML_TYPE_Q5_K, "Q6_K": C.GGML_TYPE_Q6_K}

// vecDotCheck runs the CPU's dot-product kernel of a quantized type on two
// random rows of n values and returns its result, the same product in
// double over the values the rows stand for, and Σ|x·y|.
func vecDotCheck(typ string, n int, seed uint) (got, want, scale float64, err error) {
	t, ok := kernelTypes[typ]
	if !ok {
		return 0, 0, 0, fmt.Errorf("no kernel check for %s", typ)
	}
	var g, w, s C.double
	if C.carrel_vec_dot_check(C.int(t), C.int(n), C.uint(seed), &g, &w, &s) != 0 {
		return 0, 0, 0, fmt.Errorf("%s has no CPU dot-product kernel", typ)
	}
	return float64(g), float64(w), float64(s), nil
}
