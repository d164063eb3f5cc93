package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

// TestTeachLibrary teaches the chat model a library through the facade;
// answers then name the adapter in their record, and the adapter is
// refused on a model it was not taught for.
func TestTeachLibrary(t *testing.T) {
	s := storiesSettings(t)
	s.EmbedModel = engine.NoEmbedModel
	data := t.TempDir()
	e := openEngine(t, data, s)
	addAndWait(t, e, "Books", sharedtest.Path(t, "corpus/pdf/text/pdfcpu-Walden.pdf"), sharedtest.Path(t, "corpus/pdf/text/pdfjs-freeculture-book.pdf"))
	ctx := context.Background()
	var phases []string
	res, err := e.Teach(ctx, "Books", engine.TeachOptions{MaxSteps: 40, Threads: 2}, func(p engine.TeachProgress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Adapter, filepath.Join(data, "adapters")) || res.PerplexityAfter >= res.PerplexityBefore || res.BestStep == 0 {
		t.Fatalf("result %+v", res)
	}
	if len(phases) < 3 || phases[0] != "measuring" || phases[1] != "training" || phases[len(phases)-1] != "saving" {
		t.Errorf("phases %v", phases)
	}
	if _, err := os.Stat(filepath.Join(data, "adapters", ".Books-stories260K.run")); !os.IsNotExist(err) {
		t.Errorf("the finished run's checkpoint is left behind: %v", err)
	}

	// The library's questions are answered with its adapter; questions
	// about all libraries are not.
	s2 := e.Settings()
	s2.LibraryAdapters = map[string]string{"Books": res.Adapter}
	if _, err := e.SetSettings(ctx, s2); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		library, adapter string
	}{{"Books", res.Adapter}, {"", ""}, {"Books", res.Adapter}} {
		a, err := e.Ask(ctx, "What did Thoreau build?", engine.AskOptions{Library: c.library}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.Model.Adapter != c.adapter {
			t.Errorf("asking library %q: the answer's record names adapter %q, want %q", c.library, a.Model.Adapter, c.adapter)
		}
	}
	if got := e.TaughtAdapter("Books", ""); got != res.Adapter {
		t.Errorf("TaughtAdapter says %s, Teach wrote %s", got, res.Adapter)
	}

	// On another model the adapter is refused, naming the model it is for.
	s3 := e.Settings()
	s3.ChatModel = sharedtest.Path(t, "models/llama-2-tiny-random.gguf")
	if _, err := e.SetSettings(ctx, s3); err != nil {
		t.Fatal(err)
	}
	_, err = e.Ask(ctx, "What did Thoreau build?", engine.AskOptions{Library: "Books"}, nil)
	if !errors.Is(err, engine.ErrOtherBase) || !strings.Contains(err.Error(), "stories260K.gguf") {
		t.Errorf("the adapter on another model: %v", err)
	}
	// As the settings' adapter, it stops the model from loading.
	s4 := e.Settings()
	s4.Adapter, s4.LibraryAdapters = res.Adapter, nil
	if _, err := e.SetSettings(ctx, s4); err != nil {
		t.Fatal(err)
	}
	if _, err = e.Ask(ctx, "What did Thoreau build?", engine.AskOptions{}, nil); !errors.Is(err, engine.ErrOtherBase) {
		t.Errorf("the settings' adapter on another model: %v", err)
	}
}
