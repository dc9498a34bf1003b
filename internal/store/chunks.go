package store

import (
	"context"

	"github.com/feedwatch/feedwatch/internal/news"
)

// VisitByID calls fn with the items whose IDs are listed, in that order,
// reading them chunk at a time through fetch (which returns the items it
// found by ID), until fn returns false. An ID fetch no longer finds (the
// item was deleted since the IDs were read) is skipped. Stores use it for
// the second phase of ScanItems, after reading the candidates' IDs.
func VisitByID(ctx context.Context, ids []int64, chunk int,
	fetch func(context.Context, []int64) (map[int64]news.Item, error), fn func(news.Item) bool) error {
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		byID, err := fetch(ctx, part)
		if err != nil {
			return err
		}
		for _, id := range part {
			it, ok := byID[id]
			if !ok {
				continue
			}
			if !fn(it) {
				return nil
			}
		}
	}
	return nil
}
