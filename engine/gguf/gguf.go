// Package gguf reads and writes GGUF, the file format of llama.cpp models.
//
// Reading looks only at the header (metadata and tensor descriptions), so a
// multi-gigabyte model is described in milliseconds without touching its
// weights. Writing exists for synthetic models: benchmarks and tests build
// llama-architecture files with real dimensions and random weights.
//
// The package is pure Go and defensive: every length in a header is checked
// against limits before anything is allocated, so a hostile or truncated
// file yields an error, never a panic or a huge allocation.
package gguf

import (
	"errors"
	"fmt"
	"strings"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the alignment of the tensor data section when a file
// does not set general.alignment.
const DefaultAlignment = 32

// Errors a reader returns; check them with errors.Is.
var (
	// ErrNotGGUF means the file does not start with the GGUF magic.
	ErrNotGGUF = errors.New("gguf: not a GGUF file")
	// ErrTruncated means the file ends inside its header or data.
	ErrTruncated = errors.New("gguf: file is truncated")
	// ErrCorrupt means a header field is impossible (bad type, absurd length).
	ErrCorrupt = errors.New("gguf: corrupt header")
	// ErrVersion means the GGUF version is one this reader does not know.
	ErrVersion = errors.New("gguf: unsupported version")
)

// ValueType is the type tag of a metadata value.
type ValueType uint32

// Metadata value types, as numbered by the GGUF specification.
const (
	TypeUint8 ValueType = iota
	TypeInt8
	TypeUint16
	TypeInt16
	TypeUint32
	TypeInt32
	TypeFloat32
	TypeBool
	TypeString
	TypeArray
	TypeUint64
	TypeInt64
	TypeFloat64
)

// TensorType is ggml's element type of a tensor.
type TensorType uint32

// Tensor types this package knows the sizes of. Others are still read from
// headers; only their byte size is unknown (see TensorType.RowSize).
const (
	TensorF32  TensorType = 0
	TensorF16  TensorType = 1
	TensorQ4_0 TensorType = 2
	TensorQ4_1 TensorType = 3
	TensorQ5_0 TensorType = 6
	TensorQ5_1 TensorType = 7
	TensorQ8_0 TensorType = 8
	TensorQ2_K TensorType = 10
	TensorQ3_K TensorType = 11
	TensorQ4_K TensorType = 12
	TensorQ5_K TensorType = 13
	TensorQ6_K TensorType = 14
	TensorBF16 TensorType = 30
)

// blockInfo is (elements per block, bytes per block) for each known type.
var blockInfo = map[TensorType][2]int64{
	TensorF32:  {1, 4},
	TensorF16:  {1, 2},
	TensorBF16: {1, 2},
	TensorQ4_0: {32, 18},
	TensorQ4_1: {32, 20},
	TensorQ5_0: {32, 22},
	TensorQ5_1: {32, 24},
	TensorQ8_0: {32, 34},
	TensorQ2_K: {256, 84},
	TensorQ3_K: {256, 110},
	TensorQ4_K: {256, 144},
	TensorQ5_K: {256, 176},
	TensorQ6_K: {256, 210},
}

// DataSize returns the bytes that n elements of type t occupy, or an error
// when the type is unknown or n is not a whole number of blocks.
func (t TensorType) DataSize(n int64) (int64, error) {
	bi, ok := blockInfo[t]
	if !ok {
		return 0, fmt.Errorf("gguf: unknown tensor type %d", t)
	}
	if n%bi[0] != 0 {
		return 0, fmt.Errorf("gguf: %d elements is not a whole number of %d-element blocks", n, bi[0])
	}
	return n / bi[0] * bi[1], nil
}

// FileType is llama.cpp's general.file_type: the dominant quantization.
type FileType uint32

var fileTypeNames = map[FileType]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
	10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
	16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
	22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
	28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
	37: "TQ2_0", 38: "MXFP4_MOE",
}

// String returns the quantization's usual name, such as "Q4_K_M".
func (f FileType) String() string {
	if s, ok := fileTypeNames[f]; ok {
		return s
	}
	return fmt.Sprintf("type %d", uint32(f))
}

// ParseFileType maps a name such as "q4_k_m" to its FileType.
func ParseFileType(name string) (FileType, error) {
	for k, v := range fileTypeNames {
		if strings.EqualFold(v, name) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("gguf: unknown quantization %q", name)
}
