package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// txTests cover Update and what only a transaction can do.
var txTests = []test{
	{"Deliver", testDeliver},
	{"Matches", testMatches},
	{"Pending", testPending},
	{"Meta", testMeta},
	{"UpdateRollbackOnError", testRollbackOnError},
	{"UpdateRollbackOnPanic", testRollbackOnPanic},
}

func testDeliver(t *testing.T, s store.Store) {
	its := insert(t, s, "a", item("1", "one", at(0)), item("2", "two", at(0)))
	cases := []struct {
		name                  string
		channel, topic, story string
		item                  int64
		want                  bool
	}{
		{"first", "news", "ukraine", "link:https://x/1", its[0].ID, true},
		{"again", "news", "ukraine", "link:https://x/1", its[0].ID, false},
		{"same story from another item", "news", "ukraine", "link:https://x/1", its[1].ID, false},
		{"another topic", "news", "peace", "link:https://x/1", its[0].ID, true},
		{"another channel", "ops", "ukraine", "link:https://x/1", its[0].ID, true},
		{"another story", "news", "ukraine", "link:https://x/2", its[1].ID, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got bool
			update(t, s, func(tx store.Tx) error {
				var err error
				got, err = tx.Deliver(tc.channel, tc.topic, tc.story, tc.item, at(time.Minute))
				return err
			})
			equal(t, "delivered", got, tc.want)
		})
	}
	t.Run("twice in one transaction", func(t *testing.T) {
		var first, second bool
		update(t, s, func(tx store.Tx) error {
			var err error
			if first, err = tx.Deliver("news", "t", "guid:a\x00z", its[0].ID, at(0)); err != nil {
				return err
			}
			second, err = tx.Deliver("news", "t", "guid:a\x00z", its[0].ID, at(0))
			return err
		})
		if !first || second {
			t.Errorf("Deliver twice in one transaction = %v, %v; want true, false", first, second)
		}
	})
}

func testMatches(t *testing.T, s store.Store) {
	ctx := t.Context()
	its := insert(t, s, "a", manyItems("m", 3, at(0))...)
	update(t, s, func(tx store.Tx) error {
		for i, it := range its {
			if err := tx.AddMatch(it.ID, "ukraine", at(time.Duration(i)*time.Hour)); err != nil {
				return err
			}
		}
		if err := tx.AddMatch(its[0].ID, "ukraine", at(0)); err != nil { // the same fact again
			return err
		}
		return tx.AddMatch(its[0].ID, "peace", at(2*time.Hour))
	})
	cases := []struct {
		name  string
		topic string
		since time.Time
		want  int
	}{
		{"all", "ukraine", time.Time{}, 3},
		{"since is inclusive", "ukraine", at(time.Hour), 2},
		{"since after", "ukraine", at(3 * time.Hour), 0},
		{"other topic", "peace", at(0), 1},
		{"unknown topic", "none", time.Time{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := s.CountMatches(ctx, tc.topic, tc.since)
			noErr(t, "CountMatches", err)
			equal(t, "matches", n, tc.want)
		})
	}
}

func testPending(t *testing.T, s store.Store) {
	its := insert(t, s, "a", manyItems("p", 4, at(0))...)
	const daily, weekly = "news|digest|*", "ops|digest|ukraine"
	update(t, s, func(tx store.Tx) error {
		// Added out of time order: Pending lists by the time given.
		for _, p := range []struct {
			sub, topic string
			item       int
			at         time.Duration
		}{
			{daily, "ukraine", 2, 2 * time.Minute},
			{daily, "ukraine", 0, 0},
			{daily, "peace", 1, time.Minute},
			{daily, "peace", 1, time.Minute}, // again: no second row
			{weekly, "ukraine", 3, 0},
		} {
			if err := tx.AddPending(p.sub, p.topic, its[p.item].ID, at(p.at)); err != nil {
				return err
			}
		}
		return nil
	})
	pending := func(t *testing.T, sub string) []news.Pending {
		t.Helper()
		var got []news.Pending
		update(t, s, func(tx store.Tx) error {
			var err error
			got, err = tx.Pending(sub)
			return err
		})
		return got
	}
	got := pending(t, daily)
	if len(got) != 3 {
		t.Fatalf("Pending(%s) = %d rows, want 3", daily, len(got))
	}
	type row struct {
		topic string
		item  news.Item
	}
	var rows []row
	for _, p := range got {
		rows = append(rows, row{p.Topic, p.Item})
	}
	equal(t, "pending rows", rows, []row{{"ukraine", its[0]}, {"peace", its[1]}, {"ukraine", its[2]}})
	if w := pending(t, weekly); len(w) != 1 || w[0].Item.ID != its[3].ID {
		t.Errorf("Pending(%s) = %+v, want item %d", weekly, w, its[3].ID)
	}
	equal(t, "pending of an unknown subscription", len(pending(t, "nobody")), 0)

	update(t, s, func(tx store.Tx) error { return tx.ClearPending(got[0].ID, got[2].ID, 1<<40) })
	left := pending(t, daily)
	if len(left) != 1 || left[0].ID != got[1].ID {
		t.Errorf("after ClearPending: %+v, want only row %d", left, got[1].ID)
	}
	update(t, s, func(tx store.Tx) error { return tx.ClearPending() })
	equal(t, "weekly untouched", len(pending(t, weekly)), 1)
}

func testMeta(t *testing.T, s store.Store) {
	ctx := t.Context()
	if v, ok, err := s.GetMeta(ctx, "last_digest"); err != nil || ok || v != "" {
		t.Fatalf("GetMeta(missing) = %q, %v, %v; want \"\", false, nil", v, ok, err)
	}
	steps := []struct {
		name, key, value string
		inTx             bool
	}{
		{"set", "last_digest", "2025-03-14T09:00:00Z", false},
		{"overwrite", "last_digest", "2025-03-15T09:00:00Z", false},
		{"empty value is a value", "empty", "", false},
		{"set in a transaction", "tx_key", "ünïcode ✓", true},
		{"overwrite in a transaction", "last_digest", "x", true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.inTx {
				update(t, s, func(tx store.Tx) error {
					if err := tx.SetMeta(st.key, st.value); err != nil {
						return err
					}
					v, ok, err := tx.GetMeta(st.key)
					if err != nil || !ok || v != st.value {
						t.Errorf("tx.GetMeta(%s) = %q, %v, %v; want its own write", st.key, v, ok, err)
					}
					return nil
				})
			} else {
				noErr(t, "SetMeta", s.SetMeta(ctx, st.key, st.value))
			}
			v, ok, err := s.GetMeta(ctx, st.key)
			noErr(t, "GetMeta", err)
			if !ok || v != st.value {
				t.Errorf("GetMeta(%s) = %q, %v; want %q, true", st.key, v, ok, st.value)
			}
		})
	}
}

// everything does one of each transactional write, for rollback tests.
func everything(tx store.Tx, it news.Item) error {
	if err := tx.MarkRouted(it.ID); err != nil {
		return err
	}
	if err := tx.AddMatch(it.ID, "topic", at(0)); err != nil {
		return err
	}
	if _, err := tx.Deliver("news", "topic", it.StoryKey(), it.ID, at(0)); err != nil {
		return err
	}
	if err := tx.AddPending("sub", "topic", it.ID, at(0)); err != nil {
		return err
	}
	if err := tx.Enqueue(news.OutboxMessage{Channel: "news", Key: "k", Message: news.Message{Kind: news.KindAlert}, Created: at(0)}); err != nil {
		return err
	}
	return tx.SetMeta("m", "v")
}

// assertUntouched fails unless none of everything's writes is visible.
func assertUntouched(t *testing.T, s store.Store, it news.Item) {
	t.Helper()
	ctx := t.Context()
	un, err := s.UnroutedItems(ctx, 10)
	noErr(t, "UnroutedItems", err)
	equal(t, "still unrouted", ids(un), []int64{it.ID})
	n, err := s.CountMatches(ctx, "topic", time.Time{})
	noErr(t, "CountMatches", err)
	equal(t, "matches", n, 0)
	depth, err := s.OutboxDepth(ctx)
	noErr(t, "OutboxDepth", err)
	equal(t, "outbox depth", depth, 0)
	_, ok, err := s.GetMeta(ctx, "m")
	noErr(t, "GetMeta", err)
	equal(t, "meta set", ok, false)
	update(t, s, func(tx store.Tx) error {
		p, err := tx.Pending("sub")
		if err != nil {
			return err
		}
		equal(t, "pending rows", len(p), 0)
		fresh, err := tx.Deliver("news", "topic", it.StoryKey(), it.ID, at(0))
		equal(t, "delivery still new", fresh, true)
		return err
	})
	// The rolled-back key is free again.
	update(t, s, func(tx store.Tx) error {
		return tx.Enqueue(news.OutboxMessage{Channel: "news", Key: "k", Message: news.Message{Kind: news.KindAlert}})
	})
	depth, err = s.OutboxDepth(ctx)
	noErr(t, "OutboxDepth", err)
	equal(t, "outbox depth after enqueueing the key again", depth, 1)
}

func testRollbackOnError(t *testing.T, s store.Store) {
	it := insert(t, s, "a", item("r", "rollback", at(0)))[0]
	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		if err := everything(tx, it); err != nil {
			t.Fatalf("writes in the transaction: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want it to wrap fn's error", err)
	}
	assertUntouched(t, s, it)
}

func testRollbackOnPanic(t *testing.T, s store.Store) {
	it := insert(t, s, "a", item("r", "rollback", at(0)))[0]
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the panic of fn to go on", p)
			}
		}()
		_ = s.Update(t.Context(), func(tx store.Tx) error {
			if err := everything(tx, it); err != nil {
				t.Errorf("writes in the transaction: %v", err)
			}
			panic("boom")
		})
	}()
	// The store is usable afterwards and nothing was kept.
	assertUntouched(t, s, it)
}
