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

// SyncFeeds makes the config feeds exactly feeds, in one transaction. A feed
// listed in feeds whose name was added from chat becomes a config feed: the
// config file wins. When a feed's URL changes its conditional-request state
// (ETag, Last-Modified) and backoff are reset, since they describe the old URL
// and a stale ETag could make the new one answer 304. Items of a removed feed
// are kept and stay searchable.
func (s *Store) SyncFeeds(ctx context.Context, feeds []news.Feed) error {
	if _, err := store.PlanFeedSync(nil, feeds); err != nil {
		return fmt.Errorf("sync feeds: %w", err)
	}
	var plan store.FeedSync
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		have, err := listFeeds(ctx, tx)
		if err != nil {
			return err
		}
		if plan, err = store.PlanFeedSync(have, feeds); err != nil {
			return err
		}
		for _, name := range plan.Remove {
			if _, err := tx.ExecContext(ctx, "DELETE FROM feeds WHERE name = ?", name); err != nil {
				return fmt.Errorf("remove feed %s: %w", name, err)
			}
		}
		for _, f := range plan.Add {
			if err := insertFeed(ctx, tx, f); err != nil {
				return err
			}
		}
		for _, u := range plan.Update {
			if err := updateFeed(ctx, tx, u.Feed, u.URLChanged); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync feeds: %w", err)
	}
	added, updated := plan.Names()
	s.log.Info("feeds synced", "feeds", len(feeds), "added", added, "updated", updated, "removed", plan.Remove)
	return nil
}

// AddFeed adds a feed from chat. Its Source is recorded as chat whatever f
// says, so that it can later be removed from chat.
func (s *Store) AddFeed(ctx context.Context, f news.Feed) error {
	if f.Name == "" {
		return errors.New("add feed: empty name")
	}
	f.Source = news.SourceChat
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM feeds WHERE name = ?", f.Name).Scan(&one)
		if err == nil {
			return store.ErrExists
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return insertFeed(ctx, tx, f)
	})
	if err != nil {
		return fmt.Errorf("add feed %s: %w", f.Name, err)
	}
	return nil
}

// RemoveFeed removes a feed added from chat. A config feed is refused: it
// would come back at the next start, so removing it from chat would mislead.
func (s *Store) RemoveFeed(ctx context.Context, name string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var src string
		err := tx.QueryRowContext(ctx, "SELECT source FROM feeds WHERE name = ?", name).Scan(&src)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if news.Source(src) != news.SourceChat {
			return fmt.Errorf("%w, not from chat; remove it there", store.ErrConfigDefined)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM feeds WHERE name = ?", name)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove feed %s: %w", name, err)
	}
	return nil
}

// Feeds lists every feed by name.
func (s *Store) Feeds(ctx context.Context) ([]news.Feed, error) {
	fs, err := listFeeds(ctx, s.read)
	if err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	return fs, nil
}

// listFeeds reads every feed by name.
func listFeeds(ctx context.Context, q querier) ([]news.Feed, error) {
	rows, err := q.QueryContext(ctx, "SELECT name, url, schedule, max_age_ns, source FROM feeds ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []news.Feed
	for rows.Next() {
		var f news.Feed
		var maxAge int64
		var src string
		if err := rows.Scan(&f.Name, &f.URL, &f.Schedule, &maxAge, &src); err != nil {
			return nil, err
		}
		f.MaxAge = time.Duration(maxAge)
		f.Source = news.Source(src)
		out = append(out, f)
	}
	return out, rows.Err()
}

// insertFeed adds a feed row. item_count starts at the items already stored
// under that name (a feed removed and added again keeps its history).
func insertFeed(ctx context.Context, tx *sql.Tx, f news.Feed) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO feeds (name, url, schedule, max_age_ns, source, item_count)
		VALUES (?, ?, ?, ?, ?, (SELECT COUNT(*) FROM items WHERE feed = ?))`,
		f.Name, f.URL, f.Schedule, int64(f.MaxAge), string(f.Source), f.Name)
	if err != nil {
		return fmt.Errorf("insert feed %s: %w", f.Name, err)
	}
	return nil
}

// updateFeed changes a feed's definition, resetting the state that belongs to
// its old URL when resetFetch is set.
func updateFeed(ctx context.Context, tx *sql.Tx, f news.Feed, resetFetch bool) error {
	query := "UPDATE feeds SET url = ?, schedule = ?, max_age_ns = ?, source = ?"
	if resetFetch {
		query += ", etag = '', last_modified = '', failures = 0, next_poll = 0"
	}
	_, err := tx.ExecContext(ctx, query+" WHERE name = ?",
		f.URL, f.Schedule, int64(f.MaxAge), string(f.Source), f.Name)
	if err != nil {
		return fmt.Errorf("update feed %s: %w", f.Name, err)
	}
	return nil
}

// feedStateCols are the columns scanFeedState reads, in order.
const feedStateCols = `name, etag, last_modified, last_poll, last_success, last_error,
	last_error_msg, failures, next_poll, item_count`

// scanFeedState reads one row of feedStateCols.
func scanFeedState(sc interface{ Scan(...any) error }) (news.FeedState, error) {
	var st news.FeedState
	var lastPoll, lastSuccess, lastError, nextPoll int64
	err := sc.Scan(&st.Feed, &st.ETag, &st.LastModified, &lastPoll, &lastSuccess, &lastError,
		&st.LastErrorMsg, &st.Failures, &nextPoll, &st.Items)
	st.LastPoll = fromNanos(lastPoll)
	st.LastSuccess = fromNanos(lastSuccess)
	st.LastError = fromNanos(lastError)
	st.NextPoll = fromNanos(nextPoll)
	return st, err
}

// FeedState returns the state of a feed, Items included; an unknown feed has
// the zero state.
func (s *Store) FeedState(ctx context.Context, feed string) (news.FeedState, error) {
	st, err := scanFeedState(s.read.QueryRowContext(ctx, "SELECT "+feedStateCols+" FROM feeds WHERE name = ?", feed))
	if errors.Is(err, sql.ErrNoRows) {
		return news.FeedState{Feed: feed}, nil
	}
	if err != nil {
		return news.FeedState{}, fmt.Errorf("feed state %s: %w", feed, err)
	}
	return st, nil
}

// SaveFeedState stores the state of a feed. The state lives in the feed's
// row, so a feed that is not (or no longer) defined is store.ErrNotFound: a
// poll finishing after its feed was removed must not bring it back.
func (s *Store) SaveFeedState(ctx context.Context, st news.FeedState) error {
	res, err := s.write.ExecContext(ctx, saveFeedStateSQL, feedStateArgs(st)...)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("save feed state %s: %w", st.Feed, err)
	}
	return nil
}

// FeedStates lists the state of every feed by name, with Items from the
// per-feed counter the item triggers keep.
func (s *Store) FeedStates(ctx context.Context) ([]news.FeedState, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+feedStateCols+" FROM feeds ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("feed states: %w", err)
	}
	defer rows.Close()
	var out []news.FeedState
	for rows.Next() {
		st, err := scanFeedState(rows)
		if err != nil {
			return nil, fmt.Errorf("feed states: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feed states: %w", err)
	}
	return out, nil
}
