package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/carrel-ai/carrel/engine/federated"
	"github.com/carrel-ai/carrel/engine/index"
)

// A shelf is one place libraries live. The first (number 0) holds every
// library not named elsewhere: the data folder, or the LibraryServer. The
// others are PostgreSQL servers that Settings.LibraryServers names for
// some libraries: a person's own libraries stay on the laptop while the
// team's lives on the server.
type shelf struct {
	n      int
	idx    *index.Index // nil when the server, or its own embedding model, could not be used at open
	server string       // the server without its password; "" for the data folder
	names  []string     // the libraries routed here; nil for shelf 0
	// down says why, when idx is nil.
	down string
	// own is set when the shelf's libraries have an embedding model of
	// their own (Settings.LibraryEmbedModels): emb (nil for words only)
	// and method, fixed at open. Otherwise the engine's model serves.
	own    bool
	emb    *Embedder
	method SearchMethod
}

// ErrLibraryAway means a library lives on a server that could not be
// reached: when Carrel opened (it tries again at the next opening), or
// since (the connection is tried again at the next call).
var ErrLibraryAway = errors.New("engine: the library's server could not be reached")

// routes groups Settings.LibraryServers by server: each server's redacted
// string, its connection string and its libraries, in a stable order.
type route struct {
	server, conn string
	names        []string
	embed        *EmbedChoice // the libraries' own embedding model, if any
}

func routesOf(set Settings, home string) []route {
	by := map[string]*route{}
	for name, conn := range set.LibraryServers {
		name = strings.TrimSpace(name)
		red := index.Redact(conn)
		if home != "" && red == index.Redact(home) {
			continue // the home server holds it already
		}
		r := by[red]
		if r == nil {
			r = &route{server: red, conn: conn}
			by[red] = r
		}
		r.names = append(r.names, name)
		if c, ok := set.LibraryEmbedModels[name]; ok {
			r.embed = &c // Validate made the server's libraries agree
		}
	}
	out := make([]route, 0, len(by))
	for _, r := range by {
		sort.Strings(r.names)
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].server < out[j].server })
	return out
}

// openShelves opens the servers Settings.LibraryServers names, beside the
// home store, each with its libraries' own embedding model if they have
// one. A server that cannot be reached, or whose own model cannot be
// loaded, leaves its libraries away (ErrLibraryAway, with the reason)
// rather than the person's own libraries closed.
func (e *Engine) openShelves(ctx context.Context, home *index.Index, homeServer string, set Settings, model string) ([]*shelf, error) {
	shelves := []*shelf{{n: 0, idx: home, server: index.Redact(homeServer)}}
	if homeServer == "" {
		shelves[0].server = ""
	}
	routes := routesOf(set, homeServer)
	if len(routes) == 0 {
		return shelves, nil
	}
	nums, err := federated.ReadNumbers(e.dir)
	if err != nil {
		return nil, err
	}
	byNum := map[int]*shelf{}
	for _, r := range routes {
		n, err := nums.Number(r.server)
		if err != nil {
			closeShelves(byNum)
			return nil, err
		}
		s := &shelf{n: n, server: r.server, names: r.names}
		byNum[n] = s
		m := model
		if r.embed != nil {
			s.own = true
			own := r.embed.In(set)
			s.method = e.opts.SearchMethodFor(own)
			if s.method.Meaning {
				if s.emb, err = e.searchEmbedder(ctx, s.method, own); err != nil {
					s.down = "its embedding model could not be loaded: " + Describe(err)
					continue
				}
			}
			m = ""
			if s.emb != nil {
				m = s.emb.Model()
			}
		}
		if s.idx, err = index.OpenServer(ctx, r.conn, m); err != nil {
			// The connection string is redacted in the index's errors.
			s.idx, s.down = nil, awayReason(err)
		}
	}
	if err := nums.Save(e.dir); err != nil {
		closeShelves(byNum)
		return nil, err
	}
	max := 0
	for n := range byNum {
		if n > max {
			max = n
		}
	}
	// Numbers of servers no longer named stay free slots (nil), so the
	// others keep theirs.
	out := make([]*shelf, max+1)
	out[0] = shelves[0]
	for n, s := range byNum {
		out[n] = s
	}
	return out, nil
}

func closeShelves(m map[int]*shelf) {
	for _, s := range m {
		s.close()
	}
}

// close closes the shelf's store and its own embedding model.
func (s *shelf) close() error {
	var err error
	if s.idx != nil {
		err = s.idx.Close()
	}
	if s.emb != nil {
		s.emb.Close()
		s.emb = nil
	}
	return err
}

// joined makes the federation the searches run over: the shelves that opened.
func joined(shelves []*shelf) (*federated.Index, error) {
	stores := make([]*index.Index, len(shelves))
	for i, s := range shelves {
		if s != nil {
			stores[i] = s.idx
		}
	}
	return federated.New(stores...)
}

// shelfFor returns the shelf a library lives on, by its name.
func (e *Engine) shelfFor(name string) (*shelf, error) {
	for _, s := range e.shelves[1:] {
		if s == nil {
			continue
		}
		for _, n := range s.names {
			if n == name {
				if s.idx == nil {
					return nil, fmt.Errorf("%w: library %q lives on %s: %s", ErrLibraryAway, name, s.server, s.down)
				}
				return s, nil
			}
		}
	}
	return e.shelves[0], nil
}

// listed reports whether a library of a shelf is one of this person's:
// on a server, one LibraryServers routes there (not the server's other
// libraries); in shelf 0, one not hidden by a library of the same name
// that LibraryServers places on a server.
func (e *Engine) listed(sh *shelf, name string) bool {
	if sh.n != 0 {
		return slices.Contains(sh.names, name)
	}
	return !e.routed(name)
}

// awayLibraries lists a shelf's libraries as out of reach, for reason.
func (sh *shelf) awayLibraries(reason string) []Library {
	out := make([]Library, len(sh.names))
	for i, name := range sh.names {
		out[i] = Library{Name: name, Server: sh.server, Away: reason}
	}
	return out
}

// routed reports whether a library of shelf 0 is hidden by a library of
// the same name that LibraryServers places on a server.
func (e *Engine) routed(name string) bool {
	for _, s := range e.shelves[1:] {
		if s != nil {
			for _, n := range s.names {
				if n == name {
					return true
				}
			}
		}
	}
	return false
}

// locate returns the shelf of a global ID and the ID in its store.
func (e *Engine) locate(id int64) (*shelf, int64, error) {
	n, local := federated.Split(id)
	if n >= len(e.shelves) || e.shelves[n] == nil {
		return nil, 0, fmt.Errorf("engine: %w", index.ErrNotFound)
	}
	s := e.shelves[n]
	if s.idx == nil {
		return nil, 0, fmt.Errorf("%w: %s: %s", ErrLibraryAway, s.server, s.down)
	}
	return s, local, nil
}

// open lists the shelves whose stores are open.
func (e *Engine) open() []*shelf {
	out := make([]*shelf, 0, len(e.shelves))
	for _, s := range e.shelves {
		if s != nil && s.idx != nil {
			out = append(out, s)
		}
	}
	return out
}

// storeFailure names the server whose store failed a search, so that the
// person knows which libraries are away and that the others still work.
func (e *Engine) storeFailure(err error) error {
	var se *federated.StoreError
	if !errors.As(err, &se) || se.Store <= 0 || se.Store >= len(e.shelves) || e.shelves[se.Store] == nil {
		return err
	}
	return e.shelves[se.Store].failed(se.Err)
}

// failed says that a server's store failed a search or a listing, naming
// its libraries, so that the person knows which are away and that the
// others still work. The data folder's failures pass unchanged.
func (sh *shelf) failed(err error) error {
	if sh.n == 0 || err == nil {
		return err
	}
	names := make([]string, len(sh.names))
	for i, n := range sh.names {
		names[i] = fmt.Sprintf("%q", n)
	}
	return fmt.Errorf("%w: %s, which holds %s, failed (ask another library meanwhile): %w",
		ErrLibraryAway, sh.server, strings.Join(names, ", "), err)
}

// awayReason says why a library's server could not be used, and where the
// person sets it.
func awayReason(err error) string {
	return "check its connection string in Settings → Libraries on servers (library_servers in config.toml), and that the server is running and reachable from this computer (" + err.Error() + ")"
}

// common lists the open shelves searched with the engine's embedding
// model (those without one of their own).
func (e *Engine) common() []*shelf {
	var out []*shelf
	for _, s := range e.open() {
		if !s.own {
			out = append(out, s)
		}
	}
	return out
}

// search is how the shelf's libraries are searched when they have an
// embedding model of their own; nil otherwise.
func (s *shelf) search() *SearchMethod {
	if !s.own {
		return nil
	}
	m := s.method
	return &m
}
