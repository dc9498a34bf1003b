package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/chat"
	"github.com/feedwatch/feedwatch/internal/news"
)

// Identities of the command tests.
const (
	cmdSlackSecret  = "test-signing-secret-0123456789"
	cmdSlackAdmin   = "UADMIN01"
	cmdSlackUser    = "UUSER001"
	cmdSlackChannel = "C0NEWSROOM"
	cmdDiscordAdmin = "445566778899001122"
	cmdDiscordRole  = "998877665544332211"
	cmdDiscordUser  = "111111111111111111"
	cmdDiscordChan  = "112233445566778899"
	cmdDiscordApp   = "123456789012345678"
)

// cmdNow is the app's clock in the command tests: 09:00 in Kyiv.
var cmdNow = time.Date(2025, 9, 1, 6, 0, 0, 0, time.UTC)

var cmdDiscordKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))

const cmdConfig = `
timezone: Europe/Kyiv
storage: {driver: sqlite, dsn: %[1]q}
fetch: {allow_private: true, timeout: 5s}
slack: {token: xoxb-test-token, signing_secret: %[2]q, command: /feedwatch}
discord: {token: discord-test-token, application_id: %[3]q, public_key: %[4]q, api_url: %[5]q}
admins:
  slack: [UADMIN01]
  discord: ["445566778899001122", "998877665544332211"]
defaults: {schedule: "@every 10m", max_age: 0}
feeds:
  - {name: wire, url: %[6]q}
topics:
  - name: ukraine-talks
    query: '"peace talks" (Putin OR Zelensky*) -football'
  - name: oil
    query: '"Russian oil"'
channels:
  - {name: newsroom, slack: C0NEWSROOM}
  - {name: war-room, discord: "112233445566778899"}
  - {name: terminal, console: true}
subscriptions:
  - {channel: newsroom, topics: [ukraine-talks], mode: instant}
  - {channel: war-room, mode: digest, schedule: "0 8 * * *"}
deadlines:
  - name: sept-2-ultimatum
    title: Deadline for Putin to agree to talks
    due: 2025-09-02T23:59:00-04:00
    query: 'deadline (Putin OR Kremlin)'
    channels: [newsroom]
`

// cmdFeeds serves RSS documents by path; tests change them.
type cmdFeeds struct {
	mu   sync.Mutex
	docs map[string]string
}

func (f *cmdFeeds) set(path, doc string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs[path] = doc
}

func (f *cmdFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	doc, ok := f.docs[r.URL.Path]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	io.WriteString(w, doc)
}

// cmdRSS is an RSS document of items, each "guid|title|link|description|age".
func cmdRSS(items ...[5]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title><link>https://news.example/</link>`)
	for _, it := range items {
		age, err := time.ParseDuration(it[4])
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(&b, `<item><guid>%s</guid><title>%s</title><link>%s</link><description>%s</description><pubDate>%s</pubDate></item>`,
			it[0], it[1], it[2], it[3], cmdNow.Add(-age).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// cmdWireItems are the wire feed's items: talks, oil, a deadline story, a
// football story the talks topic excludes, and hostile text.
var cmdWireItems = [][5]string{
	{"w1", "Putin rejects peace talks with Zelensky", "https://news.example/a", "Kremlin says no.", "2h"},
	{"w2", "India keeps buying Russian oil", "https://news.example/oil", "Imports rose.", "3h"},
	{"w3", "Football: peace talks between Putin fans and ultras", "https://news.example/fb", "", "1h"},
	{"w4", "Kremlin ignores the deadline", "https://news.example/dl", "Putin silent.", "30m"},
	// Escaped twice: once for XML, once more so that the feed's HTML
	// removal leaves the angle brackets in the title.
	{"w5", "&amp;lt;!channel&amp;gt; @everyone peace talks: Putin &amp;lt;http://evil.example|click&amp;gt;", "https://news.example/h", "", "20m"},
	{"w6", "Zelensky hopes for peace talks, says Putin stalls", "https://news.example/b", "", "50h"},
}

type cmdEnv struct {
	t       *testing.T
	cfgText string
	a       *App
	h       http.Handler
	feeds   *cmdFeeds
	feedURL string
	api     *cmdDiscordAPI
}

// cmdDiscordAPI records interaction webhook calls and the command
// registration.
type cmdDiscordAPI struct {
	mu    sync.Mutex
	calls []string // "METHOD path"
	puts  [][]byte
	seen  chan string // each call, as it arrives
}

// wait waits for a call ("METHOD path") to arrive.
func (f *cmdDiscordAPI) wait(t *testing.T, call string) {
	t.Helper()
	f.mu.Lock()
	done := slices.Contains(f.calls, call)
	f.mu.Unlock()
	timeout := time.After(30 * time.Second)
	for !done {
		select {
		case c := <-f.seen:
			done = c == call
		case <-timeout:
			t.Fatalf("no %s", call)
		}
	}
}

func (f *cmdDiscordAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if r.Method == http.MethodPut {
		f.puts = append(f.puts, body)
	}
	f.mu.Unlock()
	select {
	case f.seen <- r.Method + " " + r.URL.Path:
	default: // nobody waiting; the call is in calls
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodPut {
		w.Write(body)
		return
	}
	io.WriteString(w, `{"id":"1"}`)
}

// newCmdEnv starts an app on a fresh database with the wire feed polled
// once, so that items, matches and feed health exist.
func newCmdEnv(t *testing.T) *cmdEnv {
	t.Helper()
	feeds := &cmdFeeds{docs: map[string]string{"/wire.xml": cmdRSS(cmdWireItems...)}}
	fsrv := httptest.NewServer(feeds)
	t.Cleanup(fsrv.Close)
	api := &cmdDiscordAPI{seen: make(chan string, 64)}
	asrv := httptest.NewServer(api)
	t.Cleanup(asrv.Close)
	pub := hex.EncodeToString(cmdDiscordKey.Public().(ed25519.PublicKey))
	text := fmt.Sprintf(cmdConfig, filepath.Join(t.TempDir(), "fw.db"), cmdSlackSecret, cmdDiscordApp, pub,
		asrv.URL+"/api/v10", fsrv.URL+"/wire.xml")
	e := &cmdEnv{t: t, cfgText: text, feeds: feeds, feedURL: fsrv.URL, api: api}
	e.open()
	if err := e.a.PollAll(context.Background()); err != nil {
		t.Fatalf("poll: %v", err)
	}
	return e
}

// open (re)opens the app on the environment's config and database.
func (e *cmdEnv) open() {
	e.t.Helper()
	cfg, err := config.LoadBytes("test.yaml", []byte(e.cfgText), config.Options{CheckQuery: func(q string) error {
		_, err := query.Parse(q)
		return err
	}})
	if err != nil {
		e.t.Fatalf("config: %v", err)
	}
	a, err := New(context.Background(), Options{Config: cfg, Now: func() time.Time { return cmdNow }, Stdout: io.Discard})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { a.Close() })
	e.a, e.h = a, a.Handler()
}

// cmdAnswer is a reply as the tests read it: whether only the asker sees it,
// all of its text as sent (raw) and with Discord's markdown escapes
// undone (text), so that one expectation fits both platforms.
type cmdAnswer struct {
	private bool
	text    string
	raw     string
}

// cmdDiscordEscapeRE is a backslash escape of Discord markdown.
var cmdDiscordEscapeRE = regexp.MustCompile(`\\(.)`)

// slack sends a signed slash command and reads the reply.
func (e *cmdEnv) slack(text, user string) cmdAnswer {
	e.t.Helper()
	form := url.Values{"channel_id": {cmdSlackChannel}, "user_id": {user}, "user_name": {"someone"}, "command": {"/feedwatch"},
		"text": {text}, "response_url": {"https://hooks.slack.test/r"}, "trigger_id": {fmt.Sprint(time.Now().UnixNano())}}
	body := form.Encode()
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sig, ts := chat.SignSlack(cmdSlackSecret, time.Now(), []byte(body))
	r.Header.Set("X-Slack-Signature", sig)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		e.t.Fatalf("slack %q: status %d %s", text, w.Code, w.Body)
	}
	var v struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
		Blocks       []struct {
			Type string `json:"type"`
			Text *struct {
				Text string `json:"text"`
			} `json:"text"`
			Elements []struct {
				Text string `json:"text"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		e.t.Fatalf("slack %q: %v: %s", text, err, w.Body)
	}
	parts := []string{v.Text}
	for _, b := range v.Blocks {
		if b.Text != nil {
			parts = append(parts, b.Text.Text)
		}
		for _, el := range b.Elements {
			parts = append(parts, el.Text)
		}
	}
	joined := strings.Join(parts, "\n")
	return cmdAnswer{private: v.ResponseType == "ephemeral", text: joined, raw: joined}
}

// discord sends a signed interaction and reads the reply.
func (e *cmdEnv) discord(path string, args map[string]string, user string, roles ...string) cmdAnswer {
	e.t.Helper()
	var opts []map[string]any
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range args {
			if !yield(k) {
				return
			}
		}
	}) {
		opts = append(opts, map[string]any{"name": k, "type": 3, "value": args[k]})
	}
	sub := map[string]any{"name": path, "type": 1, "options": opts}
	if g, s, ok := strings.Cut(path, " "); ok {
		sub = map[string]any{"name": g, "type": 2, "options": []any{map[string]any{"name": s, "type": 1, "options": opts}}}
	}
	if roles == nil {
		roles = []string{}
	}
	body, _ := json.Marshal(map[string]any{
		"id": fmt.Sprint(time.Now().UnixNano()), "application_id": cmdDiscordApp, "type": 2, "token": "itoken", "version": 1,
		"guild_id": "5", "channel_id": cmdDiscordChan,
		"member": map[string]any{"user": map[string]any{"id": user, "username": "someone"}, "roles": roles},
		"data":   map[string]any{"id": "9", "name": "feedwatch", "type": 1, "options": []any{sub}},
	})
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
	sig, ts := chat.SignDiscord(cmdDiscordKey, time.Now(), body)
	r.Header.Set("X-Signature-Ed25519", sig)
	r.Header.Set("X-Signature-Timestamp", ts)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		e.t.Fatalf("discord %q: status %d %s", path, w.Code, w.Body)
	}
	var v struct {
		Type int `json:"type"`
		Data struct {
			Content string `json:"content"`
			Embeds  []struct {
				Title, Description string
			} `json:"embeds"`
			Flags int `json:"flags"`
		} `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || v.Type != 4 {
		e.t.Fatalf("discord %q: %v: %s", path, err, w.Body)
	}
	parts := []string{v.Data.Content}
	for _, em := range v.Data.Embeds {
		parts = append(parts, em.Title, em.Description)
	}
	raw := strings.Join(parts, "\n")
	plain := strings.ReplaceAll(cmdDiscordEscapeRE.ReplaceAllString(raw, "$1"), "\u200b", "")
	return cmdAnswer{private: v.Data.Flags == 64, text: plain, raw: raw}
}

// wants fails unless every string is in the cmdAnswer.
func (an cmdAnswer) wants(t *testing.T, what string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(an.text, s) {
			t.Errorf("%s: reply lacks %q:\n%s", what, s, an.text)
		}
	}
}

// TestChatSearchIsTheTerminalSearch: chat search on both platforms shows
// the items `feedwatch search` prints, in the same order, privately.
func TestChatSearchIsTheTerminalSearch(t *testing.T) {
	e := newCmdEnv(t)
	for _, q := range []string{`"peace talks" Putin`, `Russian oil`, `title:zelensky*`, `nothing-matches-this`} {
		t.Run(q, func(t *testing.T) {
			items, err := e.a.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			term, err := e.a.SearchText(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			for _, an := range []cmdAnswer{e.slack("search "+q, cmdSlackUser), e.discord("search", map[string]string{"query": q}, cmdDiscordUser)} {
				if !an.private {
					t.Error("search reply is visible to the channel")
				}
				last := -1
				for _, it := range items {
					// Titles are escaped for chat; links are shown as they are.
					key := it.Link
					i := strings.Index(an.text, key)
					if i < 0 || !strings.Contains(term, key) {
						t.Errorf("item %q missing (chat %v, terminal %v)", it.Title, i >= 0, strings.Contains(term, key))
						continue
					}
					if i < last {
						t.Errorf("item %q out of order", it.Title)
					}
					last = i
				}
				if len(items) == 0 {
					an.wants(t, "no match", "No stored items match")
				}
			}
		})
	}
}

func TestChatLookups(t *testing.T) {
	e := newCmdEnv(t)
	tests := []struct {
		name  string
		slack string
		path  string
		args  map[string]string
		want  []string
	}{
		{"topics", "topics", "topics", nil, []string{"ukraine-talks", `query: "peace talks" (Putin OR Zelensky*) -football`, "3 matches in the last 24 h", "from the config file", "oil"}},
		{"feeds", "feeds", "feeds", nil, []string{"1 ok, 0 failing", "wire", "6 items", "last success just now", "next poll in 10 minutes"}},
		{"deadlines", "deadlines", "deadlines", nil, []string{"Deadline for Putin to agree to talks", "In 1 day 21 hours (Wed 3 Sep 06:59 EEST)", "Kremlin ignores the deadline", "newest of 1 related item", "next reminder"}},
		{"digest", "digest", "digest", nil, []string{"Digest of the last 24 h", "ukraine-talks", "Russian oil", "Putin rejects peace talks"}},
		{"digest of a topic", "digest oil", "digest", map[string]string{"topic": "oil"}, []string{"Digest of the last 24 h: oil", "India keeps buying Russian oil"}},
		{"digest of an unknown topic", "digest sport", "digest", map[string]string{"topic": "sport"}, []string{"No topic is named"}},
		{"test", `test "peace talks"`, "test", map[string]string{"query": `"peace talks"`}, []string{`Read as: "peace talks"`, "4 stored items of the last 7 days match", "The 4 newest", "Sat 30 Aug: █", "Mon 1 Sep: "}},
		{"test with a parse error", `test "peace talks" (Putin`, "test", map[string]string{"query": `"peace talks" (Putin`}, []string{"does not parse", "Column 15: missing closing parenthesis", `"peace talks" 👉(Putin`}},
		{"status", "status", "status", nil, []string{"feedwatch dev, up less than a minute", "Feeds: 1 ok, 0 failing", "Stored: 6 items", "Watching 2 topics", "1 deadline", "Last digest: none sent yet"}},
		{"help", "help", "help", nil, []string{"/feedwatch search QUERY", "/feedwatch deadline add NAME DUE TITLE [QUERY]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, an := range []cmdAnswer{e.slack(tt.slack, cmdSlackUser), e.discord(tt.path, tt.args, cmdDiscordUser)} {
				if !an.private {
					t.Errorf("lookup reply is visible to the channel")
				}
				an.wants(t, tt.name, tt.want...)
			}
		})
	}
}

// TestChatRepliesEscaped: a hostile feed title shows in replies but can
// neither ping nor link.
func TestChatRepliesEscaped(t *testing.T) {
	e := newCmdEnv(t)
	s := e.slack("search everyone", cmdSlackUser)
	s.wants(t, "slack", "&lt;!channel&gt; @everyone", "evil.example")
	for _, bad := range []string{"<!channel>", "<http://evil"} {
		if strings.Contains(s.text, bad) {
			t.Errorf("slack reply carries %q", bad)
		}
	}
	d := e.discord("search", map[string]string{"query": "everyone"}, cmdDiscordUser)
	d.wants(t, "discord", "<!channel> @everyone")
	for _, bad := range []string{"@everyone", "<!channel>", "<http://evil"} {
		if strings.Contains(d.raw, bad) {
			t.Errorf("discord reply carries %q", bad)
		}
	}
}

func TestChatWatchAndUnwatch(t *testing.T) {
	e := newCmdEnv(t)
	ctx := context.Background()

	an := e.slack(`watch grain-deal "grain deal" (Odesa OR Black Sea)`, cmdSlackAdmin)
	if an.private {
		t.Error("watch outcome is private, want it shown to the channel")
	}
	an.wants(t, "watch", "Watching grain-deal", "newsroom")
	topics, err := e.a.store.Topics(ctx)
	if err != nil || len(topics) != 1 || topics[0].Channel != "newsroom" || topics[0].Source != news.SourceChat {
		t.Fatalf("stored topics %+v, %v", topics, err)
	}
	if _, _, ok := e.a.router.Rules().Topic("grain-deal"); !ok {
		t.Fatal("the topic is not in force")
	}

	// A new matching item is alerted to the channel it was watched in.
	e.feeds.set("/wire.xml", cmdRSS(append(slices.Clone(cmdWireItems), [5]string{"w7", "Grain deal talks resume in Odesa", "https://news.example/g", "", "5m"})...))
	if err := e.a.PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if !e.queuedFor("newsroom", "grain-deal") {
		t.Error("no alert for the watched topic queued for newsroom")
	}

	// Refusals change nothing.
	refusals := []struct {
		name, text, want string
	}{
		{"config topic name", "watch oil crude", "already defines a topic named oil"},
		{"taken name", "watch grain-deal wheat", "already added from chat"},
		{"bad name", "watch Grain_Deal wheat", "Invalid name"},
		{"bad query", `watch wheat-news wheat (corn`, "Column 7"},
		{"unwatch a config topic", "unwatch oil", "defined in the config file"},
		{"unwatch unknown", "unwatch nothing", "No topic named"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			an := e.slack(r.text, cmdSlackAdmin)
			if !an.private {
				t.Error("refusal shown to the channel")
			}
			an.wants(t, r.name, r.want)
		})
	}
	if topics, _ := e.a.store.Topics(ctx); len(topics) != 1 {
		t.Errorf("topics after refusals: %+v", topics)
	}

	// Kept across a restart.
	e.a.Close()
	e.open()
	if _, _, ok := e.a.router.Rules().Topic("grain-deal"); !ok {
		t.Fatal("the topic added from chat did not survive a restart")
	}

	e.discord("unwatch", map[string]string{"name": "grain-deal"}, cmdDiscordUser, cmdDiscordRole).wants(t, "unwatch", "Stopped watching grain-deal")
	if topics, _ := e.a.store.Topics(ctx); len(topics) != 0 {
		t.Errorf("topics after unwatch: %+v", topics)
	}
	if _, _, ok := e.a.router.Rules().Topic("grain-deal"); ok {
		t.Error("the topic is still in force")
	}
}

// queuedFor reports whether the outbox holds a message for channel that
// names topic. It takes the channel's messages out of the outbox.
func (e *cmdEnv) queuedFor(channel, topic string) bool {
	ctx := context.Background()
	found := false
	for {
		m, ok, err := e.a.store.NextOutbox(ctx, channel)
		if err != nil {
			e.t.Fatal(err)
		}
		if !ok {
			return found
		}
		for _, s := range m.Message.Sections {
			found = found || s.Topic == topic
		}
		if err := e.a.store.MarkSent(ctx, m.ID, cmdNow); err != nil {
			e.t.Fatal(err)
		}
	}
}

func TestChatWatchInAnUnknownChannel(t *testing.T) {
	e := newCmdEnv(t)
	form := url.Values{"channel_id": {"C0OTHER"}, "user_id": {cmdSlackAdmin}, "text": {"watch wheat wheat"}, "trigger_id": {"1"}}
	body := form.Encode()
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
	sig, ts := chat.SignSlack(cmdSlackSecret, time.Now(), []byte(body))
	r.Header.Set("X-Slack-Signature", sig)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), "not in the config") || !strings.Contains(w.Body.String(), `slack: \"C0OTHER\"`) {
		t.Errorf("reply %s, want how to add the channel", w.Body)
	}
	if topics, _ := e.a.store.Topics(context.Background()); len(topics) != 0 {
		t.Errorf("topic added anyway: %+v", topics)
	}
}

func TestChatMuteAndUnmute(t *testing.T) {
	e := newCmdEnv(t)
	ctx := context.Background()
	e.slack("mute ukraine-talks 2h", cmdSlackAdmin).wants(t, "mute", "Muted ukraine-talks", "until Mon 1 Sep 11:00 EEST", "for 2 hours")
	mutes, err := e.a.store.Mutes(ctx, cmdNow)
	if err != nil || len(mutes) != 1 || mutes[0].Channel != "newsroom" || !mutes[0].Until.Equal(cmdNow.Add(2*time.Hour)) {
		t.Fatalf("mutes %+v, %v", mutes, err)
	}
	e.slack("topics", cmdSlackUser).wants(t, "topics", "muted here until Mon 1 Sep 11:00 EEST")
	e.discord("mute", map[string]string{"topic": "oil", "duration": "1d"}, cmdDiscordAdmin).wants(t, "mute on discord", "Muted oil", "until Tue 2 Sep 09:00 EEST (for 1 day)")
	e.slack("mute oil 1h", cmdSlackAdmin).wants(t, "mute of a topic not sent here", "does not receive it anyway")

	for _, r := range []struct{ text, want string }{
		{"mute ukraine-talks forever", "Invalid duration"},
		{"mute ukraine-talks -5m", "Invalid duration"},
		{"mute ukraine-talks 400d", "Invalid duration"},
		{"mute sport 1h", "No topic is named"},
	} {
		e.slack(r.text, cmdSlackAdmin).wants(t, r.text, r.want)
	}
	e.slack("unmute ukraine-talks", cmdSlackAdmin).wants(t, "unmute", "Unmuted ukraine-talks")
	e.slack("unmute ukraine-talks", cmdSlackAdmin).wants(t, "unmute again", "is not muted in this channel")
	if mutes, _ := e.a.store.Mutes(ctx, cmdNow); len(mutes) != 2 || mutes[0].Topic != "oil" || mutes[1].Topic != "oil" {
		t.Errorf("mutes after unmute: %+v", mutes)
	}
}

func TestChatDeadlines(t *testing.T) {
	e := newCmdEnv(t)
	ctx := context.Background()
	an := e.slack(`deadline add grain-deadline "2025-09-05 12:00" "Grain deal expires" grain (Odesa OR Turkey)`, cmdSlackAdmin)
	an.wants(t, "deadline add", "Tracking grain-deadline", "Grain deal expires", "due Fri 5 Sep 12:00 EEST", "in 4 days")
	if an.private {
		t.Error("deadline add outcome is private")
	}
	ds, err := e.a.store.Deadlines(ctx)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deadlines %+v, %v", ds, err)
	}
	d := ds[0]
	want := time.Date(2025, 9, 5, 9, 0, 0, 0, time.UTC) // 12:00 in Kyiv (EEST)
	if !d.Due.Equal(want) || d.Query != "grain (Odesa OR Turkey)" || !slices.Equal(d.Channels, []string{"newsroom"}) ||
		d.Countdown != news.CountdownPosts || !slices.Equal(d.Remind, config.DefaultRemind()) || !d.Created.Equal(cmdNow) {
		t.Errorf("stored %+v", d)
	}
	e.slack("deadlines", cmdSlackUser).wants(t, "deadlines", "Grain deal expires", "Deadline for Putin to agree to talks", "No related items yet")

	// Unquoted title: the query is the title's words; a topic may be named.
	e.discord("deadline add", map[string]string{"name": "summit", "due": "2025-09-10", "title": "Alaska summit on Ukraine"}, cmdDiscordAdmin).
		wants(t, "deadline add on discord", "Tracking summit", "items matching alaska summit ukraine")
	e.slack(`deadline add talks-deadline 2025-09-20 "Talks" topic:ukraine-talks`, cmdSlackAdmin).
		wants(t, "deadline add with a topic", `items matching "peace talks" (Putin OR Zelensky*) -football`)

	for _, r := range []struct{ text, want string }{
		{"deadline add sept-2-ultimatum 2025-09-10 Again", "already defines a deadline"},
		{"deadline add grain-deadline 2025-09-10 Again", "already added from chat"},
		{"deadline add late 2025-08-01 Too late", "is in the past"},
		{"deadline add when tomorrow Soon", "Invalid due time"},
		{`deadline add q 2025-09-10 "Title" (broken`, "does not parse"},
		{"deadline add the 2025-09-10 the a of", "Give a query"},
		{"deadline remove sept-2-ultimatum", "defined in the config file"},
		{"deadline remove nothing", "No deadline named"},
	} {
		e.slack(r.text, cmdSlackAdmin).wants(t, r.text, r.want)
	}
	e.slack("deadline remove grain-deadline", cmdSlackAdmin).wants(t, "deadline remove", "Stopped tracking grain-deadline")
	names := []string{}
	for _, d := range e.a.router.Rules().Deadlines() {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, []string{"sept-2-ultimatum", "summit", "talks-deadline"}) {
		t.Errorf("deadlines in force %v", names)
	}
}

func TestChatFeeds(t *testing.T) {
	e := newCmdEnv(t)
	ctx := context.Background()
	e.feeds.set("/extra.xml", cmdRSS([5]string{"x1", "Extra: peace talks Putin", "https://extra.example/1", "", "10m"}))
	an := e.slack("feed add extra "+e.feedURL+"/extra.xml", cmdSlackAdmin)
	an.wants(t, "feed add", "Added feed extra", "Fetched 1 item (1 new)")
	if an.private {
		t.Error("feed add outcome is private")
	}
	fs, _ := e.a.store.Feeds(ctx)
	if len(fs) != 2 || fs[0].Name != "extra" || fs[0].Source != news.SourceChat {
		t.Fatalf("feeds %+v", fs)
	}
	if !slices.ContainsFunc(e.a.Feeds(), func(f news.Feed) bool { return f.Name == "extra" }) {
		t.Error("the feed is not in force")
	}
	e.slack("feeds", cmdSlackUser).wants(t, "feeds", "2 ok", "extra", "added from chat")

	for _, r := range []struct{ text, want string }{
		{"feed add broken " + e.feedURL + "/missing.xml", "Fetching broken failed"},
		{"feed add wire https://example.org/rss", "exists already"},
		{"feed add other ftp://example.org/rss", "not an absolute http(s) URL"},
		{"feed add Bad_Name https://example.org/rss", "Invalid name"},
		{"feed remove wire", "defined in the config file"},
		{"feed remove nothing", "No feed is named"},
	} {
		e.slack(r.text, cmdSlackAdmin).wants(t, r.text, r.want)
	}
	if fs, _ := e.a.store.Feeds(ctx); len(fs) != 2 {
		t.Errorf("feeds after refusals: %+v", fs)
	}
	e.discord("feed remove", map[string]string{"name": "extra"}, cmdDiscordAdmin).wants(t, "feed remove", "Removed feed extra")
	if fs, _ := e.a.store.Feeds(ctx); len(fs) != 1 {
		t.Errorf("feeds after remove: %+v", fs)
	}
}

// TestChatNonAdminsChangeNothing sends every change as a member on both
// platforms: each is refused politely and storage is unchanged.
func TestChatNonAdminsChangeNothing(t *testing.T) {
	e := newCmdEnv(t)
	ctx := context.Background()
	snapshot := func() string {
		topics, _ := e.a.store.Topics(ctx)
		mutes, _ := e.a.store.Mutes(ctx, cmdNow)
		ds, _ := e.a.store.Deadlines(ctx)
		fs, _ := e.a.store.Feeds(ctx)
		return fmt.Sprint(topics, mutes, ds, fs)
	}
	before := snapshot()
	changes := []struct {
		slack string
		path  string
		args  map[string]string
	}{
		{"watch x kyiv", "watch", map[string]string{"name": "x", "query": "kyiv"}},
		{"unwatch ukraine-talks", "unwatch", map[string]string{"name": "ukraine-talks"}},
		{"mute ukraine-talks 1h", "mute", map[string]string{"topic": "ukraine-talks", "duration": "1h"}},
		{"unmute ukraine-talks", "unmute", map[string]string{"topic": "ukraine-talks"}},
		{"deadline add d 2025-09-10 T", "deadline add", map[string]string{"name": "d", "due": "2025-09-10", "title": "T"}},
		{"deadline remove sept-2-ultimatum", "deadline remove", map[string]string{"name": "sept-2-ultimatum"}},
		{"feed add f " + e.feedURL + "/wire.xml", "feed add", map[string]string{"name": "f", "url": e.feedURL + "/wire.xml"}},
		{"feed remove wire", "feed remove", map[string]string{"name": "wire"}},
	}
	for _, c := range changes {
		t.Run(c.path, func(t *testing.T) {
			for _, an := range []cmdAnswer{e.slack(c.slack, cmdSlackUser), e.discord(c.path, c.args, cmdDiscordUser, "42")} {
				if !an.private {
					t.Error("refusal shown to the channel")
				}
				an.wants(t, c.path, "only feedwatch admins")
			}
		})
	}
	if after := snapshot(); after != before {
		t.Errorf("storage changed:\nbefore %s\nafter  %s", before, after)
	}
}

// TestChatEndpointsRefuseForgeries: forged and stale requests through the
// app's handler get 401 and change nothing.
func TestChatEndpointsRefuseForgeries(t *testing.T) {
	e := newCmdEnv(t)
	body := url.Values{"channel_id": {cmdSlackChannel}, "user_id": {cmdSlackAdmin}, "text": {"watch x kyiv"}}.Encode()
	_, otherKey, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 64)))
	ibody := []byte(`{"id":"1","application_id":"` + cmdDiscordApp + `","type":2,"token":"t","channel_id":"` + cmdDiscordChan +
		`","member":{"user":{"id":"` + cmdDiscordAdmin + `"},"roles":[]},"data":{"id":"9","name":"feedwatch","type":1,"options":[{"name":"watch","type":1,"options":[{"name":"name","type":3,"value":"x"},{"name":"query","type":3,"value":"kyiv"}]}]}}`)
	tests := []struct {
		name string
		req  func() *http.Request
	}{
		{"slack forged", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
			sig, ts := chat.SignSlack("wrong-secret", time.Now(), []byte(body))
			r.Header.Set("X-Slack-Signature", sig)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			return r
		}},
		{"slack stale", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
			sig, ts := chat.SignSlack(cmdSlackSecret, time.Now().Add(-10*time.Minute), []byte(body))
			r.Header.Set("X-Slack-Signature", sig)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			return r
		}},
		{"slack unsigned", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
		}},
		{"discord forged", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(ibody))
			sig, ts := chat.SignDiscord(otherKey, time.Now(), ibody)
			r.Header.Set("X-Signature-Ed25519", sig)
			r.Header.Set("X-Signature-Timestamp", ts)
			return r
		}},
		{"discord stale", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(ibody))
			sig, ts := chat.SignDiscord(cmdDiscordKey, time.Now().Add(-10*time.Minute), ibody)
			r.Header.Set("X-Signature-Ed25519", sig)
			r.Header.Set("X-Signature-Timestamp", ts)
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, tt.req())
			if w.Code != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", w.Code)
			}
		})
	}
	if topics, _ := e.a.store.Topics(context.Background()); len(topics) != 0 {
		t.Errorf("a forged request changed topics: %+v", topics)
	}
}

func TestChatEndpointsOnlyWhenConfigured(t *testing.T) {
	cfg, err := config.LoadBytes("t.yaml", []byte(fmt.Sprintf("storage: {dsn: %q}\nchannels:\n  - {name: t, console: true}\n", filepath.Join(t.TempDir(), "db"))), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, p := range []string{"/slack/commands", "/discord/interactions"} {
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, p, strings.NewReader("{}")))
		if w.Code != http.StatusNotFound {
			t.Errorf("%s without its secret: %d, want 404", p, w.Code)
		}
	}
}

// TestFeedSchedulerFollowsChatFeeds: feeds added from chat after start are
// scheduled, removed ones unscheduled; feeds Run scheduled are left alone.
func TestFeedSchedulerFollowsChatFeeds(t *testing.T) {
	e := newCmdEnv(t)
	ctx := context.Background()
	fs := newFeedScheduler(e.a, map[string]bool{"wire": true})
	names := func() []string {
		var out []string
		for n := range fs.entries {
			out = append(out, n)
		}
		slices.Sort(out)
		return out
	}
	fs.sync(ctx)
	if got := names(); len(got) != 0 || len(fs.cron.Entries()) != 0 {
		t.Fatalf("scheduled %v at start", got)
	}
	for _, n := range []string{"one", "two"} {
		if err := e.a.store.AddFeed(ctx, news.Feed{Name: n, URL: e.feedURL + "/wire.xml", Schedule: "@every 10m", Source: news.SourceChat}); err != nil {
			t.Fatal(err)
		}
	}
	fs.sync(ctx)
	if got := names(); !slices.Equal(got, []string{"one", "two"}) || len(fs.cron.Entries()) != 2 {
		t.Fatalf("scheduled %v, want one and two", got)
	}
	if err := e.a.store.RemoveFeed(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	fs.sync(ctx)
	if got := names(); !slices.Equal(got, []string{"two"}) || len(fs.cron.Entries()) != 1 {
		t.Fatalf("scheduled %v after removal, want two", got)
	}
	if slices.ContainsFunc(e.a.Feeds(), func(f news.Feed) bool { return f.Name == "one" }) {
		t.Error("removed feed still in force")
	}
}

// TestRunRegistersDiscordCommands: the daemon registers the command at
// start with the bot token, through the configured API URL.
func TestRunRegistersDiscordCommands(t *testing.T) {
	e := newCmdEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}
	}
	defer stop() // also when the wait below fails
	e.api.wait(t, "PUT /api/v10/applications/"+cmdDiscordApp+"/commands")
	stop()
	e.api.mu.Lock()
	defer e.api.mu.Unlock()
	if !slices.Contains(e.api.calls, "PUT /api/v10/applications/"+cmdDiscordApp+"/commands") {
		t.Errorf("calls %v", e.api.calls)
	}
	var cmds []struct {
		Name    string `json:"name"`
		Options []struct {
			Name string `json:"name"`
			Type int    `json:"type"`
		} `json:"options"`
	}
	if err := json.Unmarshal(e.api.puts[0], &cmds); err != nil || len(cmds) != 1 || cmds[0].Name != "feedwatch" || len(cmds[0].Options) != 14 {
		t.Errorf("registered %s", e.api.puts[0])
	}
}

// TestChatSlowCommandAnswersLater: a feed that takes long to fetch makes
// `feed add` slower than Slack's and Discord's 3 seconds: both are answered
// within the budget, and the outcome follows through response_url and an
// edit of the deferred interaction response.
func TestChatSlowCommandAnswersLater(t *testing.T) {
	e := newCmdEnv(t)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, cmdRSS([5]string{"s1", "Slow news", "https://slow.example/1", "", "1m"}))
	}))
	defer slow.Close()
	posted := make(chan []byte, 1)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		posted <- body
	}))
	defer hooks.Close()

	// Slack.
	form := url.Values{"channel_id": {cmdSlackChannel}, "user_id": {cmdSlackAdmin}, "text": {"feed add slow " + slow.URL + "/a.xml"},
		"response_url": {hooks.URL + "/commands/T1/1/secret"}, "trigger_id": {"slow-1"}}.Encode()
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(form))
	sig, ts := chat.SignSlack(cmdSlackSecret, time.Now(), []byte(form))
	r.Header.Set("X-Slack-Signature", sig)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	w := httptest.NewRecorder()
	start := time.Now()
	e.h.ServeHTTP(w, r)
	if took := time.Since(start); took >= 3*time.Second || w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("slack answered %d %q after %v, want an empty 200 within 3s", w.Code, w.Body, took)
	}
	release <- struct{}{}
	select {
	case body := <-posted:
		if !strings.Contains(string(body), `"response_type":"in_channel"`) || !strings.Contains(string(body), "Added feed slow") {
			t.Errorf("response_url got %s", body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("nothing posted to response_url")
	}

	// Discord.
	an := func() []byte {
		b, _ := json.Marshal(map[string]any{
			"id": "2", "application_id": cmdDiscordApp, "type": 2, "token": "slow-token", "version": 1, "channel_id": cmdDiscordChan,
			"member": map[string]any{"user": map[string]any{"id": cmdDiscordAdmin}, "roles": []string{}},
			"data": map[string]any{"id": "9", "name": "feedwatch", "type": 1, "options": []any{map[string]any{"name": "feed", "type": 2,
				"options": []any{map[string]any{"name": "add", "type": 1, "options": []any{
					map[string]any{"name": "name", "type": 3, "value": "slow-two"},
					map[string]any{"name": "url", "type": 3, "value": slow.URL + "/b.xml"}}}}}}},
		})
		return b
	}()
	r = httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(an))
	sig, ts = chat.SignDiscord(cmdDiscordKey, time.Now(), an)
	r.Header.Set("X-Signature-Ed25519", sig)
	r.Header.Set("X-Signature-Timestamp", ts)
	w = httptest.NewRecorder()
	start = time.Now()
	e.h.ServeHTTP(w, r)
	if took := time.Since(start); took >= 3*time.Second || !strings.HasPrefix(w.Body.String(), `{"type":5`) {
		t.Fatalf("discord answered %s after %v, want type 5 within 3s", w.Body, took)
	}
	close(release)
	e.api.wait(t, "PATCH /api/v10/webhooks/"+cmdDiscordApp+"/slow-token/messages/@original")
	if fs, _ := e.a.store.Feeds(context.Background()); len(fs) != 3 {
		t.Errorf("feeds %+v, want wire, slow and slow-two", fs)
	}
}

// benchSearchItems is the size of the search benchmark's database.
const benchSearchItems = 100_000

// BenchmarkChatSearch100k measures `search` from chat on 100k stored items:
// the backend (full-text candidates, the evaluator, the reply), and one
// whole signed Slack request through the HTTP handler. Items: eight words
// from a 5,000-word vocabulary plus a summary, one a minute, "zelensky" in
// 0.1%, "ukraine" in 10%, "peace talks" in 0.5%.
func BenchmarkChatSearch100k(b *testing.B) {
	cfgText := fmt.Sprintf(cmdConfig, filepath.Join(b.TempDir(), "fw.db"), cmdSlackSecret, cmdDiscordApp,
		hex.EncodeToString(cmdDiscordKey.Public().(ed25519.PublicKey)), "https://discord.test/api/v10", "https://feeds.test/wire.xml")
	cfg, err := config.LoadBytes("bench.yaml", []byte(cfgText), config.Options{})
	if err != nil {
		b.Fatal(err)
	}
	a, err := New(context.Background(), Options{Config: cfg, Now: func() time.Time { return cmdNow }})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 5000)
	for i := range vocab {
		w := make([]byte, 4+r.IntN(6))
		for j := range w {
			w[j] = byte('a' + r.IntN(26))
		}
		vocab[i] = string(w)
	}
	words := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = vocab[r.IntN(len(vocab))]
		}
		return strings.Join(ws, " ")
	}
	start := time.Now()
	const batch = 2000
	for base := 0; base < benchSearchItems; base += batch {
		items := make([]news.Item, 0, batch)
		for i := base; i < base+batch; i++ {
			title := words(8)
			switch {
			case i%1000 == 0:
				title += " Zelensky"
			case i%200 == 1:
				title += " peace talks"
			}
			if i%10 == 1 { // every "peace talks" item is about Ukraine too
				title += " Ukraine"
			}
			pub := cmdNow.Add(-time.Duration(benchSearchItems-i) * time.Minute)
			items = append(items, news.Item{
				Feed: fmt.Sprintf("feed-%02d", i%20), GUID: fmt.Sprint(i), Link: fmt.Sprintf("https://example.org/%d", i),
				Title: title, Summary: words(30), Published: pub, FirstSeen: pub,
			})
		}
		if _, err := a.store.InsertItems(ctx, items[0].Feed, items); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d items in %v", benchSearchItems, time.Since(start).Round(time.Millisecond))
	backend := commandBackend{a}
	cases := []struct{ path, query string }{
		{chat.CmdSearch, `zelensky`}, {chat.CmdSearch, `ukraine`}, {chat.CmdSearch, `"peace talks" ukraine`},
		{chat.CmdSearch, `zelensk*`}, {chat.CmdSearch, `zelensky OR "peace talks"`}, {chat.CmdSearch, `-ukraine`},
		{chat.CmdSearch, `xyzzy`},
		// test scans the 10,080 items of the last 7 days.
		{chat.CmdTest, `ukraine`}, {chat.CmdTest, `zelensky OR "peace talks"`},
	}
	for _, c := range cases {
		b.Run(c.path+"/"+c.query, func(b *testing.B) {
			req := chat.Request{Platform: chat.PlatformSlack, Command: chat.Command{Path: c.path, Args: map[string]string{chat.ArgQuery: c.query}}}
			for b.Loop() {
				if _, err := backend.Run(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("slack-http", func(b *testing.B) {
		h := a.Handler()
		n := 0
		for b.Loop() {
			n++
			body := url.Values{"channel_id": {cmdSlackChannel}, "user_id": {cmdSlackUser}, "text": {`search "peace talks" ukraine`},
				"trigger_id": {fmt.Sprint(n)}}.Encode()
			req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
			sig, ts := chat.SignSlack(cmdSlackSecret, time.Now(), []byte(body))
			req.Header.Set("X-Slack-Signature", sig)
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "newest matching items") {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
}

func TestFailingChannelsInStatus(t *testing.T) {
	now := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	age := func(time.Time) string { return "5m ago" }
	sec := failingChannels([]chat.ChannelHealth{
		{Channel: "newsroom", LastSent: now},
		{Channel: "war-room", Failing: true, Permanent: true, Consecutive: 1, LastError: now, LastErrMsg: "discord: HTTP 404: Unknown Channel"},
		{Channel: "hooks", Failing: true, Consecutive: 3, LastError: now, LastErrMsg: "slack webhook: HTTP 503"},
	}, age)
	if len(sec.Entries) != 2 {
		t.Fatalf("entries = %+v, want the two failing channels", sec.Entries)
	}
	if sec.Entries[0].Title != "war-room" || !strings.Contains(sec.Entries[0].Notes[0], "refused for good") ||
		!strings.Contains(sec.Entries[0].Notes[0], "Unknown Channel") {
		t.Errorf("war-room entry = %+v", sec.Entries[0])
	}
	if sec.Entries[1].Title != "hooks" || !strings.Contains(sec.Entries[1].Notes[0], "retrying, 3 failures") {
		t.Errorf("hooks entry = %+v", sec.Entries[1])
	}
}

func TestPublicFeedURLHidesCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://news.example/rss":                          "https://news.example/rss",
		"https://user:pass@news.example/rss?api_key=SECRET": "https://news.example/rss",
		"https://news.example/feed?token=SECRET#top":        "https://news.example/feed",
		"::bad": "",
	} {
		if got := publicFeedURL(in); got != want {
			t.Errorf("publicFeedURL(%q) = %q, want %q", in, got, want)
		}
	}
}
