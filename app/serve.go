package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/carrel-ai/carrel/api"
	"github.com/carrel-ai/carrel/engine"
)

func serveCmd() *command {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := dataFlag(fs)
	addr := fs.String("addr", api.DefaultAddr, "`address` to listen on (this computer only, unless --allow-remote)")
	library := fs.String("library", "", "library `name` of the model \"carrel\" (default: the settings' library)")
	allowRemote := fs.Bool("allow-remote", false, "allow an address other programs on the network can reach (the token is still required)")
	cors := fs.String("cors-origin", "", "let this web `origin` call the API from a browser")
	rotate := fs.Bool("rotate-token", false, "make a new token first (clients using the old one are refused)")
	return &command{
		Name: "serve", Usage: "[--addr 127.0.0.1:8765] [--library NAME]",
		Short:   "let other programs on this computer use Carrel: an OpenAI-compatible API (/v1) and an MCP server (/mcp), with a token",
		Flags:   fs,
		Indexes: true,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("serve takes no arguments")
			}
			dir, err := dataDir(*data)
			if err != nil {
				return err
			}
			if *rotate {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return err
				}
				if _, err := api.RotateToken(dir); err != nil {
					return err
				}
			}
			e, err := openEngine(ctx, dir, engine.Options{})
			if err != nil {
				return err
			}
			defer e.Close()
			srv, err := api.New(e, api.Options{Addr: *addr, AllowRemote: *allowRemote, Library: *library, CORSOrigin: *cors, Version: version})
			if err != nil {
				return err
			}
			return srv.Serve(ctx, func(at string) {
				fmt.Fprintf(os.Stderr, "Carrel listens on http://%s\n  OpenAI-compatible API: http://%s/v1   MCP: http://%s/mcp\n  token (Authorization: Bearer …): %s\n  requests are logged (never their content) in %s\n  Ctrl+C stops it.\n",
					at, at, at, srv.Token(), dir+string(os.PathSeparator)+"api.log")
			})
		},
	}
}

func mcpCmd() *command {
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	data := dataFlag(fs)
	library := fs.String("library", "", "default library `name` of the tools (default: the settings' library)")
	return &command{
		Name: "mcp", Usage: "[--library NAME]",
		Short:   "serve Carrel's tools to an assistant over standard input and output (the Model Context Protocol's stdio transport)",
		Flags:   fs,
		Indexes: true,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("mcp takes no arguments")
			}
			e, err := openEngine(ctx, *data, engine.Options{})
			if err != nil {
				return err
			}
			defer e.Close()
			return api.ServeStdio(ctx, e, *library, version)
		},
	}
}
