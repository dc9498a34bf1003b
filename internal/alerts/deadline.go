package alerts

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// Countdown says how far due is from now in words people read: "in 2 days
// 3 hours", "in 45 seconds", "now", "passed 1 hour ago". It names the two
// largest units and rounds to the smaller one (a reminder a few milliseconds
// late still says "in 1 hour"); less than half a second either way is "now".
func Countdown(now, due time.Time) string {
	d := due.Sub(now)
	past := d < 0
	if past {
		d = -d
	}
	d = roundCountdown(d)
	if d == 0 {
		return "now"
	}
	if past {
		return "passed " + spell(d) + " ago"
	}
	return "in " + spell(d)
}

// roundCountdown rounds d to the precision Countdown shows at that distance.
func roundCountdown(d time.Duration) time.Duration {
	switch {
	case d >= 24*time.Hour-30*time.Minute:
		return d.Round(time.Hour)
	case d >= time.Hour-30*time.Second:
		return d.Round(time.Minute)
	default:
		return d.Round(time.Second)
	}
}

var spellUnits = []struct {
	size      time.Duration
	one, many string
}{
	{24 * time.Hour, "day", "days"},
	{time.Hour, "hour", "hours"},
	{time.Minute, "minute", "minutes"},
	{time.Second, "second", "seconds"},
}

// spell names d in its largest unit and the next one when that is not zero:
// "2 days 3 hours", "1 hour", "45 seconds". Sub-second rests are dropped.
func spell(d time.Duration) string {
	for i, u := range spellUnits {
		n := int64(d / u.size)
		if n == 0 {
			continue
		}
		s := plural(int(n), u.one, u.many)
		if i+1 < len(spellUnits) {
			next := spellUnits[i+1]
			if m := int64(d % u.size / next.size); m > 0 {
				s += " " + plural(int(m), next.one, next.many)
			}
		}
		return s
	}
	return "0 seconds"
}

// ReminderStep is one reminder of a deadline: Offset before the due time,
// falling due At.
type ReminderStep struct {
	Offset time.Duration
	At     time.Time
}

// Ladder returns the reminder steps of d, earliest first. Offsets are taken
// as given (0 = at the due time); a repeated or negative offset is ignored.
func Ladder(d news.Deadline) []ReminderStep {
	var out []ReminderStep
	seen := map[time.Duration]bool{}
	for _, off := range d.Remind {
		if off < 0 || seen[off] {
			continue
		}
		seen[off] = true
		out = append(out, ReminderStep{Offset: off, At: d.Due.Add(-off)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// ReminderLateness bounds how late the last reminder of a ladder may still
// go out: one missed while feedwatch was down is sent on start unless the
// deadline (or that reminder, if later) passed longer ago than this.
const ReminderLateness = time.Hour

// DueReminder picks the reminder of a ladder to send at now. The rule, which
// makes a restart neither repeat nor pile up reminders:
//
//   - only steps that fell due while the deadline was tracked (At at or after
//     tracked) are owed: a deadline added two hours before due does not get
//     its "7 days before" reminder;
//   - of the owed steps, only the latest is sent; earlier ones it supersedes
//     (missed while the bot was down) are folded into it and returned as
//     folded, since a late "in 6 days" says less than the "in 1 hour" due now;
//   - the latest owed step is sent unless it is stale: more than
//     ReminderLateness after both its own time and the due time.
//
// Each step goes out at most once because it is queued under a unique key
// (ReminderKey); calling DueReminder again finds the same step and the
// outbox ignores the repeat.
func DueReminder(steps []ReminderStep, due, tracked, now time.Time) (step ReminderStep, folded []ReminderStep, ok bool) {
	idx := -1
	for i, s := range steps {
		if s.At.After(now) {
			break
		}
		if !s.At.Before(tracked) {
			if idx >= 0 {
				folded = append(folded, steps[idx])
			}
			idx = i
		}
	}
	if idx < 0 {
		return ReminderStep{}, nil, false
	}
	step = steps[idx]
	last := step.At
	if due.After(last) {
		last = due
	}
	if now.Sub(last) > ReminderLateness {
		return ReminderStep{}, folded, false
	}
	return step, folded, true
}

// NextReminder returns when the next step after now falls due (zero when
// none is left).
func NextReminder(steps []ReminderStep, now time.Time) time.Time {
	for _, s := range steps {
		if s.At.After(now) {
			return s.At
		}
	}
	return time.Time{}
}

// formatOffset writes an offset as the config does: "7d", "1h0m0s", "0s".
func formatOffset(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// Outbox key prefixes of deadline messages. A key names the deadline, the
// step, the channel and the due time (Unix seconds), so a deadline removed
// and added again with another due time gets its reminders afresh.
const (
	reminderPrefix  = "reminder:"
	countdownPrefix = "countdown:"
	pingPrefix      = "reminder-ping:"
)

// ReminderKey is the outbox key of the reminder of d at offset to a
// channel: "reminder:NAME:OFFSET:CHANNEL@DUE". The outbox keeps each key
// once, forever, which is what sends each reminder once across restarts.
func ReminderKey(d news.Deadline, offset time.Duration, channel string) string {
	return deadlineKey(reminderPrefix, d, offset, channel)
}

func deadlineKey(prefix string, d news.Deadline, offset time.Duration, channel string) string {
	return fmt.Sprintf("%s%s:%s:%s@%d", prefix, d.Name, formatOffset(offset), channel, d.Due.Unix())
}

// PinnedSlot tells the dispatcher which queued messages update a pinned
// countdown rather than post anew: for such a message it returns the slot
// the message edits in its channel ("deadline:NAME"), else "".
func PinnedSlot(m news.OutboxMessage) string {
	rest, ok := strings.CutPrefix(m.Key, countdownPrefix)
	if !ok {
		return ""
	}
	name, _, ok := strings.Cut(rest, ":")
	if !ok || name == "" {
		return ""
	}
	return DeadlineKey(name)
}

// TrackedKey is the meta key holding when feedwatch began tracking a
// deadline of the config file (chat deadlines carry Created).
func TrackedKey(name string) string { return "deadline.tracked." + name }

// DeadlineReader is the storage a deadline's status is read from;
// store.Store satisfies it.
type DeadlineReader interface {
	GetMeta(ctx context.Context, key string) (string, bool, error)
	CountMatches(ctx context.Context, topic string, since time.Time) (int, error)
	NewestMatch(ctx context.Context, topic string) (news.Item, bool, error)
}

// DeadlineStatus is what is known of a tracked deadline at a moment: what
// reminders, digests and the `deadlines` command show.
type DeadlineStatus struct {
	Deadline  news.Deadline
	Countdown string    // Countdown(now, Due)
	Tracked   time.Time // when tracking began; zero if unknown
	Related   int       // items matching its query since Tracked
	Newest    news.Item // the newest related item, when HasNewest
	HasNewest bool
}

// StatusOf reads the related news of d at now: how many items matched its
// query since it was tracked, and the newest of them.
func StatusOf(ctx context.Context, st DeadlineReader, d news.Deadline, now time.Time) (DeadlineStatus, error) {
	s := DeadlineStatus{Deadline: d, Countdown: Countdown(now, d.Due), Tracked: d.Created}
	if s.Tracked.IsZero() {
		v, ok, err := st.GetMeta(ctx, TrackedKey(d.Name))
		if err != nil {
			return s, fmt.Errorf("deadline %s: %w", d.Name, err)
		}
		if ok {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				s.Tracked = t
			}
		}
	}
	n, err := st.CountMatches(ctx, DeadlineKey(d.Name), s.Tracked)
	if err != nil {
		return s, fmt.Errorf("deadline %s: %w", d.Name, err)
	}
	s.Related = n
	s.Newest, s.HasNewest, err = st.NewestMatch(ctx, DeadlineKey(d.Name))
	if err != nil {
		return s, fmt.Errorf("deadline %s: %w", d.Name, err)
	}
	return s, nil
}

// Upcoming returns the status of every deadline in deadlines that posts to
// channel ("" = any) and is not long past (due at most a day before now),
// soonest first.
func Upcoming(ctx context.Context, st DeadlineReader, deadlines []news.Deadline, channel string, now time.Time) ([]DeadlineStatus, error) {
	var out []DeadlineStatus
	for _, d := range deadlines {
		if d.Due.Before(now.Add(-24 * time.Hour)) {
			continue
		}
		if channel != "" && !contains(d.Channels, channel) {
			continue
		}
		s, err := StatusOf(ctx, st, d, now)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Deadline.Due.Before(out[j].Deadline.Due) })
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FormatDue shows a due time in loc as people read it: "Tue 2 Sep 2025
// 23:59 EEST".
func FormatDue(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// Line is the status in one line, for digests and listings: "Deadline for
// talks — due Tue 2 Sep 2025 23:59 EEST (in 2 days 3 hours) · 5 related items".
func (s DeadlineStatus) Line(loc *time.Location) string {
	return fmt.Sprintf("%s — due %s (%s) · %s", s.Deadline.Title, FormatDue(s.Deadline.Due, loc), s.Countdown,
		plural(s.Related, "related item", "related items"))
}

// stepLabel names a reminder step: "1 day before", "at the deadline".
func stepLabel(off time.Duration) string {
	if off == 0 {
		return "at the deadline"
	}
	return spell(off) + " before"
}

// pingFor returns whom a reminder sent at now for step pings: the mentions
// of d when the deadline is within the mention window.
func pingFor(d news.Deadline, step ReminderStep, now time.Time) *news.Ping {
	m := d.Mention
	if len(m.Slack)+len(m.Discord) == 0 {
		return nil
	}
	before := min(step.Offset, max(0, d.Due.Sub(now)))
	if m.Set && before > m.Within {
		return nil
	}
	return &news.Ping{Slack: append([]string(nil), m.Slack...), Discord: append([]string(nil), m.Discord...)}
}

// ReminderMessage builds the reminder of a deadline for step, as of now:
// the title with the countdown, the due time in loc, the related news (how
// many items since tracking began, and the newest one, linked) and when the
// next reminder comes.
func ReminderMessage(st DeadlineStatus, step ReminderStep, next time.Time, now time.Time, loc *time.Location) news.Message {
	d := st.Deadline
	msg := news.Message{
		Kind:  news.KindReminder,
		Title: fmt.Sprintf("⏰ %s — %s", d.Title, st.Countdown),
		Ping:  pingFor(d, step, now),
	}
	intro := []string{fmt.Sprintf("Due %s (%s).", FormatDue(d.Due, loc), st.Countdown)}
	since := "since tracking began"
	if !st.Tracked.IsZero() {
		since = "since " + st.Tracked.In(locOrUTC(loc)).Format("Mon 2 Jan 15:04")
	}
	switch {
	case st.Related == 0:
		intro = append(intro, "Related news: none "+since+".")
	case st.HasNewest:
		intro = append(intro, fmt.Sprintf("Related news: %s %s; the newest:", plural(st.Related, "item", "items"), since))
	default:
		intro = append(intro, fmt.Sprintf("Related news: %s %s.", plural(st.Related, "item", "items"), since))
	}
	msg.Intro = strings.Join(intro, "\n")
	if st.HasNewest && st.Related > 0 {
		msg.Sections = []news.Section{{Title: "Newest related item", Entries: []news.Entry{entryOf(st.Newest, 1)}}}
	}
	footer := "Reminder " + stepLabel(step.Offset)
	if !next.IsZero() {
		footer += " · next " + Countdown(now, next)
	}
	msg.Footer = footer + " · deadline " + d.Name
	return msg
}

// PingMessage is the short post that carries the mentions of a pinned
// countdown: editing a message in place notifies nobody, so the people to
// ping get a message of their own.
func PingMessage(st DeadlineStatus, step ReminderStep, now time.Time, loc *time.Location) news.Message {
	d := st.Deadline
	return news.Message{
		Kind:  news.KindReminder,
		Title: fmt.Sprintf("⏰ %s — %s", d.Title, st.Countdown),
		Intro: fmt.Sprintf("Due %s. The countdown is kept up to date in the pinned message.", FormatDue(d.Due, loc)),
		Ping:  pingFor(d, step, now),
	}
}

func locOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// SendReminders queues every deadline reminder due now (see DueReminder for
// the rule) to each of the deadline's channels and returns when the next
// one falls due (zero when none is left) and how many messages were queued.
// A config deadline seen for the first time starts being tracked now. Each
// reminder is queued under its ReminderKey, so calling this again, from a
// restarted process or another replica, never sends one twice.
func (r *Router) SendReminders(ctx context.Context) (next time.Time, queued int, err error) {
	rules := r.rules.Load()
	now := r.now()
	var errs []error
	for _, d := range rules.deadlines {
		steps := Ladder(d)
		if len(d.Channels) == 0 || len(steps) == 0 {
			continue // nowhere to remind, or nothing to remind of
		}
		if n := NextReminder(steps, now); !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
		tracked, err := r.trackedSince(ctx, d, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		step, folded, ok := DueReminder(steps, d.Due, tracked, now)
		if !ok {
			continue
		}
		done := deadlineKey("", d, step.Offset, "")
		if r.reminded(done) {
			continue
		}
		n, err := r.queueReminder(ctx, d, step, folded, NextReminder(steps, now), now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.markReminded(done)
		queued += n
	}
	return next, queued, errors.Join(errs...)
}

// sentKey is the meta key marking the reminder of d at offset as queued.
func sentKey(d news.Deadline, offset time.Duration) string {
	return "reminder.sent." + deadlineKey("", d, offset, "")
}

// queueReminder queues the reminder of d at step to every channel of d in
// one transaction. folded are the earlier steps it supersedes; those never
// queued (missed while feedwatch was down) are named in the message.
func (r *Router) queueReminder(ctx context.Context, d news.Deadline, step ReminderStep, folded []ReminderStep, next, now time.Time) (int, error) {
	st, err := StatusOf(ctx, r.store, d, now)
	if err != nil {
		return 0, fmt.Errorf("reminder: %w", err)
	}
	loc := r.loc()
	pinned := d.Countdown == news.CountdownPinned
	perChannel := map[string]int{}
	var missed []string
	err = r.store.Update(ctx, func(tx store.Tx) error {
		clear(perChannel)
		missed = missed[:0]
		// The outbox keys alone keep a reminder from going out twice; the
		// mark also tells a restarted process that it was queued, so that
		// counts and logs say what really happened.
		if _, done, err := tx.GetMeta(sentKey(d, step.Offset)); err != nil || done {
			return err
		}
		for _, f := range folded {
			_, done, err := tx.GetMeta(sentKey(d, f.Offset))
			if err != nil {
				return err
			}
			if !done {
				missed = append(missed, stepLabel(f.Offset))
			}
		}
		msg := ReminderMessage(st, step, next, now, loc)
		if len(missed) > 0 {
			msg.Intro += "\nMissed while feedwatch was down, and folded into this one: the reminder " + strings.Join(missed, ", ") + "."
		}
		for _, ch := range d.Channels {
			var out []news.OutboxMessage
			if pinned {
				m := msg
				m.Ping = nil
				out = append(out, news.OutboxMessage{Channel: ch, Key: deadlineKey(countdownPrefix, d, step.Offset, ch),
					Message: m, Created: now, NextAttempt: now})
				if msg.Ping != nil {
					out = append(out, news.OutboxMessage{Channel: ch, Key: deadlineKey(pingPrefix, d, step.Offset, ch),
						Message: PingMessage(st, step, now, loc), Created: now, NextAttempt: now})
				}
			} else {
				for i, p := range r.split(ch, msg) {
					key := ReminderKey(d, step.Offset, ch)
					if i > 0 {
						key += "#" + strconv.Itoa(i+1)
					}
					out = append(out, news.OutboxMessage{Channel: ch, Key: key, Message: p, Created: now, NextAttempt: now})
				}
			}
			if err := tx.Enqueue(out...); err != nil {
				return err
			}
			perChannel[ch] += len(out)
		}
		return tx.SetMeta(sentKey(d, step.Offset), now.UTC().Format(time.RFC3339Nano))
	})
	if err != nil {
		return 0, fmt.Errorf("reminder for %s: %w", d.Name, err)
	}
	total := 0
	for ch, n := range perChannel {
		total += n
		if r.hooks.Enqueued != nil {
			r.hooks.Enqueued(ch, n)
		}
	}
	if total == 0 {
		return 0, nil // queued before a restart
	}
	if len(missed) > 0 {
		r.log.Info("missed reminders folded into a later one", "deadline", d.Name, "missed", strings.Join(missed, ", "), "into", formatOffset(step.Offset))
	}
	r.log.Info("deadline reminder", "deadline", d.Name, "offset", formatOffset(step.Offset), "countdown", st.Countdown, "channels", len(d.Channels))
	return total, nil
}

// trackedSince returns when tracking of d began: Created for a chat
// deadline; for a config deadline, the time recorded when it was first
// seen, recorded now if it never was.
func (r *Router) trackedSince(ctx context.Context, d news.Deadline, now time.Time) (time.Time, error) {
	if !d.Created.IsZero() {
		return d.Created, nil
	}
	r.remMu.Lock()
	t, ok := r.tracked[d.Name]
	r.remMu.Unlock()
	if ok {
		return t, nil
	}
	v, found, err := r.store.GetMeta(ctx, TrackedKey(d.Name))
	if err != nil {
		return time.Time{}, fmt.Errorf("deadline %s: tracked since: %w", d.Name, err)
	}
	if found {
		t, err = time.Parse(time.RFC3339Nano, v)
		found = err == nil
	}
	if !found {
		t = now
		if err := r.store.SetMeta(ctx, TrackedKey(d.Name), now.UTC().Format(time.RFC3339Nano)); err != nil {
			return time.Time{}, fmt.Errorf("deadline %s: record tracking: %w", d.Name, err)
		}
	}
	r.remMu.Lock()
	r.tracked[d.Name] = t
	r.remMu.Unlock()
	return t, nil
}

// reminded reports whether this process already queued the reminder done
// names; it spares the storage a write the outbox would ignore anyway.
func (r *Router) reminded(done string) bool {
	r.remMu.Lock()
	defer r.remMu.Unlock()
	_, ok := r.remindedSet[done]
	return ok
}

func (r *Router) markReminded(done string) {
	r.remMu.Lock()
	defer r.remMu.Unlock()
	r.remindedSet[done] = struct{}{}
}
