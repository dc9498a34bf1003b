package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Outbox statuses. Only pending messages are ever sent; sent and failed ones
// are kept for the record. Queries spell statusPending as a literal, not a
// parameter, so that the planner can use the partial index on pending
// messages.
const (
	statusPending = "pending"
	statusSent    = "sent"
	statusFailed  = "failed"
)

// enqueue adds messages in order; a message whose Key is already present
// (in any status, or being enqueued by a transaction still open) is skipped.
//
// The caller holds the outbox lock until it commits (txn.Enqueue). Without
// it, identities would follow the order of inserts, not of commits: a message
// committed later with a lower id would appear behind one already sent and go
// out of order. Taking turns keeps each channel's ids in commit order.
func enqueue(ctx context.Context, tx pgx.Tx, msgs []news.OutboxMessage) error {
	for _, m := range msgs {
		if m.Channel == "" {
			return errors.New("enqueue: message without a channel")
		}
		payload, err := json.Marshal(m.Message)
		if err != nil {
			return fmt.Errorf("enqueue to %s: encode message: %w", m.Channel, err)
		}
		var key *string
		if m.Key != "" {
			key = &m.Key
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outbox
			(channel, key, payload, created, attempts, next_attempt, last_error, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, '`+statusPending+`')
			ON CONFLICT (key) DO NOTHING`,
			m.Channel, key, string(payload), stamp(m.Created), m.Attempts, stamp(m.NextAttempt),
			cleanText(m.LastError)); err != nil {
			return fmt.Errorf("enqueue to %s: %w", m.Channel, err)
		}
	}
	return nil
}

// OutboxChannels lists, by name, the channels that have pending messages.
func (s *Store) OutboxChannels(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT DISTINCT channel FROM outbox WHERE status = '"+statusPending+"' ORDER BY channel")
	if err != nil {
		return nil, fmt.Errorf("outbox channels: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("outbox channels: %w", err)
	}
	return out, nil
}

// NextOutbox returns the oldest pending message of channel whatever its
// NextAttempt: a channel's messages go out strictly in order, so the head
// blocks the rest and the dispatcher decides how long to wait for it.
func (s *Store) NextOutbox(ctx context.Context, channel string) (news.OutboxMessage, bool, error) {
	var m news.OutboxMessage
	var key *string
	var payload string
	err := s.pool.QueryRow(ctx, `SELECT id, channel, key, payload, created, attempts, next_attempt, last_error
		FROM outbox WHERE channel = $1 AND status = '`+statusPending+`' ORDER BY id LIMIT 1`, channel).
		Scan(&m.ID, &m.Channel, &key, &payload, &m.Created, &m.Attempts, &m.NextAttempt, &m.LastError)
	if errors.Is(err, pgx.ErrNoRows) {
		return news.OutboxMessage{}, false, nil
	}
	if err != nil {
		return news.OutboxMessage{}, false, fmt.Errorf("next outbox message of %s: %w", channel, err)
	}
	if err := json.Unmarshal([]byte(payload), &m.Message); err != nil {
		return news.OutboxMessage{}, false, fmt.Errorf("next outbox message of %s: decode message %d: %w", channel, m.ID, err)
	}
	if key != nil {
		m.Key = *key
	}
	m.Created = fromDB(m.Created)
	m.NextAttempt = fromDB(m.NextAttempt)
	return m, true, nil
}

// MarkSent records a message as sent; it leaves the pending queue.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return s.markOutbox(ctx, "mark sent", id,
		"UPDATE outbox SET status = '"+statusSent+"', sent_at = $1 WHERE id = $2", stamp(at), id)
}

// MarkRetry records a failed attempt: Attempts grows by one and the message
// stays at the head of its channel until next.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error {
	return s.markOutbox(ctx, "mark retry", id,
		"UPDATE outbox SET attempts = attempts + 1, next_attempt = $1, last_error = $2 WHERE id = $3",
		stamp(next), cleanText(errMsg), id)
}

// MarkFailed records a permanent failure. It counts as a failed attempt like
// MarkRetry; the message is kept but leaves the pending queue, unblocking its
// channel.
func (s *Store) MarkFailed(ctx context.Context, id int64, at time.Time, errMsg string) error {
	return s.markOutbox(ctx, "mark failed", id,
		"UPDATE outbox SET status = '"+statusFailed+"', attempts = attempts + 1, failed_at = $1, last_error = $2 WHERE id = $3",
		stamp(at), cleanText(errMsg), id)
}

// markOutbox runs one update of an outbox row; an unknown id is store.ErrNotFound.
func (s *Store) markOutbox(ctx context.Context, op string, id int64, query string, args ...any) error {
	if err := mustAffect(s.pool.Exec(ctx, query, args...)); err != nil {
		return fmt.Errorf("%s %d: %w", op, id, err)
	}
	return nil
}

// OutboxDepth counts pending messages.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM outbox WHERE status = '"+statusPending+"'").Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox depth: %w", err)
	}
	return int(n), nil
}
