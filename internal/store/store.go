// Package store declares the storage interface of feedwatch. Implementations
// live in sub-packages (sqlite, later postgres) and all pass the shared
// conformance suite in storetest.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Errors callers tell apart (chat replies differ for each).
var (
	// ErrNotFound is returned when a named or numbered record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists is returned when adding a name that is already taken.
	ErrExists = errors.New("already exists")
	// ErrConfigDefined is returned when chat tries to remove what the config file defines.
	ErrConfigDefined = errors.New("defined in the config file")
)

// ItemFilter narrows ScanItems.
type ItemFilter struct {
	Since time.Time // items first seen at or after this; zero = any
	Feed  string    // only this feed; "" = any
	// Words are folded words (lower case, no accents) that every candidate must
	// contain, as words or word prefixes when Prefix is set for that index. They
	// only narrow the candidates through the full-text index; the caller's query
	// evaluator decides. Empty = no narrowing.
	Words []Word
}

// Word is one full-text term of an ItemFilter.
type Word struct {
	Text   string
	Prefix bool
}

// Store is what feedwatch keeps. Every method is safe for concurrent use.
type Store interface {
	Registry

	Close() error
	// Ping checks that storage answers (for /healthz).
	Ping(ctx context.Context) error

	// SyncFeeds makes the config feeds exactly feeds: new ones are added,
	// changed ones updated, config feeds no longer listed removed. Feeds added
	// from chat are kept.
	SyncFeeds(ctx context.Context, feeds []news.Feed) error
	// AddFeed adds a feed (from chat); an existing name is an error.
	AddFeed(ctx context.Context, f news.Feed) error
	// RemoveFeed removes a feed added from chat; config feeds are refused.
	RemoveFeed(ctx context.Context, name string) error
	// Feeds lists every feed, config and chat, by name.
	Feeds(ctx context.Context) ([]news.Feed, error)
	// FeedState returns the state of a feed (zero state with Feed set if none).
	FeedState(ctx context.Context, feed string) (news.FeedState, error)
	// SaveFeedState stores the state of a feed (Items is ignored).
	SaveFeedState(ctx context.Context, st news.FeedState) error
	// FeedStates lists the state of every feed, with Items filled in.
	FeedStates(ctx context.Context) ([]news.FeedState, error)

	// InsertItems stores items of one feed in one transaction and returns those
	// that were new (by feed and GUID), with ID set, in the order given. New
	// items start unrouted.
	InsertItems(ctx context.Context, feed string, items []news.Item) ([]news.Item, error)
	// UnroutedItems returns up to limit items not yet routed, oldest ID first.
	UnroutedItems(ctx context.Context, limit int) ([]news.Item, error)
	// ScanItems calls fn with items matching f, newest first (by Published,
	// then ID), until fn returns false or items run out.
	ScanItems(ctx context.Context, f ItemFilter, fn func(news.Item) bool) error
	// CountItems counts stored items.
	CountItems(ctx context.Context) (int, error)

	// Update runs fn in one write transaction: everything fn does through tx
	// commits together or not at all.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// OutboxChannels lists the channels that have unsent messages.
	OutboxChannels(ctx context.Context) ([]string, error)
	// NextOutbox returns the oldest unsent message of a channel, if any.
	NextOutbox(ctx context.Context, channel string) (news.OutboxMessage, bool, error)
	// MarkSent records a message as sent.
	MarkSent(ctx context.Context, id int64, at time.Time) error
	// MarkRetry records a failed attempt and when to try again.
	MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error
	// MarkFailed records a permanent failure: the message is kept but no longer sent.
	MarkFailed(ctx context.Context, id int64, at time.Time, errMsg string) error
	// OutboxDepth counts unsent messages.
	OutboxDepth(ctx context.Context) (int, error)

	// CountMatches counts matches of a topic recorded at or after since.
	CountMatches(ctx context.Context, topic string, since time.Time) (int, error)
	// GetMeta reads a small named value.
	GetMeta(ctx context.Context, key string) (string, bool, error)
	// SetMeta writes a small named value.
	SetMeta(ctx context.Context, key, value string) error
}

// Tx is a write transaction (see Store.Update).
type Tx interface {
	// MarkRouted marks items as routed: they will not be returned by UnroutedItems again.
	MarkRouted(ids ...int64) error
	// AddMatch records that an item matched a topic (for statistics and lookups).
	AddMatch(itemID int64, topic string, at time.Time) error
	// Deliver records that a story was delivered (or queued) to a channel for a
	// topic; it returns false, and changes nothing, when it already was.
	Deliver(channel, topic, storyKey string, itemID int64, at time.Time) (bool, error)
	// AddPending adds an item to a digest subscription's pending set.
	AddPending(sub, topic string, itemID int64, at time.Time) error
	// Pending lists a digest subscription's pending items, oldest first.
	Pending(sub string) ([]news.Pending, error)
	// ClearPending removes pending rows by their IDs.
	ClearPending(ids ...int64) error
	// Enqueue adds messages to the outbox, in order. A message whose Key is set
	// and already present is skipped.
	Enqueue(msgs ...news.OutboxMessage) error
	// GetMeta reads a small named value.
	GetMeta(key string) (string, bool, error)
	// SetMeta writes a small named value.
	SetMeta(key, value string) error
}
