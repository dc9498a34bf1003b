package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// Splitter cuts a message into parts that fit the platform of a channel.
type Splitter func(channel string, m news.Message) []news.Message

// Hooks receive counts for metrics; any may be nil.
type Hooks struct {
	Matched  func(topic string, n int)
	Enqueued func(channel string, n int)
}

// Router routes new items to subscriptions through the outbox.
type Router struct {
	store  store.Store
	split  Splitter
	maxAge func(feed string) time.Duration
	now    func() time.Time
	log    *slog.Logger
	hooks  Hooks
	rules  atomic.Pointer[Rules]
	mu     sync.Mutex // one routing pass at a time: passes read unrouted items
	batch  int

	location *time.Location
	registry MuteLister

	// Deadline reminders (deadline.go): when each config deadline began to
	// be tracked, and the reminders this process already queued.
	remMu       sync.Mutex
	tracked     map[string]time.Time
	remindedSet map[string]struct{}

	// changed is closed and replaced by SetRules, waking those waiting on
	// RulesChanged (the reminder loop, whose next wake-up may move).
	changedMu sync.Mutex
	changed   chan struct{}
}

// MuteLister lists the mutes in force.
type MuteLister interface {
	Mutes(ctx context.Context, now time.Time) ([]news.Mute, error)
}

// RouterOptions configure a Router.
type RouterOptions struct {
	Store  store.Store
	Rules  *Rules
	Split  Splitter
	MaxAge func(feed string) time.Duration // nil = no limit
	Now    func() time.Time                // nil = time.Now
	Logger *slog.Logger
	Hooks  Hooks
	Batch  int // items per transaction; 0 = 500
	// Location is the zone times are shown in; nil = UTC.
	Location *time.Location
	// Mutes lists the mutes in force; nil = nothing is ever muted.
	Mutes MuteLister
}

// NewRouter returns a Router.
func NewRouter(o RouterOptions) *Router {
	r := &Router{store: o.Store, split: o.Split, maxAge: o.MaxAge, now: o.Now, log: o.Logger, hooks: o.Hooks, batch: o.Batch, location: o.Location, registry: o.Mutes,
		tracked: map[string]time.Time{}, remindedSet: map[string]struct{}{}, changed: make(chan struct{})}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.maxAge == nil {
		r.maxAge = func(string) time.Duration { return 0 }
	}
	if r.split == nil {
		r.split = func(_ string, m news.Message) []news.Message { return []news.Message{m} }
	}
	if r.batch <= 0 {
		r.batch = 500
	}
	r.rules.Store(o.Rules)
	return r
}

// Rules returns the rules in force.
func (r *Router) Rules() *Rules { return r.rules.Load() }

// Wants reports whether the rules in force match an item, by a topic or a
// deadline. The poller asks it of every item before storing it
// (feeds.PollerOptions.Watched): the items no rule wants are stored already
// routed, which is exactly what RouteNew would have done with them, only
// without reading them back. Safe for concurrent use.
func (r *Router) Wants(it news.Item) bool {
	rules := r.rules.Load()
	if rules == nil {
		return true
	}
	return rules.Wants(it)
}

// SetRules replaces the rules in force (topics or deadlines changed) and
// wakes whoever waits on RulesChanged.
func (r *Router) SetRules(rules *Rules) {
	r.rules.Store(rules)
	r.changedMu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.changedMu.Unlock()
}

// RulesChanged returns a channel closed at the next SetRules.
func (r *Router) RulesChanged() <-chan struct{} {
	r.changedMu.Lock()
	defer r.changedMu.Unlock()
	return r.changed
}

// RouteNew matches every unrouted item and queues what it finds: instant
// alerts into the outbox, digest matches into their pending sets. Each batch
// is one transaction that also marks its items routed, so a crash repeats or
// loses nothing. It returns how many messages were queued.
func (r *Router) RouteNew(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for {
		items, err := r.store.UnroutedItems(ctx, r.batch)
		if err != nil {
			return total, fmt.Errorf("route: %w", err)
		}
		if len(items) == 0 {
			return total, nil
		}
		n, err := r.routeBatch(ctx, items)
		if err != nil {
			return total, err
		}
		total += n
		if len(items) < r.batch {
			return total, nil
		}
	}
}

// alertBatch collects one channel's instant alerts of a pass, by topic.
type alertBatch map[string][]news.Item

func (r *Router) routeBatch(ctx context.Context, items []news.Item) (int, error) {
	rules := r.rules.Load()
	now := r.now()
	type matched struct {
		item news.Item
		Matched
		dates []FoundDate // deadlines the item names
	}
	var found []matched
	var buf []int
	counts := map[string]int{}
	notes := map[int64][]string{}
	for _, it := range items {
		m, idx := rules.Match(it, buf)
		buf = idx
		if len(m.Topics)+len(m.Deadlines) > 0 {
			mm := matched{item: it, Matched: m, dates: r.datesOf(it)}
			found = append(found, mm)
			notes[it.ID] = r.itemNotes(rules, mm.dates, m.Deadlines, now)
			for _, n := range m.Topics {
				counts[n]++
			}
		}
	}
	muted, err := r.mutes(ctx, now)
	if err != nil {
		return 0, err
	}
	queued := 0
	perChannel := map[string]int{}
	err = r.store.Update(ctx, func(tx store.Tx) error {
		queued = 0
		clear(perChannel)
		alerts := map[string]alertBatch{}
		offers := map[string][]news.OutboxMessage{}
		var notices []news.OutboxMessage
		for _, m := range found {
			tooOld := r.tooOld(m.item)
			for _, d := range m.Deadlines {
				if err := tx.AddMatch(m.item.ID, DeadlineKey(d), now); err != nil {
					return err
				}
				if tooOld {
					continue
				}
				moved, err := r.movedNotices(tx, rules, d, m.item, m.dates, now)
				if err != nil {
					return err
				}
				notices = append(notices, moved...)
			}
			for _, topic := range m.Topics {
				if err := tx.AddMatch(m.item.ID, topic, now); err != nil {
					return err
				}
				if tooOld {
					continue
				}
				for _, sub := range rules.subs {
					if !sub.Wants(topic) || muted[muteKey{sub.Channel, topic}] {
						continue
					}
					switch sub.Mode {
					case news.ModeDigest:
						if err := tx.AddPending(sub.Key(), topic, m.item.ID, now); err != nil {
							return err
						}
					default:
						fresh, err := tx.Deliver(sub.Channel, topic, m.item.StoryKey(), m.item.ID, now)
						if err != nil {
							return err
						}
						if !fresh {
							continue
						}
						if alerts[sub.Channel] == nil {
							alerts[sub.Channel] = alertBatch{}
						}
						alerts[sub.Channel][topic] = append(alerts[sub.Channel][topic], m.item)
						o, err := r.offers(tx, rules, sub.Channel, topic, m.item, m.dates, now)
						if err != nil {
							return err
						}
						offers[sub.Channel] = append(offers[sub.Channel], o...)
					}
				}
			}
		}
		channels := make([]string, 0, len(alerts))
		for ch := range alerts {
			channels = append(channels, ch)
		}
		sort.Strings(channels)
		for _, ch := range channels {
			msg := alertMessage(rules, alerts[ch], notes)
			parts := r.split(ch, msg)
			out := make([]news.OutboxMessage, 0, len(parts))
			for _, p := range parts {
				out = append(out, news.OutboxMessage{Channel: ch, Message: p, Created: now, NextAttempt: now})
			}
			// A channel's offers follow its alert, which shows the items.
			out = append(out, offers[ch]...)
			if err := tx.Enqueue(out...); err != nil {
				return err
			}
			queued += len(out)
			perChannel[ch] += len(out)
		}
		if err := tx.Enqueue(notices...); err != nil {
			return err
		}
		for _, n := range notices {
			queued++
			perChannel[n.Channel]++
		}
		ids := make([]int64, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		return tx.MarkRouted(ids...)
	})
	if err != nil {
		return 0, fmt.Errorf("route %d items: %w", len(items), err)
	}
	if r.hooks.Matched != nil {
		for t, n := range counts {
			r.hooks.Matched(t, n)
		}
	}
	if r.hooks.Enqueued != nil {
		for ch, n := range perChannel {
			r.hooks.Enqueued(ch, n)
		}
	}
	if queued > 0 || len(found) > 0 {
		r.log.Info("routed items", "items", len(items), "matched", len(found), "messages", queued)
	}
	return queued, nil
}

type muteKey struct{ channel, topic string }

// mutes returns the (channel, topic) pairs silenced at now.
func (r *Router) mutes(ctx context.Context, now time.Time) (map[muteKey]bool, error) {
	if r.registry == nil {
		return nil, nil
	}
	ms, err := r.registry.Mutes(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("route: mutes: %w", err)
	}
	out := make(map[muteKey]bool, len(ms))
	for _, m := range ms {
		out[muteKey{m.Channel, m.Topic}] = true
	}
	return out, nil
}

// tooOld reports whether an item was first seen longer than its feed's
// max_age after publication: stored and searchable, never alerted.
func (r *Router) tooOld(it news.Item) bool {
	max := r.maxAge(it.Feed)
	return max > 0 && it.FirstSeen.Sub(it.Published) > max
}

// AlertMessage builds one instant-alert message for a channel from the items
// each topic matched, sections in topic order, newest item first.
func AlertMessage(rules *Rules, byTopic map[string][]news.Item) news.Message {
	return alertMessage(rules, byTopic, nil)
}

// alertMessage is AlertMessage with bot-written notes per item ID: the
// deadlines an item names or concerns.
func alertMessage(rules *Rules, byTopic map[string][]news.Item, notes map[int64][]string) news.Message {
	topics := make([]string, 0, len(byTopic))
	n := 0
	for t, its := range byTopic {
		topics = append(topics, t)
		n += len(its)
	}
	sortTopics(rules, topics)
	msg := news.Message{Kind: news.KindAlert}
	if len(topics) == 1 {
		msg.Title = fmt.Sprintf("%s: %s", topics[0], plural(n, "new item", "new items"))
	} else {
		msg.Title = fmt.Sprintf("%s in %d topics", plural(n, "new item", "new items"), len(topics))
	}
	for _, t := range topics {
		its := append([]news.Item(nil), byTopic[t]...)
		sortNewest(its)
		sec := news.Section{Topic: t, Title: t}
		for _, it := range its {
			e := entryOf(it, 1)
			e.Notes = notes[it.ID]
			sec.Entries = append(sec.Entries, e)
		}
		msg.Sections = append(msg.Sections, sec)
	}
	return msg
}

func entryOf(it news.Item, sources int) news.Entry {
	return news.Entry{Title: it.Title, URL: it.Link, Feed: it.Feed, Published: it.Published, Sources: sources}
}

func sortTopics(rules *Rules, topics []string) {
	sort.SliceStable(topics, func(i, j int) bool {
		oi, iok := rules.order[topics[i]]
		oj, jok := rules.order[topics[j]]
		switch {
		case iok && jok:
			return oi < oj
		case iok != jok:
			return iok
		default:
			return topics[i] < topics[j]
		}
	})
}

func sortNewest(its []news.Item) {
	sort.SliceStable(its, func(i, j int) bool {
		if !its[i].Published.Equal(its[j].Published) {
			return its[i].Published.After(its[j].Published)
		}
		return its[i].ID > its[j].ID
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
