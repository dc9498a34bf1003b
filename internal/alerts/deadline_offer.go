package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// An offer proposes to track a deadline found in the news: a message with a
// button (Slack, Discord) and the equivalent `deadline add` command. Its
// details are kept in storage under its ID, because a button carries only a
// short id (Discord's custom_id holds 100 characters).

// Offer is a deadline found in an item, proposed for tracking in a channel.
type Offer struct {
	ID      string    `json:"id"`
	Channel string    `json:"channel"`
	Topic   string    `json:"topic"`
	Name    string    `json:"name"` // the deadline name it would get
	Title   string    `json:"title"`
	Due     time.Time `json:"due"`
	Query   string    `json:"query"` // the topic's: items that concern it
	Item    string    `json:"item"`  // the headline it was found in
	URL     string    `json:"url,omitempty"`
}

// offerActionPrefix starts the action id (Slack action_id, Discord
// custom_id) of an offer's button.
const offerActionPrefix = "feedwatch:offer:"

// OfferAction is the action id of the button that accepts offer id.
func OfferAction(id string) string { return offerActionPrefix + id }

// ParseOfferAction returns the offer id of a button's action id (Slack
// block_actions action_id or value, Discord component custom_id).
func ParseOfferAction(action string) (id string, ok bool) {
	id, ok = strings.CutPrefix(action, offerActionPrefix)
	return id, ok && id != ""
}

// offerKeyPrefix starts the outbox key of an offer message.
const offerKeyPrefix = "offer:"

// OfferOf returns the offer id a queued message proposes, if it is an
// offer: chat renders the button from it.
func OfferOf(m news.OutboxMessage) (id string, ok bool) {
	id, ok = strings.CutPrefix(m.Key, offerKeyPrefix)
	return id, ok && id != ""
}

// offerMetaKey is where an offer's details are kept.
func offerMetaKey(id string) string { return "offer." + id }

// offerID names the offer of date to a channel for a topic; the same
// finding always gets the same id.
func offerID(channel, topic string, date Date) string {
	sum := sha256.Sum256([]byte(channel + "\x00" + topic + "\x00" + date.String()))
	return hex.EncodeToString(sum[:6])
}

// MetaGetter reads small named values; store.Store satisfies it.
type MetaGetter interface {
	GetMeta(ctx context.Context, key string) (string, bool, error)
}

// LoadOffer reads an offer by id (from a button press); ok is false when
// there is none.
func LoadOffer(ctx context.Context, st MetaGetter, id string) (Offer, bool, error) {
	v, ok, err := st.GetMeta(ctx, offerMetaKey(id))
	if err != nil || !ok {
		return Offer{}, false, err
	}
	var o Offer
	if err := json.Unmarshal([]byte(v), &o); err != nil {
		return Offer{}, false, fmt.Errorf("offer %s: %w", id, err)
	}
	return o, true, nil
}

// Deadline is the deadline accepting the offer tracks: posted to the
// channel it was offered in, with the given reminders, tracked from now.
func (o Offer) Deadline(remind []time.Duration, now time.Time) news.Deadline {
	return news.Deadline{
		Name: o.Name, Title: o.Title, Due: o.Due, Query: o.Query,
		Remind:    append([]time.Duration(nil), remind...),
		Channels:  []string{o.Channel},
		Countdown: news.CountdownPosts,
		Source:    news.SourceChat,
		Created:   now,
	}
}

// maxOfferTitle bounds the title taken from a headline, in runes.
const maxOfferTitle = 120

// newOffer builds the offer of a date found in an item matched for topic.
func newOffer(channel string, topic news.Topic, it news.Item, f FoundDate, loc *time.Location) Offer {
	title := strings.TrimSpace(it.Title)
	if utf8.RuneCountInString(title) > maxOfferTitle {
		title = string([]rune(title)[:maxOfferTitle-1]) + "…"
	}
	if title == "" {
		title = topic.Name + " deadline"
	}
	return Offer{
		ID: offerID(channel, topic.Name, f.Date), Channel: channel, Topic: topic.Name,
		Name: topic.Name + "-" + f.Date.String(), Title: title, Due: f.Due(loc),
		Query: topic.Query, Item: it.Title, URL: it.Link,
	}
}

// OfferMessage is the message proposing o: the item that names the date,
// with the date's note, and how to accept without a button.
func OfferMessage(o Offer, f FoundDate, it news.Item, now time.Time, loc *time.Location) news.Message {
	e := entryOf(it, 1)
	e.Notes = []string{f.Note()}
	return news.Message{
		Kind:  news.KindNotice,
		Title: "Track this deadline? " + o.Due.In(locOrUTC(loc)).Format("Mon 2 Jan 2006"),
		Intro: fmt.Sprintf("A story in %s names a deadline: %s (%s). Track it to get reminders here.",
			o.Topic, FormatDue(o.Due, loc), Countdown(now, o.Due)),
		Sections: []news.Section{{Topic: o.Topic, Title: o.Topic, Entries: []news.Entry{e}}},
		Footer: fmt.Sprintf("Press “Track deadline”, or: deadline add %s %s %s",
			o.Name, o.Due.In(locOrUTC(loc)).Format("2006-01-02T15:04"), o.Title),
	}
}

// MovedMessage tells a deadline's channels that an item names a new date
// for it.
func MovedMessage(d news.Deadline, f FoundDate, it news.Item, now time.Time, loc *time.Location) news.Message {
	e := entryOf(it, 1)
	e.Notes = []string{f.Note()}
	due := f.Due(loc)
	footer := "If it has, change due: in the config file."
	if d.Source == news.SourceChat {
		footer = fmt.Sprintf("If it has: deadline remove %s, then deadline add %s %s %s",
			d.Name, d.Name, due.In(locOrUTC(loc)).Format("2006-01-02T15:04"), d.Title)
	}
	return news.Message{
		Kind:  news.KindNotice,
		Title: "Deadline may have moved: " + d.Title,
		Intro: fmt.Sprintf("The deadline may have moved to %s (tracked: %s, %s). The story:",
			due.In(locOrUTC(loc)).Format("Mon 2 Jan 2006"), FormatDue(d.Due, loc), Countdown(now, d.Due)),
		Sections: []news.Section{{Title: "Related news", Entries: []news.Entry{e}}},
		Footer:   footer,
	}
}

// Deadline returns a tracked deadline by name.
func (r *Rules) Deadline(name string) (news.Deadline, bool) {
	for _, d := range r.deadlines {
		if d.Name == name {
			return d, true
		}
	}
	return news.Deadline{}, false
}

// tracksDate reports whether a tracked deadline falls on date (in loc):
// such a date is not offered again.
func (r *Rules) tracksDate(date Date, loc *time.Location) bool {
	for _, d := range r.deadlines {
		if DateOf(d.Due, loc) == date {
			return true
		}
	}
	return false
}

// maxDateNotes bounds the deadline notes one alert entry carries.
const maxDateNotes = 3

// datesOf finds the deadlines an item's title and summary name, resolved
// against its publication date in the configured zone.
func (r *Router) datesOf(it news.Item) []FoundDate {
	pub := it.Published
	if pub.IsZero() {
		pub = it.FirstSeen
	}
	return FindDeadlines(it.Title+"\n"+it.Summary, pub, r.loc())
}

// itemNotes are the lines an alert entry carries about deadlines: each date
// the item names ("Deadline mentioned: 2025-09-02 (the text says Monday; it
// is a Tuesday)") and each tracked deadline it concerns, with its countdown.
func (r *Router) itemNotes(rules *Rules, dates []FoundDate, deadlines []string, now time.Time) []string {
	var out []string
	for _, f := range dates {
		if len(out) == maxDateNotes {
			return out
		}
		out = append(out, f.Note())
	}
	for _, name := range deadlines {
		if len(out) == maxDateNotes {
			return out
		}
		if d, ok := rules.Deadline(name); ok {
			out = append(out, fmt.Sprintf("Tracked deadline: %s, due %s (%s)", d.Title, FormatDue(d.Due, r.loc()), Countdown(now, d.Due)))
		}
	}
	return out
}

// offers proposes for tracking the dates an item delivered to a channel
// names: future ones, not already tracked, each date once per channel and
// topic (the delivery mark under "offer:CHANNEL" is the once-only record).
func (r *Router) offers(tx store.Tx, rules *Rules, channel, topic string, it news.Item, dates []FoundDate, now time.Time) ([]news.OutboxMessage, error) {
	var out []news.OutboxMessage
	t, _, ok := rules.Topic(topic)
	if !ok {
		return nil, nil
	}
	loc := r.loc()
	for _, f := range dates {
		if !f.Due(loc).After(now) || rules.tracksDate(f.Date, loc) {
			continue
		}
		fresh, err := tx.Deliver("offer:"+channel, topic, "date:"+f.Date.String(), it.ID, now)
		if err != nil || !fresh {
			if err != nil {
				return nil, fmt.Errorf("offer: %w", err)
			}
			continue
		}
		o := newOffer(channel, t, it, f, loc)
		data, err := json.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("offer %s: %w", o.ID, err)
		}
		if err := tx.SetMeta(offerMetaKey(o.ID), string(data)); err != nil {
			return nil, fmt.Errorf("offer %s: %w", o.ID, err)
		}
		out = append(out, news.OutboxMessage{Channel: channel, Key: offerKeyPrefix + o.ID,
			Message: OfferMessage(o, f, it, now, loc), Created: now, NextAttempt: now})
	}
	return out, nil
}

// movedNotices tells a tracked deadline's channels when a related item
// names a new date for it ("extended to", "postponed until", "new
// deadline"), once per new date: the delivery mark under "moved:NAME" is
// the once-only record.
func (r *Router) movedNotices(tx store.Tx, rules *Rules, name string, it news.Item, dates []FoundDate, now time.Time) ([]news.OutboxMessage, error) {
	d, ok := rules.Deadline(name)
	if !ok {
		return nil, nil
	}
	loc := r.loc()
	var out []news.OutboxMessage
	for _, f := range dates {
		if !f.Moved || f.Date == DateOf(d.Due, loc) || f.Due(loc).Before(now) {
			continue
		}
		fresh, err := tx.Deliver("moved:"+d.Name, DeadlineKey(d.Name), "date:"+f.Date.String(), it.ID, now)
		if err != nil {
			return nil, fmt.Errorf("moved deadline %s: %w", d.Name, err)
		}
		if !fresh {
			continue
		}
		r.log.Info("deadline may have moved", "deadline", d.Name, "date", f.Date.String(), "item", it.ID)
		msg := MovedMessage(d, f, it, now, loc)
		for _, ch := range d.Channels {
			for _, p := range r.split(ch, msg) {
				out = append(out, news.OutboxMessage{Channel: ch, Message: p, Created: now, NextAttempt: now})
			}
		}
	}
	return out, nil
}
