package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/feedwatch/feedwatch/internal/store/postgres/pgtest"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// fakeLeaser records claims and answers with ok and err.
type fakeLeaser struct {
	ok  bool
	err error

	mu     sync.Mutex
	claims []string // name|holder|until
}

func (f *fakeLeaser) Claim(_ context.Context, name, holder string, until time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claims = append(f.claims, name+"|"+holder+"|"+until.Format(time.RFC3339))
	return f.ok, f.err
}

func (f *fakeLeaser) Release(context.Context, string, string) error { return nil }

func TestReplicaClaim(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	discard := slog.New(slog.DiscardHandler)
	cases := []struct {
		name   string
		leaser *fakeLeaser // nil: a process alone
		want   bool
	}{
		{"alone, every claim succeeds", nil, true},
		{"lease won", &fakeLeaser{ok: true}, true},
		{"lease held by another replica", &fakeLeaser{ok: false}, false},
		{"storage error counts as refused", &fakeLeaser{err: errors.New("connection reset")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r *replica
			if tc.leaser != nil {
				r = &replica{leaser: tc.leaser, id: "host-1-abcd", lease: 30 * time.Second, now: clock, log: discard}
			}
			if got := r.claim(t.Context(), pollLease("wire")); got != tc.want {
				t.Errorf("claim = %v, want %v", got, tc.want)
			}
			r.release(t.Context(), pollLease("wire"))
			if tc.leaser == nil {
				return
			}
			want := "poll:wire|host-1-abcd|2026-01-02T03:04:35Z" // now + lease
			if len(tc.leaser.claims) != 1 || tc.leaser.claims[0] != want {
				t.Errorf("claims %q, want [%q]", tc.leaser.claims, want)
			}
		})
	}
}

func TestReplicaID(t *testing.T) {
	a, err := replicaID()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := replicaID()
	if a == b {
		t.Errorf("two ids alike: %q", a)
	}
	if !strings.Contains(a, fmt.Sprintf("-%d-", os.Getpid())) {
		t.Errorf("id %q lacks the pid", a)
	}
}

// The tests below run two apps on one PostgreSQL schema, as two replicas
// would; they skip without FEEDWATCH_TEST_POSTGRES.

const envPostgres = "FEEDWATCH_TEST_POSTGRES"

// freshSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose search_path is that schema; it skips without a server.
func freshSchema(t *testing.T) string { return pgtest.FreshSchema(t, "fwapp") }

const replicaAppConfig = `
storage: {driver: postgres, dsn: %q, lease: 30s}
channels:
  - {name: desk, console: true}
  - {name: brief, console: true}
topics:
  - {name: talks, query: '"peace talks"'}
subscriptions:
  - {channel: brief, mode: digest, schedule: "0 8 * * *"}
deadlines:
  - name: vote
    title: Vote deadline
    due: %s
    query: vote
    remind: [0s]
    channels: [desk, brief]
`

// replicaApps opens n apps on one fresh schema, with a deadline due at due,
// on the clock now (nil = time.Now).
func replicaApps(t *testing.T, n int, due time.Time, now func() time.Time) []*App {
	t.Helper()
	dsn := freshSchema(t)
	cfg, err := config.LoadBytes("test.yaml", []byte(fmt.Sprintf(replicaAppConfig, dsn, due.UTC().Format(time.RFC3339))),
		config.Options{CheckQuery: func(q string) error { _, err := query.Parse(q); return err }})
	if err != nil {
		t.Fatal(err)
	}
	var apps []*App
	for range n {
		a, err := New(t.Context(), Options{Config: cfg, Stdout: &bytes.Buffer{}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		if a.replica == nil {
			t.Fatal("an app on PostgreSQL does not share its work")
		}
		apps = append(apps, a)
	}
	return apps
}

func hasTopic(a *App, name string) bool {
	_, _, ok := a.router.Rules().Topic(name)
	return ok
}

func TestReplicaChangesReachOthers(t *testing.T) {
	apps := replicaApps(t, 2, time.Now().Add(time.Hour), nil)
	one, other := apps[0], apps[1]
	ctx := t.Context()
	b := commandBackend{one}

	steps := []struct {
		name   string
		change func(t *testing.T)
		check  func(a *App) bool
	}{
		{"topic watched", func(t *testing.T) {
			if err := one.store.AddTopic(ctx, news.Topic{Name: "ceasefire", Query: "ceasefire", Channel: "desk", Source: news.SourceChat}); err != nil {
				t.Fatal(err)
			}
			if err := b.reload(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}, func(a *App) bool { return hasTopic(a, "ceasefire") }},
		{"deadline added", func(t *testing.T) {
			d := news.Deadline{Name: "summit", Title: "Summit", Due: time.Now().Add(48 * time.Hour), Query: "summit",
				Remind: []time.Duration{time.Hour}, Channels: []string{"desk"}, Countdown: news.CountdownPosts,
				Source: news.SourceChat, Created: time.Now()}
			if err := one.store.AddDeadline(ctx, d); err != nil {
				t.Fatal(err)
			}
			if err := b.reload(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}, func(a *App) bool {
			for _, d := range a.router.Rules().Deadlines() {
				if d.Name == "summit" {
					return true
				}
			}
			return false
		}},
		{"feed added", func(t *testing.T) {
			f := news.Feed{Name: "extra", URL: "https://feeds.example/extra.xml", Schedule: "@every 10m", Source: news.SourceChat}
			if err := one.store.AddFeed(ctx, f); err != nil {
				t.Fatal(err)
			}
			if err := one.reloadFeeds(ctx); err != nil {
				t.Fatal(err)
			}
			one.announce(ctx)
		}, func(a *App) bool { _, ok := a.feed("extra"); return ok }},
		{"topic unwatched", func(t *testing.T) {
			if err := one.store.RemoveTopic(ctx, "ceasefire"); err != nil {
				t.Fatal(err)
			}
			if err := b.reload(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}, func(a *App) bool { return !hasTopic(a, "ceasefire") }},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.change(t)
			if !s.check(one) {
				t.Fatal("not in force on the replica that made it")
			}
			if s.check(other) {
				t.Fatal("in force on the other replica before it looked")
			}
			if err := other.syncChanges(ctx); err != nil {
				t.Fatal(err)
			}
			if !s.check(other) {
				t.Error("not in force on the other replica after it looked")
			}
			select {
			case <-other.feedsChanged():
			default:
				t.Error("the chat feed scheduler was not told to sync")
			}
			// Nothing more to do until the next change.
			if err := other.syncChanges(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case <-other.feedsChanged():
				t.Error("reloaded again without a change")
			default:
			}
		})
	}
}

// outboxTitles lists the titles queued for channel, oldest first, marking
// each sent.
func outboxTitles(t *testing.T, st store.Store, channel string) []string {
	t.Helper()
	var out []string
	for {
		m, ok, err := st.NextOutbox(t.Context(), channel)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, m.Message.Title)
		if err := st.MarkSent(t.Context(), m.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReplicaReminderOnce runs the reminder pass of three replicas at once
// when a reminder is due: it is queued once per channel, and counted once.
func TestReplicaReminderOnce(t *testing.T) {
	start := time.Now()
	due := start.Add(time.Minute)
	var clock atomic.Int64 // nanoseconds past start
	now := func() time.Time { return start.Add(time.Duration(clock.Load())) }
	apps := replicaApps(t, 3, due, now)
	// Tracking begins before the deadline (a reminder is never sent for
	// a moment before feedwatch knew of the deadline)...
	if _, n, err := apps[0].router.SendReminders(t.Context()); err != nil || n != 0 {
		t.Fatalf("reminders before the deadline: %d queued, %v", n, err)
	}
	// ...and every replica's pass runs once it is due.
	clock.Store(int64(time.Minute + time.Second))
	var wg sync.WaitGroup
	var queued atomic.Int64
	for _, a := range apps {
		wg.Go(func() {
			_, n := a.remindPass(t.Context())
			queued.Add(int64(n))
		})
	}
	wg.Wait()
	for _, ch := range []string{"desk", "brief"} {
		got := outboxTitles(t, apps[0].store, ch)
		if len(got) != 1 || !strings.Contains(got[0], "Vote deadline") {
			t.Errorf("channel %s: queued %q, want one reminder of the vote deadline", ch, got)
		}
	}
	if n := queued.Load(); n != 2 {
		t.Errorf("replicas report %d messages queued in all, want 2", n)
	}
}

// TestReplicaLeases checks that of replicas claiming the same work at once
// exactly one wins, for each kind of shared work.
func TestReplicaLeases(t *testing.T) {
	apps := replicaApps(t, 3, time.Now().Add(time.Hour), nil)
	sub := apps[0].router.Rules().Subscriptions()[0]
	for _, name := range []string{pollLease("wire"), sendLease("desk"), digestLease(sub), remindLease} {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			var won atomic.Int64
			for _, a := range apps {
				wg.Go(func() {
					if a.replica.claim(t.Context(), name) {
						won.Add(1)
					}
				})
			}
			wg.Wait()
			if n := won.Load(); n != 1 {
				t.Errorf("%d replicas won %s, want 1", n, name)
			}
		})
	}
}
