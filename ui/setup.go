package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carrel-ai/carrel/engine"
)

// setupView is the first-run screen. It leads to a chat model, in this
// order: models already on this computer, a GGUF file, a download.
type setupView struct {
	g       *gui
	content fyne.CanvasObject
	found   *fyne.Container // the models found on this computer
	choose  *widget.Button
	catalog *fyne.Container

	// added says which files given at start are being added meanwhile.
	added *widget.Label

	downloading  context.CancelFunc
	progress     *widget.ProgressBar
	progressText *widget.Label
	progressBox  *fyne.Container
}

func newSetupView(g *gui) *setupView {
	v := &setupView{g: g}
	title := widget.NewLabelWithStyle("Welcome to Carrel", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	intro := widget.NewLabel("Carrel answers questions from your own documents with a language model that runs on this computer. " +
		"Nothing you add or ask leaves the machine. First, choose the model that will write the answers.")
	intro.Wrapping = fyne.TextWrapWord

	v.found = container.NewVBox(widget.NewLabel("Looking for models already on this computer…"))
	v.choose = widget.NewButtonWithIcon("Choose a GGUF model file…", theme.FolderOpenIcon(), v.onChoose)
	v.catalog = container.NewVBox()
	v.progress = widget.NewProgressBar()
	v.progressText = widget.NewLabel("")
	cancel := widget.NewButtonWithIcon("Cancel download", theme.CancelIcon(), func() {
		if v.downloading != nil {
			v.downloading()
		}
	})
	v.added = widget.NewLabel("")
	v.added.Wrapping = fyne.TextWrapWord
	v.added.Importance = widget.SuccessImportance
	v.added.Hide()
	v.progressBox = container.NewVBox(v.progressText, v.progress, cancel)
	v.progressBox.Hide()
	skip := widget.NewButton("Continue without a model (answers show passages only)", g.showMain)
	skip.Importance = widget.LowImportance

	heading := func(s string) *widget.Label {
		l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		return l
	}
	body := container.NewVBox(
		title, intro, v.added,
		heading("1. Models already on this computer"), v.found,
		heading("2. A model file you have"), container.NewHBox(v.choose),
		heading("3. Download a recommended model"), v.catalog, v.progressBox,
		widget.NewSeparator(), container.NewHBox(skip),
	)
	v.content = container.NewVScroll(container.NewPadded(body))
	v.fillCatalog()
	return v
}

// discover looks for the models on this computer in the background.
func (v *setupView) discover() {
	v.g.goWork(func(ctx context.Context) {
		found, err := v.g.eng.FindModels(ctx)
		v.g.do(func() { v.fillFound(found, err) })
	})
}

func (v *setupView) fillFound(found []engine.FoundModel, err error) {
	v.found.Objects = nil
	n := 0
	for _, f := range found {
		if f.Embedding {
			continue
		}
		f := f
		n++
		desc := fmt.Sprintf("%s — %s, %s %s", f.Name, f.Source, engine.SizeText(f.Info.FileSize), f.Info.Quantization)
		label := widget.NewLabel(desc)
		label.Truncation = fyne.TextTruncateEllipsis
		use := widget.NewButton("Use", func() { v.g.useModel(f.Path) })
		use.Importance = widget.HighImportance
		v.found.Add(container.NewBorder(nil, nil, nil, use, label))
	}
	if n == 0 {
		msg := "None found (Carrel looks where Ollama, LM Studio, GPT4All, Jan, llama.cpp and Hugging Face keep theirs)."
		if err != nil {
			msg = "Could not look: " + err.Error()
		}
		l := widget.NewLabel(msg)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.LowImportance
		v.found.Add(l)
	}
	v.found.Refresh()
}

func (v *setupView) fillCatalog() {
	all, rec := v.g.eng.Catalog()
	for _, e := range all {
		if e.Kind != "chat" {
			continue
		}
		e := e
		name := e.Name
		if e.ID == rec.ID {
			name = "★ " + name + " (recommended for this computer)"
		}
		label := widget.NewLabel(fmt.Sprintf("%s\n%s download, needs about %s of memory · %s\n%s", name, engine.SizeText(e.Size), engine.SizeText(e.RAM), e.License, e.Note))
		label.Wrapping = fyne.TextWrapWord
		get := widget.NewButtonWithIcon("Download", theme.DownloadIcon(), func() { v.download(e) })
		if e.ID == rec.ID {
			get.Importance = widget.HighImportance
		}
		v.catalog.Add(container.NewBorder(nil, nil, nil, container.NewCenter(get), label))
	}
}

// download fetches a catalog model with progress, then uses it. Nothing
// is downloaded unless the person presses Download.
func (v *setupView) download(e engine.CatalogModel) {
	if v.downloading != nil {
		return
	}
	ctx, cancel := context.WithCancel(v.g.ctx)
	v.downloading = cancel
	v.progressText.SetText("Downloading " + e.Name + "…")
	v.progress.SetValue(0)
	v.progressBox.Show()
	v.g.goWork(func(context.Context) {
		path, verified, err := v.g.eng.DownloadModel(ctx, string(e.ID), func(p engine.DownloadProgress) {
			v.g.do(func() {
				total := p.Total
				if total == 0 {
					total = e.Size
				}
				v.progress.SetValue(float64(p.Done) / float64(total))
				v.progressText.SetText(fmt.Sprintf("Downloading %s: %s of %s · %.1f MB/s · about %s left",
					e.Name, engine.SizeText(p.Done), engine.SizeText(total), p.BytesPerSec/(1<<20), p.ETA.Round(time.Second)))
			})
		})
		cancel()
		v.g.do(func() {
			v.downloading = nil
			if err != nil {
				if errors.Is(err, context.Canceled) {
					v.progressText.SetText("Download stopped. Press Download again to resume where it stopped.")
					return
				}
				v.progressBox.Hide()
				v.g.showError(fmt.Errorf("the download failed: %w", err))
				return
			}
			v.progressText.SetText(fmt.Sprintf("Downloaded and checked (%s).", verified))
			v.g.useModel(path)
		})
	})
}

func (v *setupView) onChoose() {
	v.g.chooseFile([]string{".gguf"}, func(u fyne.URI) { v.g.useModel(u.Path()) })
}

// add adds files given at start (the desktop's "Open with Carrel") to the
// library while the person chooses a model: they are indexed meanwhile,
// and the first-run screen stays, so the choice of a model is not skipped.
func (v *setupView) add(paths []string) {
	// This place's own choice only: the first run of a data folder
	// must not create a library named by another's.
	lib := v.g.app.Preferences().StringWithFallback(v.g.lastLibraryKey(), engine.DefaultLibrary)
	v.g.goWork(func(ctx context.Context) {
		n, err := v.g.eng.Add(ctx, lib, true, paths...)
		v.g.do(func() {
			if err != nil {
				v.g.showError(err)
				return
			}
			v.added.SetText(fmt.Sprintf("%s added to %s: they are being read while you choose a model.", plural(n, "file"), lib))
			v.added.Show()
		})
	})
}
