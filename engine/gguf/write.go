package gguf

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// Writer builds a GGUF file: metadata first, then tensors whose data is
// produced on demand, so a multi-gigabyte file streams without being held
// in memory.
type Writer struct {
	kv      []KV
	keys    map[string]int
	tensors []tensorEntry
	offset  int64 // running data offset of the next tensor
}

type tensorEntry struct {
	info TensorInfo
	size int64
	fill func(io.Writer) error
}

// NewWriter returns an empty Writer.
func NewWriter() *Writer { return &Writer{keys: map[string]int{}} }

// Set adds or replaces a metadata entry; its GGUF type follows the Go type
// of v (uint32, int32, float32, bool, string, uint64, …, or a slice of one).
func (w *Writer) Set(key string, v any) error {
	t, err := typeOf(v)
	if err != nil {
		return fmt.Errorf("gguf: key %q: %w", key, err)
	}
	kv := KV{Key: key, Type: t, Value: v}
	if i, ok := w.keys[key]; ok {
		w.kv[i] = kv
		return nil
	}
	w.keys[key] = len(w.kv)
	w.kv = append(w.kv, kv)
	return nil
}

// AddTensor declares a tensor; fill writes exactly its data when the file
// is written. Tensors are stored in the order they are added.
func (w *Writer) AddTensor(name string, t TensorType, dims []uint64, fill func(io.Writer) error) error {
	info := TensorInfo{Name: name, Dims: dims, Type: t, Offset: uint64(w.offset)}
	size, err := t.DataSize(info.Elements())
	if err != nil {
		return fmt.Errorf("gguf: tensor %q: %w", name, err)
	}
	w.tensors = append(w.tensors, tensorEntry{info: info, size: size, fill: fill})
	w.offset = alignUp(w.offset+size, DefaultAlignment)
	return nil
}

// WriteFile writes the file to path atomically (a temporary file renamed
// into place), so an interrupted write never leaves a half file at path.
func (w *Writer) WriteFile(ctx context.Context, path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gguf-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = w.write(ctx, bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteTo writes the whole file to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	cw := &countWriter{w: out}
	err := w.write(context.Background(), cw)
	return cw.n, err
}

func (w *Writer) write(ctx context.Context, out io.Writer) error {
	cw := &countWriter{w: out}
	e := encoder{w: cw}
	e.raw([]byte(Magic))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.kv)))
	for _, kv := range w.kv {
		e.str(kv.Key)
		e.u32(uint32(kv.Type))
		e.value(kv.Type, kv.Value)
	}
	for _, t := range w.tensors {
		e.str(t.info.Name)
		e.u32(uint32(len(t.info.Dims)))
		for _, d := range t.info.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.info.Type))
		e.u64(t.info.Offset)
	}
	if e.err != nil {
		return e.err
	}
	if err := pad(cw, DefaultAlignment); err != nil {
		return err
	}
	for _, t := range w.tensors {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := cw.n
		if err := t.fill(cw); err != nil {
			return fmt.Errorf("gguf: tensor %q: %w", t.info.Name, err)
		}
		if got := cw.n - start; got != t.size {
			return fmt.Errorf("gguf: tensor %q: wrote %d bytes, want %d", t.info.Name, got, t.size)
		}
		if err := pad(cw, DefaultAlignment); err != nil {
			return err
		}
	}
	return nil
}

func pad(cw *countWriter, a int64) error {
	n := alignUp(cw.n, a) - cw.n
	_, err := cw.Write(make([]byte, n))
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder writes little-endian values and remembers the first error.
type encoder struct {
	w   io.Writer
	err error
	b   [8]byte
}

func (e *encoder) raw(p []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}
func (e *encoder) u8(v uint8)   { e.raw([]byte{v}) }
func (e *encoder) u16(v uint16) { binary.LittleEndian.PutUint16(e.b[:2], v); e.raw(e.b[:2]) }
func (e *encoder) u32(v uint32) { binary.LittleEndian.PutUint32(e.b[:4], v); e.raw(e.b[:4]) }
func (e *encoder) u64(v uint64) { binary.LittleEndian.PutUint64(e.b[:8], v); e.raw(e.b[:8]) }
func (e *encoder) str(s string) { e.u64(uint64(len(s))); e.raw([]byte(s)) }

func (e *encoder) value(t ValueType, v any) {
	switch x := v.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case bool:
		if x {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case string:
		e.str(x)
	default:
		et, n, elem := arrayInfo(v)
		e.u32(uint32(et))
		e.u64(uint64(n))
		for i := 0; i < n; i++ {
			e.value(et, elem(i))
		}
	}
}

func typeOf(v any) (ValueType, error) {
	switch v.(type) {
	case uint8:
		return TypeUint8, nil
	case int8:
		return TypeInt8, nil
	case bool:
		return TypeBool, nil
	case uint16:
		return TypeUint16, nil
	case int16:
		return TypeInt16, nil
	case uint32:
		return TypeUint32, nil
	case int32:
		return TypeInt32, nil
	case float32:
		return TypeFloat32, nil
	case uint64:
		return TypeUint64, nil
	case int64:
		return TypeInt64, nil
	case float64:
		return TypeFloat64, nil
	case string:
		return TypeString, nil
	}
	if et, _, _ := arrayInfo(v); et != TypeArray || isNested(v) {
		return TypeArray, nil
	}
	return 0, fmt.Errorf("unsupported value type %T", v)
}

func isNested(v any) bool { _, ok := v.([]any); return ok }

// arrayInfo returns the element type, length and element accessor of a
// slice value; for an unsupported value the element type is TypeArray and
// the length 0.
func arrayInfo(v any) (ValueType, int, func(int) any) {
	switch x := v.(type) {
	case []string:
		return TypeString, len(x), func(i int) any { return x[i] }
	case []float32:
		return TypeFloat32, len(x), func(i int) any { return x[i] }
	case []int32:
		return TypeInt32, len(x), func(i int) any { return x[i] }
	case []uint32:
		return TypeUint32, len(x), func(i int) any { return x[i] }
	case []uint8:
		return TypeUint8, len(x), func(i int) any { return x[i] }
	case []int8:
		return TypeInt8, len(x), func(i int) any { return x[i] }
	case []uint16:
		return TypeUint16, len(x), func(i int) any { return x[i] }
	case []int16:
		return TypeInt16, len(x), func(i int) any { return x[i] }
	case []uint64:
		return TypeUint64, len(x), func(i int) any { return x[i] }
	case []int64:
		return TypeInt64, len(x), func(i int) any { return x[i] }
	case []float64:
		return TypeFloat64, len(x), func(i int) any { return x[i] }
	case []bool:
		return TypeBool, len(x), func(i int) any { return x[i] }
	case []any:
		if len(x) == 0 {
			return TypeUint8, 0, nil
		}
		et, _ := typeOf(x[0])
		return et, len(x), func(i int) any { return x[i] }
	}
	return TypeArray, 0, nil
}

// F16 converts a float32 to IEEE half precision bits, rounding to nearest
// even, as ggml stores F16 tensors.
func F16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case b&0x7fffffff == 0:
		return sign
	case int32(b>>23&0xff) == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp >= 0x1f:
		return sign | 0x7c00
	case exp <= 0:
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - exp)
		h := mant >> shift
		rem := mant & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(exp)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, which is still correct
	}
	return sign | uint16(h)
}
