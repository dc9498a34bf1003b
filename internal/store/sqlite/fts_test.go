package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// TestHasWordsAgreesWithIndex checks that the Go narrowing of items the
// index does not cover yet (hasWords) finds exactly what the index finds,
// for words, prefixes and several words at once, in scripts with accents,
// combining marks, digits and no case.
func TestHasWordsAgreesWithIndex(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, filepath.Join(t.TempDir(), "agree.db"))
	if err := s.SyncFeeds(ctx, []news.Feed{{Name: "f", URL: "https://f.example/rss", Source: news.SourceConfig}}); err != nil {
		t.Fatal(err)
	}
	vocab := []string{"Київ", "kyiv", "Kyïv", "Zelensky", "Зеленський", "talks", "talk", "ceasefire", "cease-fire",
		"Erdoğan", "Łódź", "naïve", "हिन्दी", "हिंदी", "東京", "2025", "x2", "U.S.", "don't", "Ça", "ça", "ΣΊΣΥΦΟΣ", "σίσυφος", "ﬁnance"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = vocab[r.IntN(len(vocab))]
		}
		return strings.Join(ws, " ")
	}
	var items []news.Item
	for i := range 300 {
		items = append(items, news.Item{GUID: fmt.Sprint(i), Title: pick(3), Summary: pick(6),
			Categories: []string{pick(1)}, Published: time.Unix(int64(i), 0), FirstSeen: time.Unix(int64(i), 0)})
	}
	added, err := s.InsertItems(ctx, "f", items)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	var queries [][]store.Word
	for _, w := range vocab {
		queries = append(queries, []store.Word{{Text: w}})
		runes := []rune(w)
		queries = append(queries, []store.Word{{Text: string(runes[:max(1, len(runes)/2)]), Prefix: true}})
	}
	for range 50 {
		queries = append(queries, []store.Word{{Text: vocab[r.IntN(len(vocab))]}, {Text: vocab[r.IntN(len(vocab))], Prefix: r.IntN(2) == 0}})
	}
	for _, q := range queries {
		m := ftsQuery(q)
		if m == "" {
			continue
		}
		var fromIndex []int64
		rows, err := s.read.QueryContext(ctx, "SELECT rowid FROM fts.items_fts WHERE items_fts MATCH ? ORDER BY rowid", m)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			fromIndex = append(fromIndex, id)
		}
		rows.Close()
		var fromGo []int64
		for _, it := range added {
			if hasWords(searchText(it.Title, it.Summary, it.Categories), ftsTerms(q)) {
				fromGo = append(fromGo, it.ID)
			}
		}
		if !slices.Equal(fromIndex, fromGo) {
			t.Errorf("%v (%s): the index finds %d items, hasWords %d", q, m, len(fromIndex), len(fromGo))
		}
	}
}

// TestIndexRebuiltWhenItsFileIsLost deletes the index file of a closed
// store: the next open finds every item at once, and the indexer rebuilds
// the file from the items.
func TestIndexRebuiltWhenItsFileIsLost(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "lost.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SyncFeeds(ctx, []news.Feed{{Name: "f", URL: "https://f.example/rss", Source: news.SourceConfig}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InsertItems(ctx, "f", []news.Item{
		{GUID: "1", Title: "Ceasefire in Kyiv", FirstSeen: time.Unix(1, 0)},
		{GUID: "2", Title: "Markets", FirstSeen: time.Unix(2, 0)},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = removeIfExists(path + ftsSuffix + suffix)
	}
	s = openTest(t, path)
	var found []string
	if err := s.ScanItems(ctx, store.ItemFilter{Words: []store.Word{{Text: "ceasefire"}}}, func(it news.Item) bool {
		found = append(found, it.GUID)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(found, []string{"1"}) {
		t.Errorf("found %v before the rebuild, want [1]", found)
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := indexEntries(t, s, "ceasefire"); n != 1 {
		t.Errorf("rebuilt index has %d entries for ceasefire, want 1", n)
	}
}

func removeIfExists(path string) error {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// TestSearchExactWhileIndexLags stops the indexer, stores items, and checks
// that searches find exactly the items the index would have found: the
// items beyond the index's mark are narrowed in Go, the same way.
func TestSearchExactWhileIndexLags(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, filepath.Join(t.TempDir(), "lag.db"))
	if err := s.SyncFeeds(ctx, []news.Feed{{Name: "f", URL: "https://f.example/rss", Source: news.SourceConfig}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InsertItems(ctx, "f", []news.Item{{GUID: "old", Title: "Ceasefire talks", FirstSeen: time.Unix(1, 0)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	s.fts.close()
	if _, err := s.InsertItems(ctx, "f", []news.Item{
		{GUID: "a", Title: "Ceasefire holds in Київ", FirstSeen: time.Unix(2, 0)},
		{GUID: "b", Title: "Cease-fire talk", FirstSeen: time.Unix(3, 0)},
		{GUID: "c", Title: "Markets", Categories: []string{"Economy"}, FirstSeen: time.Unix(4, 0)},
	}); err != nil {
		t.Fatal(err)
	}
	if got := indexedUpto(t, s); got != 1 {
		t.Fatalf("indexed up to %d with the indexer stopped, want 1", got)
	}
	for _, tc := range []struct {
		words []store.Word
		want  []string
	}{
		{[]store.Word{{Text: "ceasefire"}}, []string{"a", "old"}},
		{[]store.Word{{Text: "cease", Prefix: true}}, []string{"a", "b", "old"}},
		{[]store.Word{{Text: "talks"}}, []string{"old"}},
		{[]store.Word{{Text: "киів"}, {Text: "holds"}}, []string{"a"}},
		{[]store.Word{{Text: "econ", Prefix: true}}, []string{"c"}},
		{[]store.Word{{Text: "cease-fire"}}, []string{"b"}},
	} {
		var got []string
		if err := s.ScanItems(ctx, store.ItemFilter{Words: tc.words}, func(it news.Item) bool {
			got = append(got, it.GUID)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("search %v while the index lags = %v, want %v", tc.words, got, tc.want)
		}
	}
}

// TestDamagedIndexFileIsMadeAgain overwrites the index file of a closed
// store with garbage: the next open still works, finds every item, and
// rebuilds the index from the items.
func TestDamagedIndexFileIsMadeAgain(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damaged.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SyncFeeds(ctx, []news.Feed{{Name: "f", URL: "https://f.example/rss", Source: news.SourceConfig}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InsertItems(ctx, "f", []news.Item{{GUID: "1", Title: "Ceasefire in Kyiv", FirstSeen: time.Unix(1, 0)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := removeIfExists(path + ftsSuffix + suffix); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path+ftsSuffix, bytes.Repeat([]byte("not a database "), 512), 0o600); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path)
	var found []string
	if err := s.ScanItems(ctx, store.ItemFilter{Words: []store.Word{{Text: "kyiv"}}}, func(it news.Item) bool {
		found = append(found, it.GUID)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(found, []string{"1"}) {
		t.Errorf("found %v, want [1]", found)
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := indexEntries(t, s, "kyiv"); n != 1 {
		t.Errorf("remade index has %d entries for kyiv, want 1", n)
	}
}
