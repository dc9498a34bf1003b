package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
	"github.com/feedwatch/feedwatch/internal/store/storetest"
)

// openTest opens a store at dsn and closes it when the test ends.
func openTest(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open(%s): %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "feedwatch.db") }},
		{"memory", func(*testing.T) string { return ":memory:" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, tc.dsn(t)) })
		})
	}
}

// schemaVersions reads the applied migration versions.
func schemaVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), "SELECT version FROM schema_version ORDER BY version")
	if err != nil {
		t.Fatalf("read schema_version: %v", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrationsOnceAndOnReopen(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	want := make([]int, len(ms))
	for i := range ms {
		want[i] = i + 1
	}
	path := filepath.Join(t.TempDir(), "m.db")
	for _, round := range []string{"create", "reopen", "reopen again"} {
		t.Run(round, func(t *testing.T) {
			s, err := Open(t.Context(), path, Options{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if got := schemaVersions(t, s); !slices.Equal(got, want) {
				t.Errorf("schema versions %v, want %v", got, want)
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	s := openTest(t, path)
	if _, err := s.write.ExecContext(t.Context(), "INSERT INTO schema_version (version, applied) VALUES (999, 0)"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: error %v, want a refusal", err)
	}
}

func TestPragmas(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "p.db"))
	cases := []struct {
		name   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{"WAL", s.write, "journal_mode", "wal"},
		{"writer foreign keys", s.write, "foreign_keys", "1"},
		{"writer busy timeout", s.write, "busy_timeout", "10000"},
		{"writer synchronous NORMAL", s.write, "synchronous", "1"},
		{"reader foreign keys", s.read, "foreign_keys", "1"},
		{"reader busy timeout", s.read, "busy_timeout", "10000"},
		{"reader read-only", s.read, "query_only", "1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if err := tc.db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
			}
			if !strings.EqualFold(got, tc.want) {
				t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
			}
		})
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "r.db")
	pub := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC) // nanoseconds survive in SQLite
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SyncFeeds(ctx, []news.Feed{{Name: "a", URL: "https://a.example/rss", Source: news.SourceConfig}}); err != nil {
		t.Fatal(err)
	}
	added, err := s.InsertItems(ctx, "a", []news.Item{{GUID: "g", Title: "Київ", Published: pub, FirstSeen: pub}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.Enqueue(news.OutboxMessage{Channel: "news", Key: "k", Message: news.Message{Kind: news.KindAlert, Title: "t"}})
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	topic := news.Topic{Name: "t", Query: "kyiv", Channel: "news", Source: news.SourceChat}
	mute := news.Mute{Channel: "news", Topic: "t", Until: pub.Add(time.Hour)}
	deadline := news.Deadline{Name: "d", Title: "D", Due: pub, Remind: []time.Duration{time.Hour},
		Channels: []string{"news"}, Mention: news.Mention{Set: true, Slack: []string{"U1"}},
		Source: news.SourceChat, Created: pub}
	if err := errors.Join(s.AddTopic(ctx, topic), s.Mute(ctx, mute), s.AddDeadline(ctx, deadline)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openTest(t, path)
	var got []news.Item
	if err := s.ScanItems(ctx, store.ItemFilter{Words: []store.Word{{Text: "киів"}}}, func(it news.Item) bool {
		got = append(got, it)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != added[0].ID || !got[0].Published.Equal(pub) || got[0].Published.Nanosecond() != 6 {
		t.Errorf("after reopen: %+v, want item %d published %v", got, added[0].ID, pub)
	}
	if states, err := s.FeedStates(ctx); err != nil || len(states) != 1 || states[0].Items != 1 {
		t.Errorf("FeedStates after reopen = %+v, %v", states, err)
	}
	if m, ok, err := s.NextOutbox(ctx, "news"); err != nil || !ok || m.Key != "k" {
		t.Errorf("NextOutbox after reopen = %+v, %v, %v", m, ok, err)
	}
	if v, ok, err := s.GetMeta(ctx, "k"); err != nil || !ok || v != "v" {
		t.Errorf("GetMeta after reopen = %q, %v, %v", v, ok, err)
	}
	if ts, err := s.Topics(ctx); err != nil || !reflect.DeepEqual(ts, []news.Topic{topic}) {
		t.Errorf("Topics after reopen = %+v, %v", ts, err)
	}
	if ms, err := s.Mutes(ctx, pub); err != nil || !reflect.DeepEqual(ms, []news.Mute{mute}) {
		t.Errorf("Mutes after reopen = %+v, %v", ms, err)
	}
	if ds, err := s.Deadlines(ctx); err != nil || !reflect.DeepEqual(ds, []news.Deadline{deadline}) {
		t.Errorf("Deadlines after reopen = %+v, %v", ds, err)
	}
}

func TestMuteRefusesNoEnd(t *testing.T) {
	s := openTest(t, ":memory:")
	cases := []struct {
		name string
		m    news.Mute
	}{
		{"zero until", news.Mute{Channel: "news", Topic: "t"}},
		{"empty channel", news.Mute{Topic: "t", Until: time.Unix(1, 0)}},
		{"empty topic", news.Mute{Channel: "news", Until: time.Unix(1, 0)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Mute(t.Context(), tc.m); err == nil {
				t.Fatalf("Mute(%+v): no error", tc.m)
			}
		})
	}
	if ms, err := s.Mutes(t.Context(), time.Time{}); err != nil || len(ms) != 0 {
		t.Errorf("Mutes = %+v, %v; want none stored", ms, err)
	}
}

func TestInsertItemsRefusesEmptyGUID(t *testing.T) {
	s := openTest(t, ":memory:")
	if _, err := s.InsertItems(t.Context(), "a", []news.Item{{GUID: "ok"}, {Title: "no guid"}}); err == nil {
		t.Fatal("InsertItems with an empty GUID: no error")
	}
	if n, err := s.CountItems(t.Context()); err != nil || n != 0 {
		t.Errorf("CountItems = %d, %v; want nothing stored", n, err)
	}
}

func TestFoldWords(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"Kyïv", "kyiv"},
		{"Київ, Україна!", "киів украіна"},
		{"Зеленський", "зеленськии"},
		{"Russia’s  café-bar", "russia s cafe bar"},
		{"ﬁnance x² İstanbul ŁÓDŹ", "finance x2 istanbul łodz"},
		{"--- ***", ""},
		{`O"Brien`, "o brien"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := foldWords(tc.in); got != tc.want {
				t.Errorf("foldWords(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFTSQuery(t *testing.T) {
	w := func(text string, prefix bool) store.Word { return store.Word{Text: text, Prefix: prefix} }
	cases := []struct {
		name  string
		words []store.Word
		want  string
	}{
		{"none", nil, ""},
		{"one", []store.Word{w("kyiv", false)}, `"kyiv"`},
		{"prefix and AND", []store.Word{w("zelensk", true), w("talks", false)}, `"zelensk"* AND "talks"`},
		{"operators are text", []store.Word{w(`a" OR "b`, false), w("NEAR", false)}, `"a" AND "or" AND "b" AND "near"`},
		{"several words, the last the prefix", []store.Word{w("Kyiv-bas", true)}, `"kyiv" AND "bas"*`},
		{"nothing indexable is left out", []store.Word{w("--", true), w("x", false)}, `"x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ftsQuery(tc.words); got != tc.want {
				t.Errorf("ftsQuery = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTimeRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"zero", time.Time{}, time.Time{}},
		{"nanoseconds, UTC", time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("EET", 7200)),
			time.Date(2025, 3, 14, 7, 26, 53, 589793238, time.UTC)},
		{"before 1970", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"far future clamped", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), maxTime},
		{"far past clamped", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), minTime},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := fromNanos(toNanos(tc.in)); !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("round trip of %v = %v, want %v in UTC", tc.in, got, tc.want)
			}
		})
	}
}

// TestTwoStoresOneFile opens the same file twice at once, as the bot and a
// CLI subcommand would, and writes from both: the busy timeout and
// IMMEDIATE transactions must keep "database is locked" from callers.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	stores := make([]*Store, 2)
	errs := make(chan error, 2*len(stores))
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			s, err := Open(ctx, path, Options{})
			if err != nil {
				errs <- fmt.Errorf("open %d: %w", i, err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	for i, s := range stores {
		if s == nil {
			t.Fatal(<-errs)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close %d: %v", i, err)
			}
		})
	}
	const rounds = 20
	for i, s := range stores {
		wg.Go(func() {
			for r := range rounds {
				added, err := s.InsertItems(ctx, fmt.Sprint("feed", i), []news.Item{{GUID: fmt.Sprint(r), Title: "x"}})
				if err == nil {
					err = s.Update(ctx, func(tx store.Tx) error { return tx.MarkRouted(added[0].ID) })
				}
				if err == nil {
					_, err = s.CountItems(ctx)
				}
				if err != nil {
					errs <- fmt.Errorf("store %d round %d: %w", i, r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := stores[0].CountItems(ctx); err != nil || n != 2*rounds {
		t.Errorf("CountItems = %d, %v; want %d", n, err, 2*rounds)
	}
}

// TestScanPlansAgree checks every way ScanItems can run (driven by
// publication order, by first sight, by feed; first batch and the rest)
// against a brute-force answer on items whose publication and first-sight
// orders disagree.
func TestScanPlansAgree(t *testing.T) {
	s := openTest(t, ":memory:")
	r := rand.New(rand.NewPCG(7, 8))
	vocab := []string{"Kyïv", "Київ", "peace", "talks", "Zelensky", "Zelenskyy", "café", "war", "news", "weather"}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []news.Item
	for i := range 400 {
		words := make([]string, 3)
		for j := range words {
			words[j] = vocab[r.IntN(len(vocab))]
		}
		it := news.Item{
			GUID:      fmt.Sprint(i),
			Title:     strings.Join(words[:2], " "),
			Summary:   words[2],
			Published: base.Add(time.Duration(r.IntN(200)) * time.Minute), // ties, and unrelated to first sight
			FirstSeen: base.Add(time.Duration(i) * time.Minute),
		}
		added, err := s.InsertItems(t.Context(), []string{"a", "b", "c"}[r.IntN(3)], []news.Item{it})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, added...)
	}
	brute := func(f store.ItemFilter) []int64 {
		var out []news.Item
		for _, it := range all {
			if f.Feed != "" && it.Feed != f.Feed || it.FirstSeen.Before(f.Since) {
				continue
			}
			tokens := strings.Fields(foldWords(it.Title + " " + it.Summary))
			ok := true
			for _, w := range f.Words {
				ok = ok && slices.ContainsFunc(tokens, func(tok string) bool {
					return tok == w.Text || w.Prefix && strings.HasPrefix(tok, w.Text)
				})
			}
			if ok {
				out = append(out, it)
			}
		}
		slices.SortFunc(out, func(a, b news.Item) int {
			if c := b.Published.Compare(a.Published); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		})
		ids := make([]int64, len(out))
		for i, it := range out {
			ids[i] = it.ID
		}
		return ids
	}
	kyiv := []store.Word{{Text: "kyiv"}}
	zel := []store.Word{{Text: "zelensk", Prefix: true}}
	filters := map[string]store.ItemFilter{
		"all":                    {},
		"feed":                   {Feed: "a"},
		"since":                  {Since: base.Add(150 * time.Minute)},
		"since recent":           {Since: base.Add(390 * time.Minute)},
		"word":                   {Words: kyiv},
		"prefix and word":        {Words: append(slices.Clone(zel), store.Word{Text: "war"})},
		"feed and word":          {Feed: "b", Words: zel},
		"since and word":         {Since: base.Add(100 * time.Minute), Words: kyiv},
		"feed, since and prefix": {Feed: "c", Since: base.Add(50 * time.Minute), Words: zel},
	}
	for _, window := range []int{1, defaultSmallWindow} {
		s.smallWindow = window
		for name, f := range filters {
			want := brute(f)
			for _, stop := range []int{len(all) + 1, firstScanBatch + 7} {
				t.Run(fmt.Sprintf("window %d/%s/stop %d", window, name, stop), func(t *testing.T) {
					var got []int64
					err := s.ScanItems(t.Context(), f, func(it news.Item) bool {
						got = append(got, it.ID)
						return len(got) < stop
					})
					if err != nil {
						t.Fatal(err)
					}
					if w := want[:min(stop, len(want))]; !slices.Equal(got, w) {
						t.Errorf("got %d items %v\nwant %d items %v", len(got), got, len(w), w)
					}
				})
			}
		}
	}
}
