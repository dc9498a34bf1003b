package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"

	"github.com/feedwatch/feedwatch/internal/news"
)

// The full-text index lives in a database file of its own next to the main
// one (DSN path + ftsSuffix), written by an indexer goroutine through its own
// connection. SQLite has one writer per file: with the index in the main
// file, every poll's batch paid for indexing (tokenizing, the index's
// segment flush and merges, about half of storing) on the single writer
// that all polls wait for. In its own file the index is written on another
// core while the main writer goes on storing.
//
// The index is derived data, always behind the items by a moment and never
// ahead: the file's fts_meta row indexed_upto is the highest item ID
// indexed, committed with the index entries, and items are indexed in ID
// order (IDs grow in commit order: there is one writer). A search narrows by
// the index for items up to indexed_upto and takes every later item as a
// candidate (the caller's evaluator decides), so results are exact whatever
// the lag. A missing or new index file is rebuilt from the items.
//
// Other processes on the same files (a CLI next to the bot, replicas of a
// test) run indexers too; indexed_upto, read inside each indexing
// transaction, keeps them from indexing an item twice.

// ftsSuffix names the index file: "feedwatch.db" keeps its index in
// "feedwatch.db-fts".
const ftsSuffix = "-fts"

// ftsSchemaVersion is the index file's user_version. A file with another
// version is emptied and rebuilt (the index is derived data).
const ftsSchemaVersion = 1

// ftsQueueBatches bounds the batches of new items waiting for the indexer;
// when it is full a batch is dropped from the queue, to be read back from
// the items table instead.
const ftsQueueBatches = 256

// ftsReadBack is how many items one indexing transaction reads back from the
// items table when catching up.
var ftsReadBack = 5000

// indexer writes the full-text index.
type indexer struct {
	db     *sql.DB // writes the index; with ":memory:" the main connection
	prefix string  // schema of the index tables in db's statements: "" or "fts."
	// items reads items to catch up, given the indexing transaction: the
	// main readers, or the transaction itself with ":memory:".
	items func(tx *sql.Tx) querier
	log   *slog.Logger

	mu     sync.Mutex
	queue  [][]indexText // new items, in commit order
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	idleMu sync.Mutex
	idle   *sync.Cond // broadcast after every indexing step
	upto   int64      // indexed_upto after the last step
}

// ftsPath returns the index file's DSN for a file DSN: the same path with
// ftsSuffix, and the same parameters.
func ftsPath(dsn string) string {
	path, params, ok := strings.Cut(dsn, "?")
	if ok {
		return path + ftsSuffix + "?" + params
	}
	return path + ftsSuffix
}

// ftsConnector opens connections to the main file with the index file
// attached as schema "fts", so that one statement can narrow items by it.
type ftsConnector struct {
	dsn, ftsDSN string
	drv         driver.Driver
}

func (c ftsConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("sqlite connection cannot execute statements")
	}
	path, _, _ := strings.Cut(c.ftsDSN, "?")
	if _, err := ex.ExecContext(ctx, "ATTACH DATABASE ? AS fts", []driver.NamedValue{{Ordinal: 1, Value: path}}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("attach full-text index: %w", err)
	}
	return conn, nil
}

func (c ftsConnector) Driver() driver.Driver { return c.drv }

// openReaders opens the read-only pool of a file store, with the index
// attached, through the registered "sqlite" driver (which has hasWordsFunc).
func openReaders(dsn string, params []string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	drv := db.Driver()
	if err := db.Close(); err != nil {
		return nil, err
	}
	return sql.OpenDB(ftsConnector{dsn: withParams(dsn, params), ftsDSN: ftsPath(dsn), drv: drv}), nil
}

// newIndexer creates or opens the index tables through db (switching a file
// to WAL mode first, so that readers never wait for the indexer) and
// returns the indexer, set as s.fts; start runs it.
func (s *Store) newIndexer(ctx context.Context, db *sql.DB, prefix string, items func(tx *sql.Tx) querier) (*indexer, error) {
	x := &indexer{db: db, prefix: prefix, items: items, log: s.log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	x.idle = sync.NewCond(&x.idleMu)
	if prefix == "" {
		var mode string
		if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
			return nil, fmt.Errorf("open full-text index: enable WAL: %w", err)
		}
	}
	if err := x.init(ctx); err != nil {
		return nil, fmt.Errorf("open full-text index: %w", err)
	}
	s.fts = x
	return x, nil
}

// openIndexFile opens the index file of a file store and its indexer. A
// file that is not a database or is damaged is deleted and made again: the
// index is derived from the items, and losing it must not keep the bot from
// starting.
func (s *Store) openIndexFile(ctx context.Context, dsn string, params []string) (*sql.DB, *indexer, error) {
	for attempt := 0; ; attempt++ {
		db, err := sql.Open("sqlite", withParams(dsn, params))
		if err != nil {
			return nil, nil, fmt.Errorf("open sqlite full-text index: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		x, err := s.newIndexer(ctx, db, "", func(*sql.Tx) querier { return s.read })
		if err == nil {
			return db, x, nil
		}
		_ = db.Close()
		if attempt > 0 || !isDamaged(err) {
			return nil, nil, err
		}
		path, _, _ := strings.Cut(dsn, "?")
		s.log.Warn("sqlite full-text index file damaged: making it again from the items", "file", path, "error", err)
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if rerr := os.Remove(path + suffix); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("open sqlite full-text index: remove damaged %s: %w", path+suffix, rerr)
			}
		}
	}
}

// isDamaged reports SQLite's "file is not a database" and "database disk
// image is malformed".
func isDamaged(err error) bool {
	const sqliteCorrupt, sqliteNotADB = 11, 26
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqliteCorrupt || code == sqliteNotADB
}

// start runs the indexer until close; it first catches up with the items
// stored meanwhile (by another process, or before the index existed).
func (x *indexer) start(ctx context.Context) {
	run, cancel := context.WithCancel(context.WithoutCancel(ctx))
	x.cancel = cancel
	go x.run(run)
	x.kick()
}

// init creates the index tables, or recreates them when the file holds
// another version of them.
func (x *indexer) init(ctx context.Context) error {
	return x.inTx(ctx, func(tx *sql.Tx) error {
		var version int
		if err := tx.QueryRowContext(ctx, "PRAGMA "+x.prefix+"user_version").Scan(&version); err != nil {
			return err
		}
		if version == ftsSchemaVersion {
			return nil
		}
		stmts := []string{
			"DROP TABLE IF EXISTS " + x.prefix + "items_fts",
			"DROP TABLE IF EXISTS " + x.prefix + "fts_meta",
			// Only which items hold each word: searches narrow by words and
			// word prefixes that must all be present, never by position or
			// column, so detail = none (about half the cost of indexing
			// with positions). The text is the item's words folded by the
			// query language, one space apart; the ascii tokenizer splits
			// it exactly there (every byte of a folded word is an ASCII
			// letter or digit, or part of a non-ASCII character), so its
			// tokens are those words, as hasWords sees them too.
			`CREATE VIRTUAL TABLE ` + x.prefix + `items_fts USING fts5 (
				words,
				content = '',
				contentless_delete = 1,
				detail = none,
				tokenize = 'ascii'
			)`,
			// Merge segments 16 at a time rather than 4: far less rewriting
			// while thousands of feeds are stored, for a few more segments
			// per search.
			"INSERT INTO " + x.prefix + "items_fts (items_fts, rank) VALUES ('automerge', 16)",
			"CREATE TABLE " + x.prefix + "fts_meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID",
			"INSERT INTO " + x.prefix + "fts_meta (key, value) VALUES ('indexed_upto', 0)",
			fmt.Sprintf("PRAGMA %suser_version = %d", x.prefix, ftsSchemaVersion),
		}
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", strings.Fields(q)[0], err)
			}
		}
		return nil
	})
}

func (x *indexer) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// indexText is an item's searchable text, waiting to be folded and indexed.
type indexText struct {
	id   int64
	text string
}

// searchText is an item's searchable text: title, summary and categories,
// one per line.
func searchText(title, summary string, categories []string) string {
	return title + "\n" + summary + "\n" + strings.Join(categories, "\n")
}

// add queues the new items of a committed transaction for indexing. Only
// their text is kept: the caller owns the items.
func (x *indexer) add(items []news.Item) {
	if len(items) == 0 {
		return
	}
	texts := make([]indexText, len(items))
	for i, it := range items {
		texts[i] = indexText{it.ID, searchText(it.Title, it.Summary, it.Categories)}
	}
	x.mu.Lock()
	if len(x.queue) < ftsQueueBatches {
		x.queue = append(x.queue, texts)
	} // else: read back from the items table when the indexer gets there
	x.mu.Unlock()
	x.kick()
}

func (x *indexer) kick() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// run indexes until ctx ends, whenever woken.
func (x *indexer) run(ctx context.Context) {
	defer close(x.done)
	var pending []indexText
	for {
		select {
		case <-ctx.Done():
			return
		case <-x.wake:
		}
		for {
			x.mu.Lock()
			for _, b := range x.queue {
				pending = append(pending, b...)
			}
			x.queue = nil
			x.mu.Unlock()
			rest, upto, more, err := x.step(ctx, pending)
			pending = rest
			x.idleMu.Lock()
			x.upto = upto
			x.idle.Broadcast()
			x.idleMu.Unlock()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				x.log.Warn("sqlite full-text indexing failed; searches stay exact, only slower", "error", err)
				pending = nil // read back on the next wake
				break
			}
			if !more {
				break
			}
		}
	}
}

// step indexes, in one transaction, the items not yet indexed that were
// committed before pending[0] (read back from the items table: stored by
// another process, dropped from a full queue, or stored before the index
// file existed), else pending itself. It returns what is left of pending,
// indexed_upto, and whether there may be more to do.
func (x *indexer) step(ctx context.Context, pending []indexText) (rest []indexText, upto int64, more bool, err error) {
	err = x.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT value FROM "+x.prefix+"fts_meta WHERE key = 'indexed_upto'").Scan(&upto); err != nil {
			return err
		}
		for len(pending) > 0 && pending[0].id <= upto {
			pending = pending[1:]
		}
		query := "SELECT id, title, summary, categories FROM items WHERE id > ? ORDER BY id LIMIT ?"
		args := []any{upto, ftsReadBack}
		if len(pending) > 0 {
			query = "SELECT id, title, summary, categories FROM items WHERE id > ? AND id < ? ORDER BY id LIMIT ?"
			args = []any{upto, pending[0].id, ftsReadBack}
		}
		back, err := readBack(ctx, x.items(tx), query, args)
		if err != nil {
			return err
		}
		var docs []ftsDoc
		switch {
		case len(back) > 0:
			docs, more = back, true
		case len(pending) > 0:
			for _, p := range pending {
				docs = append(docs, ftsDoc{p.id, foldWords(p.text)})
			}
			pending, more = nil, true
		default:
			return nil
		}
		if err := indexItems(ctx, tx, x.prefix+"items_fts", docs); err != nil {
			return err
		}
		upto = docs[len(docs)-1].id
		_, err = tx.ExecContext(ctx, "UPDATE "+x.prefix+"fts_meta SET value = ? WHERE key = 'indexed_upto'", upto)
		return err
	})
	if err != nil {
		return pending, upto, false, fmt.Errorf("index items: %w", err)
	}
	return pending, upto, more, nil
}

// readBack reads items to index from the items table.
func readBack(ctx context.Context, q querier, query string, args []any) ([]ftsDoc, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []ftsDoc
	for rows.Next() {
		var id int64
		var title, summary, cats string
		if err := rows.Scan(&id, &title, &summary, &cats); err != nil {
			return nil, err
		}
		docs = append(docs, ftsDoc{id, foldWords(searchText(title, summary, splitCategories(cats)))})
	}
	return docs, rows.Err()
}

// WaitIndexed waits until the full-text index covers every item stored
// before the call (searches are exact meanwhile, only slower), or ctx ends.
// Benchmarks use it to count indexing in a poll's time.
func (s *Store) WaitIndexed(ctx context.Context) error {
	var last int64
	if err := s.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM items").Scan(&last); err != nil {
		return fmt.Errorf("wait for the full-text index: %w", err)
	}
	x := s.fts
	stop := context.AfterFunc(ctx, func() {
		x.idleMu.Lock()
		x.idle.Broadcast()
		x.idleMu.Unlock()
	})
	defer stop()
	x.idleMu.Lock()
	defer x.idleMu.Unlock()
	for x.upto < last {
		if ctx.Err() != nil {
			return fmt.Errorf("wait for the full-text index: %w", ctx.Err())
		}
		// Each step broadcasts under idleMu, which Wait releases: no step
		// ends unseen between the kick and the wait.
		x.kick()
		x.idle.Wait()
	}
	return nil
}

// close stops the indexer; what it has not indexed yet is read back
// at the next open.
func (x *indexer) close() {
	x.cancel()
	select {
	case <-x.done:
	case <-time.After(10 * time.Second):
	}
}
