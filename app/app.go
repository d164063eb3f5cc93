package main

import (
	"context"
	"errors"
	"os"
	"runtime"

	"github.com/carrel-ai/carrel/api"
	"github.com/carrel-ai/carrel/ui"
)

// errNoDisplay is the window's plain answer when there is no screen to
// open it on (a server, an SSH session, a container).
var errNoDisplay = errors.New(`the window needs a display, and none is set (DISPLAY and WAYLAND_DISPLAY are empty)
  everything the window does is also in the terminal: "carrel help" lists the commands,
  for example "carrel add FOLDER" and "carrel ask QUESTION"`)

// openApp opens the desktop window, adding files to the library if
// given, and returns when it is closed.
func openApp(ctx context.Context, files ...string) error {
	if !hasDisplay(runtime.GOOS, os.Getenv) {
		return errNoDisplay
	}
	err := ui.Run(ctx, ui.Options{Version: version, Open: files, Serve: serveForWindow, RotateToken: api.RotateToken,
		LibraryServer: os.Getenv(libraryServerEnv), CanRestart: true})
	if errors.Is(err, ui.ErrRestart) {
		// The files given at this start were added already: the new start
		// opens the window alone.
		return restartSelf(os.Args[:1])
	}
	return err
}

// serveForWindow runs the API server the window's setting asks for.
func serveForWindow(ctx context.Context, e ui.Engine, addr string, ready func(url, token string)) error {
	eng, ok := e.(api.Engine)
	if !ok {
		return errors.New("this engine cannot be served")
	}
	if addr == "" {
		addr = api.DefaultAddr
	}
	srv, err := api.New(eng, api.Options{Addr: addr, Version: version})
	if err != nil {
		return err
	}
	return srv.Serve(ctx, func(at string) { ready("http://"+at, srv.Token()) })
}

// hasDisplay says whether a window can be opened: on X11 and Wayland
// systems a display must be named; macOS and Windows always have one.
func hasDisplay(goos string, getenv func(string) string) bool {
	switch goos {
	case "darwin", "windows", "android", "ios":
		return true
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}
