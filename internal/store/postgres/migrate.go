package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

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

// migrate applies the migrations the schema lacks, all in one transaction
// that first takes an advisory lock: replicas starting together queue on the
// lock, and each one after the first finds the work done. PostgreSQL's DDL is
// transactional, so a failure leaves the schema as it was.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	var applied []store.Migration
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		applied = nil
		if err := xactLock(ctx, tx, lockMigrate); err != nil {
			return err
		}
		// Created under the lock, so that two first starts cannot race on it.
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version integer PRIMARY KEY,
			applied timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		// READ COMMITTED: this statement's snapshot is taken after the lock
		// was granted, so it sees what a replica that held it committed.
		var current int
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if latest := len(ms); current > latest {
			return fmt.Errorf("database schema version %d is newer than this binary knows (%d): upgrade feedwatch", current, latest)
		}
		for _, m := range ms[current:] {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_version (version) VALUES ($1)", m.Version); err != nil {
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
		s.log.Info("postgres migration applied", "version", m.Version, "migration", m.Name)
	}
	return nil
}
