package lab

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/retrieve"
)

// TextLibrary is the library BuildTextLibrary fills.
const TextLibrary = SyntheticLibrary

// BuildTextLibrary fills the data folder's store with n passages of real
// text from a BEIR-layout dataset (SQuAD's articles, for one): the
// dataset's passages in turn, each later copy with its sentences in
// another order, so that no copy repeats another word for word while
// every fact stays where a question about it finds it. Passages go 20 to
// a document, titled with their article. Like the synthetic library it
// has no vectors: it is searched by its words. A store that already
// holds exactly n passages is kept (took is 0); one holding others is
// refused.
//
// Synthetic words (random letter strings) are cut by a real tokenizer
// into many pieces and give evidence selection nothing to choose by;
// real passages make the prompt a model reads what it is in use.
func BuildTextLibrary(ctx context.Context, dataDir, dataset string, n int) (took time.Duration, err error) {
	set, err := retrieve.LoadBEIR(dataset)
	if err != nil {
		return 0, err
	}
	if len(set.Corpus) == 0 {
		return 0, fmt.Errorf("lab: %s has no passages", dataset)
	}
	idx, err := index.Open(ctx, filepath.Join(dataDir, "library"), "")
	if err != nil {
		return 0, err
	}
	defer idx.Close()
	if kept, err := keepOrRefuse(ctx, idx, n, dataDir); err != nil || kept {
		return 0, err
	}
	start := time.Now()
	lib, err := idx.Library(ctx, TextLibrary)
	if err != nil {
		return 0, err
	}
	const perDoc = 20
	for d, next := 0, 0; next < n; d++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		k := min(perDoc, n-next)
		chunks := make([]index.Chunk, k)
		title := ""
		for i := range chunks {
			copyNo, p := (next+i)/len(set.Corpus), set.Corpus[(next+i)%len(set.Corpus)]
			if i == 0 {
				title = p.Title
			}
			chunks[i] = index.Chunk{Text: reorderSentences(p.Text, copyNo), Page: i + 1}
		}
		next += k
		doc, _, err := idx.Enqueue(ctx, lib.ID, fmt.Sprintf("/bench/text-%06d.txt", d), 1000, time.Unix(int64(d), 0), nil)
		if err != nil {
			return 0, err
		}
		if err := idx.Replace(ctx, doc.ID, index.Meta{Hash: fmt.Sprint(d), Format: "text", Title: title}, chunks, nil, ""); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// reorderSentences returns text with its sentences in the order of copy
// copyNo: copy 0 is the text as it is; the others are shuffled by a seed
// of their own, so the same copy is the same text on every run.
func reorderSentences(text string, copyNo int) string {
	if copyNo == 0 {
		return text
	}
	s := sentences(text)
	if len(s) < 2 {
		return text
	}
	rng := rand.New(rand.NewPCG(uint64(copyNo), uint64(len(text))))
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return strings.Join(s, " ")
}

// sentences cuts text after each ". ", "? " or "! ".
func sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(text); i++ {
		if (text[i] == '.' || text[i] == '?' || text[i] == '!') && text[i+1] == ' ' {
			out = append(out, strings.TrimSpace(text[start:i+1]))
			start = i + 2
		}
	}
	if rest := strings.TrimSpace(text[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// DatasetQuestions returns the questions of a BEIR-layout dataset that
// have a relevant passage.
func DatasetQuestions(dataset string) ([]string, error) {
	set, err := retrieve.LoadBEIR(dataset)
	if err != nil {
		return nil, err
	}
	var qs []string
	for _, q := range set.Queries {
		if len(set.Qrels[q.ID]) > 0 {
			qs = append(qs, q.Text)
		}
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("lab: %s has no questions with a relevant passage", dataset)
	}
	return qs, nil
}
