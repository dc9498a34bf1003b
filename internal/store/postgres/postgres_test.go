package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
	"github.com/feedwatch/feedwatch/internal/store/postgres/pgtest"
	"github.com/feedwatch/feedwatch/internal/store/storetest"
)

// serverDSN returns the test server's DSN, or skips the test without one.
func serverDSN(t testing.TB) string { return pgtest.ServerDSN(t) }

// freshSchema creates an empty schema for the test (see pgtest.FreshSchema).
func freshSchema(t testing.TB) string { return pgtest.FreshSchema(t, "fwtest") }

// openTest opens a store at dsn and closes it when the test ends.
func openTest(t testing.TB, dsn string, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	serverDSN(t) // skip once, not in every subtest
	start := time.Now()
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, freshSchema(t), Options{}) })
	t.Logf("conformance suite on PostgreSQL: %v", time.Since(start).Round(time.Millisecond))
}

// countingHandler counts log records by message.
type countingHandler struct {
	mu     sync.Mutex
	counts map[string]int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[r.Message]++
	return nil
}

// schemaVersions reads the applied migration versions.
func schemaVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), "SELECT version FROM schema_version ORDER BY version")
	if err != nil {
		t.Fatalf("read schema_version: %v", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatalf("read schema_version: %v", err)
	}
	return vs
}

// TestMigrateRace opens one empty schema from several replicas at once:
// every one must start, and the migrations must be applied exactly once.
func TestMigrateRace(t *testing.T) {
	dsn := freshSchema(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	want := make([]int, len(ms))
	for i := range ms {
		want[i] = i + 1
	}
	const replicas = 4
	logs := &countingHandler{counts: map[string]int{}}
	stores := make([]*Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = Open(t.Context(), dsn, Options{Logger: slog.New(logs)})
		})
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("replica %d: Open: %v", i, errs[i])
			continue
		}
		defer s.Close()
	}
	if t.Failed() {
		return
	}
	if got := logs.counts["postgres migration applied"]; got != len(ms) {
		t.Errorf("migrations applied %d times in all, want %d (once each)", got, len(ms))
	}
	for i, s := range stores {
		if got := schemaVersions(t, s); !slices.Equal(got, want) {
			t.Errorf("replica %d: schema versions %v, want %v", i, got, want)
		}
	}

	t.Run("reopen applies nothing", func(t *testing.T) {
		again := &countingHandler{counts: map[string]int{}}
		s := openTest(t, dsn, Options{Logger: slog.New(again)})
		if n := again.counts["postgres migration applied"]; n != 0 {
			t.Errorf("reopen applied %d migrations", n)
		}
		if got := schemaVersions(t, s); !slices.Equal(got, want) {
			t.Errorf("schema versions %v, want %v", got, want)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn := freshSchema(t)
	s := openTest(t, dsn, Options{})
	if _, err := s.pool.Exec(t.Context(), "INSERT INTO schema_version (version) VALUES (999)"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), dsn, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: error %v, want a refusal", err)
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	cases := []struct{ name, dsn string }{
		{"url", "postgres://fw:s3cret-pw@127.0.0.1:1/fw?connect_timeout=1"},
		{"key=value", "host=127.0.0.1 port=1 user=fw password=s3cret-pw connect_timeout=1"},
		{"unparsable", "postgres://fw:s3cret-pw@127.0.0.1:notaport/fw"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(t.Context(), tc.dsn, Options{})
			if err == nil {
				t.Fatal("Open of a server that is not there: no error")
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// fakeClock is a settable clock for leases.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestClaimRelease(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	s := openTest(t, freshSchema(t), Options{Now: clock.Now})
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	steps := []struct {
		name    string
		now     time.Duration
		release bool // Release instead of Claim
		lease   string
		holder  string
		until   time.Duration
		want    bool
	}{
		{name: "free lease", lease: "poll:a", holder: "r1", until: 30 * time.Second, want: true},
		{name: "held by another", now: time.Second, lease: "poll:a", holder: "r2", until: 31 * time.Second},
		{name: "other names are other leases", now: time.Second, lease: "poll:b", holder: "r2", until: 31 * time.Second, want: true},
		{name: "holder renews", now: 20 * time.Second, lease: "poll:a", holder: "r1", until: 50 * time.Second, want: true},
		{name: "renewal counts for others", now: 40 * time.Second, lease: "poll:a", holder: "r2", until: 70 * time.Second},
		{name: "expiring exactly now is over: takeover", now: 50 * time.Second, lease: "poll:a", holder: "r2", until: 80 * time.Second, want: true},
		{name: "the old holder cannot renew", now: 51 * time.Second, lease: "poll:a", holder: "r1", until: 81 * time.Second},
		{name: "the old holder's release is a no-op", now: 52 * time.Second, release: true, lease: "poll:a", holder: "r1"},
		{name: "still held by the new one", now: 53 * time.Second, lease: "poll:a", holder: "r3", until: 83 * time.Second},
		{name: "release", now: 54 * time.Second, release: true, lease: "poll:a", holder: "r2"},
		{name: "free again before it would run out", now: 55 * time.Second, lease: "poll:a", holder: "r3", until: 85 * time.Second, want: true},
		{name: "releasing a free lease is a no-op", now: 56 * time.Second, release: true, lease: "nothing", holder: "r1"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clock.Set(at(st.now))
			if st.release {
				if err := s.Release(t.Context(), st.lease, st.holder); err != nil {
					t.Fatalf("Release: %v", err)
				}
				return
			}
			got, err := s.Claim(t.Context(), st.lease, st.holder, at(st.until))
			if err != nil {
				t.Fatalf("Claim: %v", err)
			}
			if got != st.want {
				t.Errorf("Claim(%s, %s) = %v, want %v", st.lease, st.holder, got, st.want)
			}
		})
	}

	holders := map[string]string{}
	rows, err := s.pool.Query(t.Context(), "SELECT name, holder FROM leases")
	if err != nil {
		t.Fatal(err)
	}
	var name, holder string
	if _, err := pgx.ForEachRow(rows, []any{&name, &holder}, func() error { holders[name] = holder; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"poll:a": "r3", "poll:b": "r2"}; !maps.Equal(holders, want) {
		t.Errorf("leases %v, want %v", holders, want)
	}
}

func TestClaimRefusesNonsense(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	s := openTest(t, freshSchema(t), Options{Now: func() time.Time { return t0 }})
	cases := []struct {
		name, lease, holder string
		until               time.Time
	}{
		{"empty name", "", "r1", t0.Add(time.Minute)},
		{"empty holder", "x", "", t0.Add(time.Minute)},
		{"until now", "x", "r1", t0},
		{"until past", "x", "r1", t0.Add(-time.Minute)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if ok, err := s.Claim(t.Context(), tc.lease, tc.holder, tc.until); err == nil || ok {
				t.Errorf("Claim = %v, %v; want a refusal", ok, err)
			}
		})
	}
}

// TestClaimRace has replicas, each with its own pool, claim one lease at the
// same instant: exactly one may win.
func TestClaimRace(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	dsn := freshSchema(t)
	const replicas, rounds = 6, 20
	stores := make([]*Store, replicas)
	for i := range stores {
		stores[i] = openTest(t, dsn, Options{MaxConns: 1, Now: func() time.Time { return t0.Add(time.Hour) }})
	}
	for r := range rounds {
		name := fmt.Sprint("digest:", r)
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range stores {
			wg.Go(func() {
				<-start
				ok, err := s.Claim(t.Context(), name, fmt.Sprint("replica-", i), t0.Add(2*time.Hour))
				if err != nil {
					t.Errorf("replica %d: Claim: %v", i, err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Errorf("round %d: %d replicas won the lease, want 1", r, n)
		}
	}
}

// waitForSessions waits until at least n sessions of the test's schema
// (by application_name, see freshSchema) satisfy cond, a condition on
// pg_stat_activity: "wait_event_type = 'Lock'" for one blocked. (Whether a
// transaction has done its work is not for pg_stat_activity to tell: it
// shows "idle in transaction" between any two statements; startUpdate's
// worked channel tells.)
func waitForSessions(t *testing.T, s *Store, cond string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		var count int
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = current_setting('application_name') AND `+cond).Scan(&count)
		if err != nil && ctx.Err() == nil {
			t.Fatalf("read pg_stat_activity: %v", err)
		}
		if err == nil && count >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %d sessions with %s: %v", n, cond, ctx.Err())
		case <-tick.C:
		}
	}
}

// blocked is waitForSessions's condition for a session waiting for a lock.
const blocked = "wait_event_type = 'Lock'"

// startUpdate runs fn in an Update in the background and returns the
// channel that receives Update's result, and one closed once fn has done
// its work. With hold set the transaction stays open after fn until release
// is called, and at the latest when the test ends: a failing test must not
// leave it open, or closing the store waits for it forever.
func startUpdate(t *testing.T, s *Store, hold bool, fn func(tx store.Tx) error) (done <-chan error, worked <-chan struct{}, release func()) {
	held := make(chan struct{})
	didWork := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(held) }) }
	if !hold {
		release()
	}
	t.Cleanup(release)
	result := make(chan error, 1)
	go func() {
		result <- s.Update(context.Background(), func(tx store.Tx) error {
			err := fn(tx)
			close(didWork)
			if err != nil {
				return err
			}
			<-held
			return nil
		})
	}()
	return result, didWork, release
}

// TestOutboxCommitOrder checks that a channel's messages are sent in the
// order their transactions commit: while one transaction that enqueued is
// open, another enqueueing transaction waits, so that it cannot commit a
// message behind which the first would later appear.
func TestOutboxCommitOrder(t *testing.T) {
	s := openTest(t, freshSchema(t), Options{})
	msg := func(title string) news.OutboxMessage {
		return news.OutboxMessage{Channel: "news", Message: news.Message{Kind: news.KindAlert, Title: title}}
	}
	doneA, workedA, releaseA := startUpdate(t, s, true, func(tx store.Tx) error { return tx.Enqueue(msg("first")) })
	// Only start the second once the first has enqueued, or it could be first.
	<-workedA
	doneB, _, _ := startUpdate(t, s, false, func(tx store.Tx) error { return tx.Enqueue(msg("second")) })
	waitForSessions(t, s, blocked, 1)
	if m, ok, err := s.NextOutbox(t.Context(), "news"); err != nil || ok {
		t.Fatalf("NextOutbox while the first transaction is open = %+v, %v, %v; want nothing committed", m, ok, err)
	}
	releaseA()
	for i, done := range []<-chan error{doneA, doneB} {
		if err := <-done; err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
	}
	var titles []string
	for {
		m, ok, err := s.NextOutbox(t.Context(), "news")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		titles = append(titles, m.Message.Title)
		if err := s.MarkSent(t.Context(), m.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"first", "second"}; !slices.Equal(titles, want) {
		t.Errorf("sent %v, want %v", titles, want)
	}
}

// TestDigestsDoNotDouble runs two digests of one subscription at once, as two
// replicas whose cron fires together would: the second must wait for the
// first and then find its pending rows gone.
func TestDigestsDoNotDouble(t *testing.T) {
	s := openTest(t, freshSchema(t), Options{})
	ctx := t.Context()
	added, err := s.InsertItems(ctx, "a", []news.Item{{GUID: "1", Title: "one"}, {GUID: "2", Title: "two"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error {
		for _, it := range added {
			if err := tx.AddPending("news|digest|*", "t", it.ID, time.Now()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen [2]int
	digest := func(i int) func(tx store.Tx) error {
		return func(tx store.Tx) error {
			p, err := tx.Pending("news|digest|*")
			if err != nil {
				return err
			}
			mu.Lock()
			seen[i] = len(p)
			mu.Unlock()
			ids := make([]int64, len(p))
			for j, row := range p {
				ids[j] = row.ID
			}
			return tx.ClearPending(ids...)
		}
	}
	done0, worked0, release0 := startUpdate(t, s, true, digest(0))
	<-worked0
	done1, _, _ := startUpdate(t, s, false, digest(1))
	waitForSessions(t, s, blocked, 1)
	release0()
	for i, done := range []<-chan error{done0, done1} {
		if err := <-done; err != nil {
			t.Fatalf("digest %d: %v", i, err)
		}
	}
	if seen != [2]int{2, 0} {
		t.Errorf("pending rows seen by the two digests = %v, want [2 0]", seen)
	}
}

// TestSyncFeedsReplicas has replicas sync the same config at once, as they
// do when started together: none may fail and the feeds come out right.
func TestSyncFeedsReplicas(t *testing.T) {
	dsn := freshSchema(t)
	feeds := []news.Feed{
		{Name: "a", URL: "https://a.example/rss", Schedule: "@every 5m", Source: news.SourceConfig},
		{Name: "b", URL: "https://b.example/rss", Schedule: "@every 5m", Source: news.SourceConfig},
	}
	const replicas = 4
	stores := make([]*Store, replicas)
	for i := range stores {
		stores[i] = openTest(t, dsn, Options{})
	}
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			if err := s.SyncFeeds(t.Context(), feeds); err != nil {
				t.Errorf("replica %d: SyncFeeds: %v", i, err)
			}
		})
	}
	wg.Wait()
	got, err := stores[0].Feeds(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, feeds) {
		t.Errorf("feeds %+v, want %+v", got, feeds)
	}
}

// TestUntrustedText stores what PostgreSQL's text type refuses (NUL,
// invalid UTF-8), as a feed or an HTTP error may carry it: it must be stored
// with U+FFFD in place and come back as InsertItems said.
func TestUntrustedText(t *testing.T) {
	s := openTest(t, freshSchema(t), Options{})
	ctx := t.Context()
	if err := s.SyncFeeds(ctx, []news.Feed{{Name: "a", URL: "https://a.example/rss", Source: news.SourceConfig}}); err != nil {
		t.Fatal(err)
	}
	in := news.Item{GUID: "g\x00", Title: "nul\x00title", Summary: "bad \xff utf-8", Categories: []string{"c\x00", "", "x\x1fy"},
		Author: "\xc3", Link: "https://example.org/\x00"}
	added, err := s.InsertItems(ctx, "a", []news.Item{in})
	if err != nil {
		t.Fatalf("InsertItems: %v", err)
	}
	want := news.Item{ID: added[0].ID, Feed: "a", GUID: "g\uFFFD", Title: "nul\uFFFDtitle", Summary: "bad \uFFFD utf-8",
		Categories: []string{"c\uFFFD", "x y"}, Author: "\uFFFD", Link: "https://example.org/\uFFFD"}
	if !itemsEqual(added, []news.Item{want}) {
		t.Errorf("InsertItems returned %+v, want %+v", added, want)
	}
	var got []news.Item
	if err := s.ScanItems(ctx, store.ItemFilter{Words: []store.Word{{Text: "title"}}}, func(it news.Item) bool {
		got = append(got, it)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !itemsEqual(got, []news.Item{want}) {
		t.Errorf("scanned %+v, want %+v", got, want)
	}
	again, err := s.InsertItems(ctx, "a", []news.Item{in})
	if err != nil || len(again) != 0 {
		t.Errorf("InsertItems again = %+v, %v; want the item known", again, err)
	}

	st := news.FeedState{Feed: "a", ETag: "\x00", LastErrorMsg: "HTTP 500: \xfe\x00"}
	if err := s.SaveFeedState(ctx, st); err != nil {
		t.Fatalf("SaveFeedState: %v", err)
	}
	back, err := s.FeedState(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if back.ETag != "\uFFFD" || back.LastErrorMsg != "HTTP 500: \uFFFD\uFFFD" {
		t.Errorf("FeedState = %+v", back)
	}

	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.Enqueue(news.OutboxMessage{Channel: "news", Message: news.Message{Kind: news.KindAlert, Title: "nul\x00"}})
	}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	m, ok, err := s.NextOutbox(ctx, "news")
	if err != nil || !ok || m.Message.Title != "nul\x00" {
		t.Fatalf("NextOutbox = %+v, %v, %v; want the message as enqueued", m, ok, err)
	}
	if err := s.MarkRetry(ctx, m.ID, time.Now(), "error \x00 \xff"); err != nil {
		t.Errorf("MarkRetry: %v", err)
	}
}

// itemsEqual compares items field by field (times by instant).
func itemsEqual(a, b []news.Item) bool {
	return slices.EqualFunc(a, b, func(x, y news.Item) bool {
		return x.ID == y.ID && x.Feed == y.Feed && x.GUID == y.GUID && x.Link == y.Link && x.Title == y.Title &&
			x.Summary == y.Summary && slices.Equal(x.Categories, y.Categories) && x.Author == y.Author &&
			x.Published.Equal(y.Published) && x.FirstSeen.Equal(y.FirstSeen)
	})
}

// TestSearchEdges covers what the full-text index cannot hold as is: words
// longer than a lexeme and items with more words than a tsvector holds.
// Both must stay candidates for the searches that the evaluator would match.
func TestSearchEdges(t *testing.T) {
	s := openTest(t, freshSchema(t), Options{})
	ctx := t.Context()
	long := strings.Repeat("ж", 1500) // 3000 bytes
	var huge strings.Builder
	for i := range 60000 { // 60000 distinct words of 20 bytes: over 1 MB
		fmt.Fprintf(&huge, "w%019d ", i)
	}
	items := []news.Item{
		{GUID: "long", Title: "a " + long + "tail"},
		{GUID: "huge", Title: "huge", Summary: huge.String()},
		{GUID: "plain", Title: "plain words only"},
	}
	if _, err := s.InsertItems(ctx, "a", items); err != nil {
		t.Fatalf("InsertItems: %v", err)
	}
	var unindexed int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM items WHERE fts IS NULL").Scan(&unindexed); err != nil {
		t.Fatal(err)
	}
	if unindexed != 1 {
		t.Errorf("%d items left unindexed, want 1 (the huge one)", unindexed)
	}
	w := func(text string, prefix bool) []store.Word { return []store.Word{{Text: text, Prefix: prefix}} }
	cases := []struct {
		name  string
		words []store.Word
		want  []string // GUIDs, any order
	}{
		{"long word exactly", w(long+"tail", false), []string{"long", "huge"}},
		{"long word by a short prefix", w("жжж", true), []string{"long", "huge"}},
		{"long word by a long prefix", w(long, true), []string{"long", "huge"}},
		{"plain word", w("plain", false), []string{"plain", "huge"}},
		{"a word of the huge item", w("w0000000000000000042", false), []string{"huge"}},
		{"absent word: only the unindexed item", w("absent", false), []string{"huge"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			if err := s.ScanItems(ctx, store.ItemFilter{Words: tc.words}, func(it news.Item) bool {
				got = append(got, it.GUID)
				return true
			}); err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("candidates %v, want %v", got, want)
			}
		})
	}
}

// TestTimesStored checks the bounds and precision of stored times.
func TestTimesStored(t *testing.T) {
	s := openTest(t, freshSchema(t), Options{})
	ctx := t.Context()
	if err := s.SyncFeeds(ctx, []news.Feed{{Name: "a", URL: "https://a.example/rss", Source: news.SourceConfig}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"zero", time.Time{}, time.Time{}},
		{"nanoseconds truncated, UTC", time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("EET", 7200)),
			time.Date(2025, 3, 14, 7, 26, 53, 589793000, time.UTC)},
		{"before 1970", time.Date(1960, 1, 1, 0, 0, 0, 1000, time.UTC), time.Date(1960, 1, 1, 0, 0, 0, 1000, time.UTC)},
		{"far future clamped", time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC), maxTime},
		{"before year 1 clamped, not zero", time.Date(-50, 1, 1, 0, 0, 0, 0, time.UTC), minTime},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.SaveFeedState(ctx, news.FeedState{Feed: "a", LastPoll: tc.in}); err != nil {
				t.Fatalf("SaveFeedState: %v", err)
			}
			st, err := s.FeedState(ctx, "a")
			if err != nil {
				t.Fatal(err)
			}
			if got := st.LastPoll; got != tc.want {
				t.Errorf("stored %v, read back %v (%#v), want %v", tc.in, got, got, tc.want)
			}
			if got := stamp(tc.in); got != tc.want {
				t.Errorf("stamp(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestFTSQuery(t *testing.T) {
	w := func(text string, prefix bool) store.Word { return store.Word{Text: text, Prefix: prefix} }
	long := strings.Repeat("é", 1100) // 2200 bytes, folds to 1100 bytes of e: no cut
	cut := strings.Repeat("ж", 1100)  // 2200 bytes: cut to 1023 runes (2046 bytes)
	cases := []struct {
		name  string
		words []store.Word
		want  string
	}{
		{"none", nil, ""},
		{"one", []store.Word{w("kyiv", false)}, "'kyiv'"},
		{"folded", []store.Word{w("Kyïv", false)}, "'kyiv'"},
		{"prefix and AND", []store.Word{w("zelensk", true), w("talks", false)}, "'zelensk':* & 'talks'"},
		{"operators are text", []store.Word{w(`a' | !b`, false), w("<->", false)}, "'a' & 'b'"},
		{"several folded words: each, the last as the prefix", []store.Word{w("Russia’s", false), w("o'bri", true)},
			"'russia' & 's' & 'o' & 'bri':*"},
		{"nothing indexable is left out", []store.Word{w("--", true), w("x", false)}, "'x'"},
		{"folding shortens below the cut", []store.Word{w(long, false)}, "'" + strings.Repeat("e", 1100) + "'"},
		{"a long word is cut and searched as a prefix", []store.Word{w(cut, false)}, "'" + strings.Repeat("ж", 1023) + "':*"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ftsQuery(tc.words); got != tc.want {
				t.Errorf("ftsQuery = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTSLexemeEscapes(t *testing.T) {
	cases := []struct {
		in     string
		prefix bool
		want   string
	}{
		{"plain", false, "'plain'"},
		{"it's", true, "'it''s':*"},
		{`back\slash`, false, `'back\\slash'`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := tsLexeme(tc.in, tc.prefix); got != tc.want {
				t.Errorf("tsLexeme(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFTSDoc(t *testing.T) {
	cases := []struct {
		name string
		it   news.Item
		want *string
	}{
		{"empty", news.Item{}, ptr("")},
		{"fields folded, distinct, in order", news.Item{Title: "Kyïv talks", Summary: "TALKS in Київ",
			Categories: []string{"Україна", "kyiv"}}, ptr("kyiv talks in киів украіна")},
		{"the longest lexeme kept whole", news.Item{Summary: strings.Repeat("x", 2046) + " y"}, ptr(strings.Repeat("x", 2046) + " y")},
		{"a longer word cut at a rune boundary", news.Item{Title: "a" + strings.Repeat("ж", 1100)},
			ptr("a" + strings.Repeat("ж", 1022))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ftsDoc(tc.it)
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("ftsDoc = %v, want %v", deref(got), deref(tc.want))
			}
		})
	}
	var b strings.Builder
	for i := range 60000 {
		fmt.Fprintf(&b, "w%019d ", i)
	}
	if got := ftsDoc(news.Item{Summary: b.String()}); got != nil {
		t.Errorf("ftsDoc of %d bytes of distinct words = %d bytes, want nil (unindexed)", b.Len(), len(*got))
	}
}

func ptr(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *s)
}

func TestCleanText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"plain ✓", "plain ✓"},
		{"a\x00b", "a\uFFFDb"},
		{"bad \xff\xfe end", "bad \uFFFD end"},
		{"\x00\xc3", "\uFFFD\uFFFD"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			if got := cleanText(tc.in); got != tc.want {
				t.Errorf("cleanText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWithParams(t *testing.T) {
	params := map[string]string{"search_path": "s1", "application_name": "s1"}
	cases := []struct{ name, in, want string }{
		{"url", "postgres://u@h:5/db?sslmode=disable", "postgres://u@h:5/db?application_name=s1&search_path=s1&sslmode=disable"},
		{"key=value", "host=h port=5", "host=h port=5 application_name=s1 search_path=s1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pgtest.WithParams(tc.in, params); got != tc.want {
				t.Errorf("withParams = %q, want %q", got, tc.want)
			}
		})
	}
}
