// Package storetest is the conformance suite every store.Store
// implementation must pass. It speaks only through the store interfaces, so
// that SQLite and PostgreSQL are held to exactly the same contract.
//
// Times used by the suite have microsecond precision, the finest PostgreSQL
// keeps; an implementation may keep more.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// Run runs every conformance test as a subtest. open must return a new,
// empty store for each call and arrange (with t.Cleanup) for it to be closed.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	groups := [][]test{feedTests, itemTests, txTests, outboxTests, registryTests, miscTests}
	for _, g := range groups {
		for _, tc := range g {
			t.Run(tc.name, func(t *testing.T) {
				tc.fn(t, open(t))
			})
		}
	}
}

// test is one conformance subtest.
type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// t0 is the suite's reference time: UTC, microsecond precision, and not
// on a whole second so that lost precision shows.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// item builds an item published at pub and first seen a minute later.
func item(guid, title string, pub time.Time) news.Item {
	return news.Item{
		GUID:      guid,
		Link:      "https://example.org/" + guid,
		Title:     title,
		Published: pub,
		FirstSeen: pub.Add(time.Minute),
	}
}

// insert stores items in feed and fails the test on error.
func insert(t *testing.T, s store.Store, feed string, items ...news.Item) []news.Item {
	t.Helper()
	got, err := s.InsertItems(t.Context(), feed, items)
	if err != nil {
		t.Fatalf("InsertItems(%s): %v", feed, err)
	}
	return got
}

// update runs fn in s.Update and fails the test on error.
func update(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// scan collects every item ScanItems yields for f.
func scan(t *testing.T, s store.Store, f store.ItemFilter) []news.Item {
	t.Helper()
	var got []news.Item
	if err := s.ScanItems(t.Context(), f, func(it news.Item) bool {
		got = append(got, it)
		return true
	}); err != nil {
		t.Fatalf("ScanItems(%+v): %v", f, err)
	}
	return got
}

// guids lists the GUIDs of items, in order.
func guids(items []news.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.GUID
	}
	return out
}

// ids lists the IDs of items, in order.
func ids(items []news.Item) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// equal fails the test when got and want differ. An empty slice equals a
// nil one: implementations need not agree on which they return.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Kind() == reflect.Slice && g.Len() == 0 && w.Len() == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// noErr fails the test at once on err.
func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantNotFound fails the test unless err wraps store.ErrNotFound.
func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	wantErr(t, what, err, store.ErrNotFound)
}

// wantErr fails the test unless err wraps want, or is nil when want is nil.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

// feedNames lists the names of feeds, in order.
func feedNames(feeds []news.Feed) []string {
	out := make([]string, len(feeds))
	for i, f := range feeds {
		out[i] = f.Name
	}
	return out
}

// stored returns the item as the store should give it back: its feed set,
// with every time in UTC.
func stored(it news.Item, feed string, id int64) news.Item {
	it.Feed = feed
	it.ID = id
	it.Published = it.Published.UTC()
	it.FirstSeen = it.FirstSeen.UTC()
	return it
}

// manyItems builds n items of one feed, published one second apart from
// base (oldest first), with GUIDs prefix-0000 upward.
func manyItems(prefix string, n int, base time.Time) []news.Item {
	out := make([]news.Item, n)
	for i := range out {
		g := fmt.Sprintf("%s-%04d", prefix, i)
		out[i] = item(g, "title "+g, base.Add(time.Duration(i)*time.Second))
	}
	return out
}

// reversed returns a reversed copy of s.
func reversed[T any](s []T) []T {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
