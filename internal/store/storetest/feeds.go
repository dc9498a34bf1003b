package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// feedTests cover feed definitions and their state.
var feedTests = []test{
	{"SyncFeeds", testSyncFeeds},
	{"SyncFeedsDuplicateName", testSyncFeedsDuplicate},
	{"SyncFeedsURLChangeResetsFetchState", testSyncFeedsURLChange},
	{"AddFeed", testAddFeed},
	{"RemoveFeed", testRemoveFeed},
	{"FeedState", testFeedState},
	{"FeedStatesCountItems", testFeedStatesItems},
}

// cfg is a config feed.
func cfg(name, url string) news.Feed {
	return news.Feed{Name: name, URL: url, Schedule: "@every 10m", MaxAge: 48 * time.Hour, Source: news.SourceConfig}
}

// chatFeed is a feed added from chat.
func chatFeed(name, url string) news.Feed {
	return news.Feed{Name: name, URL: url, Schedule: "*/5 * * * *", Source: news.SourceChat}
}

func testSyncFeeds(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, c := cfg("a", "https://a.example/rss"), cfg("b", "https://b.example/rss"), cfg("c", "https://c.example/rss")
	chat := chatFeed("chat", "https://chat.example/rss")
	b2 := b
	b2.Schedule, b2.MaxAge = "*/15 * * * *", 0
	asChat := a
	asChat.Source = news.SourceChat // sync records config feeds whatever Source says

	steps := []struct {
		name string
		sync []news.Feed
		add  *news.Feed // added from chat before syncing
		want []news.Feed
	}{
		{name: "empty store", sync: []news.Feed{b, asChat}, want: []news.Feed{a, b}},
		{name: "unchanged", sync: []news.Feed{a, b}, want: []news.Feed{a, b}},
		{name: "chat feed kept", add: &chat, sync: []news.Feed{a, b}, want: []news.Feed{a, b, chat}},
		{name: "add, change and remove", sync: []news.Feed{b2, c}, want: []news.Feed{b2, c, chat}},
		{name: "config takes over a chat name", sync: []news.Feed{c, cfg("chat", "https://cfg.example/rss")},
			want: []news.Feed{c, cfg("chat", "https://cfg.example/rss")}},
		{name: "nothing", sync: nil, want: nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.add != nil {
				noErr(t, "AddFeed", s.AddFeed(ctx, *st.add))
			}
			noErr(t, "SyncFeeds", s.SyncFeeds(ctx, st.sync))
			got, err := s.Feeds(ctx)
			noErr(t, "Feeds", err)
			equal(t, "feeds", got, st.want)
		})
	}
}

func testSyncFeedsDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := cfg("a", "https://a.example/rss")
	noErr(t, "SyncFeeds", s.SyncFeeds(ctx, []news.Feed{a}))
	if err := s.SyncFeeds(ctx, []news.Feed{cfg("b", "https://b.example/rss"), a, a}); err == nil {
		t.Fatal("SyncFeeds with a name listed twice: no error")
	}
	got, err := s.Feeds(ctx)
	noErr(t, "Feeds", err)
	equal(t, "feeds after a refused sync", got, []news.Feed{a})
}

func testSyncFeedsURLChange(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := cfg("a", "https://a.example/rss")
	noErr(t, "SyncFeeds", s.SyncFeeds(ctx, []news.Feed{a}))
	full := news.FeedState{
		Feed: "a", ETag: `"v1"`, LastModified: "Fri, 14 Mar 2025 09:00:00 GMT",
		LastPoll: at(0), LastSuccess: at(-time.Hour), LastError: at(0), LastErrorMsg: "HTTP 503",
		Failures: 3, NextPoll: at(time.Hour),
	}
	noErr(t, "SaveFeedState", s.SaveFeedState(ctx, full))

	// Changing only the schedule keeps every piece of state.
	a.Schedule = "@hourly"
	noErr(t, "SyncFeeds", s.SyncFeeds(ctx, []news.Feed{a}))
	got, err := s.FeedState(ctx, "a")
	noErr(t, "FeedState", err)
	equal(t, "state after a schedule change", got, full)

	// A new URL must not be asked with the old URL's validators or backoff.
	a.URL = "https://a.example/feed.xml"
	noErr(t, "SyncFeeds", s.SyncFeeds(ctx, []news.Feed{a}))
	got, err = s.FeedState(ctx, "a")
	noErr(t, "FeedState", err)
	if got.ETag != "" || got.LastModified != "" || got.Failures != 0 || !got.NextPoll.IsZero() {
		t.Errorf("state after a URL change = %+v, want no ETag, Last-Modified, failures or next poll", got)
	}
	if !got.LastSuccess.Equal(full.LastSuccess) || !got.LastPoll.Equal(full.LastPoll) {
		t.Errorf("state after a URL change = %+v, want the poll history kept", got)
	}
}

func testAddFeed(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, "SyncFeeds", s.SyncFeeds(ctx, []news.Feed{cfg("conf", "https://conf.example/rss")}))
	claimed := chatFeed("x", "https://x.example/rss")
	claimed.Source = news.SourceConfig // a feed added from chat is a chat feed, whatever it claims
	noErr(t, "AddFeed", s.AddFeed(ctx, claimed))

	for _, name := range []string{"x", "conf"} {
		t.Run("duplicate "+name, func(t *testing.T) {
			err := s.AddFeed(ctx, chatFeed(name, "https://other.example/rss"))
			if !errors.Is(err, store.ErrExists) {
				t.Fatalf("AddFeed(%s) again: error %v, want store.ErrExists", name, err)
			}
		})
	}
	got, err := s.Feeds(ctx)
	noErr(t, "Feeds", err)
	equal(t, "feeds", got, []news.Feed{cfg("conf", "https://conf.example/rss"), chatFeed("x", "https://x.example/rss")})
}

func testRemoveFeed(t *testing.T, s store.Store) {
	ctx := t.Context()
	conf := cfg("conf", "https://conf.example/rss")
	noErr(t, "SyncFeeds", s.SyncFeeds(ctx, []news.Feed{conf}))
	noErr(t, "AddFeed", s.AddFeed(ctx, chatFeed("x", "https://x.example/rss")))

	cases := []struct {
		name    string
		feed    string
		wantErr error // nil = success
	}{
		{name: "config feed refused", feed: "conf", wantErr: store.ErrConfigDefined},
		{name: "chat feed", feed: "x"},
		{name: "already removed", feed: "x", wantErr: store.ErrNotFound},
		{name: "unknown", feed: "nope", wantErr: store.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, "RemoveFeed("+tc.feed+")", s.RemoveFeed(ctx, tc.feed), tc.wantErr)
		})
	}
	got, err := s.Feeds(ctx)
	noErr(t, "Feeds", err)
	equal(t, "feeds", got, []news.Feed{conf})
}

func testFeedState(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, "SyncFeeds", s.SyncFeeds(ctx, []news.Feed{cfg("a", "https://a.example/rss")}))

	got, err := s.FeedState(ctx, "a")
	noErr(t, "FeedState", err)
	equal(t, "state of a new feed", got, news.FeedState{Feed: "a"})
	got, err = s.FeedState(ctx, "unknown")
	noErr(t, "FeedState(unknown)", err)
	equal(t, "state of an unknown feed", got, news.FeedState{Feed: "unknown"})

	wantNotFound(t, "SaveFeedState(unknown)", s.SaveFeedState(ctx, news.FeedState{Feed: "unknown", Failures: 1}))

	states := []struct {
		name string
		st   news.FeedState
	}{
		{name: "every field", st: news.FeedState{
			Feed: "a", ETag: `W/"xyz"`, LastModified: "Fri, 14 Mar 2025 09:00:00 GMT",
			LastPoll: at(0), LastSuccess: at(-time.Minute), LastError: at(-time.Hour), LastErrorMsg: "timeout",
			Failures: 2, NextPoll: at(30 * time.Minute),
		}},
		{name: "non-UTC times come back in UTC", st: news.FeedState{
			Feed: "a", LastPoll: at(0).In(time.FixedZone("EET", 2*3600)), LastSuccess: at(time.Second).In(time.FixedZone("X", -5*3600)),
		}},
		{name: "zero times and Items ignored", st: news.FeedState{Feed: "a", Items: 42}},
	}
	for _, tc := range states {
		t.Run(tc.name, func(t *testing.T) {
			noErr(t, "SaveFeedState", s.SaveFeedState(ctx, tc.st))
			got, err := s.FeedState(ctx, "a")
			noErr(t, "FeedState", err)
			want := tc.st
			want.Items = 0
			want.LastPoll, want.LastSuccess = want.LastPoll.UTC(), want.LastSuccess.UTC()
			want.LastError, want.NextPoll = want.LastError.UTC(), want.NextPoll.UTC()
			equal(t, "state", got, want)
		})
	}
}

func testFeedStatesItems(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, "SyncFeeds", s.SyncFeeds(ctx, []news.Feed{cfg("a", "https://a.example/rss"), cfg("b", "https://b.example/rss")}))
	noErr(t, "AddFeed", s.AddFeed(ctx, chatFeed("c", "https://c.example/rss")))
	insert(t, s, "a", manyItems("a", 3, at(0))...)
	insert(t, s, "a", manyItems("a", 4, at(0))...) // one new
	insert(t, s, "c", manyItems("c", 2, at(0))...)
	noErr(t, "SaveFeedState", s.SaveFeedState(ctx, news.FeedState{Feed: "b", Failures: 5, LastErrorMsg: "HTTP 404"}))

	count := func(t *testing.T, want map[string]int) {
		t.Helper()
		states, err := s.FeedStates(ctx)
		noErr(t, "FeedStates", err)
		got := map[string]int{}
		var names []string
		for _, st := range states {
			got[st.Feed] = st.Items
			names = append(names, st.Feed)
		}
		equal(t, "items per feed", got, want)
		for i := 1; i < len(names); i++ {
			if names[i-1] >= names[i] {
				t.Errorf("FeedStates order %v, want by name", names)
			}
		}
	}
	count(t, map[string]int{"a": 4, "b": 0, "c": 2})

	states, err := s.FeedStates(ctx)
	noErr(t, "FeedStates", err)
	for _, st := range states {
		if st.Feed == "b" && (st.Failures != 5 || st.LastErrorMsg != "HTTP 404") {
			t.Errorf("FeedStates b = %+v, want its saved state", st)
		}
	}

	// Removing a feed keeps its items, still searchable; adding the feed
	// again finds them counted.
	noErr(t, "RemoveFeed", s.RemoveFeed(ctx, "c"))
	count(t, map[string]int{"a": 4, "b": 0})
	if got := scan(t, s, store.ItemFilter{Feed: "c"}); len(got) != 2 {
		t.Errorf("items of the removed feed: %d, want 2 kept", len(got))
	}
	n, err := s.CountItems(ctx)
	noErr(t, "CountItems", err)
	equal(t, "CountItems", n, 6)
	noErr(t, "AddFeed", s.AddFeed(ctx, chatFeed("c", "https://c.example/rss")))
	count(t, map[string]int{"a": 4, "b": 0, "c": 2})
}
