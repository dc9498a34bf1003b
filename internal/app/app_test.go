package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/app"
)

// feedServer serves RSS documents by path with ETag support, and counts
// requests and conditional hits.
type feedServer struct {
	mu          sync.Mutex
	docs        map[string]string
	requests    map[string]int
	notModified map[string]int
}

func newFeedServer(t *testing.T, docs map[string]string) (*feedServer, *httptest.Server) {
	fs := &feedServer{docs: docs, requests: map[string]int{}, notModified: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		doc, ok := fs.docs[r.URL.Path]
		fs.requests[r.URL.Path]++
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"%x"`, len(doc))
		if r.Header.Get("If-None-Match") == etag {
			fs.notModified[r.URL.Path]++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, doc)
	}))
	t.Cleanup(srv.Close)
	return fs, srv
}

func (fs *feedServer) set(path, doc string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.docs[path] = doc
}

func rss(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test</title><link>https://news.example/</link>` +
		strings.Join(items, "") + `</channel></rss>`
}

func rssItem(guid, title, link, desc string, pub time.Time) string {
	return fmt.Sprintf(`<item><guid>%s</guid><title>%s</title><link>%s</link><description>%s</description><pubDate>%s</pubDate></item>`,
		guid, title, link, desc, pub.Format(time.RFC1123Z))
}

// chatServer fakes Slack's Web API, Discord's REST API and both webhooks,
// recording what each received.
type chatServer struct {
	mu      sync.Mutex
	slack   []map[string]string // chat.postMessage forms
	discord []map[string]any    // channel message bodies, with "channel_id"
	slackWH []map[string]any
	discWH  []map[string]any
}

func newChatServer(t *testing.T) (*chatServer, *httptest.Server) {
	cs := &chatServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/api/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		// slack-go sends the token in the form for chat.postMessage.
		if r.Header.Get("Authorization") != "Bearer xoxb-test-token" && r.PostForm.Get("token") != "xoxb-test-token" {
			t.Errorf("slack request without the bot token")
		}
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		cs.mu.Lock()
		cs.slack = append(cs.slack, form)
		cs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, form["channel"], len(cs.slack))
	})
	mux.HandleFunc("POST /discord/api/v10/channels/{id}/messages", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bot discord-test-token" {
			t.Errorf("discord auth header = %q", r.Header.Get("Authorization"))
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		body["channel_id"] = r.PathValue("id")
		cs.mu.Lock()
		cs.discord = append(cs.discord, body)
		n := len(cs.discord)
		cs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"%d","channel_id":%q,"content":""}`, 1000+n, r.PathValue("id"))
	})
	mux.HandleFunc("POST /hooks/slack", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		cs.mu.Lock()
		cs.slackWH = append(cs.slackWH, body)
		cs.mu.Unlock()
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /hooks/discord", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("wait") != "true" {
			t.Errorf("discord webhook without wait=true")
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		cs.mu.Lock()
		cs.discWH = append(cs.discWH, body)
		cs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"1"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return cs, srv
}

func (cs *chatServer) counts() (slack, discord, slackWH, discWH int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.slack), len(cs.discord), len(cs.slackWH), len(cs.discWH)
}

const configTmpl = `
timezone: Europe/Kyiv
storage: {driver: sqlite, dsn: %[1]q}
fetch: {allow_private: true, timeout: 5s}
slack: {token: xoxb-test-token, api_url: %[2]q}
discord: {token: discord-test-token, application_id: "1", api_url: %[3]q}
defaults: {max_age: 0}
feeds:
  - {name: wire, url: %[4]q}
  - {name: agency, url: %[5]q}
topics:
  - name: talks
    query: '"peace talks" (Putin OR Zelensky*) -football'
  - name: oil
    query: '"Russian oil" (India OR China OR Turkey)'
channels:
  - {name: newsroom, slack: C0NEWS}
  - {name: war-room, discord: "112233445566778899"}
  - {name: hook-s, slack_webhook: %[6]q}
  - {name: hook-d, discord_webhook: %[7]q}
  - {name: digest-room, slack: C0DIGEST}
subscriptions:
  - {channel: newsroom, topics: [talks], mode: instant}
  - {channel: war-room, mode: instant}
  - {channel: hook-s, topics: [oil], mode: instant}
  - {channel: hook-d, topics: [oil], mode: instant}
  - {channel: digest-room, mode: digest, schedule: "0 8 * * *"}
`

type env struct {
	cfg   *config.Config
	feeds *feedServer
	chat  *chatServer
	fsrv  *httptest.Server
	now   time.Time
}

func setup(t *testing.T) *env {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	fs, fsrv := newFeedServer(t, map[string]string{
		"/wire.xml": rss(
			rssItem("w1", "Putin rejects peace talks with Zelensky", "https://news.example/a?utm_source=rss", "Kremlin says no.", now.Add(-2*time.Hour)),
			rssItem("w2", "India and China keep buying Russian oil", "https://news.example/oil", "<p>Imports <b>rose</b> in August.</p>", now.Add(-3*time.Hour)),
			rssItem("w3", "Football: peace talks between Putin fans and ultras", "https://news.example/fb", "", now.Add(-time.Hour)),
			rssItem("w4", "Weather: heat wave in Kyiv", "https://news.example/weather", "", now.Add(-time.Hour)),
		),
		"/agency.xml": rss(
			// The same story as w1, by link: alerted once.
			rssItem("a1", "Putin rejects peace talks with Zelensky (agency)", "https://news.example/a", "", now.Add(-90*time.Minute)),
			// Hostile text.
			rssItem("a2", "&lt;!channel&gt; @everyone peace talks: Putin &lt;http://evil.example|click&gt; [x](http://evil.example)", "javascript:alert(1)", "", now.Add(-30*time.Minute)),
		),
	})
	cs, csrv := newChatServer(t)
	dir := t.TempDir()
	yaml := fmt.Sprintf(configTmpl, filepath.Join(dir, "fw.db"), csrv.URL+"/slack/api/", csrv.URL+"/discord/api/v10",
		fsrv.URL+"/wire.xml", fsrv.URL+"/agency.xml", csrv.URL+"/hooks/slack", csrv.URL+"/hooks/discord")
	cfg, err := config.LoadBytes("test.yaml", []byte(yaml), config.Options{CheckQuery: func(q string) error {
		_, err := query.Parse(q)
		return err
	}})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return &env{cfg: cfg, feeds: fs, chat: cs, fsrv: fsrv, now: now}
}

func (e *env) once(t *testing.T, digest bool) string {
	t.Helper()
	var out bytes.Buffer
	a, err := app.New(context.Background(), app.Options{Config: e.cfg, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Once(context.Background(), digest); err != nil {
		t.Fatalf("once: %v", err)
	}
	return out.String()
}

func TestOnceEndToEnd(t *testing.T) {
	e := setup(t)
	e.once(t, false)

	s, d, sw, dw := e.chat.counts()
	if s != 1 || d != 1 || sw != 1 || dw != 1 {
		t.Fatalf("messages slack=%d discord=%d slack-hook=%d discord-hook=%d, want 1 each", s, d, sw, dw)
	}
	e.chat.mu.Lock()
	slackMsg := e.chat.slack[0]
	discordMsg := e.chat.discord[0]
	e.chat.mu.Unlock()

	if slackMsg["channel"] != "C0NEWS" {
		t.Errorf("slack channel = %q", slackMsg["channel"])
	}
	if _, ok := slackMsg["link_names"]; ok && slackMsg["link_names"] != "false" {
		t.Errorf("slack link_names = %q: feed text could ping", slackMsg["link_names"])
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(slackMsg["blocks"]), &blocks); err != nil || len(blocks) == 0 {
		t.Fatalf("slack blocks %q: %v", slackMsg["blocks"], err)
	}
	all := slackMsg["text"] + slackMsg["blocks"]
	for _, want := range []string{"talks", "Putin rejects peace talks with Zelensky", "https://news.example/a"} {
		if !strings.Contains(all, want) {
			t.Errorf("slack message lacks %q:\n%s", want, all)
		}
	}
	for _, bad := range []string{"utm_source", "Football", "Weather", "<!channel>", "<http://evil.example|click>", "javascript:"} {
		if strings.Contains(all, bad) {
			t.Errorf("slack message contains %q:\n%s", bad, all)
		}
	}
	if strings.Count(all, "Putin rejects peace talks") > 2 { // text fallback + blocks
		t.Errorf("the same story (same link, two feeds) alerted twice:\n%s", all)
	}

	if discordMsg["channel_id"] != "112233445566778899" {
		t.Errorf("discord channel = %v", discordMsg["channel_id"])
	}
	am, _ := discordMsg["allowed_mentions"].(map[string]any)
	if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
		t.Errorf("discord allowed_mentions = %v, want {parse: []}", discordMsg["allowed_mentions"])
	}
	dj, _ := json.Marshal(discordMsg)
	for _, want := range []string{"talks", "oil", "India and China keep buying Russian oil"} {
		if !strings.Contains(string(dj), want) {
			t.Errorf("discord message lacks %q:\n%s", want, dj)
		}
	}
	if strings.Contains(string(dj), "@everyone") {
		t.Errorf("discord message has a raw @everyone:\n%s", dj)
	}

	// A second run: conditional requests, nothing new, nothing repeated.
	e.once(t, false)
	if s2, d2, sw2, dw2 := e.chat.counts(); s2 != s || d2 != d || sw2 != sw || dw2 != dw {
		t.Errorf("second run sent more messages: %d %d %d %d", s2, d2, sw2, dw2)
	}
	e.feeds.mu.Lock()
	nm := e.feeds.notModified["/wire.xml"]
	e.feeds.mu.Unlock()
	if nm != 1 {
		t.Errorf("wire.xml 304s = %d, want 1 (conditional GET on repeat)", nm)
	}

	// A new item arrives: alerted once; the digest then holds every match since.
	e.feeds.set("/wire.xml", rss(
		rssItem("w5", "Zelensky proposes peace talks venue", "https://news.example/venue", "", e.now.Add(-time.Minute)),
	))
	e.once(t, true)
	s3, d3, _, _ := e.chat.counts()
	if d3 != d+1 {
		t.Errorf("discord messages after new item = %d, want %d", d3, d+1)
	}
	e.chat.mu.Lock()
	var digest map[string]string
	var newsroom int
	for _, m := range e.chat.slack {
		switch m["channel"] {
		case "C0DIGEST":
			digest = m
		case "C0NEWS":
			newsroom++
		}
	}
	e.chat.mu.Unlock()
	if newsroom != 2 || s3 != 3 {
		t.Errorf("newsroom messages = %d (slack total %d), want 2 and 3", newsroom, s3)
	}
	if digest == nil {
		t.Fatal("no digest sent to digest-room")
	}
	dtext := digest["text"] + digest["blocks"]
	for _, want := range []string{"Zelensky proposes peace talks venue", "India and China keep buying Russian oil", "2 sources"} {
		if !strings.Contains(dtext, want) {
			t.Errorf("digest lacks %q:\n%s", want, dtext)
		}
	}
	// The next digest is empty: not sent.
	e.once(t, true)
	if s4, _, _, _ := e.chat.counts(); s4 != s3 {
		t.Errorf("empty digest sent: slack messages %d, want %d", s4, s3)
	}
}

func TestSearch(t *testing.T) {
	e := setup(t)
	e.once(t, false)
	a, err := app.New(context.Background(), app.Options{Config: e.cfg, Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	text, err := a.SearchText(context.Background(), `"russian oil" china`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "India and China keep buying Russian oil") || !strings.Contains(text, "wire") || !strings.Contains(text, "https://news.example/oil") {
		t.Errorf("search output:\n%s", text)
	}
	if _, err := a.SearchText(context.Background(), `(putin`); err == nil || !strings.Contains(err.Error(), "column") {
		t.Errorf("bad query error = %v, want one naming the column", err)
	}
}
