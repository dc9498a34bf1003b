package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/feeds"
	"github.com/feedwatch/feedwatch/internal/news"
)

// The admin notices (notices.go), tested through the App: a real SQLite
// store, the real poller against an httptest feed server, the real
// dispatcher sending to a console channel (the notices) and to a fake
// Slack, and a clock the test moves past each backoff.

// lockedBuffer is a bytes.Buffer safe to write from the dispatcher and read
// from the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// noticeFeeds serves two feeds: "flaky", failing with a 500 while fail is
// set, and "steady", whose items a test adds.
type noticeFeeds struct {
	mu     sync.Mutex
	fail   bool
	steady []string // RSS items
}

func (f *noticeFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/flaky.xml":
		if f.fail {
			http.Error(w, "upstream exploded", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, noticeRSS(noticeItem("f1", "Flaky news", "https://flaky.example/1", 0)))
	case "/steady.xml":
		io.WriteString(w, noticeRSS(f.steady...))
	default:
		http.NotFound(w, r)
	}
}

func (f *noticeFeeds) setFailing(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

// publish adds an item about talks to the steady feed.
func (f *noticeFeeds) publish(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.steady = append(f.steady, noticeItem(fmt.Sprint("s", n), fmt.Sprintf("Peace talks, day %d", n),
		fmt.Sprintf("https://steady.example/%d", n), n))
}

// noticeRSS is an RSS document of items.
func noticeRSS(items ...string) string {
	return `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>` + strings.Join(items, "") + `</channel></rss>`
}

// noticeItem is an RSS item published hour hours into 1 September 2025.
func noticeItem(guid, title, link string, hour int) string {
	return fmt.Sprintf(`<item><guid>%s</guid><title>%s</title><link>%s</link><pubDate>%s</pubDate></item>`,
		guid, title, link, time.Date(2025, 9, 1, hour, 0, 0, 0, time.UTC).Format(time.RFC1123Z))
}

// noticeSlack is a fake chat.postMessage that answers channel_not_found
// while refuse is set, and counts what it accepts.
type noticeSlack struct {
	mu       sync.Mutex
	refuse   bool
	accepted []string // texts
	refused  int
}

func (s *noticeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if s.refuse {
		s.refused++
		io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
		return
	}
	s.accepted = append(s.accepted, r.PostForm.Get("text"))
	fmt.Fprintf(w, `{"ok":true,"channel":"C0NEWSROOM","ts":"1756700000.%06d"}`, len(s.accepted))
}

func (s *noticeSlack) setRefusing(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

func (s *noticeSlack) counts() (accepted, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accepted), s.refused
}

const noticeConfig = `
timezone: Europe/Kyiv
storage: {dsn: %[1]q}
fetch: {allow_private: true, timeout: 5s}
slack: {token: xoxb-notice-token, api_url: %[2]q}
defaults: {schedule: "@every 10m", max_age: 0}
feeds:
  - {name: flaky, url: %[3]q}
  - {name: steady, url: %[4]q}
topics:
  - {name: talks, query: '"peace talks"'}
channels:
  - {name: newsroom, slack: C0NEWSROOM}
  - {name: ops, console: true}
subscriptions:
  - {channel: newsroom, mode: instant}
%[5]s
`

// noticeEnv is an app with the notices channel given to newNoticeEnv, on a
// database that survives reopen.
type noticeEnv struct {
	t       *testing.T
	cfg     *config.Config
	feeds   *noticeFeeds
	slack   *noticeSlack
	out     *lockedBuffer // the console channel "ops"
	logs    *lockedBuffer
	a       *App
	clockMu sync.Mutex
	clock   time.Time
}

func newNoticeEnv(t *testing.T, noticesLine string) *noticeEnv {
	t.Helper()
	e := &noticeEnv{t: t, feeds: &noticeFeeds{fail: true}, slack: &noticeSlack{}, out: &lockedBuffer{}, logs: &lockedBuffer{},
		clock: time.Date(2025, 9, 1, 9, 0, 0, 0, time.UTC)}
	fsrv := httptest.NewServer(e.feeds)
	t.Cleanup(fsrv.Close)
	ssrv := httptest.NewServer(e.slack)
	t.Cleanup(ssrv.Close)
	text := fmt.Sprintf(noticeConfig, filepath.Join(t.TempDir(), "fw.db"), ssrv.URL+"/", fsrv.URL+"/flaky.xml", fsrv.URL+"/steady.xml", noticesLine)
	cfg, err := config.LoadBytes("test.yaml", []byte(text), config.Options{CheckQuery: func(q string) error {
		_, err := query.Parse(q)
		return err
	}})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e.cfg = cfg
	e.open()
	return e
}

func (e *noticeEnv) now() time.Time {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	return e.clock
}

func (e *noticeEnv) advance(d time.Duration) {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	e.clock = e.clock.Add(d)
}

// open (re)starts the app on the same database.
func (e *noticeEnv) open() {
	e.t.Helper()
	if e.a != nil {
		if err := e.a.Close(); err != nil {
			e.t.Fatalf("close: %v", err)
		}
	}
	a, err := New(context.Background(), Options{Config: e.cfg, Now: e.now, Stdout: e.out,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		e.t.Fatalf("new app: %v", err)
	}
	e.a = a
	e.t.Cleanup(func() { a.Close() })
}

// poll polls every feed once, after the flaky feed's backoff, and sends
// what was queued. Send failures are the test's business, not errors here.
func (e *noticeEnv) poll() {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.a.store.FeedState(ctx, "flaky")
	if err != nil {
		e.t.Fatal(err)
	}
	if st.NextPoll.After(e.now()) {
		e.advance(st.NextPoll.Sub(e.now()))
	}
	_ = e.a.PollAll(ctx) // the flaky feed's failure is expected
	// Twice: a refusal met by the first drain queues a notice to a channel
	// that drain has already been through (the daemon's dispatcher is
	// kicked for it instead).
	for range 2 {
		_ = e.a.dispatcher.Drain(ctx, 0)
	}
}

// noticesSaying counts the notices printed to the console channel whose
// title is title.
func (e *noticeEnv) noticesSaying(title string) int {
	return strings.Count(e.out.String(), title+"\n")
}

func (e *noticeEnv) failures(feed string) int {
	e.t.Helper()
	st, err := e.a.store.FeedState(context.Background(), feed)
	if err != nil {
		e.t.Fatal(err)
	}
	return st.Failures
}

const (
	failingTitle   = "Feed flaky is failing"
	recoveredTitle = "Feed flaky works again"
	refusingTitle  = "Channel newsroom refuses messages"
)

// TestNoticeFeedFailing: a feed that keeps failing is backed off, shown as
// failing in `feeds` and `status`, and after FeedFailureNotice failures in a
// row the admins get one notice for the outage, then one when it recovers,
// across a restart in between; a second outage gets notices of its own.
func TestNoticeFeedFailing(t *testing.T) {
	e := newNoticeEnv(t, "notices: ops")
	start := e.now()
	for i := 1; i < FeedFailureNotice; i++ {
		e.poll()
		if got := e.failures("flaky"); got != i {
			t.Fatalf("after poll %d: %d failures recorded", i, got)
		}
		if n := e.noticesSaying(failingTitle); n != 0 {
			t.Fatalf("after %d failures: %d notices, want none before %d", i, n, FeedFailureNotice)
		}
	}
	// Exponential backoff: the polls were 1, 2 and 4 minutes apart.
	if took, want := e.now().Sub(start), feeds.Backoff(1)+feeds.Backoff(2)+feeds.Backoff(3); took != want {
		t.Errorf("%d failed polls took %v of backoff, want %v", FeedFailureNotice-1, took, want)
	}
	e.poll()
	if n := e.noticesSaying(failingTitle); n != 1 {
		t.Fatalf("after %d failures: %d notices, want 1\n%s", FeedFailureNotice, n, e.out)
	}
	for _, want := range []string{"Its last 5 polls failed, since 1 Sep 12:00 EEST", "500 Internal Server Error", "feeds", "status"} {
		if !strings.Contains(e.out.String(), want) {
			t.Errorf("notice lacks %q:\n%s", want, e.out)
		}
	}
	// The good feed is not held up, and the outage shows in the lookups.
	if accepted, _ := e.slack.counts(); accepted != 0 {
		t.Errorf("newsroom got %d messages with nothing published", accepted)
	}
	e.poll()
	if n := e.noticesSaying(failingTitle); n != 1 {
		t.Errorf("a sixth failure sent another notice (%d in all)", n)
	}
	b := commandBackend{e.a}
	fr, err := b.feeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sr, err := b.status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"feeds": replyText(fr.Message.Intro, fr.Message.Sections), "status": replyText(sr.Message.Intro, sr.Message.Sections)} {
		if !strings.Contains(text, "6 failures in a row") || !strings.Contains(text, "flaky") {
			t.Errorf("%s does not show the failing feed:\n%s", what, text)
		}
	}

	// A restart in the middle of the outage, then the feed works again:
	// the recovery is noticed once, naming when the outage began.
	e.open()
	e.feeds.setFailing(false)
	e.poll()
	if n := e.noticesSaying(recoveredTitle); n != 1 {
		t.Fatalf("after recovery: %d recovery notices, want 1\n%s", n, e.out)
	}
	if !strings.Contains(e.out.String(), "after failing since 1 Sep 12:00 EEST") {
		t.Errorf("recovery notice does not say when the outage began:\n%s", e.out)
	}
	e.advance(time.Hour)
	e.poll()
	if n := e.noticesSaying(recoveredTitle); n != 1 || e.noticesSaying(failingTitle) != 1 {
		t.Errorf("a further success sent more notices:\n%s", e.out)
	}

	// A second outage is a new one: a notice and a recovery of its own.
	e.feeds.setFailing(true)
	for range FeedFailureNotice {
		e.poll()
	}
	e.feeds.setFailing(false)
	e.poll()
	if f, r := e.noticesSaying(failingTitle), e.noticesSaying(recoveredTitle); f != 2 || r != 2 {
		t.Errorf("after a second outage: %d failing and %d recovery notices, want 2 and 2\n%s", f, r, e.out)
	}
	if n, err := e.a.store.OutboxDepth(context.Background()); err != nil || n != 0 {
		t.Errorf("outbox depth %d, %v; want every notice sent", n, err)
	}
}

// replyText is a reply's intro and entries as one text.
func replyText(intro string, secs []news.Section) string {
	var b strings.Builder
	b.WriteString(intro)
	for _, s := range secs {
		for _, en := range s.Entries {
			b.WriteString("\n" + en.Title + " " + strings.Join(en.Notes, " "))
		}
	}
	return b.String()
}

// TestNoticeChannelRefusing: the first message a channel refuses for good
// gets a notice in the notices channel, naming the platform's error; more
// refusals do not; once it works and then refuses again, a new notice.
func TestNoticeChannelRefusing(t *testing.T) {
	e := newNoticeEnv(t, "notices: ops")
	e.feeds.setFailing(false)
	e.slack.setRefusing(true)
	e.feeds.publish(1)
	e.poll()
	if n := e.noticesSaying(refusingTitle); n != 1 {
		t.Fatalf("%d notices of the refusing channel, want 1\n%s", n, e.out)
	}
	if !strings.Contains(e.out.String(), "channel_not_found") {
		t.Errorf("notice does not name the platform's error:\n%s", e.out)
	}
	e.feeds.publish(2)
	e.advance(time.Minute)
	e.poll()
	if _, refused := e.slack.counts(); refused != 2 {
		t.Fatalf("Slack refused %d messages, want 2", refused)
	}
	if n := e.noticesSaying(refusingTitle); n != 1 {
		t.Errorf("a second refusal sent another notice (%d in all)", n)
	}

	// It works again, then refuses again: a new notice, also after a
	// restart in between (the refusal is remembered, and so is its end).
	e.slack.setRefusing(false)
	e.feeds.publish(3)
	e.advance(time.Minute)
	e.poll()
	if accepted, _ := e.slack.counts(); accepted != 1 {
		t.Fatalf("Slack accepted %d messages after recovering, want 1", accepted)
	}
	e.open()
	e.slack.setRefusing(true)
	e.feeds.publish(4)
	e.advance(time.Minute)
	e.poll()
	if n := e.noticesSaying(refusingTitle); n != 2 {
		t.Errorf("%d notices after a second refusal, want 2\n%s", n, e.out)
	}
}

// TestNoticeChannelRefusingAcrossRestart: a refusal noticed before a
// restart is not noticed again after it while the channel still refuses.
func TestNoticeChannelRefusingAcrossRestart(t *testing.T) {
	e := newNoticeEnv(t, "notices: ops")
	e.feeds.setFailing(false)
	e.slack.setRefusing(true)
	e.feeds.publish(1)
	e.poll()
	e.open()
	e.feeds.publish(2)
	e.advance(time.Minute)
	e.poll()
	if _, refused := e.slack.counts(); refused != 2 {
		t.Fatalf("Slack refused %d messages, want 2", refused)
	}
	if n := e.noticesSaying(refusingTitle); n != 1 {
		t.Errorf("%d notices, want 1: the refusal was already noticed before the restart", n)
	}
}

// TestNoticeWhenTheNoticesChannelFails: notices to a channel that refuses
// them are logged, and its own refusal does not queue notices to itself.
func TestNoticeWhenTheNoticesChannelFails(t *testing.T) {
	e := newNoticeEnv(t, "notices: newsroom")
	e.slack.setRefusing(true)
	for range FeedFailureNotice {
		e.poll()
	}
	_, refused := e.slack.counts()
	if refused != 1 {
		t.Errorf("the notices channel was sent %d messages, want the one feed notice", refused)
	}
	if !strings.Contains(e.logs.String(), "the notices channel refuses messages") {
		t.Errorf("the refusing notices channel was not logged:\n%s", e.logs)
	}
	if n, err := e.a.store.OutboxDepth(context.Background()); err != nil || n != 0 {
		t.Errorf("outbox depth %d, %v; want nothing left queued", n, err)
	}
}

// TestNoNoticesWithoutAChannel: without `notices`, nothing is queued and
// nothing is kept for notices.
func TestNoNoticesWithoutAChannel(t *testing.T) {
	e := newNoticeEnv(t, "")
	if e.a.notices != nil {
		t.Fatal("notices set up without a notices channel")
	}
	for range FeedFailureNotice + 1 {
		e.poll()
	}
	if out := e.out.String(); out != "" {
		t.Errorf("console got %q without a notices channel", out)
	}
	if v, ok, err := e.a.store.GetMeta(context.Background(), feedNoticeMeta+"flaky"); err != nil || ok {
		t.Errorf("outage state %q, %v, %v kept without a notices channel", v, ok, err)
	}
}
