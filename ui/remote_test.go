package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/engine/status"
)

// The model server and the team library are set in the settings window;
// once answers come from a server, the status bar says which, and the
// answer streams into the conversation.
func TestModelServerInTheWindow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, p := range []string{"A starter is ", "flour and water [1]."} {
			fmt.Fprintf(w, "data: {\"model\":\"lab-70b\",\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", p)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	defer srv.Close()
	s := newStub(t)
	ctx := context.Background()
	s.Add(ctx, "", false, writeDoc(t, t.TempDir(), "bread.md", "# Sourdough\n\nA starter is flour and water, fed every day."))
	s.WaitIndexed(ctx)
	g := newTestGUI(t, s)
	g.showMain()

	v := newSettingsView(g, engine.DefaultLibrary)
	v.chatServer.SetText("gpu.lab:8080")
	if _, err := v.settings(); err == nil {
		t.Error("a model server without http:// was accepted")
	}
	v.server.SetText("mysql://db")
	v.chatServer.SetText(srv.URL + "/v1")
	if _, err := v.settings(); err == nil {
		t.Error("a library server that is not PostgreSQL was accepted")
	}
	v.server.SetText("")
	v.chatServerKey.SetText("k")
	v.save()
	settle(t, g)
	if got := s.Settings(); got.ChatServer != srv.URL+"/v1" || got.ChatServerKey != "k" {
		t.Fatalf("saved %+v", got)
	}
	if _, err := s.WaitModel(ctx); err != nil {
		t.Fatal(err)
	}
	c := g.main.chat
	c.input.SetText("What is a sourdough starter?")
	c.onSend()
	settle(t, g)
	g.main.updateStatus()
	if st := g.main.status.Text; !strings.Contains(st, "remote: "+srv.URL) {
		t.Errorf("status bar %q does not say answers come from the server", st)
	}
	if n := c.last.note.Text; !strings.Contains(n, "on the model server "+srv.URL) {
		t.Errorf("the answer's note %q does not say where it was written", n)
	}
}

// A library is placed on a team server in the settings: a half-filled row
// says what is missing, a full one is saved and shown again (its
// connection string hidden), and the library's status line says where it
// lives, or that its server was away.
func TestLibrariesOnServersInSettings(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	v := newSettingsView(g, engine.DefaultLibrary)
	if len(v.placed.list) != 0 {
		t.Fatalf("a new data folder shows %d placed libraries", len(v.placed.list))
	}
	v.placed.add("Lab", "")
	if _, err := v.settings(); err == nil || !strings.Contains(err.Error(), `"Lab"`) {
		t.Errorf("a placed library without a server: %v", err)
	}
	v.placed.list[0][1].SetText("mysql://db.lab/papers")
	if _, err := v.settings(); err == nil {
		t.Error("a server that is not PostgreSQL was accepted")
	}
	const conn = "postgres://carrel:pw@db.lab/papers"
	v.placed.list[0][1].SetText(conn)
	v.placed.add("", "") // a blank row is left out
	// The library's own model server: the address is required.
	v.libModels.add("Lab", "", "k")
	if _, err := v.settings(); err == nil || !strings.Contains(err.Error(), "model server") {
		t.Errorf("a library's model server without its address: %v", err)
	}
	v.libModels.list[0][1].SetText("http://gpu.lab:8080/v1")
	// Its own search model: a library not placed on a server is refused.
	v.libEmbeds.add("Elsewhere", "none")
	if _, err := v.settings(); err == nil || !strings.Contains(err.Error(), "placed on a server") {
		t.Errorf("a search model for a library of this computer: %v", err)
	}
	v.libEmbeds.list[0][0].SetText("Lab")
	v.save()
	settle(t, g)
	if got := s.Settings().LibraryServers; len(got) != 1 || got["Lab"] != conn {
		t.Fatalf("saved %v", got)
	}
	if got := s.Settings().LibraryChatServers; got["Lab"] != (engine.ModelServer{URL: "http://gpu.lab:8080/v1", Key: "k"}) {
		t.Fatalf("saved %v", got)
	}
	if got := s.Settings().LibraryEmbedModels; got["Lab"] != (engine.EmbedChoice{Model: engine.NoEmbedModel}) {
		t.Fatalf("saved %v", got)
	}
	v = newSettingsView(g, engine.DefaultLibrary)
	if len(v.placed.list) != 1 || v.placed.list[0][0].Text != "Lab" || !v.placed.list[0][1].Password {
		t.Errorf("the settings shown again: %d rows", len(v.placed.list))
	}
	if len(v.libModels.list) != 1 || v.libModels.list[0][1].Text != "http://gpu.lab:8080/v1" || !v.libModels.list[0][2].Password {
		t.Errorf("the library's model server shown again: %d rows", len(v.libModels.list))
	}

	lib := engine.Library{Name: "Lab", Server: "postgres://carrel:xxxxx@db.lab/papers"}
	if _, fresh := summary(lib, nil); !strings.Contains(fresh, "On the team server postgres://carrel:xxxxx@db.lab/papers") {
		t.Errorf("an empty server library's line: %q", fresh)
	}
	lib.Away = "connection refused"
	if sum, _ := summary(lib, nil); !strings.Contains(sum, "could not be reached") {
		t.Errorf("a library whose server is away: %q", sum)
	}
	if m := awayMessage(lib); !strings.Contains(m, "connection refused") || !strings.Contains(m, lib.Server) {
		t.Errorf("the away library's message: %q", m)
	}
}

// The settings form fits its dialog: a form's hints do not wrap, so a long
// one (or a long data folder path in one) would widen the dialog past the
// window and cut off the fields' right ends, as the rows of the libraries
// on servers once did.
func TestSettingsFitTheDialog(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	v := newSettingsView(g, engine.DefaultLibrary)
	v.placed.add("A library with a long name", "postgres://someone:password@db.example.org:5432/library")
	v.libModels.add("A library with a long name", "http://gpu.example.org:8080/v1", "key", "qwen2.5-32b-instruct")
	v.libEmbeds.add("A library with a long name", "/home/someone/models/bge-m3.gguf", "", "")
	// The dialog's own padding takes some of its width.
	if w := v.form.MinSize().Width; w > settingsWidth-40 {
		t.Errorf("the settings form needs %.0f px; the dialog is %d", w, settingsWidth)
	}
}

// Where libraries live changes when Carrel starts again: saving a new
// placement says so once and, where the app can start again, offers it;
// "Restart now" closes the window for Run to return ErrRestart. A library
// whose server is away offers the same, as a new start tries it again.
func TestRestartOfferedForNewPlaces(t *testing.T) {
	for _, canRestart := range []bool{true, false} {
		t.Run(fmt.Sprintf("can restart %v", canRestart), func(t *testing.T) {
			s := newStub(t)
			g := newTestGUI(t, s)
			g.opts.CanRestart = canRestart
			g.showMain()
			settle(t, g)
			open := len(g.dialogs)
			v := newSettingsView(g, engine.DefaultLibrary)
			v.placed.add("Lab", "postgres://carrel@127.0.0.1:1/lab")
			v.save()
			settle(t, g)
			if len(g.dialogs) != open+1 {
				t.Fatalf("%d dialogs after saving a placement, want %d", len(g.dialogs), open+1)
			}
			top := g.win.Canvas().Overlays().Top()
			if !label(top, "libraries on servers take effect when Carrel starts again") {
				t.Error("the dialog does not say what waits for the next start")
			}
			restart, ok := button(top, "Restart now")
			if ok != canRestart {
				t.Fatalf("a restart button: %v; the app can restart: %v", ok, canRestart)
			}
			g.dismissTop()
			// Saving other settings does not say it again.
			v = newSettingsView(g, engine.DefaultLibrary)
			v.sources.SetSelected("4")
			v.save()
			settle(t, g)
			if len(g.dialogs) != open {
				t.Errorf("saving other settings showed %d dialogs, want %d", len(g.dialogs), open)
			}
			g.showAway(`"Lab" is out of reach`, "connection refused")
			_, again := button(g.win.Canvas().Overlays().Top(), "Restart Carrel to try again")
			if again != canRestart {
				t.Errorf("the away library offers a restart: %v; the app can restart: %v", again, canRestart)
			}
			g.dismissTop()
			if !canRestart {
				return
			}
			v = newSettingsView(g, engine.DefaultLibrary)
			v.placed.list[0][1].SetText("postgres://carrel@127.0.0.1:2/lab")
			v.save()
			settle(t, g)
			restart, _ = button(g.win.Canvas().Overlays().Top(), "Restart now")
			test.Tap(restart)
			if !g.restart.Load() {
				t.Error(`"Restart now" did not ask Run to return ErrRestart`)
			}
		})
	}
}

// A team library out of reach at start does not lock the person out: the
// window offers this computer's libraries (where the settings can be
// corrected) when the settings, not the session, named the server.
func TestTeamLibraryOutOfReachAtStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(`library_server = "postgres://carrel@127.0.0.1:1/team"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  string
		opts Options
		want bool
	}{
		{"the settings' team library", dir, Options{}, true},
		{"a server given for the session", dir, Options{LibraryServer: "postgres://carrel@127.0.0.1:1/other"}, false},
		{"no team library", t.TempDir(), Options{}, false},
	}
	for _, c := range cases {
		if got := teamLibraryFailed(c.dir, c.opts); got != c.want {
			t.Errorf("%s: offers this computer's libraries: %v, want %v", c.name, got, c.want)
		}
	}
	a := test.NewTempApp(t)
	w := a.NewWindow("Carrel")
	w.Resize(fyne.NewSize(1024, 700))
	opened := false
	offerLocal(w, fmt.Errorf("dial tcp 127.0.0.1:1: connection refused"), func() { opened = true })
	top := w.Canvas().Overlays().Top()
	if !label(top, "connection refused") {
		t.Error("the dialog does not say why")
	}
	b, ok := button(top, "Open this computer's libraries")
	if !ok {
		t.Fatal("no way to open this computer's libraries")
	}
	test.Tap(b)
	if !opened {
		t.Error("the button did not open this computer's libraries")
	}
}

// The library pane's lines are whole at the window's default size (1024 ×
// 700): a document's status line whatever its state, and how the library
// is searched with the built-in model or any embedding model of the
// catalog. Each is measured as Fyne draws it against its label's width.
func TestLibraryPaneLinesFit(t *testing.T) {
	s := newStub(t)
	g := newTestGUI(t, s)
	g.showMain()
	settle(t, g)
	v := g.main.library
	fits := func(what, text string, width float32) {
		t.Helper()
		if w := fyne.MeasureText(text, theme.TextSize(), fyne.TextStyle{}).Width + 2*theme.InnerPadding(); w > width {
			t.Errorf("%s %q needs %.0f px of %.0f", what, text, w, width)
		}
	}
	// A row as the list lays it out, at the list's width.
	row := v.newRow()
	row.Resize(fyne.NewSize(v.list.Size().Width, row.MinSize().Height))
	state := row.(*fyne.Container).Objects[0].(*fyne.Container).Objects[1].(*widget.Label)
	if state.Size().Width < 100 {
		t.Fatalf("the status label is %.0f px wide", state.Size().Width)
	}
	docs := []engine.Document{
		{Status: status.Ready, Pages: 348, Chunks: 1206},
		{Status: status.Ready, Chunks: 31, DuplicateOf: 3},
		{Status: status.Queued}, {Status: status.Parsing}, {Status: status.Stale},
		{Status: status.Embedding, Chunks: 12}, {Status: status.Embedding},
	}
	for _, k := range []failure.Kind{failure.WrongPassword, failure.Encrypted, failure.Corrupt, failure.Unsupported, failure.NoText,
		failure.OCROff, failure.Scanned, failure.TooLarge, failure.Timeout, failure.Cancelled} {
		docs = append(docs, engine.Document{Status: status.Failed, ErrorKind: k})
	}
	for _, d := range docs {
		fits("the status", statusText(d), state.Size().Width)
	}
	fits("a scan's progress", "OCR: page 128 of 140…", state.Size().Width)
	width := v.search.Size().Width
	methods := []engine.SearchMethod{{}, {Note: "the built-in model is missing"}, {Meaning: true, Name: "all-MiniLM-L6-v2-Q4_K_M", Bundled: true, Reranker: "jina-reranker-v1-tiny-en"}}
	for _, m := range models.Catalog {
		if m.Kind == models.Embedding {
			methods = append(methods, engine.SearchMethod{Meaning: true, Name: strings.TrimSuffix(path.Base(m.URL), ".gguf")})
		}
	}
	for _, m := range methods {
		how, model := searchLines(m)
		fits("how it is searched", how, width)
		fits("its search model", model, width)
	}
}
