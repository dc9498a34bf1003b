package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// itemTests cover storing, routing and scanning items.
var itemTests = []test{
	{"InsertItemsRoundTrip", testInsertRoundTrip},
	{"InsertItemsDedup", testInsertDedup},
	{"InsertItemsZeroTimes", testInsertZeroTimes},
	{"UnroutedItems", testUnrouted},
	{"InsertItemsAlreadyRouted", testInsertRouted},
	{"ScanItemsOrder", testScanOrder},
	{"ScanItemsEarlyStop", testScanEarlyStop},
	{"ScanItemsFilters", testScanFilters},
	{"ScanItemsCanceled", testScanCanceled},
}

func testInsertRoundTrip(t *testing.T, s store.Store) {
	kyiv := time.FixedZone("EET", 2*3600)
	in := []news.Item{
		{
			Feed: "ignored", // the feed argument wins
			GUID: "urn:uuid:1", Link: "https://example.org/a?x=1",
			Title: "Peace talks in Kyïv — “quoted” <b>", Summary: "Zelensky met envoys.\nSecond line.",
			Categories: []string{"Politics", "Україна"}, Author: "Jane Roe",
			Published: at(0).In(kyiv), FirstSeen: at(time.Minute),
		},
		{GUID: "2", Title: "no link, no categories", Published: at(time.Hour), FirstSeen: at(time.Hour)},
	}
	got := insert(t, s, "feed-a", in...)
	if len(got) != len(in) {
		t.Fatalf("InsertItems returned %d items, want %d", len(got), len(in))
	}
	if got[0].ID <= 0 || got[1].ID <= got[0].ID {
		t.Errorf("IDs %v: want positive and increasing in the order given", ids(got))
	}
	want := []news.Item{stored(in[0], "feed-a", got[0].ID), stored(in[1], "feed-a", got[1].ID)}
	equal(t, "returned items", got, want)
	equal(t, "scanned items", scan(t, s, store.ItemFilter{}), reversed(want))
	n, err := s.CountItems(t.Context())
	noErr(t, "CountItems", err)
	equal(t, "CountItems", n, 2)

	none, err := s.InsertItems(t.Context(), "feed-a", nil)
	noErr(t, "InsertItems(nothing)", err)
	equal(t, "new items of an empty insert", len(none), 0)
}

func testInsertDedup(t *testing.T, s store.Store) {
	first := insert(t, s, "a", item("g1", "one", at(0)), item("g2", "two", at(time.Second)))
	steps := []struct {
		name  string
		feed  string
		items []news.Item
		want  []string // GUIDs returned as new
	}{
		{name: "all known", feed: "a", items: []news.Item{item("g2", "two again", at(0)), item("g1", "one", at(0))}},
		{name: "known and new mixed, order kept", feed: "a",
			items: []news.Item{item("g4", "four", at(0)), item("g1", "x", at(0)), item("g3", "three", at(0))},
			want:  []string{"g4", "g3"}},
		{name: "repeated within one call", feed: "a",
			items: []news.Item{item("g5", "five", at(0)), item("g5", "five bis", at(0))}, want: []string{"g5"}},
		{name: "same GUID in another feed is another item", feed: "b",
			items: []news.Item{item("g1", "one in b", at(0)), item("g2", "two in b", at(0))}, want: []string{"g1", "g2"}},
	}
	seen := map[int64]bool{first[0].ID: true, first[1].ID: true}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got := insert(t, s, st.feed, st.items...)
			equal(t, "new GUIDs", guids(got), st.want)
			for _, it := range got {
				if it.ID <= 0 || seen[it.ID] || it.Feed != st.feed {
					t.Errorf("new item %+v: want a fresh ID and feed %s", it, st.feed)
				}
				seen[it.ID] = true
			}
		})
	}
	n, err := s.CountItems(t.Context())
	noErr(t, "CountItems", err)
	equal(t, "CountItems", n, 7)
	// The first version of an item is the one kept.
	a := scan(t, s, store.ItemFilter{Feed: "a"})
	for _, it := range a {
		if it.GUID == "g1" && it.Title != "one" || it.GUID == "g5" && it.Title != "five" {
			t.Errorf("stored %s = %q: a duplicate overwrote it", it.GUID, it.Title)
		}
	}
}

func testInsertZeroTimes(t *testing.T, s store.Store) {
	in := news.Item{GUID: "z", Title: "zero"}
	got := insert(t, s, "a", in)
	want := stored(in, "a", got[0].ID)
	equal(t, "returned", got, []news.Item{want})
	equal(t, "scanned", scan(t, s, store.ItemFilter{}), []news.Item{want})
	un, err := s.UnroutedItems(t.Context(), 10)
	noErr(t, "UnroutedItems", err)
	equal(t, "unrouted", un, []news.Item{want})
}

// testInsertRouted checks that an item stored with Routed set (nothing
// watches it) is stored and searchable but never handed to the router, and
// that the flag does not come back on the stored item.
func testInsertRouted(t *testing.T, s store.Store) {
	ctx := t.Context()
	quiet := item("quiet", "Weather report", at(0))
	quiet.Routed = true
	got := insert(t, s, "a", quiet, item("loud", "Ceasefire talks", at(time.Minute)))
	if len(got) != 2 || got[0].Routed || got[1].Routed {
		t.Fatalf("InsertItems returned %+v: want both items, Routed cleared", got)
	}
	un, err := s.UnroutedItems(ctx, 10)
	noErr(t, "UnroutedItems", err)
	equal(t, "unrouted", ids(un), []int64{got[1].ID})
	var found []int64
	noErr(t, "ScanItems", s.ScanItems(ctx, store.ItemFilter{Words: []store.Word{{Text: "weather"}}}, func(it news.Item) bool {
		found = append(found, it.ID)
		return true
	}))
	equal(t, "searchable", found, []int64{got[0].ID})
}

func testUnrouted(t *testing.T, s store.Store) {
	ctx := t.Context()
	var all []news.Item
	for i := range 3 { // interleave feeds: order is by ID, not by feed
		all = append(all, insert(t, s, "a", item(fmt.Sprint("a", i), "a", at(-time.Duration(i)*time.Hour)))...)
		all = append(all, insert(t, s, "b", item(fmt.Sprint("b", i), "b", at(time.Duration(i)*time.Hour)))...)
	}
	cases := []struct {
		name   string
		route  []int64
		limit  int
		expect []news.Item
	}{
		{name: "limit", limit: 4, expect: all[:4]},
		{name: "zero limit", limit: 0, expect: nil},
		{name: "routing nothing", route: []int64{}, limit: 10, expect: all},
		{name: "routed leave", route: []int64{all[0].ID, all[2].ID}, limit: 10,
			expect: []news.Item{all[1], all[3], all[4], all[5]}},
		{name: "routing twice is harmless", route: []int64{all[0].ID, all[1].ID}, limit: 3,
			expect: []news.Item{all[3], all[4], all[5]}},
		{name: "all routed", route: ids(all), limit: 10, expect: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.route != nil {
				update(t, s, func(tx store.Tx) error { return tx.MarkRouted(tc.route...) })
			}
			got, err := s.UnroutedItems(ctx, tc.limit)
			noErr(t, "UnroutedItems", err)
			equal(t, "unrouted", got, tc.expect)
		})
	}
	// Routed items stay stored and searchable.
	equal(t, "scanned after routing", len(scan(t, s, store.ItemFilter{})), len(all))
}

// orderedItems stores n items with many equal publication times, inserted
// out of publication order, and returns them in the order ScanItems must
// yield them: Published descending, then ID descending.
func orderedItems(t *testing.T, s store.Store, n int) []news.Item {
	t.Helper()
	var in []news.Item
	for i := range n {
		k := i * 37 % n // a permutation: IDs do not follow publication
		in = append(in, item(fmt.Sprintf("o-%04d", k), "ordered", at(time.Duration(k/3)*time.Second)))
	}
	got := insert(t, s, "a", in...)
	slices.SortFunc(got, func(a, b news.Item) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	return got
}

func testScanOrder(t *testing.T, s store.Store) {
	// Enough items to cross any reasonable batch size, with ties on Published.
	want := orderedItems(t, s, 700)
	got := scan(t, s, store.ItemFilter{})
	equal(t, "order (published, id)", ids(got), ids(want))
}

func testScanEarlyStop(t *testing.T, s store.Store) {
	want := orderedItems(t, s, 300)
	for _, n := range []int{1, 10, 33, 150, 300} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var got []news.Item
			err := s.ScanItems(t.Context(), store.ItemFilter{}, func(it news.Item) bool {
				got = append(got, it)
				return len(got) < n
			})
			noErr(t, "ScanItems", err)
			equal(t, "items seen before stopping", ids(got), ids(want[:n]))
		})
	}
}

func testScanFilters(t *testing.T, s store.Store) {
	mk := func(guid, title, summary string, cats []string, pub, seen time.Time) news.Item {
		return news.Item{GUID: guid, Title: title, Summary: summary, Categories: cats, Published: pub, FirstSeen: seen}
	}
	insert(t, s, "a",
		mk("k1", "Peace talks in Kyïv", "Zelensky met envoys", []string{"Politics"}, at(0), at(time.Minute)),
		mk("k3", "Football", "Zelenskyy attends the match", []string{"Sport", "Україна"}, at(2*time.Hour), at(2*time.Hour)),
		// Published a month ago but first seen last: Since is about first sight.
		mk("k5", "Café culture", "Résumé of the day", []string{"Économie"}, at(-30*24*time.Hour), at(5*time.Hour)),
	)
	insert(t, s, "b",
		mk("k2", "KYIV WEATHER", "Rain in Київ today", nil, at(time.Hour), at(time.Hour+time.Minute)),
		mk("k4", `O"Brien: "and" or not`, "near the border; Зеленський said", nil, at(3*time.Hour), at(3*time.Hour)),
	)
	w := func(text string) store.Word { return store.Word{Text: text} }
	p := func(text string) store.Word { return store.Word{Text: text, Prefix: true} }
	cases := []struct {
		name string
		f    store.ItemFilter
		want []string
	}{
		{"no filter", store.ItemFilter{}, []string{"k4", "k3", "k2", "k1", "k5"}},
		{"feed", store.ItemFilter{Feed: "a"}, []string{"k3", "k1", "k5"}},
		{"unknown feed", store.ItemFilter{Feed: "zzz"}, nil},
		{"since is first seen, inclusive", store.ItemFilter{Since: at(time.Hour + time.Minute)}, []string{"k4", "k3", "k2", "k5"}},
		{"since after everything", store.ItemFilter{Since: at(6 * time.Hour)}, nil},
		{"accent and case folded", store.ItemFilter{Words: []store.Word{w("kyiv")}}, []string{"k2", "k1"}},
		{"whole word only", store.ItemFilter{Words: []store.Word{w("zelensky")}}, []string{"k1"}},
		{"prefix", store.ItemFilter{Words: []store.Word{p("zelensk")}}, []string{"k3", "k1"}},
		{"prefix is not infix", store.ItemFilter{Words: []store.Word{p("elensk")}}, nil},
		{"every word required", store.ItemFilter{Words: []store.Word{w("peace"), w("kyiv")}}, []string{"k1"}},
		{"words in different fields", store.ItemFilter{Words: []store.Word{w("talks"), w("politics")}}, []string{"k1"}},
		{"category with accent", store.ItemFilter{Words: []store.Word{w("economie")}}, []string{"k5"}},
		{"summary with accents", store.ItemFilter{Words: []store.Word{w("resume")}}, []string{"k5"}},
		{"cyrillic folded", store.ItemFilter{Words: []store.Word{w("киів")}}, []string{"k2"}},
		{"cyrillic word folded", store.ItemFilter{Words: []store.Word{w("зеленськии")}}, []string{"k4"}},
		{"cyrillic prefix", store.ItemFilter{Words: []store.Word{p("зеленськ")}}, []string{"k4"}},
		{"cyrillic category", store.ItemFilter{Words: []store.Word{w("украіна")}}, []string{"k3"}},
		{"query syntax is plain text", store.ItemFilter{Words: []store.Word{w("and"), w("or"), w("near")}}, []string{"k4"}},
		{"absent word", store.ItemFilter{Words: []store.Word{w("kyiv"), w("football")}}, nil},
		{"words, feed and since together", store.ItemFilter{Feed: "a", Since: at(time.Hour), Words: []store.Word{p("zelensk")}}, []string{"k3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			equal(t, "GUIDs", guids(scan(t, s, tc.f)), tc.want)
		})
	}
}

func testScanCanceled(t *testing.T, s store.Store) {
	insert(t, s, "a", manyItems("c", 5, at(0))...)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := 0
	err := s.ScanItems(ctx, store.ItemFilter{}, func(news.Item) bool { calls++; return true })
	if err == nil {
		t.Errorf("ScanItems with a canceled context: no error (%d calls)", calls)
	}
}
