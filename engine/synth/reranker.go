package synth

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// Reranker writes to out a reranking model made from a BERT-style
// embedding model at base: the same encoder with rank pooling and a
// one-output classification head of the given weights (as many as the
// model's embedding length, no bias). Its scores mean nothing, but the
// head is linear, so negating the weights negates every score: enough for
// tests to check the reranking path end to end without a trained
// reranker.
func Reranker(ctx context.Context, base, out string, head []float32) error {
	f, err := gguf.Open(base)
	if err != nil {
		return err
	}
	arch := f.Architecture()
	if n, ok := f.ArchUint("embedding_length"); !ok || int(n) != len(head) {
		return fmt.Errorf("synth: the head has %d weights; %s embeds in %d", len(head), base, n)
	}
	src, err := os.Open(base)
	if err != nil {
		return err
	}
	defer src.Close()
	w := gguf.NewWriter()
	for _, kv := range f.KV {
		if err := w.Set(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	if err := w.Set(arch+".pooling_type", uint32(4)); err != nil { // rank
		return err
	}
	for _, ti := range f.Tensors {
		size, err := ti.Type.DataSize(ti.Elements())
		if err != nil {
			return err
		}
		sec := io.NewSectionReader(src, f.DataOffset+int64(ti.Offset), size)
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, func(dst io.Writer) error {
			_, err := io.Copy(dst, sec)
			return err
		}); err != nil {
			return err
		}
	}
	if err := w.AddTensor("cls.output.weight", gguf.TensorF32, []uint64{uint64(len(head)), 1}, func(dst io.Writer) error {
		return binary.Write(dst, binary.LittleEndian, head)
	}); err != nil {
		return err
	}
	return w.WriteFile(ctx, out)
}
