// Package alerts decides what goes where: it matches items against topics,
// routes matches to subscriptions (instant alerts now, digests later, muted
// never) and builds the platform-neutral messages that go into the outbox. It
// knows nothing of Slack or Discord.
package alerts

import (
	"fmt"
	"sync"

	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/news"
)

// Rules are the topics and subscriptions in force, compiled for matching. A
// Rules value is immutable; a change of topics builds a new one.
type Rules struct {
	topics    []news.Topic
	deadlines []news.Deadline
	queries   []*query.Query // topics' queries, then deadlines'
	matcher   *query.Matcher
	subs      []news.Subscription
	order     map[string]int // topic name -> position, for stable section order
}

// NewRules compiles the queries of topics and deadlines together, so an
// item's text is scanned once whatever their number. A query that does not
// parse is an error naming its topic or deadline.
func NewRules(topics []news.Topic, subs []news.Subscription, deadlines []news.Deadline) (*Rules, error) {
	r := &Rules{topics: topics, deadlines: deadlines, subs: subs, order: make(map[string]int, len(topics))}
	for i, t := range topics {
		q, err := query.Parse(t.Query)
		if err != nil {
			return nil, fmt.Errorf("topic %s: query: %w", t.Name, err)
		}
		r.queries = append(r.queries, q)
		r.order[t.Name] = i
	}
	for _, d := range deadlines {
		q, err := query.Parse(d.Query)
		if err != nil {
			return nil, fmt.Errorf("deadline %s: query: %w", d.Name, err)
		}
		r.queries = append(r.queries, q)
	}
	r.matcher = query.NewMatcher(r.queries)
	return r, nil
}

// Deadlines returns the tracked deadlines.
func (r *Rules) Deadlines() []news.Deadline { return r.deadlines }

// DeadlineKey is the match key under which items related to a deadline are
// recorded (see store.Tx.AddMatch).
func DeadlineKey(name string) string { return "deadline:" + name }

// Topics returns the topics, in their configured order.
func (r *Rules) Topics() []news.Topic { return r.topics }

// Subscriptions returns the subscriptions.
func (r *Rules) Subscriptions() []news.Subscription { return r.subs }

// Topic returns a topic and its compiled query by name.
func (r *Rules) Topic(name string) (news.Topic, *query.Query, bool) {
	i, ok := r.order[name]
	if !ok {
		return news.Topic{}, nil, false
	}
	return r.topics[i], r.queries[i], true
}

// DocOf folds an item's text once for matching.
func DocOf(it news.Item) *query.Doc {
	return query.NewDoc(it.Title, it.Summary, it.Categories, it.Feed)
}

// Matched is what one item matched.
type Matched struct {
	Topics    []string // topic names, in topic order
	Deadlines []string // names of the deadlines it concerns
}

// matchBufs recycles Match's index buffers between Wants calls, which run
// in many polling goroutines at once.
var matchBufs = sync.Pool{New: func() any { return new([]int) }}

// Wants reports whether an item matches any topic or deadline.
func (r *Rules) Wants(it news.Item) bool {
	buf := matchBufs.Get().(*[]int)
	idx := r.matcher.Match(DocOf(it), (*buf)[:0])
	*buf = idx
	matchBufs.Put(buf)
	return len(idx) > 0
}

// Match returns the topics and deadlines an item matches. buf is reused
// between calls to avoid allocation; pass nil if unsure.
func (r *Rules) Match(it news.Item, buf []int) (m Matched, idx []int) {
	idx = r.matcher.Match(DocOf(it), buf[:0])
	for _, i := range idx {
		if i < len(r.topics) {
			m.Topics = append(m.Topics, r.topics[i].Name)
		} else {
			m.Deadlines = append(m.Deadlines, r.deadlines[i-len(r.topics)].Name)
		}
	}
	return m, idx
}
