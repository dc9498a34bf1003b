package alerts_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/alerts"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

func TestCountdown(t *testing.T) {
	now := time.Date(2025, 8, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{"days and hours", 51 * time.Hour, "in 2 days 3 hours"},
		{"a reminder a little late", time.Hour - 5*time.Millisecond, "in 1 hour"},
		{"a day rounded from hours", 23*time.Hour + 50*time.Minute, "in 1 day"},
		{"day and an hour", 25 * time.Hour, "in 1 day 1 hour"},
		{"hours and minutes", 90 * time.Minute, "in 1 hour 30 minutes"},
		{"minutes and seconds", 90 * time.Second, "in 1 minute 30 seconds"},
		{"seconds", 10 * time.Second, "in 10 seconds"},
		{"now", 0, "now"},
		{"now within half a second", -400 * time.Millisecond, "now"},
		{"passed", -time.Hour, "passed 1 hour ago"},
		{"passed days", -72 * time.Hour, "passed 3 days ago"},
		{"passed a second", -time.Second, "passed 1 second ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := alerts.Countdown(now, now.Add(tt.d)); got != tt.want {
				t.Errorf("Countdown(%s) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestDueReminder(t *testing.T) {
	due := time.Date(2025, 9, 2, 23, 59, 0, 0, time.UTC)
	d := news.Deadline{Due: due, Remind: []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, 0}}
	steps := alerts.Ladder(d)
	tracked := due.Add(-10 * 24 * time.Hour)
	tests := []struct {
		name       string
		tracked    time.Time
		now        time.Time
		wantOK     bool
		wantOffset time.Duration
		wantFolded int
	}{
		{"before any step", tracked, due.Add(-8 * 24 * time.Hour), false, 0, 0},
		{"on the first step", tracked, due.Add(-7 * 24 * time.Hour), true, 7 * 24 * time.Hour, 0},
		{"late first step still useful", tracked, due.Add(-3 * 24 * time.Hour), true, 7 * 24 * time.Hour, 0},
		{"missed steps fold into the latest", tracked, due.Add(-30 * time.Minute), true, time.Hour, 2},
		{"at due", tracked, due, true, 0, 3},
		{"at due, sent late but within the lateness", tracked, due.Add(59 * time.Minute), true, 0, 3},
		{"stale after the lateness", tracked, due.Add(61 * time.Minute), false, 0, 3},
		{"steps before tracking are not owed", due.Add(-2 * time.Hour), due.Add(-90 * time.Minute), false, 0, 0},
		{"tracked late, first owed step", due.Add(-2 * time.Hour), due.Add(-time.Hour), true, time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, folded, ok := alerts.DueReminder(steps, due, tt.tracked, tt.now)
			if ok != tt.wantOK || (ok && step.Offset != tt.wantOffset) || len(folded) != tt.wantFolded {
				t.Errorf("DueReminder at %s = %v, %d folded, %v; want %v, %d folded, %v",
					tt.now, step.Offset, len(folded), ok, tt.wantOffset, tt.wantFolded, tt.wantOK)
			}
		})
	}
	if got := alerts.NextReminder(steps, due.Add(-2*time.Hour)); !got.Equal(due.Add(-time.Hour)) {
		t.Errorf("NextReminder = %s, want an hour before due", got)
	}
	if got := alerts.NextReminder(steps, due); !got.IsZero() {
		t.Errorf("NextReminder after the last step = %s, want zero", got)
	}
}

func TestPinnedSlotAndKeys(t *testing.T) {
	d := news.Deadline{Name: "sept-2", Due: time.Unix(1756871940, 0)}
	key := alerts.ReminderKey(d, 24*time.Hour, "newsroom")
	if key != "reminder:sept-2:1d:newsroom@1756871940" {
		t.Errorf("ReminderKey = %q", key)
	}
	tests := []struct {
		name, key, want string
	}{
		{"reminder posts", key, ""},
		{"countdown edits", "countdown:sept-2:1h0m0s:newsroom@1756871940", "deadline:sept-2"},
		{"no key", "", ""},
		{"malformed", "countdown:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := alerts.PinnedSlot(news.OutboxMessage{Key: tt.key}); got != tt.want {
				t.Errorf("PinnedSlot(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

// ladder is a reminder ladder over a store file that can be closed and
// opened again, as a restart does.
type ladder struct {
	t      *testing.T
	path   string
	st     store.Store
	router *alerts.Router
	now    time.Time
	dls    []news.Deadline
}

func newLadder(t *testing.T, dls ...news.Deadline) *ladder {
	l := &ladder{t: t, path: filepath.Join(t.TempDir(), "fw.db"), now: t0, dls: dls}
	l.open()
	t.Cleanup(func() { l.st.Close() })
	return l
}

func (l *ladder) open() {
	l.t.Helper()
	st, err := sqlite.Open(context.Background(), l.path, sqlite.Options{})
	if err != nil {
		l.t.Fatal(err)
	}
	rules, err := alerts.NewRules([]news.Topic{{Name: "talks", Query: "talks"}},
		[]news.Subscription{{Channel: "newsroom", Mode: news.ModeInstant}}, l.dls)
	if err != nil {
		l.t.Fatal(err)
	}
	l.st = st
	l.router = alerts.NewRouter(alerts.RouterOptions{Store: st, Rules: rules, Now: func() time.Time { return l.now }})
}

// restart closes the store and opens it again with a fresh router: nothing
// in memory survives.
func (l *ladder) restart() {
	l.t.Helper()
	if err := l.st.Close(); err != nil {
		l.t.Fatal(err)
	}
	l.open()
}

// at moves the clock and runs the reminders, returning how many messages
// were queued and the next wake-up.
func (l *ladder) at(now time.Time) (int, time.Time) {
	l.t.Helper()
	l.now = now
	next, n, err := l.router.SendReminders(context.Background())
	if err != nil {
		l.t.Fatal(err)
	}
	return n, next
}

func (l *ladder) drain(channel string) []news.OutboxMessage {
	l.t.Helper()
	ctx := context.Background()
	var out []news.OutboxMessage
	for {
		m, ok, err := l.st.NextOutbox(ctx, channel)
		if err != nil {
			l.t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, m)
		if err := l.st.MarkSent(ctx, m.ID, l.now); err != nil {
			l.t.Fatal(err)
		}
	}
}

func TestRemindersAcrossRestarts(t *testing.T) {
	due := t0.Add(2 * time.Hour)
	dl := news.Deadline{Name: "sept-2", Title: "Talks deadline", Due: due, Query: "talks",
		Remind: []time.Duration{24 * time.Hour, time.Hour, 10 * time.Minute, 0}, Channels: []string{"newsroom", "war-room"},
		Countdown: news.CountdownPosts, Source: news.SourceConfig}
	l := newLadder(t, dl)

	// First sight: tracking starts; the 1-day step fell before it and is not owed.
	if n, next := l.at(t0); n != 0 || !next.Equal(due.Add(-time.Hour)) {
		t.Fatalf("at start: %d queued, next %s; want 0 and the 1h step", n, next)
	}
	// The 1-hour step, on time, once per channel.
	if n, _ := l.at(due.Add(-time.Hour)); n != 2 {
		t.Fatalf("1h step queued %d, want 2", n)
	}
	if n, _ := l.at(due.Add(-time.Hour + time.Second)); n != 0 {
		t.Fatalf("1h step queued again: %d", n)
	}
	msgs := l.drain("newsroom")
	if len(msgs) != 1 || msgs[0].Message.Title != "⏰ Talks deadline — in 1 hour" || msgs[0].Key != "reminder:sept-2:1h0m0s:newsroom@"+strconv.FormatInt(due.Unix(), 10) {
		t.Fatalf("newsroom got %+v", msgs)
	}

	// A restart right after: nothing is repeated.
	l.restart()
	if n, _ := l.at(due.Add(-time.Hour + 30*time.Second)); n != 0 {
		t.Fatalf("after restart the 1h step was queued again: %d", n)
	}
	// Down through the 10-minute step; started again five minutes later it
	// is still useful (the next step is not due yet) and goes out late.
	l.restart()
	if n, _ := l.at(due.Add(-5 * time.Minute)); n != 2 {
		t.Fatalf("late 10m step queued %d, want 2", n)
	}
	msgs = l.drain("war-room")
	if len(msgs) != 2 || !strings.Contains(msgs[1].Message.Title, "in 5 minutes") {
		t.Fatalf("war-room got %d messages, last %q", len(msgs), msgs[len(msgs)-1].Message.Title)
	}
	if strings.Contains(msgs[1].Message.Intro, "Missed") {
		t.Errorf("the 1h reminder was sent, yet the 10m one says it was missed: %q", msgs[1].Message.Intro)
	}
	// At due.
	if n, _ := l.at(due); n != 2 {
		t.Fatalf("due step queued %d, want 2", n)
	}
	if got := l.drain("newsroom"); len(got) != 2 || got[1].Message.Title != "⏰ Talks deadline — now" {
		t.Fatalf("newsroom after due: %+v", got)
	}
	// Restarted long after: nothing more.
	l.restart()
	if n, next := l.at(due.Add(3 * time.Hour)); n != 0 || !next.IsZero() {
		t.Fatalf("after the ladder: %d queued, next %s", n, next)
	}
}

func TestRemindersFoldWhileDown(t *testing.T) {
	tests := []struct {
		name      string
		downUntil time.Duration // after due
		want      string        // title of the one reminder sent on start; "" = none
	}{
		{"missed steps fold into the due one", 30 * time.Minute, "⏰ Talks — passed 30 minutes ago"},
		{"too late for anything", 90 * time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due := t0.Add(2 * time.Hour)
			l := newLadder(t, news.Deadline{Name: "talks", Title: "Talks", Due: due, Query: "talks",
				Remind: []time.Duration{time.Hour, 10 * time.Minute, 0}, Channels: []string{"newsroom"}})
			l.at(t0)
			l.restart()
			l.at(due.Add(tt.downUntil))
			got := l.drain("newsroom")
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("sent %q, want nothing", got[0].Message.Title)
			case tt.want != "" && (len(got) != 1 || got[0].Message.Title != tt.want):
				t.Errorf("sent %+v, want one %q", got, tt.want)
			case tt.want != "" && !strings.Contains(got[0].Message.Intro,
				"Missed while feedwatch was down, and folded into this one: the reminder 1 hour before, 10 minutes before."):
				t.Errorf("intro %q does not name the missed reminders", got[0].Message.Intro)
			}
		})
	}
}

func TestReminderRelatedNewsAndMentions(t *testing.T) {
	due := t0.Add(2 * time.Hour)
	dl := news.Deadline{Name: "talks", Title: "Talks", Due: due, Query: "talks",
		Remind: []time.Duration{90 * time.Minute, 30 * time.Minute}, Channels: []string{"newsroom"},
		Mention: news.Mention{Within: time.Hour, Set: true, Slack: []string{"S0123TEAM"}, Discord: []string{"998877665544332211"}}}
	l := newLadder(t, dl)
	l.at(t0)
	ctx := context.Background()
	items := []news.Item{
		{GUID: "a", Title: "Older talks", Link: "https://example.org/a", Published: t0.Add(-time.Hour), FirstSeen: t0},
		{GUID: "b", Title: "Newest talks story", Link: "https://example.org/b", Published: t0.Add(10 * time.Minute), FirstSeen: t0},
		{GUID: "c", Title: "Unrelated", Link: "https://example.org/c", Published: t0, FirstSeen: t0},
	}
	if _, err := l.st.InsertItems(ctx, "wire", items); err != nil {
		t.Fatal(err)
	}
	l.now = t0.Add(15 * time.Minute)
	if _, err := l.router.RouteNew(ctx); err != nil {
		t.Fatal(err)
	}
	l.drain("newsroom") // the topic's alert

	l.at(due.Add(-90 * time.Minute))
	first := l.drain("newsroom")
	if len(first) != 1 {
		t.Fatalf("got %d reminders", len(first))
	}
	m := first[0].Message
	if m.Ping != nil {
		t.Errorf("reminder 90 minutes ahead pings %+v; the window is 1h", m.Ping)
	}
	if !strings.Contains(m.Intro, "Related news: 2 items since") || len(m.Sections) != 1 ||
		m.Sections[0].Entries[0].Title != "Newest talks story" || m.Sections[0].Entries[0].URL != "https://example.org/b" {
		t.Errorf("related news missing: intro %q, sections %+v", m.Intro, m.Sections)
	}
	if !strings.Contains(m.Intro, "Due ") || !strings.Contains(m.Footer, "Reminder 1 hour 30 minutes before · next in 1 hour") {
		t.Errorf("intro %q footer %q", m.Intro, m.Footer)
	}

	l.at(due.Add(-30 * time.Minute))
	second := l.drain("newsroom")
	if len(second) != 1 || second[0].Message.Ping == nil ||
		second[0].Message.Ping.Slack[0] != "S0123TEAM" || second[0].Message.Ping.Discord[0] != "998877665544332211" {
		t.Fatalf("reminder inside the window does not ping: %+v", second)
	}
}

func TestPinnedCountdownQueuesEditsAndSeparatePings(t *testing.T) {
	due := t0.Add(2 * time.Hour)
	l := newLadder(t, news.Deadline{Name: "talks", Title: "Talks", Due: due, Query: "talks",
		Remind: []time.Duration{time.Hour, 0}, Channels: []string{"newsroom"}, Countdown: news.CountdownPinned,
		Mention: news.Mention{Slack: []string{"U1"}}})
	l.at(t0)
	l.at(due.Add(-time.Hour))
	got := l.drain("newsroom")
	if len(got) != 2 {
		t.Fatalf("got %d messages, want the countdown and its ping", len(got))
	}
	if alerts.PinnedSlot(got[0]) != "deadline:talks" || got[0].Message.Ping != nil {
		t.Errorf("countdown message %q pings or is not pinned", got[0].Key)
	}
	if alerts.PinnedSlot(got[1]) != "" || got[1].Message.Ping == nil {
		t.Errorf("ping message %q is pinned or pings nobody", got[1].Key)
	}
}

func TestUpcoming(t *testing.T) {
	l := newLadder(t)
	dls := []news.Deadline{
		{Name: "later", Title: "Later", Due: t0.Add(48 * time.Hour), Channels: []string{"newsroom"}},
		{Name: "sooner", Title: "Sooner", Due: t0.Add(time.Hour), Channels: []string{"newsroom"}},
		{Name: "elsewhere", Title: "Elsewhere", Due: t0.Add(time.Hour), Channels: []string{"war-room"}},
		{Name: "long-past", Title: "Past", Due: t0.Add(-48 * time.Hour), Channels: []string{"newsroom"}},
	}
	got, err := alerts.Upcoming(context.Background(), l.st, dls, "newsroom", t0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Deadline.Name+" "+s.Countdown)
	}
	if strings.Join(names, ", ") != "sooner in 1 hour, later in 2 days" {
		t.Errorf("Upcoming = %v", names)
	}
	if line := got[0].Line(time.UTC); line != "Sooner — due Sat 30 Aug 2025 13:00 UTC (in 1 hour) · 0 related items" {
		t.Errorf("Line = %q", line)
	}
}
