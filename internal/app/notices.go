package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// Notices to the admins (config `notices: CHANNEL`): what needs a human,
// said once, through the outbox like every other message, so that a notice
// survives restarts and chat outages and is never doubled.
const (
	// FeedFailureNotice is how many polls of a feed must fail in a row
	// before the admins are told: a failure or two is the internet being
	// the internet; five in a row, with backoff between them, is a quarter
	// of an hour of failures at the very least (1+2+4+8 minutes), more on
	// a slower schedule, and worth a look.
	FeedFailureNotice = 5
	// noticeTimeout bounds the storage work of one notice. The poller's and
	// dispatcher's hooks carry no context, and a notice must not hold a poll
	// or a send for long when storage is slow.
	noticeTimeout = 10 * time.Second
)

// Keys of the notices' state in storage (store meta) and in the outbox.
const (
	feedNoticeMeta    = "notice.feed."    // + feed: feedOutage JSON
	channelNoticeMeta = "notice.channel." // + channel: start of the refusal, RFC 3339
)

// feedOutage is what is kept of a feed's current outage: when it began (its
// first failed poll) and whether the admins were told. It names the outage
// in the outbox keys, so that each outage gets one notice and one recovery
// notice, even across restarts and concurrent polls.
type feedOutage struct {
	Since   time.Time `json:"since"`
	Noticed bool      `json:"noticed"`
}

// noticeStore is the storage notices need.
type noticeStore interface {
	FeedState(ctx context.Context, feed string) (news.FeedState, error)
	FeedStates(ctx context.Context) ([]news.FeedState, error)
	GetMeta(ctx context.Context, key string) (string, bool, error)
	SetMeta(ctx context.Context, key, value string) error
	Update(ctx context.Context, fn func(tx store.Tx) error) error
}

// notices queues the admins' notices. A nil *notices (no notices channel)
// does nothing, so that the hooks need not check.
type notices struct {
	channel string // the notices channel
	store   noticeStore
	now     func() time.Time
	loc     *time.Location
	log     *slog.Logger
	split   func(channel string, m news.Message) []news.Message
	kick    func() // wakes the dispatcher once a notice is queued
	// lastError returns the last send error of a channel ("" if unknown).
	lastError func(channel string) string

	mu sync.Mutex
	// suspect are the feeds that may be in an outage: those that failed
	// since their last success seen, and at start every feed (a success
	// may have been saved just before a crash that kept its hook from
	// running). Only their successes cost a look at storage; most polls
	// succeed and cost nothing.
	suspect map[string]bool
	// refusing are the channels refusing messages, with when it began; a
	// success clears them.
	refusing map[string]time.Time
}

// noticesOptions configure newNotices.
type noticesOptions struct {
	Channel   string
	Channels  []string // every configured channel
	Store     noticeStore
	Now       func() time.Time
	Loc       *time.Location
	Logger    *slog.Logger
	Split     func(channel string, m news.Message) []news.Message
	Kick      func()
	LastError func(channel string) string
}

// newNotices returns the notices of o.Channel, nil when it is "". It reads
// which feeds have been polled and which channels were refusing messages
// before a restart, so that their recovery is noticed too.
func newNotices(ctx context.Context, o noticesOptions) (*notices, error) {
	if o.Channel == "" {
		return nil, nil
	}
	n := &notices{channel: o.Channel, store: o.Store, now: o.Now, loc: o.Loc, log: o.Logger, split: o.Split,
		kick: o.Kick, lastError: o.LastError, suspect: map[string]bool{}, refusing: map[string]time.Time{}}
	states, err := o.Store.FeedStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("notices: read feed states: %w", err)
	}
	for _, st := range states {
		n.suspect[st.Feed] = true
	}
	for _, ch := range o.Channels {
		v, ok, err := o.Store.GetMeta(ctx, channelNoticeMeta+ch)
		if err != nil {
			return nil, fmt.Errorf("notices: read channel %s: %w", ch, err)
		}
		if since, perr := time.Parse(time.RFC3339Nano, v); ok && perr == nil {
			n.refusing[ch] = since
		}
	}
	return n, nil
}

// feedPolled is the poller's hook: a failed poll may start an outage or
// make it worth a notice; a successful one may end an outage.
func (n *notices) feedPolled(feed string, pollErr error) {
	if n == nil {
		return
	}
	n.mu.Lock()
	wasSuspect := n.suspect[feed]
	if pollErr != nil {
		n.suspect[feed] = true
	} else {
		delete(n.suspect, feed)
	}
	n.mu.Unlock()
	if pollErr == nil && !wasSuspect {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), noticeTimeout)
	defer cancel()
	var err error
	if pollErr != nil {
		err = n.feedFailed(ctx, feed)
	} else {
		err = n.feedRecovered(ctx, feed)
	}
	if err != nil {
		n.log.Error("admin notice", "feed", feed, "err", err)
	}
}

// feedFailed records the start of an outage at its first failure and
// queues the notice once the feed has failed FeedFailureNotice polls in a
// row.
func (n *notices) feedFailed(ctx context.Context, feed string) error {
	st, err := n.store.FeedState(ctx, feed)
	if err != nil {
		return fmt.Errorf("read feed state: %w", err)
	}
	if st.Failures <= 0 {
		return nil // the failure was not recorded (storage trouble); nothing to go on
	}
	out, found, err := n.outage(ctx, feed)
	if err != nil {
		return err
	}
	if st.Failures == 1 || !found {
		// A new outage, begun with this failure. (Without a record of an
		// older one, begun before notices were configured, its start is not
		// known better than this failure.)
		out = feedOutage{Since: firstNonZero(st.LastError, n.now()).UTC()}
		if st.Failures < FeedFailureNotice {
			return n.saveOutage(ctx, feed, out)
		}
	}
	if out.Noticed || st.Failures < FeedFailureNotice {
		return nil
	}
	out.Noticed = true
	msg := news.Message{
		Kind:  news.KindNotice,
		Title: "Feed " + feed + " is failing",
		Intro: fmt.Sprintf("Its last %d polls failed, since %s. It is still polled, less and less often "+
			"(backoff up to 6 hours), and shows as failing in `feeds` and `status`. "+
			"Another notice will say when it works again.", st.Failures, n.when(out.Since)),
		Sections: []news.Section{{Title: "Failing feed", Entries: []news.Entry{{
			Title:   feed,
			Summary: "Last error: " + st.LastErrorMsg,
			Notes:   nextPollNote(st, n.when),
		}}}},
	}
	return n.queue(ctx, "feed-failing:"+feed+":"+stamp(out.Since), msg, func(tx store.Tx) error {
		return setOutage(tx, feed, out)
	})
}

// feedRecovered ends a feed's outage; if the admins were told of it, they
// are told it is over.
func (n *notices) feedRecovered(ctx context.Context, feed string) error {
	out, found, err := n.outage(ctx, feed)
	if err != nil || !found {
		return err
	}
	if !out.Noticed {
		return n.store.SetMeta(ctx, feedNoticeMeta+feed, "")
	}
	msg := news.Message{
		Kind:  news.KindNotice,
		Title: "Feed " + feed + " works again",
		Intro: fmt.Sprintf("It was polled successfully at %s, after failing since %s.", n.when(n.now()), n.when(out.Since)),
	}
	return n.queue(ctx, "feed-recovered:"+feed+":"+stamp(out.Since), msg, func(tx store.Tx) error {
		return tx.SetMeta(feedNoticeMeta+feed, "")
	})
}

// outage reads a feed's current outage.
func (n *notices) outage(ctx context.Context, feed string) (feedOutage, bool, error) {
	v, ok, err := n.store.GetMeta(ctx, feedNoticeMeta+feed)
	if err != nil {
		return feedOutage{}, false, fmt.Errorf("read outage: %w", err)
	}
	var out feedOutage
	if !ok || v == "" || json.Unmarshal([]byte(v), &out) != nil || out.Since.IsZero() {
		return feedOutage{}, false, nil
	}
	return out, true, nil
}

func (n *notices) saveOutage(ctx context.Context, feed string, out feedOutage) error {
	return n.store.Update(ctx, func(tx store.Tx) error { return setOutage(tx, feed, out) })
}

func setOutage(tx store.Tx, feed string, out feedOutage) error {
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode outage: %w", err)
	}
	return tx.SetMeta(feedNoticeMeta+feed, string(b))
}

// channelSent is the dispatcher's hook for a message sent: a channel that
// was refusing messages works again.
func (n *notices) channelSent(channel string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	_, refusing := n.refusing[channel]
	delete(n.refusing, channel)
	n.mu.Unlock()
	if !refusing {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), noticeTimeout)
	defer cancel()
	if err := n.store.SetMeta(ctx, channelNoticeMeta+channel, ""); err != nil {
		n.log.Error("admin notice", "channel", channel, "err", err)
	}
}

// channelFailed is the dispatcher's hook for a failed send. The first
// permanent failure of a channel that was working is worth a notice in the
// notices channel, unless that is the failing channel itself (it can only
// be logged).
func (n *notices) channelFailed(channel string, permanent bool) {
	if n == nil || !permanent {
		return
	}
	now := n.now().UTC()
	n.mu.Lock()
	_, already := n.refusing[channel]
	if !already {
		n.refusing[channel] = now
	}
	n.mu.Unlock()
	if already {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), noticeTimeout)
	defer cancel()
	if channel == n.channel {
		n.log.Error("the notices channel refuses messages; admin notices cannot be delivered", "channel", channel)
		if err := n.store.SetMeta(ctx, channelNoticeMeta+channel, stamp(now)); err != nil {
			n.log.Error("admin notice", "channel", channel, "err", err)
		}
		return
	}
	msg := news.Message{
		Kind:  news.KindNotice,
		Title: "Channel " + channel + " refuses messages",
		Intro: fmt.Sprintf("A message to %s was refused for good at %s and will not be sent again. "+
			"Later messages are still tried. Check the bot's token, the channel id and the bot's access to the channel.",
			channel, n.when(now)),
	}
	if e := n.lastError(channel); e != "" {
		msg.Sections = []news.Section{{Title: "Refusing channel", Entries: []news.Entry{{Title: channel, Summary: "Error: " + e}}}}
	}
	err := n.queue(ctx, "channel-failing:"+channel+":"+stamp(now), msg, func(tx store.Tx) error {
		return tx.SetMeta(channelNoticeMeta+channel, stamp(now))
	})
	if err != nil {
		n.log.Error("admin notice", "channel", channel, "err", err)
	}
}

// queue puts msg, split for the notices channel, in the outbox under key,
// in one transaction with record, and wakes the dispatcher.
func (n *notices) queue(ctx context.Context, key string, msg news.Message, record func(tx store.Tx) error) error {
	now := n.now()
	parts := n.split(n.channel, msg)
	out := make([]news.OutboxMessage, len(parts))
	for i, p := range parts {
		k := key
		if i > 0 {
			k += "#" + strconv.Itoa(i+1)
		}
		out[i] = news.OutboxMessage{Channel: n.channel, Key: k, Message: p, Created: now, NextAttempt: now}
	}
	err := n.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.Enqueue(out...); err != nil {
			return err
		}
		return record(tx)
	})
	if err != nil {
		return fmt.Errorf("queue notice %s: %w", key, err)
	}
	n.log.Info("admin notice queued", "channel", n.channel, "notice", msg.Title)
	if n.kick != nil {
		n.kick()
	}
	return nil
}

// when shows a time in the configured zone.
func (n *notices) when(t time.Time) string { return t.In(n.loc).Format("2 Jan 15:04 MST") }

// nextPollNote says when a failing feed is polled next, if it is known.
func nextPollNote(st news.FeedState, when func(time.Time) string) []string {
	if st.NextPoll.IsZero() {
		return nil
	}
	return []string{"not polled again before " + when(st.NextPoll)}
}

// stamp is a time as it goes into keys: UTC, to the nanosecond.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// buildNotices sets up the admin notices of the config's notices channel
// (none without one). It must run before the poller and the dispatcher,
// whose hooks report to it; the dispatcher it kicks and asks for errors is
// read only when a notice is queued, by which time it exists.
func (a *App) buildNotices(ctx context.Context) error {
	chans := make([]string, len(a.cfg.Channels))
	for i, ch := range a.cfg.Channels {
		chans[i] = ch.Name
	}
	n, err := newNotices(ctx, noticesOptions{
		Channel:  a.cfg.Notices,
		Channels: chans,
		Store:    a.store,
		Now:      a.now,
		Loc:      a.cfg.Location(),
		Logger:   a.log,
		Split:    a.split,
		Kick:     func() { a.dispatcher.Kick() },
		LastError: func(ch string) string {
			for _, h := range a.dispatcher.Health() {
				if h.Channel == ch {
					return h.LastErrMsg
				}
			}
			return ""
		},
	})
	if err != nil {
		return err
	}
	a.notices = n
	return nil
}
