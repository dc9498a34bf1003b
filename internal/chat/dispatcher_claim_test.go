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

// leases is an in-memory lease table with the PostgreSQL store's rules: a
// lease is taken when free, held by the claimant or run out.
type leases struct {
	mu     sync.Mutex
	holder map[string]string
	until  map[string]time.Time
	length time.Duration
}

func newLeases(length time.Duration) *leases {
	return &leases{holder: map[string]string{}, until: map[string]time.Time{}, length: length}
}

func (l *leases) claim(holder, name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if h, ok := l.holder[name]; ok && h != holder && l.until[name].After(now) {
		return false
	}
	l.holder[name], l.until[name] = holder, now.Add(l.length)
	return true
}

func (l *leases) release(holder, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder[name] == holder {
		delete(l.holder, name)
		delete(l.until, name)
	}
}

func (l *leases) heldBy(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.until[name].After(time.Now()) {
		return l.holder[name]
	}
	return ""
}

// replicaDispatcher is one replica's dispatcher for channel alpha on the
// shared outbox, claiming through ls as holder.
func replicaDispatcher(ob chat.Outbox, ls *leases, holder string, n *fakeNotifier) *chat.Dispatcher {
	return chat.NewDispatcher(chat.DispatcherOptions{
		Outbox:    ob,
		Notifiers: map[string]chat.Notifier{"alpha": n},
		Claim:     func(_ context.Context, ch string) bool { return ls.claim(holder, ch) },
		Release:   func(_ context.Context, ch string) { ls.release(holder, ch) },
		Recheck:   time.Second,
		ClaimFor:  ls.length,
	})
}

// sharedOutbox opens a SQLite outbox for the bubble, closed at its end.
func sharedOutbox(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "outbox.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func enqueueTitles(t *testing.T, st store.Store, titles ...string) {
	t.Helper()
	msgs := make([]news.OutboxMessage, len(titles))
	for i, title := range titles {
		msgs[i] = news.OutboxMessage{Channel: "alpha", Message: news.Message{Kind: news.KindAlert, Title: title},
			Created: time.Now(), NextAttempt: time.Now()}
	}
	if err := st.Update(t.Context(), func(tx store.Tx) error { return tx.Enqueue(msgs...) }); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

func runDispatcher(t *testing.T, d *chat.Dispatcher) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

func TestDispatcherClaim(t *testing.T) {
	const lease = 10 * time.Second
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"two replicas send each message once, in order", func(t *testing.T) {
			st, ls := sharedOutbox(t), newLeases(lease)
			a, b := &fakeNotifier{}, &fakeNotifier{}
			enqueueTitles(t, st, numbered("m", 6)...)
			runDispatcher(t, replicaDispatcher(st, ls, "A", a))
			runDispatcher(t, replicaDispatcher(st, ls, "B", b))
			synctest.Wait()
			// Queued later: whoever claims first sends it.
			enqueueTitles(t, st, "m7")
			time.Sleep(2 * time.Second) // the senders' recheck; virtual time
			synctest.Wait()
			var all []string
			for _, n := range []*fakeNotifier{a, b} {
				all = append(all, n.delivered()...)
			}
			slices.Sort(all)
			if want := numbered("m", 7); !slices.Equal(all, want) {
				t.Errorf("sent %v (A %v, B %v), want each of %v once", all, a.delivered(), b.delivered(), want)
			}
			for _, n := range []*fakeNotifier{a, b} {
				got := n.delivered()
				if !slices.IsSorted(got) {
					t.Errorf("a replica sent out of order: %v", got)
				}
			}
			if h := ls.heldBy("alpha"); h != "" {
				t.Errorf("alpha still held by %s with an empty queue", h)
			}
		}},
		{"a dead holder's channel is taken over when its lease runs out", func(t *testing.T) {
			st, ls := sharedOutbox(t), newLeases(lease)
			start := time.Now()
			ls.claim("dead", "alpha") // a replica that died while sending
			enqueueTitles(t, st, "m1", "m2")
			b := &fakeNotifier{}
			runDispatcher(t, replicaDispatcher(st, ls, "B", b))
			time.Sleep(lease + 2*time.Second)
			synctest.Wait()
			tries := b.tries()
			if got := b.delivered(); !slices.Equal(got, []string{"m1", "m2"}) {
				t.Fatalf("sent %v, want m1 m2", got)
			}
			if at := tries[0].at.Sub(start); at < lease || at > lease+time.Second {
				t.Errorf("first send %v after start, want between the lease (%v) and a recheck later", at, lease)
			}
		}},
		{"a send is cut off before the claim runs out", func(t *testing.T) {
			st, ls := sharedOutbox(t), newLeases(lease)
			start := time.Now()
			n := &fakeNotifier{behave: func(ctx context.Context, call int, _ news.OutboxMessage) error {
				if call > 0 {
					return nil
				}
				<-ctx.Done() // a hung chat API
				return ctx.Err()
			}}
			enqueueTitles(t, st, "m1")
			runDispatcher(t, replicaDispatcher(st, ls, "A", n))
			time.Sleep(lease)
			synctest.Wait()
			tries := n.tries()
			if len(tries) == 0 || !errors.Is(tries[0].err, context.DeadlineExceeded) {
				t.Fatalf("tries %+v, want the first cut off by its deadline", tries)
			}
			if at, want := tries[0].at.Sub(start), lease*3/4; at != want {
				t.Errorf("send cut off after %v, want %v (3/4 of the lease)", at, want)
			}
		}},
		{"a stopped sender gives its channel up", func(t *testing.T) {
			st, ls := sharedOutbox(t), newLeases(lease)
			n := &fakeNotifier{behave: func(context.Context, int, news.OutboxMessage) error {
				return &chat.SendError{Status: 503, Err: errors.New("upstream unavailable")}
			}}
			enqueueTitles(t, st, "m1")
			d := replicaDispatcher(st, ls, "A", n)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() {
				defer close(done)
				d.Run(ctx)
			}()
			synctest.Wait() // m1 failed once and waits for its retry
			if h := ls.heldBy("alpha"); h != "A" {
				t.Fatalf("alpha held by %q while A retries, want A", h)
			}
			cancel()
			<-done
			if h := ls.heldBy("alpha"); h != "" {
				t.Errorf("alpha held by %q after A stopped, want nobody", h)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { synctest.Test(t, tc.run) })
	}
}
