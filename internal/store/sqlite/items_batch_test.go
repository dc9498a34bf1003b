package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// batchItem is an item of a SavePolls test.
func batchItem(guid, title string, at time.Time) news.Item {
	return news.Item{GUID: guid, Title: title, Link: "https://x.example/" + guid, Published: at, FirstSeen: at,
		Categories: []string{"World", "Ukraine"}}
}

func TestSavePolls(t *testing.T) {
	at := time.Date(2025, 9, 1, 12, 0, 0, 0, time.FixedZone("UTC+3", 3*3600))
	tests := []struct {
		name      string
		states    []news.FeedState
		items     [][]news.Item
		wantFresh [][]string // GUIDs stored for the first time, per poll
		wantErr   []error    // per poll: nil, store.ErrNotFound, or errBad (any other)
	}{
		{
			name:   "several feeds in one transaction",
			states: []news.FeedState{{Feed: "a", ETag: `"a1"`}, {Feed: "b", ETag: `"b1"`}},
			items: [][]news.Item{
				{batchItem("1", "Peace talks in Geneva", at), batchItem("2", "Oil prices", at)},
				{batchItem("1", "Same GUID, other feed", at)},
			},
			wantFresh: [][]string{{"1", "2"}, {"1"}},
			wantErr:   []error{nil, nil},
		},
		{
			name:      "already stored and repeated GUIDs are skipped",
			states:    []news.FeedState{{Feed: "a", ETag: `"a2"`}},
			items:     [][]news.Item{{batchItem("2", "Oil prices", at), batchItem("3", "New", at), batchItem("3", "New again", at)}},
			wantFresh: [][]string{{"3"}},
			wantErr:   []error{nil},
		},
		{
			name:      "a feed not defined keeps its items but not its state",
			states:    []news.FeedState{{Feed: "gone", ETag: `"g"`}, {Feed: "b", ETag: `"b2"`}},
			items:     [][]news.Item{{batchItem("9", "Orphan", at)}, {batchItem("2", "Second", at)}},
			wantFresh: [][]string{{"9"}, {"2"}},
			wantErr:   []error{store.ErrNotFound, nil},
		},
		{
			name:      "an item without GUID fails its poll only",
			states:    []news.FeedState{{Feed: "a", ETag: `"bad"`}, {Feed: "b", ETag: `"b3"`}},
			items:     [][]news.Item{{batchItem("4", "Fine", at), batchItem("", "No GUID", at)}, {batchItem("5", "Fine too", at)}},
			wantFresh: [][]string{nil, {"5"}},
			wantErr:   []error{errBad, nil},
		},
		{
			name:      "a 304 saves the state alone",
			states:    []news.FeedState{{Feed: "a", ETag: `"a3"`}},
			items:     [][]news.Item{nil},
			wantFresh: [][]string{nil},
			wantErr:   []error{nil},
		},
		{
			name:      "mismatched lists fail every poll",
			states:    []news.FeedState{{Feed: "a"}, {Feed: "b"}},
			items:     [][]news.Item{nil},
			wantFresh: [][]string{nil, nil},
			wantErr:   []error{errBad, errBad},
		},
	}
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "batch.db"))
	if err := s.SyncFeeds(ctx, []news.Feed{{Name: "a", URL: "https://a.example/"}, {Name: "b", URL: "https://b.example/"}}); err != nil {
		t.Fatal(err)
	}
	etags := map[string]string{"a": "", "b": ""}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh, errs := s.SavePolls(ctx, tt.states, tt.items)
			if len(fresh) != len(tt.states) || len(errs) != len(tt.states) {
				t.Fatalf("got %d fresh lists and %d errors for %d polls", len(fresh), len(errs), len(tt.states))
			}
			for i, st := range tt.states {
				var guids []string
				for _, it := range fresh[i] {
					guids = append(guids, it.GUID)
					if it.ID == 0 || it.Feed != st.Feed || it.Published.Location() != time.UTC || !it.Published.Equal(at) {
						t.Errorf("poll %d: stored item %+v not returned as stored", i, it)
					}
				}
				if !slices.Equal(guids, tt.wantFresh[i]) {
					t.Errorf("poll %d (%s): new GUIDs %v, want %v", i, st.Feed, guids, tt.wantFresh[i])
				}
				switch want := tt.wantErr[i]; {
				case want == nil && errs[i] != nil:
					t.Errorf("poll %d (%s): %v", i, st.Feed, errs[i])
				case want == errBad && errs[i] == nil, want != nil && want != errBad && !errors.Is(errs[i], want):
					t.Errorf("poll %d (%s): error %v, want %v", i, st.Feed, errs[i], want)
				}
				if _, known := etags[st.Feed]; known && errs[i] == nil {
					etags[st.Feed] = st.ETag
				}
			}
			for feed, etag := range etags {
				got, err := s.FeedState(ctx, feed)
				if err != nil {
					t.Fatal(err)
				}
				if got.ETag != etag {
					t.Errorf("feed %s: ETag %q, want %q (saved with its items, or not at all)", feed, got.ETag, etag)
				}
			}
		})
	}

	// What was saved is counted per feed and searchable.
	st, err := s.FeedState(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if st.Items != 3 {
		t.Errorf("feed a counts %d items, want 3", st.Items)
	}
	var found []string
	if err := s.ScanItems(ctx, store.ItemFilter{Words: []store.Word{{Text: "geneva"}}}, func(it news.Item) bool {
		found = append(found, it.Feed+"/"+it.GUID)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(found, []string{"a/1"}) {
		t.Errorf("search for geneva found %v, want [a/1]", found)
	}
}

// errBad stands for any error in TestSavePolls's expectations.
var errBad = errors.New("any error")

// TestInsertItemsManyRows checks that a feed with more items than one
// statement inserts is stored whole, in order, duplicates skipped.
func TestInsertItemsManyRows(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, ":memory:")
	at := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	var items []news.Item
	for i := range 2*insertChunk + 7 {
		items = append(items, batchItem(fmt.Sprint(i%(insertChunk+3)), "Item "+strings.Repeat("x", i%5), at))
	}
	added, err := s.InsertItems(ctx, "big", items)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != insertChunk+3 {
		t.Fatalf("stored %d items, want %d distinct GUIDs", len(added), insertChunk+3)
	}
	for i, it := range added {
		if it.GUID != fmt.Sprint(i) || (i > 0 && it.ID <= added[i-1].ID) {
			t.Fatalf("item %d is %q with ID %d: not in document order", i, it.GUID, it.ID)
		}
	}
	again, err := s.InsertItems(ctx, "big", items)
	if err != nil || len(again) != 0 {
		t.Fatalf("second insert stored %d items, %v; want none", len(again), err)
	}
}

// TestInsertedIDsAreTheRows checks that the IDs InsertItems returns are those
// of the rows it stored, whether every item was new (IDs read from the last
// one) or some were skipped (known GUIDs, repeats within the batch, the last
// item among them).
func TestInsertedIDsAreTheRows(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, filepath.Join(t.TempDir(), "ids.db"))
	if err := s.SyncFeeds(ctx, []news.Feed{{Name: "f", URL: "https://f.example/rss", Source: news.SourceConfig}}); err != nil {
		t.Fatal(err)
	}
	mk := func(guids ...string) []news.Item {
		var out []news.Item
		for i, g := range guids {
			out = append(out, news.Item{GUID: g, Title: fmt.Sprintf("%s #%d", g, i), FirstSeen: time.Unix(int64(i), 0)})
		}
		return out
	}
	for _, batch := range [][]string{
		{"a", "b", "c"},
		{"d", "b", "e", "e", "a", "f", "c"},
		{"g", "h"},
		{"a", "b"},
		{"i", "i"},
	} {
		in := mk(batch...)
		added, err := s.InsertItems(ctx, "f", in)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, it := range added {
			ids = append(ids, it.ID)
		}
		stored, err := s.itemsByID(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range added {
			if got := stored[it.ID]; got.GUID != it.GUID || got.Title != it.Title {
				t.Errorf("batch %v: item %s came back with ID %d, which holds %q (%q)", batch, it.GUID, it.ID, got.GUID, got.Title)
			}
		}
	}
	n, err := s.CountItems(ctx)
	if err != nil || n != 9 {
		t.Errorf("%d items stored (%v), want 9 (a to i)", n, err)
	}
}
