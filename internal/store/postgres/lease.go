package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Claim tries to take, or renew, the lease called name for holder until the
// given time, and reports whether holder now holds it. It succeeds when the
// lease is free, already held by holder (until then replaces the old end, so
// a holder renews by claiming again), or held by another holder whose lease
// has run out: a lease ending exactly at the store's now (Options.Now) is
// over. It fails, changing nothing, while another holder's lease runs.
//
// The decision is one upsert, so of replicas claiming at once exactly one
// wins: PostgreSQL makes concurrent upserts of one name take turns, and each
// checks the row as the previous one left it. Expiry is judged by the
// replicas' clocks (until comes from the claimant, now from this store), so
// their skew should stay well below a lease's length.
func (s *Store) Claim(ctx context.Context, name, holder string, until time.Time) (bool, error) {
	if name == "" || holder == "" {
		return false, errors.New("claim lease: empty name or holder")
	}
	now := stamp(s.now())
	until = stamp(until)
	if !until.After(now) {
		return false, fmt.Errorf("claim lease %s: until %s is not after now %s", name,
			until.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.holder = excluded.holder OR leases.until <= $4`,
		name, holder, until, now)
	if err != nil {
		return false, fmt.Errorf("claim lease %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Release gives up the lease called name if holder holds it, so that another
// replica need not wait for it to run out. A lease held by another holder
// (taken over after this one's ran out) or by nobody is left alone: release
// is a no-op then, not an error.
func (s *Store) Release(ctx context.Context, name, holder string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
