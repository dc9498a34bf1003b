package store

import (
	"context"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Registry keeps what people add from chat: topics, mutes and deadlines.
// What the config file names is not kept here and cannot be removed from chat.
type Registry interface {
	// AddTopic adds a topic (from chat); an existing name is an error.
	AddTopic(ctx context.Context, t news.Topic) error
	// RemoveTopic removes a topic added from chat; ErrNotFound if none.
	RemoveTopic(ctx context.Context, name string) error
	// Topics lists the topics added from chat, by name.
	Topics(ctx context.Context) ([]news.Topic, error)

	// Mute silences a topic in a channel until a time (replacing any mute).
	Mute(ctx context.Context, m news.Mute) error
	// Unmute lifts a mute; ErrNotFound if none.
	Unmute(ctx context.Context, channel, topic string) error
	// Mutes lists the mutes still in force at now.
	Mutes(ctx context.Context, now time.Time) ([]news.Mute, error)

	// AddDeadline tracks a deadline (from chat); an existing name is an error.
	AddDeadline(ctx context.Context, d news.Deadline) error
	// RemoveDeadline stops tracking a deadline added from chat; ErrNotFound if none.
	RemoveDeadline(ctx context.Context, name string) error
	// Deadlines lists the deadlines added from chat, by name.
	Deadlines(ctx context.Context) ([]news.Deadline, error)

	// NewestMatch returns the newest item (by publication) that matched a
	// topic (or a deadline's "deadline:NAME" key), if any.
	NewestMatch(ctx context.Context, topic string) (news.Item, bool, error)
}
