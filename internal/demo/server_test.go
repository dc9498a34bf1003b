package demo

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
)

// demoNow is a fixed clock far from the dates written in the files, with a
// fraction of a second to prove the offset stays whole seconds.
var demoNow = time.Date(2031, time.March, 4, 5, 6, 7, 500e6, time.UTC)

// startTest starts a demo server that the test stops at its end.
func startTest(t *testing.T, now time.Time) *server {
	t.Helper()
	s, err := start(t.Context(), func() time.Time { return now }, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(s.stop)
	return s
}

// get fetches path from the server with the given request headers.
func get(t *testing.T, method, rawURL string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", rawURL, err)
	}
	return resp, body
}

func parseFeed(t *testing.T, name string, body []byte) *gofeed.Feed {
	t.Helper()
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return f
}

// itemText is everything of an item a topic query searches, as gofeed gives it.
func itemText(it *gofeed.Item) string {
	return strings.Join(append([]string{it.Title, it.Description, it.Content}, it.Categories...), "\n")
}

func TestServedFeedsParse(t *testing.T) {
	s := startTest(t, demoNow)
	tests := []struct {
		name        string
		wantType    string
		wantItems   int
		wantCharset string
		wantTitle   string
		wantText    []string // must appear, decoded, in some item
	}{
		{"kyiv-ledger", "rss", 12, "utf-8", "Kyiv Ledger: Wire",
			[]string{"Kremlin says no decision yet as Trump's September 2 deadline nears", `"Article 5-like"`}},
		{"euro-policy-desk", "atom", 10, "utf-8", "Euro Policy Desk",
			[]string{"Kremlin says no decision yet as Trump's Sept. 2 deadline nears", "Élysée"}},
		{"global-markets-brief", "json", 10, "", "Global Markets Brief",
			[]string{"Indian refiners keep Russian crude flowing despite 50% US tariff", "Turkey"}},
		{"rheinufer-abendblatt", "rss", 9, "iso-8859-1", "Rheinufer Abendblatt - Politik",
			[]string{"Außenminister beraten über Sanktionen gegen Käufer russischen Öls",
				"Bundesregierung pocht auf »belastbare« Sicherheitsgarantien", "rund 6 €", "bis zu 29 °C", "Selenskyj"}},
		{"lakeside-gazette", "rss", 10, "utf-8", "Lakeside Gazette",
			[]string{"Football: rival fan groups open peace talks after derby violence"}},
	}
	if len(tests) != len(samples) {
		t.Fatalf("test covers %d feeds, %d are served", len(tests), len(samples))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fi := Feeds()[i]
			if fi.Name != tt.name {
				t.Fatalf("Feeds()[%d].Name = %q, want %q", i, fi.Name, tt.name)
			}
			resp, body := get(t, http.MethodGet, s.baseURL+fi.Path, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", fi.Path, resp.StatusCode)
			}
			ct := resp.Header.Get("Content-Type")
			wantCT := map[string]string{"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}[tt.wantType]
			if tt.wantCharset != "" {
				wantCT += "; charset=" + tt.wantCharset
			}
			if ct != wantCT {
				t.Errorf("Content-Type = %q, want %q", ct, wantCT)
			}
			if tt.wantCharset == "iso-8859-1" && utf8.Valid(body) {
				t.Errorf("%s is served as valid UTF-8; it must be genuinely ISO-8859-1 encoded", fi.Path)
			}

			feed := parseFeed(t, tt.name, body)
			if feed.FeedType != tt.wantType {
				t.Errorf("feed type = %q, want %q", feed.FeedType, tt.wantType)
			}
			if feed.Title != tt.wantTitle || fi.Title != tt.wantTitle {
				t.Errorf("title = %q, Feeds() title = %q, want %q", feed.Title, fi.Title, tt.wantTitle)
			}
			if len(feed.Items) != tt.wantItems {
				t.Errorf("items = %d, want %d", len(feed.Items), tt.wantItems)
			}
			var all strings.Builder
			for _, it := range feed.Items {
				text := itemText(it)
				if !utf8.ValidString(text) || strings.ContainsRune(text, utf8.RuneError) {
					t.Errorf("item %q: text is not clean UTF-8", it.Title)
				}
				if it.Title == "" || it.Link == "" {
					t.Errorf("item %q has no title or link (link %q)", it.Title, it.Link)
				}
				all.WriteString(text)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(all.String(), want) {
					t.Errorf("no item contains %q", want)
				}
			}
		})
	}
}

func TestDatesMovedToNow(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
	}{
		{"far future", demoNow},
		{"before the files were written", time.Date(2024, time.January, 1, 0, 0, 0, 0, time.FixedZone("", 5*3600))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startTest(t, tt.now)
			var offset time.Duration
			var newest time.Time
			undated := 0
			// check compares one original date with its served form: every
			// date of every feed must move by the same whole-second offset.
			check := func(what string, orig, served *time.Time) {
				t.Helper()
				if (orig == nil) != (served == nil) {
					t.Errorf("%s: original date %v, served %v", what, orig, served)
					return
				}
				if orig == nil {
					return
				}
				d := served.Sub(*orig)
				if offset == 0 {
					offset = d
				} else if d != offset {
					t.Errorf("%s moved by %v, other dates by %v", what, d, offset)
				}
				if served.After(newest) {
					newest = *served
				}
			}
			for _, smp := range samples {
				raw, err := smp.raw()
				if err != nil {
					t.Fatal(err)
				}
				orig := parseFeed(t, smp.name, raw)
				_, body := get(t, http.MethodGet, s.baseURL+smp.path, nil)
				served := parseFeed(t, smp.name, body)
				check(smp.name+" feed updated", orig.UpdatedParsed, served.UpdatedParsed)
				check(smp.name+" feed published", orig.PublishedParsed, served.PublishedParsed)
				for i, it := range served.Items {
					check(smp.name+" "+it.Title, orig.Items[i].PublishedParsed, it.PublishedParsed)
					check(smp.name+" "+it.Title+" (updated)", orig.Items[i].UpdatedParsed, it.UpdatedParsed)
					if it.PublishedParsed == nil && it.UpdatedParsed == nil {
						undated++
					}
				}
				// Nothing but the dates may change: the bytes around them,
				// including every ISO-8859-1 byte, are served as written.
				re := datePatterns[smp.format]
				if !bytes.Equal(re.ReplaceAll(raw, nil), re.ReplaceAll(body, nil)) {
					t.Errorf("%s: served bytes differ from the file outside the dates", smp.name)
				}
			}
			if offset%time.Second != 0 {
				t.Errorf("offset %v is not whole seconds", offset)
			}
			if lag := tt.now.Sub(newest); lag < 0 || lag > 10*time.Minute {
				t.Errorf("newest date %v is %v before now %v, want within 10m", newest, lag, tt.now)
			}
			if undated != 1 {
				t.Errorf("%d undated items, want the one written without a date", undated)
			}
		})
	}
}

func TestWeekdaysAgreeAfterMove(t *testing.T) {
	s := startTest(t, demoNow)
	pubDate := regexp.MustCompile(`<pubDate>([^<]*)</pubDate>`)
	for _, smp := range samples {
		if smp.format != formatRSS {
			continue
		}
		t.Run(smp.name, func(t *testing.T) {
			_, body := get(t, http.MethodGet, s.baseURL+smp.path, nil)
			ms := pubDate.FindAllSubmatch(body, -1)
			if len(ms) == 0 {
				t.Fatal("no pubDate served")
			}
			for _, m := range ms {
				v := string(m[1])
				layout := time.RFC1123Z
				if strings.HasSuffix(v, "GMT") {
					layout = time.RFC1123
				}
				// time.Parse ignores the weekday, so it can be checked against the date.
				pt, err := time.Parse(layout, v)
				if err != nil {
					t.Fatalf("served pubDate %q: %v", v, err)
				}
				if v[:3] != pt.Format("Mon") {
					t.Errorf("served pubDate %q: that day is a %s", v, pt.Format("Monday"))
				}
			}
		})
	}
}

func TestConditionalGet(t *testing.T) {
	s := startTest(t, demoNow)
	tests := []struct {
		name       string
		method     string
		header     func(etag, lastModified string) http.Header
		wantStatus int
		wantBody   bool
	}{
		{"unconditional", http.MethodGet, func(string, string) http.Header { return nil }, http.StatusOK, true},
		{"same etag", http.MethodGet, func(etag, _ string) http.Header {
			return http.Header{"If-None-Match": {etag}}
		}, http.StatusNotModified, false},
		{"other etag", http.MethodGet, func(string, string) http.Header {
			return http.Header{"If-None-Match": {`"stale"`}}
		}, http.StatusOK, true},
		{"same last-modified", http.MethodGet, func(_, lm string) http.Header {
			return http.Header{"If-Modified-Since": {lm}}
		}, http.StatusNotModified, false},
		{"older last-modified", http.MethodGet, func(_, lm string) http.Header {
			mod, _ := http.ParseTime(lm)
			return http.Header{"If-Modified-Since": {mod.Add(-time.Hour).Format(http.TimeFormat)}}
		}, http.StatusOK, true},
		{"head", http.MethodHead, func(string, string) http.Header { return nil }, http.StatusOK, false},
	}
	for _, smp := range samples {
		t.Run(smp.name, func(t *testing.T) {
			first, body := get(t, http.MethodGet, s.baseURL+smp.path, nil)
			etag, lm := first.Header.Get("ETag"), first.Header.Get("Last-Modified")
			if etag == "" || lm == "" {
				t.Fatalf("ETag %q, Last-Modified %q: both are required", etag, lm)
			}
			var newest time.Time
			feed := parseFeed(t, smp.name, body)
			dates := []*time.Time{feed.UpdatedParsed, feed.PublishedParsed}
			for _, it := range feed.Items {
				dates = append(dates, it.PublishedParsed, it.UpdatedParsed)
			}
			for _, d := range dates {
				if d != nil && d.After(newest) {
					newest = *d
				}
			}
			if mod, err := http.ParseTime(lm); err != nil || !mod.Equal(newest) || mod.After(demoNow) {
				t.Errorf("Last-Modified %q (%v): want the feed's newest moved date %v, not after now", lm, err, newest)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					resp, got := get(t, tt.method, s.baseURL+smp.path, tt.header(etag, lm))
					if resp.StatusCode != tt.wantStatus {
						t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
					}
					if tt.wantBody && !bytes.Equal(got, body) {
						t.Errorf("body differs from the first response")
					}
					if !tt.wantBody && len(got) != 0 {
						t.Errorf("got a %d-byte body, want none", len(got))
					}
					if e := resp.Header.Get("ETag"); e != etag {
						t.Errorf("ETag %q, want the stable %q", e, etag)
					}
				})
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	s := startTest(t, demoNow)
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantAllow  string
	}{
		{"index", http.MethodGet, "/", http.StatusOK, ""},
		{"unknown feed", http.MethodGet, "/kyiv-post.xml", http.StatusNotFound, ""},
		{"post to a feed", http.MethodPost, "/kyiv-ledger.xml", http.StatusMethodNotAllowed, "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, tt.method, s.baseURL+tt.path, nil)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
			if tt.path == "/" {
				for _, f := range Feeds() {
					if !strings.Contains(string(body), f.Name) || !strings.Contains(string(body), f.Path) {
						t.Errorf("index does not list %s at %s:\n%s", f.Name, f.Path, body)
					}
				}
			}
		})
	}
}

func TestStop(t *testing.T) {
	tests := []struct {
		name string
		halt func(t *testing.T, s *server, cancel context.CancelFunc)
	}{
		{"stop, twice", func(_ *testing.T, s *server, _ context.CancelFunc) { s.stop(); s.stop() }},
		{"context cancelled", func(t *testing.T, s *server, cancel context.CancelFunc) {
			cancel()
			select {
			case <-s.done:
			case <-time.After(10 * time.Second):
				t.Fatal("server still serving 10s after its context was cancelled")
			}
			s.stop()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			s, err := start(ctx, func() time.Time { return demoNow }, WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			if resp, _ := get(t, http.MethodGet, s.baseURL+"/lakeside-gazette.xml", nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("before stop: status %d", resp.StatusCode)
			}
			http.DefaultClient.CloseIdleConnections()
			tt.halt(t, s, cancel)
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.baseURL+"/lakeside-gazette.xml", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				t.Fatalf("after stop: got status %d, want the connection refused", resp.StatusCode)
			}
		})
	}
}

func TestServeReturnsWorkingBaseURL(t *testing.T) {
	base, stop, err := Serve(t.Context(), func() time.Time { return demoNow }, WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	defer stop()
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != "" {
		t.Fatalf("base URL %q (%v): want http://127.0.0.1:PORT", base, err)
	}
	for _, p := range Paths() {
		if resp, _ := get(t, http.MethodGet, base+p, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", p, resp.StatusCode)
		}
	}
	if !slices.Equal(Paths(), []string{"/kyiv-ledger.xml", "/euro-policy-desk.atom", "/global-markets-brief.json", "/rheinufer-abendblatt.xml", "/lakeside-gazette.xml"}) {
		t.Errorf("Paths() = %v: the demo config and the package doc name these paths; change all three together", Paths())
	}
}
