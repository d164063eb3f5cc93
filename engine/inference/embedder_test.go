package inference

import "testing"

func TestEmbeddingPrefixes(t *testing.T) {
	for _, c := range []struct{ name, query, passage string }{
		{"all-minilm-l6-v2-q4_k_m.gguf", "", ""},
		{"multilingual-e5-small multilingual-e5-small-q8_0.gguf", "query: ", "passage: "},
		{"e5-small-v2.q8_0.gguf", "query: ", "passage: "},
		{"nomic-embed-text-v1.5 nomic-embed-text-v1.5.q8_0.gguf", "search_query: ", "search_document: "},
		{"bge-small-en-v1.5-q8_0.gguf", "", ""},
		{"qwen2.5-0.5b-instruct-q4_k_m.gguf", "", ""},
		{"embeddinggemma-300m embeddinggemma-300M-Q8_0.gguf", "task: search result | query: ", "title: none | text: "},
		{"mxbai-embed-large-v1", "Represent this sentence for searching relevant passages: ", ""},
	} {
		pre := prefixesFor(c.name)
		q, p := pre.query, pre.passage
		if q != c.query || p != c.passage {
			t.Errorf("%s: %q, %q; want %q, %q", c.name, q, p, c.query, c.passage)
		}
	}
}
