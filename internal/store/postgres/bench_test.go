package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store/storetest"
)

// The benchmarks mirror the SQLite store's, on the same generated items, so
// that the two can be compared. They need FEEDWATCH_TEST_POSTGRES.

// fillBench stores n benchmark items through InsertItems, a thousand (of
// one feed) at a time, and marks them routed.
func fillBench(ctx context.Context, s *Store, n int) error {
	if err := s.SyncFeeds(ctx, storetest.BenchFeeds()); err != nil {
		return err
	}
	c := storetest.NewCorpus(1, 2)
	byFeed := map[string][]news.Item{}
	flush := func(feed string) error {
		if _, err := s.InsertItems(ctx, feed, byFeed[feed]); err != nil {
			return err
		}
		byFeed[feed] = byFeed[feed][:0]
		return nil
	}
	for i := range n {
		it := c.Item(i)
		if byFeed[it.Feed] = append(byFeed[it.Feed], it); len(byFeed[it.Feed]) == 1000 {
			if err := flush(it.Feed); err != nil {
				return err
			}
		}
	}
	for feed := range byFeed {
		if err := flush(feed); err != nil {
			return err
		}
	}
	_, err := s.pool.Exec(ctx, "UPDATE items SET routed = true")
	return err
}

// BenchmarkScanItems1M measures searches over a million stored items. Building
// the database takes a while, once per run.
func BenchmarkScanItems1M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a million items")
	}
	ctx := context.Background()
	s := openTest(b, freshSchema(b), Options{})
	start := time.Now()
	if err := fillBench(ctx, s, storetest.BenchItems); err != nil {
		b.Fatalf("fill: %v", err)
	}
	if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE items"); err != nil {
		b.Fatalf("analyze: %v", err)
	}
	b.Logf("stored %d items in %v", storetest.BenchItems, time.Since(start).Round(time.Millisecond))
	storetest.BenchScan(b, s, storetest.BenchItems)
}

// BenchmarkInsertItems measures storing a poll's worth of new items (one
// call of 50) into a store that already holds some.
func BenchmarkInsertItems(b *testing.B) {
	s := openTest(b, freshSchema(b), Options{})
	if err := fillBench(context.Background(), s, 10_000); err != nil {
		b.Fatalf("fill: %v", err)
	}
	storetest.BenchInsert(b, s, 10_000)
}
