package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// PollStore is the storage a Poller needs.
type PollStore interface {
	FeedState(ctx context.Context, feed string) (news.FeedState, error)
	SaveFeedState(ctx context.Context, st news.FeedState) error
	InsertItems(ctx context.Context, feed string, items []news.Item) ([]news.Item, error)
}

// PollBatcher is implemented by stores that can record many polls in one
// transaction (sqlite.Store.SavePolls): for each i, store items[i] as
// InsertItems would, then save states[i] as SaveFeedState would, returning
// the new items and the error of each poll. A Poller whose store has it
// saves together the polls that finish while the store is busy, instead of
// paying for two commits per feed.
type PollBatcher interface {
	SavePolls(ctx context.Context, states []news.FeedState, items [][]news.Item) (fresh [][]news.Item, errs []error)
}

// PollHooks receive poll outcomes for metrics; any may be nil.
type PollHooks struct {
	Polled func(feed string, err error, newItems int)
}

// Poller polls feeds: fetch, parse, normalize, store new items, keep health.
// At most Concurrency polls fetch and parse at once across all callers, and
// at most savingFactor times as many are in progress, waiting for storage
// included.
type Poller struct {
	store   PollStore
	batch   *saver // nil when the store cannot batch
	fetcher *Fetcher
	now     func() time.Time
	log     *slog.Logger
	hooks   PollHooks
	watched func(news.Item) bool // nil: every item is routed
	// fetching bounds the polls fetching and parsing at once (Concurrency);
	// polls bounds those in progress, saving included (savingFactor times
	// as many), so that while one batch is being committed the next one
	// fills up instead of every poller waiting, and the parsed documents
	// held meanwhile stay bounded by the configuration, not by the number of
	// feeds.
	fetching chan struct{}
	polls    chan struct{}
}

// savingFactor is how many polls may be in progress (fetching, parsing, or
// waiting for their batch to be committed) per poll fetching at once.
const savingFactor = 4

// PollerOptions configure a Poller.
type PollerOptions struct {
	Store       PollStore
	Fetcher     *Fetcher
	Now         func() time.Time // nil = time.Now
	Logger      *slog.Logger
	Hooks       PollHooks
	Concurrency int // feeds fetched at once; 0 = 16
	// Watched reports whether any topic or deadline wants an item (the
	// router's rules); the items it returns false for are stored already
	// routed (news.Item.Routed), so that the router reads back and marks
	// only the few items it has work for rather than every item polled.
	// It runs in the polling goroutines, in parallel; nil = every item
	// goes to the router.
	Watched func(news.Item) bool
}

// NewPoller returns a Poller.
func NewPoller(o PollerOptions) *Poller {
	p := &Poller{store: o.Store, fetcher: o.Fetcher, now: o.Now, log: o.Logger, hooks: o.Hooks, watched: o.Watched}
	if b, ok := o.Store.(PollBatcher); ok {
		p.batch = &saver{store: b}
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	p.fetching = make(chan struct{}, o.Concurrency)
	p.polls = make(chan struct{}, savingFactor*o.Concurrency)
	return p
}

// Result is the outcome of one poll.
type Result struct {
	Feed        string
	Skipped     bool // still backing off: not fetched
	NotModified bool
	Fetched     int // items in the document
	New         int // items stored for the first time
}

// ErrBackoff marks a poll skipped because the feed is backing off after
// failures or a Retry-After.
var ErrBackoff = errors.New("backing off")

// Poll polls one feed now, unless it is backing off. Failures are recorded in
// the feed's state (consecutive failures, last error, next allowed poll) and
// returned.
func (p *Poller) Poll(ctx context.Context, feed news.Feed) (Result, error) {
	return p.poll(ctx, feed, nil)
}

// poll is Poll with the feed's state when the caller read it already.
func (p *Poller) poll(ctx context.Context, feed news.Feed, known *news.FeedState) (Result, error) {
	res := Result{Feed: feed.Name}
	if err := acquire(ctx, p.polls); err != nil {
		return res, fmt.Errorf("poll %s: %w", feed.Name, err)
	}
	defer func() { <-p.polls }()
	var st news.FeedState
	if known != nil {
		st = *known
	} else {
		var err error
		if st, err = p.store.FeedState(ctx, feed.Name); err != nil {
			return res, fmt.Errorf("poll %s: %w", feed.Name, err)
		}
	}
	st.Feed = feed.Name
	now := p.now()
	if now.Before(st.NextPoll) {
		res.Skipped = true
		return res, nil
	}
	if err := acquire(ctx, p.fetching); err != nil {
		return res, fmt.Errorf("poll %s: %w", feed.Name, err)
	}
	items, next, err := p.fetch(ctx, feed, st, now, &res)
	if p.watched != nil {
		for i := range items {
			items[i].Routed = !p.watched(items[i])
		}
	}
	<-p.fetching
	if err == nil {
		// The new validators are saved with the items, in one transaction:
		// were the items lost, the whole document is fetched again next time.
		next.LastPoll, next.LastSuccess = now, now
		next.Failures, next.NextPoll = 0, time.Time{}
		var fresh []news.Item
		fresh, err = p.save(ctx, next, items)
		res.New = len(fresh)
		if err == nil {
			if res.New > 0 {
				p.log.Info("new items", "feed", feed.Name, "new", res.New, "fetched", res.Fetched)
			}
			p.polled(feed.Name, nil, res.New)
			return res, nil
		}
	}
	if ctx.Err() != nil {
		// Shutting down: not the feed's fault, record nothing.
		return res, fmt.Errorf("poll %s: %w", feed.Name, err)
	}
	st.LastPoll = now
	st.Failures++
	st.LastError = now
	st.LastErrorMsg = err.Error()
	st.NextPoll = now.Add(Backoff(st.Failures))
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter.After(st.NextPoll) {
		st.NextPoll = se.RetryAfter
	}
	p.log.Warn("poll failed", "feed", feed.Name, "failures", st.Failures, "retry_at", st.NextPoll, "err", err)
	if serr := p.store.SaveFeedState(ctx, st); serr != nil {
		err = errors.Join(err, serr)
	}
	p.polled(feed.Name, err, res.New)
	return res, fmt.Errorf("poll %s: %w", feed.Name, err)
}

// acquire takes a slot of a semaphore, unless ctx ends first.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Poller) polled(feed string, err error, fresh int) {
	if p.hooks.Polled != nil {
		p.hooks.Polled(feed, err, fresh)
	}
}

// fetch fetches and parses a feed. It returns the items of a changed
// document (none on a 304) and the state to save once they are stored: st
// with the validators of this response.
func (p *Poller) fetch(ctx context.Context, feed news.Feed, st news.FeedState, now time.Time, res *Result) ([]news.Item, news.FeedState, error) {
	resp, err := p.fetcher.Fetch(ctx, Request{URL: feed.URL, ETag: st.ETag, LastModified: st.LastModified})
	if err != nil {
		return nil, st, err
	}
	st.ETag, st.LastModified = resp.ETag, resp.LastModified
	if resp.NotModified {
		res.NotModified = true
		return nil, st, nil
	}
	items, err := ParseItems(feed.Name, resp.Body, resp.ContentType, resp.FinalURL, now)
	if err != nil {
		return nil, st, err
	}
	res.Fetched = len(items)
	return items, st, nil
}

// save stores a successful poll's items and the feed's new state: batched
// with other polls when the store can, else as two writes, items first.
func (p *Poller) save(ctx context.Context, st news.FeedState, items []news.Item) ([]news.Item, error) {
	if p.batch != nil {
		return p.batch.save(ctx, st, items)
	}
	var fresh []news.Item
	if len(items) > 0 {
		var err error
		if fresh, err = p.store.InsertItems(ctx, st.Feed, items); err != nil {
			return nil, err
		}
	}
	return fresh, p.store.SaveFeedState(ctx, st)
}

// saver is group commit: the first poll to save becomes the leader and saves
// every poll queued by then in one store transaction; polls that finish
// meanwhile queue up and wait, and when the leader is done the first of them
// leads the next batch. Under load a batch holds about as many polls as run
// at once; alone, a poll is saved at once as a batch of one.
type saver struct {
	store   PollBatcher
	mu      sync.Mutex
	queue   []*saveReq
	leading bool // a leader is saving, or has handed over to queue[0]
}

// saveReq is one poll waiting to be saved.
type saveReq struct {
	st    news.FeedState
	items []news.Item
	fresh []news.Item
	err   error
	// lead receives true when this request must lead the next batch, false
	// once it has been saved by another leader (fresh and err are then set).
	lead chan bool
}

// save queues one poll and returns once it is saved. A request never gives up
// waiting (the next batch's leader could be the one to leave), and a batch is
// saved even if its leader's context ends: that is a short transaction, and
// work already fetched is worth keeping at shutdown.
func (s *saver) save(ctx context.Context, st news.FeedState, items []news.Item) ([]news.Item, error) {
	r := &saveReq{st: st, items: items, lead: make(chan bool, 1)}
	s.mu.Lock()
	s.queue = append(s.queue, r)
	if s.leading {
		s.mu.Unlock()
		if !<-r.lead {
			return r.fresh, r.err
		}
		s.mu.Lock()
	}
	s.leading = true
	batch := s.queue
	s.queue = nil
	s.mu.Unlock()

	states := make([]news.FeedState, len(batch))
	lists := make([][]news.Item, len(batch))
	for i, b := range batch {
		states[i], lists[i] = b.st, b.items
	}
	fresh, errs := s.store.SavePolls(context.WithoutCancel(ctx), states, lists)
	for i, b := range batch {
		b.fresh, b.err = fresh[i], errs[i]
	}

	s.mu.Lock()
	if len(s.queue) > 0 {
		s.queue[0].lead <- true
	} else {
		s.leading = false
	}
	s.mu.Unlock()
	for _, b := range batch {
		if b != r {
			b.lead <- false
		}
	}
	return r.fresh, r.err
}

// stateLister is implemented by stores that read every feed's state in one
// query (sqlite.Store.FeedStates); PollAll then does so instead of one query
// per feed, which is most of what a poll answered 304 costs.
type stateLister interface {
	FeedStates(ctx context.Context) ([]news.FeedState, error)
}

// PollAll polls feeds concurrently (bounded by the Poller's concurrency) and
// returns every result; failures are joined into the error, one per feed.
// It runs one worker per poll that may be in progress rather than a
// goroutine per feed, so its footprint does not grow with the number of
// feeds.
func (p *Poller) PollAll(ctx context.Context, feeds []news.Feed) ([]Result, error) {
	results := make([]Result, len(feeds))
	errs := make([]error, len(feeds))
	states := p.allStates(ctx)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(cap(p.polls), len(feeds)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(feeds) {
					return
				}
				var known *news.FeedState
				if st, ok := states[feeds[i].Name]; ok {
					known = &st
				}
				results[i], errs[i] = p.poll(ctx, feeds[i], known)
			}
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// allStates reads every feed's state at once when the store can; nil (each
// poll then reads its own) when it cannot or fails: that is only slower.
func (p *Poller) allStates(ctx context.Context) map[string]news.FeedState {
	l, ok := p.store.(stateLister)
	if !ok {
		return nil
	}
	list, err := l.FeedStates(ctx)
	if err != nil {
		p.log.Warn("read feed states", "err", err)
		return nil
	}
	m := make(map[string]news.FeedState, len(list))
	for _, st := range list {
		m[st.Feed] = st
	}
	return m
}
