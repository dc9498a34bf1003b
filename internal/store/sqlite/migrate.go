package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

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
	return nil
}
