package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/internal/sharedtest"

	"github.com/carrel-ai/carrel/engine/status"
	"github.com/carrel-ai/carrel/internal/testwait"
)

// stub is the real engine on a temporary data folder, with the parts a
// test must control replaced: scripted answers, the models found, the
// catalog's recommendation.
type stub struct {
	*engine.Engine
	deltas []engine.Delta
	answer *engine.Answer
	block  bool          // Ask waits for cancellation after the deltas
	asked  chan struct{} // closed once the deltas are sent, if set
	found  []engine.FoundModel
	typed  []string // what the question box told Typing, in order
}

// Typing records what the window passes on, and passes it to the engine.
func (s *stub) Typing(text string, o engine.AskOptions) {
	s.typed = append(s.typed, text)
	s.Engine.Typing(text, o)
}

func (s *stub) Ask(ctx context.Context, q string, o engine.AskOptions, emit func(engine.Delta) error) (*engine.Answer, error) {
	if s.answer == nil {
		return s.Engine.Ask(ctx, q, o, emit)
	}
	for _, d := range s.deltas {
		emit(d)
	}
	if s.asked != nil {
		close(s.asked)
	}
	if s.block {
		<-ctx.Done()
		a := *s.answer
		return &a, ctx.Err()
	}
	a := *s.answer
	return &a, nil
}

func (s *stub) FindModels(context.Context) ([]engine.FoundModel, error) { return s.found, nil }

func (s *stub) Catalog() ([]engine.CatalogModel, engine.CatalogModel) {
	m, _ := models.Lookup(string(models.Qwen3_4B))
	return models.Catalog, m
}

func newStub(t *testing.T) *stub {
	t.Helper()
	e, err := engine.Open(context.Background(), engine.Options{DataDir: t.TempDir(), NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return &stub{Engine: e}
}

// queue stands in for the UI goroutine: background work queues widget
// updates, and settle runs them on the test's goroutine, as the app's
// event loop would.
type queue struct {
	mu  sync.Mutex
	fns []func()
}

func (q *queue) push(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
}

func (q *queue) take() []func() {
	q.mu.Lock()
	defer q.mu.Unlock()
	fns := q.fns
	q.fns = nil
	return fns
}

var queues sync.Map // *gui → *queue

func newTestGUI(t *testing.T, e Engine) *gui {
	t.Helper()
	return newTestGUIOn(t, test.NewTempApp(t), e)
}

// newTestGUIOn opens a window of app a, whose preferences windows opened
// one after another share.
func newTestGUIOn(t *testing.T, a fyne.App, e Engine) *gui {
	t.Helper()
	w := a.NewWindow("Carrel")
	w.Resize(fyne.NewSize(1024, 700))
	g := newGUI(context.Background(), a, w, e, Options{})
	q := &queue{}
	g.do = q.push
	queues.Store(g, q)
	t.Cleanup(func() {
		g.cancel()
		settle(t, g)
		g.close()
	})
	return g
}

// settle runs queued updates until no background work is left.
func settle(t *testing.T, g *gui) {
	t.Helper()
	v, _ := queues.Load(g)
	q := v.(*queue)
	deadline := time.Now().Add(testwait.Bound(t))
	idle := 0
	for time.Now().Before(deadline) {
		fns := q.take()
		for _, f := range fns {
			f()
		}
		if len(fns) == 0 && g.busy.Load() == 0 {
			if idle++; idle > 3 {
				return
			}
		} else {
			idle = 0
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the window's background work did not finish")
}

// find returns the first widget of type T whose text matches.
func find[T fyne.CanvasObject](root fyne.CanvasObject, match func(T) bool) (T, bool) {
	var out T
	found := false
	walk(root, func(o fyne.CanvasObject) {
		if x, ok := o.(T); ok && !found && match(x) {
			out, found = x, true
		}
	})
	return out, found
}

func button(root fyne.CanvasObject, text string) (*widget.Button, bool) {
	return find(root, func(b *widget.Button) bool { return strings.Contains(b.Text, text) })
}

func label(root fyne.CanvasObject, text string) bool {
	_, ok := find(root, func(l *widget.Label) bool { return strings.Contains(l.Text, text) })
	return ok
}

func TestFirstRunOffersModels(t *testing.T) {
	s := newStub(t)
	s.found = []engine.FoundModel{
		{Name: "llama3.2:3b", Source: models.Ollama, Path: "/home/u/.ollama/models/blobs/sha256-1", Info: llm.ModelInfo{FileSize: 2019 << 20, Quantization: "Q4_K_M"}},
		{Name: "nomic-embed", Source: models.HuggingFace, Embedding: true},
	}
	g := newTestGUI(t, s)
	g.start()
	settle(t, g)
	v := g.win.Content()
	if _, ok := button(v, "Choose a GGUF model file"); !ok {
		t.Error("no way to choose a model file")
	}
	if !label(v, "llama3.2:3b — Ollama, 2.0 GB Q4_K_M") || label(v, "nomic-embed") {
		t.Error("the chat model found on the computer should be offered, the embedding model not")
	}
	if !label(v, "★ Qwen3 4B (recommended for this computer)") {
		t.Error("no recommended download")
	}
	if _, ok := button(v, "Download"); !ok {
		t.Error("no download button")
	}
	test.AssertImageMatches(t, "setup.png", g.win.Canvas().Capture())

	// Choosing a file that is not a model says why and stays here.
	bad := filepath.Join(t.TempDir(), "notes.gguf")
	os.WriteFile(bad, []byte("hello"), 0o644)
	g.useModel(bad)
	settle(t, g)
	if g.main != nil || s.Settings().ChatModel != "" {
		t.Error("a file that is not a model was accepted")
	}
}

func writeDoc(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDropAddsAndIndexes(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	dir := t.TempDir()
	writeDoc(t, dir, "paris.txt", "The Eiffel Tower is 330 metres tall. It was completed in 1889.")
	writeDoc(t, dir, "broken.docx", "PK\x03\x04 not really")
	g.main.library.addURIs([]fyne.URI{storage.NewFileURI(dir)})
	settle(t, g)
	ctx, cancel := testwait.Context(t)
	defer cancel()
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	g.main.library.reload()
	settle(t, g)
	lib := g.main.library
	if len(lib.docs) != 2 {
		t.Fatalf("%d documents listed", len(lib.docs))
	}
	states := map[string]string{}
	for _, d := range lib.docs {
		states[filepath.Base(d.Path)] = statusText(d)
	}
	if states["paris.txt"] != "1 passage" || states["broken.docx"] != "The file is damaged" {
		t.Errorf("statuses %v", states)
	}
	if lib.summary.Text != "1 document ready, 1 unreadable" || !strings.HasPrefix(lib.fresh.Text, "Up to date as of") {
		t.Errorf("summary %q, %q", lib.summary.Text, lib.fresh.Text)
	}
	if lib.pick.Selected != engine.DefaultLibrary {
		t.Errorf("library %q", lib.pick.Selected)
	}
}

func TestAnswerWithCitations(t *testing.T) {
	s := newStub(t)
	dir := t.TempDir()
	p := writeDoc(t, dir, "paris.txt", "Paris is the capital of France. The Eiffel Tower is 330 metres tall. It was completed in 1889.")
	ctx := context.Background()
	s.Add(ctx, "", false, p)
	s.WaitIndexed(ctx)
	hits, _ := s.Search(ctx, "Eiffel Tower tall", engine.SearchOptions{})
	if len(hits.Hits) == 0 {
		t.Fatal("the document was not indexed")
	}
	h := hits.Hits[0]
	src := []engine.Source{
		{N: 1, Path: h.Path, DocID: h.DocID, ChunkID: h.ChunkID, Text: h.Text},
		{N: 2, Path: filepath.Join(dir, "other.pdf"), Page: 4, Text: "Unrelated text about bread."},
	}
	s.deltas = []engine.Delta{{Sources: src}, {Text: "The tower is 330 metres tall [1]."}, {Text: " It bakes bread [2]."}}
	s.answer = &engine.Answer{Outcome: engine.Answered, Grounded: true, Text: "The tower is 330 metres tall [1]. It bakes bread [2].",
		Sources: src, Conversation: "c1",
		Citations: []engine.Citation{{Source: src[0], Supported: true, Support: 1}, {Source: src[1], Supported: false, Support: 0.1}},
		Timings:   engine.Timings{TokensPerS: 42}}
	g := newTestGUI(t, s)
	g.showMain()
	c := g.main.chat
	test.Type(c.input, "How tall is the Eiffel Tower?")
	// Each keystroke is passed on as typed, so the model can read ahead.
	if n := len(s.typed); n != len("How tall is the Eiffel Tower?") || s.typed[n-1] != "How tall is the Eiffel Tower?" || s.typed[3] != "How " {
		t.Errorf("the window passed on %q", s.typed)
	}
	c.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter sends
	settle(t, g)
	if s.typed[len(s.typed)-1] != "" {
		t.Errorf("after Enter the box is empty, the engine was told %q", s.typed[len(s.typed)-1])
	}
	turn := c.last
	if got := turn.answer.String(); !strings.Contains(got, "The tower is 330 metres tall [1]. It bakes bread [2].") {
		t.Errorf("answer %q", got)
	}
	chip1, ok1 := button(turn.content, "[1] paris.txt")
	_, ok2 := button(turn.content, "⚠ [2] other.pdf, page 4")
	if !ok1 || !ok2 {
		t.Fatalf("citation chips missing (supported %v, flagged %v)", ok1, ok2)
	}
	if !strings.Contains(turn.note.Text, "Source 2 shares few words") {
		t.Errorf("note %q", turn.note.Text)
	}
	if c.conversation != "c1" || !strings.Contains(g.main.status.Text, "42.0 tokens/s") {
		t.Errorf("conversation %q, status %q", c.conversation, g.main.status.Text)
	}

	// Clicking the chip opens the viewer at the passage, highlighted.
	test.Tap(chip1)
	settle(t, g)
	vw := g.main.viewer
	if vw.title.Text != "paris.txt" || vw.open.Disabled() {
		t.Errorf("viewer title %q", vw.title.Text)
	}
	var lit string
	for _, seg := range vw.text.Segments {
		if ts, ok := seg.(*widget.TextSegment); ok && ts.Style.ColorName == highlighted.ColorName {
			lit += ts.Text
		}
	}
	if lit != h.Text {
		t.Errorf("highlighted %q, want the cited passage %q", lit, h.Text)
	}
}

func TestNotFoundAndRetrievalOnly(t *testing.T) {
	s := newStub(t)
	dir := t.TempDir()
	ctx := context.Background()
	s.Add(ctx, "", false, writeDoc(t, dir, "bread.md", "# Sourdough\n\nA starter is flour and water, fed every day."))
	s.WaitIndexed(ctx)
	g := newTestGUI(t, s)
	g.showMain()
	c := g.main.chat
	for _, tc := range []struct{ q, note, chip string }{
		{"What is the boiling point of mercury?", "Not found in your documents", ""},
		{"What is a sourdough starter made of?", "No model is set", "[1] bread.md"},
	} {
		test.Type(c.input, tc.q)
		c.onSend()
		settle(t, g)
		if !strings.Contains(c.last.note.Text, tc.note) {
			t.Errorf("%q: note %q", tc.q, c.last.note.Text)
		}
		if _, ok := button(c.last.content, tc.chip); tc.chip != "" && !ok {
			t.Errorf("%q: no chip %q", tc.q, tc.chip)
		}
	}
	if !strings.Contains(g.main.status.Text, "No model") {
		t.Errorf("status %q", g.main.status.Text)
	}
	// Ctrl/Cmd+N in the question box (where the focus is) starts a new
	// conversation, empty; the box's own shortcuts still reach it.
	g.win.Canvas().Focus(c.input)
	c.input.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault})
	if c.conversation != "" || len(c.turns.Objects) != 1 {
		t.Error("Ctrl/Cmd+N in the question box did not start a new conversation")
	}
	test.Type(c.input, "kept")
	c.input.TypedShortcut(&fyne.ShortcutSelectAll{})
	if c.input.SelectedText() != "kept" {
		t.Errorf("select all in the question box selected %q", c.input.SelectedText())
	}
}

func TestShiftEnterAddsLine(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	c := g.main.chat
	test.Type(c.input, "line one")
	c.input.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
	c.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	c.input.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
	if c.last != nil || !strings.Contains(c.input.Text, "\n") {
		t.Errorf("Shift+Enter sent or did not break the line: %q", c.input.Text)
	}
}

func TestStopCancelsAnswer(t *testing.T) {
	s := newStub(t)
	s.deltas = []engine.Delta{{Text: "Thinking"}}
	s.answer = &engine.Answer{Outcome: engine.Answered, Stop: "cancelled"}
	s.block = true
	s.asked = make(chan struct{})
	g := newTestGUI(t, s)
	g.showMain()
	c := g.main.chat
	test.Type(c.input, "long question")
	c.onSend()
	<-s.asked
	for _, f := range mustQueue(g).take() {
		f()
	}
	if c.stop.Disabled() {
		t.Error("Stop is not enabled while answering")
	}
	c.stopAnswer()
	settle(t, g)
	if !strings.Contains(c.last.answer.String(), "(stopped)") {
		t.Errorf("answer %q", c.last.answer.String())
	}
	if c.send.Disabled() {
		t.Error("Ask stays disabled after Stop")
	}
}

func mustQueue(g *gui) *queue {
	v, _ := queues.Load(g)
	return v.(*queue)
}

func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, f)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(x)
		for _, c := range r.Objects() {
			walk(c, f)
		}
	}
}

func TestSettingsSave(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	v := newSettingsView(g, engine.DefaultLibrary)
	v.threads.SetText("2")
	v.sources.SetSelected("4")
	v.temp.SetValue(0.5)
	v.system.SetText("Answer in French.")
	v.ignore.SetText("*.tmp\n\ndrafts/\n")
	v.save()
	settle(t, g)
	got := s.Settings()
	if got.Threads != 2 || got.Sources != 4 || got.Temperature != 0.5 || got.SystemPrompt != "Answer in French." {
		t.Errorf("saved %+v", got)
	}
	libs, _ := s.Libraries(context.Background())
	if len(libs) != 1 || strings.Join(libs[0].Ignore, ",") != "*.tmp,drafts/" {
		t.Errorf("ignore patterns %+v", libs)
	}
	v = newSettingsView(g, engine.DefaultLibrary)
	if v.threads.Text != "2" || v.sources.Selected != "4" {
		t.Error("the form does not show the saved settings")
	}
	v.threads.SetText("many")
	if _, err := v.settings(); err == nil || !strings.Contains(err.Error(), "Threads") {
		t.Errorf("a bad number: %v", err)
	}
}

func TestHistoryReopensConversation(t *testing.T) {
	s := newStub(t)
	ctx := context.Background()
	s.Add(ctx, "", false, writeDoc(t, t.TempDir(), "bread.md", "# Sourdough\n\nA starter is flour and water, fed every day."))
	s.WaitIndexed(ctx)
	g := newTestGUI(t, s)
	g.showMain()
	c := g.main.chat
	for _, q := range []string{"What is a sourdough starter?", "How often is the starter fed?"} {
		test.Type(c.input, q)
		c.onSend()
		settle(t, g)
	}
	id := c.conversation
	c.newConversation()
	c.open(id)
	settle(t, g)
	if c.conversation != id || len(c.turns.Objects) != 2 {
		t.Fatalf("reopened %q with %d turns", c.conversation, len(c.turns.Objects))
	}
	if _, ok := button(c.last.content, "[1] bread.md"); !ok {
		t.Error("the reopened answer lost its sources")
	}

	// Rename it, then delete it, through their dialogs.
	list, _ := s.Conversations()
	overlay := func() fyne.CanvasObject {
		top := g.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no dialog")
		}
		return top
	}
	reloaded := 0
	c.renameConversation(list[0], func() { reloaded++ })
	title, ok := find(overlay(), func(e *dialogEntry) bool { return true })
	if !ok {
		t.Fatal("the rename dialog has no title to edit")
	}
	title.SetText("Bread notes")
	b, _ := button(overlay(), "Rename")
	test.Tap(b)
	settle(t, g)
	if list, _ = s.Conversations(); list[0].Title != "Bread notes" || reloaded != 1 {
		t.Errorf("renamed to %q, list reloaded %d times", list[0].Title, reloaded)
	}
	c.deleteConversation(list[0], func() { reloaded++ })
	b, _ = button(overlay(), "Yes")
	test.Tap(b)
	settle(t, g)
	if list, _ = s.Conversations(); len(list) != 0 || c.conversation != "" {
		t.Errorf("after delete: %d conversations, showing %q", len(list), c.conversation)
	}
}

func TestOpenWithAddsFiles(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.start() // no model yet: the setup screen
	p := writeDoc(t, t.TempDir(), "notes.md", "# Notes\n\nSomething worth keeping.")
	g.openFiles([]string{p})
	settle(t, g)
	ds, _ := s.Documents(context.Background(), "")
	if len(ds) != 1 || ds[0].Path != p {
		t.Errorf("opened with a file: documents %+v", ds)
	}
	// The first-run screen stays, saying the file is being added: the
	// choice of a model is not skipped.
	if g.main != nil || !g.setup.added.Visible() || !strings.Contains(g.setup.added.Text, "1 file added") {
		t.Errorf("main view %v, note %q", g.main != nil, g.setup.added.Text)
	}
}

func TestPasswordForEncryptedFile(t *testing.T) {
	src := sharedtest.Path(t, "corpus/pdf/encrypted/pypdf-libreoffice-password.pdf")
	raw, _ := os.ReadFile(src)
	p := filepath.Join(t.TempDir(), "secret.pdf")
	os.WriteFile(p, raw, 0o644)
	s := newStub(t)
	ctx := context.Background()
	s.Add(ctx, "", false, p)
	s.WaitIndexed(ctx)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	lib := g.main.library
	if len(lib.docs) != 1 || statusText(lib.docs[0]) != "Needs a password to open" {
		t.Fatalf("docs %+v", lib.docs)
	}
	lib.list.Select(0)
	if !lib.unlock.Visible() {
		t.Fatal("no way to give the password")
	}
	// A wrong password is said, in the row and in a dialog asking again.
	lib.unlockWith(lib.docs[0], "not the password")
	settle(t, g)
	s.WaitIndexed(ctx)
	lib.reload()
	settle(t, g)
	if got := statusText(lib.docs[0]); got != "Wrong password: give it again" {
		t.Errorf("after a wrong password the row says %q", got)
	}
	if g.win.Canvas().Overlays().Top() == nil {
		t.Error("no dialog says the password was wrong")
	} else {
		g.win.Canvas().Overlays().Top().Hide()
		g.win.Canvas().Overlays().Remove(g.win.Canvas().Overlays().Top())
	}
	lib.unlockWith(lib.docs[0], "openpassword")
	settle(t, g)
	s.WaitIndexed(ctx)
	lib.reload()
	settle(t, g)
	if lib.docs[0].Status != status.Ready {
		t.Errorf("after the password: %s (%s)", lib.docs[0].Status, lib.docs[0].Error)
	}
}

func TestViewerDrawsPDFPage(t *testing.T) {
	src := sharedtest.Path(t, "corpus/pdf/text/pdfjs-tracemonkey-paper.pdf")
	s := newStub(t)
	ctx := context.Background()
	s.Add(ctx, "", false, src)
	s.WaitIndexed(ctx)
	res, err := s.Search(ctx, "trace trees loop nesting", engine.SearchOptions{K: 1})
	if err != nil || len(res.Hits) == 0 || res.Hits[0].Page == 0 {
		t.Fatalf("search: %+v %v", res, err)
	}
	h := res.Hits[0]
	g := newTestGUI(t, s)
	g.showMain()
	g.main.viewer.show(engine.Source{N: 1, Path: h.Path, Page: h.Page, DocID: h.DocID, ChunkID: h.ChunkID, Text: h.Text, Place: h.Place})
	settle(t, g)
	v := g.main.viewer
	if !v.page.Visible() || v.page.Image == nil || v.page.Image.Bounds().Dx() != pageWidth {
		t.Fatalf("the PDF page is not drawn")
	}
	// The text view highlights the passage at its stored place.
	if len(v.text.Segments) != 3 {
		t.Fatalf("%d segments", len(v.text.Segments))
	}
	if got := v.text.Segments[1].(*widget.TextSegment).Text; strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(h.Text), " ") {
		t.Errorf("highlighted %q, want the passage %q", got, h.Text)
	}
	if v.where.Text != fmt.Sprintf("Page %d", h.Page) {
		t.Errorf("where %q", v.where.Text)
	}
	if v.loading.Visible() {
		t.Error("the loading bar still shows")
	}
	// The page fills the pane's width, however wide the window; zoom
	// makes it wider than the pane.
	g.win.Resize(fyne.NewSize(1400, 900))
	v.scroll.Refresh()
	pane := v.scroll.Size().Width
	if w := v.page.Size().Width; pane < 300 || w < pane*0.9 || w > pane {
		t.Errorf("page %.0f px wide in a pane of %.0f", w, pane)
	}
	if h := v.page.Size().Height; h < v.page.Size().Width*1.2 {
		t.Errorf("page %v does not keep its shape", v.page.Size())
	}
	v.zoom(1.5)
	if w := v.page.Size().Width; w < pane*1.4 {
		t.Errorf("zoomed page %.0f px wide in a pane of %.0f", w, pane)
	}
	v.zoom(1)
	// The next page, without marks; then back to the cited one.
	first := v.page.Image
	test.Tap(v.nextPg)
	settle(t, g)
	if v.pageLabel.Text != fmt.Sprintf("Page %d", h.Page+1) || v.page.Image == first {
		t.Errorf("after next: %q", v.pageLabel.Text)
	}
	test.Tap(v.prevPage)
	settle(t, g)
	if v.pageLabel.Text != fmt.Sprintf("Page %d", h.Page) {
		t.Errorf("after back: %q", v.pageLabel.Text)
	}
	// A new source clears the old body at once, before its own loads.
	v.show(engine.Source{N: 2, Path: "/elsewhere/notes.md", DocID: h.DocID + 1000})
	if len(v.text.Segments) != 0 || v.page.Visible() || v.title.Text != "notes.md" {
		t.Errorf("the old source still shows under the new title")
	}
	settle(t, g)
}

// TestMainViewGolden compares the main window of a new, empty library with
// its golden image.
func TestMainViewGolden(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	test.AssertImageMatches(t, "main-empty.png", g.win.Canvas().Capture())
}

// The setting "Let other apps on this computer use Carrel" starts the API
// server with the window's engine, shows its address and token, and stops
// it when turned off.
func TestServeSettingStartsAndStops(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	started, stopped := make(chan string, 1), make(chan struct{}, 1)
	g.opts.Serve = func(ctx context.Context, e Engine, addr string, ready func(url, token string)) error {
		if e != Engine(s) {
			t.Error("the server was given another engine")
		}
		ready("http://"+addr, "tok123")
		started <- addr
		<-ctx.Done()
		stopped <- struct{}{}
		return ctx.Err()
	}
	g.showMain()
	v := newSettingsView(g, engine.DefaultLibrary)
	if v.serve.Checked {
		t.Fatal("serving is on by default")
	}
	v.serve.SetChecked(true)
	v.serveAddr.SetText("127.0.0.1:9911")
	v.save()
	settle(t, g)
	select {
	case addr := <-started:
		if addr != "127.0.0.1:9911" {
			t.Errorf("started on %s", addr)
		}
	case <-time.After(testwait.Bound(t)):
		t.Fatal("the server did not start")
	}
	if url, tok, _ := g.server.status(); url != "http://127.0.0.1:9911" || tok != "tok123" {
		t.Errorf("status %q %q", url, tok)
	}
	v = newSettingsView(g, engine.DefaultLibrary)
	if !v.serve.Checked || !label(v.form, "On at http://127.0.0.1:9911  ·  token tok123") {
		t.Error("the settings do not show the running server")
	}
	v.serve.SetChecked(false)
	v.save()
	settle(t, g)
	select {
	case <-stopped:
	case <-time.After(testwait.Bound(t)):
		t.Fatal("the server did not stop")
	}
	// An address off this computer is refused by the settings.
	v = newSettingsView(g, engine.DefaultLibrary)
	v.serveAddr.SetText("0.0.0.0:8765")
	if _, err := v.settings(); err == nil {
		t.Error("a public address was accepted")
	}
}

// The library list is sorted by name whatever its case, tells files of one
// name apart by their folder, filters by name or folder, and keeps the
// selected document selected when the list changes under it.
func TestLibraryListOrderFilterAndSelection(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	lib := g.main.library
	docs := []engine.Document{
		{Path: "/c/html/bbc-1/source.html", Status: status.Ready, Chunks: 3},
		{Path: "/c/html/aktualne/source.html", Status: status.Ready, Chunks: 1},
		{Path: "/c/notes/Zebra.md", Status: status.Ready, Chunks: 1},
		{Path: "/c/notes/apple.md", Status: status.Ready, Chunks: 2},
	}
	sortByName(docs)
	var names []string
	for _, d := range docs {
		names = append(names, filepath.Base(d.Path)+" "+shortDir(d.Path))
	}
	want := []string{"apple.md c/notes", "source.html html/aktualne", "source.html html/bbc-1", "Zebra.md c/notes"}
	if strings.Join(names, ", ") != strings.Join(want, ", ") {
		t.Fatalf("order %q, want %q", names, want)
	}
	lib.all = docs
	lib.applyFilter()
	lib.list.Select(2) // html/bbc-1/source.html
	// A file is added before it: the selection follows the document.
	lib.all = append([]engine.Document{{Path: "/c/a/aardvark.txt", Status: status.Ready}}, docs...)
	lib.applyFilter()
	if lib.selected != 3 || lib.docs[lib.selected].Path != "/c/html/bbc-1/source.html" {
		t.Fatalf("selection moved to %d", lib.selected)
	}
	// The filter matches folders too, and a filtered-out selection is
	// dropped rather than moved.
	lib.filter.SetText("BBC")
	if len(lib.docs) != 1 || lib.selected != 0 {
		t.Fatalf("filter: %d documents, selected %d", len(lib.docs), lib.selected)
	}
	lib.filter.SetText("notes")
	if len(lib.docs) != 2 || lib.selected != -1 {
		t.Fatalf("filter: %d documents, selected %d", len(lib.docs), lib.selected)
	}
	for _, b := range lib.actions {
		if !b.Disabled() {
			t.Error("an action is enabled with nothing selected")
		}
	}
}

// Enter in a dialog's field submits it; Escape dismisses the dialog on
// top, from its field or from the window.
func TestDialogKeys(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	lib := g.main.library
	entry := func() *dialogEntry {
		top := g.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no dialog")
		}
		e, ok := find(top, func(*dialogEntry) bool { return true })
		if !ok {
			t.Fatal("the dialog has no field")
		}
		return e
	}
	lib.onNewLibrary()
	e := entry()
	e.SetText("Thesis")
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	settle(t, g)
	if lib.pick.Selected != "Thesis" || len(g.dialogs) != 0 {
		t.Fatalf("Enter: library %q, %d dialogs open", lib.pick.Selected, len(g.dialogs))
	}
	lib.onNewLibrary()
	e = entry()
	e.SetText("Drafts")
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if lib.pick.Selected != "Thesis" || len(g.dialogs) != 0 {
		t.Fatalf("Escape in the field: library %q, %d dialogs open", lib.pick.Selected, len(g.dialogs))
	}
	// A confirmation without a field: Escape reaches the window.
	g.show(dialog.NewConfirm("Remove?", "Really?", func(ok bool) {
		if ok {
			t.Error("Escape confirmed")
		}
	}, g.win))
	g.onKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if len(g.dialogs) != 0 || (g.win.Canvas().Overlays().Top() != nil && g.win.Canvas().Overlays().Top().Visible()) {
		t.Error("Escape left the dialog open")
	}
}

// Settings → Chat model → Change… closes the settings before the
// first-run screen shows, rather than leaving them open over it.
func TestChangeModelClosesSettings(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	g.showSettings(engine.DefaultLibrary)
	settle(t, g)
	b, ok := button(g.win.Canvas().Overlays().Top(), "Change…")
	if !ok {
		t.Fatal("no Change… button in the settings")
	}
	test.Tap(b)
	settle(t, g)
	if len(g.dialogs) != 0 || (g.win.Canvas().Overlays().Top() != nil && g.win.Canvas().Overlays().Top().Visible()) {
		t.Error("the settings stay open over the first-run screen")
	}
	if _, ok := button(g.win.Content(), "Choose a GGUF model file"); !ok {
		t.Error("the first-run screen is not shown")
	}
}

// "Ask … only" answers from the selected document alone.
func TestAskSelectedDocumentOnly(t *testing.T) {
	s := newStub(t)
	ctx := context.Background()
	dir := t.TempDir()
	a := writeDoc(t, dir, "oven.md", "# Oven\n\nThe bread bakes at 230 degrees for forty minutes.")
	b := writeDoc(t, dir, "kiln.md", "# Kiln\n\nThe pottery bakes at 1200 degrees for ten hours.")
	s.Add(ctx, "", false, a, b)
	s.WaitIndexed(ctx)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	lib, c := g.main.library, g.main.chat
	for i, d := range lib.docs {
		if d.Path == b {
			lib.list.Select(i)
		}
	}
	if lib.only.Disabled() || !strings.Contains(lib.only.Text, "kiln.md") {
		t.Fatalf("the check reads %q, disabled %v", lib.only.Text, lib.only.Disabled())
	}
	lib.only.SetChecked(true)
	test.Type(c.input, "How hot does it bake, and for how long?")
	c.onSend()
	settle(t, g)
	if c.last == nil || len(c.last.sources) == 0 {
		t.Fatal("no answer")
	}
	for _, src := range c.last.sources {
		if src.Path != b {
			t.Errorf("a source from %s", src.Path)
		}
	}
	if !label(c.last.content, "Asked of kiln.md only") {
		t.Error("the answer does not say it was asked of one document")
	}
}

// A second start hands its files to the window open on the data folder,
// which adds them; with no window open, it opens its own. A socket left by
// a crashed window is taken over.
func TestSecondStartHandsFilesToTheWindow(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	dir := t.TempDir()
	if handOff(dir, nil) {
		t.Fatal("a hand-off succeeded with no window open")
	}
	os.WriteFile(socketPath(dir), []byte("left by a crash"), 0o600)
	stop, err := g.listenForHandoffs(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	doc := writeDoc(t, t.TempDir(), "minutes.md", "# Minutes\n\nThe committee met on Tuesday.")
	done := make(chan bool)
	go func() { done <- handOff(dir, []string{doc}) }()
	var ok bool
	deadline := time.Now().Add(testwait.Bound(t))
	for waiting := true; waiting && time.Now().Before(deadline); {
		select {
		case ok = <-done:
			waiting = false
		default:
			settle(t, g) // the window's goroutine adds the file
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !ok {
		t.Fatal("the window did not take the files")
	}
	settle(t, g) // the window adds them in the background
	s.WaitIndexed(context.Background())
	ds, _ := s.Documents(context.Background(), "")
	if len(ds) != 1 || ds[0].Path != doc {
		t.Errorf("documents %+v", ds)
	}
	if _, err := g.listenForHandoffs(dir); err == nil {
		t.Error("a second window listened on the same data folder")
	}
}
