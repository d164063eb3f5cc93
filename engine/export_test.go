package engine

import "context"

// HoldEmbedderLoads makes the engine's embedding-model loads wait until
// release is called, so a test can act while a settings change is in its
// slow phase. loading is closed when a load starts waiting.
func HoldEmbedderLoads(e *Engine) (loading <-chan struct{}, release func()) {
	started, gate := make(chan struct{}), make(chan struct{})
	load := e.loadEmbedder
	e.loadEmbedder = func(ctx context.Context, path string, cpuOnly bool) (*Embedder, error) {
		close(started)
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return load(ctx, path, cpuOnly)
	}
	return started, func() { close(gate) }
}

// WaitReadAhead waits until the engine has read ahead all it can of what
// Typing was last told.
func WaitReadAhead(ctx context.Context, e *Engine) error { return e.waitAhead(ctx) }
