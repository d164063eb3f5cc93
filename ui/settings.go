package ui

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/settings"
)

// settingsView edits the engine's settings and the current library's
// ignore patterns.
type settingsView struct {
	g    *gui
	form *widget.Form

	embed, rerank, adapter, threads, ctxSize, answer, chunk, scale, ignore, system *widget.Entry
	cpu, serve, ocr                                                                *widget.Check
	ocrLangs                                                                       *widget.Entry
	ocrStatus                                                                      *widget.Label
	serveAddr                                                                      *widget.Entry
	server                                                                         *widget.Entry
	placed, libModels, libEmbeds                                                   *rowsEditor
	chatServer, chatServerKey, chatServerModel                                     *widget.Entry
	temp                                                                           *widget.Slider
	tempLabel                                                                      *widget.Label
	sources                                                                        *widget.Select
	searchBy                                                                       *widget.Select
	library                                                                        string
}

func newSettingsView(g *gui, library string) *settingsView {
	s := g.eng.Settings()
	v := &settingsView{g: g, library: library}
	num := func(n int) *widget.Entry {
		e := widget.NewEntry()
		e.SetText(strconv.Itoa(n))
		return e
	}
	// Search by meaning: the built-in model (the default), words only, or
	// a model file of the person's choosing.
	v.embed = widget.NewEntry()
	v.embed.SetPlaceHolder("a GGUF embedding model file")
	builtin := g.eng.SearchMethodFor(engine.Settings{})
	builtinLabel := "Built in: " + builtin.Name + " (English)"
	if !builtin.Meaning {
		builtinLabel = "Built in (missing from this installation)"
	}
	v.searchBy = widget.NewSelect([]string{builtinLabel, searchWordsOnly, searchModelFile}, func(choice string) {
		if choice == searchModelFile {
			v.embed.Enable()
		} else {
			v.embed.Disable()
		}
	})
	switch s.EmbedModel {
	case "":
		v.searchBy.SetSelected(builtinLabel)
	case engine.NoEmbedModel:
		v.searchBy.SetSelected(searchWordsOnly)
	default:
		v.embed.SetText(s.EmbedModel)
		v.searchBy.SetSelected(searchModelFile)
	}
	v.rerank = widget.NewEntry()
	v.rerank.SetText(s.Reranker)
	v.rerank.SetPlaceHolder("none")
	v.adapter = widget.NewEntry()
	v.adapter.SetText(s.Adapter)
	v.adapter.SetPlaceHolder("none")
	v.scale = widget.NewEntry()
	v.scale.SetText(strconv.FormatFloat(float64(s.AdapterScale), 'g', -1, 32))
	v.cpu = widget.NewCheck("Run models on the CPU only", nil)
	v.cpu.SetChecked(s.CPUOnly)
	v.threads = num(s.Threads)
	v.ctxSize = num(s.ContextSize)
	v.answer = num(s.AnswerTokens)
	v.chunk = num(s.ChunkTokens)
	v.tempLabel = widget.NewLabel("")
	v.temp = widget.NewSlider(0, 1.5)
	v.temp.Step = 0.05
	v.temp.OnChanged = func(f float64) { v.tempLabel.SetText(fmt.Sprintf("%.2f", f)) }
	v.temp.SetValue(float64(s.Temperature))
	v.sources = widget.NewSelect([]string{"3", "4", "5", "6", "8", "10", "12"}, nil)
	v.sources.SetSelected(strconv.Itoa(s.Sources))
	v.system = widget.NewMultiLineEntry()
	v.system.SetText(s.SystemPrompt)
	v.system.SetPlaceHolder("empty: Carrel's default instructions")
	v.system.SetMinRowsVisible(3)
	v.system.Wrapping = fyne.TextWrapWord
	v.ignore = widget.NewMultiLineEntry()
	v.ignore.SetPlaceHolder("one pattern per line, e.g. *.tmp or drafts/")
	v.ignore.SetMinRowsVisible(2)
	model := s.ChatModel
	if model == "" {
		model = "none"
	}
	chat := widget.NewLabel(model)
	chat.Truncation = fyne.TextTruncateEllipsis
	chatButtons := container.NewHBox(widget.NewButton("Change…", func() { g.dismissTop(); g.showSetup() }))
	if s.ChatModel != "" && s.ChatServer == "" {
		chatButtons.Add(widget.NewButton("Make smaller…", func() { g.offerShrink(s.ChatModel, library) }))
	}
	browse := func(e *widget.Entry) *widget.Button {
		return widget.NewButton("Choose…", func() {
			g.chooseFile([]string{".gguf"}, func(u fyne.URI) { e.SetText(u.Path()) })
		})
	}
	// Scans: whether they are read, with which languages, and what this
	// computer has (found in the background: it runs Tesseract).
	v.ocr = widget.NewCheck("Read scanned pages and pictures (OCR)", nil)
	v.ocr.SetChecked(s.OCR != engine.OCROff)
	v.ocrLangs = widget.NewEntry()
	v.ocrLangs.SetText(s.OCRLanguages)
	v.ocrLangs.SetPlaceHolder("automatic: by the script of each page")
	v.ocrStatus = widget.NewLabel("Looking for Tesseract…")
	v.ocrStatus.Wrapping = fyne.TextWrapWord
	g.goWork(func(ctx context.Context) {
		text := describeOCR(g.eng.OCR(ctx))
		g.do(func() { v.ocrStatus.SetText(text) })
	})
	// A model server: answers come from another machine, and say so.
	v.chatServer = widget.NewEntry()
	v.chatServer.SetText(s.ChatServer)
	v.chatServer.SetPlaceHolder("empty: the chat model above; or http://gpu.lab:8080/v1")
	v.chatServerKey = widget.NewPasswordEntry()
	v.chatServerKey.SetText(s.ChatServerKey)
	v.chatServerKey.SetPlaceHolder("API key, if the server wants one")
	v.chatServerModel = widget.NewEntry()
	v.chatServerModel.SetText(s.ChatServerModel)
	v.chatServerModel.SetPlaceHolder("the server's own")
	// A team library: the connection string holds a password, so it is
	// hidden until asked for.
	v.server = widget.NewPasswordEntry()
	v.server.SetText(s.LibraryServer)
	v.server.SetPlaceHolder("empty: this computer; or postgres://user:password@host/database")
	v.placed = newPlacements(s.LibraryServers)
	v.libModels = newLibraryModels(s.LibraryChatServers)
	v.libEmbeds = newLibraryEmbeds(s.LibraryEmbedModels)
	libraryNow := "Now: this computer (" + g.eng.DataDir() + ")"
	if srv := g.eng.LibraryServer(); srv != "" {
		libraryNow = "Now: the team server " + srv
	}
	v.serve = widget.NewCheck("Let other apps on this computer use Carrel", nil)
	v.serve.SetChecked(s.Serve)
	v.serveAddr = widget.NewEntry()
	v.serveAddr.SetText(s.ServeAddr)
	v.serveAddr.SetPlaceHolder("127.0.0.1:8765")
	url, token, serr := g.server.status()
	serving := "Off. When on: an OpenAI-compatible API (/v1) and an MCP server (/mcp) on this computer only, with a token."
	switch {
	case url != "":
		serving = "On at " + url + "  ·  token " + token
	case serr != nil:
		serving = "Could not start: " + serr.Error()
	}
	servingLabel := widget.NewLabel(serving)
	servingLabel.Wrapping = fyne.TextWrapWord
	servingLabel.Selectable = true
	copyToken := widget.NewButton("Copy token", func() {
		if _, tok, _ := g.server.status(); tok != "" {
			g.app.Clipboard().SetContent(tok)
		}
	})
	newToken := widget.NewButton("New token", g.rotateToken)
	if token == "" {
		copyToken.Disable()
		newToken.Disable()
	}
	v.form = &widget.Form{Items: []*widget.FormItem{
		{Text: "Chat model", Widget: container.NewBorder(nil, nil, nil, chatButtons, chat)},
		{Text: "Model server", Widget: v.chatServer, HintText: "OpenAI-compatible (llama-server, vLLM, Ollama, a Carrel): questions and passages go there"},
		{Text: "Server key", Widget: v.chatServerKey},
		{Text: "Server model", Widget: v.chatServerModel},
		{Text: "Libraries' own models", Widget: v.libModels.widget(), HintText: "a library named here is answered by its model server, and says so"},
		{Text: "Search by meaning", Widget: v.searchBy, HintText: "changing it re-embeds in the background; words keep working meanwhile"},
		{Text: "", Widget: wrapped("Now: " + g.eng.SearchMethod().Describe() + ".")},
		{Text: "Embedding model", Widget: container.NewBorder(nil, nil, nil, browse(v.embed), v.embed)},
		{Text: "Reranking model", Widget: container.NewBorder(nil, nil, nil, browse(v.rerank), v.rerank), HintText: "optional: re-reads the 20 best passages of every search with the question (slower, often better)"},
		{Text: "", Widget: v.cpu},
		{Text: "Threads", Widget: v.threads, HintText: "0: one per physical core"},
		{Text: "Context size", Widget: v.ctxSize, HintText: "tokens; 0: the model's, at most 8192"},
		{Text: "Temperature", Widget: container.NewBorder(nil, nil, nil, v.tempLabel, v.temp), HintText: "0 always picks the most likely word"},
		{Text: "Sources per answer", Widget: v.sources, HintText: "fewer sources answer sooner"},
		{Text: "Answer length", Widget: v.answer, HintText: "tokens at most"},
		{Text: "Passage size", Widget: v.chunk, HintText: "tokens; changing it re-indexes the library in the background"},
		{Text: "LoRA adapter", Widget: container.NewBorder(nil, nil, nil, browse(v.adapter), v.adapter)},
		{Text: "Adapter strength", Widget: v.scale},
		{Text: "Instructions", Widget: v.system},
		{Text: "Scans", Widget: v.ocr},
		{Text: "OCR languages", Widget: v.ocrLangs, HintText: "Tesseract packs joined by +, such as eng+deu or chi_sim"},
		{Text: "", Widget: v.ocrStatus},
		{Text: "Skip in " + library, Widget: v.ignore},
		{Text: "Data folder", Widget: widget.NewLabel(g.eng.DataDir()), HintText: "set CARREL_HOME to move it"},
		{Text: "Team library", Widget: v.server, HintText: "a PostgreSQL server your team shares; used from the next start"},
		{Text: "", Widget: wrapped(libraryNow + ".")},
		{Text: "Libraries on servers", Widget: v.placed.widget(), HintText: "a library named here lives on its own PostgreSQL server; at the next start"},
		{Text: "Their search models", Widget: v.libEmbeds.widget(), HintText: "a model file, http://… or none, shared by a server's libraries; at the next start"},
		{Text: "Other apps", Widget: v.serve},
		{Text: "Address", Widget: v.serveAddr, HintText: "this computer only; empty: 127.0.0.1:8765"},
		{Text: "", Widget: container.NewBorder(nil, nil, nil, container.NewHBox(copyToken, newToken), servingLabel)},
	}}
	return v
}

// wrapped is a settings line that wraps: a form's hints are one line,
// and one too long widens the dialog past the window.
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.LowImportance
	return l
}

// Choices of search by meaning besides the built-in model.
const (
	searchWordsOnly = "Off: search by words only"
	searchModelFile = "Another embedding model (a GGUF file)"
)

// settings reads the form back; a field that is not a number says which.
func (v *settingsView) settings() (engine.Settings, error) {
	s := v.g.eng.Settings()
	ints := []struct {
		e    *widget.Entry
		name string
		to   *int
	}{{v.threads, "Threads", &s.Threads}, {v.ctxSize, "Context size", &s.ContextSize}, {v.answer, "Answer length", &s.AnswerTokens}, {v.chunk, "Passage size", &s.ChunkTokens}}
	for _, f := range ints {
		n, err := strconv.Atoi(strings.TrimSpace(f.e.Text))
		if err != nil {
			return s, fmt.Errorf("%s must be a whole number", f.name)
		}
		*f.to = n
	}
	scale, err := strconv.ParseFloat(strings.TrimSpace(v.scale.Text), 32)
	if err != nil {
		return s, fmt.Errorf("adapter strength must be a number")
	}
	s.AdapterScale = float32(scale)
	switch v.searchBy.Selected {
	case searchWordsOnly:
		s.EmbedModel = engine.NoEmbedModel
	case searchModelFile:
		s.EmbedModel = strings.TrimSpace(v.embed.Text)
		if s.EmbedModel == "" || s.EmbedModel == engine.NoEmbedModel {
			return s, fmt.Errorf("choose the embedding model file, or search with the built-in model")
		}
	default:
		s.EmbedModel = ""
	}
	s.Adapter = strings.TrimSpace(v.adapter.Text)
	s.Reranker = strings.TrimSpace(v.rerank.Text)
	if strings.EqualFold(s.Reranker, "none") {
		s.Reranker = ""
	}
	s.CPUOnly = v.cpu.Checked
	s.Temperature = float32(v.temp.Value)
	s.Sources, _ = strconv.Atoi(v.sources.Selected)
	s.SystemPrompt = strings.TrimSpace(v.system.Text)
	s.OCR = ""
	if !v.ocr.Checked {
		s.OCR = engine.OCROff
	}
	s.OCRLanguages = strings.Join(settings.OCRLanguageList(v.ocrLangs.Text), "+")
	s.Serve = v.serve.Checked
	s.ServeAddr = strings.TrimSpace(v.serveAddr.Text)
	s.LibraryServer = strings.TrimSpace(v.server.Text)
	placed, err := readPlacements(v.placed)
	if err != nil {
		return s, err
	}
	s.LibraryServers = placed
	libModels, err := readLibraryModels(v.libModels)
	if err != nil {
		return s, err
	}
	s.LibraryChatServers = libModels
	libEmbeds, err := readLibraryEmbeds(v.libEmbeds)
	if err != nil {
		return s, err
	}
	s.LibraryEmbedModels = libEmbeds
	s.ChatServer = strings.TrimSpace(v.chatServer.Text)
	s.ChatServerKey = strings.TrimSpace(v.chatServerKey.Text)
	s.ChatServerModel = strings.TrimSpace(v.chatServerModel.Text)
	return s, s.Validate()
}

// settingsWidth is the settings dialog's width: within the smallest
// window, and what the form must fit (TestSettingsFitTheDialog).
const settingsWidth = 720

// showSettings opens the settings as a dialog; Save applies them in the
// background and says when the library will be re-indexed.
func (g *gui) showSettings(library string) {
	v := newSettingsView(g, library)
	g.goWork(func(ctx context.Context) {
		libs, err := g.eng.Libraries(ctx)
		g.do(func() {
			if err != nil {
				return
			}
			for _, l := range libs {
				if l.Name == library {
					v.ignore.SetText(strings.Join(l.Ignore, "\n"))
				}
			}
		})
	})
	d := dialog.NewCustomConfirm("Settings", "Save", "Cancel", container.NewVScroll(v.form), func(ok bool) {
		if ok {
			v.save()
		}
	}, g.win)
	d.Resize(fyne.NewSize(settingsWidth, 620))
	g.show(d)
}

func (v *settingsView) save() {
	s, err := v.settings()
	if err != nil {
		v.g.showError(err)
		return
	}
	var patterns []string
	for _, p := range strings.Split(v.ignore.Text, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			patterns = append(patterns, p)
		}
	}
	v.g.goWork(func(ctx context.Context) {
		changed := settings.OpeningChanges(v.g.eng.Settings(), s)
		reindex, err := v.g.eng.SetSettings(ctx, s)
		if err == nil {
			err = v.g.eng.SetIgnore(ctx, v.library, patterns)
		}
		waiting := v.g.eng.AtNextOpening()
		v.g.do(func() {
			if err != nil {
				v.g.showError(err)
				return
			}
			v.g.syncServer()
			if reindex {
				v.g.show(dialog.NewInformation("Re-indexing", "The library is being indexed again in the background. It stays searchable meanwhile.", v.g.win))
			}
			// Said when this save changed what waits, not at every save.
			if len(waiting) > 0 && len(changed) > 0 {
				v.g.offerRestart(waiting)
			}
			if v.g.main != nil {
				v.g.main.refresh()
			}
		})
	})
}

// describeOCR says whether scans are read on this computer, and if not,
// how to make them readable.
func describeOCR(o engine.OCRInfo) string {
	if !o.Available {
		return o.Problem
	}
	return fmt.Sprintf("Tesseract %s · language packs installed: %s", o.Version, strings.Join(o.Installed, ", "))
}

// rowsEditor edits a list of rows of entries, such as a library's name
// beside its server: rows are added with a button and removed with their
// own; an entry holding a password or key is hidden as a password is.
type rowsEditor struct {
	rows    *fyne.Container
	list    [][]*widget.Entry
	cols    []column
	addText string
}

type column struct {
	hint   string
	secret bool
}

func newRowsEditor(addText string, cols ...column) *rowsEditor {
	return &rowsEditor{rows: container.NewVBox(), cols: cols, addText: addText}
}

// add appends a row holding values.
func (p *rowsEditor) add(values ...string) {
	entries := make([]*widget.Entry, len(p.cols))
	cells := make([]fyne.CanvasObject, len(p.cols))
	for i, c := range p.cols {
		e := widget.NewEntry()
		if c.secret {
			e = widget.NewPasswordEntry()
		}
		e.SetPlaceHolder(c.hint)
		if i < len(values) {
			e.SetText(values[i])
		}
		entries[i], cells[i] = e, e
	}
	var row fyne.CanvasObject
	remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
		for i, q := range p.list {
			if q[0] == entries[0] {
				p.list = append(p.list[:i], p.list[i+1:]...)
				break
			}
		}
		p.rows.Remove(row)
	})
	remove.Importance = widget.LowImportance
	row = container.NewBorder(nil, nil, nil, remove, container.NewGridWithColumns(len(cells), cells...))
	p.list = append(p.list, entries)
	p.rows.Add(row)
}

func (p *rowsEditor) widget() fyne.CanvasObject {
	return container.NewVBox(p.rows, container.NewHBox(widget.NewButtonWithIcon(p.addText, theme.ContentAddIcon(), func() { p.add() })))
}

// values returns the rows' texts, trimmed; blank rows are left out.
func (p *rowsEditor) values() [][]string {
	var out [][]string
	for _, r := range p.list {
		row, blank := make([]string, len(r)), true
		for i, e := range r {
			row[i] = strings.TrimSpace(e.Text)
			blank = blank && row[i] == ""
		}
		if !blank {
			out = append(out, row)
		}
	}
	return out
}

// newPlacements edits Settings.LibraryServers: a library's name beside
// its server's connection string.
func newPlacements(m map[string]string) *rowsEditor {
	p := newRowsEditor("Place a library on a server", column{hint: "library name"}, column{hint: "postgres://user:password@host/database", secret: true})
	for _, n := range slices.Sorted(maps.Keys(m)) {
		p.add(n, m[n])
	}
	return p
}

// readPlacements reads newPlacements' rows back.
func readPlacements(p *rowsEditor) (map[string]string, error) {
	return readRows(p, "placed on a server", "its server's connection string (postgres://…)",
		func(r []string) string { return r[1] })
}

// readRows reads a rows editor whose first column names a library: a row
// without the name, or without its second column when what it needs is
// said, is refused in words, as is a library named twice.
func readRows[V any](p *rowsEditor, what, needs string, value func(r []string) V) (map[string]V, error) {
	var m map[string]V
	for _, r := range p.values() {
		switch {
		case r[0] == "":
			return nil, fmt.Errorf("a library %s needs its name", what)
		case needs != "" && r[1] == "":
			return nil, fmt.Errorf("library %q needs %s", r[0], needs)
		}
		if _, dup := m[r[0]]; dup {
			return nil, fmt.Errorf("library %q is %s twice", r[0], what)
		}
		if m == nil {
			m = map[string]V{}
		}
		m[r[0]] = value(r)
	}
	return m, nil
}

// newLibraryModels edits Settings.LibraryChatServers: a library's name
// beside the model server its questions go to, its key and model.
func newLibraryModels(m map[string]engine.ModelServer) *rowsEditor {
	p := newRowsEditor("Give a library its own model server", column{hint: "library name"}, column{hint: "http://gpu.lab:8080/v1"},
		column{hint: "API key, if any", secret: true}, column{hint: "model: the server's own"})
	for _, n := range slices.Sorted(maps.Keys(m)) {
		p.add(n, m[n].URL, m[n].Key, m[n].Model)
	}
	return p
}

func readLibraryModels(p *rowsEditor) (map[string]engine.ModelServer, error) {
	return readRows(p, "given its own model server", "its model server's address (http://…)",
		func(r []string) engine.ModelServer { return engine.ModelServer{URL: r[1], Key: r[2], Model: r[3]} })
}

// newLibraryEmbeds edits Settings.LibraryEmbedModels: a library's name
// beside its embedding model (a file, a server's address, or none), the
// server's key and model.
func newLibraryEmbeds(m map[string]engine.EmbedChoice) *rowsEditor {
	p := newRowsEditor("Give a library on a server its own search model", column{hint: "library name"},
		column{hint: "model file, http://… or none"}, column{hint: "server's API key, if any", secret: true}, column{hint: "server's model name"})
	for _, n := range slices.Sorted(maps.Keys(m)) {
		p.add(n, m[n].Model, m[n].ServerKey, m[n].ServerModel)
	}
	return p
}

// readLibraryEmbeds reads newLibraryEmbeds' rows back; an empty model is
// the one built into Carrel.
func readLibraryEmbeds(p *rowsEditor) (map[string]engine.EmbedChoice, error) {
	return readRows(p, "given its own search model", "",
		func(r []string) engine.EmbedChoice {
			return engine.EmbedChoice{Model: r[1], ServerKey: r[2], ServerModel: r[3]}
		})
}
