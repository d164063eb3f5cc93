package gguf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/carrel-ai/carrel/internal/sharedtest"
)

func sample(t testing.TB) []byte {
	t.Helper()
	w := NewWriter()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Set("general.architecture", "llama"))
	must(w.Set("general.file_type", uint32(1)))
	must(w.Set("llama.context_length", uint32(2048)))
	must(w.Set("llama.rope.freq_base", float32(10000)))
	must(w.Set("tokenizer.ggml.tokens", []string{"<unk>", "<s>", "</s>", "hello"}))
	must(w.Set("tokenizer.ggml.scores", []float32{0, 0, 0, -1.5}))
	must(w.Set("tokenizer.ggml.add_bos_token", true))
	must(w.Set("big", uint64(1)<<40))
	must(w.AddTensor("a", TensorF32, []uint64{3, 2}, func(w io.Writer) error {
		return writeFloats(w, []float32{1, 2, 3, 4, 5, 6})
	}))
	must(w.AddTensor("b", TensorF16, []uint64{5}, func(w io.Writer) error {
		for i := 0; i < 5; i++ {
			if err := writeU16(w, F16(float32(i))); err != nil {
				return err
			}
		}
		return nil
	}))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFloats(w io.Writer, fs []float32) error {
	b := make([]byte, 4*len(fs))
	for i, f := range fs {
		u := math.Float32bits(f)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	_, err := w.Write(b)
	return err
}

func writeU16(w io.Writer, v uint16) error {
	_, err := w.Write([]byte{byte(v), byte(v >> 8)})
	return err
}

func TestRoundTrip(t *testing.T) {
	data := sample(t)
	f, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Architecture() != "llama" {
		t.Errorf("architecture = %q", f.Architecture())
	}
	if n, ok := f.ArchUint("context_length"); !ok || n != 2048 {
		t.Errorf("context_length = %d, %v", n, ok)
	}
	if v, _ := f.Get("tokenizer.ggml.tokens"); !reflect.DeepEqual(v, []string{"<unk>", "<s>", "</s>", "hello"}) {
		t.Errorf("tokens = %v", v)
	}
	if v, _ := f.Get("tokenizer.ggml.scores"); !reflect.DeepEqual(v, []float32{0, 0, 0, -1.5}) {
		t.Errorf("scores = %v", v)
	}
	if v, _ := f.Get("tokenizer.ggml.add_bos_token"); v != true {
		t.Errorf("add_bos = %v", v)
	}
	if v, ok := f.Uint("big"); !ok || v != 1<<40 {
		t.Errorf("big = %d", v)
	}
	if n, _ := f.ArrayLen("tokenizer.ggml.tokens"); n != 4 {
		t.Errorf("ArrayLen = %d", n)
	}
	if got := f.ParamCount(); got != 11 {
		t.Errorf("ParamCount = %d, want 11", got)
	}
	if len(f.Tensors) != 2 || f.Tensors[1].Offset != 32 || f.DataOffset%32 != 0 {
		t.Fatalf("tensors = %+v, data at %d", f.Tensors, f.DataOffset)
	}
	// The first tensor's data sits at DataOffset.
	a := data[f.DataOffset : f.DataOffset+24]
	if got := math.Float32frombits(uint32(a[20]) | uint32(a[21])<<8 | uint32(a[22])<<16 | uint32(a[23])<<24); got != 6 {
		t.Errorf("last element of a = %v", got)
	}
	if len(data) != int(f.DataOffset)+32+32 {
		t.Errorf("file is %d bytes, want %d", len(data), f.DataOffset+64)
	}
}

func TestReadErrors(t *testing.T) {
	data := sample(t)
	if _, err := Read(bytes.NewReader([]byte("PK\x03\x04 not a model"))); !errors.Is(err, ErrNotGGUF) {
		t.Errorf("zip: err = %v, want ErrNotGGUF", err)
	}
	if _, err := Read(bytes.NewReader(nil)); !errors.Is(err, ErrNotGGUF) {
		t.Errorf("empty: err = %v, want ErrNotGGUF", err)
	}
	bad := append([]byte{}, data...)
	bad[4] = 9 // version
	if _, err := Read(bytes.NewReader(bad)); !errors.Is(err, ErrVersion) {
		t.Errorf("version: err = %v", err)
	}
	huge := append([]byte{}, data[:24]...)
	huge[16] = 0xff // kv count's low byte
	huge[22] = 0x7f
	if _, err := Read(bytes.NewReader(huge)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("huge count: err = %v, want ErrCorrupt", err)
	}
	// Every truncation of the header is an error, never a panic.
	hdr, _ := Read(bytes.NewReader(data))
	for n := 4; n < int(hdr.DataOffset)-28; n++ {
		if _, err := Read(bytes.NewReader(data[:n])); !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d: err = %v, want ErrTruncated", n, err)
		}
	}
}

func TestOpenTruncatedData(t *testing.T) {
	data := sample(t)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.gguf")
	cut := filepath.Join(dir, "cut.gguf")
	if err := os.WriteFile(whole, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, data[:len(data)-40], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(whole); err != nil {
		t.Errorf("whole file: %v", err)
	}
	if _, err := Open(cut); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut file: err = %v, want ErrTruncated", err)
	}
	if _, err := Open(dir); err == nil {
		t.Error("folder opened as a model")
	}
	if _, err := Open(filepath.Join(dir, "missing.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
}

func TestWriteFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.gguf")
	w := NewWriter()
	w.Set("general.architecture", "llama")
	boom := errors.New("boom")
	w.AddTensor("x", TensorF32, []uint64{4}, func(io.Writer) error { return boom })
	if err := w.WriteFile(context.Background(), p); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("failed write left %v", entries)
	}
}

func TestF16(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want uint16
	}{
		{0, 0}, {1, 0x3c00}, {-2, 0xc000}, {0.5, 0x3800}, {65504, 0x7bff},
		{1e6, 0x7c00}, {float32(math.Inf(-1)), 0xfc00}, {5.960464477539063e-08, 0x0001},
		{1e-9, 0}, {0.1, 0x2e66}, {float32(math.NaN()), 0x7e00},
	} {
		if got := F16(tc.in); got != tc.want {
			t.Errorf("F16(%v) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}

func TestFileTypeNames(t *testing.T) {
	ft, err := ParseFileType("q4_k_m")
	if err != nil || ft != 15 || ft.String() != "Q4_K_M" {
		t.Errorf("ParseFileType = %v, %v", ft, err)
	}
	if _, err := ParseFileType("Q9"); err == nil {
		t.Error("unknown quantization accepted")
	}
}

func TestSharedModels(t *testing.T) {
	p := sharedtest.Path(t, "models/stories260K.gguf")
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Architecture() != "llama" {
		t.Errorf("architecture = %q", f.Architecture())
	}
	if n, _ := f.ArrayLen("tokenizer.ggml.tokens"); n != 512 {
		t.Errorf("vocabulary = %d tokens, want 512", n)
	}
	if p := f.ParamCount(); p < 200_000 || p > 400_000 {
		t.Errorf("ParamCount = %d, want about 260K", p)
	}
	v := sharedtest.Path(t, "models/vocab-only/ggml-vocab-llama-spm.gguf")
	vf, err := Open(v)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := vf.ArrayLen("tokenizer.ggml.tokens"); n != 32000 {
		t.Errorf("llama-spm vocabulary = %d", n)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(sample(f))
	f.Add([]byte("GGUF\x03\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(bytes.NewReader(data))
		if err == nil && file.DataOffset > int64(len(data))+DefaultAlignment {
			t.Fatalf("data offset %d beyond input of %d bytes", file.DataOffset, len(data))
		}
	})
}
