package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Limits on header fields. Real models stay far below them; a file beyond
// them is corrupt or hostile, and is refused before anything is allocated.
const (
	maxString  = 1 << 24 // 16 MiB: chat templates are the longest strings
	maxArray   = 1 << 24 // vocabularies and merge lists reach a few 100k
	maxKV      = 1 << 16
	maxTensors = 1 << 20
	maxDims    = 4 // GGML_MAX_DIMS
)

// KV is one metadata entry. Value holds a Go value of the natural type:
// uint8 … float64, bool, string, or for arrays a slice of those ([]string,
// []float32, []int32, …; []any for nested arrays).
type KV struct {
	Key   string
	Type  ValueType
	Value any
}

// TensorInfo describes one tensor: its name, shape, element type and offset
// from the start of the data section.
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   TensorType
	Offset uint64
}

// Elements is the number of elements in the tensor.
func (t TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= int64(d)
	}
	return n
}

// File is the header of a GGUF file.
type File struct {
	Version    uint32
	KV         []KV
	Tensors    []TensorInfo
	Alignment  int64
	DataOffset int64 // where the tensor data starts in the file
	HeaderSize int64 // bytes of the header, before alignment padding
	index      map[string]int
}

// Open reads the header of the GGUF file at path and checks that the file
// is long enough to hold every tensor it describes.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("gguf: %s is a folder, not a file", path)
	}
	f, err := Read(fh)
	if err != nil {
		return nil, err
	}
	if end, ok := f.dataEnd(); ok && end > st.Size() {
		return nil, fmt.Errorf("%w: tensor data needs %d bytes, file has %d", ErrTruncated, end, st.Size())
	}
	return f, nil
}

// dataEnd returns the end offset of the last tensor's data, when every
// tensor has a known type.
func (f *File) dataEnd() (int64, bool) {
	end := f.HeaderSize
	for _, t := range f.Tensors {
		size, err := t.Type.DataSize(t.Elements())
		if err != nil {
			return 0, false
		}
		if e := f.DataOffset + int64(t.Offset) + size; e > end {
			end = e
		}
	}
	return end, true
}

// Read parses a GGUF header from r. It stops after the tensor descriptions
// and does not read tensor data.
func Read(r io.Reader) (*File, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 1<<16)}
	f, err := d.file()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w (at byte %d)", ErrTruncated, d.n)
		}
		return nil, err
	}
	return f, nil
}

type decoder struct {
	r *bufio.Reader
	n int64 // bytes consumed
	b [8]byte
}

func (d *decoder) file() (*File, error) {
	magic, err := d.bytes(4)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrNotGGUF
		}
		return nil, err
	}
	if string(magic) != Magic {
		return nil, ErrNotGGUF
	}
	f := &File{Alignment: DefaultAlignment, index: map[string]int{}}
	if f.Version, err = d.u32(); err != nil {
		return nil, err
	}
	if f.Version < 2 || f.Version > 3 {
		return nil, fmt.Errorf("%w %d", ErrVersion, f.Version)
	}
	nTensors, err := d.u64()
	if err != nil {
		return nil, err
	}
	nKV, err := d.u64()
	if err != nil {
		return nil, err
	}
	if nTensors > maxTensors || nKV > maxKV {
		return nil, fmt.Errorf("%w: %d tensors, %d metadata entries", ErrCorrupt, nTensors, nKV)
	}
	for i := uint64(0); i < nKV; i++ {
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		t, err := d.u32()
		if err != nil {
			return nil, err
		}
		v, err := d.value(ValueType(t), 0)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		f.index[key] = len(f.KV)
		f.KV = append(f.KV, KV{Key: key, Type: ValueType(t), Value: v})
	}
	if a, ok := f.Uint("general.alignment"); ok {
		if a == 0 || a&(a-1) != 0 || a > 1<<20 {
			return nil, fmt.Errorf("%w: alignment %d", ErrCorrupt, a)
		}
		f.Alignment = int64(a)
	}
	f.Tensors = make([]TensorInfo, 0, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		var t TensorInfo
		if t.Name, err = d.str(); err != nil {
			return nil, err
		}
		nd, err := d.u32()
		if err != nil {
			return nil, err
		}
		if nd == 0 || nd > maxDims {
			return nil, fmt.Errorf("%w: tensor %q has %d dimensions", ErrCorrupt, t.Name, nd)
		}
		elems := uint64(1)
		for j := uint32(0); j < nd; j++ {
			dim, err := d.u64()
			if err != nil {
				return nil, err
			}
			if dim == 0 || dim > math.MaxInt64/elems {
				return nil, fmt.Errorf("%w: tensor %q has dimension %d", ErrCorrupt, t.Name, dim)
			}
			elems *= dim
			t.Dims = append(t.Dims, dim)
		}
		tt, err := d.u32()
		if err != nil {
			return nil, err
		}
		t.Type = TensorType(tt)
		if t.Offset, err = d.u64(); err != nil {
			return nil, err
		}
		if t.Offset > math.MaxInt64/2 {
			return nil, fmt.Errorf("%w: tensor %q offset %d", ErrCorrupt, t.Name, t.Offset)
		}
		f.Tensors = append(f.Tensors, t)
	}
	f.HeaderSize = d.n
	f.DataOffset = alignUp(d.n, f.Alignment)
	return f, nil
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

func (d *decoder) bytes(n int) ([]byte, error) {
	buf := make([]byte, n)
	k, err := io.ReadFull(d.r, buf)
	d.n += int64(k)
	return buf, err
}

func (d *decoder) fixed(n int) ([]byte, error) {
	k, err := io.ReadFull(d.r, d.b[:n])
	d.n += int64(k)
	return d.b[:n], err
}

func (d *decoder) u32() (uint32, error) {
	b, err := d.fixed(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) u64() (uint64, error) {
	b, err := d.fixed(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (d *decoder) str() (string, error) {
	n, err := d.u64()
	if err != nil {
		return "", err
	}
	if n > maxString {
		return "", fmt.Errorf("%w: string of %d bytes", ErrCorrupt, n)
	}
	b, err := d.bytes(int(n))
	return string(b), err
}

func (d *decoder) value(t ValueType, depth int) (any, error) {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		b, err := d.fixed(1)
		if err != nil {
			return nil, err
		}
		switch t {
		case TypeUint8:
			return b[0], nil
		case TypeInt8:
			return int8(b[0]), nil
		}
		return b[0] != 0, nil
	case TypeUint16, TypeInt16:
		b, err := d.fixed(2)
		if err != nil {
			return nil, err
		}
		v := binary.LittleEndian.Uint16(b)
		if t == TypeInt16 {
			return int16(v), nil
		}
		return v, nil
	case TypeUint32, TypeInt32, TypeFloat32:
		v, err := d.u32()
		if err != nil {
			return nil, err
		}
		switch t {
		case TypeInt32:
			return int32(v), nil
		case TypeFloat32:
			return math.Float32frombits(v), nil
		}
		return v, nil
	case TypeUint64, TypeInt64, TypeFloat64:
		v, err := d.u64()
		if err != nil {
			return nil, err
		}
		switch t {
		case TypeInt64:
			return int64(v), nil
		case TypeFloat64:
			return math.Float64frombits(v), nil
		}
		return v, nil
	case TypeString:
		return d.str()
	case TypeArray:
		if depth > 2 {
			return nil, fmt.Errorf("%w: arrays nested too deeply", ErrCorrupt)
		}
		et, err := d.u32()
		if err != nil {
			return nil, err
		}
		n, err := d.u64()
		if err != nil {
			return nil, err
		}
		if n > maxArray {
			return nil, fmt.Errorf("%w: array of %d elements", ErrCorrupt, n)
		}
		return d.array(ValueType(et), int(n), depth)
	}
	return nil, fmt.Errorf("%w: value type %d", ErrCorrupt, t)
}

// array reads n values of type t into a typed slice. Capacity grows with
// what is actually read, so a lying count cannot force a huge allocation.
func (d *decoder) array(t ValueType, n, depth int) (any, error) {
	c := min(n, 1<<12)
	switch t {
	case TypeString:
		return readArray(d, t, n, make([]string, 0, c), depth)
	case TypeFloat32:
		return readArray(d, t, n, make([]float32, 0, c), depth)
	case TypeInt32:
		return readArray(d, t, n, make([]int32, 0, c), depth)
	case TypeUint32:
		return readArray(d, t, n, make([]uint32, 0, c), depth)
	case TypeUint8:
		return readArray(d, t, n, make([]uint8, 0, c), depth)
	case TypeInt8:
		return readArray(d, t, n, make([]int8, 0, c), depth)
	case TypeUint16:
		return readArray(d, t, n, make([]uint16, 0, c), depth)
	case TypeInt16:
		return readArray(d, t, n, make([]int16, 0, c), depth)
	case TypeUint64:
		return readArray(d, t, n, make([]uint64, 0, c), depth)
	case TypeInt64:
		return readArray(d, t, n, make([]int64, 0, c), depth)
	case TypeFloat64:
		return readArray(d, t, n, make([]float64, 0, c), depth)
	case TypeBool:
		return readArray(d, t, n, make([]bool, 0, c), depth)
	case TypeArray:
		return readArray(d, t, n, make([]any, 0, c), depth)
	}
	return nil, fmt.Errorf("%w: array element type %d", ErrCorrupt, t)
}

func readArray[T any](d *decoder, t ValueType, n int, s []T, depth int) ([]T, error) {
	for i := 0; i < n; i++ {
		v, err := d.value(t, depth+1)
		if err != nil {
			return nil, err
		}
		s = append(s, v.(T))
	}
	return s, nil
}

// Get returns the value of key.
func (f *File) Get(key string) (any, bool) {
	i, ok := f.index[key]
	if !ok {
		return nil, false
	}
	return f.KV[i].Value, true
}

// String returns the string value of key.
func (f *File) String(key string) (string, bool) {
	v, ok := f.Get(key)
	s, isStr := v.(string)
	return s, ok && isStr
}

// Uint returns an unsigned or non-negative integer value of key.
func (f *File) Uint(key string) (uint64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}

// ArrayLen returns the number of elements of an array value.
func (f *File) ArrayLen(key string) (int, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case []string:
		return len(x), true
	case []float32:
		return len(x), true
	case []int32:
		return len(x), true
	case []uint32:
		return len(x), true
	case []any:
		return len(x), true
	}
	return 0, false
}

// Architecture returns general.architecture, such as "llama".
func (f *File) Architecture() string {
	s, _ := f.String("general.architecture")
	return s
}

// ArchUint returns the architecture-scoped value "<arch>.<name>", such as
// ArchUint("context_length").
func (f *File) ArchUint(name string) (uint64, bool) {
	return f.Uint(f.Architecture() + "." + name)
}

// ParamCount is the number of weights across all tensors.
func (f *File) ParamCount() int64 {
	var n int64
	for _, t := range f.Tensors {
		n += t.Elements()
	}
	return n
}
