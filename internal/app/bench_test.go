package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/config"
)

// TestScheduleSpreadsFeeds checks that the daemon's scheduler does not fire
// the polls of feeds that share a schedule in the same second: 300 feeds on
// the default @every 10m and 300 on "*/5 * * * *" are spread over their
// periods, each still polled once per period. (The poll benchmarks are in
// internal/feeds; this is the scheduling half of polling at scale.)
func TestScheduleSpreadsFeeds(t *testing.T) {
	const perSchedule = 300
	var y strings.Builder
	fmt.Fprintf(&y, "storage: {driver: sqlite, dsn: %q}\ndefaults: {schedule: \"@every 10m\"}\nfeeds:\n",
		filepath.Join(t.TempDir(), "spread.db"))
	for i := range perSchedule {
		fmt.Fprintf(&y, "  - {name: every-%03d, url: \"https://e%d.example/rss\"}\n", i, i)
		fmt.Fprintf(&y, "  - {name: cron-%03d, url: \"https://c%d.example/rss\", schedule: \"*/5 * * * *\"}\n", i, i)
	}
	cfg, err := config.LoadBytes("spread.yaml", []byte(y.String()), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := New(ctx, Options{Config: cfg, Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, err := a.schedule(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries := c.Entries()
	if len(entries) < 2*perSchedule {
		t.Fatalf("%d jobs scheduled, want at least %d feed polls", len(entries), 2*perSchedule)
	}
	now := time.Date(2025, 9, 1, 12, 0, 0, 0, cfg.Location())
	feedList := a.Feeds()
	tests := []struct {
		name   string
		prefix string
		period time.Duration
		within time.Duration // the first poll comes this soon at the latest
	}{
		{"@every 10m", "every-", 10 * time.Minute, 10 * time.Minute},
		{"*/5 * * * *", "cron-", 5 * time.Minute, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			perSecond := map[int64]int{}
			n := 0
			for i, e := range entries[:2*perSchedule] {
				name := feedList[i].Name
				if !strings.HasPrefix(name, tt.prefix) {
					continue
				}
				n++
				first := e.Schedule.Next(now)
				if !first.After(now) || first.Sub(now) > tt.within {
					t.Fatalf("%s: first poll at %v, want within %v of %v", name, first, tt.within, now)
				}
				if second := e.Schedule.Next(first); second.Sub(first) != tt.period {
					t.Errorf("%s: polled again %v later, want %v", name, second.Sub(first), tt.period)
				}
				perSecond[first.Unix()]++
			}
			worst := 0
			for _, k := range perSecond {
				worst = max(worst, k)
			}
			if n != perSchedule || worst > 8 || len(perSecond) < perSchedule/2 {
				t.Errorf("%d feeds polled in %d distinct seconds, at most %d in one; want %d feeds over at least %d seconds, at most 8 in one",
					n, len(perSecond), worst, perSchedule, perSchedule/2)
			}
		})
	}
	// The reroute safety net is not a feed: it keeps its plain schedule.
	last := entries[len(entries)-1]
	if got := last.Schedule.Next(now).Sub(now); got != rerouteEvery {
		t.Errorf("reroute runs %v after start, want %v", got, rerouteEvery)
	}
}
