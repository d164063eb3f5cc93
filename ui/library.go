package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/event"
	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/status"
)

// libraryView is the left pane: the library, its documents with their
// status, adding files, and indexing progress.
type libraryView struct {
	g       *gui
	main    *mainView
	content fyne.CanvasObject

	pick   *widget.Select
	unlock *widget.Button
	// unlocking holds the files a password was just given for, until
	// they are read again: a wrong one is said at once.
	unlocking map[string]bool
	list      *widget.List
	all       []engine.Document // the library's documents, by name
	names     map[string]int    // how many of them have each file name
	docs      []engine.Document // those the filter lets through, as listed
	filter    *widget.Entry
	// only asks the selected document alone, when checked.
	only     *widget.Check
	selected int
	summary  *widget.Label
	fresh    *widget.Label
	search   *widget.Label // how the library is searched
	// searchModel is the embedding model it is searched with.
	searchModel *widget.Label
	// suggest offers a multilingual embedding model for a library mostly
	// in other languages than English (engine.SuggestEmbedModel).
	suggest *widget.Button
	advice  string
	model   engine.CatalogModel
	actions []*widget.Button

	// ocrPages is, per file being read by OCR, the pages read and the
	// pages to read (event.Page), shown in its row.
	ocrPages map[string][2]int
	// awaySaid holds the libraries whose server was said to be out of
	// reach in this session: the reason is too long for the pane's
	// lines, so it is shown once, when the library is chosen.
	awaySaid map[string]bool
	// created are the libraries made in this window, which exist in the
	// engine only once a file is added to them.
	created map[string]bool

	teach         *teachBox
	progressBox   *fyne.Container
	bar           *widget.ProgressBar
	progressLabel *widget.Label
	pause         *widget.Button
}

func newLibraryView(g *gui, m *mainView) *libraryView {
	v := &libraryView{g: g, main: m, selected: -1, ocrPages: map[string][2]int{}, awaySaid: map[string]bool{}, created: map[string]bool{}}
	v.pick = widget.NewSelect(nil, func(name string) {
		if name == "" {
			return
		}
		g.app.Preferences().SetString(g.lastLibraryKey(), name)
		v.selected = -1
		v.reload()
	})
	newLib := widget.NewButtonWithIcon("", theme.ContentAddIcon(), v.onNewLibrary)
	addFiles := widget.NewButtonWithIcon("Add files…", theme.FileIcon(), v.onAddFiles)
	addFolder := widget.NewButtonWithIcon("Add folder…", theme.FolderIcon(), v.onAddFolder)

	v.list = widget.NewList(func() int { return len(v.docs) }, v.newRow, v.updateRow)
	v.list.OnSelected = func(id widget.ListItemID) { v.selected = id; v.enableActions() }
	v.filter = widget.NewEntry()
	v.filter.SetPlaceHolder("Filter by name or folder")
	v.filter.OnChanged = func(string) { v.applyFilter() }
	v.list.OnUnselected = func(widget.ListItemID) { v.selected = -1; v.enableActions() }

	open := widget.NewButtonWithIcon("", theme.FileApplicationIcon(), func() { v.withSelected(v.openOriginal) })
	reveal := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() { v.withSelected(v.reveal) })
	reindex := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { v.withSelected(v.reindex) })
	remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.withSelected(v.remove) })
	v.actions = []*widget.Button{open, reveal, reindex, remove}
	v.only = widget.NewCheck("Ask the selected document only", nil)
	v.unlock = widget.NewButtonWithIcon("Give the password…", theme.LoginIcon(), func() { v.withSelected(v.askPassword) })
	v.unlock.Hide()
	v.enableActions()

	v.bar = widget.NewProgressBar()
	v.progressLabel = widget.NewLabel("")
	v.progressLabel.Truncation = fyne.TextTruncateEllipsis
	v.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), v.onPause)
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), v.onCancel)
	v.progressBox = container.NewVBox(v.progressLabel, v.bar, container.NewGridWithColumns(2, v.pause, cancel))
	v.progressBox.Hide()

	// Two short lines rather than one wrapped: wrapped labels at the foot
	// of a pane do not get their height.
	v.summary = widget.NewLabel("")
	v.summary.Truncation = fyne.TextTruncateEllipsis
	v.summary.Importance = widget.LowImportance
	v.fresh = widget.NewLabel("")
	v.fresh.Truncation = fyne.TextTruncateEllipsis
	v.fresh.Importance = widget.LowImportance
	v.search = widget.NewLabel("")
	v.search.Truncation = fyne.TextTruncateEllipsis
	v.search.Importance = widget.LowImportance
	v.searchModel = widget.NewLabel("")
	v.searchModel.Truncation = fyne.TextTruncateEllipsis
	v.searchModel.Importance = widget.LowImportance
	v.searchModel.Hide()
	v.suggest = widget.NewButtonWithIcon("Search other languages by meaning…", theme.InfoIcon(), v.onSuggest)
	v.suggest.Hide()

	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, newLib, v.pick),
		container.NewGridWithColumns(2, addFiles, addFolder),
		v.filter,
	)
	v.teach = newTeachBox(v)
	bottom := container.NewVBox(v.progressBox, v.teach.box, v.unlock, container.NewGridWithColumns(4, open, reveal, reindex, remove), v.only, v.summary, v.fresh, v.search, v.searchModel, v.suggest, v.teach.start)
	v.content = container.NewBorder(top, bottom, nil, nil, v.list)
	return v
}

// library is the library being shown.
func (v *libraryView) library() string {
	if v.pick.Selected != "" {
		return v.pick.Selected
	}
	return v.g.lastLibrary()
}

// reload reads the libraries and the documents off the UI goroutine.
func (v *libraryView) reload() {
	lib := v.library()
	v.g.goWork(func(ctx context.Context) {
		libs, err := v.g.eng.Libraries(ctx)
		if err != nil {
			v.g.do(func() { v.g.showError(err) })
			return
		}
		var docs []engine.Document
		var info engine.Library
		for _, l := range libs {
			if l.Name == lib {
				info = l
				if l.Away == "" { // a library whose server is away has nothing to list
					docs, err = v.g.eng.Documents(ctx, lib)
				}
			}
		}
		method := v.g.eng.SearchMethod()
		if info.Search != nil {
			method = *info.Search // the library's own embedding model
		}
		v.g.do(func() {
			if err != nil {
				v.g.showError(err)
				return
			}
			names := []string{}
			for _, l := range libs {
				names = append(names, l.Name)
			}
			if !slices.Contains(names, lib) {
				if !v.created[lib] && lib != engine.DefaultLibrary {
					// The library last shown is not here (another data
					// folder or team server, or removed): show one that
					// is, rather than an empty one of that name that
					// added files would create. Choosing it reloads.
					other := engine.DefaultLibrary
					switch {
					case slices.Contains(names, other):
					case len(names) > 0:
						other = names[0]
					default:
						names = append(names, other)
					}
					v.pick.Options = names
					v.pick.SetSelected(other)
					return
				}
				// The default, or one made in this window: it exists once
				// a file is added.
				names = append(names, lib)
			}
			v.pick.Options = names
			if v.pick.Selected != lib {
				v.pick.SetSelected(lib)
			}
			v.pick.Refresh()
			sortByName(docs)
			v.all = docs
			v.names = map[string]int{}
			for _, d := range docs {
				v.names[filepath.Base(d.Path)]++
			}
			v.applyFilter()
			v.checkUnlocked(docs)
			sum, fresh := summary(info, docs)
			v.summary.SetText(sum)
			v.fresh.SetText(fresh)
			if info.Away != "" && !v.awaySaid[info.Name] {
				v.awaySaid[info.Name] = true
				v.g.showAway(fmt.Sprintf("%q is out of reach", info.Name), awayMessage(info))
			}
			how, model := searchLines(method)
			v.search.SetText(how)
			v.searchModel.SetText(model)
			if model == "" {
				v.searchModel.Hide()
			} else {
				v.searchModel.Show()
			}
			if m, advice, ok := engine.SuggestEmbedModel(docs, method); ok {
				v.model, v.advice = m, advice
				v.suggest.Show()
			} else {
				v.suggest.Hide()
			}
			v.showWaiting(docs)
			v.enableActions()
			v.teach.offer(docs, v.g.eng.Settings())
			v.content.Refresh() // lines shown or hidden change the foot's height
		})
	})
}

// sortByName orders documents as a person looks for them: by file name,
// whatever its case, then by folder.
func sortByName(docs []engine.Document) {
	slices.SortStableFunc(docs, func(a, b engine.Document) int {
		if c := strings.Compare(strings.ToLower(filepath.Base(a.Path)), strings.ToLower(filepath.Base(b.Path))); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(a.Path), strings.ToLower(b.Path))
	})
}

// applyFilter lists the documents whose path holds every word of the
// filter (any case), and keeps the selected document selected wherever it
// now stands, or nothing selected if it is gone: a list that changes under
// the person (files added, a filter typed) must never move Remove onto
// another file.
func (v *libraryView) applyFilter() {
	var keep string
	if v.selected >= 0 && v.selected < len(v.docs) {
		keep = v.docs[v.selected].Path
	}
	words := strings.Fields(strings.ToLower(v.filter.Text))
	v.docs = v.docs[:0:0]
	for _, d := range v.all {
		p := strings.ToLower(d.Path)
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(p, w)
		}
		if ok {
			v.docs = append(v.docs, d)
		}
	}
	v.selected = -1
	v.list.UnselectAll()
	for i, d := range v.docs {
		if d.Path == keep {
			v.list.Select(i)
			break
		}
	}
	v.list.Refresh()
	v.enableActions()
}

// summary is the two lines under the list: counts, and freshness (or a
// hint for an empty library).
func summary(l engine.Library, docs []engine.Document) (string, string) {
	where := ""
	if l.Server != "" {
		where = "On the team server " + l.Server
	}
	if l.Away != "" {
		return "Its server could not be reached.", where
	}
	if len(docs) == 0 {
		return "No documents yet.", joinLine(where, "Drop files or folders on the window.")
	}
	ready, failed, waiting := 0, 0, 0
	for _, d := range docs {
		switch d.Status {
		case status.Ready:
			ready++
		case status.Failed:
			failed++
		default:
			waiting++
		}
	}
	s := plural(ready, "document") + " ready"
	if waiting > 0 {
		s += fmt.Sprintf(", %d waiting", waiting)
	}
	if failed > 0 {
		s += fmt.Sprintf(", %d unreadable", failed)
	}
	fresh := ""
	if !l.LastIndexed.IsZero() && waiting == 0 {
		fresh = "Up to date as of " + l.LastIndexed.Local().Format("2 Jan 15:04")
	}
	return s, joinLine(where, fresh)
}

// awayMessage says why a library is out of reach and what still works.
func awayMessage(l engine.Library) string {
	return fmt.Sprintf("This library lives on the team server %s, which could not be reached: %s\n\n"+
		"Your other libraries still work. Carrel tries the server again when it starts again.", l.Server, l.Away)
}

// joinLine joins the non-empty parts of a status line.
func joinLine(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

// onSuggest explains the multilingual model and, if the person agrees,
// downloads it and makes it the embedding model (the library is then
// re-embedded in the background; words keep working meanwhile).
func (v *libraryView) onSuggest() {
	m := v.model
	v.g.show(dialog.NewConfirm("Search other languages by meaning", v.advice+"\n\nDownload "+m.Name+" ("+m.License+") and use it?", func(ok bool) {
		if !ok {
			return
		}
		v.suggest.Disable()
		v.g.goWork(func(ctx context.Context) {
			path, _, err := v.g.eng.DownloadModel(ctx, string(m.ID), func(p engine.DownloadProgress) {
				if p.Total > 0 {
					v.g.do(func() {
						v.suggest.SetText(fmt.Sprintf("Downloading %s: %.0f%%", m.Name, 100*float64(p.Done)/float64(p.Total)))
					})
				}
			})
			if err == nil {
				s := v.g.eng.Settings()
				s.EmbedModel = path
				_, err = v.g.eng.SetSettings(ctx, s)
			}
			v.g.do(func() {
				v.suggest.Enable()
				v.suggest.SetText("Search other languages by meaning…")
				if err != nil {
					v.g.showError(err)
					return
				}
				v.reload()
			})
		})
	}, v.g.win))
}

// searchLines say how the library is searched, under the counts, in two
// lines short enough for the pane: how, and with which model. Settings
// say the rest (why meaning is off, the model's file).
func searchLines(m engine.SearchMethod) (how, model string) {
	switch {
	case !m.Meaning && m.Note != "":
		return "Searched by words only", "(see Settings → Search by meaning)"
	case !m.Meaning:
		return "Searched by words only", ""
	}
	model = shortModelName(m.Name)
	if m.Bundled {
		model += ", built in"
	}
	if m.Reranker != "" {
		model += ", reranked"
	}
	return "Searched by words and meaning", model
}

// shortModelName is a model's name without its file's quantization
// ("all-MiniLM-L6-v2-Q4_K_M" is all-MiniLM-L6-v2).
func shortModelName(name string) string {
	name = strings.TrimSuffix(name, ".gguf")
	if i := strings.LastIndexAny(name, "-."); i > 0 {
		q := strings.ToUpper(name[i+1:])
		if strings.HasPrefix(q, "Q") || strings.HasPrefix(q, "F16") || strings.HasPrefix(q, "F32") || strings.HasPrefix(q, "BF16") || strings.HasPrefix(q, "IQ") {
			return name[:i]
		}
	}
	return name
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func (v *libraryView) newRow() fyne.CanvasObject {
	icon := widget.NewIcon(theme.FileIcon())
	name := widget.NewLabel("document name")
	name.Truncation = fyne.TextTruncateEllipsis
	state := widget.NewLabel("status")
	state.Importance = widget.LowImportance
	state.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(nil, nil, icon, nil, container.NewVBox(name, state))
}

func (v *libraryView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(v.docs) {
		return
	}
	d := v.docs[id]
	c := o.(*fyne.Container)
	icon := c.Objects[1].(*widget.Icon)
	labels := c.Objects[0].(*fyne.Container)
	name, state := labels.Objects[0].(*widget.Label), labels.Objects[1].(*widget.Label)
	title := filepath.Base(d.Path)
	// The folder tells apart files of one name (many source.html), on the
	// name's line: the status line stays whole.
	if v.names[title] > 1 {
		title += " — " + shortDir(d.Path)
	}
	name.SetText(title)
	name.Importance = widget.MediumImportance
	icon.SetResource(statusIcon(d.Status))
	text := statusText(d)
	if p, ok := v.ocrPages[d.Path]; ok && d.Status == status.Parsing && p[0] < p[1] {
		text = fmt.Sprintf("OCR: page %d of %d…", p[0]+1, p[1])
	}
	state.SetText(text)
	if d.Status == status.Failed {
		state.Importance = widget.WarningImportance
	} else {
		state.Importance = widget.LowImportance
	}
	state.Refresh()
}

func statusIcon(s status.Status) fyne.Resource {
	switch s {
	case status.Ready:
		return theme.ConfirmIcon()
	case status.Failed:
		return theme.WarningIcon()
	case status.Parsing, status.Embedding:
		return theme.ViewRefreshIcon()
	}
	return theme.HistoryIcon()
}

// statusText says where a document stands, in plain words.
func statusText(d engine.Document) string {
	switch d.Status {
	case status.Ready:
		s := plural(d.Chunks, "passage")
		if d.Pages > 0 {
			s = plural(d.Pages, "page") + " · " + s
		}
		if d.DuplicateOf != 0 {
			s = "A copy of another document"
		}
		return s
	case status.Failed:
		switch d.ErrorKind {
		case failure.WrongPassword:
			return "Wrong password: give it again"
		case failure.Encrypted:
			return "Needs a password to open"
		case failure.Corrupt:
			return "The file is damaged"
		case failure.Unsupported:
			return "Not a format Carrel reads"
		case failure.NoText:
			return "No text inside"
		case failure.OCROff:
			return "A scan: turn OCR on to read it"
		case failure.Scanned:
			return "A scan: install OCR to read it"
		case failure.TooLarge:
			return "Too large to index"
		case failure.Timeout:
			return "Took too long to read"
		case failure.Cancelled:
			return "Cancelled: re-index to add it"
		}
		return d.Error
	case status.Parsing:
		return "Reading…"
	case status.Embedding:
		if d.Chunks > 0 {
			return "By words now; meaning next…"
		}
		return "Indexing…"
	case status.Stale:
		return "Changed: updating…"
	}
	return "Waiting…"
}

// askOnly is the document questions are limited to: the selected one,
// when "Ask … only" is checked; "" for the whole library.
func (v *libraryView) askOnly() string {
	if v.only.Checked && !v.only.Disabled() && v.selected >= 0 && v.selected < len(v.docs) {
		return v.docs[v.selected].Path
	}
	return ""
}

func (v *libraryView) enableActions() {
	ok := v.selected >= 0 && v.selected < len(v.docs)
	for _, b := range v.actions {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if ok && errors.Is(engine.Failure(v.docs[v.selected]), failure.ErrEncrypted) {
		v.unlock.Show()
	} else {
		v.unlock.Hide()
	}
	if ok && v.docs[v.selected].Status == status.Ready {
		v.only.SetText("Ask " + filepath.Base(v.docs[v.selected].Path) + " only")
		v.only.Enable()
	} else {
		v.only.SetText("Ask the selected document only")
		v.only.Disable()
	}
}

// askPassword asks for an encrypted document's password and indexes it
// with it. The password is used once and not stored.
func (v *libraryView) askPassword(d engine.Document) {
	pw := newDialogEntry(v.g, true)
	note := widget.NewLabel("Carrel uses it once, to read the file, and does not keep it.")
	note.Importance = widget.LowImportance
	v.g.showForm("Password for "+filepath.Base(d.Path), "Open", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Password", pw), widget.NewFormItem("", note)}, []*dialogEntry{pw}, func(ok bool) {
			if ok {
				v.unlockWith(d, pw.Text)
			}
		})
	v.g.win.Canvas().Focus(pw)
}

func (v *libraryView) unlockWith(d engine.Document, password string) {
	if v.unlocking == nil {
		v.unlocking = map[string]bool{}
	}
	v.unlocking[d.Path] = true
	lib := v.library()
	v.g.goWork(func(ctx context.Context) {
		err := v.g.eng.Unlock(ctx, lib, d.Path, password)
		v.g.do(func() {
			if err != nil {
				v.g.showError(err)
			}
			v.reload()
		})
	})
}

// checkUnlocked follows the files a password was given for: once read
// again, a wrong password is said and asked again.
func (v *libraryView) checkUnlocked(docs []engine.Document) {
	for _, d := range docs {
		if !v.unlocking[d.Path] {
			continue
		}
		switch {
		case d.Status == status.Failed && engine.PasswordRejected(d):
			delete(v.unlocking, d.Path)
			v.askPasswordAgain(d)
		case d.Status == status.Ready || d.Status == status.Failed:
			delete(v.unlocking, d.Path)
		}
	}
}

// askPasswordAgain says the password did not open the file and asks again.
func (v *libraryView) askPasswordAgain(d engine.Document) {
	v.g.show(dialog.NewConfirm("Wrong password", "That password did not open "+filepath.Base(d.Path)+". Try another?", func(ok bool) {
		if ok {
			v.askPassword(d)
		}
	}, v.g.win))
}

func (v *libraryView) withSelected(f func(engine.Document)) {
	if v.selected >= 0 && v.selected < len(v.docs) {
		f(v.docs[v.selected])
	}
}

func (v *libraryView) openOriginal(d engine.Document) { v.openPath(d.Path) }
func (v *libraryView) reveal(d engine.Document)       { v.openPath(filepath.Dir(d.Path)) }

func (v *libraryView) openPath(p string) {
	u, err := url.Parse(storage.NewFileURI(p).String())
	if err == nil {
		err = v.g.app.OpenURL(u)
	}
	if err != nil {
		v.g.showError(fmt.Errorf("could not open %s: %w", p, err))
	}
}

func (v *libraryView) reindex(d engine.Document) {
	lib := v.library()
	v.g.goWork(func(ctx context.Context) {
		err := v.g.eng.Reindex(ctx, lib, d.Path)
		v.g.do(func() {
			if err != nil {
				v.g.showError(err)
			}
			v.reload()
		})
	})
}

func (v *libraryView) remove(d engine.Document) {
	v.g.show(dialog.NewConfirm("Remove from the library?",
		fmt.Sprintf("%s will no longer be searched. The file itself stays where it is.", filepath.Base(d.Path)),
		func(ok bool) {
			if !ok {
				return
			}
			lib := v.library()
			v.g.goWork(func(ctx context.Context) {
				_, err := v.g.eng.Remove(ctx, lib, d.Path)
				v.g.do(func() {
					if err != nil {
						v.g.showError(err)
					}
					v.list.UnselectAll()
					v.reload()
				})
			})
		}, v.g.win))
}

// addURIs adds dropped or chosen files and folders to the library.
func (v *libraryView) addURIs(uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 {
		return
	}
	lib := v.library()
	v.g.goWork(func(ctx context.Context) {
		n, err := v.g.eng.Add(ctx, lib, true, paths...)
		v.g.do(func() {
			switch {
			case err != nil:
				v.g.showError(err)
			case n == 0:
				v.main.indexing = "nothing new to index"
			default:
				// Say at once what the drop did: the list fills as files
				// are read.
				v.main.indexing = plural(n, "file") + " added to " + lib
			}
			v.main.updateStatus()
			v.reload()
		})
	})
}

// onAddFiles lets the person tick several files, across folders, and
// adds them all.
func (v *libraryView) onAddFiles() { v.filePicker().show() }

// filePicker is the picker of "Add files…", adding to the library shown.
func (v *libraryView) filePicker() *picker {
	return newPicker(v.g, func(paths []string) {
		uris := make([]fyne.URI, len(paths))
		for i, p := range paths {
			uris[i] = storage.NewFileURI(p)
		}
		v.addURIs(uris)
	})
}

func (v *libraryView) onAddFolder() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			v.g.showError(err)
			return
		}
		if u != nil {
			v.addURIs([]fyne.URI{u})
		}
	}, v.g.win)
	showFileDialog(d)
}

func (v *libraryView) onNewLibrary() {
	name := newDialogEntry(v.g, false)
	name.SetPlaceHolder("e.g. Work, Medical, Thesis")
	v.g.showForm("New library", "Create", "Cancel", []*widget.FormItem{widget.NewFormItem("Name", name)}, []*dialogEntry{name}, func(ok bool) {
		n := strings.TrimSpace(name.Text)
		if !ok || n == "" {
			return
		}
		v.g.app.Preferences().SetString(v.g.lastLibraryKey(), n)
		v.created[n] = true
		v.pick.Options = append(v.pick.Options, n)
		v.pick.SetSelected(n)
	})
	v.g.win.Canvas().Focus(name)
}

// showWaiting shows the progress box while documents wait to be indexed,
// even before the first progress event arrives.
func (v *libraryView) showWaiting(docs []engine.Document) {
	waiting := 0
	for _, d := range docs {
		if d.Status != status.Ready && d.Status != status.Failed {
			waiting++
		}
	}
	if waiting == 0 {
		v.progressBox.Hide()
		return
	}
	if !v.progressBox.Visible() {
		v.progressLabel.SetText(fmt.Sprintf("%s to index…", plural(waiting, "file")))
		v.bar.SetValue(float64(len(docs)-waiting) / float64(len(docs)))
		v.progressBox.Show()
	}
}

// progress shows indexing progress with an ETA.
func (v *libraryView) progress(ev event.Event) {
	switch ev.Kind {
	case event.Idle:
		v.progressBox.Hide()
		v.main.indexing = ""
		return
	case event.Indexing:
		v.progressLabel.SetText("Reading " + filepath.Base(ev.Path))
	case event.Page:
		if ev.Page >= ev.Pages {
			delete(v.ocrPages, ev.Path)
		} else {
			v.ocrPages[ev.Path] = [2]int{ev.Page, ev.Pages}
			v.progressLabel.SetText(fmt.Sprintf("Reading %s: page %d of %d (OCR)", filepath.Base(ev.Path), ev.Page+1, ev.Pages))
		}
		for i, d := range v.docs {
			if d.Path == ev.Path {
				v.list.RefreshItem(i)
			}
		}
	case event.Indexed, event.Failed:
		delete(v.ocrPages, ev.Path)
	}
	if ev.Total > 0 {
		v.progressBox.Show()
		v.bar.SetValue(ev.Fraction)
		v.main.indexing = fmt.Sprintf("indexing %d of %d", ev.Done, ev.Total)
		switch {
		case ev.ETA > 0:
			v.main.indexing += ", about " + roundETA(ev.ETA) + " left"
		case ev.Done < ev.Total:
			v.main.indexing += ", estimating the time left…"
		}
	}
}

func roundETA(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(d.Seconds()+0.5))
	}
	return fmt.Sprintf("%d min", int(d.Minutes()+0.5))
}

func (v *libraryView) onPause() {
	v.pause.Disable()
	v.g.goWork(func(ctx context.Context) {
		paused := v.g.eng.Paused()
		if paused {
			v.g.eng.Resume()
		} else {
			v.g.eng.Pause()
		}
		v.g.do(func() {
			if paused {
				v.pause.SetText("Pause")
				v.pause.SetIcon(theme.MediaPauseIcon())
			} else {
				v.pause.SetText("Resume")
				v.pause.SetIcon(theme.MediaPlayIcon())
			}
			v.pause.Enable()
		})
	})
}

func (v *libraryView) onCancel() {
	v.g.goWork(func(ctx context.Context) {
		err := v.g.eng.CancelIndexing(ctx)
		v.g.do(func() {
			if err != nil {
				v.g.showError(err)
			}
			v.progressBox.Hide()
			v.reload()
		})
	})
}

// shortDir is the last two folders of a path: enough to tell files of
// one name apart without a long path.
func shortDir(path string) string {
	dir := filepath.Dir(path)
	parent := filepath.Base(filepath.Dir(dir))
	if parent == "." || parent == string(filepath.Separator) || parent == "" {
		return filepath.Base(dir)
	}
	return filepath.Join(parent, filepath.Base(dir))
}

// lastLibraryKey is the preference that keeps the library last shown. It
// is kept per data folder and team server: preferences are the app's,
// and a library name of one place may not exist in another.
func (g *gui) lastLibraryKey() string {
	sum := sha256.Sum256([]byte(g.eng.DataDir() + "\x00" + g.eng.LibraryServer()))
	return prefLibrary + "." + hex.EncodeToString(sum[:8])
}

// lastLibrary is the library last shown here; before it was kept per
// place, one preference served all (read as the fallback, since reload
// shows another library when that one is not here).
func (g *gui) lastLibrary() string {
	p := g.app.Preferences()
	return p.StringWithFallback(g.lastLibraryKey(), p.StringWithFallback(prefLibrary, engine.DefaultLibrary))
}
