package feeds_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/feeds"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

const pollerRSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>1</guid><title>One</title><link>https://x.example/1</link></item>
<item><guid>2</guid><title>Two</title><link>https://x.example/2</link></item>
</channel></rss>`

func TestPollerHealthBackoffAndConditionalGet(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	var mode atomic.Value // "ok", "fail", "429"
	mode.Store("ok")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch mode.Load() {
		case "fail":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "429":
			w.Header().Set("Retry-After", "7200")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, pollerRSS)
	}))
	defer srv.Close()

	now := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	p := feeds.NewPoller(feeds.PollerOptions{
		Store:   st,
		Fetcher: feeds.NewFetcher(feeds.FetchOptions{AllowPrivate: true, Timeout: 5 * time.Second, Now: clock}),
		Now:     clock,
	})
	feed := news.Feed{Name: "x", URL: srv.URL, Source: news.SourceConfig}
	if err := st.SyncFeeds(ctx, []news.Feed{feed}); err != nil {
		t.Fatal(err)
	}

	res, err := p.Poll(ctx, feed)
	if err != nil || res.New != 2 || res.Fetched != 2 {
		t.Fatalf("first poll = %+v, %v; want 2 new", res, err)
	}
	res, err = p.Poll(ctx, feed)
	if err != nil || !res.NotModified || res.New != 0 {
		t.Fatalf("second poll = %+v, %v; want not modified", res, err)
	}

	mode.Store("fail")
	for i := 1; i <= 3; i++ {
		now = now.Add(feeds.Backoff(i - 1))
		if _, err := p.Poll(ctx, feed); err == nil {
			t.Fatalf("failing poll %d returned no error", i)
		}
		s, _ := st.FeedState(ctx, "x")
		if s.Failures != i || s.LastErrorMsg == "" || !s.NextPoll.Equal(now.Add(feeds.Backoff(i))) {
			t.Fatalf("after failure %d state = %+v", i, s)
		}
	}
	// Still backing off: not fetched at all.
	before := hits.Load()
	if res, err := p.Poll(ctx, feed); err != nil || !res.Skipped || hits.Load() != before {
		t.Fatalf("poll during backoff = %+v, %v, hits %d->%d", res, err, before, hits.Load())
	}

	// Retry-After longer than the backoff wins.
	mode.Store("429")
	now = now.Add(feeds.Backoff(3))
	_, err = p.Poll(ctx, feed)
	var se *feeds.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusTooManyRequests {
		t.Fatalf("429 poll err = %v", err)
	}
	s, _ := st.FeedState(ctx, "x")
	if want := now.Add(2 * time.Hour); !s.NextPoll.Equal(want) {
		t.Errorf("next poll after Retry-After = %v, want %v", s.NextPoll, want)
	}

	// Recovery resets the failure count.
	mode.Store("ok")
	now = now.Add(2 * time.Hour)
	if _, err := p.Poll(ctx, feed); err != nil {
		t.Fatal(err)
	}
	s, _ = st.FeedState(ctx, "x")
	if s.Failures != 0 || !s.LastSuccess.Equal(now) {
		t.Errorf("state after recovery = %+v", s)
	}
}

func TestPollAllIsolatesBrokenFeeds(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, pollerRSS) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>not a feed</body></html>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p := feeds.NewPoller(feeds.PollerOptions{Store: st, Fetcher: feeds.NewFetcher(feeds.FetchOptions{AllowPrivate: true}), Concurrency: 2})
	fs := []news.Feed{{Name: "good", URL: srv.URL + "/good"}, {Name: "html", URL: srv.URL + "/html"}, {Name: "gone", URL: srv.URL + "/missing"}}
	res, err := p.PollAll(ctx, fs)
	if err == nil {
		t.Fatal("no error for broken feeds")
	}
	for _, name := range []string{"poll html", "poll gone"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %q", err, name)
		}
	}
	if res[0].New != 2 {
		t.Errorf("good feed stored %d items, want 2", res[0].New)
	}
}

// TestPollerStoresUnwatchedItemsRouted checks that items no rule wants are
// stored already routed, and searchable, while the wanted ones wait for the
// router; with PollAll (batched saves) and Poll alike.
func TestPollerStoresUnwatchedItemsRouted(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "w.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, pollerRSS)
	}))
	defer srv.Close()
	now := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var asked atomic.Int32
	p := feeds.NewPoller(feeds.PollerOptions{
		Store:   st,
		Fetcher: feeds.NewFetcher(feeds.FetchOptions{AllowPrivate: true, Timeout: 5 * time.Second, Now: clock}),
		Now:     clock,
		Watched: func(it news.Item) bool {
			asked.Add(1)
			return it.Title == "Two"
		},
	})
	list := []news.Feed{
		{Name: "a", URL: srv.URL + "/a", Source: news.SourceConfig},
		{Name: "b", URL: srv.URL + "/b", Source: news.SourceConfig},
	}
	if err := st.SyncFeeds(ctx, list); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PollAll(ctx, list[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Poll(ctx, list[1]); err != nil {
		t.Fatal(err)
	}
	if n := asked.Load(); n != 4 {
		t.Errorf("Watched asked %d times, want once per item (4)", n)
	}
	un, err := st.UnroutedItems(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range un {
		got = append(got, it.Feed+"/"+it.Title)
	}
	if strings.Join(got, ",") != "a/Two,b/Two" {
		t.Errorf("unrouted items %v, want only the watched ones: a/Two, b/Two", got)
	}
	if n, err := st.CountItems(ctx); err != nil || n != 4 {
		t.Errorf("stored %d items (%v), want all 4", n, err)
	}
}
