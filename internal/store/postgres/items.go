package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/feedwatch/feedwatch/internal/news"
)

// itemCols are the columns scanItem reads, in order.
var itemCols = []string{"id", "feed", "guid", "link", "title", "summary", "categories", "author", "published", "first_seen"}

// itemColumns lists itemCols qualified by a table alias ("" for none).
func itemColumns(alias string) string {
	if alias == "" {
		return strings.Join(itemCols, ", ")
	}
	return alias + "." + strings.Join(itemCols, ", "+alias+".")
}

// scanItem reads one row of itemColumns, after any leading columns in dest.
func scanItem(row pgx.Row, dest ...any) (news.Item, error) {
	var it news.Item
	dest = append(dest, &it.ID, &it.Feed, &it.GUID, &it.Link, &it.Title, &it.Summary, &it.Categories,
		&it.Author, &it.Published, &it.FirstSeen)
	if err := row.Scan(dest...); err != nil {
		return news.Item{}, err
	}
	it.Categories = nilIfEmpty(it.Categories)
	it.Published = fromDB(it.Published)
	it.FirstSeen = fromDB(it.FirstSeen)
	return it, nil
}

// collectItems reads and closes rows of itemColumns.
func collectItems(rows pgx.Rows) ([]news.Item, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (news.Item, error) { return scanItem(row) })
}

// storable returns an item as it is stored and read back: its feed set,
// text made storable, times stamped, and empty categories dropped (they carry
// nothing, and the SQLite store cannot keep them either).
func storable(feed string, it news.Item) news.Item {
	it.Feed = feed
	it.GUID, it.Link, it.Author = cleanText(it.GUID), cleanText(it.Link), cleanText(it.Author)
	it.Title, it.Summary = cleanText(it.Title), cleanText(it.Summary)
	var cats []string
	for _, c := range it.Categories {
		if c = strings.ReplaceAll(cleanText(c), catSep, " "); c != "" {
			cats = append(cats, c)
		}
	}
	it.Categories = cats
	it.Published, it.FirstSeen = stamp(it.Published), stamp(it.FirstSeen)
	return it
}

// InsertItems stores the items of one feed in one statement. Each item's
// Feed is set to feed. An item whose (feed, GUID) is already stored, or
// repeated earlier in items, is skipped; the new ones come back with ID set,
// in the order given, as stored.
//
// The rows go in through unnest in the order given, so identities are
// assigned in that order; ON CONFLICT DO NOTHING skips the stored ones (and
// waits for a concurrent insert of the same item to settle first).
func (s *Store) InsertItems(ctx context.Context, feed string, items []news.Item) ([]news.Item, error) {
	if feed == "" {
		return nil, errors.New("insert items: empty feed name")
	}
	for i, it := range items {
		if it.GUID == "" {
			return nil, fmt.Errorf("insert items of %s: item %d has no GUID", feed, i)
		}
	}
	feed = cleanText(feed)
	var batch []news.Item
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		it = storable(feed, it)
		if seen[it.GUID] {
			continue
		}
		seen[it.GUID] = true
		batch = append(batch, it)
	}
	if len(batch) == 0 {
		return nil, nil
	}

	n := len(batch)
	guids, links, titles, summaries := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	cats, authors, docs := make([]string, n), make([]string, n), make([]*string, n)
	pub, seenAt, routed := make([]time.Time, n), make([]time.Time, n), make([]bool, n)
	for i, it := range batch {
		routed[i] = it.Routed
		guids[i], links[i], titles[i], summaries[i], authors[i] = it.GUID, it.Link, it.Title, it.Summary, it.Author
		cats[i] = strings.Join(it.Categories, catSep)
		pub[i], seenAt[i] = it.Published, it.FirstSeen
		docs[i] = ftsDoc(it)
	}
	rows, err := s.pool.Query(ctx, `INSERT INTO items
		(feed, guid, link, title, summary, categories, author, published, first_seen, fts, routed)
		SELECT $1, u.guid, u.link, u.title, u.summary, string_to_array(u.cats, $11), u.author,
			u.published, u.first_seen, array_to_tsvector(string_to_array(u.doc, ' ')), u.routed
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::timestamptz[], $9::timestamptz[], $10::text[], $12::bool[])
			WITH ORDINALITY AS u (guid, link, title, summary, cats, author, published, first_seen, doc, routed, ord)
		ORDER BY u.ord
		ON CONFLICT (feed, guid) DO NOTHING
		RETURNING id, guid`,
		feed, guids, links, titles, summaries, cats, authors, pub, seenAt, docs, catSep, routed)
	if err != nil {
		return nil, fmt.Errorf("insert items of %s: %w", feed, err)
	}
	ids := make(map[string]int64, n)
	var id int64
	var guid string
	_, err = pgx.ForEachRow(rows, []any{&id, &guid}, func() error {
		ids[guid] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert items of %s: %w", feed, err)
	}
	var added []news.Item
	for _, it := range batch {
		if id, ok := ids[it.GUID]; ok {
			it.ID, it.Routed = id, false
			added = append(added, it)
		}
	}
	return added, nil
}

// catSep joins an item's categories to pass them through unnest, which
// cannot carry an array per row: a control character that no normalized
// category contains (storable turns any into a space).
const catSep = "\x1f"

// UnroutedItems returns up to limit unrouted items, oldest ID first; a limit
// of zero or less returns none.
func (s *Store) UnroutedItems(ctx context.Context, limit int) ([]news.Item, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx,
		"SELECT "+itemColumns("")+" FROM items WHERE NOT routed ORDER BY id LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("unrouted items: %w", err)
	}
	items, err := collectItems(rows)
	if err != nil {
		return nil, fmt.Errorf("unrouted items: %w", err)
	}
	return items, nil
}

// CountItems counts stored items.
func (s *Store) CountItems(ctx context.Context) (int, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil {
		return 0, fmt.Errorf("count items: %w", err)
	}
	return int(n), nil
}
