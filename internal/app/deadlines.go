package app

import (
	"context"
	"time"

	"github.com/feedwatch/feedwatch/internal/alerts"
	"github.com/feedwatch/feedwatch/internal/chat"
	"github.com/feedwatch/feedwatch/internal/news"
)

// Bounds of the reminder loop's sleep. It sleeps until the next reminder
// falls due, but never longer than reminderRecheck, so that a wall clock
// set forward (timers follow the monotonic clock) is noticed within a
// minute; after a storage error it tries again sooner.
const (
	reminderRecheck    = time.Minute
	reminderRetryAfter = 5 * time.Second
)

// runDeadlines sends deadline reminders until ctx is done: it queues what is
// due (alerts.Router.SendReminders decides which reminders that is, and
// keeps each to one send across restarts), wakes the dispatcher, and sleeps
// until the next one falls due or the deadlines change (a `deadline add`
// from chat). Run starts it; a missed reminder is caught up on the first
// pass at start.
func (a *App) runDeadlines(ctx context.Context) {
	for ctx.Err() == nil {
		changed := a.router.RulesChanged()
		wait, _ := a.remindPass(ctx)
		if ctx.Err() != nil {
			return
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-changed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// remindPass queues the reminders due now and returns how long to sleep
// before the next pass and how many messages it queued. With replicas, the
// pass is made by the one that claims it: the outbox keys alone keep a
// reminder from being sent twice, but not from being counted and logged
// by each replica; a replica refused looks again within half a lease, to
// take over from one that died.
func (a *App) remindPass(ctx context.Context) (time.Duration, int) {
	if !a.replica.claim(ctx, remindLease) {
		return a.replica.lease / 2, 0
	}
	next, queued, err := a.router.SendReminders(ctx)
	if queued > 0 {
		a.dispatcher.Kick()
	}
	wait := reminderRecheck
	if err != nil {
		if ctx.Err() == nil {
			a.log.Error("deadline reminders", "err", err)
		}
		wait = reminderRetryAfter
	}
	if !next.IsZero() {
		wait = min(wait, max(0, next.Sub(a.now())))
	}
	return wait, queued
}

// offerActions gives a deadline offer its "Track deadline" button; the
// interactions endpoint hands the button's id to alerts.ParseOfferAction.
func offerActions(m news.OutboxMessage) []chat.Action {
	id, ok := alerts.OfferOf(m)
	if !ok {
		return nil
	}
	return []chat.Action{{ID: alerts.OfferAction(id), Label: "Track deadline"}}
}
