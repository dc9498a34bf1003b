package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// Leaser is storage that hands out named, time-limited leases: the
// PostgreSQL store, shared by several replicas, has them; SQLite, used by
// one process, has not. With a Leaser the app shares its periodic work with
// the other replicas: each feed poll, each digest run and each channel's
// sending is done by the replica that claims it.
type Leaser interface {
	// Claim takes, or renews, the lease called name for holder until the
	// given time and reports whether holder holds it now; it fails while
	// another holder's lease runs.
	Claim(ctx context.Context, name, holder string, until time.Time) (bool, error)
	// Release gives the lease up if holder holds it.
	Release(ctx context.Context, name, holder string) error
}

// changesKey is the meta key bumped on every change made from chat; each
// replica polls it (every changesPoll) and reloads what it keeps in memory
// (rules, feeds and their schedules) when it moves. Mutes need no reload:
// the router reads them from storage on every pass.
const changesKey = "replica.changes"

// changesPoll is how often a replica looks for changes made on another: a
// topic, feed or deadline added on one is in force on all within it (plus
// the time a reload takes).
const changesPoll = 2 * time.Second

// Lease names. A poll and a digest lease is kept until it runs out (never
// released): the replicas' crons fire the same job within moments of each
// other, and the one that ticks a little later must still find the lease
// taken. A job runs again only a period later, and periods are expected to
// be longer than a lease; when one is shorter, the holder renews its lease
// at its next tick, and the job still runs once per tick.
func pollLease(feed string) string             { return "poll:" + feed }
func sendLease(channel string) string          { return "send:" + channel }
func digestLease(sub news.Subscription) string { return "digest:" + sub.Key() }

// remindLease is the lease of the reminder pass (see remindPass).
const remindLease = "remind"

// replica is this process's part in a group of replicas sharing one
// database. A nil *replica is a process alone (SQLite): every claim
// succeeds and nothing is announced.
type replica struct {
	leaser Leaser
	meta   store.Store
	id     string // holder of this process's leases
	lease  time.Duration
	now    func() time.Time
	log    *slog.Logger
	seen   string // the last value of changesKey acted on (watchChanges only)
	// changed is signalled when another replica changed the feeds, for
	// the chat feed scheduler to sync at once.
	changed chan struct{}
}

// newReplica returns the replica of a process on st, or nil when st hands
// out no leases. It reads the current changes mark, so that a change made
// between now and the watcher's start is noticed.
func newReplica(ctx context.Context, st store.Store, lease time.Duration, now func() time.Time, log *slog.Logger) (*replica, error) {
	l, ok := st.(Leaser)
	if !ok {
		return nil, nil
	}
	if lease <= 0 {
		return nil, fmt.Errorf("replicas: lease %s is not positive", lease)
	}
	id, err := replicaID()
	if err != nil {
		return nil, err
	}
	seen, _, err := st.GetMeta(ctx, changesKey)
	if err != nil {
		return nil, fmt.Errorf("replicas: read changes: %w", err)
	}
	log.Info("sharing work with other replicas", "replica", id, "lease", lease)
	return &replica{leaser: l, meta: st, id: id, lease: lease, now: now, log: log, seen: seen,
		changed: make(chan struct{}, 1)}, nil
}

// replicaID names this process among the replicas: host, pid and a random
// part, so that a restarted process (same pid in a new container) is never
// taken for its predecessor, whose leases must run out.
func replicaID() (string, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("replica id: %w", err)
	}
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:]), nil
}

// claim takes or renews the lease called name for one lease length and
// reports whether this replica may do the work. A storage error counts as
// a refusal: work skipped is done at the next tick, work done twice may
// send twice.
func (r *replica) claim(ctx context.Context, name string) bool {
	if r == nil {
		return true
	}
	ok, err := r.leaser.Claim(ctx, name, r.id, r.now().Add(r.lease))
	if err != nil {
		r.log.Warn("claim shared work", "lease", name, "err", err)
		return false
	}
	return ok
}

// release gives up the lease called name, if this replica holds it.
func (r *replica) release(ctx context.Context, name string) {
	if r == nil {
		return
	}
	if err := r.leaser.Release(ctx, name, r.id); err != nil {
		// It runs out by itself within a lease.
		r.log.Warn("release shared work", "lease", name, "err", err)
	}
}

// pollShared polls, of fs, the feeds whose poll lease this replica wins,
// with the configured concurrency. Each lease is claimed just before its
// poll, not all up front, so that replicas polling at once (all start with
// a full poll) share the feeds instead of the first one taking them all.
func (a *App) pollShared(ctx context.Context, fs []news.Feed) error {
	errs := make([]error, len(fs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(a.cfg.Fetch.Concurrency, 1), len(fs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(fs) {
					return
				}
				if a.replica.claim(ctx, pollLease(fs[i].Name)) {
					_, errs[i] = a.poller.Poll(ctx, fs[i])
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// announce tells the other replicas that something changed from chat. The
// mark is a new unique value, not a counter, so that replicas announcing
// at once need no read-modify-write.
func (a *App) announce(ctx context.Context) {
	r := a.replica
	if r == nil {
		return
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	mark := r.id + "-" + hex.EncodeToString(b[:])
	if err := r.meta.SetMeta(context.WithoutCancel(ctx), changesKey, mark); err != nil {
		// In force here already; elsewhere at the next change or restart.
		a.log.Error("announce a change to the other replicas", "err", err)
	}
}

// watchChanges reloads rules and feeds whenever another replica (or this
// one) announces a change from chat, looking every changesPoll until ctx
// is done.
func (a *App) watchChanges(ctx context.Context) {
	t := time.NewTicker(changesPoll)
	defer t.Stop()
	for {
		if err := a.syncChanges(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("reload changes from other replicas", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// syncChanges reloads rules and feeds if the changes mark moved since it
// last looked. The mark is read before reloading, so a change made during
// the reload is reloaded again next time.
func (a *App) syncChanges(ctx context.Context) error {
	r := a.replica
	mark, _, err := r.meta.GetMeta(ctx, changesKey)
	if err != nil {
		return fmt.Errorf("read changes: %w", err)
	}
	if mark == r.seen {
		return nil
	}
	// registryMu: a reload must not put older rules in force after a
	// newer one made by a chat command here.
	a.registryMu.Lock()
	err = a.ReloadRules(ctx)
	a.registryMu.Unlock()
	if err != nil {
		return err
	}
	if err := a.reloadFeeds(ctx); err != nil {
		return err
	}
	select {
	case r.changed <- struct{}{}:
	default:
	}
	r.seen = mark
	a.log.Debug("reloaded changes made from chat")
	return nil
}

// feedsChanged is signalled when feeds changed on another replica; nil (a
// channel never ready) for a process alone.
func (a *App) feedsChanged() <-chan struct{} {
	if a.replica == nil {
		return nil
	}
	return a.replica.changed
}
