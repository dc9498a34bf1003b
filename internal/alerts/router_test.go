package alerts_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/alerts"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

var t0 = time.Date(2025, 8, 30, 12, 0, 0, 0, time.UTC)

type fixture struct {
	st     store.Store
	router *alerts.Router
	now    time.Time
}

func newFixture(t *testing.T, topics []news.Topic, subs []news.Subscription, maxAge time.Duration) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fw.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rules, err := alerts.NewRules(topics, subs, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, now: t0}
	f.router = alerts.NewRouter(alerts.RouterOptions{
		Store:  st,
		Rules:  rules,
		Now:    func() time.Time { return f.now },
		MaxAge: func(string) time.Duration { return maxAge },
	})
	return f
}

func (f *fixture) insert(t *testing.T, feed string, items ...news.Item) {
	t.Helper()
	for i := range items {
		items[i].Feed = feed
		if items[i].FirstSeen.IsZero() {
			items[i].FirstSeen = f.now
		}
		if items[i].Published.IsZero() {
			items[i].Published = f.now
		}
	}
	if _, err := f.st.InsertItems(context.Background(), feed, items); err != nil {
		t.Fatal(err)
	}
}

// drain returns every queued message of a channel and marks it sent.
func (f *fixture) drain(t *testing.T, channel string) []news.Message {
	t.Helper()
	ctx := context.Background()
	var out []news.Message
	for {
		m, ok, err := f.st.NextOutbox(ctx, channel)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, m.Message)
		if err := f.st.MarkSent(ctx, m.ID, f.now); err != nil {
			t.Fatal(err)
		}
	}
}

func titles(m news.Message) map[string][]string {
	out := map[string][]string{}
	for _, s := range m.Sections {
		for _, e := range s.Entries {
			out[s.Topic] = append(out[s.Topic], e.Title)
		}
	}
	return out
}

var (
	talks   = news.Topic{Name: "talks", Query: `"peace talks" (Putin OR Zelensky*) -football`}
	oil     = news.Topic{Name: "oil", Query: `"Russian oil" (India OR China)`}
	instant = news.Subscription{Channel: "newsroom", Mode: news.ModeInstant}
)

func TestRouteInstantGroupsPerChannelAndNeverRepeats(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, []news.Topic{talks, oil}, []news.Subscription{
		instant,
		{Channel: "oil-desk", Topics: []string{"oil"}, Mode: news.ModeInstant},
	}, 0)
	f.insert(t, "wire",
		news.Item{GUID: "1", Title: "Putin rejects peace talks with Zelenskyy", Link: "https://a.example/1", Published: t0.Add(-time.Hour)},
		news.Item{GUID: "2", Title: "India keeps buying Russian oil", Link: "https://a.example/2", Published: t0.Add(-2 * time.Hour)},
		news.Item{GUID: "3", Title: "Football club announces peace talks with Putin fans", Link: "https://a.example/3"},
		news.Item{GUID: "4", Title: "Weather: heat wave", Link: "https://a.example/4"},
	)
	n, err := f.router.RouteNew(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("queued %d messages, want 2 (one per channel)", n)
	}
	news1 := f.drain(t, "newsroom")
	if len(news1) != 1 {
		t.Fatalf("newsroom got %d messages, want 1", len(news1))
	}
	got := titles(news1[0])
	if fmt.Sprint(got["talks"]) != "[Putin rejects peace talks with Zelenskyy]" || fmt.Sprint(got["oil"]) != "[India keeps buying Russian oil]" {
		t.Errorf("newsroom sections = %v", got)
	}
	if news1[0].Sections[0].Topic != "talks" {
		t.Errorf("sections not in topic order: %+v", news1[0].Sections)
	}
	desk := f.drain(t, "oil-desk")
	if len(desk) != 1 || len(desk[0].Sections) != 1 || desk[0].Sections[0].Topic != "oil" {
		t.Fatalf("oil-desk got %+v", desk)
	}

	// The same story again from another feed (same canonical link), and a
	// second routing pass: nothing new goes out.
	f.insert(t, "other", news.Item{GUID: "x", Title: "Putin rejects peace talks with Zelensky (updated)", Link: "https://a.example/1"})
	if n, err := f.router.RouteNew(ctx); err != nil || n != 0 {
		t.Fatalf("second pass queued %d (err %v), want 0", n, err)
	}
	if n, err := f.router.RouteNew(ctx); err != nil || n != 0 {
		t.Fatalf("third pass queued %d (err %v), want 0", n, err)
	}
	if c, err := f.st.CountMatches(ctx, "talks", time.Time{}); err != nil || c != 2 {
		t.Errorf("talks matches = %d (err %v), want 2 (both recorded, one alerted)", c, err)
	}
}

func TestRouteMaxAgeStoresButNeverAlerts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, []news.Topic{talks}, []news.Subscription{instant}, 48*time.Hour)
	f.insert(t, "wire",
		news.Item{GUID: "old", Title: "Putin and peace talks, a year ago", Published: t0.Add(-72 * time.Hour)},
		news.Item{GUID: "new", Title: "Putin and peace talks today", Published: t0.Add(-time.Hour)},
	)
	if _, err := f.router.RouteNew(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := f.drain(t, "newsroom")
	if len(msgs) != 1 || fmt.Sprint(titles(msgs[0])["talks"]) != "[Putin and peace talks today]" {
		t.Fatalf("got %+v", msgs)
	}
	if c, _ := f.st.CountMatches(ctx, "talks", time.Time{}); c != 2 {
		t.Errorf("matches = %d, want 2: the old item still matched", c)
	}
}

func TestRouteSplitsIntoParts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, []news.Topic{talks}, []news.Subscription{instant}, 0)
	f.router = alerts.NewRouter(alerts.RouterOptions{
		Store: f.st, Rules: f.router.Rules(), Now: func() time.Time { return f.now },
		// A platform that takes 10 entries per message.
		Split: func(_ string, m news.Message) []news.Message {
			var parts []news.Message
			entries := m.Sections[0].Entries
			for len(entries) > 0 {
				k := min(10, len(entries))
				p := m
				p.Sections = []news.Section{{Topic: m.Sections[0].Topic, Entries: entries[:k]}}
				parts = append(parts, p)
				entries = entries[k:]
			}
			return parts
		},
	})
	var items []news.Item
	for i := range 100 {
		items = append(items, news.Item{GUID: fmt.Sprint(i), Title: fmt.Sprintf("Peace talks: Putin statement %d", i), Link: fmt.Sprintf("https://a.example/%d", i)})
	}
	f.insert(t, "wire", items...)
	n, err := f.router.RouteNew(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Fatalf("a burst of 100 matches made %d messages, want 10", n)
	}
	seen := map[string]bool{}
	for _, m := range f.drain(t, "newsroom") {
		for _, e := range m.Sections[0].Entries {
			if seen[e.Title] {
				t.Errorf("%q twice", e.Title)
			}
			seen[e.Title] = true
		}
	}
	if len(seen) != 100 {
		t.Errorf("%d entries delivered, want 100", len(seen))
	}
}

func TestDigestHoldsExactlyTheMatchesSinceThePrevious(t *testing.T) {
	ctx := context.Background()
	sub := news.Subscription{Channel: "war-room", Mode: news.ModeDigest, Schedule: "@daily"}
	f := newFixture(t, []news.Topic{talks, oil}, []news.Subscription{sub}, 0)

	// Nothing pending: no digest.
	if n, err := f.router.SendDigest(ctx, sub); err != nil || n != 0 {
		t.Fatalf("empty digest queued %d (err %v)", n, err)
	}

	f.insert(t, "wire",
		news.Item{GUID: "1", Title: "Trump sets Monday deadline for Putin to agree to peace talks", Link: "https://a.example/deadline?utm_source=x", Published: t0.Add(-3 * time.Hour)},
		news.Item{GUID: "2", Title: "China and India defend purchases of Russian oil", Link: "https://a.example/oil", Published: t0.Add(-2 * time.Hour)},
		news.Item{GUID: "3", Title: "Zelensky ready for peace talks in Istanbul", Link: "https://a.example/istanbul", Published: t0.Add(-time.Hour)},
	)
	f.insert(t, "agency",
		// Same story, nearly the same headline, another link.
		news.Item{GUID: "a", Title: "Trump sets Monday deadline for Putin to agree to peace talks, White House says", Link: "https://b.example/story", Published: t0.Add(-150 * time.Minute)},
	)
	if _, err := f.router.RouteNew(ctx); err != nil {
		t.Fatal(err)
	}
	if msgs := f.drain(t, "war-room"); len(msgs) != 0 {
		t.Fatalf("digest subscription got instant messages: %+v", msgs)
	}
	f.now = t0.Add(time.Hour)
	n, err := f.router.SendDigest(ctx, sub)
	if err != nil || n != 1 {
		t.Fatalf("digest queued %d (err %v), want 1", n, err)
	}
	msgs := f.drain(t, "war-room")
	d := msgs[0]
	if d.Kind != news.KindDigest || len(d.Sections) != 2 {
		t.Fatalf("digest = %+v", d)
	}
	talksSec := d.Sections[0]
	if talksSec.Topic != "talks" || len(talksSec.Entries) != 2 {
		t.Fatalf("talks section = %+v", talksSec)
	}
	// Newest first; the deadline story has two sources.
	if talksSec.Entries[0].Title != "Zelensky ready for peace talks in Istanbul" {
		t.Errorf("first entry %q, want the newest", talksSec.Entries[0].Title)
	}
	if talksSec.Entries[1].Sources != 2 {
		t.Errorf("deadline story sources = %d, want 2", talksSec.Entries[1].Sources)
	}

	// The next digest: only what came since.
	if n, _ := f.router.SendDigest(ctx, sub); n != 0 {
		t.Fatalf("repeat digest queued %d, want 0 (nothing new)", n)
	}
	f.insert(t, "wire", news.Item{GUID: "4", Title: "Turkey cuts Russian oil imports as China steps in", Link: "https://a.example/turkey"})
	if _, err := f.router.RouteNew(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.router.SendDigest(ctx, sub); n != 1 {
		t.Fatalf("second digest queued %d, want 1", n)
	}
	second := f.drain(t, "war-room")[0]
	if got := titles(second); len(got) != 1 || fmt.Sprint(got["oil"]) != "[Turkey cuts Russian oil imports as China steps in]" {
		t.Errorf("second digest = %v", got)
	}
	if second.Intro == "" {
		t.Error("second digest does not say since when")
	}
}

func TestCluster(t *testing.T) {
	items := []news.Item{
		{ID: 1, Feed: "a", GUID: "1", Link: "https://x/1", Title: "Kremlin says Putin open to meeting Zelensky", Published: t0},
		{ID: 2, Feed: "b", GUID: "2", Link: "https://x/1", Title: "Different words, same link", Published: t0.Add(-time.Hour)},
		{ID: 3, Feed: "c", GUID: "3", Link: "https://y/3", Title: "Kremlin says Putin is open to meeting Zelensky", Published: t0.Add(-2 * time.Hour)},
		{ID: 4, Feed: "c", GUID: "4", Link: "https://y/4", Title: "Kremlin says Putin open to meeting Zelensky", Published: t0.Add(-50 * time.Hour)},
		{ID: 5, Feed: "d", GUID: "5", Link: "https://y/5", Title: "Live", Published: t0},
		{ID: 6, Feed: "e", GUID: "6", Link: "https://y/6", Title: "Live", Published: t0},
	}
	stories := alerts.Cluster(items)
	if len(stories) != 4 {
		t.Fatalf("%d stories, want 4: %+v", len(stories), stories)
	}
	for _, s := range stories {
		for _, it := range s.Items {
			if it.ID == 1 && s.Sources() != 3 {
				t.Errorf("story of item 1 has %d sources, want 3 (same link, near-same title)", s.Sources())
			}
		}
	}
	if got := stories[len(stories)-1].Items[0].ID; got != 4 {
		t.Errorf("oldest story lead = %d, want 4 (more than a day apart: its own story)", got)
	}
}
