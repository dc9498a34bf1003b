package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"

	"modernc.org/sqlite"

	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// firstScanBatch is how many items ScanItems reads before it knows whether
// the caller wants more: enough for a search reply.
const firstScanBatch = 32

// fetchChunk is how many items ScanItems reads by ID at a time once it has
// the keys of the rest.
const fetchChunk = 256

// defaultSmallWindow is the number of items first seen since
// ItemFilter.Since under which a scan reads them all through the first_seen
// index and sorts them, rather than walking every item in publication order
// (Store.smallWindow, which tests lower to exercise both ways).
const defaultSmallWindow = 20000

// scanPlan is the query ScanItems runs, minus its ordering and paging.
type scanPlan struct {
	from  string // the items table, with the index that drives the scan
	where []string
	args  []any
	// boundSince is set when the walk in publication order still needs the
	// lower bound that Since implies (see bound).
	boundSince int64
	needBound  bool
}

// add appends a condition and its argument.
func (p *scanPlan) add(cond string, arg any) {
	p.where = append(p.where, cond)
	p.args = append(p.args, arg)
}

// sql returns "SELECT cols FROM ... WHERE ... ORDER BY ..." with extra
// conditions, and its arguments.
func (p *scanPlan) sql(cols string, extra []string, extraArgs []any) (string, []any) {
	conds := append(append([]string{"1"}, p.where...), extra...)
	return "SELECT " + cols + " FROM " + p.from + " WHERE " + strings.Join(conds, " AND ") +
		" ORDER BY published DESC, id DESC", append(append([]any(nil), p.args...), extraArgs...)
}

// plan chooses the index that drives a scan; ok is false when nothing can
// match. Words never drive: their matches are gathered once per query from
// the full-text index (cheap even for a word in every tenth item) and only
// filter an index walk, because ordering the matches of a common word by
// publication would mean reading every one of them from the items table.
func (s *Store) plan(ctx context.Context, f store.ItemFilter) (scanPlan, bool, error) {
	p := scanPlan{from: "items INDEXED BY items_published"}
	if f.Feed != "" {
		p.from = "items INDEXED BY items_feed_published"
		p.add("feed = ?", f.Feed)
	}
	if m := ftsQuery(f.Words); m != "" {
		// The index covers the items up to indexed_upto (fts.go); later
		// ones are narrowed the same way in Go, so results never depend on
		// how far the indexer has got. The mark is read first: an index
		// that has caught up (the usual case) leaves the plain membership
		// test, which SQLite answers from one table of the matches, while
		// an OR in the same condition makes it probe far more slowly.
		var upto, last int64
		if err := s.read.QueryRowContext(ctx, "SELECT (SELECT value FROM fts.fts_meta WHERE key = 'indexed_upto'),"+
			" (SELECT COALESCE(MAX(id), 0) FROM items)").Scan(&upto, &last); err != nil {
			return p, false, err
		}
		if last <= upto {
			p.add("id IN (SELECT rowid FROM fts.items_fts WHERE items_fts MATCH ?)", m)
		} else {
			// A mark read before the search is only ever behind the one the
			// index has when it runs: the items in between are narrowed
			// twice, the same way.
			p.where = append(p.where, "(id IN (SELECT rowid FROM fts.items_fts WHERE items_fts MATCH ?)"+
				" OR (id > ? AND "+hasWordsFunc+"(title, summary, categories, ?)))")
			p.args = append(p.args, m, upto, strings.Join(ftsTerms(f.Words), " "))
		}
	}
	if !f.Since.IsZero() {
		since := toNanos(f.Since)
		p.add("first_seen >= ?", since)
		var n int
		if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM
			(SELECT 1 FROM items INDEXED BY items_first_seen WHERE first_seen >= ? LIMIT ?)`,
			since, s.smallWindow).Scan(&n); err != nil {
			return p, false, err
		}
		switch {
		case n == 0:
			return p, false, nil
		case n < s.smallWindow:
			// Few items: read them all by first sight and sort them.
			p.from = "items INDEXED BY items_first_seen"
		default:
			p.boundSince, p.needBound = since, true
		}
	}
	return p, true, nil
}

// bound adds the lower bound on published that Since implies: items first
// seen recently may have been published long ago (a new feed brings its
// backlog), so only the oldest publication among them can stop a walk in
// publication order before the end of the index. It is read from a covering
// index (the min-by-index shortcut would walk publication order instead).
// ok is false when no item is left.
func (s *Store) bound(ctx context.Context, p *scanPlan) (bool, error) {
	if !p.needBound {
		return true, nil
	}
	var lo sql.NullInt64
	if err := s.read.QueryRowContext(ctx,
		"SELECT MIN(published) FROM items INDEXED BY items_first_seen WHERE first_seen >= ?", p.boundSince).Scan(&lo); err != nil {
		return false, err
	}
	if !lo.Valid { // deleted meanwhile
		return false, nil
	}
	p.add("published >= ?", lo.Int64)
	p.needBound = false
	return true, nil
}

// ScanItems calls fn with the items matching f, newest first (by Published,
// then ID), until fn returns false or items run out.
//
// It first reads a batch of the newest items, which is all a search needs.
// If the caller wants more, it reads the keys of every remaining match in one
// pass over an index, then the items by ID in chunks. No connection is held
// while fn runs, so fn may take its time or call the store (with ":memory:"
// there is only one connection).
func (s *Store) ScanItems(ctx context.Context, f store.ItemFilter, fn func(news.Item) bool) error {
	if err := s.scan(ctx, f, fn); err != nil {
		return fmt.Errorf("scan items: %w", err)
	}
	return nil
}

// scan is ScanItems without the error context.
func (s *Store) scan(ctx context.Context, f store.ItemFilter, fn func(news.Item) bool) error {
	p, ok, err := s.plan(ctx, f)
	if err != nil || !ok {
		return err
	}
	query, args := p.sql(itemColumns(""), nil, nil)
	rows, err := s.read.QueryContext(ctx, query+" LIMIT ?", append(args, firstScanBatch)...)
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

	if ok, err := s.bound(ctx, &p); err != nil || !ok {
		return err
	}
	last := first[len(first)-1]
	query, args = p.sql("id", []string{"(published, id) < (?, ?)"}, []any{toNanos(last.Published), last.ID})
	ids, err := s.ids(ctx, query, args)
	if err != nil {
		return err
	}
	return store.VisitByID(ctx, ids, fetchChunk, s.itemsByID, fn)
}

// ids runs a query of item IDs.
func (s *Store) ids(ctx context.Context, query string, args []any) ([]int64, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// itemsByID reads items by ID.
func (s *Store) itemsByID(ctx context.Context, ids []int64) (map[int64]news.Item, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	rows, err := s.read.QueryContext(ctx, "SELECT "+itemColumns("")+" FROM items WHERE id IN ("+marks+")", args...)
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

// ftsTerms turns search words into the full-text index's terms: each word
// folded like the indexed text (a no-op for words the caller already
// folded), "*" marking a prefix. A word that folds into several words
// ("kyiv-based") requires each of them, the last as the prefix: the index
// keeps no positions, so it cannot ask for them in a row, and narrowing
// more loosely is harmless. A word with no letter or digit can match no
// indexed word and is left out: narrowing is only an optimisation, the
// caller's evaluator decides.
func ftsTerms(words []store.Word) []string {
	var terms []string
	for _, w := range words {
		folded := query.Words(w.Text)
		for i, f := range folded {
			if w.Prefix && i == len(folded)-1 {
				f += "*"
			}
			terms = append(terms, f)
		}
	}
	return terms
}

// ftsQuery builds an FTS5 query requiring every term of ftsTerms, each
// quoted as an FTS5 string so that no word can inject operators.
func ftsQuery(words []store.Word) string {
	terms := ftsTerms(words)
	parts := make([]string, len(terms))
	for i, t := range terms {
		if w, ok := strings.CutSuffix(t, "*"); ok {
			parts[i] = `"` + w + `"*`
		} else {
			parts[i] = `"` + t + `"`
		}
	}
	return strings.Join(parts, " AND ")
}

// hasWordsFunc is the SQL function that narrows the items the full-text
// index does not cover yet exactly as the index would: hasWords over an
// item's title, summary and categories column, and the terms joined by
// spaces.
const hasWordsFunc = "feedwatch_has_words"

func init() {
	err := sqlite.RegisterDeterministicScalarFunction(hasWordsFunc, 4, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var text [3]string
		for i := range text {
			s, _ := args[i].(string)
			text[i] = s
		}
		terms, _ := args[3].(string)
		return hasWords(searchText(text[0], text[1], splitCategories(text[2])), strings.Fields(terms)), nil
	})
	if err != nil {
		panic(fmt.Sprintf("register %s: %v", hasWordsFunc, err))
	}
}

// hasWords reports whether the folded words of text hold every term (see
// ftsTerms): the full-text index's answer, for an item it does not cover.
func hasWords(text string, terms []string) bool {
	words := query.Words(text)
	for _, t := range terms {
		w, prefix := strings.CutSuffix(t, "*")
		if !slices.ContainsFunc(words, func(x string) bool { return x == w || prefix && strings.HasPrefix(x, w) }) {
			return false
		}
	}
	return true
}
