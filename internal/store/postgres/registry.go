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

// AddTopic adds a topic from chat; a taken name is store.ErrExists. Its
// Source is not stored: every stored topic is a chat topic.
func (s *Store) AddTopic(ctx context.Context, t news.Topic) error {
	return s.insertNamed(ctx, "add topic", t.Name,
		"INSERT INTO topics (name, query, channel) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
		t.Name, t.Query, t.Channel)
}

// RemoveTopic removes a topic added from chat; an unknown name is store.ErrNotFound.
func (s *Store) RemoveTopic(ctx context.Context, name string) error {
	return s.deleteRow(ctx, "remove topic "+name, "DELETE FROM topics WHERE name = $1", name)
}

// Topics lists the topics added from chat by name, with Source chat.
func (s *Store) Topics(ctx context.Context) ([]news.Topic, error) {
	rows, err := s.pool.Query(ctx, "SELECT name, query, channel FROM topics ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (news.Topic, error) {
		t := news.Topic{Source: news.SourceChat}
		err := row.Scan(&t.Name, &t.Query, &t.Channel)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	return out, nil
}

// Mute silences a topic in a channel until m.Until, replacing any mute of
// that channel and topic (so muting again can also shorten a mute).
func (s *Store) Mute(ctx context.Context, m news.Mute) error {
	if m.Channel == "" || m.Topic == "" {
		return errors.New("mute: empty channel or topic")
	}
	if m.Until.IsZero() {
		// A mute without an end would never be listed by Mutes: surely a bug.
		return fmt.Errorf("mute %s in %s: no end time", m.Topic, m.Channel)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO mutes (channel, topic, until) VALUES ($1, $2, $3)
		ON CONFLICT (channel, topic) DO UPDATE SET until = excluded.until`,
		m.Channel, m.Topic, stamp(m.Until)); err != nil {
		return fmt.Errorf("mute %s in %s: %w", m.Topic, m.Channel, err)
	}
	return nil
}

// Unmute lifts the mute of a topic in a channel; none is store.ErrNotFound.
func (s *Store) Unmute(ctx context.Context, channel, topic string) error {
	return s.deleteRow(ctx, "unmute "+topic+" in "+channel,
		"DELETE FROM mutes WHERE channel = $1 AND topic = $2", channel, topic)
}

// Mutes lists the mutes whose Until is after now, by channel then topic.
func (s *Store) Mutes(ctx context.Context, now time.Time) ([]news.Mute, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT channel, topic, until FROM mutes WHERE until > $1 ORDER BY channel, topic", stamp(now))
	if err != nil {
		return nil, fmt.Errorf("list mutes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (news.Mute, error) {
		var m news.Mute
		err := row.Scan(&m.Channel, &m.Topic, &m.Until)
		m.Until = fromDB(m.Until)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("list mutes: %w", err)
	}
	return out, nil
}

// AddDeadline tracks a deadline from chat; a taken name is store.ErrExists.
// Its Source is not stored: every stored deadline is a chat deadline.
func (s *Store) AddDeadline(ctx context.Context, d news.Deadline) error {
	remind := make([]int64, len(d.Remind))
	for i, r := range d.Remind {
		remind[i] = int64(r)
	}
	// A nil slice would be bound as NULL; the columns hold empty arrays.
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return s.insertNamed(ctx, "add deadline", d.Name, `INSERT INTO deadlines
		(name, title, due, query, remind_ns, channels, countdown,
		 mention_within_ns, mention_set, mention_slack, mention_discord, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (name) DO NOTHING`,
		d.Name, d.Title, stamp(d.Due), d.Query, remind, orEmpty(d.Channels), d.Countdown,
		int64(d.Mention.Within), d.Mention.Set, orEmpty(d.Mention.Slack), orEmpty(d.Mention.Discord), stamp(d.Created))
}

// RemoveDeadline stops tracking a deadline added from chat; an unknown name
// is store.ErrNotFound.
func (s *Store) RemoveDeadline(ctx context.Context, name string) error {
	return s.deleteRow(ctx, "remove deadline "+name, "DELETE FROM deadlines WHERE name = $1", name)
}

// Deadlines lists the deadlines added from chat by name, with Source chat.
// Empty lists come back nil.
func (s *Store) Deadlines(ctx context.Context) ([]news.Deadline, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, title, due, query, remind_ns, channels, countdown,
		mention_within_ns, mention_set, mention_slack, mention_discord, created
		FROM deadlines ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list deadlines: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanDeadline)
	if err != nil {
		return nil, fmt.Errorf("list deadlines: %w", err)
	}
	return out, nil
}

// scanDeadline reads one deadlines row.
func scanDeadline(row pgx.CollectableRow) (news.Deadline, error) {
	d := news.Deadline{Source: news.SourceChat}
	var remind []int64
	var within int64
	if err := row.Scan(&d.Name, &d.Title, &d.Due, &d.Query, &remind, &d.Channels, &d.Countdown,
		&within, &d.Mention.Set, &d.Mention.Slack, &d.Mention.Discord, &d.Created); err != nil {
		return news.Deadline{}, err
	}
	for _, r := range remind {
		d.Remind = append(d.Remind, time.Duration(r))
	}
	d.Channels = nilIfEmpty(d.Channels)
	d.Mention.Within = time.Duration(within)
	d.Mention.Slack = nilIfEmpty(d.Mention.Slack)
	d.Mention.Discord = nilIfEmpty(d.Mention.Discord)
	d.Due = fromDB(d.Due)
	d.Created = fromDB(d.Created)
	return d, nil
}

// NewestMatch returns the newest item (by Published, then ID) that has a
// match recorded for topic; (zero, false, nil) when there is none.
func (s *Store) NewestMatch(ctx context.Context, topic string) (news.Item, bool, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, "SELECT "+itemColumns("i")+` FROM matches m
		JOIN items i ON i.id = m.item_id WHERE m.topic = $1
		ORDER BY i.published DESC, i.id DESC LIMIT 1`, topic))
	if errors.Is(err, pgx.ErrNoRows) {
		return news.Item{}, false, nil
	}
	if err != nil {
		return news.Item{}, false, fmt.Errorf("newest match of %s: %w", topic, err)
	}
	return it, true, nil
}

// insertNamed runs an INSERT ... ON CONFLICT (name) DO NOTHING of a named
// record; a taken name (nothing inserted) is store.ErrExists. One statement,
// so no check-then-insert race between replicas.
func (s *Store) insertNamed(ctx context.Context, op, name, query string, args ...any) error {
	if name == "" {
		return fmt.Errorf("%s: empty name", op)
	}
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s %s: %w", op, name, store.ErrExists)
	}
	return nil
}

// deleteRow runs a DELETE; deleting nothing is store.ErrNotFound. what names
// the operation and its target for the error.
func (s *Store) deleteRow(ctx context.Context, what, query string, args ...any) error {
	if err := mustAffect(s.pool.Exec(ctx, query, args...)); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
