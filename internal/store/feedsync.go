package store

import (
	"errors"
	"fmt"

	"github.com/feedwatch/feedwatch/internal/news"
)

// FeedSync is what Store.SyncFeeds must change to make the config feeds
// exactly a given list (see PlanFeedSync).
type FeedSync struct {
	Remove []string    // config feeds no longer listed
	Add    []news.Feed // listed feeds not stored yet
	Update []FeedUpdate
}

// FeedUpdate is a listed feed whose stored definition differs.
type FeedUpdate struct {
	Feed news.Feed
	// URLChanged says the conditional-request state and backoff describe
	// another URL and must be reset: a stale ETag could make the new URL
	// answer 304.
	URLChanged bool
}

// PlanFeedSync compares the stored feeds with the config's and says what to
// change. Feeds added from chat are kept, unless the config now lists the
// same name: then the config wins and the feed becomes a config feed. An
// empty or repeated name in want is an error.
func PlanFeedSync(have, want []news.Feed) (FeedSync, error) {
	listed := make(map[string]news.Feed, len(want))
	for _, f := range want {
		if f.Name == "" {
			return FeedSync{}, errors.New("feed with an empty name")
		}
		if _, dup := listed[f.Name]; dup {
			return FeedSync{}, fmt.Errorf("feed %q listed twice", f.Name)
		}
		f.Source = news.SourceConfig
		listed[f.Name] = f
	}
	var plan FeedSync
	stored := make(map[string]news.Feed, len(have))
	for _, f := range have {
		stored[f.Name] = f
		if _, keep := listed[f.Name]; !keep && f.Source == news.SourceConfig {
			plan.Remove = append(plan.Remove, f.Name)
		}
	}
	for _, w := range want {
		f := listed[w.Name]
		prev, exists := stored[f.Name]
		switch {
		case !exists:
			plan.Add = append(plan.Add, f)
		case prev != f:
			plan.Update = append(plan.Update, FeedUpdate{Feed: f, URLChanged: prev.URL != f.URL})
		}
	}
	return plan, nil
}

// Names lists the feeds a plan adds and updates, for logs.
func (p FeedSync) Names() (added, updated []string) {
	for _, f := range p.Add {
		added = append(added, f.Name)
	}
	for _, u := range p.Update {
		updated = append(updated, u.Feed.Name)
	}
	return added, updated
}
