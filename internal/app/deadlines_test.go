package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
)

// stampedWriter records each console message with the (bubble) time it was
// written.
type stampedWriter struct {
	mu   sync.Mutex
	msgs []stamped
}

type stamped struct {
	at   time.Time
	text string
}

func (w *stampedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, stamped{time.Now(), string(p)})
	return len(p), nil
}

func (w *stampedWriter) take() []stamped {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

const deadlineConfig = `
storage: {driver: sqlite, dsn: %q}
channels:
  - {name: terminal, console: true}
deadlines:
  - name: soon
    title: Talks deadline
    due: %s
    query: talks
    remind: [20s, 10s, 0s]
    channels: [terminal]
`

// TestReminderLoopAcrossRestart runs the reminder loop and the dispatcher
// on the fake clock of a synctest bubble with a deadline 30 seconds ahead:
// each reminder reaches the console once, at its time, also when the
// process is stopped between two of them and started again (the store is
// closed and opened anew), and a reminder missed while stopped goes out on
// start.
func TestReminderLoopAcrossRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		due := start.Add(30 * time.Second)
		dsn := filepath.Join(t.TempDir(), "fw.db")
		cfg, err := config.LoadBytes("test.yaml", []byte(fmt.Sprintf(deadlineConfig, dsn, due.UTC().Format(time.RFC3339))),
			config.Options{CheckQuery: func(q string) error { _, err := query.Parse(q); return err }})
		if err != nil {
			t.Fatal(err)
		}
		out := &stampedWriter{}

		// run starts the app, lets it run for d of fake time, and stops it.
		run := func(d time.Duration) {
			a, err := New(context.Background(), Options{Config: cfg, Stdout: out})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { a.dispatcher.Run(ctx) })
			wg.Go(func() { a.runDeadlines(ctx) })
			time.Sleep(d)
			synctest.Wait()
			cancel()
			wg.Wait()
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
		}
		check := func(label string, want ...string) {
			t.Helper()
			got := out.take()
			if len(got) != len(want) {
				var texts []string
				for _, g := range got {
					texts = append(texts, g.text)
				}
				t.Fatalf("%s: %d messages, want %d: %q", label, len(got), len(want), texts)
			}
			for i, w := range want {
				parts := strings.SplitN(w, "|", 2)
				at, _ := time.ParseDuration(parts[0])
				if d := got[i].at.Sub(start); d < at-3*time.Second || d > at+3*time.Second {
					t.Errorf("%s: message %d at +%s, want +%s±3s", label, i, d, at)
				}
				if !strings.Contains(got[i].text, parts[1]) {
					t.Errorf("%s: message %d = %q, want it to contain %q", label, i, got[i].text, parts[1])
				}
			}
		}

		run(12 * time.Second) // the 20s-before reminder falls due at +10s
		check("first run", "10s|⏰ Talks deadline — in 20 seconds")

		// Stopped from +12s to +25s: the 10s-before reminder (due at +20s) is
		// still useful on start, as the next is not due yet.
		time.Sleep(13 * time.Second)
		run(10 * time.Second)
		check("after restart", "25s|in 5 seconds", "30s|⏰ Talks deadline — now")

		// Started again after the ladder: nothing is repeated.
		run(time.Minute)
		check("third run")
	})
}

const pinnedConfig = `
storage: {driver: sqlite, dsn: %q}
slack: {token: xoxb-test-token, api_url: %q}
channels:
  - {name: newsroom, slack: C0NEWS}
deadlines:
  - name: talks
    title: Talks deadline
    due: %s
    query: talks
    remind: [1h, 0s]
    channels: [newsroom]
    countdown: pinned
    mention: {within: 30m, slack: [S0TEAM]}
`

// TestPinnedCountdownEditsOneSlackMessage checks the wiring of a pinned
// countdown: the first reminder is posted, the next edits that message
// (chat.update with its ts), and the mention inside the window goes out as a
// post of its own, since an edit notifies nobody.
func TestPinnedCountdownEditsOneSlackMessage(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		mu.Lock()
		calls = append(calls, path.Base(r.URL.Path)+" ts="+r.PostForm.Get("ts")+" "+r.PostForm.Get("text"))
		n := len(calls)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":"C0NEWS","ts":"1700000000.%06d"}`, n)
	}))
	defer srv.Close()

	base := time.Date(2025, 8, 30, 12, 0, 0, 0, time.UTC)
	due := base.Add(2 * time.Hour)
	cfg, err := config.LoadBytes("test.yaml", []byte(fmt.Sprintf(pinnedConfig, filepath.Join(t.TempDir(), "fw.db"), srv.URL+"/", due.Format(time.RFC3339))),
		config.Options{CheckQuery: func(q string) error { _, err := query.Parse(q); return err }})
	if err != nil {
		t.Fatal(err)
	}
	now := base
	a, err := New(context.Background(), Options{Config: cfg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	step := func(at time.Time) {
		t.Helper()
		now = at
		if _, _, err := a.router.SendReminders(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := a.dispatcher.Drain(context.Background(), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	step(base)
	step(due.Add(-time.Hour))
	step(due)
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 3 {
		t.Fatalf("calls %q, want post, update, ping post", calls)
	}
	if !strings.HasPrefix(calls[0], "chat.postMessage ts= ⏰ Talks deadline — in 1 hour") {
		t.Errorf("first call %q", calls[0])
	}
	if !strings.HasPrefix(calls[1], "chat.update ts=1700000000.000001 ⏰ Talks deadline — now") {
		t.Errorf("second call %q, want an update of the first message", calls[1])
	}
	if !strings.HasPrefix(calls[2], "chat.postMessage ts= <!subteam^S0TEAM> ⏰ Talks deadline — now") {
		t.Errorf("third call %q, want the ping as a post", calls[2])
	}
}
