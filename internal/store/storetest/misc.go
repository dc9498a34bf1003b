package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// miscTests cover health and concurrent use.
var miscTests = []test{
	{"Ping", testPing},
	{"Concurrency", testConcurrency},
}

func testPing(t *testing.T, s store.Store) {
	noErr(t, "Ping", s.Ping(t.Context()))
}

// testConcurrency runs writers and readers at once: every method must be
// safe for concurrent use and none may fail with a lock error. Run it with
// -race.
func testConcurrency(t *testing.T, s store.Store) {
	ctx := t.Context()
	const (
		writers = 4
		readers = 4
		rounds  = 10
		perPoll = 5
	)
	feeds := make([]news.Feed, writers)
	for i := range feeds {
		feeds[i] = cfg(fmt.Sprint("f", i), fmt.Sprintf("https://f%d.example/rss", i))
	}
	noErr(t, "SyncFeeds", s.SyncFeeds(ctx, feeds))

	var writing, reading sync.WaitGroup
	errs := make(chan error, writers+readers)
	stop := make(chan struct{})
	for w := range writers {
		writing.Go(func() {
			feed := feeds[w].Name
			for r := range rounds {
				items := manyItems(fmt.Sprintf("%s-%d", feed, r), perPoll, at(0))
				added, err := s.InsertItems(ctx, feed, items)
				if err != nil {
					errs <- fmt.Errorf("writer %d: InsertItems: %w", w, err)
					return
				}
				err = s.Update(ctx, func(tx store.Tx) error {
					for _, it := range added {
						if err := tx.AddMatch(it.ID, "topic", at(0)); err != nil {
							return err
						}
						if _, err := tx.Deliver("news", "topic", it.StoryKey(), it.ID, at(0)); err != nil {
							return err
						}
						if err := tx.Enqueue(msg("news", it.GUID)); err != nil {
							return err
						}
					}
					return tx.MarkRouted(ids(added)...)
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d: Update: %w", w, err)
					return
				}
				if err := s.SaveFeedState(ctx, news.FeedState{Feed: feed, LastPoll: at(0), Failures: r}); err != nil {
					errs <- fmt.Errorf("writer %d: SaveFeedState: %w", w, err)
					return
				}
			}
		})
	}
	for r := range readers {
		reading.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch r {
				case 0:
					seen := 0
					err = s.ScanItems(ctx, store.ItemFilter{Words: []store.Word{{Text: "title"}}}, func(news.Item) bool {
						seen++
						return seen < 40
					})
				case 1:
					_, err = s.UnroutedItems(ctx, 50)
				case 2:
					_, err = s.FeedStates(ctx)
				default:
					if _, err = s.OutboxDepth(ctx); err == nil {
						_, _, err = s.NextOutbox(ctx, "news")
					}
				}
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
			}
		})
	}
	// Readers keep going for as long as the writers write.
	writing.Wait()
	close(stop)
	reading.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	n, err := s.CountItems(ctx)
	noErr(t, "CountItems", err)
	equal(t, "items", n, writers*rounds*perPoll)
	equal(t, "outbox depth", depth(t, s), writers*rounds*perPoll)
	un, err := s.UnroutedItems(ctx, 10)
	noErr(t, "UnroutedItems", err)
	equal(t, "unrouted", len(un), 0)
	m, err := s.CountMatches(ctx, "topic", at(0))
	noErr(t, "CountMatches", err)
	equal(t, "matches", m, writers*rounds*perPoll)
}
