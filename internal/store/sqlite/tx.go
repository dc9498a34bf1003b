package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// Update runs fn in one IMMEDIATE write transaction. It commits when fn
// returns nil and rolls back when fn fails or panics (the panic goes on).
// fn must do everything through tx and must not call the store's own
// methods: the one writer connection is fn's until it returns (and with
// ":memory:" it is the only connection), so such a call would wait forever.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		t := &txn{ctx: ctx, tx: tx}
		defer t.closeStmts()
		return fn(t)
	})
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

// txn is the store.Tx handed to Update's fn. It carries Update's context,
// since Tx methods take none.
type txn struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

// exec runs one of the statements a routing pass repeats for every match
// (AddMatch, Deliver, AddPending), prepared once per transaction: preparing
// it again for each call was a third of a pass's time.
func (t *txn) exec(query string, args ...any) (sql.Result, error) {
	st, ok := t.stmts[query]
	if !ok {
		var err error
		if st, err = t.tx.PrepareContext(t.ctx, query); err != nil {
			return nil, err
		}
		if t.stmts == nil {
			t.stmts = map[string]*sql.Stmt{}
		}
		t.stmts[query] = st
	}
	return st.ExecContext(t.ctx, args...)
}

// closeStmts releases the statements exec prepared.
func (t *txn) closeStmts() {
	for _, st := range t.stmts {
		st.Close()
	}
}

var _ store.Tx = (*txn)(nil)

// MarkRouted marks items as routed.
func (t *txn) MarkRouted(ids ...int64) error {
	if _, err := execInChunks(t.ctx, t.tx, "UPDATE items SET routed = 1 WHERE id IN (%s)", ids); err != nil {
		return fmt.Errorf("mark routed: %w", err)
	}
	return nil
}

// AddMatch records that an item matched a topic; recording it again is a no-op.
func (t *txn) AddMatch(itemID int64, topic string, at time.Time) error {
	if _, err := t.exec(
		"INSERT INTO matches (item_id, topic, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		itemID, topic, toNanos(at)); err != nil {
		return fmt.Errorf("add match of item %d to %s: %w", itemID, topic, err)
	}
	return nil
}

// Deliver records a delivery once per channel, topic and story key.
func (t *txn) Deliver(channel, topic, storyKey string, itemID int64, at time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO deliveries (channel, topic, story_key, item_id, at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, channel, topic, storyKey, itemID, toNanos(at))
	if err != nil {
		return false, fmt.Errorf("deliver item %d to %s for %s: %w", itemID, channel, topic, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("deliver item %d to %s for %s: %w", itemID, channel, topic, err)
	}
	return n == 1, nil
}

// AddPending adds an item to a digest subscription; adding the same item
// and topic again is a no-op.
func (t *txn) AddPending(sub, topic string, itemID int64, at time.Time) error {
	if _, err := t.exec(
		"INSERT INTO pending (sub, topic, item_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		sub, topic, itemID, toNanos(at)); err != nil {
		return fmt.Errorf("add pending item %d to %s: %w", itemID, sub, err)
	}
	return nil
}

// Pending lists a subscription's pending items, oldest first (by the time
// they were added, then by row).
func (t *txn) Pending(sub string) ([]news.Pending, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT p.id, p.topic, "+itemColumns("i")+`
		FROM pending p JOIN items i ON i.id = p.item_id
		WHERE p.sub = ? ORDER BY p.at, p.id`, sub)
	if err != nil {
		return nil, fmt.Errorf("pending of %s: %w", sub, err)
	}
	defer rows.Close()
	var out []news.Pending
	for rows.Next() {
		var p news.Pending
		if p.Item, err = scanItem(rows, &p.ID, &p.Topic); err != nil {
			return nil, fmt.Errorf("pending of %s: %w", sub, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending of %s: %w", sub, err)
	}
	return out, nil
}

// ClearPending removes pending rows; unknown IDs are ignored (a digest may
// race a cleanup).
func (t *txn) ClearPending(ids ...int64) error {
	if _, err := execInChunks(t.ctx, t.tx, "DELETE FROM pending WHERE id IN (%s)", ids); err != nil {
		return fmt.Errorf("clear pending: %w", err)
	}
	return nil
}

// Enqueue adds messages to the outbox, in order.
func (t *txn) Enqueue(msgs ...news.OutboxMessage) error {
	return enqueue(t.ctx, t.tx, msgs)
}

// GetMeta reads a small named value within the transaction.
func (t *txn) GetMeta(key string) (string, bool, error) {
	return getMeta(t.ctx, t.tx, key)
}

// SetMeta writes a small named value within the transaction.
func (t *txn) SetMeta(key, value string) error {
	return setMeta(t.ctx, t.tx, key, value)
}

// GetMeta reads a small named value.
func (s *Store) GetMeta(ctx context.Context, key string) (string, bool, error) {
	return getMeta(ctx, s.read, key)
}

// SetMeta writes a small named value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return setMeta(ctx, s.write, key, value)
}

// getMeta reads a meta value; a missing key is ("", false, nil).
func getMeta(ctx context.Context, q querier, key string) (string, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get meta %s: %w", key, err)
	}
	return v, true, nil
}

// setMeta writes a meta value, replacing any previous one.
func setMeta(ctx context.Context, q querier, key, value string) error {
	if _, err := q.ExecContext(ctx,
		"INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		key, value); err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}

// CountMatches counts matches of a topic recorded at or after since; the
// zero since counts them all.
func (s *Store) CountMatches(ctx context.Context, topic string, since time.Time) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM matches WHERE topic = ? AND at >= ?",
		topic, sinceNanos(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count matches of %s: %w", topic, err)
	}
	return n, nil
}
