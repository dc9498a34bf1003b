package feeds_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/feedwatch/feedwatch/internal/feeds"
)

// spreadFeeds is how many feeds the spreading tests schedule.
const spreadFeeds = 3000

func TestSpreadEvery(t *testing.T) {
	start := time.Date(2025, 9, 1, 12, 0, 0, 0, time.FixedZone("EEST", 3*3600))
	tests := []struct {
		name    string
		period  time.Duration
		maxSame int // feeds allowed to fire in the same second
	}{
		{"every 10 minutes", 10 * time.Minute, 20},
		{"every minute", time.Minute, 100},
		{"every hour", time.Hour, 10},
		{"every second", time.Second, spreadFeeds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			perSecond := map[int64]int{}
			for i := range spreadFeeds {
				key := fmt.Sprintf("feed-%04d", i)
				s := feeds.SpreadEvery(tt.period, key)
				first := s.Next(start)
				if !first.After(start) || first.Sub(start) > tt.period {
					t.Fatalf("%s: first firing %v, want within %v after %v", key, first, tt.period, start)
				}
				if first.Location() != start.Location() {
					t.Errorf("%s: firing in %v, want the caller's location", key, first.Location())
				}
				at := first
				for range 3 {
					next := s.Next(at)
					if got := next.Sub(at); got != tt.period {
						t.Fatalf("%s: fired %v after the previous firing, want %v", key, got, tt.period)
					}
					at = next
				}
				// Between two firings, Next still gives the coming one.
				if mid := s.Next(first.Add(tt.period / 2)); !mid.Equal(first.Add(tt.period)) {
					t.Errorf("%s: Next from mid-period = %v, want %v", key, mid, first.Add(tt.period))
				}
				if again := feeds.SpreadEvery(tt.period, key).Next(start); !again.Equal(first) {
					t.Errorf("%s: a new schedule fires at %v, the first at %v: not deterministic", key, again, first)
				}
				perSecond[first.Unix()]++
			}
			worst := 0
			for _, n := range perSecond {
				worst = max(worst, n)
			}
			if worst > tt.maxSame {
				t.Errorf("%d feeds fire in the same second, want at most %d", worst, tt.maxSame)
			}
		})
	}
}

func TestSpread(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	start := time.Date(2025, 9, 5, 7, 58, 0, 0, loc) // a Friday
	tests := []struct {
		name    string
		spec    string
		window  time.Duration // the most a firing may move
		maxSame int
	}{
		{"every five minutes", "*/5 * * * *", 5 * time.Minute, 40},
		{"hourly", "0 * * * *", feeds.MaxSpread, 40},
		{"weekday mornings", "0 8 * * 1-5", feeds.MaxSpread, 40},
		{"every ten seconds", "*/10 * * * * *", 10 * time.Second, spreadFeeds},
	}
	parser := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, err := parser.Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			base.(*cron.SpecSchedule).Location = loc
			perSecond := map[int64]int{}
			for i := range spreadFeeds {
				key := fmt.Sprintf("feed-%04d", i)
				s := feeds.Spread(base, key)
				at := start
				var shift time.Duration
				for n := range 4 {
					next := s.Next(at)
					// The base firing it was moved from: the last one at
					// or before it, less than a window before it.
					from := base.Next(next.Add(-tt.window))
					if !next.After(at) || from.After(next) {
						t.Fatalf("%s: firing %d at %v after %v, not within %v of a base firing", key, n, next, at, tt.window)
					}
					if n == 0 {
						shift = next.Sub(from)
						perSecond[next.Unix()]++
					} else if got := next.Sub(from); got != shift {
						t.Fatalf("%s: firing %d moved by %v, the first by %v", key, n, got, shift)
					}
					at = next
				}
			}
			worst := 0
			for _, n := range perSecond {
				worst = max(worst, n)
			}
			if worst > tt.maxSame {
				t.Errorf("%d feeds fire in the same second, want at most %d", worst, tt.maxSame)
			}
		})
	}
}
