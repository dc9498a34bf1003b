// Package news holds the plain domain types that every other package shares:
// feeds, items, topics, subscriptions and the platform-neutral messages that go
// through the outbox. It imports nothing of the project so that feeds, alerts,
// chat and store can all depend on it without cycles.
package news

import (
	"strings"
	"time"
)

// Source says where a feed, topic or deadline was defined. What the config file
// names cannot be removed from chat.
type Source string

// The sources of definitions.
const (
	SourceConfig Source = "config"
	SourceChat   Source = "chat"
)

// Feed is a source of items to poll.
type Feed struct {
	Name     string
	URL      string
	Schedule string        // cron spec; already defaulted by the caller
	MaxAge   time.Duration // items first seen later than this after publication are never alerted; 0 = no limit
	Source   Source
}

// Item is one normalized feed entry. All text fields are plain UTF-8 text with
// HTML removed; they are untrusted and must be escaped before going to chat.
type Item struct {
	ID         int64 // assigned by the store
	Feed       string
	GUID       string // identity within the feed: the GUID, else the canonical link, else a hash
	Link       string // canonical http(s) link, "" when the item has none (or an unsafe one)
	Title      string
	Summary    string // summary or content, HTML removed, capped in length
	Categories []string
	Author     string
	Published  time.Time // from the feed, else FirstSeen
	FirstSeen  time.Time // when the poller first stored it
	// Routed, set on an item about to be stored, stores it as already
	// routed: the poller found that no topic or deadline wants it
	// (feeds.PollerOptions.Watched), so the router need not read it back.
	// Stores never set it on the items they return.
	Routed bool
}

// StoryKey identifies the story an item tells across feeds: its canonical link
// when it has one, else its feed and GUID. An item is alerted at most once per
// channel, topic and story key.
func (it Item) StoryKey() string {
	if it.Link != "" {
		return "link:" + it.Link
	}
	return "guid:" + it.Feed + "\x00" + it.GUID
}

// FeedState is the health and conditional-request state of a feed.
type FeedState struct {
	Feed         string
	ETag         string
	LastModified string
	LastPoll     time.Time // last attempt
	LastSuccess  time.Time
	LastError    time.Time
	LastErrorMsg string
	Failures     int       // consecutive failed polls
	NextPoll     time.Time // not before this (backoff, Retry-After); zero = whenever scheduled
	Items        int       // stored items of this feed; filled by the store on read
}

// Topic is a watched query.
type Topic struct {
	Name    string
	Query   string
	Source  Source
	Channel string // for topics added from chat: the channel they were added in
}

// Mode is how a subscription delivers.
type Mode string

// Subscription modes.
const (
	ModeInstant Mode = "instant"
	ModeDigest  Mode = "digest"
)

// Subscription routes matches of some topics to a channel.
type Subscription struct {
	Channel  string
	Topics   []string // empty = all topics
	Mode     Mode
	Schedule string // digest only
}

// Key identifies the subscription across restarts (its pending digest items
// are stored under it). It depends on what the subscription is, not on where it
// stands in the config file.
func (s Subscription) Key() string {
	t := "*"
	if len(s.Topics) > 0 {
		t = strings.Join(s.Topics, ",")
	}
	return s.Channel + "|" + string(s.Mode) + "|" + t
}

// Wants reports whether the subscription covers topic.
func (s Subscription) Wants(topic string) bool {
	if len(s.Topics) == 0 {
		return true
	}
	for _, t := range s.Topics {
		if t == topic {
			return true
		}
	}
	return false
}

// Kind is what a chat message is.
type Kind string

// Message kinds.
const (
	KindAlert    Kind = "alert"
	KindDigest   Kind = "digest"
	KindReminder Kind = "reminder"
	KindNotice   Kind = "notice"
	KindReply    Kind = "reply"
)

// Message is a platform-neutral chat message. Bot-written fields (Title, Intro,
// Section.Title, Entry.Notes, Footer) are trusted text; Entry.Title, Entry.URL
// and Entry.Feed come from feeds and are escaped by the renderer.
type Message struct {
	Kind     Kind      `json:"kind"`
	Title    string    `json:"title,omitempty"`
	Intro    string    `json:"intro,omitempty"`
	Sections []Section `json:"sections,omitempty"`
	Footer   string    `json:"footer,omitempty"`
	Part     int       `json:"part,omitempty"`  // 1-based part number when a message was split
	Parts    int       `json:"parts,omitempty"` // number of parts when split
	// Ping names who this message may ping (deadline reminders near due).
	// Set by the bot only, never from feed text; nil = nobody.
	Ping *Ping `json:"ping,omitempty"`
}

// Ping is who a message pings, per platform.
type Ping struct {
	Slack   []string `json:"slack,omitempty"`   // Slack user (U…/W…) or user-group (S…) ids
	Discord []string `json:"discord,omitempty"` // Discord user or role ids
}

// Section is a group of entries, normally one topic.
type Section struct {
	Topic   string  `json:"topic,omitempty"`
	Title   string  `json:"title,omitempty"`
	Entries []Entry `json:"entries,omitempty"`
}

// Entry is one item (or one story carried by several feeds) in a message.
type Entry struct {
	Title     string    `json:"title"`
	URL       string    `json:"url,omitempty"`
	Feed      string    `json:"feed,omitempty"`
	Published time.Time `json:"published,omitempty"`
	Sources   int       `json:"sources,omitempty"` // feeds that carried the story; 0 or 1 = one
	Summary   string    `json:"summary,omitempty"` // untrusted, optional
	Notes     []string  `json:"notes,omitempty"`   // bot-written lines, e.g. a deadline mentioned
}

// OutboxMessage is a message waiting in storage to be sent to a channel.
type OutboxMessage struct {
	ID          int64
	Channel     string // channel name from the config
	Key         string // optional unique key: a second enqueue with the same key is ignored
	Message     Message
	Created     time.Time
	Attempts    int
	NextAttempt time.Time
	LastError   string
}

// Pending is an item waiting in a digest subscription.
type Pending struct {
	ID    int64 // the pending row
	Topic string
	Item  Item
}

// Mute silences a topic in a channel until a time.
type Mute struct {
	Channel string
	Topic   string
	Until   time.Time
}

// Countdown styles of a deadline.
const (
	CountdownPosts  = "posts"  // a message per reminder
	CountdownPinned = "pinned" // one message per channel, edited in place
)

// Deadline is a tracked date: reminders before it, and the news that concerns it.
type Deadline struct {
	Name      string
	Title     string
	Due       time.Time
	Query     string          // items that concern it
	Remind    []time.Duration // before Due, longest first; 0 = at Due
	Channels  []string
	Countdown string // CountdownPosts or CountdownPinned
	Mention   Mention
	Source    Source
	Created   time.Time // when it started being tracked
}

// Mention says whom a deadline's reminders ping, and how close to due.
type Mention struct {
	Within  time.Duration // ping only in reminders at most this long before due; 0 with Set false = always
	Set     bool          // Within was given
	Slack   []string      // Slack user or user-group ids
	Discord []string      // Discord user or role ids
}
