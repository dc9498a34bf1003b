package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Outbox statuses. Only pending messages are ever sent; sent and failed ones
// are kept for the record. Queries spell statusPending as a literal, not a
// parameter, so that SQLite can use the partial index on pending messages.
const (
	statusPending = "pending"
	statusSent    = "sent"
	statusFailed  = "failed"
)

// enqueue adds messages in order; a message whose Key is already present
// (in any status) is skipped.
func enqueue(ctx context.Context, q querier, msgs []news.OutboxMessage) error {
	for _, m := range msgs {
		if m.Channel == "" {
			return errors.New("enqueue: message without a channel")
		}
		payload, err := json.Marshal(m.Message)
		if err != nil {
			return fmt.Errorf("enqueue to %s: encode message: %w", m.Channel, err)
		}
		var key sql.NullString
		if m.Key != "" {
			key = sql.NullString{String: m.Key, Valid: true}
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO outbox
			(channel, key, payload, created, attempts, next_attempt, last_error, status)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING`,
			m.Channel, key, string(payload), toNanos(m.Created), m.Attempts, toNanos(m.NextAttempt),
			m.LastError, statusPending); err != nil {
			return fmt.Errorf("enqueue to %s: %w", m.Channel, err)
		}
	}
	return nil
}

// OutboxChannels lists, by name, the channels that have pending messages.
func (s *Store) OutboxChannels(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx,
		"SELECT DISTINCT channel FROM outbox WHERE status = '"+statusPending+"' ORDER BY channel")
	if err != nil {
		return nil, fmt.Errorf("outbox channels: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("outbox channels: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox channels: %w", err)
	}
	return out, nil
}

// NextOutbox returns the oldest pending message of channel whatever its
// NextAttempt: a channel's messages go out strictly in order, so the head
// blocks the rest and the dispatcher decides how long to wait for it.
func (s *Store) NextOutbox(ctx context.Context, channel string) (news.OutboxMessage, bool, error) {
	var m news.OutboxMessage
	var key sql.NullString
	var payload string
	var created, next int64
	err := s.read.QueryRowContext(ctx, `SELECT id, channel, key, payload, created, attempts, next_attempt, last_error
		FROM outbox WHERE channel = ? AND status = '`+statusPending+`' ORDER BY id LIMIT 1`, channel).
		Scan(&m.ID, &m.Channel, &key, &payload, &created, &m.Attempts, &next, &m.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return news.OutboxMessage{}, false, nil
	}
	if err != nil {
		return news.OutboxMessage{}, false, fmt.Errorf("next outbox message of %s: %w", channel, err)
	}
	if err := json.Unmarshal([]byte(payload), &m.Message); err != nil {
		return news.OutboxMessage{}, false, fmt.Errorf("next outbox message of %s: decode message %d: %w", channel, m.ID, err)
	}
	m.Key = key.String
	m.Created = fromNanos(created)
	m.NextAttempt = fromNanos(next)
	return m, true, nil
}

// MarkSent records a message as sent; it leaves the pending queue.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return s.markOutbox(ctx, "mark sent", id,
		"UPDATE outbox SET status = ?, sent_at = ? WHERE id = ?", statusSent, toNanos(at), id)
}

// MarkRetry records a failed attempt: Attempts grows by one and the message
// stays at the head of its channel until next.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error {
	return s.markOutbox(ctx, "mark retry", id,
		"UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?",
		toNanos(next), errMsg, id)
}

// MarkFailed records a permanent failure. It counts as a failed attempt like
// MarkRetry; the message is kept but leaves the pending queue, unblocking its
// channel.
func (s *Store) MarkFailed(ctx context.Context, id int64, at time.Time, errMsg string) error {
	return s.markOutbox(ctx, "mark failed", id,
		"UPDATE outbox SET status = ?, attempts = attempts + 1, failed_at = ?, last_error = ? WHERE id = ?",
		statusFailed, toNanos(at), errMsg, id)
}

// markOutbox runs one update of an outbox row; an unknown id is store.ErrNotFound.
func (s *Store) markOutbox(ctx context.Context, op string, id int64, query string, args ...any) error {
	res, err := s.write.ExecContext(ctx, query, args...)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("%s %d: %w", op, id, err)
	}
	return nil
}

// OutboxDepth counts pending messages.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE status = '"+statusPending+"'").Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox depth: %w", err)
	}
	return n, nil
}
