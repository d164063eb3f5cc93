package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine/status"
)

// The indexing queue lives in the registry: documents queued or stale
// wait; a document being indexed is claimed by one owner (a process of an
// ingester) for a lease that the owner renews while it works. Claims are
// taken in a transaction that holds the write lock, so two processes on
// one library never take the same document; a claim whose owner died is
// taken over when its lease runs out (or at once, when the owner is known
// to be gone).

// Claim takes the next document waiting to be indexed (queued, stale, or
// claimed by an owner whose lease ran out), skipping the ids in skip, and
// marks it as being parsed by owner until now+lease. It returns the
// document as it was before the claim (its status says whether it was
// stale), and false when none is waiting.
func (x *Index) Claim(ctx context.Context, owner string, lease time.Duration, skip map[int64]bool) (Document, bool, error) {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return Document{}, false, err
	}
	defer tx.Rollback()
	now := time.Now()
	q := `SELECT ` + docColumns + ` FROM documents
		WHERE (status IN ('queued', 'stale') OR (status IN ('parsing', 'embedding') AND lease < ?))`
	args := []any{now.UnixNano()}
	if len(skip) > 0 {
		ids := make([]string, 0, len(skip))
		for id := range skip {
			ids = append(ids, fmt.Sprint(id))
		}
		q += ` AND id NOT IN (` + strings.Join(ids, ",") + `)`
	}
	// On a server, processes claim side by side: a row another one is
	// claiming is skipped, not waited for, and never taken twice.
	q += ` ORDER BY library_id, path LIMIT 1` + x.store.skipLocked()
	d, err := scanDoc(tx.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET status = 'parsing', owner = ?, lease = ? WHERE id = ?`,
		owner, now.Add(lease).UnixNano(), d.ID); err != nil {
		return d, false, err
	}
	if err := x.store.notify(ctx, tx, changeRegistry, d.ID); err != nil {
		return d, false, err
	}
	return d, true, tx.Commit()
}

// Renew extends owner's claim on a document; false means the claim is no
// longer owner's (the file changed and was queued again, or the lease ran
// out and another owner took it).
func (x *Index) Renew(ctx context.Context, id int64, owner string, lease time.Duration) (bool, error) {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	res, err := x.exec(ctx, `UPDATE documents SET lease = ? WHERE id = ? AND owner = ?`, time.Now().Add(lease).UnixNano(), id, owner)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Advance moves a document owner holds to status: embedding after
// parsing, or ready (ending the claim) when its content turned out
// unchanged. It does nothing when the claim is no longer owner's.
func (x *Index) Advance(ctx context.Context, id int64, owner string, to status.Status) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	q := `UPDATE documents SET status = ? WHERE id = ? AND owner = ?`
	if to == status.Ready {
		q = `UPDATE documents SET status = ?, owner = '', lease = 0 WHERE id = ? AND owner = ?`
	}
	if _, err := x.exec(ctx, q, string(to), id, owner); err != nil {
		return err
	}
	return x.store.notify(ctx, nil, changeRegistry, id)
}

// Release gives a claimed document back to the queue (the work was
// stopped, or could not be stored): another owner, or this one later,
// takes it up.
func (x *Index) Release(ctx context.Context, id int64, owner string) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	if _, err := x.exec(ctx, `UPDATE documents SET status = 'queued', owner = '', lease = 0
		WHERE id = ? AND owner = ? AND status IN ('parsing', 'embedding')`, id, owner); err != nil {
		return err
	}
	return x.store.notify(ctx, nil, changeRegistry, id)
}

// ReleaseOwners gives back the claims of the owners gone reports as gone
// (processes of this machine that no longer run), and the claims with no
// owner at all (left by an older Carrel), and returns how many.
func (x *Index) ReleaseOwners(ctx context.Context, gone func(owner string) bool) (int, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT DISTINCT owner FROM documents WHERE status IN ('parsing', 'embedding')`)
	if err != nil {
		return 0, err
	}
	var owners []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return 0, err
		}
		if o == "" || gone(o) {
			owners = append(owners, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	for _, o := range owners {
		res, err := x.exec(ctx, `UPDATE documents SET status = 'queued', owner = '', lease = 0
			WHERE owner = ? AND status IN ('parsing', 'embedding')`, o)
		if err != nil {
			return n, err
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// Claimed counts the documents other owners are indexing now (their
// leases still run), and says when the first lease runs out.
func (x *Index) Claimed(ctx context.Context, except string) (int, time.Time, error) {
	var n int
	var first sql.NullInt64
	err := x.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(lease) FROM documents
		WHERE status IN ('parsing', 'embedding') AND owner != ? AND lease >= ?`, except, time.Now().UnixNano()).Scan(&n, &first)
	if err != nil || !first.Valid {
		return n, time.Time{}, err
	}
	return n, time.Unix(0, first.Int64), nil
}

// RequeueFailed queues again the failed documents whose failure retry
// says may pass on another attempt (a busy disk, a slow machine), and
// returns how many.
func (x *Index) RequeueFailed(ctx context.Context, retry func(Document) bool) (int, error) {
	ds, err := x.Documents(ctx, DocFilter{Statuses: []status.Status{status.Failed}})
	if err != nil {
		return 0, err
	}
	n := 0
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	for _, d := range ds {
		if !retry(d) {
			continue
		}
		if _, err := x.exec(ctx, `UPDATE documents SET status = 'queued', owner = '', lease = 0 WHERE id = ? AND status = 'failed'`, d.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
