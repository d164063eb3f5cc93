package ui

import (
	"testing"

	"github.com/carrel-ai/carrel/engine"
)

// However many pieces the model writes between two turns of the UI loop,
// one take renders them all; after Stop nothing more arrives.
func TestDeltaQueue(t *testing.T) {
	q := &deltaQueue{}
	scheduled := 0
	for _, s := range []string{"The ", "tower ", "is ", "330 ", "metres"} {
		if q.push(engine.Delta{Text: s}) {
			scheduled++
		}
	}
	if scheduled != 1 {
		t.Errorf("%d takes scheduled for one burst; want 1", scheduled)
	}
	ds := q.take()
	var text string
	for _, d := range ds {
		text += d.Text
	}
	if text != "The tower is 330 metres" {
		t.Errorf("took %q", text)
	}
	if !q.push(engine.Delta{Text: " tall"}) {
		t.Error("a piece after a take did not schedule another")
	}
	q.stop()
	if q.push(engine.Delta{Text: " and more"}) || len(q.take()) != 0 {
		t.Error("pieces arrived after Stop")
	}
}
