package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// SearchLimit is how many items a search returns at most.
const SearchLimit = 10

// Search returns the newest stored items matching q, up to limit, first seen
// at or after since (zero = any time). The store's full-text index only finds
// candidates; the query evaluator decides, so search and alerts agree.
func Search(ctx context.Context, st store.Store, q *query.Query, since time.Time, limit int) ([]news.Item, error) {
	var out []news.Item
	err := ScanMatching(ctx, st, q, since, func(it news.Item) bool {
		out = append(out, it)
		return len(out) < limit
	})
	return out, err
}

// ScanMatching calls fn with every stored item matching q (first seen at or
// after since), newest first, until fn returns false.
func ScanMatching(ctx context.Context, st store.Store, q *query.Query, since time.Time, fn func(news.Item) bool) error {
	f := store.ItemFilter{Since: since}
	for _, t := range q.Required() {
		f.Words = append(f.Words, store.Word{Text: t.Text, Prefix: t.Prefix})
	}
	err := st.ScanItems(ctx, f, func(it news.Item) bool {
		if !q.Match(DocOf(it)) {
			return true
		}
		return fn(it)
	})
	if err != nil {
		return fmt.Errorf("search %q: %w", q.String(), err)
	}
	return nil
}
