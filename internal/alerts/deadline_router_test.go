package alerts_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/alerts"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

// newDeadlineFixture is newFixture with tracked deadlines.
func newDeadlineFixture(t *testing.T, topics []news.Topic, subs []news.Subscription, dls []news.Deadline) *fixture {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "fw.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rules, err := alerts.NewRules(topics, subs, dls)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, now: t0}
	f.router = alerts.NewRouter(alerts.RouterOptions{Store: st, Rules: rules, Now: func() time.Time { return f.now }})
	return f
}

func (f *fixture) route(t *testing.T) {
	t.Helper()
	if _, err := f.router.RouteNew(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) drainAll(t *testing.T, channel string) []news.OutboxMessage {
	t.Helper()
	ctx := context.Background()
	var out []news.OutboxMessage
	for {
		m, ok, err := f.st.NextOutbox(ctx, channel)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, m)
		if err := f.st.MarkSent(ctx, m.ID, f.now); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAlertCarriesDeadlineNoteAndOffersOnce(t *testing.T) {
	f := newDeadlineFixture(t,
		[]news.Topic{{Name: "talks", Query: "talks"}},
		[]news.Subscription{{Channel: "newsroom", Mode: news.ModeInstant}}, nil)
	f.insert(t, "wire", news.Item{GUID: "1", Title: "Putin faced a Monday, September 2, deadline set by Trump to agree to talks",
		Link: "https://example.org/1", Published: t0})
	f.route(t)
	msgs := f.drainAll(t, "newsroom")
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want the alert and an offer", len(msgs))
	}
	e := msgs[0].Message.Sections[0].Entries[0]
	if !slices.Contains(e.Notes, "Deadline mentioned: 2025-09-02 (the text says Monday; it is a Tuesday)") {
		t.Errorf("alert notes = %q", e.Notes)
	}
	id, ok := alerts.OfferOf(msgs[1])
	if !ok || msgs[1].Message.Kind != news.KindNotice {
		t.Fatalf("second message %q is not an offer", msgs[1].Key)
	}
	if !strings.Contains(msgs[1].Message.Footer, "deadline add talks-2025-09-02 2025-09-02T23:59 Putin faced") {
		t.Errorf("offer footer = %q", msgs[1].Message.Footer)
	}
	o, ok, err := alerts.LoadOffer(context.Background(), f.st, id)
	if err != nil || !ok {
		t.Fatalf("LoadOffer(%s) = %v, %v", id, ok, err)
	}
	if o.Channel != "newsroom" || o.Query != "talks" || !o.Due.Equal(time.Date(2025, 9, 2, 23, 59, 0, 0, time.UTC)) {
		t.Errorf("offer = %+v", o)
	}
	if got, ok := alerts.ParseOfferAction(alerts.OfferAction(id)); !ok || got != id {
		t.Errorf("ParseOfferAction round trip = %q, %v", got, ok)
	}
	dl := o.Deadline([]time.Duration{time.Hour, 0}, f.now)
	if dl.Name != "talks-2025-09-02" || dl.Channels[0] != "newsroom" || dl.Source != news.SourceChat || !dl.Created.Equal(f.now) {
		t.Errorf("offer deadline = %+v", dl)
	}

	// Another story naming the same date: alerted, not offered again.
	f.insert(t, "agency", news.Item{GUID: "2", Title: "Talks: the September 2 deadline nears", Link: "https://example.org/2", Published: t0})
	f.route(t)
	msgs = f.drainAll(t, "newsroom")
	if len(msgs) != 1 || msgs[0].Message.Kind != news.KindAlert {
		t.Fatalf("second story gave %d messages, want only its alert", len(msgs))
	}
}

func TestNoOfferForPastOrTrackedDates(t *testing.T) {
	tests := []struct {
		name  string
		title string
		dls   []news.Deadline
	}{
		{"past date", "Talks deadline expired on August 1", nil},
		{"already tracked", "Talks: the September 2 deadline nears",
			[]news.Deadline{{Name: "sept-2", Title: "Sept 2", Due: time.Date(2025, 9, 2, 18, 0, 0, 0, time.UTC), Query: "nothingmatches"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDeadlineFixture(t, []news.Topic{{Name: "talks", Query: "talks"}},
				[]news.Subscription{{Channel: "newsroom", Mode: news.ModeInstant}}, tt.dls)
			f.insert(t, "wire", news.Item{GUID: "1", Title: tt.title, Link: "https://example.org/1", Published: t0})
			f.route(t)
			for _, m := range f.drainAll(t, "newsroom") {
				if _, ok := alerts.OfferOf(m); ok {
					t.Errorf("offered %q", m.Message.Title)
				}
			}
		})
	}
}

func TestMovedDeadlineNoticeOncePerDate(t *testing.T) {
	dl := news.Deadline{Name: "tariffs", Title: "Tariff deadline", Due: time.Date(2025, 9, 9, 0, 0, 0, 0, time.UTC),
		Query: "tariff", Channels: []string{"newsroom", "war-room"}, Source: news.SourceConfig}
	f := newDeadlineFixture(t, nil, nil, []news.Deadline{dl})
	f.insert(t, "wire",
		news.Item{GUID: "1", Title: "Trump signs order delaying the September 9 tariff deadline to October 1", Link: "https://example.org/1", Published: t0},
		news.Item{GUID: "2", Title: "Tariff deadline extended to October 1, officials confirm", Link: "https://example.org/2", Published: t0},
		news.Item{GUID: "3", Title: "Tariff deadline still September 9, White House says", Link: "https://example.org/3", Published: t0},
	)
	f.route(t)
	for _, ch := range []string{"newsroom", "war-room"} {
		msgs := f.drainAll(t, ch)
		if len(msgs) != 1 {
			t.Fatalf("%s got %d notices, want one", ch, len(msgs))
		}
		m := msgs[0].Message
		if m.Title != "Deadline may have moved: Tariff deadline" || !strings.Contains(m.Intro, "may have moved to Wed 1 Oct 2025") {
			t.Errorf("%s notice: %q / %q", ch, m.Title, m.Intro)
		}
		if !strings.Contains(m.Footer, "config file") {
			t.Errorf("footer of a config deadline = %q", m.Footer)
		}
	}
	// A later story naming another new date is news again.
	f.insert(t, "wire", news.Item{GUID: "4", Title: "Tariff deadline postponed until October 15", Link: "https://example.org/4", Published: t0})
	f.route(t)
	if msgs := f.drainAll(t, "newsroom"); len(msgs) != 1 || !strings.Contains(msgs[0].Message.Intro, "Wed 15 Oct 2025") {
		t.Fatalf("second move: %+v", msgs)
	}
}

func TestAlertNotesTrackedDeadline(t *testing.T) {
	dl := news.Deadline{Name: "talks-dl", Title: "Talks deadline", Due: t0.Add(51 * time.Hour), Query: "talks"}
	f := newDeadlineFixture(t, []news.Topic{{Name: "talks", Query: "talks"}},
		[]news.Subscription{{Channel: "newsroom", Mode: news.ModeInstant}}, []news.Deadline{dl})
	f.insert(t, "wire", news.Item{GUID: "1", Title: "Talks resume in Geneva", Link: "https://example.org/1", Published: t0})
	f.route(t)
	msgs := f.drainAll(t, "newsroom")
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	want := "Tracked deadline: Talks deadline, due Mon 1 Sep 2025 15:00 UTC (in 2 days 3 hours)"
	if notes := msgs[0].Message.Sections[0].Entries[0].Notes; !slices.Contains(notes, want) {
		t.Errorf("notes = %q, want %q", notes, want)
	}
}

func TestDigestOpensWithDeadlines(t *testing.T) {
	dls := []news.Deadline{
		{Name: "later", Title: "Later deadline", Due: t0.Add(72 * time.Hour), Query: "talks"},
		{Name: "sooner", Title: "Sooner deadline", Due: t0.Add(2 * time.Hour), Query: "talks"},
	}
	sub := news.Subscription{Channel: "digest-room", Mode: news.ModeDigest, Schedule: "@daily"}
	f := newDeadlineFixture(t, []news.Topic{{Name: "talks", Query: "talks"}}, []news.Subscription{sub}, dls)
	f.insert(t, "wire", news.Item{GUID: "1", Title: "Talks must end by Friday", Link: "https://example.org/1", Published: t0})
	f.route(t)
	if _, err := f.router.SendDigest(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	msgs := f.drainAll(t, "digest-room")
	if len(msgs) != 1 {
		t.Fatalf("got %d digests", len(msgs))
	}
	m := msgs[0].Message
	wantIntro := "Upcoming deadlines:\n• Sooner deadline — due Sat 30 Aug 2025 14:00 UTC (in 2 hours) · 1 related item\n" +
		"• Later deadline — due Tue 2 Sep 2025 12:00 UTC (in 3 days) · 1 related item"
	if m.Intro != wantIntro {
		t.Errorf("digest intro = %q, want %q", m.Intro, wantIntro)
	}
	if notes := m.Sections[0].Entries[0].Notes; !slices.Equal(notes, []string{"Deadline mentioned: 2025-09-05"}) {
		t.Errorf("digest entry notes = %q", notes)
	}
}
