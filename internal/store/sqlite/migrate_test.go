package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// TestUpgradeRebuildsFullTextIndex opens a database written by a binary that
// knew only migrations 0001 to 0003, whose items were indexed in the old
// full-text table of the main file, and checks that after migration 0004
// every item is found at once (searches take the items the new index file
// lacks as candidates), that the indexer then indexes them all (in several
// transactions), that item counts are kept, and that they go on being kept
// without the old trigger.
func TestUpgradeRebuildsFullTextIndex(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := old.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, applied INTEGER NOT NULL)")
	for _, m := range ms[:3] {
		exec(m.SQL)
		exec("INSERT INTO schema_version (version, applied) VALUES (?, 0)", m.Version)
	}
	exec("INSERT INTO feeds (name, url, source) VALUES ('wire', 'https://wire.example/rss', 'config')")
	const n = 10
	for i := 1; i <= n; i++ {
		title := fmt.Sprintf("Talks round %d in Київ", i)
		exec(`INSERT INTO items (feed, guid, title, summary, categories, published, first_seen, routed)
			VALUES ('wire', ?, ?, 'Envoys met.', ?, ?, ?, 1)`, fmt.Sprint(i), title, fmt.Sprintf("round%d\x1fEurope", i), i, i)
		exec("INSERT INTO items_fts (rowid, title, summary, categories) VALUES (last_insert_rowid(), ?, 'envoys met', ?)",
			foldWords(title), fmt.Sprintf("round%d europe", i))
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	defer func(b int) { ftsReadBack = b }(ftsReadBack)
	ftsReadBack = 3
	s := openTest(t, path)

	search := func(words ...store.Word) []string {
		t.Helper()
		var guids []string
		if err := s.ScanItems(ctx, store.ItemFilter{Words: words}, func(it news.Item) bool {
			guids = append(guids, it.GUID)
			return true
		}); err != nil {
			t.Fatalf("ScanItems(%v): %v", words, err)
		}
		slices.Sort(guids)
		return guids
	}
	check := func(when string) {
		t.Helper()
		if got := search(store.Word{Text: "киів"}, store.Word{Text: "envoy", Prefix: true}); len(got) != n {
			t.Errorf("%s: %d items found by title and summary words, want %d: %v", when, len(got), n, got)
		}
		if got := search(store.Word{Text: "round7"}); !slices.Equal(got, []string{"7"}) {
			t.Errorf("%s: search by category = %v, want [7]", when, got)
		}
	}
	check("right after the upgrade")
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if got := indexedUpto(t, s); got != n {
		t.Errorf("indexed up to item %d, want %d", got, n)
	}
	if got := indexEntries(t, s, "round7"); got != 1 {
		t.Errorf("%d index entries for round7, want 1", got)
	}
	check("once indexed")

	if _, err := s.InsertItems(ctx, "wire", []news.Item{
		{GUID: "11", Title: "Ceasefire holds", Published: time.Unix(11, 0), FirstSeen: time.Unix(11, 0)},
		{GUID: "1", Title: "a repeat, not counted"},
	}); err != nil {
		t.Fatal(err)
	}
	states, err := s.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states[0].Items != n+1 {
		t.Errorf("feed states %+v, want wire with %d items", states, n+1)
	}
	if got := search(store.Word{Text: "ceasefire"}); !slices.Equal(got, []string{"11"}) {
		t.Errorf("new item search = %v, want [11]", got)
	}
}

// indexedUpto reads the index file's high-water mark.
func indexedUpto(t *testing.T, s *Store) int64 {
	t.Helper()
	var upto int64
	if err := s.read.QueryRowContext(t.Context(), "SELECT value FROM fts.fts_meta WHERE key = 'indexed_upto'").Scan(&upto); err != nil {
		t.Fatal(err)
	}
	return upto
}

// indexEntries counts the items the index alone finds for a folded word.
func indexEntries(t *testing.T, s *Store, word string) int {
	t.Helper()
	var n int
	if err := s.read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM fts.items_fts WHERE items_fts MATCH ?", `"`+word+`"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
