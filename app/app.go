package main

import (
	"context"

	"github.com/carrel-ai/carrel/ui"
)

// openApp opens the desktop window and returns when it is closed.
func openApp(ctx context.Context) error {
	return ui.Run(ctx, ui.Options{Version: version})
}
