// Package synth writes synthetic GGUF models of the architectures Carrel
// runs (llama, and the current small families: qwen3, gemma3, smollm3,
// gemma-embedding): real dimensions and a real tokenizer, random weights. Random weights cost the
// same compute as trained ones, so a synthetic model measures speed
// without downloading gigabytes; a tiny one lets tests run the whole
// inference path on a model they make themselves.
package synth

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// Shape is a transformer's dimensions.
type Shape struct {
	Name    string
	Embd    int // hidden size
	Layers  int
	Heads   int
	HeadsKV int // grouped-query attention: key/value heads
	FF      int // feed-forward size
	Vocab   int
	Context int
}

// Shapes are the sizes `carrel bench synth` knows: "tiny" for tests, and
// the dimensions of popular small models (llama architecture throughout).
var Shapes = map[string]Shape{
	"tiny": {Name: "tiny", Embd: 64, Layers: 2, Heads: 4, HeadsKV: 2, FF: 128, Vocab: 512, Context: 1024},
	// Qwen2.5-0.5B's dimensions.
	"0.5b": {Name: "0.5b", Embd: 896, Layers: 24, Heads: 14, HeadsKV: 2, FF: 4864, Vocab: 151936, Context: 32768},
	// Llama-3.2-1B's dimensions.
	"1b": {Name: "1b", Embd: 2048, Layers: 16, Heads: 32, HeadsKV: 8, FF: 8192, Vocab: 128256, Context: 131072},
	// Llama-3.2-3B's dimensions.
	"3b": {Name: "3b", Embd: 3072, Layers: 28, Heads: 24, HeadsKV: 8, FF: 8192, Vocab: 128256, Context: 131072},
}

// ShapeNames lists the known shapes, sorted.
func ShapeNames() []string {
	var s []string
	for k := range Shapes {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// ChatML is a chat template that llama.cpp recognises.
const ChatML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// Arch is an architecture Write can make: the extra tensors and keys
// llama.cpp reads for it, and its family's chat template.
type Arch struct {
	Name string // as general.architecture names it
	// QKNorm: a norm of each head's queries and keys (qwen3, gemma3).
	QKNorm bool
	// PostNorms: norms after attention and after the feed-forward
	// (gemma3).
	PostNorms bool
	// SlidingWindow is the local attention window of the layers that
	// have one (gemma3, gemma-embedding); 0 for none.
	SlidingWindow int
	// MinLayers: with a sliding window, every sixth layer attends to the
	// whole context, and llama.cpp needs one such layer at least.
	MinLayers int
	// Pooling, for an embedding model, is how its token vectors become
	// one (1: mean); 0 for a generating model.
	Pooling  int
	RopeBase float32
	// Template is the family's chat template (its published form, in
	// part), and Specials the control tokens it uses, which the
	// tokenizer must know as single tokens.
	Template string
	Specials []string
}

// Archs are the architectures Write knows, by name.
var Archs = map[string]Arch{
	"llama": {Name: "llama", RopeBase: 500000, Template: ChatML, Specials: []string{"<|im_start|>", "<|im_end|>"}},
	"qwen3": {Name: "qwen3", QKNorm: true, RopeBase: 1000000, Template: Qwen3Template,
		Specials: []string{"<|im_start|>", "<|im_end|>", "<think>", "</think>"}},
	"gemma3": {Name: "gemma3", QKNorm: true, PostNorms: true, SlidingWindow: 512, MinLayers: 6, RopeBase: 1000000, Template: Gemma3Template,
		Specials: []string{"<start_of_turn>", "<end_of_turn>"}},
	"smollm3": {Name: "smollm3", RopeBase: 5000000, Template: SmolLM3Template,
		Specials: []string{"<|im_start|>", "<|im_end|>", "<think>", "</think>"}},
	"gemma-embedding": {Name: "gemma-embedding", QKNorm: true, PostNorms: true, SlidingWindow: 512, MinLayers: 6, Pooling: 1, RopeBase: 1000000},
}

// The chat templates of the current families, as their models carry them
// (shortened to the parts that lay out messages): llama.cpp recognises
// each by its markers.
const (
	// Qwen3Template is ChatML, with a reasoning block the model writes
	// first unless the prompt closes an empty one.
	Qwen3Template = "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}" +
		"{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}"
	// Gemma3Template has user and model turns, the system prompt folded
	// into the first user turn.
	Gemma3Template = "{{ bos_token }}{%- for message in messages -%}{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}" +
		"{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{%- endfor -%}{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}"
	// SmolLM3Template is ChatML with a reasoning mode switched by /think
	// and /no_think.
	SmolLM3Template = "{%- set reasoning_mode = '/no_think' if '/no_think' in messages[0]['content'] else '/think' -%}" +
		"{%- for message in messages -%}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endfor -%}" +
		"{%- if add_generation_prompt -%}{%- if reasoning_mode == '/think' -%}{{ '<|im_start|>assistant\\n' }}{%- else -%}{{ '<|im_start|>assistant\\n<think>\\n\\n</think>\\n' }}{%- endif -%}{%- endif -%}"
)

// ArchNames lists the known architectures, sorted.
func ArchNames() []string {
	var s []string
	for k := range Archs {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Options for Write.
type Options struct {
	Shape Shape
	// Arch is the architecture (see Archs); "" means llama.
	Arch string
	// Type of the weight matrices: gguf.TensorF32 or gguf.TensorF16.
	Type gguf.TensorType
	// Tokenizer, if set, is a GGUF file whose tokenizer.* entries are used
	// (padded with unused tokens to Shape.Vocab); else a built-in
	// byte-fallback SentencePiece vocabulary is generated.
	Tokenizer *gguf.File
	// ChatTemplate is stored as tokenizer.chat_template when set.
	ChatTemplate string
	// Untied gives the model a vocabulary projection (output.weight) of
	// its own instead of reusing its token embeddings.
	Untied bool
	Seed   uint64
}

// Params is the number of weights a model of this shape has (with tied
// input and output embeddings, as the small models above use).
func (s Shape) Params() int64 {
	kv := int64(s.Embd / s.Heads * s.HeadsKV)
	e := int64(s.Embd)
	perLayer := 2*e + e*e*2 + 2*e*kv + 3*e*int64(s.FF)
	return int64(s.Vocab)*e + e + int64(s.Layers)*perLayer
}

// Write writes a synthetic model to path (atomically).
func Write(ctx context.Context, path string, o Options) error {
	s := o.Shape
	if s.Embd%s.Heads != 0 || s.Heads%s.HeadsKV != 0 {
		return fmt.Errorf("synth: shape %q: heads must divide the hidden size and be a multiple of the KV heads", s.Name)
	}
	if o.Type != gguf.TensorF32 && o.Type != gguf.TensorF16 {
		return fmt.Errorf("synth: weights must be F32 or F16, not type %d", o.Type)
	}
	arch := Archs["llama"]
	if o.Arch != "" {
		var ok bool
		if arch, ok = Archs[o.Arch]; !ok {
			return fmt.Errorf("synth: unknown architecture %q (one of %s)", o.Arch, strings.Join(ArchNames(), ", "))
		}
	}
	if s.Layers < arch.MinLayers {
		return fmt.Errorf("synth: %s needs at least %d layers (every sixth attends to the whole context), not %d", arch.Name, arch.MinLayers, s.Layers)
	}
	w := gguf.NewWriter()
	ft := uint32(0)
	if o.Type == gguf.TensorF16 {
		ft = 1
	}
	headDim := s.Embd / s.Heads
	a := arch.Name + "."
	kvs := []struct {
		k string
		v any
	}{
		{"general.architecture", arch.Name},
		{"general.name", "carrel-synthetic-" + s.Name},
		{"general.file_type", ft},
		{a + "context_length", uint32(s.Context)},
		{a + "embedding_length", uint32(s.Embd)},
		{a + "block_count", uint32(s.Layers)},
		{a + "feed_forward_length", uint32(s.FF)},
		{a + "attention.head_count", uint32(s.Heads)},
		{a + "attention.head_count_kv", uint32(s.HeadsKV)},
		{a + "rope.dimension_count", uint32(headDim)},
		{a + "rope.freq_base", arch.RopeBase},
		{a + "attention.layer_norm_rms_epsilon", float32(1e-5)},
		{a + "vocab_size", uint32(s.Vocab)},
	}
	if arch.SlidingWindow > 0 {
		kvs = append(kvs, struct {
			k string
			v any
		}{a + "attention.sliding_window", uint32(arch.SlidingWindow)})
	}
	if arch.Pooling > 0 {
		kvs = append(kvs, struct {
			k string
			v any
		}{a + "pooling_type", uint32(arch.Pooling)})
	}
	for _, kv := range kvs {
		if err := w.Set(kv.k, kv.v); err != nil {
			return err
		}
	}
	if err := setTokenizer(w, o.Tokenizer, s.Vocab, arch.Specials); err != nil {
		return err
	}
	if o.ChatTemplate != "" {
		w.Set("tokenizer.chat_template", o.ChatTemplate)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	e, kv, hd := uint64(s.Embd), uint64(headDim*s.HeadsKV), uint64(headDim)
	add := func(name string, dims ...uint64) {
		t := o.Type
		if len(dims) == 1 {
			t = gguf.TensorF32 // norms stay F32, as in real models
		}
		w.AddTensor(name, t, dims, randomFill(rng, t, dims, len(dims) == 1))
	}
	add("token_embd.weight", e, uint64(s.Vocab))
	add("output_norm.weight", e)
	if o.Untied {
		add("output.weight", e, uint64(s.Vocab))
	}
	for i := 0; i < s.Layers; i++ {
		p := fmt.Sprintf("blk.%d.", i)
		add(p+"attn_norm.weight", e)
		add(p+"attn_q.weight", e, e)
		add(p+"attn_k.weight", e, kv)
		add(p+"attn_v.weight", e, kv)
		add(p+"attn_output.weight", e, e)
		if arch.QKNorm {
			add(p+"attn_q_norm.weight", hd)
			add(p+"attn_k_norm.weight", hd)
		}
		if arch.PostNorms {
			add(p+"post_attention_norm.weight", e)
			add(p+"post_ffw_norm.weight", e)
		}
		add(p+"ffn_norm.weight", e)
		add(p+"ffn_gate.weight", e, uint64(s.FF))
		add(p+"ffn_up.weight", e, uint64(s.FF))
		add(p+"ffn_down.weight", uint64(s.FF), e)
	}
	return w.WriteFile(ctx, path)
}

// LoRA writes a LoRA adapter for a model of shape s: rank-r updates of the
// query and value projections of every layer.
func LoRA(ctx context.Context, path string, s Shape, rank int, seed uint64) error {
	w := gguf.NewWriter()
	w.Set("general.architecture", "llama")
	w.Set("general.type", "adapter")
	w.Set("general.name", "carrel-synthetic-lora-"+s.Name)
	w.Set("adapter.type", "lora")
	w.Set("adapter.lora.alpha", float32(rank))
	rng := rand.New(rand.NewPCG(seed, 7))
	e, r := uint64(s.Embd), uint64(rank)
	kv := uint64(s.Embd / s.Heads * s.HeadsKV)
	for i := 0; i < s.Layers; i++ {
		for _, m := range []struct {
			name string
			out  uint64
		}{{"attn_q", e}, {"attn_v", kv}} {
			base := fmt.Sprintf("blk.%d.%s.weight", i, m.name)
			w.AddTensor(base+".lora_a", gguf.TensorF32, []uint64{e, r}, scaledFill(rng, int(e*r), 1))
			w.AddTensor(base+".lora_b", gguf.TensorF32, []uint64{r, m.out}, scaledFill(rng, int(r*m.out), 1))
		}
	}
	return w.WriteFile(ctx, path)
}

// randomFill writes small uniform random weights (std 0.02, as models are
// initialised), or ones for norm vectors.
func randomFill(rng *rand.Rand, t gguf.TensorType, dims []uint64, ones bool) func(io.Writer) error {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	const std = 0.02
	a := float32(std * math.Sqrt(3))
	return func(w io.Writer) error {
		const chunk = 1 << 16
		size := 4
		if t == gguf.TensorF16 {
			size = 2
		}
		buf := make([]byte, chunk*size)
		for done := 0; done < n; done += chunk {
			k := min(chunk, n-done)
			for i := 0; i < k; i++ {
				v := float32(1)
				if !ones {
					v = (rng.Float32()*2 - 1) * a
				}
				if t == gguf.TensorF16 {
					binary.LittleEndian.PutUint16(buf[2*i:], gguf.F16(v))
				} else {
					binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
				}
			}
			if _, err := w.Write(buf[:k*size]); err != nil {
				return err
			}
		}
		return nil
	}
}

func scaledFill(rng *rand.Rand, n int, std float64) func(io.Writer) error {
	return func(w io.Writer) error {
		buf := make([]byte, 4*n)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(rng.NormFloat64()*std)))
		}
		_, err := w.Write(buf)
		return err
	}
}

// Token types as llama.cpp numbers them.
const (
	tokNormal  = 1
	tokUnknown = 2
	tokControl = 3
	tokUnused  = 5
	tokByte    = 6
)

// setTokenizer copies a real tokenizer, or builds the built-in one, padded
// to n tokens so the output layer costs what the real model's does.
func setTokenizer(w *gguf.Writer, src *gguf.File, n int, specials []string) error {
	if src != nil {
		v, _ := src.Get("tokenizer.ggml.tokens")
		toks, ok := v.([]string)
		if !ok {
			return fmt.Errorf("synth: tokenizer source has no token list")
		}
		for _, kv := range src.KV {
			if strings.HasPrefix(kv.Key, "tokenizer.") && kv.Key != "tokenizer.chat_template" {
				if err := w.Set(kv.Key, kv.Value); err != nil {
					return err
				}
			}
		}
		pad := max(n-len(toks), 0)
		if pad == 0 {
			return nil
		}
		toks = append(append([]string{}, toks...), padTokens(len(toks), pad)...)
		w.Set("tokenizer.ggml.tokens", toks)
		if v, ok := src.Get("tokenizer.ggml.scores"); ok {
			if sc, ok := v.([]float32); ok {
				w.Set("tokenizer.ggml.scores", append(append([]float32{}, sc...), make([]float32, pad)...))
			}
		}
		if v, ok := src.Get("tokenizer.ggml.token_type"); ok {
			if tt, ok := v.([]int32); ok {
				tt = append([]int32{}, tt...)
				for i := 0; i < pad; i++ {
					tt = append(tt, tokUnused)
				}
				w.Set("tokenizer.ggml.token_type", tt)
			}
		}
		return nil
	}
	toks := []string{"<unk>", "<s>", "</s>"}
	types := []int32{tokUnknown, tokControl, tokControl}
	for _, sp := range specials {
		toks = append(toks, sp)
		types = append(types, tokControl)
	}
	for b := 0; b < 256; b++ {
		toks = append(toks, fmt.Sprintf("<0x%02X>", b))
		types = append(types, tokByte)
	}
	for _, wd := range strings.Fields(commonWords) {
		toks = append(toks, "▁"+wd)
		types = append(types, tokNormal)
	}
	for c := 'a'; c <= 'z'; c++ {
		toks = append(toks, string(c))
		types = append(types, tokNormal)
	}
	if len(toks) > n {
		toks, types = toks[:n], types[:n]
	}
	for _, p := range padTokens(len(toks), n-len(toks)) {
		toks = append(toks, p)
		types = append(types, tokNormal)
	}
	scores := make([]float32, len(toks))
	for i := range scores {
		scores[i] = -float32(i)
	}
	w.Set("tokenizer.ggml.model", "llama")
	w.Set("tokenizer.ggml.tokens", toks)
	w.Set("tokenizer.ggml.scores", scores)
	w.Set("tokenizer.ggml.token_type", types)
	w.Set("tokenizer.ggml.bos_token_id", uint32(1))
	w.Set("tokenizer.ggml.eos_token_id", uint32(2))
	w.Set("tokenizer.ggml.unknown_token_id", uint32(0))
	w.Set("tokenizer.ggml.add_bos_token", true)
	return nil
}

func padTokens(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("▁tok%d", from+i)
	}
	return out
}

const commonWords = `the of and to a in is it you that he was for on are with as I his they be at one have this from or had by word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find any new work part take get place made live where after back little only round man year came show every good me give our under name very through just form sentence great think say help low line differ turn cause much mean before move right boy old too same tell does set three want air well also play small end put home read hand port large spell add even land here must big high such follow act why ask men change went light kind off need house picture try us again animal point mother world near build self earth father head stand own page should country found answer school grow study still learn plant cover food sun four between state keep eye never last let thought city tree cross farm hard start might story saw far sea draw left late run while press close night real life few north open seem together next white children begin got walk example ease paper group always music those both mark often letter until mile river car feet care second book carry took science eat room friend began idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual young ready above ever red list though feel talk bird soon body dog family direct pose leave song measure door product black short numeral class wind question happen complete ship area half rock order fire south problem piece told knew pass since top whole king space heard best hour better true during hundred five remember step early hold west ground interest reach fast verb sing listen six table travel less morning ten simple several vowel toward war lay against pattern slow center love person money serve appear road map rain rule govern pull cold notice voice unit power town fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest correct able pound done beauty drive stood contain front teach week final gave green oh quick develop ocean warm free minute strong special mind behind clear tail produce fact street inch multiply nothing course stay wheel full force blue object decide surface deep moon island foot system busy test record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow tire bring yes distant fill east paint language among`
