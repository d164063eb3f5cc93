package synth

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// Each architecture's file carries its keys and tensors under the names
// llama.cpp reads, and a shape or name that cannot work is refused.
func TestWriteArchitectures(t *testing.T) {
	dir := t.TempDir()
	for _, name := range ArchNames() {
		arch := Archs[name]
		s := Shapes["tiny"]
		s.Layers = max(s.Layers, arch.MinLayers)
		path := filepath.Join(dir, name+".gguf")
		if err := Write(context.Background(), path, Options{Shape: s, Arch: name, Type: gguf.TensorF16, Seed: 1}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		info, err := gguf.ReadInfo(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Architecture != name || info.Layers != s.Layers || info.EmbeddingLength != s.Embd {
			t.Errorf("%s: read back %+v", name, info)
		}
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		tensors := map[string]bool{}
		for _, ti := range f.Tensors {
			tensors[ti.Name] = true
		}
		for tensor, want := range map[string]bool{
			"blk.0.attn_q_norm.weight":         arch.QKNorm,
			"blk.0.post_attention_norm.weight": arch.PostNorms,
			"blk.0.post_ffw_norm.weight":       arch.PostNorms,
			"blk.0.ffn_down.weight":            true,
		} {
			if tensors[tensor] != want {
				t.Errorf("%s: tensor %s present %v, want %v", name, tensor, tensors[tensor], want)
			}
		}
	}
	few := Shapes["tiny"]
	if err := Write(context.Background(), filepath.Join(dir, "few.gguf"), Options{Shape: few, Arch: "gemma3", Type: gguf.TensorF32}); err == nil || !strings.Contains(err.Error(), "at least 6 layers") {
		t.Errorf("a gemma3 of 2 layers: %v", err)
	}
	if err := Write(context.Background(), filepath.Join(dir, "x.gguf"), Options{Shape: few, Arch: "gpt-9", Type: gguf.TensorF32}); err == nil || !strings.Contains(err.Error(), "qwen3") {
		t.Errorf("an unknown architecture: %v", err)
	}
}
