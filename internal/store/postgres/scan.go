package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// firstScanBatch is how many items ScanItems reads before it knows whether
// the caller wants more: enough for a search reply.
const firstScanBatch = 32

// fetchChunk is how many items ScanItems reads by ID at a time once it has
// the keys of the rest.
const fetchChunk = 256

// scanPlan is the filter of a scan as SQL conditions with numbered
// parameters. The planner chooses the index (PostgreSQL estimates the
// selectivity of the values bound, see plan_cache_mode in Open).
type scanPlan struct {
	where []string
	args  []any
}

// add appends a condition in which each "?" stands for the next of args.
func (p *scanPlan) add(cond string, args ...any) {
	for _, a := range args {
		p.args = append(p.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(p.args)), 1)
	}
	p.where = append(p.where, cond)
}

// sql returns "SELECT cols FROM items WHERE ... ORDER BY ..." and its
// arguments, with a keyset condition (only the rows after that item in scan
// order) when after is set, and a limit when limit > 0.
func (p scanPlan) sql(cols string, after *news.Item, limit int) (string, []any) {
	q := scanPlan{where: slices.Clone(p.where), args: slices.Clone(p.args)}
	if after != nil {
		q.add("(published, id) < (?, ?)", after.Published, after.ID)
	}
	sql := "SELECT " + cols + " FROM items"
	if len(q.where) > 0 {
		sql += " WHERE " + strings.Join(q.where, " AND ")
	}
	sql += " ORDER BY published DESC, id DESC"
	if limit > 0 {
		q.args = append(q.args, limit)
		sql += " LIMIT $" + strconv.Itoa(len(q.args))
	}
	return sql, q.args
}

// planScan turns a filter into conditions. Words go through the GIN index;
// an item left unindexed (fts NULL, see maxDocBytes) is a candidate for any
// words, through its own partial index.
func planScan(f store.ItemFilter) scanPlan {
	var p scanPlan
	if f.Feed != "" {
		p.add("feed = ?", f.Feed)
	}
	if !f.Since.IsZero() {
		p.add("first_seen >= ?", stamp(f.Since))
	}
	if q := ftsQuery(f.Words); q != "" {
		p.add("(fts @@ ?::tsquery OR fts IS NULL)", q)
	}
	return p
}

// ScanItems calls fn with the items matching f, newest first (by Published,
// then ID), until fn returns false or items run out.
//
// It first reads a batch of the newest items, which is all a search needs.
// If the caller wants more, it reads the keys of every remaining match in one
// query, then the items by ID in chunks. No connection is held while fn
// runs, so fn may take its time or call the store.
func (s *Store) ScanItems(ctx context.Context, f store.ItemFilter, fn func(news.Item) bool) error {
	if err := s.scan(ctx, f, fn); err != nil {
		return fmt.Errorf("scan items: %w", err)
	}
	return nil
}

// scan is ScanItems without the error context.
func (s *Store) scan(ctx context.Context, f store.ItemFilter, fn func(news.Item) bool) error {
	p := planScan(f)
	query, args := p.sql(itemColumns(""), nil, firstScanBatch)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	first, err := collectItems(rows)
	if err != nil {
		return err
	}
	for _, it := range first {
		if !fn(it) {
			return nil
		}
	}
	if len(first) < firstScanBatch {
		return nil
	}

	query, args = p.sql("id", &first[len(first)-1], 0)
	rows, err = s.pool.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	return store.VisitByID(ctx, ids, fetchChunk, s.itemsByID, fn)
}

// itemsByID reads items by ID.
func (s *Store) itemsByID(ctx context.Context, ids []int64) (map[int64]news.Item, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+itemColumns("")+" FROM items WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, err
	}
	items, err := collectItems(rows)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]news.Item, len(items))
	for _, it := range items {
		byID[it.ID] = it
	}
	return byID, nil
}
