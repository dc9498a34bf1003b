package storetest

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

// The store benchmarks share their data and cases, so that the SQLite and
// PostgreSQL figures compare like with like.

// BenchItems is the size of the ScanItems benchmark database.
const BenchItems = 1_000_000

// RareEvery puts the benchmark's rare word in one item out of this many (0.1%).
const RareEvery = 1000

// BenchBase is the publication time of benchmark item 0.
var BenchBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// BenchFeeds are the 20 feeds the benchmark items belong to.
func BenchFeeds() []news.Feed {
	feeds := make([]news.Feed, 20)
	for i := range feeds {
		feeds[i] = news.Feed{Name: fmt.Sprintf("feed-%02d", i), URL: fmt.Sprintf("https://f%d.example/rss", i)}
	}
	return feeds
}

// Corpus generates benchmark items, deterministically for a seed.
type Corpus struct {
	r     *rand.Rand
	vocab []string
}

// NewCorpus returns a corpus with a 20 000-word pseudo vocabulary.
func NewCorpus(seed1, seed2 uint64) *Corpus {
	r := rand.New(rand.NewPCG(seed1, seed2))
	const letters = "abcdefghijklmnopqrstuvwxyz"
	vocab := make([]string, 20000)
	for i := range vocab {
		b := make([]byte, 4+r.IntN(6))
		for j := range b {
			b[j] = letters[r.IntN(len(letters))]
		}
		vocab[i] = string(b)
	}
	return &Corpus{r: r, vocab: vocab}
}

// Item builds item i: one item a minute from BenchBase, newest last,
// "zelensky" in one item out of RareEvery and "ukraine" in one out of ten.
func (c *Corpus) Item(i int) news.Item {
	pick := func(n int) string {
		ws := make([]string, n)
		for j := range ws {
			ws[j] = c.vocab[c.r.IntN(len(c.vocab))]
		}
		return strings.Join(ws, " ")
	}
	title := pick(7)
	if i%RareEvery == 0 {
		title += " Zelensky"
	}
	if i%10 == 0 {
		title += " Ukraine"
	}
	pub := BenchBase.Add(time.Duration(i) * time.Minute)
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

// BenchScan runs the search cases over a store filled with the first n
// corpus items.
func BenchScan(b *testing.B, s store.Store, n int) {
	ctx := context.Background()
	last := BenchBase.Add(time.Duration(n) * time.Minute)
	cases := []struct {
		name  string
		f     store.ItemFilter
		limit int // 0 = all
		want  int
	}{
		{"rare word, limit 10", store.ItemFilter{Words: []store.Word{{Text: "zelensky"}}}, 10, 10},
		{"rare prefix, limit 10", store.ItemFilter{Words: []store.Word{{Text: "zelen", Prefix: true}}}, 10, 10},
		{"rare word, all", store.ItemFilter{Words: []store.Word{{Text: "zelensky"}}}, 0, n / RareEvery},
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
				got := 0
				err := s.ScanItems(ctx, tc.f, func(news.Item) bool {
					got++
					return tc.limit == 0 || got < tc.limit
				})
				if err != nil {
					b.Fatal(err)
				}
				if got != tc.want {
					b.Fatalf("%d items, want %d", got, tc.want)
				}
			}
		})
	}
}

// BenchInsert measures storing a poll's worth of new items (one call of 50)
// into a store already holding the first `from` corpus items.
func BenchInsert(b *testing.B, s store.Store, from int) {
	ctx := context.Background()
	c := NewCorpus(3, 4)
	const batch = 50
	next := from
	b.ReportAllocs()
	for b.Loop() {
		items := make([]news.Item, batch)
		for j := range items {
			items[j] = c.Item(next)
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
