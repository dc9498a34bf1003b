// Package sqlite is the embedded implementation of store.Store, on
// modernc.org/sqlite (pure Go, so the binary stays static and needs no cgo).
//
// Concurrency model: SQLite allows one writer at a time, so every write goes
// through a pool of exactly one connection whose transactions start with
// BEGIN IMMEDIATE; writers therefore queue in database/sql instead of failing
// with "database is locked" when a deferred transaction tries to upgrade its
// lock. Reads use a separate pool of read-only connections that, thanks to WAL,
// never wait for the writer. A busy timeout covers other processes opening the
// same file (a CLI subcommand next to the running bot).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"time"

	// Also registers the "sqlite" database/sql driver.
	"modernc.org/sqlite"

	"github.com/feedwatch/feedwatch/internal/store"
)

// busyTimeoutMS is how long a connection waits for a lock held by another
// process before giving up. In-process writers never contend (one writer
// connection), so this only matters across processes and checkpoints.
const busyTimeoutMS = 10000

// Options configures Open.
type Options struct {
	// Logger receives migration and maintenance events; nil discards them.
	Logger *slog.Logger
}

// Store is a store.Store kept in one SQLite database file (or in memory).
type Store struct {
	write  *sql.DB // exactly one connection: SQLite has one writer at a time
	read   *sql.DB // read-only connections; the same as write for ":memory:"
	log    *slog.Logger
	memory bool

	smallWindow int // see defaultSmallWindow

	fts *indexer // writes the full-text index (fts.go)
}

// Compile-time proof that the contract is met.
var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at dsn, a file path or
// ":memory:", and brings its schema up to date. A file path may carry extra
// modernc.org/sqlite DSN parameters after a '?'.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("open sqlite: empty dsn")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{log: log, memory: isMemory(dsn), smallWindow: defaultSmallWindow}

	common := []string{
		"_pragma=busy_timeout(" + fmt.Sprint(busyTimeoutMS) + ")",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=temp_store(MEMORY)",
		"_pragma=cache_size(-16000)", // KiB: the default 2 MB thrashes on a million items
	}
	writer := append([]string{"_txlock=immediate",
		// Checkpoint the WAL every 20 000 pages (~80 MB) instead of every
		// 1 000: a poll's batches otherwise end in a checkpoint and fsync
		// nearly every time (docs/BENCHMARKS.md); the WAL is truncated back
		// to 64 MB after each checkpoint.
		"_pragma=wal_autocheckpoint(20000)",
		"_pragma=journal_size_limit(67108864)",
	}, common...)
	w, err := sql.Open("sqlite", withParams(dsn, writer))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	// Never close the only connection: for ":memory:" it IS the database.
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.write = w

	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	if !s.memory {
		if err := s.enableWAL(ctx); err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}

	if s.memory {
		// A second connection to ":memory:" would be a different, empty
		// database, so reads share the single connection. ScanItems never
		// holds it while calling back, so this cannot deadlock. The
		// full-text index is a second in-memory database attached to it,
		// which the indexer writes through the same connection.
		s.read = w
		if _, err := w.ExecContext(ctx, "ATTACH DATABASE ':memory:' AS fts"); err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("open sqlite: attach full-text index: %w", err)
		}
		x, err := s.newIndexer(ctx, w, "fts.", func(tx *sql.Tx) querier { return tx })
		if err != nil {
			_ = w.Close()
			return nil, err
		}
		x.start(ctx)
		return s, nil
	}

	// The index file first, so that the readers attach it ready. Its
	// writer appends segments and merges them in passes, reading each page
	// once: a small page cache serves it as well as a large one.
	fw, x, err := s.openIndexFile(ctx, ftsPath(dsn), append(writer, "_pragma=cache_size(-4000)"))
	if err != nil {
		_ = w.Close()
		return nil, err
	}

	r, err := openReaders(dsn, append(common, "_pragma=query_only(1)"))
	if err != nil {
		_ = fw.Close()
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		_ = r.Close()
		_ = fw.Close()
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	s.read = r
	x.start(ctx)
	return s, nil
}

// enableWAL switches the file to WAL mode, which is persistent, so later
// opens find it done. Only the first open of a new file changes anything,
// and that change needs an exclusive lock that SQLite does not wait for
// through the busy timeout (two processes creating the file at once would
// deadlock), so a busy database is retried here until busyTimeoutMS.
func (s *Store) enableWAL(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeoutMS * time.Millisecond)
	wait := 5 * time.Millisecond
	for {
		var mode string
		err := s.write.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				// Still correct, only slower: readers then wait for writers.
				s.log.Warn("sqlite WAL mode unavailable", "journal_mode", mode)
			}
			return nil
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return fmt.Errorf("enable WAL: %w", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("enable WAL: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	const sqliteBusy = 5
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteBusy
}

// isMemory reports whether dsn names an in-memory database.
func isMemory(dsn string) bool {
	return dsn == ":memory:" || strings.HasPrefix(dsn, "file::memory:") || strings.Contains(dsn, "mode=memory")
}

// withParams appends DSN query parameters, keeping any the caller gave.
func withParams(dsn string, params []string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(params, "&")
}

// Close lets SQLite refresh its planner statistics, then closes every
// connection.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Recommended before closing a long-lived connection; cheap when nothing changed.
	if _, err := s.write.ExecContext(ctx, "PRAGMA optimize"); err != nil {
		s.log.Warn("sqlite optimize", "error", err)
	}
	var errs []error
	s.fts.close()
	if s.fts.db != s.write {
		if err := s.fts.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close sqlite full-text index: %w", err))
		}
	}
	if s.read != s.write {
		if err := s.read.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close sqlite readers: %w", err))
		}
	}
	if err := s.write.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close sqlite writer: %w", err))
	}
	return errors.Join(errs...)
}

// Ping checks that both pools answer a query.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range []*sql.DB{s.write, s.read} {
		var one int
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			return fmt.Errorf("ping sqlite: %w", err)
		}
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx share, so that one helper serves both
// a Store method and the same operation inside Update.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in one write transaction (BEGIN IMMEDIATE through _txlock), and
// rolls back when fn fails or panics; a panic is re-raised after the rollback.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			s.log.Error("sqlite rollback", "error", rerr)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	return nil
}

// Time bounds representable as int64 unix nanoseconds.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// toNanos stores a time as UTC unix nanoseconds; the zero time is 0. Times
// outside 1678..2262 (nonsense dates from a feed) are clamped so that they
// still sort at the right end instead of overflowing.
func toNanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNanos is the inverse of toNanos; 0 is the zero time, anything else UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// sinceNanos is toNanos for a lower bound: the zero time bounds nothing
// (toNanos would make it 1970 and drop older times).
func sinceNanos(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return toNanos(t)
}

// chunkSize keeps IN lists well under SQLite's limit on bound parameters.
const chunkSize = 500

// execInChunks runs query, whose single "%s" stands for an IN list, over ids
// in chunks, returning how many rows were affected in total.
func execInChunks(ctx context.Context, q querier, query string, ids []int64) (int64, error) {
	var total int64
	for start := 0; start < len(ids); start += chunkSize {
		part := ids[start:min(start+chunkSize, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		marks := strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")
		res, err := q.ExecContext(ctx, fmt.Sprintf(query, marks), args...)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// mustAffect turns "no row changed" into store.ErrNotFound.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
