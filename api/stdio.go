package api

import (
	"context"
	"io"
	"os"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ServeStdio runs the MCP server over standard input and output until ctx
// ends or the client closes its input: for assistants that start "carrel
// mcp", and for scripts that write their requests and close the input.
func ServeStdio(ctx context.Context, eng Engine, library, version string) error {
	return ServeStream(ctx, eng, library, version, os.Stdin, keepOpen{os.Stdout})
}

// ServeStream serves MCP over a stream of requests and one of replies
// (newline-delimited JSON-RPC, as on standard input and output) until ctx
// ends or the requests end; every request read before their end is
// answered.
func ServeStream(ctx context.Context, eng Engine, library, version string, in io.ReadCloser, out io.WriteCloser) error {
	return NewMCP(eng, library, version).Run(ctx, &drainingTransport{in: in, out: out})
}

// drainingTransport is the MCP stream transport that answers every
// request read before the input ends. The SDK's own ends the session at
// the end of input, dropping the replies still being made: a script that
// wrote initialize and tools/list and then closed its input got only the
// first reply.
type drainingTransport struct {
	in  io.ReadCloser
	out io.WriteCloser
}

func (t *drainingTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	c, err := (&mcp.IOTransport{Reader: t.in, Writer: t.out}).Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &drainingConn{Connection: c, owed: map[jsonrpc.ID]bool{}, answered: make(chan struct{}, 1)}, nil
}

// drainingConn holds back the end of input until the requests read
// before it are answered.
type drainingConn struct {
	mcp.Connection
	mu       sync.Mutex
	owed     map[jsonrpc.ID]bool // requests read and not yet answered
	answered chan struct{}       // a reply was written
}

func (c *drainingConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	m, err := c.Connection.Read(ctx)
	if err == nil {
		if req, ok := m.(*jsonrpc.Request); ok && req.IsCall() {
			c.mu.Lock()
			c.owed[req.ID] = true
			c.mu.Unlock()
		}
		return m, nil
	}
	for c.owing() {
		select {
		case <-c.answered:
		case <-ctx.Done():
			return nil, err
		}
	}
	return nil, err
}

func (c *drainingConn) Write(ctx context.Context, m jsonrpc.Message) error {
	err := c.Connection.Write(ctx, m)
	if r, ok := m.(*jsonrpc.Response); ok {
		c.mu.Lock()
		delete(c.owed, r.ID)
		c.mu.Unlock()
		select {
		case c.answered <- struct{}{}:
		default:
		}
	}
	return err
}

func (c *drainingConn) owing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.owed) > 0
}

// keepOpen is a writer whose Close leaves it open (standard output
// outlives the session).
type keepOpen struct{ io.Writer }

func (keepOpen) Close() error { return nil }
