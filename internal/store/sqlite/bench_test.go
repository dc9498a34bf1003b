package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store/storetest"
)

// fillBench stores n benchmark items in one transaction, bypassing
// InsertItems only to avoid holding a million items in memory, then waits
// for the indexer to index them (reading them back, as after an upgrade).
func fillBench(ctx context.Context, s *Store, n int) error {
	if err := s.SyncFeeds(ctx, storetest.BenchFeeds()); err != nil {
		return err
	}
	c := storetest.NewCorpus(1, 2)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO items (feed, guid, link, title, summary, categories, author, published, first_seen, routed)
			VALUES (?, ?, ?, ?, ?, '', '', ?, ?, 1)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i := range n {
			it := c.Item(i)
			if _, err := ins.ExecContext(ctx, it.Feed, it.GUID, it.Link, it.Title, it.Summary, toNanos(it.Published), toNanos(it.FirstSeen)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.WaitIndexed(ctx)
}

// BenchmarkScanItems1M measures searches over a million stored items. Building
// the database takes a while, once per run.
func BenchmarkScanItems1M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a million items")
	}
	ctx := context.Background()
	s := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
	start := time.Now()
	if err := fillBench(ctx, s, storetest.BenchItems); err != nil {
		b.Fatalf("fill: %v", err)
	}
	if _, err := s.write.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatalf("analyze: %v", err)
	}
	b.Logf("stored %d items in %v", storetest.BenchItems, time.Since(start).Round(time.Millisecond))
	storetest.BenchScan(b, s, storetest.BenchItems)
}

// BenchmarkInsertItems measures storing a poll's worth of new items (one
// transaction of 50) into a store that already holds some.
func BenchmarkInsertItems(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "insert.db"))
	if err := fillBench(context.Background(), s, 10_000); err != nil {
		b.Fatalf("fill: %v", err)
	}
	storetest.BenchInsert(b, s, 10_000)
}

// BenchmarkSavePolls measures the storing part of a first poll at a desk's
// scale, as feeds.BenchmarkPoll's first poll does it: 3000 feeds of 20 new
// items each, saved by SavePolls in batches of 24 polls, into a new store.
func BenchmarkSavePolls(b *testing.B) {
	const feeds, perFeed, batch = 3000, 20, 24
	ctx := context.Background()
	c := storetest.NewCorpus(1, 2)
	defs := make([]news.Feed, feeds)
	states := make([]news.FeedState, feeds)
	items := make([][]news.Item, feeds)
	now := storetest.BenchBase.Add(time.Hour)
	for f := range defs {
		name := fmt.Sprintf("feed-%04d", f)
		defs[f] = news.Feed{Name: name, URL: "https://example.org/" + name}
		states[f] = news.FeedState{Feed: name, ETag: `"e"`, LastPoll: now, LastSuccess: now, NextPoll: now.Add(time.Minute)}
		for i := range perFeed {
			it := c.Item(f*perFeed + i)
			it.Summary += " " + c.Item(f*perFeed+i).Summary + " " + c.Item(f*perFeed+i).Title
			it.Categories = []string{"world", "europe"}
			items[f] = append(items[f], it)
		}
	}
	b.ReportAllocs()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s := openTest(b, filepath.Join(b.TempDir(), "save.db"))
		if err := s.SyncFeeds(ctx, defs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuTime()
		for start := 0; start < feeds; start += batch {
			end := min(start+batch, feeds)
			_, errs := s.SavePolls(ctx, states[start:end], items[start:end])
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		cpu += cpuTime() - c0
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the user and system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
