package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// PollStore is the storage a Poller needs.
type PollStore interface {
	FeedState(ctx context.Context, feed string) (news.FeedState, error)
	SaveFeedState(ctx context.Context, st news.FeedState) error
	InsertItems(ctx context.Context, feed string, items []news.Item) ([]news.Item, error)
}

// PollHooks receive poll outcomes for metrics; any may be nil.
type PollHooks struct {
	Polled func(feed string, err error, newItems int)
}

// Poller polls feeds: fetch, parse, normalize, store new items, keep health.
// At most Concurrency polls run at once across all callers.
type Poller struct {
	store   PollStore
	fetcher *Fetcher
	now     func() time.Time
	log     *slog.Logger
	hooks   PollHooks
	sem     chan struct{}
}

// PollerOptions configure a Poller.
type PollerOptions struct {
	Store       PollStore
	Fetcher     *Fetcher
	Now         func() time.Time // nil = time.Now
	Logger      *slog.Logger
	Hooks       PollHooks
	Concurrency int // feeds fetched at once; 0 = 16
}

// NewPoller returns a Poller.
func NewPoller(o PollerOptions) *Poller {
	p := &Poller{store: o.Store, fetcher: o.Fetcher, now: o.Now, log: o.Logger, hooks: o.Hooks}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	p.sem = make(chan struct{}, o.Concurrency)
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
	res := Result{Feed: feed.Name}
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		return res, fmt.Errorf("poll %s: %w", feed.Name, ctx.Err())
	}
	st, err := p.store.FeedState(ctx, feed.Name)
	if err != nil {
		return res, fmt.Errorf("poll %s: %w", feed.Name, err)
	}
	st.Feed = feed.Name
	now := p.now()
	if now.Before(st.NextPoll) {
		res.Skipped = true
		return res, nil
	}
	res, err = p.poll(ctx, feed, &st, now)
	if err != nil && ctx.Err() != nil {
		// Shutting down: not the feed's fault, record nothing.
		return res, fmt.Errorf("poll %s: %w", feed.Name, err)
	}
	st.LastPoll = now
	if err != nil {
		st.Failures++
		st.LastError = now
		st.LastErrorMsg = err.Error()
		st.NextPoll = now.Add(Backoff(st.Failures))
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter.After(st.NextPoll) {
			st.NextPoll = se.RetryAfter
		}
		p.log.Warn("poll failed", "feed", feed.Name, "failures", st.Failures, "retry_at", st.NextPoll, "err", err)
	} else {
		st.Failures = 0
		st.LastSuccess = now
		st.NextPoll = time.Time{}
	}
	if serr := p.store.SaveFeedState(ctx, st); serr != nil {
		err = errors.Join(err, serr)
	}
	if p.hooks.Polled != nil {
		p.hooks.Polled(feed.Name, err, res.New)
	}
	if err != nil {
		return res, fmt.Errorf("poll %s: %w", feed.Name, err)
	}
	return res, nil
}

func (p *Poller) poll(ctx context.Context, feed news.Feed, st *news.FeedState, now time.Time) (Result, error) {
	res := Result{Feed: feed.Name}
	resp, err := p.fetcher.Fetch(ctx, Request{URL: feed.URL, ETag: st.ETag, LastModified: st.LastModified})
	if err != nil {
		return res, err
	}
	if resp.NotModified {
		res.NotModified = true
		return res, nil
	}
	items, err := ParseItems(feed.Name, resp.Body, resp.ContentType, resp.FinalURL, now)
	if err != nil {
		return res, err
	}
	res.Fetched = len(items)
	fresh, err := p.store.InsertItems(ctx, feed.Name, items)
	if err != nil {
		return res, err
	}
	res.New = len(fresh)
	// Validators are kept only once the items are stored, so a failed insert
	// refetches the whole document next time.
	st.ETag, st.LastModified = resp.ETag, resp.LastModified
	if res.New > 0 {
		p.log.Info("new items", "feed", feed.Name, "new", res.New, "fetched", res.Fetched)
	}
	return res, nil
}

// PollAll polls feeds concurrently (bounded by the Poller's concurrency) and
// returns every result; failures are joined into the error, one per feed.
func (p *Poller) PollAll(ctx context.Context, feeds []news.Feed) ([]Result, error) {
	results := make([]Result, len(feeds))
	errs := make([]error, len(feeds))
	var wg sync.WaitGroup
	for i, f := range feeds {
		wg.Go(func() {
			results[i], errs[i] = p.Poll(ctx, f)
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}
