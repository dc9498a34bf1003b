package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// Update runs fn in one READ COMMITTED transaction. It commits when fn
// returns nil and rolls back when fn fails or panics (the panic goes on).
// fn must do everything through tx: a call to the store's own methods would
// run on another connection, outside the transaction.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return fn(&txn{ctx: ctx, tx: tx})
	})
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

// txn is the store.Tx handed to Update's fn. It carries Update's context,
// since Tx methods take none.
type txn struct {
	ctx context.Context
	tx  pgx.Tx
	// outboxLocked is set once the transaction holds the outbox lock.
	outboxLocked bool
}

var _ store.Tx = (*txn)(nil)

// MarkRouted marks items as routed; routing an item again is a no-op.
func (t *txn) MarkRouted(ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.tx.Exec(t.ctx, "UPDATE items SET routed = true WHERE id = ANY($1) AND NOT routed", ids); err != nil {
		return fmt.Errorf("mark routed: %w", err)
	}
	return nil
}

// AddMatch records that an item matched a topic; recording it again is a no-op.
func (t *txn) AddMatch(itemID int64, topic string, at time.Time) error {
	if _, err := t.tx.Exec(t.ctx,
		"INSERT INTO matches (item_id, topic, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
		itemID, topic, stamp(at)); err != nil {
		return fmt.Errorf("add match of item %d to %s: %w", itemID, topic, err)
	}
	return nil
}

// Deliver records a delivery once per channel, topic and story key. A
// concurrent transaction delivering the same story makes this one wait for
// its outcome: if it commits, this returns false.
func (t *txn) Deliver(channel, topic, storyKey string, itemID int64, at time.Time) (bool, error) {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO deliveries (channel, topic, story_key, item_id, at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, channel, topic, []byte(storyKey), itemID, stamp(at))
	if err != nil {
		return false, fmt.Errorf("deliver item %d to %s for %s: %w", itemID, channel, topic, err)
	}
	return tag.RowsAffected() == 1, nil
}

// AddPending adds an item to a digest subscription; adding the same item
// and topic again is a no-op.
func (t *txn) AddPending(sub, topic string, itemID int64, at time.Time) error {
	if _, err := t.tx.Exec(t.ctx,
		"INSERT INTO pending (sub, topic, item_id, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
		sub, topic, itemID, stamp(at)); err != nil {
		return fmt.Errorf("add pending item %d to %s: %w", itemID, sub, err)
	}
	return nil
}

// Pending lists a subscription's pending items, oldest first (by the time
// they were added, then by row), and locks those rows until the transaction
// ends: a digest reads its pending set to clear it, so a second digest of the
// same subscription running at once (on another replica) waits, then finds
// the rows gone instead of sending them again.
func (t *txn) Pending(sub string) ([]news.Pending, error) {
	rows, err := t.tx.Query(t.ctx, "SELECT p.id, p.topic, "+itemColumns("i")+`
		FROM pending p JOIN items i ON i.id = p.item_id
		WHERE p.sub = $1 ORDER BY p.at, p.id FOR UPDATE OF p`, sub)
	if err != nil {
		return nil, fmt.Errorf("pending of %s: %w", sub, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (news.Pending, error) {
		var p news.Pending
		var err error
		p.Item, err = scanItem(row, &p.ID, &p.Topic)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("pending of %s: %w", sub, err)
	}
	return out, nil
}

// ClearPending removes pending rows; unknown IDs are ignored (a digest may
// race a cleanup).
func (t *txn) ClearPending(ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.tx.Exec(t.ctx, "DELETE FROM pending WHERE id = ANY($1)", ids); err != nil {
		return fmt.Errorf("clear pending: %w", err)
	}
	return nil
}

// Enqueue adds messages to the outbox, in order (see enqueue).
func (t *txn) Enqueue(msgs ...news.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	if !t.outboxLocked {
		if err := xactLock(t.ctx, t.tx, lockOutbox); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		t.outboxLocked = true
	}
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
	return getMeta(ctx, s.pool, key)
}

// SetMeta writes a small named value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return setMeta(ctx, s.pool, key, value)
}

// getMeta reads a meta value; a missing key is ("", false, nil).
func getMeta(ctx context.Context, q querier, key string) (string, bool, error) {
	var v string
	err := q.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get meta %s: %w", key, err)
	}
	return v, true, nil
}

// setMeta writes a meta value, replacing any previous one.
func setMeta(ctx context.Context, q querier, key, value string) error {
	if _, err := q.Exec(ctx,
		"INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		key, value); err != nil {
		return fmt.Errorf("set meta %s: %w", key, err)
	}
	return nil
}

// CountMatches counts matches of a topic recorded at or after since; the
// zero since counts them all (it is stored as the zero time, below any other).
func (s *Store) CountMatches(ctx context.Context, topic string, since time.Time) (int, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM matches WHERE topic = $1 AND at >= $2",
		topic, stamp(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count matches of %s: %w", topic, err)
	}
	return int(n), nil
}
