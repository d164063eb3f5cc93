package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// prefPickerDir is the folder the file picker opened last.
const prefPickerDir = "picker.folder"

// picker chooses several files at once, across folders: Fyne's file
// dialog picks one. A folder's row opens it; a file's row ticks it; the
// ticks stay while the person moves between folders, and the add button
// says how many files it will add.
type picker struct {
	g      *gui
	dir    string
	rows   []pickerRow // the folder's entries: folders first, then files
	chosen map[string]bool
	add    func(paths []string)

	list  *widget.List
	where *widget.Label
	empty *widget.Label
	ok    *widget.Button
	dlg   dialog.Dialog
}

type pickerRow struct {
	name string
	dir  bool
}

// newPicker makes a picker that hands the chosen files to add.
func newPicker(g *gui, add func(paths []string)) *picker {
	p := &picker{g: g, chosen: map[string]bool{}, add: add}
	p.where = widget.NewLabel("")
	p.where.Truncation = fyne.TextTruncateEllipsis
	p.empty = widget.NewLabel("")
	p.empty.Importance = widget.LowImportance
	p.list = widget.NewList(func() int { return len(p.rows) },
		func() fyne.CanvasObject {
			return container.NewHBox(widget.NewIcon(theme.FileIcon()), widget.NewLabel("name"))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(p.rows) {
				return
			}
			r := p.rows[i]
			box := o.(*fyne.Container)
			icon := theme.FileIcon()
			switch {
			case r.dir:
				icon = theme.FolderIcon()
			case p.chosen[filepath.Join(p.dir, r.name)]:
				icon = theme.CheckButtonCheckedIcon()
			default:
				icon = theme.CheckButtonIcon()
			}
			box.Objects[0].(*widget.Icon).SetResource(icon)
			box.Objects[1].(*widget.Label).SetText(r.name)
		})
	p.list.OnSelected = func(i widget.ListItemID) {
		p.list.Unselect(i)
		p.tap(i)
	}
	return p
}

// tap opens a folder's row, or ticks (or unticks) a file's.
func (p *picker) tap(i int) {
	if i < 0 || i >= len(p.rows) {
		return
	}
	r := p.rows[i]
	path := filepath.Join(p.dir, r.name)
	if r.dir {
		p.open(path)
		return
	}
	if p.chosen[path] {
		delete(p.chosen, path)
	} else {
		p.chosen[path] = true
	}
	p.list.RefreshItem(i)
	p.update()
}

// open lists a folder, off the UI goroutine (a network folder may be
// slow); an unreadable one says why and keeps the current list.
func (p *picker) open(dir string) {
	p.g.goWork(func(context.Context) {
		rows, err := readFolder(dir)
		p.g.do(func() {
			if err != nil {
				p.g.showError(err)
				return
			}
			p.dir, p.rows = dir, rows
			p.where.SetText(dir)
			p.empty.SetText("")
			if len(rows) == 0 {
				p.empty.SetText("This folder is empty.")
			}
			p.list.UnselectAll()
			p.list.ScrollToTop()
			p.list.Refresh()
			p.g.app.Preferences().SetString(prefPickerDir, dir)
		})
	})
}

// readFolder lists a folder for the picker: folders first, then files,
// each by name without regard to case; hidden entries are left out, as
// file managers do.
func readFolder(dir string) ([]pickerRow, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	rows := make([]pickerRow, 0, len(ents))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
				isDir = st.IsDir()
			}
		}
		rows = append(rows, pickerRow{name: e.Name(), dir: isDir})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].dir != rows[j].dir {
			return rows[i].dir
		}
		return strings.ToLower(rows[i].name) < strings.ToLower(rows[j].name)
	})
	return rows, nil
}

// all ticks every file of the folder shown, or unticks them when all are
// ticked.
func (p *picker) all() {
	var files []string
	for _, r := range p.rows {
		if !r.dir {
			files = append(files, filepath.Join(p.dir, r.name))
		}
	}
	every := len(files) > 0 && !slices.ContainsFunc(files, func(f string) bool { return !p.chosen[f] })
	for _, f := range files {
		if every {
			delete(p.chosen, f)
		} else {
			p.chosen[f] = true
		}
	}
	p.list.Refresh()
	p.update()
}

// paths are the ticked files, in order.
func (p *picker) paths() []string {
	out := make([]string, 0, len(p.chosen))
	for f := range p.chosen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func (p *picker) update() {
	n := len(p.chosen)
	switch n {
	case 0:
		p.ok.SetText("Add files")
		p.ok.Disable()
	default:
		p.ok.SetText("Add " + plural(n, "file"))
		p.ok.Enable()
	}
}

// show opens the picker as a dialog, in the folder it used last (or the
// home folder).
func (p *picker) show() {
	start := p.g.app.Preferences().String(prefPickerDir)
	if st, err := os.Stat(start); start == "" || err != nil || !st.IsDir() {
		start, _ = os.UserHomeDir()
	}
	up := widget.NewButtonWithIcon("Up", theme.NavigateBackIcon(), func() {
		if parent := filepath.Dir(p.dir); parent != p.dir {
			p.open(parent)
		}
	})
	home := widget.NewButtonWithIcon("Home", theme.HomeIcon(), func() {
		if h, err := os.UserHomeDir(); err == nil {
			p.open(h)
		}
	})
	all := widget.NewButton("Tick all files here", p.all)
	cancel := widget.NewButton("Cancel", func() { p.dlg.Hide() })
	p.ok = widget.NewButtonWithIcon("Add files", theme.ContentAddIcon(), func() {
		paths := p.paths()
		p.dlg.Hide()
		if len(paths) > 0 {
			p.add(paths)
		}
	})
	p.ok.Importance = widget.HighImportance
	p.update()
	top := container.NewBorder(nil, nil, container.NewHBox(up, home), nil, p.where)
	bottom := container.NewBorder(nil, nil, all, container.NewHBox(cancel, p.ok), p.empty)
	body := container.NewBorder(top, bottom, nil, nil, p.list)
	p.dlg = dialog.NewCustomWithoutButtons("Add files", body, p.g.win)
	p.dlg.Resize(fyne.NewSize(800, 560))
	p.open(start)
	p.g.show(p.dlg)
}
