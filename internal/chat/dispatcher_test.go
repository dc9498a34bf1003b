package chat_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/feedwatch/feedwatch/internal/chat"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

// The dispatcher is tested against the real SQLite store, inside
// testing/synctest bubbles: time is virtual, so a five-minute Retry-After
// costs nothing, and synctest.Wait tells when every sender is idle, so no test
// sleeps for correctness. The store is opened inside each bubble (its
// database/sql goroutines belong to it) and closed by a cleanup that runs in
// the bubble before it ends.

// attempt is one call of a fake notifier.
type attempt struct {
	title string
	at    time.Time
	err   error
}

// fakeNotifier records every Send and answers with behave (nil = success).
// call is the 0-based number of the attempt on this notifier.
type fakeNotifier struct {
	behave func(ctx context.Context, call int, m news.OutboxMessage) error

	mu       sync.Mutex
	attempts []attempt
}

func (f *fakeNotifier) Send(ctx context.Context, m news.OutboxMessage) error {
	f.mu.Lock()
	call := len(f.attempts)
	f.mu.Unlock()
	var err error
	if f.behave != nil {
		err = f.behave(ctx, call, m)
	}
	f.mu.Lock()
	f.attempts = append(f.attempts, attempt{title: m.Message.Title, at: time.Now(), err: err})
	f.mu.Unlock()
	return err
}

// tries returns every finished attempt so far, in order.
func (f *fakeNotifier) tries() []attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.attempts)
}

// delivered returns the titles of the messages sent successfully, in order.
func (f *fakeNotifier) delivered() []string {
	var out []string
	for _, a := range f.tries() {
		if a.err == nil {
			out = append(out, a.title)
		}
	}
	return out
}

// recordingOutbox is the real store, with the dispatcher's verdicts recorded
// so that a test can tell "marked failed" from "marked sent".
type recordingOutbox struct {
	store.Store

	mu      sync.Mutex
	sent    []int64
	failed  []int64
	retries []int64
}

func (r *recordingOutbox) MarkSent(ctx context.Context, id int64, at time.Time) error {
	r.record(&r.sent, id)
	return r.Store.MarkSent(ctx, id, at)
}

func (r *recordingOutbox) MarkRetry(ctx context.Context, id int64, next time.Time, msg string) error {
	r.record(&r.retries, id)
	return r.Store.MarkRetry(ctx, id, next, msg)
}

func (r *recordingOutbox) MarkFailed(ctx context.Context, id int64, at time.Time, msg string) error {
	r.record(&r.failed, id)
	return r.Store.MarkFailed(ctx, id, at, msg)
}

func (r *recordingOutbox) record(list *[]int64, id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*list = append(*list, id)
}

// marks returns the ids marked sent, failed and for retry, in call order.
func (r *recordingOutbox) marks() (sent, failed, retries []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent), slices.Clone(r.failed), slices.Clone(r.retries)
}

// hookLog records the dispatcher's metric hooks.
type hookLog struct {
	mu     sync.Mutex
	sent   map[string]int
	failed map[string]int // by "channel/permanent" or "channel/retry"
}

func (h *hookLog) hooks() chat.DispatchHooks {
	h.sent, h.failed = map[string]int{}, map[string]int{}
	return chat.DispatchHooks{
		Sent: func(ch string) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.sent[ch]++
		},
		Failed: func(ch string, permanent bool) {
			h.mu.Lock()
			defer h.mu.Unlock()
			kind := "retry"
			if permanent {
				kind = "permanent"
			}
			h.failed[ch+"/"+kind]++
		},
	}
}

func (h *hookLog) counts(key string) (sent, failed int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sent[key], h.failed[key]
}

// rig is a dispatcher over a real SQLite outbox with fake notifiers.
type rig struct {
	t      *testing.T
	outbox *recordingOutbox
	notes  map[string]*fakeNotifier
	hooks  *hookLog
	d      *chat.Dispatcher
	start  time.Time
}

// newRig must be called inside a synctest bubble. Every channel named in
// notes gets its fake notifier.
func newRig(t *testing.T, notes map[string]*fakeNotifier) *rig {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "outbox.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	r := &rig{t: t, outbox: &recordingOutbox{Store: st}, notes: notes, hooks: &hookLog{}, start: time.Now()}
	ns := map[string]chat.Notifier{}
	for name, n := range notes {
		ns[name] = n
	}
	r.d = chat.NewDispatcher(chat.DispatcherOptions{Outbox: r.outbox, Notifiers: ns, Hooks: r.hooks.hooks()})
	return r
}

// enqueue queues messages titled titles for channel, in order, in one
// transaction.
func (r *rig) enqueue(channel string, titles ...string) {
	r.t.Helper()
	msgs := make([]news.OutboxMessage, len(titles))
	for i, title := range titles {
		msgs[i] = news.OutboxMessage{Channel: channel, Message: news.Message{Kind: news.KindAlert, Title: title}, Created: time.Now()}
	}
	if err := r.outbox.Update(r.t.Context(), func(tx store.Tx) error { return tx.Enqueue(msgs...) }); err != nil {
		r.t.Fatalf("enqueue: %v", err)
	}
}

// run starts Run and returns a function that cancels it, and a channel
// closed when Run has returned.
func (r *rig) run() (stop context.CancelFunc, done <-chan struct{}) {
	ctx, cancel := context.WithCancel(r.t.Context())
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		r.d.Run(ctx)
	}()
	r.t.Cleanup(func() {
		cancel()
		<-ch
	})
	return cancel, ch
}

// head returns the title of channel's oldest pending message.
func (r *rig) head(channel string) (string, bool) {
	r.t.Helper()
	m, ok, err := r.outbox.NextOutbox(r.t.Context(), channel)
	if err != nil {
		r.t.Fatalf("NextOutbox: %v", err)
	}
	return m.Message.Title, ok
}

func (r *rig) depth() int {
	r.t.Helper()
	n, err := r.outbox.OutboxDepth(r.t.Context())
	if err != nil {
		r.t.Fatalf("OutboxDepth: %v", err)
	}
	return n
}

// elapsed is how much virtual time passed between the rig's start and at.
func (r *rig) elapsed(at time.Time) time.Duration { return at.Sub(r.start) }

func (r *rig) health(channel string) chat.ChannelHealth {
	r.t.Helper()
	for _, h := range r.d.Health() {
		if h.Channel == channel {
			return h
		}
	}
	r.t.Fatalf("Health() has no channel %q", channel)
	return chat.ChannelHealth{}
}

func TestDispatcherKeepsPerChannelOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := &fakeNotifier{}, &fakeNotifier{}
		r := newRig(t, map[string]*fakeNotifier{"alpha": a, "beta": b})
		// Interleaved in the outbox, and queued in several transactions.
		r.enqueue("alpha", "a1", "a2")
		r.enqueue("beta", "b1")
		r.enqueue("alpha", "a3")
		r.enqueue("beta", "b2", "b3")
		r.enqueue("alpha", "a4")
		r.run()
		synctest.Wait()

		if got, want := a.delivered(), []string{"a1", "a2", "a3", "a4"}; !slices.Equal(got, want) {
			t.Errorf("alpha got %v, want %v", got, want)
		}
		if got, want := b.delivered(), []string{"b1", "b2", "b3"}; !slices.Equal(got, want) {
			t.Errorf("beta got %v, want %v", got, want)
		}
		if n := r.depth(); n != 0 {
			t.Errorf("outbox depth after sending = %d, want 0", n)
		}
		if sent, _ := r.hooks.counts("alpha"); sent != 4 {
			t.Errorf("Sent hook for alpha called %d times, want 4", sent)
		}

		// A message queued later goes out on Kick, after the others.
		r.enqueue("beta", "b4")
		r.d.Kick()
		synctest.Wait()
		if got, want := b.delivered(), []string{"b1", "b2", "b3", "b4"}; !slices.Equal(got, want) {
			t.Errorf("beta after kick got %v, want %v", got, want)
		}
		if h := r.health("beta"); h.Failing || h.LastSent.IsZero() {
			t.Errorf("beta health = %+v, want sent and not failing", h)
		}
	})
}

func TestDispatcherRetriesTransientFailures(t *testing.T) {
	rateLimited := func(d time.Duration) error {
		return &chat.SendError{Status: 429, RetryAfter: d, Err: errors.New("slack: ratelimited")}
	}
	unavailable := &chat.SendError{Status: 503, Err: errors.New("discord: 503 Service Unavailable")}
	tests := []struct {
		name string
		// fail answers the first len(fail) attempts; later ones succeed.
		fail []error
		// retryAt is when each attempt is made, from the start; the last
		// one succeeds.
		retryAt []time.Duration
	}{
		{
			name:    "Retry-After is honoured",
			fail:    []error{rateLimited(30 * time.Second)},
			retryAt: []time.Duration{0, 30 * time.Second},
		},
		{
			name: "Retry-After longer than the backoff cap",
			fail: []error{rateLimited(20 * time.Minute)},
			// beyond maxRetry (5m): what the platform says wins
			retryAt: []time.Duration{0, 20 * time.Minute},
		},
		{
			name: "backoff doubles without Retry-After",
			fail: []error{unavailable, unavailable, unavailable},
			// 1s, then 2s, then 4s after each failure
			retryAt: []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second},
		},
		{
			name: "backoff wins over a shorter Retry-After",
			fail: []error{unavailable, rateLimited(500 * time.Millisecond)},
			// after the 2nd failure the backoff is 2s, more than 0.5s
			retryAt: []time.Duration{0, time.Second, 3 * time.Second},
		},
		{
			name:    "an error that is not a SendError is transient",
			fail:    []error{errors.New("connection reset by peer")},
			retryAt: []time.Duration{0, time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := &fakeNotifier{behave: func(_ context.Context, call int, _ news.OutboxMessage) error {
					if call < len(tt.fail) {
						return tt.fail[call]
					}
					return nil
				}}
				r := newRig(t, map[string]*fakeNotifier{"news": n})
				r.enqueue("news", "first", "second")
				r.run()

				for i, at := range tt.retryAt {
					// Just before the stated time: no new attempt, even when kicked.
					if at > 0 {
						time.Sleep(at - r.elapsed(time.Now()) - time.Nanosecond)
						r.d.Kick()
						synctest.Wait()
						if got := len(n.tries()); got != i {
							t.Fatalf("at %v (1ns before attempt %d is due): %d attempts", r.elapsed(time.Now()), i+1, got)
						}
						if head, _ := r.head("news"); head != "first" {
							t.Fatalf("while retrying, the head of the queue is %q, want first", head)
						}
						time.Sleep(time.Nanosecond)
					}
					synctest.Wait()
					tries := n.tries()
					if len(tries) <= i {
						t.Fatalf("at %v: %d attempts, want attempt %d", r.elapsed(time.Now()), len(tries), i+1)
					}
					if tries[i].title != "first" || r.elapsed(tries[i].at) != at {
						t.Errorf("attempt %d = %q at %v, want first at %v", i+1, tries[i].title, r.elapsed(tries[i].at), at)
					}
				}
				if got, want := n.delivered(), []string{"first", "second"}; !slices.Equal(got, want) {
					t.Errorf("delivered %v, want %v (in order, the second behind the first)", got, want)
				}
				_, failed, retries := r.outbox.marks()
				if len(failed) != 0 || len(retries) != len(tt.fail) {
					t.Errorf("marked failed %v, for retry %v; want none failed and %d retries", failed, retries, len(tt.fail))
				}
				if _, f := r.hooks.counts("news/retry"); f != len(tt.fail) {
					t.Errorf("Failed(retry) hook called %d times, want %d", f, len(tt.fail))
				}
				if h := r.health("news"); h.Failing || h.Consecutive != 0 {
					t.Errorf("health after recovery = %+v, want not failing", h)
				}
			})
		})
	}
}

func TestDispatcherReportsOngoingTransientFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := &fakeNotifier{behave: func(context.Context, int, news.OutboxMessage) error {
			return &chat.SendError{Status: 503, Err: errors.New("upstream unavailable")}
		}}
		r := newRig(t, map[string]*fakeNotifier{"news": n})
		r.enqueue("news", "m1")
		r.run()
		time.Sleep(3*time.Second + time.Nanosecond) // attempts at 0, 1s, 3s
		synctest.Wait()
		h := r.health("news")
		if !h.Failing || h.Permanent || h.Consecutive != 3 || h.LastErrMsg != "upstream unavailable" {
			t.Errorf("health = %+v, want failing, transient, 3 consecutive, the error text", h)
		}
		if r.depth() != 1 {
			t.Errorf("a transiently failing message left the queue")
		}
	})
}

func TestDispatcherPermanentFailure(t *testing.T) {
	notFound := &chat.SendError{Permanent: true, Status: 404, Err: errors.New("slack: channel_not_found")}
	tests := []struct {
		name string
		// failing are the titles refused permanently; others succeed.
		failing       []string
		wantDelivered []string
		wantFailing   bool
	}{
		{
			name:          "one refused message does not block the next",
			failing:       []string{"m1"},
			wantDelivered: []string{"m2", "m3"},
			wantFailing:   false, // the channel works again
		},
		{
			name:          "a channel that refuses everything",
			failing:       []string{"m1", "m2", "m3"},
			wantDelivered: nil,
			wantFailing:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := &fakeNotifier{behave: func(_ context.Context, _ int, m news.OutboxMessage) error {
					if slices.Contains(tt.failing, m.Message.Title) {
						return notFound
					}
					return nil
				}}
				r := newRig(t, map[string]*fakeNotifier{"news": n})
				r.enqueue("news", "m1", "m2", "m3")
				r.run()
				synctest.Wait()

				tries := n.tries()
				if len(tries) != 3 {
					t.Fatalf("%d attempts, want 3 (each message once: a permanent failure is not retried)", len(tries))
				}
				for _, a := range tries {
					if !a.at.Equal(r.start) {
						t.Errorf("%s attempted after %v, want at once", a.title, r.elapsed(a.at))
					}
				}
				if got := n.delivered(); !slices.Equal(got, tt.wantDelivered) {
					t.Errorf("delivered %v, want %v", got, tt.wantDelivered)
				}
				sent, failed, retries := r.outbox.marks()
				if len(failed) != len(tt.failing) || len(sent) != len(tt.wantDelivered) || len(retries) != 0 {
					t.Errorf("marked sent %v, failed %v, retry %v; want %d sent, %d failed, no retry",
						sent, failed, retries, len(tt.wantDelivered), len(tt.failing))
				}
				if r.depth() != 0 {
					t.Errorf("outbox depth %d, want 0: failed messages leave the queue", r.depth())
				}
				if _, f := r.hooks.counts("news/permanent"); f != len(tt.failing) {
					t.Errorf("Failed(permanent) hook called %d times, want %d", f, len(tt.failing))
				}

				h := r.health("news")
				if h.Failing != tt.wantFailing {
					t.Errorf("health = %+v, want Failing %v", h, tt.wantFailing)
				}
				if tt.wantFailing && (!h.Permanent || h.Consecutive != 3 || h.LastErrMsg != "slack: channel_not_found" || h.LastError.IsZero()) {
					t.Errorf("health = %+v, want permanent, 3 consecutive, channel_not_found", h)
				}

				// Nothing is tried again later.
				time.Sleep(time.Hour)
				r.d.Kick()
				synctest.Wait()
				if got := len(n.tries()); got != 3 {
					t.Errorf("%d attempts an hour later, want still 3", got)
				}
			})
		})
	}
}

func TestDispatcherSlowChannelDoesNotBlockOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		slow := &fakeNotifier{behave: func(ctx context.Context, _ int, _ news.OutboxMessage) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}
		fast := &fakeNotifier{}
		limited := &fakeNotifier{behave: func(_ context.Context, call int, _ news.OutboxMessage) error {
			if call == 0 {
				return &chat.SendError{Status: 429, RetryAfter: time.Minute, Err: errors.New("rate limited")}
			}
			return nil
		}}
		r := newRig(t, map[string]*fakeNotifier{"slow": slow, "fast": fast, "limited": limited})
		r.enqueue("slow", "s1", "s2")
		r.enqueue("limited", "l1")
		r.enqueue("fast", "f1", "f2")
		r.run()
		time.Sleep(10 * time.Second)
		synctest.Wait()

		if got, want := fast.delivered(), []string{"f1", "f2"}; !slices.Equal(got, want) {
			t.Errorf("fast channel got %v while another was stuck, want %v", got, want)
		}
		if len(slow.tries()) != 0 {
			t.Errorf("slow channel finished a send before it was released")
		}
		// A channel waiting out a Retry-After does not hold the others either.
		r.enqueue("fast", "f3")
		r.d.Kick()
		synctest.Wait()
		if got := fast.delivered(); len(got) != 3 {
			t.Errorf("fast channel got %v, want 3 messages", got)
		}

		close(release)
		time.Sleep(time.Minute)
		synctest.Wait()
		if got, want := slow.delivered(), []string{"s1", "s2"}; !slices.Equal(got, want) {
			t.Errorf("slow channel got %v, want %v", got, want)
		}
		if got, want := limited.delivered(), []string{"l1"}; !slices.Equal(got, want) {
			t.Errorf("limited channel got %v, want %v", got, want)
		}
	})
}

func TestDispatcherRunStopsAfterInFlightSend(t *testing.T) {
	tests := []struct {
		name string
		// release ends the blocked send: true lets it succeed, false leaves
		// it hanging until the dispatcher's own send timeout.
		release       bool
		wantDelivered []string
		wantQueued    int
	}{
		{name: "the in-flight send finishes and is marked sent", release: true, wantDelivered: []string{"m1"}, wantQueued: 1},
		{name: "a hung send is bounded by the send timeout", release: false, wantDelivered: nil, wantQueued: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				entered := make(chan struct{}, 10)
				release := make(chan struct{})
				var sawCancel bool
				n := &fakeNotifier{behave: func(ctx context.Context, _ int, _ news.OutboxMessage) error {
					entered <- struct{}{}
					select {
					case <-release:
						sawCancel = ctx.Err() != nil
						return nil
					case <-ctx.Done():
						return &chat.SendError{Err: fmt.Errorf("send: %w", ctx.Err())}
					}
				}}
				r := newRig(t, map[string]*fakeNotifier{"news": n})
				r.enqueue("news", "m1", "m2")
				stop, done := r.run()
				<-entered
				stop()
				synctest.Wait()
				select {
				case <-done:
					t.Fatal("Run returned while a send was in flight")
				default:
				}
				start := time.Now()
				if tt.release {
					close(release)
				}
				<-done
				if tt.release && sawCancel {
					t.Error("the in-flight send's context was cancelled by shutdown")
				}
				if !tt.release && time.Since(start) > 30*time.Second {
					t.Errorf("Run returned %v after stop with a hung send, want within the 30s send timeout", time.Since(start))
				}
				if got := n.delivered(); !slices.Equal(got, tt.wantDelivered) {
					t.Errorf("delivered %v, want %v", got, tt.wantDelivered)
				}
				if len(n.tries()) != 1 {
					t.Errorf("%d attempts, want 1: nothing new starts after stop", len(n.tries()))
				}
				if got := r.depth(); got != tt.wantQueued {
					t.Errorf("outbox depth after stop = %d, want %d", got, tt.wantQueued)
				}
				// What stays queued is kept for the next run, in order.
				if head, _ := r.head("news"); head != "m"+fmt.Sprint(3-tt.wantQueued) {
					t.Errorf("head of queue after stop = %q", head)
				}
			})
		})
	}
}

func TestDispatcherDrain(t *testing.T) {
	tests := []struct {
		name          string
		maxWait       time.Duration
		fail          []error // answers to a1's first attempts
		failB         []error // answers to b1's first attempts
		wantErr       []error // every one must match (errors.Is); nil = success
		wantText      string  // in the error, when one is wanted
		wantDelivered []string
		wantElapsed   time.Duration // virtual time Drain took
		wantQueued    int
	}{
		{
			name:          "everything goes out",
			maxWait:       time.Minute,
			wantDelivered: []string{"a1", "a2", "b1"},
		},
		{
			name:          "a retry within maxWait is waited for",
			maxWait:       time.Minute,
			fail:          []error{&chat.SendError{Status: 429, RetryAfter: 10 * time.Second, Err: errors.New("rate limited")}},
			wantDelivered: []string{"a1", "a2", "b1"},
			wantElapsed:   10 * time.Second,
		},
		{
			name:     "a retry beyond maxWait stays queued",
			maxWait:  time.Minute,
			fail:     []error{&chat.SendError{Status: 429, RetryAfter: 2 * time.Minute, Err: errors.New("rate limited")}},
			wantErr:  []error{chat.ErrQueued},
			wantText: "drain: channels [alpha]: messages still queued",
			// alpha is stuck at its head; beta still goes out
			wantDelivered: []string{"b1"},
			wantQueued:    2,
		},
		{
			name:    "a permanent failure is reported, not waited for",
			maxWait: time.Minute,
			fail:    []error{&chat.SendError{Permanent: true, Status: 403, Err: errors.New("slack: not_in_channel")}},
			wantErr: []error{chat.ErrFailed},
			// the channel and the platform's reason, on one line
			wantText:      "drain: channel alpha: 1 message(s) failed permanently: slack: not_in_channel",
			wantDelivered: []string{"a2", "b1"},
		},
		{
			name:    "failed and still queued are both reported",
			maxWait: time.Minute,
			fail:    []error{&chat.SendError{Permanent: true, Status: 404, Err: errors.New("channel_not_found")}},
			failB:   []error{&chat.SendError{Status: 503, RetryAfter: time.Hour, Err: errors.New("unavailable")}},
			wantErr: []error{chat.ErrFailed, chat.ErrQueued},
			wantText: "drain: channel alpha: 1 message(s) failed permanently: channel_not_found\n" +
				"drain: channels [beta]: messages still queued",
			wantDelivered: []string{"a2"},
			wantQueued:    1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var delivered []string
				tries := map[string]int{}
				behave := func(_ context.Context, _ int, m news.OutboxMessage) error {
					mu.Lock()
					defer mu.Unlock()
					title := m.Message.Title
					n := tries[title]
					tries[title]++
					switch {
					case title == "a1" && n < len(tt.fail):
						return tt.fail[n]
					case title == "b1" && n < len(tt.failB):
						return tt.failB[n]
					}
					delivered = append(delivered, title)
					return nil
				}
				r := newRig(t, map[string]*fakeNotifier{"alpha": {behave: behave}, "beta": {behave: behave}})
				r.enqueue("alpha", "a1", "a2")
				r.enqueue("beta", "b1")
				// A channel no longer configured keeps its messages.
				r.enqueue("gone", "g1")

				err := r.d.Drain(t.Context(), tt.maxWait)
				if (err == nil) != (tt.wantErr == nil) {
					t.Errorf("Drain = %v, want %v", err, tt.wantErr)
				}
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("Drain = %v, want it to match %v", err, want)
					}
				}
				if err != nil && tt.wantText != "" && err.Error() != tt.wantText {
					t.Errorf("Drain error text = %q, want %q", err.Error(), tt.wantText)
				}
				if took := r.elapsed(time.Now()); took != tt.wantElapsed {
					t.Errorf("Drain took %v, want %v", took, tt.wantElapsed)
				}
				slices.Sort(delivered)
				if !slices.Equal(delivered, tt.wantDelivered) {
					t.Errorf("delivered %v, want %v", delivered, tt.wantDelivered)
				}
				if got := r.depth(); got != tt.wantQueued+1 {
					t.Errorf("outbox depth = %d, want %d (plus the unconfigured channel's message)", got, tt.wantQueued+1)
				}
				if head, ok := r.head("gone"); !ok || head != "g1" {
					t.Errorf("unconfigured channel's message = %q, %v; want it kept", head, ok)
				}
			})
		})
	}
}

func TestDrainStopsOnContextCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := &fakeNotifier{behave: func(_ context.Context, call int, _ news.OutboxMessage) error {
			if call == 0 {
				return &chat.SendError{Status: 429, RetryAfter: 30 * time.Second, Err: errors.New("rate limited")}
			}
			return nil
		}}
		r := newRig(t, map[string]*fakeNotifier{"news": n})
		r.enqueue("news", "m1")
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		err := r.d.Drain(ctx, time.Minute)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Drain = %v, want the context's error", err)
		}
		if took := r.elapsed(time.Now()); took != 5*time.Second {
			t.Errorf("Drain returned after %v, want when the context ended (5s)", took)
		}
		if r.depth() != 1 {
			t.Errorf("message left the queue although it was never sent")
		}
	})
}
