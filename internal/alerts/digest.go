package alerts

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// sameStoryWindow is how far apart two nearly identical headlines may be
// published and still count as one story.
const sameStoryWindow = 24 * time.Hour

// Two headlines are one story when they share most of their folded words:
// at least sameTitleJaccard of all their words, or at least sameTitleOverlap
// of the shorter one's words (a headline that only adds an attribution, ",
// White House says") while still sharing sameTitleMinJaccard of all words.
const (
	sameTitleJaccard    = 0.8
	sameTitleOverlap    = 0.85
	sameTitleMinJaccard = 0.6
)

// LastDigestKey is the meta key under which the time of a subscription's
// last digest is kept.
func LastDigestKey(sub news.Subscription) string { return "digest.last." + sub.Key() }

// SendDigest queues the digest of one subscription: exactly the matches
// pending since its previous digest, none twice, none skipped. Reading the
// pending set, queueing the message and clearing the set are one transaction.
// An empty digest is not sent. It returns how many messages were queued.
func (r *Router) SendDigest(ctx context.Context, sub news.Subscription) (int, error) {
	rules := r.rules.Load()
	now := r.now()
	queued := 0
	// Read outside the write transaction (SQLite has one writer, and these
	// reads need no lock). A failure costs the digest its deadline lines,
	// not the digest.
	deadlines, err := r.deadlineLines(ctx, rules, now)
	if err != nil {
		r.log.Warn("digest: deadlines", "channel", sub.Channel, "err", err)
	}
	err = r.store.Update(ctx, func(tx store.Tx) error {
		queued = 0
		pending, err := tx.Pending(sub.Key())
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			return nil
		}
		ids := make([]int64, len(pending))
		for i, p := range pending {
			ids[i] = p.ID
		}
		since := ""
		if v, ok, err := tx.GetMeta(LastDigestKey(sub)); err != nil {
			return err
		} else if ok {
			since = v
		}
		// Dedup per subscription: a story already in an earlier digest of this
		// subscription (from another feed, say) is not repeated.
		dedup := "digest|" + sub.Key()
		byTopic := map[string][]news.Item{}
		for _, p := range pending {
			if !sub.Wants(p.Topic) {
				continue
			}
			byTopic[p.Topic] = append(byTopic[p.Topic], p.Item)
		}
		var sections []news.Section
		topics := make([]string, 0, len(byTopic))
		for t := range byTopic {
			topics = append(topics, t)
		}
		sortTopics(rules, topics)
		stories := 0
		for _, t := range topics {
			var entries []news.Entry
			for _, c := range Cluster(byTopic[t]) {
				fresh := false
				for _, it := range c.Items {
					ok, err := tx.Deliver(dedup, t, it.StoryKey(), it.ID, now)
					if err != nil {
						return err
					}
					fresh = fresh || ok
				}
				if fresh {
					e := c.Entry()
					for _, f := range r.datesOf(c.Items[0]) {
						if len(e.Notes) < maxDateNotes {
							e.Notes = append(e.Notes, f.Note())
						}
					}
					entries = append(entries, e)
				}
			}
			if len(entries) == 0 {
				continue
			}
			stories += len(entries)
			sections = append(sections, news.Section{Topic: t, Title: fmt.Sprintf("%s (%s)", t, plural(len(entries), "story", "stories")), Entries: entries})
		}
		if err := tx.ClearPending(ids...); err != nil {
			return err
		}
		if stories == 0 {
			return nil
		}
		msg := news.Message{
			Kind:     news.KindDigest,
			Title:    fmt.Sprintf("Digest: %s in %s", plural(stories, "story", "stories"), plural(len(sections), "topic", "topics")),
			Sections: sections,
		}
		var intro []string
		if deadlines != "" {
			intro = append(intro, deadlines)
		}
		if since != "" {
			if t, err := time.Parse(time.RFC3339Nano, since); err == nil {
				intro = append(intro, "Since the last digest at "+t.In(r.loc()).Format("Mon 2 Jan 15:04 MST")+".")
			}
		}
		msg.Intro = strings.Join(intro, "\n\n")
		parts := r.split(sub.Channel, msg)
		out := make([]news.OutboxMessage, 0, len(parts))
		for _, p := range parts {
			out = append(out, news.OutboxMessage{Channel: sub.Channel, Message: p, Created: now, NextAttempt: now})
		}
		if err := tx.Enqueue(out...); err != nil {
			return err
		}
		queued = len(out)
		return tx.SetMeta(LastDigestKey(sub), now.UTC().Format(time.RFC3339Nano))
	})
	if err != nil {
		return 0, fmt.Errorf("digest for %s: %w", sub.Channel, err)
	}
	if queued > 0 && r.hooks.Enqueued != nil {
		r.hooks.Enqueued(sub.Channel, queued)
	}
	r.log.Info("digest", "channel", sub.Channel, "messages", queued)
	return queued, nil
}

// maxDigestDeadlines is how many upcoming deadlines a digest opens with.
const maxDigestDeadlines = 5

// deadlineLines is the block a digest opens with: the upcoming deadlines,
// soonest first, each with its due time, countdown and related items; ""
// when none is upcoming.
func (r *Router) deadlineLines(ctx context.Context, rules *Rules, now time.Time) (string, error) {
	ups, err := Upcoming(ctx, r.store, rules.deadlines, "", now)
	if err != nil || len(ups) == 0 {
		return "", err
	}
	lines := []string{"Upcoming deadlines:"}
	for i, u := range ups {
		if i == maxDigestDeadlines {
			lines = append(lines, fmt.Sprintf("… and %d more (see the deadlines command).", len(ups)-i))
			break
		}
		lines = append(lines, "• "+u.Line(r.loc()))
	}
	return strings.Join(lines, "\n"), nil
}

// loc is where the router shows times; UTC unless set.
func (r *Router) loc() *time.Location {
	if r.location != nil {
		return r.location
	}
	return time.UTC
}

// Story is one story: the items, from one or several feeds, that tell it.
type Story struct {
	Items []news.Item // newest first
	words map[string]struct{}
}

func (s *Story) hasFeed(feed string) bool {
	for _, it := range s.Items {
		if it.Feed == feed {
			return true
		}
	}
	return false
}

// Sources counts the distinct feeds that carried the story.
func (s Story) Sources() int {
	seen := map[string]struct{}{}
	for _, it := range s.Items {
		seen[it.Feed] = struct{}{}
	}
	return len(seen)
}

// Entry is the story as a message entry: the newest item's headline and
// link, with the number of sources.
func (s Story) Entry() news.Entry {
	lead := s.Items[0]
	for _, it := range s.Items {
		// Prefer an item that has a link.
		if lead.Link == "" && it.Link != "" {
			lead = it
		}
	}
	e := entryOf(lead, s.Sources())
	e.Published = s.Items[0].Published
	return e
}

// Cluster groups items into stories, newest story first: items with the same
// canonical link, or with nearly the same headline published within a day of
// each other, are one story.
func Cluster(items []news.Item) []Story {
	its := append([]news.Item(nil), items...)
	sortNewest(its)
	var stories []*Story
	byKey := map[string]*Story{}
	for _, it := range its {
		if s, ok := byKey[it.StoryKey()]; ok {
			s.Items = append(s.Items, it)
			continue
		}
		words := wordSet(it.Title)
		var into *Story
		for _, s := range stories {
			// Near-identical headlines are one story only across feeds: one
			// feed's "Live: update 12" and "Live: update 13" stay apart.
			if s.Items[0].Published.Sub(it.Published) <= sameStoryWindow && !s.hasFeed(it.Feed) && similar(s.words, words) {
				into = s
				break
			}
		}
		if into == nil {
			into = &Story{words: words}
			stories = append(stories, into)
		}
		into.Items = append(into.Items, it)
		byKey[it.StoryKey()] = into
	}
	out := make([]Story, len(stories))
	for i, s := range stories {
		out[i] = *s
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Items[0].Published.After(out[j].Items[0].Published) })
	return out
}

func wordSet(title string) map[string]struct{} {
	ws := query.Words(title)
	set := make(map[string]struct{}, len(ws))
	for _, w := range ws {
		set[w] = struct{}{}
	}
	return set
}

// similar reports whether two headlines share enough words. Very short
// headlines ("Live", "Update") never count as the same story by wording.
func similar(a, b map[string]struct{}) bool {
	if len(a) < 4 || len(b) < 4 {
		return false
	}
	shared := 0
	for w := range a {
		if _, ok := b[w]; ok {
			shared++
		}
	}
	jaccard := float64(shared) / float64(len(a)+len(b)-shared)
	overlap := float64(shared) / float64(min(len(a), len(b)))
	return jaccard >= sameTitleJaccard || (overlap >= sameTitleOverlap && jaccard >= sameTitleMinJaccard)
}
