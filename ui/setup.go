package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// setupView is the first-run screen: it explains Carrel in two sentences
// and leads to a model.
type setupView struct {
	g       *gui
	content fyne.CanvasObject
	choose  *widget.Button
	cpu     *widget.Check
}

func newSetupView(g *gui) *setupView {
	v := &setupView{g: g}
	title := widget.NewLabelWithStyle("Welcome to Carrel", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	intro := widget.NewLabel("Carrel answers questions on this computer, with a language model that runs here. " +
		"Nothing you type or add leaves the machine.\n\nTo begin, choose a model file in the GGUF format " +
		"(for example one you downloaded for llama.cpp, Ollama or LM Studio).")
	intro.Wrapping = fyne.TextWrapWord
	intro.Alignment = fyne.TextAlignCenter
	v.choose = widget.NewButtonWithIcon("Choose a GGUF model file…", theme.FolderOpenIcon(), v.onChoose)
	v.choose.Importance = widget.HighImportance
	v.cpu = widget.NewCheck("Run on the CPU only", func(on bool) { g.app.Preferences().SetBool(prefCPU, on) })
	v.cpu.SetChecked(g.app.Preferences().Bool(prefCPU))
	box := container.NewVBox(title, intro, container.NewCenter(v.choose), container.NewCenter(v.cpu))
	v.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(560, 320), box))
	return v
}

func (v *setupView) onChoose() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			v.g.showError(err)
			return
		}
		if r == nil {
			return // cancelled
		}
		path := r.URI().Path()
		r.Close()
		v.g.loadModel(path)
	}, v.g.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".gguf"}))
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// loadingView shows a model loading.
type loadingView struct {
	content fyne.CanvasObject
	bar     *widget.ProgressBar
}

func newLoadingView(path string) *loadingView {
	v := &loadingView{bar: widget.NewProgressBar()}
	label := widget.NewLabelWithStyle("Opening "+path+" …", fyne.TextAlignCenter, fyne.TextStyle{})
	label.Wrapping = fyne.TextWrapWord
	v.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 90), container.NewVBox(label, v.bar)))
	return v
}
