package index

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// conn is the store's database. Statements are written once, in the SQL
// both stores understand, with ? placeholders; a dialect that wants them
// otherwise (PostgreSQL's numbered ones, see numberPlaceholders) gives
// its rewrite, whose results are cached, since the same few statements
// run again and again.
type conn struct {
	*sql.DB
	rewrite func(string) string // nil: statements run as written
	cache   sync.Map            // statement → rewritten statement
}

func (c *conn) rebind(q string) string {
	if c.rewrite == nil {
		return q
	}
	if r, ok := c.cache.Load(q); ok {
		return r.(string)
	}
	r := c.rewrite(q)
	c.cache.Store(q, r)
	return r
}

// numberPlaceholders turns each ? outside quotes into $1, $2, …, and the
// CROSS JOIN … ON that SQLite uses to fix the join order into a plain
// JOIN, which PostgreSQL's planner orders by itself.
func numberPlaceholders(q string) string {
	q = strings.ReplaceAll(q, "CROSS JOIN", "JOIN")
	var b strings.Builder
	n := 0
	quote := byte(0)
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func (c *conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.DB.QueryContext(ctx, c.rebind(q), args...)
}

func (c *conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return c.DB.QueryRowContext(ctx, c.rebind(q), args...)
}

func (c *conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.DB.ExecContext(ctx, c.rebind(q), args...)
}

func (c *conn) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	tx, err := c.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{Tx: tx, c: c}, nil
}

// txn is a transaction of a conn, with its statements rewritten alike.
type txn struct {
	*sql.Tx
	c *conn
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.c.rebind(q), args...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.c.rebind(q), args...)
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.c.rebind(q), args...)
}

func (t *txn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.Tx.PrepareContext(ctx, t.c.rebind(q))
}
