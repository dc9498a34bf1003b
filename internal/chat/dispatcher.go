package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Outbox is the storage the Dispatcher sends from.
type Outbox interface {
	OutboxChannels(ctx context.Context) ([]string, error)
	NextOutbox(ctx context.Context, channel string) (news.OutboxMessage, bool, error)
	MarkSent(ctx context.Context, id int64, at time.Time) error
	MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error
	MarkFailed(ctx context.Context, id int64, at time.Time, errMsg string) error
}

// DispatchHooks receive send outcomes for metrics; any may be nil.
type DispatchHooks struct {
	Sent   func(channel string)
	Failed func(channel string, permanent bool)
}

// Retry backoff for transient send failures, when the platform names no
// Retry-After: 1s doubling up to 5 minutes. Messages are never dropped for
// transient failures; they wait in the outbox.
const (
	minRetry = time.Second
	maxRetry = 5 * time.Minute
	// sendTimeout bounds one send, also the in-flight send that finishes
	// during shutdown.
	sendTimeout = 30 * time.Second
	// shutdownSendGrace is how long an in-flight send may go on once
	// shutdown starts, so that a hung chat API cannot hold the process past
	// a service manager's kill timeout.
	shutdownSendGrace = 8 * time.Second
	// releaseTimeout bounds giving up a channel's claim at shutdown; if it
	// fails, the claim runs out by itself.
	releaseTimeout = 2 * time.Second
)

// ChannelHealth is what the dispatcher knows of a channel's deliveries.
type ChannelHealth struct {
	Channel     string
	LastSent    time.Time
	LastError   time.Time
	LastErrMsg  string
	Failing     bool // the last send failed permanently, or transient failures are ongoing
	Permanent   bool // the last failure was permanent (bad token, unknown channel)
	Consecutive int  // consecutive failed attempts
}

// Dispatcher sends queued messages: per channel, in order, one at a time,
// retrying transient failures with backoff and Retry-After, marking each
// message sent or failed in storage.
type Dispatcher struct {
	outbox    Outbox
	notifiers map[string]Notifier
	now       func() time.Time
	log       *slog.Logger
	hooks     DispatchHooks
	slot      func(news.OutboxMessage) string
	refs      RefStore
	claim     func(ctx context.Context, channel string) bool
	release   func(ctx context.Context, channel string)
	recheck   time.Duration
	timeout   time.Duration // bound of one send

	mu     sync.Mutex
	kicks  map[string]chan struct{}
	health map[string]*ChannelHealth
	held   map[string]bool // channels claimed and not released since
}

// DispatcherOptions configure a Dispatcher.
type DispatcherOptions struct {
	Outbox    Outbox
	Notifiers map[string]Notifier // by channel name
	Now       func() time.Time    // nil = time.Now
	Logger    *slog.Logger
	Hooks     DispatchHooks
	// Slot names the message a queued message updates in place (a pinned
	// deadline countdown: alerts.PinnedSlot), or "" to post it anew. Nil =
	// every message is a new post.
	Slot func(news.OutboxMessage) string
	// Refs keeps, per channel and slot, the reference of the message to
	// edit; needed with Slot.
	Refs RefStore
	// Claim, when set, is asked before each send whether this process may
	// send the channel's queue now, and renews that right: several replicas
	// share one outbox, and one at a time must send a channel's queue, or
	// two would send its head at once. A refused channel is looked at again
	// after Recheck. Nil = this process alone sends (one replica).
	Claim func(ctx context.Context, channel string) bool
	// Release, when set with Claim, gives the channel up once its queue is
	// empty, so that a replica that queues the next message sends it at
	// once instead of waiting for the claim to run out.
	Release func(ctx context.Context, channel string)
	// Recheck, with Claim, bounds how long a sender waits before it looks
	// at the outbox again even without a kick: another replica may have
	// queued messages (and died before sending them) or given the channel
	// up. 0 = a second.
	Recheck time.Duration
	// ClaimFor, with Claim, is how long a claim lasts: a send is cut off
	// well before it, so that no other replica takes the channel over and
	// sends the same message while this one is still sending it. 0 = no
	// bound beyond the usual send timeout.
	ClaimFor time.Duration
}

// RefStore keeps small named values across restarts (store.Store does).
type RefStore interface {
	GetMeta(ctx context.Context, key string) (string, bool, error)
	SetMeta(ctx context.Context, key, value string) error
}

// NewDispatcher returns a Dispatcher.
func NewDispatcher(o DispatcherOptions) *Dispatcher {
	d := &Dispatcher{outbox: o.Outbox, notifiers: o.Notifiers, now: o.Now, log: o.Logger, hooks: o.Hooks, slot: o.Slot, refs: o.Refs,
		claim: o.Claim, release: o.Release, recheck: o.Recheck, timeout: sendTimeout,
		kicks: map[string]chan struct{}{}, health: map[string]*ChannelHealth{}, held: map[string]bool{}}
	if d.claim != nil && d.recheck <= 0 {
		d.recheck = time.Second
	}
	if d.claim != nil && o.ClaimFor > 0 {
		// Three quarters: the rest covers marking the message sent and
		// the replicas' clock skew.
		d.timeout = min(d.timeout, o.ClaimFor*3/4)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	for ch := range d.notifiers {
		d.kicks[ch] = make(chan struct{}, 1)
		d.health[ch] = &ChannelHealth{Channel: ch}
	}
	return d
}

// Kick wakes every channel's sender to look at the outbox now.
func (d *Dispatcher) Kick() {
	for _, k := range d.kicks {
		select {
		case k <- struct{}{}:
		default:
		}
	}
}

// Health returns the delivery health of every channel, by name.
func (d *Dispatcher) Health() []ChannelHealth {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]ChannelHealth, 0, len(d.health))
	for _, h := range d.health {
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out
}

// Run sends until ctx is done: one sender per channel. A send in flight when
// ctx ends is finished (bounded by a timeout), then Run returns.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for ch := range d.notifiers {
		wg.Go(func() { d.runChannel(ctx, ch) })
	}
	wg.Wait()
}

func (d *Dispatcher) runChannel(ctx context.Context, ch string) {
	kick := d.kicks[ch]
	defer d.giveUp(ctx, ch)
	for ctx.Err() == nil {
		wait, _, err := d.step(ctx, ch)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Error("dispatch", "channel", ch, "err", err)
			wait = minRetry
		}
		if wait < 0 {
			continue // more to send now
		}
		if d.claim != nil && (wait == 0 || wait > d.recheck) {
			wait = d.recheck
		}
		var timer *time.Timer
		var due <-chan time.Time
		if wait > 0 {
			timer = time.NewTimer(wait)
			due = timer.C
		}
		select {
		case <-ctx.Done():
		case <-kick:
		case <-due:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// step sends the channel's oldest queued message if it is due. It returns a
// negative wait when another message may be sent at once, zero when the
// queue is empty (wait for a kick), or how long until the head is due; and,
// when the head failed permanently and was marked failed, the send error.
func (d *Dispatcher) step(ctx context.Context, ch string) (time.Duration, error, error) {
	msg, ok, err := d.outbox.NextOutbox(ctx, ch)
	if err != nil {
		return 0, nil, fmt.Errorf("next message for %s: %w", ch, err)
	}
	if !ok {
		return d.idle(ctx, ch), nil, nil
	}
	now := d.now()
	if msg.NextAttempt.After(now) {
		return msg.NextAttempt.Sub(now), nil, nil
	}
	n, ok := d.notifiers[ch]
	if !ok {
		// The channel left the config; its messages stay queued.
		return 0, nil, nil
	}
	if d.claim != nil {
		if !d.claim(ctx, ch) {
			d.setHeld(ch, false)
			return d.recheck, nil, nil // another replica sends this channel
		}
		d.setHeld(ch, true)
		// The replica that held the channel until now may have sent the
		// head read above: read it again under the claim.
		if msg, ok, err = d.outbox.NextOutbox(ctx, ch); err != nil {
			return 0, nil, fmt.Errorf("next message for %s: %w", ch, err)
		}
		if !ok {
			return d.idle(ctx, ch), nil, nil
		}
		if msg.NextAttempt.After(now) {
			return msg.NextAttempt.Sub(now), nil, nil
		}
	}
	// An in-flight send completes when shutdown starts, within shutdownSendGrace.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.timeout)
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(shutdownSendGrace, cancel)
		context.AfterFunc(sctx, func() { t.Stop() })
	})
	defer stopGrace()
	err = d.send(sctx, ch, n, msg)
	cancel()
	now = d.now()
	if err == nil {
		d.record(ch, now, nil, false)
		if d.hooks.Sent != nil {
			d.hooks.Sent(ch)
		}
		if err := d.outbox.MarkSent(context.WithoutCancel(ctx), msg.ID, now); err != nil {
			return 0, nil, fmt.Errorf("mark message %d sent: %w", msg.ID, err)
		}
		return -1, nil, nil
	}
	perm := IsPermanent(err)
	d.record(ch, now, err, perm)
	if d.hooks.Failed != nil {
		d.hooks.Failed(ch, perm)
	}
	if perm {
		d.log.Error("send failed permanently; message kept as failed", "channel", ch, "message", msg.ID, "err", err)
		if merr := d.outbox.MarkFailed(context.WithoutCancel(ctx), msg.ID, now, err.Error()); merr != nil {
			return 0, nil, fmt.Errorf("mark message %d failed: %w", msg.ID, merr)
		}
		return -1, err, nil
	}
	wait := RetryDelay(msg.Attempts + 1)
	if ra, ok := RetryAfter(err); ok && ra > wait {
		wait = ra
	}
	next := now.Add(wait)
	d.log.Warn("send failed; will retry", "channel", ch, "message", msg.ID, "attempt", msg.Attempts+1, "retry_at", next, "err", err)
	if err := d.outbox.MarkRetry(context.WithoutCancel(ctx), msg.ID, next, err.Error()); err != nil {
		return 0, nil, fmt.Errorf("mark message %d for retry: %w", msg.ID, err)
	}
	return wait, nil, nil
}

// idle is step's answer for an empty queue: zero (wait for a kick), after
// giving up the channel's claim, if any, for another replica to take.
func (d *Dispatcher) idle(ctx context.Context, ch string) time.Duration {
	if d.release != nil && d.setHeld(ch, false) {
		d.release(ctx, ch)
	}
	return 0
}

// giveUp releases channel ch's claim, if held, when the sender stops: the
// other replicas take the channel over at once instead of after the lease.
func (d *Dispatcher) giveUp(ctx context.Context, ch string) {
	if d.release == nil || !d.setHeld(ch, false) {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	d.release(rctx, ch)
}

// setHeld records whether this process holds channel ch's claim and
// reports whether it did before.
func (d *Dispatcher) setHeld(ch string, held bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	was := d.held[ch]
	d.held[ch] = held
	return was
}

// send delivers msg through n: a new post, or, for a message that updates a
// slot on a notifier that can edit, an edit of the slot's message (a new
// post the first time, or when that message was deleted).
func (d *Dispatcher) send(ctx context.Context, ch string, n Notifier, msg news.OutboxMessage) error {
	ed, ok := n.(Editor)
	slot := ""
	if ok && d.slot != nil && d.refs != nil {
		slot = d.slot(msg)
	}
	if slot == "" {
		return n.Send(ctx, msg)
	}
	key := RefKey(ch, slot)
	ref, found, err := d.refs.GetMeta(ctx, key)
	if err != nil {
		return &SendError{Err: fmt.Errorf("read the message to edit in %s: %w", ch, err)}
	}
	if found && ref != "" {
		err := ed.Edit(ctx, ref, msg)
		if !errors.Is(err, ErrMessageGone) {
			return err
		}
		d.log.Info("message to edit is gone; posting a new one", "channel", ch, "slot", slot)
	}
	ref, err = ed.Post(ctx, msg)
	if err != nil {
		return err
	}
	if ref == "" {
		return nil
	}
	if err := d.refs.SetMeta(context.WithoutCancel(ctx), key, ref); err != nil {
		// Sent all the same; the next update posts anew instead of editing.
		d.log.Warn("keep the message to edit", "channel", ch, "slot", slot, "err", err)
	}
	return nil
}

// RefKey is the meta key under which the reference of a channel's message
// for slot is kept.
func RefKey(channel, slot string) string { return "chat.ref." + channel + "." + slot }

func (d *Dispatcher) record(ch string, at time.Time, err error, perm bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.health[ch]
	if h == nil {
		h = &ChannelHealth{Channel: ch}
		d.health[ch] = h
	}
	if err == nil {
		h.LastSent, h.Failing, h.Permanent, h.Consecutive = at, false, false, 0
		return
	}
	h.LastError, h.LastErrMsg, h.Failing, h.Permanent = at, err.Error(), true, perm
	h.Consecutive++
}

// RetryDelay is the backoff before attempt n+1 after n failed attempts.
func RetryDelay(attempts int) time.Duration {
	d := minRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

// ErrQueued is returned by Drain when messages are still waiting for a retry.
var ErrQueued = errors.New("messages still queued")

// ErrFailed is returned by Drain when messages failed permanently (a bad
// token, an unknown channel): they are kept as failed and not sent again, so
// a one-shot run must say so rather than exit as if all went out.
var ErrFailed = errors.New("message(s) failed permanently")

// Drain sends every queued message that can go out now, waiting for retries
// up to maxWait in all, then returns. It is for one-shot runs: messages that
// could not be sent stay queued for the next run (ErrQueued); messages that
// failed permanently are reported per channel with the last platform error
// (ErrFailed). Both are joined when both happen.
func (d *Dispatcher) Drain(ctx context.Context, maxWait time.Duration) error {
	chans, err := d.outbox.OutboxChannels(ctx)
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	deadline := d.now().Add(maxWait)
	var stuck []string
	var failed []error
	for _, ch := range chans {
		if _, ok := d.notifiers[ch]; !ok {
			continue
		}
		nFailed, lastFail := 0, error(nil)
		for {
			wait, perm, err := d.step(ctx, ch)
			if err != nil {
				return fmt.Errorf("drain: %w", err)
			}
			if perm != nil {
				nFailed, lastFail = nFailed+1, perm
			}
			if wait < 0 {
				continue
			}
			if wait == 0 {
				break
			}
			if d.now().Add(wait).After(deadline) {
				stuck = append(stuck, ch)
				break
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("drain: %w", ctx.Err())
			case <-t.C:
			}
		}
		if nFailed > 0 {
			// The platform error is text (already free of secrets), not
			// wrapped: one %w keeps the error a single line for callers
			// that split joined errors.
			failed = append(failed, fmt.Errorf("drain: channel %s: %d %w: %v", ch, nFailed, ErrFailed, lastFail))
		}
	}
	if len(stuck) > 0 {
		failed = append(failed, fmt.Errorf("drain: channels %v: %w", stuck, ErrQueued))
	}
	return errors.Join(failed...)
}
