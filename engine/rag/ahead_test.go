package rag

import (
	"context"
	"strings"
	"testing"
)

// The prompt read ahead for the words typed so far is the beginning of
// the prompt the whole question gets when the sources stay: the same
// messages, the last one cut inside the question. When the model is not
// to be asked, nothing is read ahead.
func TestAheadOfIsThePromptsBeginning(t *testing.T) {
	ctx := context.Background()
	lib := towerLibrary()
	const question = "How tall is the Eiffel Tower?"
	for _, typed := range []string{"How", "How tall is", "How tall is the Eiffel", question} {
		m := &fakeModel{reply: "It is 330 metres tall [1].", size: 4096}
		cfg := Config{}
		r, err := Retrieve(ctx, lib, typed, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ahead, ok, err := AheadOf(ctx, m, lib, Question{Text: typed}, r, cfg)
		if err != nil || !ok {
			t.Fatalf("%q: %v, %v", typed, ok, err)
		}
		r, _ = Retrieve(ctx, lib, question, cfg)
		if _, err := Respond(ctx, m, lib, Question{Text: question}, r, cfg, nil); err != nil {
			t.Fatal(err)
		}
		if len(ahead) != len(m.last) {
			t.Fatalf("%q: %d messages read ahead, %d asked", typed, len(ahead), len(m.last))
		}
		for i := range ahead {
			last := i == len(ahead)-1
			if ahead[i].Role != m.last[i].Role || !last && ahead[i].Content != m.last[i].Content ||
				last && !strings.HasPrefix(m.last[i].Content, ahead[i].Content) {
				t.Errorf("%q: message %d read ahead %q, asked %q", typed, i, ahead[i].Content, m.last[i].Content)
			}
		}
		if !strings.HasSuffix(ahead[len(ahead)-1].Content, "Question: "+typed) {
			t.Errorf("%q: the read-ahead ends %q", typed, ahead[len(ahead)-1].Content)
		}
	}

	m := &fakeModel{size: 4096}
	r, _ := Retrieve(ctx, lib, question, Config{})
	nothing := &fakeLibrary{result: r.Result}
	nothing.result.Relevant = false
	rn, _ := Retrieve(ctx, nothing, question, Config{})
	for name, tc := range map[string]struct {
		q Question
		r Retrieval
	}{
		"nothing relevant": {Question{Text: question}, rn},
		"a follow-up":      {Question{Text: question, History: []Turn{{Question: "Where is it?", Answer: "Paris."}}}, r},
		"ungrounded":       {Question{Text: question, Ungrounded: true}, r},
		"nothing typed":    {Question{Text: "  "}, r},
	} {
		if msgs, ok, err := AheadOf(ctx, m, lib, tc.q, tc.r, Config{}); ok || msgs != nil || err != nil {
			t.Errorf("%s: read ahead %v (%v)", name, msgs, err)
		}
	}
}
