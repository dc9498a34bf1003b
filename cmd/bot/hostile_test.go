package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// TestHostileWorld is the acceptance run, on the real binary: every
// kind of hostile feed polled beside a good one; a chat outage with a kill
// -9 in the middle; then a burst of 429s (Slack's Retry-After, Discord's
// retry_after for a route and for the whole bot); then slow sends with
// SIGTERM at the bot; then a last start. Every expected message is
// delivered, none doubled beyond the rule (Slack: one repeat per send cut
// off; Discord: none), no request is made before its retry time, nothing
// crashes, and the daemon's memory stays bounded.
func TestHostileWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of daemon runs")
	}
	const startup = 2 * time.Minute
	feeds := newFeedServer(t)
	hostile := newHostileFeeds(t)
	chat := newCrashChat(t, crashSeed)
	vars := map[string]string{
		"FW_TEST_DB":          t.TempDir() + "/feedwatch.db",
		"FW_TEST_FEEDS":       feeds.URL(),
		"FW_TEST_HOSTILE":     hostile.URL,
		"FW_TEST_SLACK_API":   chat.srv.URL + "/slack/api/",
		"FW_TEST_DISCORD_API": chat.srv.URL + "/discord/api/v10",
		"SLACK_BOT_TOKEN":     slackToken,
		"DISCORD_BOT_TOKEN":   discordToken,
	}
	channels := map[string]string{newsroom: "slack", warRoom: "discord", opsRoom: "discord"}
	good := []item{
		{ID: "good-1", Title: "Ceasefire talks open in Geneva", Link: "https://kyivwire.example/geneva?utm_source=rss",
			Canonical: "https://kyivwire.example/geneva", Published: at(9, 0)},
		{ID: "good-2", Title: "Ceasefire holds overnight", Link: "https://kyivwire.example/overnight", Published: at(9, 30)},
	}
	feeds.replace(kyivWirePath, good...)
	want := slices.Concat(good, hostileGoodItems)
	var logs []string
	var peaks []int64
	stop := func(d *daemon, how func()) {
		t.Helper()
		if rss, ok := peakRSSOf(d.cmd.Process.Pid); ok {
			peaks = append(peaks, rss)
		}
		how()
		logs = append(logs, d.stderr.String())
	}

	// 1. Chat is down: every post fails with a 5xx. The first poll meets
	// every hostile feed; the alerts wait in the outbox. Killed with -9
	// during the outage. (Each failed attempt doubles the backoff, which
	// the 429s below add to: the test keeps the attempts few.)
	chat.setFault(func(platform, _ string) *crashFault {
		if platform == "slack" {
			return &crashFault{status: http.StatusInternalServerError, body: "upstream error"}
		}
		return &crashFault{status: http.StatusBadGateway, body: "<html>502 Bad Gateway</html>"}
	})
	chat.nextStart()
	d := startDaemonWith(t, hostileConfig, vars)
	waitFor(t, d, startup, "a failed send to every channel", func() bool {
		for ch := range channels {
			if !slices.ContainsFunc(chat.callLog(), func(c crashCall) bool { return c.channel == ch && c.status >= 500 }) {
				return false
			}
		}
		return true
	})
	stop(d, func() { killDaemon(t, d) })
	if n := len(chat.to(newsroom)) + len(chat.to(warRoom)) + len(chat.to(opsRoom)); n != 0 {
		t.Fatalf("%d messages created while chat was down", n)
	}

	// 2. Chat is back, rate-limiting: the first two posts to each
	// channel get a 429; ops-room's are Discord's global limit, which
	// holds war-room back too. Then every send is slow.
	var mu sync.Mutex
	refused := map[string]int{}
	chat.setFault(func(platform, channel string) *crashFault {
		mu.Lock()
		defer mu.Unlock()
		if refused[channel] >= 2 {
			return nil
		}
		refused[channel]++
		switch channel {
		case newsroom:
			return &crashFault{status: http.StatusTooManyRequests, retry: 2 * time.Second,
				header: map[string]string{"Retry-After": "2"}, body: `{"ok":false,"error":"ratelimited"}`}
		case warRoom:
			return &crashFault{status: http.StatusTooManyRequests, retry: 1500 * time.Millisecond,
				header: map[string]string{"Retry-After": "2", "X-RateLimit-Scope": "shared"},
				body:   `{"message":"You are being rate limited.","retry_after":1.5,"global":false}`}
		default:
			return &crashFault{status: http.StatusTooManyRequests, retry: 2500 * time.Millisecond, global: true,
				header: map[string]string{"Retry-After": "3", "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"},
				body:   `{"message":"You are being rate limited.","retry_after":2.5,"global":true}`}
		}
	})
	chat.nextStart()
	d = startDaemonWith(t, hostileConfig, vars)
	waitFor(t, d, startup, "every alert after the outage and the 429s", func() bool {
		return chat.has(newsroom, want) && chat.has(warRoom, want) && chat.has(opsRoom, want)
	})
	stop(d, func() { d.terminate(t, syscall.SIGTERM) })

	// 3. New items, and sends that hang: SIGTERM. The daemon exits cleanly
	// within 15 seconds (terminate checks both).
	chat.setFault(nil)
	late := item{ID: "good-3", Title: "Ceasefire extended by a week", Link: "https://kyivwire.example/extended", Published: at(12, 0)}
	feeds.publish(kyivWirePath, late)
	want = append(want, late)
	chat.setHang(true)
	sent := chat.requestCount()
	chat.nextStart()
	d = startDaemonWith(t, hostileConfig, vars)
	waitFor(t, d, startup, "the new alert's sends to hang", func() bool { return chat.requestCount() >= sent+len(channels) })
	stop(d, func() { d.terminate(t, syscall.SIGTERM) })

	// 4. A last start delivers what the hung sends left.
	chat.setHang(false)
	sent = chat.requestCount()
	chat.nextStart()
	d = startDaemonWith(t, hostileConfig, vars)
	waitFor(t, d, startup, "every alert after the last start", func() bool {
		return chat.requestCount() > sent && chat.has(newsroom, want) && chat.has(warRoom, want) && chat.has(opsRoom, want)
	})
	stop(d, func() { d.terminate(t, syscall.SIGTERM) })

	// Delivered, each once (Slack: one repeat per send cut off, by the
	// kill and by the stop; Discord: none).
	checkDelivery(t, chat.to(newsroom), want, 2)
	checkDelivery(t, chat.to(warRoom), want, 0)
	checkDelivery(t, chat.to(opsRoom), want, 0)
	for ch := range channels {
		checkHostileText(t, ch, chat.to(ch))
	}
	// No request before the time a 429 named.
	checkRetryTimes(t, chat.callLog())
	// Every hostile feed failed on its own, named in the log.
	all := strings.Join(logs, "\n")
	for _, f := range hostileFailures {
		if !strings.Contains(all, `feed=`+f.feed+` `) || !strings.Contains(all, f.err) {
			t.Errorf("the log does not show %s failing with %q", f.feed, f.err)
		}
	}
	for i, l := range logs {
		for _, bad := range []string{"panic:", "DATA RACE", "database is locked", slackToken, discordToken} {
			if strings.Contains(l, bad) {
				t.Errorf("run %d logged %q", i+1, bad)
			}
		}
	}
	// Memory, as the kernel counts it (the race detector's shadow memory
	// inflates it, so it is judged without the detector only).
	t.Logf("peak resident memory of each run: %v MiB", mib(peaks))
	if !slices.Contains(buildFlags, "-race") {
		for i, p := range peaks {
			if p >= 300<<20 {
				t.Errorf("run %d peaked at %d MiB resident, want under 300", i+1, p>>20)
			}
		}
	}
}

// hostileConfig is the config of TestHostileWorld.
const hostileConfig = "testdata/hostile.yaml"

// opsRoom is the second Discord channel of testdata/hostile.yaml.
const opsRoom = "998877665544332211"

// hostileGoodItems are the items of hostile feeds that must still be
// delivered: entities left unexpanded, a legacy charset decoded, control
// characters dropped, a flood cut to its newest items, dates made sane.
var hostileGoodItems = []item{
	{ID: "laughs-1", Title: "Ceasefire &lol9; laughs", Link: "https://laughs.example/1"},
	{ID: "uk-1", Title: "Перемир'я: ceasefire у Києві", Link: "https://kyiv.example/1"},
	{ID: "bad-1", Title: "Ceasefire talks resume", Link: "https://bytes.example/1"},
	{ID: "big-0", Title: "Ceasefire declared in the flood", Link: "https://big.example/0"},
	{ID: "d1", Title: "Ceasefire from the future", Link: "https://dates.example/future"},
	{ID: "d2", Title: "Ceasefire someday", Link: "https://dates.example/someday"},
}

// hostileFailures are the feeds that must fail, and a word of their error.
var hostileFailures = []struct{ feed, err string }{
	{"stalled", "timed out"},
	{"fifty-megabytes", "too large"},
	{"gzip-bomb", "too large"},
	{"broken-xml", "invalid XML feed"},
	{"html-page", "HTML page"},
	{"server-error", "500"},
	{"redirect-loop", "redirect loop"},
	{"rate-limited", "429"},
	{"unavailable", "503"},
}

// newHostileFeeds serves the hostile feeds of testdata/hostile.yaml.
// Documents are served with an ETag, so that the daemon's later polls are
// conditional, as they would be in production.
func newHostileFeeds(t *testing.T) *httptest.Server {
	hourAgo := at(8, 0)
	entry := func(guid, title, link string, pub time.Time) string {
		return fmt.Sprintf(`<item><guid>%s</guid><title>%s</title><link>%s</link><pubDate>%s</pubDate></item>`, guid, title, link, pub.Format(time.RFC1123Z))
	}
	rss := func(items ...string) string {
		return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>` + strings.Join(items, "") + `</channel></rss>`
	}
	var laughs strings.Builder
	laughs.WriteString(`<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&laughs, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	cp1251, err := charmap.Windows1251.NewEncoder().String(`<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>Новини</title>` +
		entry("uk-1", "Перемир'я: ceasefire у Києві", "https://kyiv.example/1", hourAgo) + `</channel></rss>`)
	if err != nil {
		t.Fatal(err)
	}
	var big strings.Builder
	big.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>`)
	big.WriteString(entry("big-0", "Ceasefire declared in the flood", "https://big.example/0", time.Now().Add(time.Hour)))
	for i := 1; i < 100_000; i++ {
		fmt.Fprintf(&big, `<item><guid>b%d</guid><title>filler %d</title></item>`, i, i)
	}
	big.WriteString(`</channel></rss>`)
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	bomb := bytes.Repeat(member.Bytes(), 1024) // 1 MiB that inflates to 1 GiB

	static := map[string]string{
		"/broken-xml":     rss(`<item><title>Ceasefire</title></chan`),
		"/billion-laughs": `<?xml version="1.0"?><!DOCTYPE rss [` + laughs.String() + `]><rss version="2.0"><channel><title>&lol9;</title>` + entry("laughs-1", "Ceasefire &lol9; laughs", "https://laughs.example/1", hourAgo) + `</channel></rss>`,
		"/windows-1251":   cp1251,
		"/bad-bytes": rss(entry("bad-1", "Ceasefire\x01 talks &#x1b;resume\u202e", "https://bytes.example/1", hourAgo),
			entry("bad-2", "Cease\xff\xfefire over", "https://bytes.example/2", hourAgo)),
		"/script-link": rss(entry("js-1", "Ceasefire: click for the text", "javascript:alert(document.cookie)", hourAgo),
			entry("js-2", "Ceasefire map", " JaVaScRiPt:fetch('//evil.example/')", hourAgo)),
		"/hundred-thousand": big.String(),
		"/odd-dates": rss(`<item><guid>d1</guid><title>Ceasefire from the future</title><link>https://dates.example/future</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>`,
			`<item><guid>d2</guid><title>Ceasefire someday</title><link>https://dates.example/someday</link><pubDate>someday soon</pubDate></item>`),
	}
	mux := http.NewServeMux()
	for path, doc := range static {
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(doc)))
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", etag)
			w.Header().Set("Content-Type", "application/rss+xml") // no charset, whatever the document
			fmt.Fprint(w, doc)
		})
	}
	mux.HandleFunc("/stalled", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/fifty-megabytes", func(w http.ResponseWriter, _ *http.Request) {
		chunk := bytes.Repeat([]byte("<!-- padding -->\n"), 4096)
		for sent := 0; sent < 50<<20; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/gzip-bomb", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	})
	mux.HandleFunc("/html-page", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!DOCTYPE html><html><body><p>Ceasefire news moved.</p></body></html>")
	})
	mux.HandleFunc("/server-error", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) })
	mux.HandleFunc("/redirect-loop", func(w http.ResponseWriter, r *http.Request) {
		next := "/redirect-loop?hop=b"
		if r.URL.Query().Get("hop") == "b" {
			next = "/redirect-loop?hop=a"
		}
		http.Redirect(w, r, next, http.StatusFound)
	})
	mux.HandleFunc("/rate-limited", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	mux.HandleFunc("/unavailable", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat))
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// checkHostileText checks what reached a channel of the hostile feeds'
// text: the items whose links were javascript: shown, and not as links;
// no script link, control character or filler anywhere.
func checkHostileText(t *testing.T, channel string, posts []crashPost) {
	t.Helper()
	var all strings.Builder
	for _, p := range posts {
		all.WriteString(p.raw + "\n")
	}
	text := all.String()
	for _, title := range []string{"Ceasefire: click for the text", "Ceasefire map"} {
		if !strings.Contains(readable(text), title) {
			t.Errorf("%s: %q was not delivered", channel, title)
		}
		if strings.Contains(text, "|"+title+">") || strings.Contains(readable(text), "["+title+"](") {
			t.Errorf("%s: %q is shown as a link", channel, title)
		}
	}
	lower := strings.ToLower(text)
	for _, bad := range []string{"javascript:", "evil.example", "filler", "lollol", "\x01", "\x1b", "\u202e"} {
		if strings.Contains(lower, bad) {
			t.Errorf("%s: messages carry %q", channel, bad)
		}
	}
}

// checkRetryTimes checks that no post came before the time a 429 named:
// for its channel, and for every Discord channel after a global limit.
// A post to another channel that arrives within inFlight of a global 429
// was sent before the bot could have read it (each channel sends on its
// own), so the global limit binds the others only after that.
func checkRetryTimes(t *testing.T, calls []crashCall) {
	t.Helper()
	const inFlight = 100 * time.Millisecond
	notBefore := map[string]time.Time{}
	var global crashCall // the last global 429
	limited := 0
	for _, c := range calls {
		if nb := notBefore[c.channel]; c.at.Before(nb) {
			t.Errorf("%s post to %s %v before the time its 429 named", c.platform, c.channel, nb.Sub(c.at))
		}
		if c.platform == "discord" && c.at.Before(global.notBefore) && (c.channel == global.channel || c.at.Sub(global.at) > inFlight) {
			t.Errorf("discord post to %s %v before the end of the global rate limit", c.channel, global.notBefore.Sub(c.at))
		}
		if !c.notBefore.IsZero() {
			limited++
			notBefore[c.channel] = c.notBefore
			if c.global {
				global = c
			}
		}
	}
	if limited == 0 {
		t.Error("no 429 was answered: nothing was checked")
	}
}

// peakRSSOf returns the peak resident memory of process pid (Linux's
// VmHWM).
func peakRSSOf(pid int) (int64, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
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

func mib(bs []int64) []int64 {
	out := make([]int64, len(bs))
	for i, b := range bs {
		out[i] = b >> 20
	}
	return out
}
