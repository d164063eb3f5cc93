// Package ui is Carrel's desktop window, built with Fyne. It holds no
// business logic: it calls the engine facade off the UI goroutine, listens
// to its events, and updates widgets on the UI goroutine (fyne.Do).
package ui

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/carrel-ai/carrel/assets"
	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/engine/event"
)

// AppID identifies Carrel to the OS (preferences, notifications).
const AppID = "ai.carrel.app"

// Preference keys.
const (
	prefWidth   = "window.width"
	prefHeight  = "window.height"
	prefLibrary = "library.last"
)

// Options configures the window.
type Options struct {
	Version string
	// DataDir is the data folder; "" means the default.
	DataDir string
	// LibraryServer, when set, is the PostgreSQL server whose libraries
	// this window uses instead of the settings' (engine.Options).
	LibraryServer string
	// Open are files and folders to add to the library at start (the
	// desktop's "Open with Carrel").
	Open []string
	// Tour, when set, drives the window through its main states, saves
	// screenshots, and closes it.
	Tour *Tour
	// Serve runs the API server for other programs on addr until ctx
	// ends, calling ready with its URL and token once it listens; set by
	// the app (the window's setting "Let other apps on this computer use
	// Carrel" starts and stops it). RotateToken makes a new token.
	Serve       func(ctx context.Context, e Engine, addr string, ready func(url, token string)) error
	RotateToken func(dataDir string) (string, error)
	// CanRestart says that the caller starts the window again when Run
	// returns ErrRestart: the window then offers a restart where a new
	// start is what a change needs.
	CanRestart bool
}

// Engine is what the window needs of the engine facade. Calls that take a
// context do work and run off the UI goroutine (goWork); the snapshot
// accessors Settings, ChatModel, Paused and DataDir return at once (the
// engine holds no lock across long work) and are read on it.
type Engine interface {
	Ask(ctx context.Context, q string, o engine.AskOptions, emit func(engine.Delta) error) (*engine.Answer, error)
	// Typing returns at once: the engine reads ahead on its own goroutine.
	Typing(text string, o engine.AskOptions)
	Add(ctx context.Context, library string, watch bool, paths ...string) (int, error)
	Remove(ctx context.Context, library string, paths ...string) (int, error)
	Reindex(ctx context.Context, library, path string) error
	Unlock(ctx context.Context, library, path, password string) error
	Libraries(ctx context.Context) ([]engine.Library, error)
	Documents(ctx context.Context, library string) ([]engine.Document, error)
	SourceText(ctx context.Context, s engine.Source) (engine.SourceText, error)
	RenderPage(ctx context.Context, s engine.Source, width int) (*engine.PageImage, error)
	Pause()
	Resume()
	Paused() bool
	CancelIndexing(ctx context.Context) error
	ChatModel() engine.ModelStatus
	Settings() engine.Settings
	SetSettings(ctx context.Context, s engine.Settings) (bool, error)
	Subscribe() (<-chan event.Event, func())
	ExportConversation(id string) (string, error)
	Conversations() ([]engine.ConversationSummary, error)
	Conversation(id string) (*engine.Conversation, error)
	DeleteConversation(id string) error
	RenameConversation(id, title string) error
	SetIgnore(ctx context.Context, library string, patterns []string) error
	DataDir() string
	LibraryServer() string
	SearchMethod() engine.SearchMethod
	SearchMethodFor(s engine.Settings) engine.SearchMethod
	AtNextOpening() []string
	OCR(ctx context.Context) engine.OCRInfo
	FindModels(ctx context.Context) ([]engine.FoundModel, error)
	Catalog() ([]engine.CatalogModel, engine.CatalogModel)
	DownloadModel(ctx context.Context, id string, progress func(engine.DownloadProgress)) (string, engine.Verified, error)
	Teach(ctx context.Context, library string, o engine.TeachOptions, progress func(engine.TeachProgress)) (*engine.TeachResult, error)
	EstimateTeach(o engine.TeachOptions) (engine.TeachEstimate, error)
	ShrinkModel(ctx context.Context, in, quant, library string, note func(string)) (string, *engine.ShrinkReport, error)
}

// Run opens the data folder and the main window, and blocks until the
// window is closed or ctx ends.
func Run(ctx context.Context, opts Options) error {
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	w := a.NewWindow("Carrel")
	prefs := a.Preferences()
	w.Resize(fyne.NewSize(float32(prefs.FloatWithFallback(prefWidth, 1024)), float32(prefs.FloatWithFallback(prefHeight, 700))))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir := opts.DataDir
	if dir == "" {
		dir, _ = engine.DefaultDataDir()
	}
	// A window is open on this data folder already: give it the files
	// and let it come to the front (one window per library).
	if opts.Tour == nil && dir != "" && handOff(dir, opts.Open) {
		return nil
	}
	eopts := engine.Options{DataDir: opts.DataDir, LibraryServer: opts.LibraryServer}
	var (
		g       *gui
		e       *engine.Engine
		stop    func()
		tourErr error
		openErr error
	)
	// begin shows the window on an opened engine.
	begin := func(opened *engine.Engine) {
		e = opened
		g = newGUI(ctx, a, w, e, opts)
		if opts.Tour == nil {
			if s, err := g.listenForHandoffs(e.DataDir()); err == nil {
				stop = s
			}
		}
		g.start()
		g.syncServer()
		if len(opts.Open) > 0 {
			g.openFiles(opts.Open)
		}
		if opts.Tour != nil {
			g.runTour(*opts.Tour, func(err error) { tourErr = err })
		}
		g.quit = func() {
			s := w.Canvas().Size()
			prefs.SetFloat(prefWidth, float64(s.Width))
			prefs.SetFloat(prefHeight, float64(s.Height))
			w.Close()
		}
		w.SetCloseIntercept(g.quit)
	}
	opened, err := engine.Open(ctx, eopts)
	switch {
	case err == nil:
		begin(opened)
	case teamLibraryFailed(dir, opts):
		// The data folder is fine, the team's server is not: the person
		// can still reach their settings (and correct the address) on
		// this computer's libraries, rather than be locked out.
		openErr = err
		w.SetOnClosed(a.Quit)
		offerLocal(w, err, func() {
			w.SetOnClosed(nil)
			eopts.NoLibraryServer = true
			go func() {
				opened, err := engine.Open(ctx, eopts)
				fyne.Do(func() {
					if err != nil {
						openErr = err
						w.SetOnClosed(a.Quit)
						dialog.ShowError(err, w)
						return
					}
					openErr = nil
					begin(opened)
					g.showAway("This computer's libraries",
						"Carrel shows the libraries of this computer. The team library is tried again when Carrel starts again; its address is in Settings → Team library.")
				})
			}()
		})
	default:
		// Nothing works without the data folder: say why, then quit.
		dialog.ShowError(err, w)
		w.SetOnClosed(a.Quit)
		w.ShowAndRun()
		return err
	}
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	if g != nil {
		g.close()
	}
	if stop != nil {
		stop()
	}
	if e != nil {
		e.Close()
	}
	switch {
	case openErr != nil:
		return openErr
	case tourErr == nil && g != nil && g.restart.Load():
		return ErrRestart
	}
	return tourErr
}

// teamLibraryFailed reports whether the window's engine could not open
// because of the team library the settings name (not one given for the
// session, which the person chose just now).
func teamLibraryFailed(dir string, opts Options) bool {
	if opts.LibraryServer != "" || opts.Tour != nil || dir == "" {
		return false
	}
	s, err := engine.ReadSettings(dir)
	return err == nil && s.LibraryServer != ""
}

// offerLocal says that the team library could not be opened, and offers
// this computer's libraries meanwhile (local), or to quit.
func offerLocal(w fyne.Window, err error, local func()) {
	msg := engine.Describe(err) + "\n\nYou can open this computer's libraries meanwhile, and correct the team library's address in Settings."
	textConfirm(w, "The team library is out of reach", "Open this computer's libraries", "Quit", msg, fyne.NewSize(520, 260), func(ok bool) {
		if ok {
			local()
			return
		}
		w.Close()
	}).Show()
}

// gui is the window's state.
type gui struct {
	ctx    context.Context
	cancel context.CancelFunc
	app    fyne.App
	win    fyne.Window
	eng    Engine
	// dialogs are the dialogs open, the last on top (see show); only
	// the UI goroutine touches them.
	dialogs []dialog.Dialog
	opts    Options

	main  *mainView  // nil until the main view is shown
	setup *setupView // the first-run screen, once shown
	// server is the API server the settings ask for, while it runs.
	server serverState
	work   sync.WaitGroup
	busy   atomic.Int32 // background calls in progress (tests wait for 0)
	// do runs a function on the UI goroutine: fyne.Do in the app; tests
	// queue the functions and run them on the test's goroutine.
	do func(func())
	// quit closes the window as the person's closing does (keeping its
	// size); restart says that Run should return ErrRestart.
	quit    func()
	restart atomic.Bool
}

func newGUI(ctx context.Context, a fyne.App, w fyne.Window, e Engine, opts Options) *gui {
	ctx, cancel := context.WithCancel(ctx)
	g := &gui{ctx: ctx, cancel: cancel, app: a, win: w, eng: e, opts: opts, do: fyne.Do}
	w.Canvas().SetOnTypedKey(g.onKey)
	return g
}

// start shows the main view when a chat model is set, else the first-run
// screen.
func (g *gui) start() {
	if s := g.eng.Settings(); s.ChatModel == "" && s.ChatServer == "" {
		g.showSetup()
		return
	}
	g.showMain()
}

func (g *gui) showSetup() {
	v := newSetupView(g)
	g.setup = v
	g.win.SetContent(v.content)
	v.discover()
}

func (g *gui) showMain() {
	if g.main == nil {
		g.main = newMainView(g)
	}
	g.win.SetContent(g.main.content)
	g.main.refresh()
}

// openFiles adds files to the current library, in the main view (the
// files are added even before a model is chosen).
func (g *gui) openFiles(paths []string) {
	if g.main == nil && g.setup != nil {
		// The first-run screen stays until a model is chosen (or the
		// person goes on without one); the files are added meanwhile.
		g.setup.add(paths)
		return
	}
	if g.main == nil {
		g.showMain()
	}
	var uris []fyne.URI
	for _, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			uris = append(uris, storage.NewFileURI(abs))
		}
	}
	g.main.library.addURIs(uris)
}

// useModel makes path the chat model and opens the main view; the model
// loads in the background (the status bar shows it).
func (g *gui) useModel(path string) {
	g.goWork(func(ctx context.Context) {
		s := g.eng.Settings()
		s.ChatModel = path
		_, err := g.eng.SetSettings(ctx, s)
		g.do(func() {
			if err != nil {
				g.showError(err)
				return
			}
			g.showMain()
		})
	})
}

// goWork runs f off the UI goroutine; the window's close cancels it.
func (g *gui) goWork(f func(ctx context.Context)) {
	g.work.Add(1)
	g.busy.Add(1)
	go func() {
		defer g.work.Done()
		defer g.busy.Add(-1)
		f(g.ctx)
	}()
}

func (g *gui) close() {
	g.cancel()
	if g.main != nil {
		g.main.close()
	}
	g.work.Wait()
}

// chooseFile asks for one file, of one of exts if any are given, and
// hands it to use; cancelling does nothing.
func (g *gui) chooseFile(exts []string, use func(fyne.URI)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			g.showError(err)
			return
		}
		if r == nil {
			return // cancelled
		}
		r.Close()
		use(r.URI())
	}, g.win)
	if len(exts) > 0 {
		d.SetFilter(storage.NewExtensionFileFilter(exts))
	}
	showFileDialog(d)
}

// showFileDialog shows a file or folder dialog large enough for its list,
// within the smallest window.
func showFileDialog(d dialog.Dialog) {
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// showError is the one place errors reach the user, in plain words.
func (g *gui) showError(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	msg := engine.Describe(err)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	g.show(dialog.NewError(errors.New(msg), g.win))
}
