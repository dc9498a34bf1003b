package store_test

import (
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

func TestPlanFeedSync(t *testing.T) {
	cfg := func(name, url string) news.Feed {
		return news.Feed{Name: name, URL: url, Schedule: "@every 10m", MaxAge: 48 * time.Hour, Source: news.SourceConfig}
	}
	chat := news.Feed{Name: "from-chat", URL: "https://c.example/rss", Schedule: "@every 10m", Source: news.SourceChat}
	have := []news.Feed{cfg("same", "https://a.example/rss"), cfg("moved", "https://old.example/rss"), cfg("gone", "https://g.example/rss"), chat,
		{Name: "claimed", URL: "https://x.example/rss", Schedule: "@every 10m", MaxAge: 48 * time.Hour, Source: news.SourceChat}}
	want := []news.Feed{cfg("same", "https://a.example/rss"), cfg("moved", "https://new.example/rss"), cfg("new", "https://n.example/rss"),
		{Name: "claimed", URL: "https://x.example/rss", Schedule: "@every 10m", MaxAge: 48 * time.Hour}}

	plan, err := store.PlanFeedSync(have, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Remove) != 1 || plan.Remove[0] != "gone" {
		t.Errorf("remove = %v, want [gone] (chat feeds kept)", plan.Remove)
	}
	if len(plan.Add) != 1 || plan.Add[0].Name != "new" || plan.Add[0].Source != news.SourceConfig {
		t.Errorf("add = %+v", plan.Add)
	}
	if len(plan.Update) != 2 || plan.Update[0].Feed.Name != "moved" || !plan.Update[0].URLChanged ||
		plan.Update[1].Feed.Name != "claimed" || plan.Update[1].URLChanged || plan.Update[1].Feed.Source != news.SourceConfig {
		t.Errorf("update = %+v, want moved (new URL) and claimed (becomes a config feed)", plan.Update)
	}

	for name, bad := range map[string][]news.Feed{
		"empty name": {{Name: ""}},
		"twice":      {cfg("a", "https://a.example"), cfg("a", "https://b.example")},
	} {
		if _, err := store.PlanFeedSync(nil, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
