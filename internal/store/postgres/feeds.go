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

// SyncFeeds makes the config feeds exactly feeds, in one transaction. A feed
// listed in feeds whose name was added from chat becomes a config feed: the
// config file wins. When a feed's URL changes its conditional-request state
// (ETag, Last-Modified) and backoff are reset, since they describe the old URL
// and a stale ETag could make the new one answer 304. Items of a removed feed
// are kept and stay searchable.
//
// Replicas starting together each sync the same config: the feeds lock makes
// them take turns, so the second finds nothing left to change.
func (s *Store) SyncFeeds(ctx context.Context, feeds []news.Feed) error {
	if _, err := store.PlanFeedSync(nil, feeds); err != nil {
		return fmt.Errorf("sync feeds: %w", err)
	}
	var plan store.FeedSync
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := xactLock(ctx, tx, lockFeeds); err != nil {
			return err
		}
		have, err := listFeeds(ctx, tx)
		if err != nil {
			return err
		}
		if plan, err = store.PlanFeedSync(have, feeds); err != nil {
			return err
		}
		for _, name := range plan.Remove {
			if _, err := tx.Exec(ctx, "DELETE FROM feeds WHERE name = $1", name); err != nil {
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := xactLock(ctx, tx, lockFeeds); err != nil {
			return err
		}
		var taken bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM feeds WHERE name = $1)", f.Name).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return store.ErrExists
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := xactLock(ctx, tx, lockFeeds); err != nil {
			return err
		}
		var src string
		err := tx.QueryRow(ctx, "SELECT source FROM feeds WHERE name = $1", name).Scan(&src)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if news.Source(src) != news.SourceChat {
			return fmt.Errorf("%w, not from chat; remove it there", store.ErrConfigDefined)
		}
		_, err = tx.Exec(ctx, "DELETE FROM feeds WHERE name = $1", name)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove feed %s: %w", name, err)
	}
	return nil
}

// Feeds lists every feed by name.
func (s *Store) Feeds(ctx context.Context) ([]news.Feed, error) {
	fs, err := listFeeds(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	return fs, nil
}

// listFeeds reads every feed by name.
func listFeeds(ctx context.Context, q querier) ([]news.Feed, error) {
	rows, err := q.Query(ctx, "SELECT name, url, schedule, max_age_ns, source FROM feeds ORDER BY name")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (news.Feed, error) {
		var f news.Feed
		var maxAge int64
		var src string
		err := row.Scan(&f.Name, &f.URL, &f.Schedule, &maxAge, &src)
		f.MaxAge = time.Duration(maxAge)
		f.Source = news.Source(src)
		return f, err
	})
}

// insertFeed adds a feed row. item_count starts at the items already stored
// under that name (a feed removed and added again keeps its history).
func insertFeed(ctx context.Context, tx pgx.Tx, f news.Feed) error {
	_, err := tx.Exec(ctx, `INSERT INTO feeds (name, url, schedule, max_age_ns, source, item_count)
		VALUES ($1, $2, $3, $4, $5, (SELECT count(*) FROM items WHERE feed = $1))`,
		f.Name, f.URL, f.Schedule, int64(f.MaxAge), string(f.Source))
	if err != nil {
		return fmt.Errorf("insert feed %s: %w", f.Name, err)
	}
	return nil
}

// updateFeed changes a feed's definition, resetting the state that belongs to
// its old URL when resetFetch is set.
func updateFeed(ctx context.Context, tx pgx.Tx, f news.Feed, resetFetch bool) error {
	query := "UPDATE feeds SET url = $1, schedule = $2, max_age_ns = $3, source = $4"
	if resetFetch {
		query += ", etag = '', last_modified = '', failures = 0, next_poll = DEFAULT"
	}
	_, err := tx.Exec(ctx, query+" WHERE name = $5",
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
func scanFeedState(row pgx.Row) (news.FeedState, error) {
	var st news.FeedState
	var items int64
	err := row.Scan(&st.Feed, &st.ETag, &st.LastModified, &st.LastPoll, &st.LastSuccess, &st.LastError,
		&st.LastErrorMsg, &st.Failures, &st.NextPoll, &items)
	st.LastPoll = fromDB(st.LastPoll)
	st.LastSuccess = fromDB(st.LastSuccess)
	st.LastError = fromDB(st.LastError)
	st.NextPoll = fromDB(st.NextPoll)
	st.Items = int(items)
	return st, err
}

// FeedState returns the state of a feed, Items included; an unknown feed has
// the zero state.
func (s *Store) FeedState(ctx context.Context, feed string) (news.FeedState, error) {
	st, err := scanFeedState(s.pool.QueryRow(ctx, "SELECT "+feedStateCols+" FROM feeds WHERE name = $1", feed))
	if errors.Is(err, pgx.ErrNoRows) {
		return news.FeedState{Feed: feed}, nil
	}
	if err != nil {
		return news.FeedState{}, fmt.Errorf("feed state %s: %w", feed, err)
	}
	return st, nil
}

// SaveFeedState stores the state of a feed. The state lives in the feed's
// row, so a feed that is not (or no longer) defined is store.ErrNotFound: a
// poll finishing after its feed was removed must not bring it back. Text
// from the network (validators, error messages) is made storable first.
func (s *Store) SaveFeedState(ctx context.Context, st news.FeedState) error {
	err := mustAffect(s.pool.Exec(ctx, `UPDATE feeds SET etag = $1, last_modified = $2, last_poll = $3,
		last_success = $4, last_error = $5, last_error_msg = $6, failures = $7, next_poll = $8
		WHERE name = $9`,
		cleanText(st.ETag), cleanText(st.LastModified), stamp(st.LastPoll), stamp(st.LastSuccess),
		stamp(st.LastError), cleanText(st.LastErrorMsg), st.Failures, stamp(st.NextPoll), st.Feed))
	if err != nil {
		return fmt.Errorf("save feed state %s: %w", st.Feed, err)
	}
	return nil
}

// FeedStates lists the state of every feed by name, with Items from the
// per-feed counter the item triggers keep.
func (s *Store) FeedStates(ctx context.Context) ([]news.FeedState, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+feedStateCols+" FROM feeds ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("feed states: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (news.FeedState, error) {
		return scanFeedState(row)
	})
	if err != nil {
		return nil, fmt.Errorf("feed states: %w", err)
	}
	return out, nil
}
