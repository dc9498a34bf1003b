package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// The benchmarks mirror the SQLite store's, on the same generated items, so
// that the two can be compared. They need FEEDWATCH_TEST_POSTGRES.

// benchItems is the size of the ScanItems benchmark database.
const benchItems = 1_000_000

// rareEvery puts the benchmark's rare word in one item out of this many (0.1%).
const rareEvery = 1000

// benchVocabulary returns n pseudo-words, deterministic for a seed.
func benchVocabulary(r *rand.Rand, n int) []string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	words := make([]string, n)
	for i := range words {
		b := make([]byte, 4+r.IntN(6))
		for j := range b {
			b[j] = letters[r.IntN(len(letters))]
		}
		words[i] = string(b)
	}
	return words
}

// benchItem builds item i of the benchmark set: one item a minute, newest
// last, words from vocab, "zelensky" in one item out of rareEvery and
// "ukraine" in one out of ten.
func benchItem(r *rand.Rand, vocab []string, base time.Time, i int) news.Item {
	pick := func(n int) string {
		ws := make([]string, n)
		for j := range ws {
			ws[j] = vocab[r.IntN(len(vocab))]
		}
		return strings.Join(ws, " ")
	}
	title := pick(7)
	if i%rareEvery == 0 {
		title += " Zelensky"
	}
	if i%10 == 0 {
		title += " Ukraine"
	}
	pub := base.Add(time.Duration(i) * time.Minute)
	return news.Item{
		Feed:      fmt.Sprintf("feed-%02d", i%20),
		GUID:      fmt.Sprintf("guid-%d", i),
		Link:      fmt.Sprintf("https://example.org/%d", i),
		Title:     title,
		Summary:   pick(15),
		Published: pub,
		FirstSeen: pub.Add(time.Minute),
	}
}

// fillBench stores n benchmark items through InsertItems, a thousand (of
// one feed) at a time, and marks them routed.
func fillBench(ctx context.Context, s *Store, n int, base time.Time) error {
	feeds := make([]news.Feed, 20)
	for i := range feeds {
		feeds[i] = news.Feed{Name: fmt.Sprintf("feed-%02d", i), URL: fmt.Sprintf("https://f%d.example/rss", i)}
	}
	if err := s.SyncFeeds(ctx, feeds); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	vocab := benchVocabulary(r, 20000)
	byFeed := map[string][]news.Item{}
	flush := func(feed string) error {
		if _, err := s.InsertItems(ctx, feed, byFeed[feed]); err != nil {
			return err
		}
		byFeed[feed] = byFeed[feed][:0]
		return nil
	}
	for i := range n {
		it := benchItem(r, vocab, base, i)
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
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	if err := fillBench(ctx, s, benchItems, base); err != nil {
		b.Fatalf("fill: %v", err)
	}
	if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE items"); err != nil {
		b.Fatalf("analyze: %v", err)
	}
	b.Logf("stored %d items in %v", benchItems, time.Since(start).Round(time.Millisecond))
	last := base.Add(benchItems * time.Minute)

	cases := []struct {
		name  string
		f     store.ItemFilter
		limit int // 0 = all
		want  int
	}{
		{"rare word, limit 10", store.ItemFilter{Words: []store.Word{{Text: "zelensky"}}}, 10, 10},
		{"rare prefix, limit 10", store.ItemFilter{Words: []store.Word{{Text: "zelen", Prefix: true}}}, 10, 10},
		{"rare word, all", store.ItemFilter{Words: []store.Word{{Text: "zelensky"}}}, 0, benchItems / rareEvery},
		{"10% word, limit 10", store.ItemFilter{Words: []store.Word{{Text: "ukraine"}}}, 10, 10},
		{"10% word and rare word, limit 10", store.ItemFilter{Words: []store.Word{{Text: "ukraine"}, {Text: "zelensky"}}}, 10, 10},
		{"no filter, limit 10", store.ItemFilter{}, 10, 10},
		{"since a week, all", store.ItemFilter{Since: last.Add(-7 * 24 * time.Hour)}, 0, 7*24*60 + 1},
		{"since a week, rare word, all", store.ItemFilter{Since: last.Add(-7 * 24 * time.Hour), Words: []store.Word{{Text: "zelensky"}}}, 0, 10},
		{"one feed, limit 10", store.ItemFilter{Feed: "feed-07"}, 10, 10},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				n := 0
				err := s.ScanItems(ctx, tc.f, func(news.Item) bool {
					n++
					return tc.limit == 0 || n < tc.limit
				})
				if err != nil {
					b.Fatal(err)
				}
				if n != tc.want {
					b.Fatalf("%d items, want %d", n, tc.want)
				}
			}
		})
	}
}

// BenchmarkInsertItems measures storing a poll's worth of new items (one
// call of 50) into a store that already holds some.
func BenchmarkInsertItems(b *testing.B) {
	ctx := context.Background()
	s := openTest(b, freshSchema(b), Options{})
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := fillBench(ctx, s, 10_000, base); err != nil {
		b.Fatalf("fill: %v", err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	vocab := benchVocabulary(r, 20000)
	const batch = 50
	next := 10_000
	b.ReportAllocs()
	for b.Loop() {
		items := make([]news.Item, batch)
		for j := range items {
			items[j] = benchItem(r, vocab, base, next)
			next++
		}
		added, err := s.InsertItems(ctx, "feed-00", items)
		if err != nil {
			b.Fatal(err)
		}
		if len(added) != batch {
			b.Fatalf("%d new items, want %d", len(added), batch)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/item")
}
