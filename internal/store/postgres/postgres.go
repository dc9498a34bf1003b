// Package postgres is the implementation of store.Store on PostgreSQL, through
// pgx, for running several feedwatch replicas against one database.
//
// Concurrency model: every method is one statement or one transaction on a
// pgxpool connection, at PostgreSQL's default READ COMMITTED isolation.
// Correctness under concurrent replicas comes from constraints (an insert
// that conflicts does nothing, so two replicas cannot both deliver a story or
// enqueue a key), from row locks where a transaction reads what it is about
// to change (a digest's pending rows), and from transaction-scoped advisory
// locks where there is no row to lock yet (migrations, feed definitions, the
// outbox's commit order). Every advisory lock is keyed by the schema, so
// several feedwatch databases can share one PostgreSQL database in separate
// schemas without blocking each other.
//
// Times are timestamptz: truncated to the microsecond, read back in UTC; the
// zero time.Time is stored as itself, 0001-01-01 00:00:00 UTC.
// Durations are bigint nanoseconds.
//
// It needs PostgreSQL 12 or later (plan_cache_mode, hashtextextended).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/feedwatch/feedwatch/internal/store"
)

// Options configures Open.
type Options struct {
	// Logger receives migration and maintenance events; nil discards them.
	Logger *slog.Logger
	// MaxConns caps the connection pool; 0 keeps pgxpool's default (the DSN's
	// pool_max_conns, else the larger of 4 and the number of CPUs).
	MaxConns int32
	// Now is the clock leases are judged by (see Claim); nil is time.Now.
	Now func() time.Time
}

// Store is a store.Store kept in a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time
}

// Compile-time proof that the contract is met.
var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or a key=value
// connection string, as libpq takes) and brings its schema up to date. The
// schema is the first one on the connection's search_path. Errors never
// include the DSN's password.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("open postgres: empty dsn")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	params := cfg.ConnConfig.RuntimeParams
	setDefault(params, "application_name", "feedwatch")
	// pgx prepares and caches statements, and after five runs PostgreSQL may
	// switch a prepared statement to a generic plan that ignores the values
	// bound. ScanItems' best plan depends entirely on them (a rare word, a
	// recent Since), and every statement here is cheap to plan, so plans are
	// always made for the values at hand.
	setDefault(params, "plan_cache_mode", "force_custom_plan")

	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	s := &Store{pool: pool, log: log, now: now}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return s, nil
}

// setDefault sets a run-time parameter unless the DSN already sets it.
func setDefault(params map[string]string, key, value string) {
	if _, ok := params[key]; !ok {
		params[key] = value
	}
}

// Close closes every connection, waiting for those in use to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// querier is what the pool and a transaction share, so that one helper
// serves both a Store method and the same operation inside Update.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// rollbackTimeout bounds a rollback, which runs even when the caller's
// context is done (a connection left mid-transaction would be discarded).
const rollbackTimeout = 5 * time.Second

// inTx runs fn in one READ COMMITTED transaction and rolls back when fn fails
// or panics; a panic is re-raised after the rollback.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) (err error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		if rerr := tx.Rollback(rctx); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) {
			s.log.Error("postgres rollback", "error", rerr)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	return nil
}

// Advisory lock names (see xactLock).
const (
	lockMigrate = "feedwatch.migrate"
	lockFeeds   = "feedwatch.feeds"
	lockOutbox  = "feedwatch.outbox"
)

// xactLock takes a transaction-scoped advisory lock, released at commit or
// rollback. The key is a hash of name and the current schema, so the lock
// covers this feedwatch database only.
func xactLock(ctx context.Context, tx pgx.Tx, name string) error {
	if _, err := tx.Exec(ctx,
		"SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || current_schema(), 0))", name); err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return nil
}

// Time bounds stored: timestamptz goes further, but a date past 9999 or
// before year 1 from a feed is nonsense that only needs to sort at the right
// end. The lower bound stays just above the zero time, which means "none".
var (
	minTime = time.Time{}.Add(time.Microsecond)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// stamp returns t as it is stored and read back: in UTC, truncated to the
// microsecond (as PostgreSQL keeps it), clamped to [minTime, maxTime]. The
// zero time stays zero.
func stamp(t time.Time) time.Time {
	switch {
	case t.IsZero():
		return time.Time{}
	case t.Before(minTime):
		return minTime
	case t.After(maxTime):
		return maxTime
	}
	return t.UTC().Truncate(time.Microsecond)
}

// fromDB returns a time read from the database in UTC, the zero time as the
// zero time.Time.
func fromDB(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// cleanText makes s storable in a text column: PostgreSQL refuses the NUL
// character and invalid UTF-8, both of which a feed or an HTTP error can
// carry and SQLite would keep. Each becomes U+FFFD. Valid text without NUL,
// which is all text in practice, is returned as is.
func cleanText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// nilIfEmpty returns nil for an empty slice: a stored empty list reads back
// as nil, as from the SQLite store.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// mustAffect turns "no row changed" into store.ErrNotFound.
func mustAffect(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
