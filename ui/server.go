package ui

import (
	"context"
	"errors"
	"sync"
)

// serverState is the API server the window runs for other programs, when
// the settings ask for it. Its fields change on the UI goroutine and in
// the server's goroutine: mu guards them.
type serverState struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	addr   string
	url    string
	token  string
	err    error
}

// status returns the server's URL and token while it runs, or why it is
// not running.
func (s *serverState) status() (url, token string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url, s.token, s.err
}

// syncServer starts or stops the API server to match the settings.
func (g *gui) syncServer() {
	if g.opts.Serve == nil {
		return
	}
	set := g.eng.Settings()
	st := &g.server
	st.mu.Lock()
	running := st.cancel != nil
	if running && (!set.Serve || set.ServeAddr != st.addr) {
		st.cancel()
		st.cancel, st.url, st.token = nil, "", ""
		running = false
	}
	if !set.Serve || running {
		st.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(g.ctx)
	st.cancel, st.addr, st.err = cancel, set.ServeAddr, nil
	st.mu.Unlock()
	g.work.Add(1)
	go func() {
		defer g.work.Done()
		err := g.opts.Serve(ctx, g.eng, set.ServeAddr, func(url, token string) {
			st.mu.Lock()
			st.url, st.token = url, token
			st.mu.Unlock()
		})
		st.mu.Lock()
		if ctx.Err() == nil && err != nil {
			st.err = err
			st.cancel, st.url, st.token = nil, "", ""
		}
		st.mu.Unlock()
		if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			g.do(func() { g.showError(err) })
		}
	}()
}

// rotateToken makes a new API token and restarts the server with it.
func (g *gui) rotateToken() {
	if g.opts.RotateToken == nil {
		return
	}
	g.goWork(func(ctx context.Context) {
		_, err := g.opts.RotateToken(g.eng.DataDir())
		g.do(func() {
			if err != nil {
				g.showError(err)
				return
			}
			st := &g.server
			st.mu.Lock()
			if st.cancel != nil {
				st.cancel()
				st.cancel = nil
			}
			st.mu.Unlock()
			g.syncServer()
		})
	})
}
