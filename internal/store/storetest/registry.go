package storetest

import (
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// registryTests cover what people add from chat: topics, mutes, deadlines,
// and the newest-match lookup that replies about them.
var registryTests = []test{
	{"Topics", testTopics},
	{"Mutes", testMutes},
	{"DeadlinesRoundTrip", testDeadlinesRoundTrip},
	{"DeadlinesAddRemove", testDeadlinesAddRemove},
	{"NewestMatch", testNewestMatch},
}

// topics lists the stored topics and fails the test on error.
func topics(t *testing.T, s store.Store) []news.Topic {
	t.Helper()
	got, err := s.Topics(t.Context())
	noErr(t, "Topics", err)
	return got
}

// deadlines lists the stored deadlines and fails the test on error.
func deadlines(t *testing.T, s store.Store) []news.Deadline {
	t.Helper()
	got, err := s.Deadlines(t.Context())
	noErr(t, "Deadlines", err)
	return got
}

func testTopics(t *testing.T, s store.Store) {
	ctx := t.Context()
	equal(t, "topics of an empty store", topics(t, s), nil)

	chat := func(name, query, channel string) news.Topic {
		return news.Topic{Name: name, Query: query, Channel: channel, Source: news.SourceChat}
	}
	ukraine := chat("ukraine", `ukraine OR "kyiv"`, "news")
	peace := chat("peace", "peace AND talks", "ops")
	claimed := chat("alpha", "α", "")
	claimed.Source = news.SourceConfig // a topic added from chat is a chat topic, whatever it claims

	steps := []struct {
		name    string
		add     *news.Topic
		remove  string
		wantErr error
		want    []news.Topic
	}{
		{name: "add", add: &ukraine, want: []news.Topic{ukraine}},
		{name: "listed by name", add: &peace, want: []news.Topic{peace, ukraine}},
		{name: "source is chat, empty channel kept", add: &claimed,
			want: []news.Topic{chat("alpha", "α", ""), peace, ukraine}},
		{name: "duplicate name refused", add: &news.Topic{Name: "peace", Query: "other", Channel: "x"},
			wantErr: store.ErrExists, want: []news.Topic{chat("alpha", "α", ""), peace, ukraine}},
		{name: "remove", remove: "peace", want: []news.Topic{chat("alpha", "α", ""), ukraine}},
		{name: "remove again", remove: "peace", wantErr: store.ErrNotFound,
			want: []news.Topic{chat("alpha", "α", ""), ukraine}},
		{name: "remove unknown", remove: "nope", wantErr: store.ErrNotFound,
			want: []news.Topic{chat("alpha", "α", ""), ukraine}},
		{name: "a removed name is free again", add: &peace, want: []news.Topic{chat("alpha", "α", ""), peace, ukraine}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.add != nil {
				wantErr(t, "AddTopic("+st.add.Name+")", s.AddTopic(ctx, *st.add), st.wantErr)
			} else {
				wantErr(t, "RemoveTopic("+st.remove+")", s.RemoveTopic(ctx, st.remove), st.wantErr)
			}
			equal(t, "topics", topics(t, s), st.want)
		})
	}
}

func testMutes(t *testing.T, s store.Store) {
	ctx := t.Context()
	mute := func(channel, topic string, until time.Duration) news.Mute {
		return news.Mute{Channel: channel, Topic: topic, Until: at(until)}
	}
	mutes := func(t *testing.T, now time.Time) []news.Mute {
		t.Helper()
		got, err := s.Mutes(ctx, now)
		noErr(t, "Mutes", err)
		return got
	}
	equal(t, "mutes of an empty store", mutes(t, at(0)), nil)

	for _, m := range []news.Mute{
		mute("news", "ukraine", time.Hour),
		mute("news", "peace", 2*time.Hour),
		mute("ops", "ukraine", 30*time.Minute),
		// Non-UTC: comes back in UTC.
		{Channel: "alerts", Topic: "x", Until: at(3 * time.Hour).In(time.FixedZone("EET", 2*3600))},
	} {
		noErr(t, "Mute", s.Mute(ctx, m))
	}
	alerts := mute("alerts", "x", 3*time.Hour)

	reads := []struct {
		name string
		now  time.Time
		want []news.Mute
	}{
		{"all in force", at(0), []news.Mute{alerts, mute("news", "peace", 2*time.Hour),
			mute("news", "ukraine", time.Hour), mute("ops", "ukraine", 30*time.Minute)}},
		{"ending exactly now is over", at(30 * time.Minute), []news.Mute{alerts,
			mute("news", "peace", 2*time.Hour), mute("news", "ukraine", time.Hour)}},
		{"some expired", at(90 * time.Minute), []news.Mute{alerts, mute("news", "peace", 2*time.Hour)}},
		{"all expired", at(4 * time.Hour), nil},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			equal(t, "mutes", mutes(t, r.now), r.want)
		})
	}

	t.Run("muting again replaces", func(t *testing.T) {
		noErr(t, "Mute", s.Mute(ctx, mute("news", "ukraine", 5*time.Hour)))  // longer
		noErr(t, "Mute", s.Mute(ctx, mute("news", "peace", 10*time.Minute))) // shorter
		equal(t, "mutes", mutes(t, at(time.Hour)), []news.Mute{alerts, mute("news", "ukraine", 5*time.Hour)})
		equal(t, "mutes", mutes(t, at(0)), []news.Mute{alerts, mute("news", "peace", 10*time.Minute),
			mute("news", "ukraine", 5*time.Hour), mute("ops", "ukraine", 30*time.Minute)})
	})

	unmutes := []struct {
		name, channel, topic string
		wantErr              error
	}{
		{"unmute", "news", "ukraine", nil},
		{"unmute again", "news", "ukraine", store.ErrNotFound},
		{"same topic in another channel is another mute", "elsewhere", "peace", store.ErrNotFound},
		{"unknown", "news", "nope", store.ErrNotFound},
	}
	for _, u := range unmutes {
		t.Run(u.name, func(t *testing.T) {
			wantErr(t, "Unmute("+u.channel+", "+u.topic+")", s.Unmute(ctx, u.channel, u.topic), u.wantErr)
		})
	}
	equal(t, "mutes after unmuting", mutes(t, at(0)), []news.Mute{alerts,
		mute("news", "peace", 10*time.Minute), mute("ops", "ukraine", 30*time.Minute)})
}

func testDeadlinesRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	cases := []struct {
		name string
		in   news.Deadline
		want news.Deadline // zero = in with Source chat
	}{
		{name: "every field", in: news.Deadline{
			Name: "a-full", Title: "Treaty vote", Due: at(72 * time.Hour), Query: `treaty AND "vote"`,
			Remind:   []time.Duration{48 * time.Hour, 24 * time.Hour, 90 * time.Minute, time.Nanosecond, 0},
			Channels: []string{"news", "ops"}, Countdown: news.CountdownPinned,
			Mention: news.Mention{Within: 6 * time.Hour, Set: true, Slack: []string{"U123", "S456"},
				Discord: []string{"111", "222"}},
			Source: news.SourceChat, Created: at(-time.Hour),
		}},
		{name: "zero times and empty lists", in: news.Deadline{Name: "b-bare", Title: "Bare",
			Countdown: news.CountdownPosts, Source: news.SourceChat}},
		{name: "mention within zero but set", in: news.Deadline{Name: "c-set", Due: at(time.Hour),
			Mention: news.Mention{Set: true, Discord: []string{"333"}}, Source: news.SourceChat}},
		{name: "mention always, Slack only", in: news.Deadline{Name: "d-always", Due: at(time.Hour),
			Mention: news.Mention{Slack: []string{"W789"}}, Source: news.SourceChat}},
		{name: "config source claimed, non-UTC times", in: news.Deadline{Name: "e-claimed",
			Due:     at(time.Hour).In(time.FixedZone("EET", 2*3600)),
			Created: at(0).In(time.FixedZone("X", -5*3600)), Remind: []time.Duration{time.Hour},
			Source: news.SourceConfig},
			want: news.Deadline{Name: "e-claimed", Due: at(time.Hour), Created: at(0),
				Remind: []time.Duration{time.Hour}, Source: news.SourceChat}},
	}
	var want []news.Deadline
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			noErr(t, "AddDeadline", s.AddDeadline(ctx, tc.in))
			w := tc.want
			if w.Name == "" {
				w = tc.in
			}
			want = append(want, w)
			// Names were chosen in order, so the list is want as built so far.
			equal(t, "deadlines", deadlines(t, s), want)
		})
	}
}

func testDeadlinesAddRemove(t *testing.T, s store.Store) {
	ctx := t.Context()
	dl := func(name, title string) news.Deadline {
		return news.Deadline{Name: name, Title: title, Due: at(24 * time.Hour), Query: name,
			Channels: []string{"news"}, Countdown: news.CountdownPosts, Source: news.SourceChat, Created: at(0)}
	}
	vote, budget := dl("vote", "Vote"), dl("budget", "Budget")
	steps := []struct {
		name    string
		add     *news.Deadline
		remove  string
		wantErr error
		want    []news.Deadline
	}{
		{name: "add", add: &vote, want: []news.Deadline{vote}},
		{name: "listed by name", add: &budget, want: []news.Deadline{budget, vote}},
		{name: "duplicate name refused", add: &news.Deadline{Name: "vote", Title: "Other", Source: news.SourceChat},
			wantErr: store.ErrExists, want: []news.Deadline{budget, vote}},
		{name: "remove", remove: "vote", want: []news.Deadline{budget}},
		{name: "remove again", remove: "vote", wantErr: store.ErrNotFound, want: []news.Deadline{budget}},
		{name: "remove unknown", remove: "nope", wantErr: store.ErrNotFound, want: []news.Deadline{budget}},
		{name: "a topic of the same name is another thing", remove: "budget-topic",
			wantErr: store.ErrNotFound, want: []news.Deadline{budget}},
	}
	noErr(t, "AddTopic", s.AddTopic(ctx, news.Topic{Name: "budget-topic", Query: "budget"}))
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.add != nil {
				wantErr(t, "AddDeadline("+st.add.Name+")", s.AddDeadline(ctx, *st.add), st.wantErr)
			} else {
				wantErr(t, "RemoveDeadline("+st.remove+")", s.RemoveDeadline(ctx, st.remove), st.wantErr)
			}
			equal(t, "deadlines", deadlines(t, s), st.want)
		})
	}
	equal(t, "topics untouched by deadlines", len(topics(t, s)), 1)
}

func testNewestMatch(t *testing.T, s store.Store) {
	ctx := t.Context()
	its := insert(t, s, "a",
		item("old", "old", at(-2*time.Hour)),
		item("new", "new", at(0)),
		item("tie", "same time as new, higher id", at(0)),
		item("newest", "newest but unmatched for ukraine", at(time.Hour)),
		item("mid", "inserted last, published in between", at(-time.Hour)),
	)
	byGUID := make(map[string]news.Item, len(its))
	for _, it := range its {
		byGUID[it.GUID] = it
	}
	update(t, s, func(tx store.Tx) error {
		for _, m := range []struct{ guid, topic string }{
			{"old", "ukraine"}, {"tie", "ukraine"}, {"new", "ukraine"}, {"mid", "ukraine"},
			{"mid", "peace"}, {"old", "peace"},
			{"newest", "deadline:vote"},
		} {
			// The match time is when it was recorded, not what "newest" means.
			if err := tx.AddMatch(byGUID[m.guid].ID, m.topic, at(24*time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		name, topic string
		want        string // GUID; "" = none
	}{
		{"newest by publication, ties by id", "ukraine", "tie"},
		{"another topic", "peace", "mid"},
		{"a deadline key", "deadline:vote", "newest"},
		{"no match", "nothing", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := s.NewestMatch(ctx, tc.topic)
			noErr(t, "NewestMatch", err)
			if tc.want == "" {
				equal(t, "found", ok, false)
				equal(t, "item", got, news.Item{})
				return
			}
			if !ok {
				t.Fatalf("NewestMatch(%s): nothing, want %s", tc.topic, tc.want)
			}
			want := byGUID[tc.want]
			equal(t, "item", got, stored(want, "a", want.ID))
		})
	}
}
