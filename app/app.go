package main

import (
	"context"

	"github.com/carrel-ai/carrel/ui"
)

// openApp opens the desktop window, adding files to the library if
// given, and returns when it is closed.
func openApp(ctx context.Context, files ...string) error {
	return ui.Run(ctx, ui.Options{Version: version, Open: files})
}
