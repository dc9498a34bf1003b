package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// migrationFS holds the schema changes, one NNNN_name.sql file per version.
// A released file is never edited: changes go into a new, higher number.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// loadMigrations reads this store's embedded migrations in version order.
func loadMigrations() ([]store.Migration, error) {
	return store.LoadMigrations(migrationFS, "migrations")
}

// migrate applies the migrations the database lacks, all in one IMMEDIATE
// transaction, so two processes starting at once cannot both apply one and a
// failure leaves the schema as it was.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	var applied []store.Migration
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER PRIMARY KEY NOT NULL,
			applied INTEGER NOT NULL
		)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		var current int
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if latest := len(ms); current > latest {
			return fmt.Errorf("database schema version %d is newer than this binary knows (%d): upgrade feedwatch", current, latest)
		}
		for _, m := range ms[current:] {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Name, err)
			}
			// The applied time is bookkeeping for humans; no logic reads it.
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version, applied) VALUES (?, ?)",
				m.Version, toNanos(time.Now())); err != nil {
				return fmt.Errorf("record migration %s: %w", m.Name, err)
			}
			applied = append(applied, m)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Logged only once committed, so the log never claims a rolled-back change.
	for _, m := range applied {
		s.log.Info("sqlite migration applied", "version", m.Version, "migration", m.Name)
	}
	return s.reindex(ctx)
}

// reindexKey is the meta key of an unfinished rebuild of the full-text
// index (migration 0004): the last item ID indexed so far.
const reindexKey = "fts_reindex_after"

// reindexBatch is how many items one transaction of the rebuild indexes.
var reindexBatch = 5000

// reindex finishes a rebuild of the full-text index that a migration asked
// for, in transactions of reindexBatch items that each record how far they
// got: a process stopped half way resumes where it stopped, and searches
// find the items indexed so far meanwhile. The folding is Go code, which is
// why a migration cannot do this itself.
func (s *Store) reindex(ctx context.Context) error {
	total := 0
	for {
		done := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var after string
			err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", reindexKey).Scan(&after)
			if errors.Is(err, sql.ErrNoRows) {
				done = true
				return nil
			}
			if err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, "SELECT id, title, summary, categories FROM items WHERE id > ? ORDER BY id LIMIT ?", after, reindexBatch)
			if err != nil {
				return err
			}
			var docs []ftsDoc
			for rows.Next() {
				var it news.Item
				var cats string
				if err := rows.Scan(&it.ID, &it.Title, &it.Summary, &cats); err != nil {
					rows.Close()
					return err
				}
				it.Categories = splitCategories(cats)
				docs = append(docs, docOf(it))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if err := indexItems(ctx, tx, docs); err != nil {
				return err
			}
			total += len(docs)
			if len(docs) < reindexBatch {
				done = true
				_, err = tx.ExecContext(ctx, "DELETE FROM meta WHERE key = ?", reindexKey)
				return err
			}
			_, err = tx.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = ?", strconv.FormatInt(docs[len(docs)-1].id, 10), reindexKey)
			return err
		})
		if err != nil {
			return fmt.Errorf("rebuild full-text index: %w", err)
		}
		if done {
			if total > 0 {
				s.log.Info("sqlite full-text index rebuilt", "items", total)
			}
			return nil
		}
		s.log.Info("sqlite full-text index rebuilding", "items", total)
	}
}
