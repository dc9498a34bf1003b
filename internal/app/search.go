package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/feedwatch/feedwatch/internal/alerts"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/news"
)

// Search returns the newest stored items matching src, up to
// alerts.SearchLimit. A query that does not parse is an error that points at
// the column.
func (a *App) Search(ctx context.Context, src string) ([]news.Item, error) {
	q, err := query.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", src, err)
	}
	return alerts.Search(ctx, a.store, q, time.Time{}, alerts.SearchLimit)
}

// SearchText is Search printed for a terminal: title, feed, age and link of
// each item, newest first.
func (a *App) SearchText(ctx context.Context, src string) (string, error) {
	items, err := a.Search(ctx, src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if len(items) == 0 {
		fmt.Fprintf(&b, "No stored items match %s.\n", src)
		return b.String(), nil
	}
	for i, it := range items {
		fmt.Fprintf(&b, "%2d. %s\n", i+1, oneLine(it.Title))
		fmt.Fprintf(&b, "    %s · %s", it.Feed, a.Age(it.Published))
		if it.Link != "" {
			fmt.Fprintf(&b, " · %s", it.Link)
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(untitled)"
	}
	return s
}

// Age says how long ago t was, as chat shows it ("just now", "5m ago",
// "3h ago", then the date in the configured zone).
func (a *App) Age(t time.Time) string { return a.renderer.Age(t) }
