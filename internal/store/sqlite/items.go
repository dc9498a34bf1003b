package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

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
func scanItem(sc interface{ Scan(...any) error }, dest ...any) (news.Item, error) {
	var it news.Item
	var cats string
	var published, firstSeen int64
	dest = append(dest, &it.ID, &it.Feed, &it.GUID, &it.Link, &it.Title, &it.Summary, &cats, &it.Author, &published, &firstSeen)
	if err := sc.Scan(dest...); err != nil {
		return news.Item{}, err
	}
	it.Categories = splitCategories(cats)
	it.Published = fromNanos(published)
	it.FirstSeen = fromNanos(firstSeen)
	return it, nil
}

// catSep joins categories in one column: a control character, which no
// category contains once normalized.
const catSep = "\x1f"

// joinCategories encodes categories for the categories column. Empty
// categories are dropped: they carry nothing and could not be told apart.
func joinCategories(cats []string) string {
	parts := make([]string, 0, len(cats))
	for _, c := range cats {
		if c = strings.ReplaceAll(c, catSep, " "); c != "" {
			parts = append(parts, c)
		}
	}
	return strings.Join(parts, catSep)
}

// splitCategories decodes the categories column; none is nil.
func splitCategories(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, catSep)
}

// InsertItems stores the items of one feed in one transaction. Each item's
// Feed is set to feed. An item whose (feed, GUID) is already stored, or
// repeated earlier in items, is skipped; the new ones come back with ID set.
func (s *Store) InsertItems(ctx context.Context, feed string, items []news.Item) ([]news.Item, error) {
	if feed == "" {
		return nil, errors.New("insert items: empty feed name")
	}
	for i, it := range items {
		if it.GUID == "" {
			return nil, fmt.Errorf("insert items of %s: item %d has no GUID", feed, i)
		}
	}
	if len(items) == 0 {
		return nil, nil
	}
	var added []news.Item
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO items
			(feed, guid, link, title, summary, categories, author, published, first_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (feed, guid) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var docs []ftsDoc
		for _, it := range items {
			// Returned as stored: UTC times, normalized categories.
			it.Feed = feed
			it.Published, it.FirstSeen = fromNanos(toNanos(it.Published)), fromNanos(toNanos(it.FirstSeen))
			cats := joinCategories(it.Categories)
			it.Categories = splitCategories(cats)
			res, err := stmt.ExecContext(ctx, feed, it.GUID, it.Link, it.Title, it.Summary,
				cats, it.Author, toNanos(it.Published), toNanos(it.FirstSeen))
			if err != nil {
				return fmt.Errorf("item %q: %w", it.GUID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("item %q: %w", it.GUID, err)
			}
			if n == 0 { // already stored
				continue
			}
			if it.ID, err = res.LastInsertId(); err != nil {
				return fmt.Errorf("item %q: %w", it.GUID, err)
			}
			docs = append(docs, docOf(it))
			added = append(added, it)
		}
		return indexItems(ctx, tx, docs)
	})
	if err != nil {
		return nil, fmt.Errorf("insert items of %s: %w", feed, err)
	}
	return added, nil
}

// ftsDoc is an item's entry in the full-text index.
type ftsDoc struct {
	id                         int64
	title, summary, categories string
}

// docOf folds an item's searchable text for the full-text index.
func docOf(it news.Item) ftsDoc {
	return ftsDoc{it.ID, foldWords(it.Title), foldWords(it.Summary), foldWords(strings.Join(it.Categories, " "))}
}

// ftsChunk is how many documents one INSERT adds to the full-text index.
const ftsChunk = 256

// indexItems adds documents to the full-text index, many rows per statement:
// FTS5 flushes its pending terms to disk at every statement of a
// transaction, so one statement per item would write a tiny segment each
// time and spend most of an insert merging them.
func indexItems(ctx context.Context, tx *sql.Tx, docs []ftsDoc) error {
	for start := 0; start < len(docs); start += ftsChunk {
		part := docs[start:min(start+ftsChunk, len(docs))]
		args := make([]any, 0, 4*len(part))
		for _, d := range part {
			args = append(args, d.id, d.title, d.summary, d.categories)
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(part)), ", ")
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO items_fts (rowid, title, summary, categories) VALUES "+values, args...); err != nil {
			return fmt.Errorf("index items: %w", err)
		}
	}
	return nil
}

// UnroutedItems returns up to limit unrouted items, oldest ID first; a limit
// of zero or less returns none.
func (s *Store) UnroutedItems(ctx context.Context, limit int) ([]news.Item, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx,
		"SELECT "+itemColumns("")+" FROM items WHERE routed = 0 ORDER BY id LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("unrouted items: %w", err)
	}
	items, err := collectItems(rows)
	if err != nil {
		return nil, fmt.Errorf("unrouted items: %w", err)
	}
	return items, nil
}

// collectItems reads and closes rows of itemColumns.
func collectItems(rows *sql.Rows) ([]news.Item, error) {
	defer rows.Close()
	var out []news.Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// CountItems counts stored items.
func (s *Store) CountItems(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n); err != nil {
		return 0, fmt.Errorf("count items: %w", err)
	}
	return n, nil
}
