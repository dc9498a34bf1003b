package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// mentionJSON is how a news.Mention is stored. It has its own tags so that
// renaming a field of news.Mention cannot silently orphan stored data.
type mentionJSON struct {
	WithinNS int64    `json:"within_ns,omitempty"`
	Set      bool     `json:"set,omitempty"`
	Slack    []string `json:"slack,omitempty"`
	Discord  []string `json:"discord,omitempty"`
}

// AddTopic adds a topic from chat; a taken name is store.ErrExists. Its
// Source is not stored: every stored topic is a chat topic.
func (s *Store) AddTopic(ctx context.Context, t news.Topic) error {
	// created is bookkeeping for humans reading the database; no logic reads it.
	return s.insertNamed(ctx, "add topic", t.Name,
		"INSERT INTO topics (name, query, channel, created) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
		t.Name, t.Query, t.Channel, toNanos(time.Now()))
}

// RemoveTopic removes a topic added from chat; an unknown name is store.ErrNotFound.
func (s *Store) RemoveTopic(ctx context.Context, name string) error {
	return s.deleteRow(ctx, "remove topic "+name, "DELETE FROM topics WHERE name = ?", name)
}

// Topics lists the topics added from chat by name, with Source chat.
func (s *Store) Topics(ctx context.Context) ([]news.Topic, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT name, query, channel FROM topics ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	defer rows.Close()
	var out []news.Topic
	for rows.Next() {
		t := news.Topic{Source: news.SourceChat}
		if err := rows.Scan(&t.Name, &t.Query, &t.Channel); err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
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
	if _, err := s.write.ExecContext(ctx, `INSERT INTO mutes (channel, topic, until) VALUES (?, ?, ?)
		ON CONFLICT (channel, topic) DO UPDATE SET until = excluded.until`,
		m.Channel, m.Topic, toNanos(m.Until)); err != nil {
		return fmt.Errorf("mute %s in %s: %w", m.Topic, m.Channel, err)
	}
	return nil
}

// Unmute lifts the mute of a topic in a channel; none is store.ErrNotFound.
func (s *Store) Unmute(ctx context.Context, channel, topic string) error {
	return s.deleteRow(ctx, "unmute "+topic+" in "+channel,
		"DELETE FROM mutes WHERE channel = ? AND topic = ?", channel, topic)
}

// Mutes lists the mutes whose Until is after now, by channel then topic.
func (s *Store) Mutes(ctx context.Context, now time.Time) ([]news.Mute, error) {
	rows, err := s.read.QueryContext(ctx,
		"SELECT channel, topic, until FROM mutes WHERE until > ? ORDER BY channel, topic", toNanos(now))
	if err != nil {
		return nil, fmt.Errorf("list mutes: %w", err)
	}
	defer rows.Close()
	var out []news.Mute
	for rows.Next() {
		var m news.Mute
		var until int64
		if err := rows.Scan(&m.Channel, &m.Topic, &until); err != nil {
			return nil, fmt.Errorf("list mutes: %w", err)
		}
		m.Until = fromNanos(until)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
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
	enc := func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}
	remindJ, err := enc(remind)
	if err != nil {
		return fmt.Errorf("add deadline %s: encode reminders: %w", d.Name, err)
	}
	channels := d.Channels
	if channels == nil {
		channels = []string{} // "[]", not "null", like the column default
	}
	channelsJ, err := enc(channels)
	if err != nil {
		return fmt.Errorf("add deadline %s: encode channels: %w", d.Name, err)
	}
	mentionJ, err := enc(mentionJSON{WithinNS: int64(d.Mention.Within), Set: d.Mention.Set,
		Slack: d.Mention.Slack, Discord: d.Mention.Discord})
	if err != nil {
		return fmt.Errorf("add deadline %s: encode mention: %w", d.Name, err)
	}
	return s.insertNamed(ctx, "add deadline", d.Name, `INSERT INTO deadlines
		(name, title, due, query, remind, channels, countdown, mention, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		d.Name, d.Title, toNanos(d.Due), d.Query, remindJ, channelsJ, d.Countdown, mentionJ, toNanos(d.Created))
}

// RemoveDeadline stops tracking a deadline added from chat; an unknown name
// is store.ErrNotFound.
func (s *Store) RemoveDeadline(ctx context.Context, name string) error {
	return s.deleteRow(ctx, "remove deadline "+name, "DELETE FROM deadlines WHERE name = ?", name)
}

// Deadlines lists the deadlines added from chat by name, with Source chat.
// Empty lists come back nil.
func (s *Store) Deadlines(ctx context.Context) ([]news.Deadline, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT name, title, due, query, remind, channels, countdown, mention, created
		FROM deadlines ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list deadlines: %w", err)
	}
	defer rows.Close()
	var out []news.Deadline
	for rows.Next() {
		d, err := scanDeadline(rows)
		if err != nil {
			return nil, fmt.Errorf("list deadlines: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deadlines: %w", err)
	}
	return out, nil
}

// scanDeadline reads one deadlines row, decoding its JSON columns.
func scanDeadline(rows *sql.Rows) (news.Deadline, error) {
	d := news.Deadline{Source: news.SourceChat}
	var due, created int64
	var remindJ, channelsJ, mentionJ string
	if err := rows.Scan(&d.Name, &d.Title, &due, &d.Query, &remindJ, &channelsJ, &d.Countdown, &mentionJ, &created); err != nil {
		return news.Deadline{}, err
	}
	var remind []int64
	if err := json.Unmarshal([]byte(remindJ), &remind); err != nil {
		return news.Deadline{}, fmt.Errorf("deadline %s: decode reminders: %w", d.Name, err)
	}
	for _, r := range remind {
		d.Remind = append(d.Remind, time.Duration(r))
	}
	if err := json.Unmarshal([]byte(channelsJ), &d.Channels); err != nil {
		return news.Deadline{}, fmt.Errorf("deadline %s: decode channels: %w", d.Name, err)
	}
	if len(d.Channels) == 0 {
		d.Channels = nil
	}
	var m mentionJSON
	if err := json.Unmarshal([]byte(mentionJ), &m); err != nil {
		return news.Deadline{}, fmt.Errorf("deadline %s: decode mention: %w", d.Name, err)
	}
	d.Mention = news.Mention{Within: time.Duration(m.WithinNS), Set: m.Set, Slack: m.Slack, Discord: m.Discord}
	d.Due = fromNanos(due)
	d.Created = fromNanos(created)
	return d, nil
}

// NewestMatch returns the newest item (by Published, then ID) that has a
// match recorded for topic; (zero, false, nil) when there is none.
func (s *Store) NewestMatch(ctx context.Context, topic string) (news.Item, bool, error) {
	it, err := scanItem(s.read.QueryRowContext(ctx, "SELECT "+itemColumns("i")+` FROM matches m
		JOIN items i ON i.id = m.item_id WHERE m.topic = ?
		ORDER BY i.published DESC, i.id DESC LIMIT 1`, topic))
	if errors.Is(err, sql.ErrNoRows) {
		return news.Item{}, false, nil
	}
	if err != nil {
		return news.Item{}, false, fmt.Errorf("newest match of %s: %w", topic, err)
	}
	return it, true, nil
}

// insertNamed runs an INSERT ... ON CONFLICT (name) DO NOTHING of a named
// record; a taken name (nothing inserted) is store.ErrExists. One statement,
// so no check-then-insert race even outside a transaction.
func (s *Store) insertNamed(ctx context.Context, op, name, query string, args ...any) error {
	if name == "" {
		return fmt.Errorf("%s: empty name", op)
	}
	res, err := s.write.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", op, name, store.ErrExists)
	}
	return nil
}

// deleteRow runs a DELETE; deleting nothing is store.ErrNotFound. what names
// the operation and its target for the error.
func (s *Store) deleteRow(ctx context.Context, what, query string, args ...any) error {
	res, err := s.write.ExecContext(ctx, query, args...)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
