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

	s2 := e.Settings()
	s2.Adapter = res.Adapter
	if _, err := e.SetSettings(ctx, s2); err != nil {
		t.Fatal(err)
	}
	a, err := e.Ask(ctx, "What did Thoreau build?", engine.AskOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Model.Adapter != res.Adapter {
		t.Errorf("the answer's record names adapter %q, want %q", a.Model.Adapter, res.Adapter)
	}

	s3 := e.Settings()
	s3.ChatModel = sharedtest.Path(t, "models/llama-2-tiny-random.gguf")
	if _, err := e.SetSettings(ctx, s3); err != nil {
		t.Fatal(err)
	}
	_, err = e.Ask(ctx, "What did Thoreau build?", engine.AskOptions{}, nil)
	if !errors.Is(err, engine.ErrOtherBase) || !strings.Contains(err.Error(), "stories260K.gguf") {
		t.Errorf("the adapter on another model: %v", err)
	}
}
