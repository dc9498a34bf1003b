package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
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
	if err := checkGUIDs(items); err != nil {
		return nil, fmt.Errorf("insert items of %s: %w", feed, err)
	}
	if len(items) == 0 {
		return nil, nil
	}
	var added []news.Item
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		w := newItemWriter(tx)
		defer w.close()
		var err error
		added, err = w.insert(ctx, feed, items)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("insert items of %s: %w", feed, err)
	}
	s.fts.add(added)
	return added, nil
}

// SavePolls records the outcome of several polls in one write transaction:
// for each i, the items of items[i] are stored as InsertItems stores them
// under states[i].Feed, then states[i] is saved as SaveFeedState saves it.
// fresh[i] are the items of poll i stored for the first time (with ID set)
// and errs[i] its error: invalid items store nothing of that poll; a feed
// that is not defined keeps its items but not its state
// (store.ErrNotFound, as with SaveFeedState); a failed transaction fails
// every poll and stores nothing.
//
// This is what lets thousands of polls a minute go through SQLite's single
// writer: a commit costs more than the twenty inserts of a feed (the WAL
// frames of every touched page, the full-text index's segment flush, the
// occasional checkpoint), so the poller gathers the polls that finish while
// a commit is under way and saves them together.
func (s *Store) SavePolls(ctx context.Context, states []news.FeedState, items [][]news.Item) (fresh [][]news.Item, errs []error) {
	fresh = make([][]news.Item, len(states))
	errs = make([]error, len(states))
	if len(items) != len(states) {
		err := fmt.Errorf("save polls: %d item lists for %d states", len(items), len(states))
		for i := range errs {
			errs[i] = err
		}
		return fresh, errs
	}
	for i, st := range states {
		if st.Feed == "" {
			errs[i] = errors.New("save poll: empty feed name")
		} else if err := checkGUIDs(items[i]); err != nil {
			errs[i] = fmt.Errorf("save poll of %s: %w", st.Feed, err)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		w := newItemWriter(tx)
		defer w.close()
		upd, err := tx.PrepareContext(ctx, saveFeedStateSQL)
		if err != nil {
			return err
		}
		defer upd.Close()
		for i, st := range states {
			if errs[i] != nil {
				continue
			}
			if fresh[i], err = w.insert(ctx, st.Feed, items[i]); err != nil {
				return fmt.Errorf("items of %s: %w", st.Feed, err)
			}
			res, err := upd.ExecContext(ctx, feedStateArgs(st)...)
			if err == nil {
				err = mustAffect(res)
			}
			if errors.Is(err, store.ErrNotFound) {
				errs[i] = fmt.Errorf("save feed state %s: %w", st.Feed, err)
			} else if err != nil {
				return fmt.Errorf("feed state of %s: %w", st.Feed, err)
			}
		}
		return nil
	})
	if err != nil {
		for i := range states {
			fresh[i] = nil
			if errs[i] == nil {
				errs[i] = fmt.Errorf("save poll of %s: %w", states[i].Feed, err)
			}
		}
		return fresh, errs
	}
	var all []news.Item
	for _, f := range fresh {
		all = append(all, f...)
	}
	s.fts.add(all)
	return fresh, errs
}

// checkGUIDs refuses items without a GUID, which could never be deduplicated.
func checkGUIDs(items []news.Item) error {
	for i, it := range items {
		if it.GUID == "" {
			return fmt.Errorf("item %d has no GUID", i)
		}
	}
	return nil
}

// saveFeedStateSQL writes a feed's polling state; feedStateArgs are its
// arguments: SaveFeedState's statement, also prepared once per SavePolls batch.
const saveFeedStateSQL = `UPDATE feeds SET etag = ?, last_modified = ?, last_poll = ?,
	last_success = ?, last_error = ?, last_error_msg = ?, failures = ?, next_poll = ?
	WHERE name = ?`

func feedStateArgs(st news.FeedState) []any {
	return []any{st.ETag, st.LastModified, toNanos(st.LastPoll), toNanos(st.LastSuccess), toNanos(st.LastError),
		st.LastErrorMsg, st.Failures, toNanos(st.NextPoll), st.Feed}
}

// itemWriter inserts items within one transaction: each feed's items with
// one multi-row statement (RETURNING the rows it added) rather than one
// statement per item, which saves a statement's overhead (binding, stepping,
// resetting, a round through database/sql) per item; the statements are
// prepared once per transaction and row count.
type itemWriter struct {
	tx    *sql.Tx
	stmts map[int]*sql.Stmt
}

// insertChunk is the most rows one statement inserts: 10 parameters each,
// well under SQLite's limit on bound parameters.
const insertChunk = 500

func newItemWriter(tx *sql.Tx) *itemWriter {
	return &itemWriter{tx: tx, stmts: map[int]*sql.Stmt{}}
}

// close releases the prepared statements.
func (w *itemWriter) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// stmt returns the statement inserting n rows, unless their feed already
// has their GUID.
func (w *itemWriter) stmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st, ok := w.stmts[n]; ok {
		return st, nil
	}
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	st, err := w.tx.PrepareContext(ctx, `INSERT INTO items
		(feed, guid, link, title, summary, categories, author, published, first_seen, routed)
		VALUES `+strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")+`
		ON CONFLICT (feed, guid) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	w.stmts[n] = st
	return st, nil
}

// insert stores the items of one feed and returns those that were new, as
// stored (ID set, UTC times, normalized categories), for the full-text
// indexer once committed. An item whose GUID the feed already has, or that
// repeats an earlier item's, is skipped.
func (w *itemWriter) insert(ctx context.Context, feed string, items []news.Item) ([]news.Item, error) {
	var added []news.Item
	for start := 0; start < len(items); start += insertChunk {
		part := items[start:min(start+insertChunk, len(items))]
		st, err := w.stmt(ctx, len(part))
		if err != nil {
			return nil, err
		}
		rows := make([]news.Item, len(part))
		args := make([]any, 0, 10*len(part))
		for i, it := range part {
			it.Feed = feed
			it.Published, it.FirstSeen = fromNanos(toNanos(it.Published)), fromNanos(toNanos(it.FirstSeen))
			cats := joinCategories(it.Categories)
			it.Categories = splitCategories(cats)
			routed := it.Routed
			it.Routed = false
			rows[i] = it
			args = append(args, feed, it.GUID, it.Link, it.Title, it.Summary,
				cats, it.Author, toNanos(it.Published), toNanos(it.FirstSeen), routed)
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			continue
		}
		last, err := res.LastInsertId()
		if err != nil {
			return nil, err
		}
		// Every row a statement adds has a higher ID than any row stored
		// before it (this connection is the only writer), in the order
		// given. When every row was added, as on a feed's first poll, they
		// hold the n IDs up to last. Otherwise (a row skipped for its GUID
		// may still use up an ID) the added rows are the n with the highest
		// IDs among the stored rows of the feed with these GUIDs, the first
		// item with a GUID taking its row.
		if int(n) == len(rows) {
			for i := range rows {
				rows[i].ID = last - n + 1 + int64(i)
			}
			added = append(added, rows...)
			continue
		}
		ids, err := newestIDs(ctx, w.tx, feed, rows, int(n))
		if err != nil {
			return nil, err
		}
		for _, it := range rows {
			id, ok := ids[it.GUID]
			if !ok {
				continue
			}
			delete(ids, it.GUID)
			it.ID = id
			added = append(added, it)
		}
	}
	if len(added) > 0 {
		// The feed's count of stored items, once per feed rather than once
		// per item (migration 0004).
		if _, err := w.tx.ExecContext(ctx, "UPDATE feeds SET item_count = item_count + ? WHERE name = ?", len(added), feed); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// newestIDs returns, by GUID, the n stored items of feed with the highest
// IDs among those with the GUIDs of rows.
func newestIDs(ctx context.Context, tx *sql.Tx, feed string, rows []news.Item, n int) (map[string]int64, error) {
	args := make([]any, 0, len(rows)+2)
	args = append(args, feed)
	for _, it := range rows {
		args = append(args, it.GUID)
	}
	args = append(args, n)
	marks := strings.TrimSuffix(strings.Repeat("?,", len(rows)), ",")
	res, err := tx.QueryContext(ctx, "SELECT id, guid FROM items WHERE feed = ? AND guid IN ("+marks+") ORDER BY id DESC LIMIT ?", args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	ids := make(map[string]int64, n)
	for res.Next() {
		var id int64
		var guid string
		if err := res.Scan(&id, &guid); err != nil {
			return nil, err
		}
		ids[guid] = id
	}
	return ids, res.Err()
}

// ftsDoc is an item's entry in the full-text index: its folded words
// (foldWords of searchText).
type ftsDoc struct {
	id    int64
	words string
}

// ftsChunk is how many documents one INSERT adds to the full-text index:
// enough for several batches of polls in one statement, hence one flush of
// the index's pending terms; its 2 parameters per document stay far below
// SQLite's limit on bound parameters (32766).
const ftsChunk = 4096

// indexItems adds documents to the full-text index table, many rows per
// statement: FTS5 flushes its pending terms to disk at every statement of a
// transaction, so one statement per item would write a tiny segment each
// time and spend most of an insert merging them.
func indexItems(ctx context.Context, tx querier, table string, docs []ftsDoc) error {
	for start := 0; start < len(docs); start += ftsChunk {
		part := docs[start:min(start+ftsChunk, len(docs))]
		args := make([]any, 0, 2*len(part))
		for _, d := range part {
			args = append(args, d.id, d.words)
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(part)), ", ")
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+table+" (rowid, words) VALUES "+values, args...); err != nil {
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
