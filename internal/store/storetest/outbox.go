package storetest

import (
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// outboxTests cover the outbox.
var outboxTests = []test{
	{"OutboxOrderPerChannel", testOutboxOrder},
	{"OutboxRetryAndFailure", testOutboxRetry},
	{"OutboxPayloadRoundTrip", testOutboxPayload},
	{"OutboxKeyDedup", testOutboxKeys},
	{"OutboxUnknownID", testOutboxUnknown},
}

// msg is an outbox message for channel, told apart by title.
func msg(channel, title string) news.OutboxMessage {
	return news.OutboxMessage{Channel: channel, Message: news.Message{Kind: news.KindAlert, Title: title}, Created: at(0)}
}

// enqueue adds messages in one transaction.
func enqueue(t *testing.T, s store.Store, msgs ...news.OutboxMessage) {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.Enqueue(msgs...) })
}

// next returns the head of channel's queue, failing the test on error.
func next(t *testing.T, s store.Store, channel string) (news.OutboxMessage, bool) {
	t.Helper()
	m, ok, err := s.NextOutbox(t.Context(), channel)
	noErr(t, "NextOutbox", err)
	return m, ok
}

// drain marks every pending message of channel sent and returns their titles.
func drain(t *testing.T, s store.Store, channel string) []string {
	t.Helper()
	var titles []string
	for {
		m, ok := next(t, s, channel)
		if !ok {
			return titles
		}
		titles = append(titles, m.Message.Title)
		noErr(t, "MarkSent", s.MarkSent(t.Context(), m.ID, at(time.Minute)))
	}
}

// depth returns OutboxDepth, failing the test on error.
func depth(t *testing.T, s store.Store) int {
	t.Helper()
	n, err := s.OutboxDepth(t.Context())
	noErr(t, "OutboxDepth", err)
	return n
}

// channels returns OutboxChannels, failing the test on error.
func channels(t *testing.T, s store.Store) []string {
	t.Helper()
	c, err := s.OutboxChannels(t.Context())
	noErr(t, "OutboxChannels", err)
	return c
}

func testOutboxOrder(t *testing.T, s store.Store) {
	equal(t, "channels of an empty outbox", channels(t, s), nil)
	if _, ok := next(t, s, "news"); ok {
		t.Fatal("NextOutbox of an empty outbox: a message")
	}
	enqueue(t, s, msg("news", "n1"), msg("ops", "o1"), msg("news", "n2"))
	enqueue(t, s, msg("ops", "o2"), msg("news", "n3"))
	equal(t, "depth", depth(t, s), 5)
	equal(t, "channels", channels(t, s), []string{"news", "ops"})
	equal(t, "ops in order", drain(t, s, "ops"), []string{"o1", "o2"})
	equal(t, "channels once ops is sent", channels(t, s), []string{"news"})
	equal(t, "depth", depth(t, s), 3)
	equal(t, "news in order", drain(t, s, "news"), []string{"n1", "n2", "n3"})
	equal(t, "channels when all is sent", channels(t, s), nil)
	equal(t, "depth", depth(t, s), 0)
}

func testOutboxRetry(t *testing.T, s store.Store) {
	ctx := t.Context()
	enqueue(t, s, msg("news", "first"), msg("news", "second"), msg("news", "third"))
	head, _ := next(t, s, "news")
	equal(t, "fresh attempts", head.Attempts, 0)

	steps := []struct {
		name     string
		retry    time.Time
		wantNext time.Time
		attempts int
	}{
		{"first retry", at(time.Minute), at(time.Minute), 1},
		{"second retry", at(5 * time.Minute), at(5 * time.Minute), 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			noErr(t, "MarkRetry", s.MarkRetry(ctx, head.ID, st.retry, "HTTP 429"))
			// Still the head, whatever NextAttempt: order within a channel is strict.
			m, ok := next(t, s, "news")
			if !ok || m.ID != head.ID {
				t.Fatalf("head after retry = %+v, want message %d", m, head.ID)
			}
			equal(t, "attempts", m.Attempts, st.attempts)
			equal(t, "next attempt", m.NextAttempt, st.wantNext)
			equal(t, "last error", m.LastError, "HTTP 429")
			equal(t, "depth", depth(t, s), 3)
		})
	}

	noErr(t, "MarkFailed", s.MarkFailed(ctx, head.ID, at(time.Hour), "channel_not_found"))
	m, ok := next(t, s, "news")
	if !ok || m.Message.Title != "second" {
		t.Fatalf("head after a permanent failure = %+v, want the next message", m)
	}
	equal(t, "depth without the failed message", depth(t, s), 2)
	// A retry of a failed message does not bring it back.
	noErr(t, "MarkRetry(failed)", s.MarkRetry(ctx, head.ID, at(0), "late"))
	equal(t, "depth", depth(t, s), 2)
	equal(t, "the rest in order", drain(t, s, "news"), []string{"second", "third"})
}

func testOutboxPayload(t *testing.T, s store.Store) {
	in := news.OutboxMessage{
		Channel: "news",
		Key:     "digest|news|2025-03-14",
		Message: news.Message{
			Kind: news.KindDigest, Title: "Daily digest", Intro: "3 stories", Footer: "feedwatch",
			Part: 1, Parts: 2,
			Sections: []news.Section{{
				Topic: "ukraine", Title: "Ukraine",
				Entries: []news.Entry{
					{Title: "Talks <in> Kyïv & more", URL: "https://example.org/a?b=1&c=2", Feed: "kyiv-independent",
						Published: at(0), Sources: 3, Summary: "s", Notes: []string{"deadline: vote"}},
					{Title: "no extras"},
				},
			}},
		},
		Created:     at(-time.Minute),
		NextAttempt: at(time.Minute),
	}
	enqueue(t, s, in)
	got, ok := next(t, s, "news")
	if !ok {
		t.Fatal("NextOutbox: nothing")
	}
	want := in
	want.ID = got.ID
	equal(t, "message", got, want)

	// Zero times round-trip as zero.
	noErr(t, "MarkSent", s.MarkSent(t.Context(), got.ID, at(0)))
	zero := news.OutboxMessage{Channel: "news", Message: news.Message{Kind: news.KindNotice}}
	enqueue(t, s, zero)
	got, _ = next(t, s, "news")
	want = zero
	want.ID = got.ID
	equal(t, "message with zero times", got, want)
}

func testOutboxKeys(t *testing.T, s store.Store) {
	keyed := func(key, title string) news.OutboxMessage {
		m := msg("news", title)
		m.Key = key
		return m
	}
	enqueue(t, s, keyed("k1", "a"), keyed("k1", "a again in the same call"), keyed("", "b"), keyed("", "c"))
	enqueue(t, s, keyed("k1", "a again"), keyed("k2", "d"))
	equal(t, "depth", depth(t, s), 4)
	equal(t, "sent", drain(t, s, "news"), []string{"a", "b", "c", "d"})
	// A key stays taken once its message is sent.
	enqueue(t, s, keyed("k2", "d once more"))
	equal(t, "depth after re-enqueueing a sent key", depth(t, s), 0)
}

func testOutboxUnknown(t *testing.T, s store.Store) {
	ctx := t.Context()
	wantNotFound(t, "MarkSent", s.MarkSent(ctx, 1<<40, at(0)))
	wantNotFound(t, "MarkRetry", s.MarkRetry(ctx, 1<<40, at(0), "x"))
	wantNotFound(t, "MarkFailed", s.MarkFailed(ctx, 1<<40, at(0), "x"))
}
