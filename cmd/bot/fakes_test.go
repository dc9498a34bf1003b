package main

import (
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// The acceptance tests' outside world: news feeds and chat platforms, served
// on loopback by httptest, the way feedwatch meets them in production.

// Secrets the binary gets from its environment. They must never show up in
// anything it prints.
const (
	slackToken   = "xoxb-4242-acceptance-SLACKSECRET"
	discordToken = "MTk4.acceptance.DISCORDSECRET"
)

// item is one news item of a test feed. Link is what the feed carries;
// Canonical is the link feedwatch should show (tracking parameters dropped).
type item struct {
	ID, Title, Link, Summary string
	Canonical                string
	Published                time.Time
}

// url is the link an alert must carry for the item.
func (it item) url() string {
	if it.Canonical != "" {
		return it.Canonical
	}
	return it.Link
}

// at is a time on the day the test news happens.
func at(hour, minute int) time.Time { return time.Date(2025, 9, 2, hour, minute, 0, 0, time.UTC) }

// The test news. Topics (testdata/pipeline.yaml): talks, guarantees,
// oil-buyers; newsroom follows talks and guarantees, war-room talks and
// oil-buyers, morning-brief everything as a digest.
var (
	talksReady = item{ID: "kw-1", Title: "Zelensky ready for peace talks with Putin in any format",
		Link:      "https://kyivwire.example/news/ready-any-format?utm_source=rss&utm_medium=feed",
		Canonical: "https://kyivwire.example/news/ready-any-format",
		Summary:   "Kyiv is prepared to meet the Kremlin leader before the September 2 deadline.", Published: at(9, 0)}
	guarantees = item{ID: "kw-2", Title: "European envoys draft Article 5 style security guarantees for Kyiv",
		Link:    "https://kyivwire.example/news/article-5-draft",
		Summary: "The text would oblige signatories to consult within 24 hours of an attack.", Published: at(8, 0)}
	football = item{ID: "kw-3", Title: "Football: peace talks between Putin fans and Dynamo ultras",
		Link: "https://kyivwire.example/sport/ultras", Summary: "A friendly match ends a decade of feuding.", Published: at(8, 30)}
	weather = item{ID: "kw-4", Title: "Heat wave grips Kyiv as temperatures reach 38C",
		Link: "https://kyivwire.example/weather/heat", Summary: "Forecasters expect relief by Friday.", Published: at(7, 0)}
	// hostile carries text that would ping everyone and forge links if it
	// reached chat unescaped. The feed escapes it twice, so that after XML
	// and HTML decoding the item's plain text holds it literally.
	hostile = item{ID: "kw-5",
		Title:   "@everyone Putin agrees to peace talks <!channel> <@U012ABCDEF> [click](http://evil.example/x) <http://evil.example/y|official statement>",
		Link:    "https://kyivwire.example/news/putin-agrees",
		Summary: "<!here> Read the <http://evil.example/z|full text>.", Published: at(10, 0)}
	oilBuyers = item{ID: "urn:euro-desk:1", Title: "India and China keep buying Russian oil despite US tariffs",
		Link: "https://eurodesk.example/energy/russian-oil-buyers", Summary: "Refiners in both countries raised imports in August.", Published: at(7, 30)}
	// talksEcho is talksReady's story carried by the other feed (the same
	// canonical link): alerted once, counted as two sources in a digest.
	talksEcho = item{ID: "urn:euro-desk:2", Title: "Kyiv says Zelensky is ready for peace talks with Putin",
		Link: "https://kyivwire.example/news/ready-any-format", Summary: "The offer was repeated in Brussels.", Published: at(9, 30)}
	fisheries = item{ID: "urn:euro-desk:3", Title: "EU ministers discuss fisheries quotas for 2026",
		Link: "https://eurodesk.example/fisheries", Summary: "No agreement is expected before December.", Published: at(6, 0)}

	// Items published while the daemon runs.
	talksVenue = item{ID: "kw-6", Title: "Istanbul offered as venue for peace talks between Putin and Zelensky",
		Link: "https://kyivwire.example/news/istanbul-venue", Summary: "Ankara repeated its offer.", Published: at(11, 0)}
	talksConfirmed = item{ID: "urn:euro-desk:4", Title: "Kremlin confirms peace talks with Zelensky next week",
		Link: "https://eurodesk.example/news/kremlin-confirms", Summary: "A spokesman named no date.", Published: at(12, 0)}
	talksQueued = item{ID: "kw-8", Title: "Zelensky names his delegation for the peace talks",
		Link: "https://kyivwire.example/news/delegation", Summary: "The defence minister will lead it.", Published: at(12, 30)}
	talksAfterRestart = item{ID: "kw-7", Title: "Zelensky and Putin peace talks to open on Monday",
		Link: "https://kyivwire.example/news/talks-open-monday", Summary: "Delegations arrive on Sunday.", Published: at(13, 0)}
)

// The feeds' paths on the feed server, as testdata/*.yaml name them.
const (
	kyivWirePath = "/kyiv-wire.xml"
	euroDeskPath = "/euro-desk.atom"
)

// feedServer serves RSS and Atom feeds whose items a test can change, with
// ETag conditional requests, and counts what it is asked.
type feedServer struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	items       map[string][]item // by path
	requests    map[string]int
	notModified map[string]int
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{t: t,
		items: map[string][]item{
			kyivWirePath: {talksReady, guarantees, football, weather, hostile},
			euroDeskPath: {oilBuyers, talksEcho, fisheries},
		},
		requests: map[string]int{}, notModified: map[string]int{}}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "feedwatch/") {
		fs.t.Errorf("feed request with User-Agent %q, want feedwatch/…", ua)
	}
	fs.mu.Lock()
	items, ok := fs.items[r.URL.Path]
	fs.requests[r.URL.Path]++
	fs.mu.Unlock()
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	var doc, ctype string
	if strings.HasSuffix(r.URL.Path, ".atom") {
		doc, ctype = atomDoc(items), "application/atom+xml; charset=utf-8"
	} else {
		doc, ctype = rssDoc(items), "application/rss+xml; charset=utf-8"
	}
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(doc)))
	if r.Header.Get("If-None-Match") == etag {
		fs.mu.Lock()
		fs.notModified[r.URL.Path]++
		fs.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", ctype)
	fmt.Fprint(w, doc)
}

// URL is the base the feeds' paths go after (FW_TEST_FEEDS).
func (fs *feedServer) URL() string { return fs.srv.URL }

// publish adds an item at the top of the feed at path.
func (fs *feedServer) publish(path string, it item) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.items[path] = append([]item{it}, fs.items[path]...)
}

// replace makes items the whole content of the feed at path.
func (fs *feedServer) replace(path string, items ...item) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.items[path] = items
}

// stats returns how often path was requested and answered 304.
func (fs *feedServer) stats(path string) (requests, notModified int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.requests[path], fs.notModified[path]
}

// totalRequests counts requests for every path.
func (fs *feedServer) totalRequests() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for _, c := range fs.requests {
		n += c
	}
	return n
}

// htmlText escapes plain text as HTML, then the result as XML character
// data: a reader that decodes both gets s back, tags and all.
func htmlText(s string) string { return xmlEscape(xmlEscape(s)) }

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func rssDoc(items []item) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<rss version="2.0"><channel><title>Kyiv Wire</title><link>https://kyivwire.example/</link><description>News from Kyiv</description>` + "\n")
	for _, it := range items {
		fmt.Fprintf(&b, "<item><guid isPermaLink=\"false\">%s</guid><title>%s</title><link>%s</link><description>%s</description><pubDate>%s</pubDate></item>\n",
			xmlEscape(it.ID), htmlText(it.Title), xmlEscape(it.Link), htmlText(it.Summary), it.Published.Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>\n")
	return b.String()
}

func atomDoc(items []item) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<feed xmlns="http://www.w3.org/2005/Atom"><title>Euro Desk</title><id>urn:euro-desk</id><updated>2025-09-02T12:00:00Z</updated>` + "\n")
	for _, it := range items {
		fmt.Fprintf(&b, "<entry><id>%s</id><title type=\"html\">%s</title><link rel=\"alternate\" href=\"%s\"/><summary type=\"html\">%s</summary><updated>%s</updated></entry>\n",
			xmlEscape(it.ID), htmlText(it.Title), xmlEscape(it.Link), htmlText(it.Summary), it.Published.Format(time.RFC3339))
	}
	b.WriteString("</feed>\n")
	return b.String()
}

// post is one message a chat platform accepted.
type post struct {
	Platform string // "slack" or "discord"
	Channel  string // Slack channel id or Discord channel id
	// Raw is every string of the request as the platform reads it: Slack's
	// text and the strings inside its blocks, Discord's content and embeds.
	Raw string
	// Fields are the decoded request (Slack: the form with blocks decoded;
	// Discord: the JSON body).
	Fields map[string]any
}

// chatServer fakes Slack's Web API (chat.postMessage) and Discord's REST API
// (POST /channels/{id}/messages) under one httptest server, checking each
// request's credentials and recording what was accepted.
type chatServer struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	posts []post
	// hold, when set, makes Slack posts wait until it is closed; held
	// receives a value as each held post arrives.
	hold chan struct{}
	held chan struct{}
	// aborted counts posts whose sender gave up before the answer.
	aborted int
	// faults are the answers the next posts to a channel get instead of
	// being accepted, in order; attempts counts every post, faults included.
	faults   map[string][]fault
	attempts map[string]int
	// commands are the names of the Discord application commands
	// registered (bulk overwrite), by application id.
	commands map[string][]string
}

// fault is how the fake answers a post instead of accepting it.
type fault int

const (
	// rateLimited is a 429 with Retry-After: 1.
	rateLimited fault = iota + 1
	// unknownChannel is Slack's channel_not_found, Discord's 404 Unknown
	// Channel: a permanent failure.
	unknownChannel
)

// inject makes the next posts to channel fail with faults, in order.
func (cs *chatServer) inject(channel string, faults ...fault) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.faults[channel] = append(cs.faults[channel], faults...)
}

// attempt counts a post to channel and returns the fault it must get, if any.
func (cs *chatServer) attempt(channel string) fault {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.attempts[channel]++
	fs := cs.faults[channel]
	if len(fs) == 0 {
		return 0
	}
	cs.faults[channel] = fs[1:]
	return fs[0]
}

// attemptsTo counts the posts to channel, accepted or not.
func (cs *chatServer) attemptsTo(channel string) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.attempts[channel]
}

func newChatServer(t *testing.T) *chatServer {
	cs := &chatServer{t: t, faults: map[string][]fault{}, attempts: map[string]int{}, commands: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/api/chat.postMessage", cs.slack)
	mux.HandleFunc("POST /discord/api/v10/channels/{id}/messages", cs.discord)
	mux.HandleFunc("PUT /discord/api/v10/applications/{app}/commands", cs.discordCommands)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected chat API call %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	cs.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		cs.release()
		cs.srv.Close()
	})
	return cs
}

func (cs *chatServer) slack(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		cs.t.Errorf("slack: bad form: %v", err)
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+slackToken && r.PostForm.Get("token") != slackToken {
		cs.t.Errorf("slack: chat.postMessage without the bot token")
		fmt.Fprint(w, `{"ok":false,"error":"not_authed"}`)
		return
	}
	fields := map[string]any{}
	for k := range r.PostForm {
		fields[k] = r.PostForm.Get(k)
	}
	var raw []string
	raw = append(raw, r.PostForm.Get("text"))
	if b := r.PostForm.Get("blocks"); b != "" {
		var blocks any
		if err := json.Unmarshal([]byte(b), &blocks); err != nil {
			cs.t.Errorf("slack: blocks are not JSON: %v", err)
		}
		fields["blocks"] = blocks
		raw = append(raw, stringsIn(blocks)...)
	}
	if v := r.PostForm.Get("link_names"); v != "" && v != "false" && v != "0" {
		cs.t.Errorf("slack: link_names=%q: feed text could ping", v)
	}
	for _, p := range slackOverLimits(r.PostForm.Get("text"), fields["blocks"]) {
		cs.t.Errorf("slack: message over the platform's limits: %s", p)
	}

	ch := r.PostForm.Get("channel")
	switch cs.attempt(ch) {
	case rateLimited:
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"ok":false,"error":"ratelimited"}`, http.StatusTooManyRequests)
		return
	case unknownChannel:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":false,"error":"channel_not_found"}`)
		return
	}

	cs.mu.Lock()
	hold, held := cs.hold, cs.held
	cs.mu.Unlock()
	if hold != nil {
		held <- struct{}{}
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}
	if r.Context().Err() != nil {
		cs.mu.Lock()
		cs.aborted++
		cs.mu.Unlock()
		return
	}
	n := cs.record(post{Platform: "slack", Channel: ch, Raw: strings.Join(raw, "\n"), Fields: fields})
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1756800000.%06d"}`, ch, n)
}

func (cs *chatServer) discord(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bot "+discordToken {
		cs.t.Errorf("discord: request without the bot token")
		http.Error(w, `{"message":"401: Unauthorized","code":0}`, http.StatusUnauthorized)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		cs.t.Errorf("discord: body is not JSON: %v", err)
		http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
		return
	}
	am, _ := body["allowed_mentions"].(map[string]any)
	if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
		cs.t.Errorf("discord: allowed_mentions = %v, want {parse: []}", body["allowed_mentions"])
	}
	for _, p := range discordOverLimits(body) {
		cs.t.Errorf("discord: message over the platform's limits: %s", p)
	}
	var raw []string
	for _, k := range []string{"content", "embeds"} {
		raw = append(raw, stringsIn(body[k])...)
	}
	id := r.PathValue("id")
	switch cs.attempt(id) {
	case rateLimited:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"message":"You are being rate limited.","retry_after":1,"global":false}`)
		return
	case unknownChannel:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Unknown Channel","code":10003}`)
		return
	}
	n := cs.record(post{Platform: "discord", Channel: id, Raw: strings.Join(raw, "\n"), Fields: body})
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"%d","channel_id":%q,"type":0,"content":""}`, 1400000000000000000+n, id)
}

// discordCommands answers a bulk overwrite of global application commands
// the way Discord does: the commands back, with ids.
func (cs *chatServer) discordCommands(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bot "+discordToken {
		cs.t.Errorf("discord: command registration without the bot token")
		http.Error(w, `{"message":"401: Unauthorized","code":0}`, http.StatusUnauthorized)
		return
	}
	var cmds []map[string]any
	if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		cs.t.Errorf("discord: commands are not a JSON array: %v", err)
		http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
		return
	}
	app := r.PathValue("app")
	var names []string
	for i, c := range cmds {
		name, _ := c["name"].(string)
		names = append(names, name)
		c["id"] = fmt.Sprint(1500000000000000000 + i)
		c["application_id"] = app
	}
	cs.mu.Lock()
	cs.commands[app] = names
	cs.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(cmds)
}

// registered returns the names of the application commands app registered.
func (cs *chatServer) registered(app string) []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return slices.Clone(cs.commands[app])
}

// stringsIn returns every string inside a decoded JSON value, in order.
func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var out []string
		for _, k := range keys {
			out = append(out, stringsIn(v[k])...)
		}
		return out
	}
	return nil
}

func (cs *chatServer) record(p post) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.posts = append(cs.posts, p)
	return len(cs.posts)
}

// holdSlack makes Slack posts wait until release is called; held receives a
// value as each one arrives.
func (cs *chatServer) holdSlack() (held <-chan struct{}) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.hold, cs.held = make(chan struct{}), make(chan struct{}, 16)
	return cs.held
}

// release lets held Slack posts through and stops holding new ones.
func (cs *chatServer) release() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.hold != nil {
		close(cs.hold)
		cs.hold = nil
	}
}

// to returns the posts accepted for a channel id, in order.
func (cs *chatServer) to(channel string) []post {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []post
	for _, p := range cs.posts {
		if p.Channel == channel {
			out = append(out, p)
		}
	}
	return out
}

// count returns how many posts were accepted in all.
func (cs *chatServer) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.posts)
}

func (cs *chatServer) abortedPosts() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.aborted
}

// URL is the server's base URL.
func (cs *chatServer) URL() string { return cs.srv.URL }

// readable undoes platform escaping that keeps text inert but leaves it
// legible (Discord's markdown backslashes, zero-width spaces, Slack's
// entities), so that a test can look for a headline as a reader sees it.
func readable(s string) string {
	s = strings.ReplaceAll(s, "\\", "")
	s = strings.ReplaceAll(s, "\u200b", "")
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s)
}

// The platforms' published message limits, stated here on their own so that
// the acceptance tests do not take feedwatch's word for them. Lengths are in
// characters.
const (
	slackMaxBlocks      = 50
	slackMaxSectionText = 3000
	slackMaxHeaderText  = 150
	slackMaxText        = 40000

	discordMaxContent     = 2000
	discordMaxEmbeds      = 10
	discordMaxEmbedsTotal = 6000
	discordMaxTitle       = 256
	discordMaxDescription = 4096
	discordMaxFields      = 25
	discordMaxFieldName   = 256
	discordMaxFieldValue  = 1024
	discordMaxFooter      = 2048
	discordMaxAuthor      = 256
)

// slackOverLimits lists how a chat.postMessage exceeds Slack's limits.
func slackOverLimits(text string, blocks any) []string {
	var out []string
	if n := utf8.RuneCountInString(text); n > slackMaxText {
		out = append(out, fmt.Sprintf("text has %d characters (max %d)", n, slackMaxText))
	}
	list, _ := blocks.([]any)
	if len(list) > slackMaxBlocks {
		out = append(out, fmt.Sprintf("%d blocks (max %d)", len(list), slackMaxBlocks))
	}
	for i, b := range list {
		block, _ := b.(map[string]any)
		obj, _ := block["text"].(map[string]any)
		txt, _ := obj["text"].(string)
		n := utf8.RuneCountInString(txt)
		switch block["type"] {
		case "section":
			if n > slackMaxSectionText {
				out = append(out, fmt.Sprintf("block %d: section text has %d characters (max %d)", i, n, slackMaxSectionText))
			}
		case "header":
			if n > slackMaxHeaderText {
				out = append(out, fmt.Sprintf("block %d: header has %d characters (max %d)", i, n, slackMaxHeaderText))
			}
		}
	}
	return out
}

// discordOverLimits lists how a message body exceeds Discord's limits.
func discordOverLimits(body map[string]any) []string {
	var out []string
	over := func(what string, v any, max int) int {
		s, _ := v.(string)
		n := utf8.RuneCountInString(s)
		if n > max {
			out = append(out, fmt.Sprintf("%s has %d characters (max %d)", what, n, max))
		}
		return n
	}
	over("content", body["content"], discordMaxContent)
	embeds, _ := body["embeds"].([]any)
	if len(embeds) > discordMaxEmbeds {
		out = append(out, fmt.Sprintf("%d embeds (max %d)", len(embeds), discordMaxEmbeds))
	}
	total := 0
	for i, e := range embeds {
		embed, _ := e.(map[string]any)
		at := fmt.Sprintf("embed %d ", i)
		total += over(at+"title", embed["title"], discordMaxTitle)
		total += over(at+"description", embed["description"], discordMaxDescription)
		footer, _ := embed["footer"].(map[string]any)
		total += over(at+"footer", footer["text"], discordMaxFooter)
		author, _ := embed["author"].(map[string]any)
		total += over(at+"author", author["name"], discordMaxAuthor)
		fields, _ := embed["fields"].([]any)
		if len(fields) > discordMaxFields {
			out = append(out, fmt.Sprintf("%s: %d fields (max %d)", at, len(fields), discordMaxFields))
		}
		for j, f := range fields {
			field, _ := f.(map[string]any)
			total += over(fmt.Sprintf("%sfield %d name", at, j), field["name"], discordMaxFieldName)
			total += over(fmt.Sprintf("%sfield %d value", at, j), field["value"], discordMaxFieldValue)
		}
	}
	if total > discordMaxEmbedsTotal {
		out = append(out, fmt.Sprintf("embeds total %d characters (max %d)", total, discordMaxEmbedsTotal))
	}
	return out
}

// TestLimitCheckersCatchViolations proves that the fake platforms' limit
// checks can fail, so that their silence in the acceptance tests means
// something.
func TestLimitCheckersCatchViolations(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	section := func(text string) any {
		return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}
	}
	manyBlocks := make([]any, slackMaxBlocks+1)
	for i := range manyBlocks {
		manyBlocks[i] = section("ok")
	}
	embed := func(description string) any { return map[string]any{"description": description} }
	tests := []struct {
		name  string
		slack []string // problems found in a Slack message
		disc  []string // or in a Discord message
		want  int
	}{
		{name: "slack within limits", slack: slackOverLimits("hi", []any{section(long(slackMaxSectionText))}), want: 0},
		{name: "slack section too long", slack: slackOverLimits("hi", []any{section(long(slackMaxSectionText + 1))}), want: 1},
		{name: "slack too many blocks", slack: slackOverLimits("hi", manyBlocks), want: 1},
		{name: "slack header too long", slack: slackOverLimits("hi", []any{map[string]any{"type": "header",
			"text": map[string]any{"type": "plain_text", "text": long(slackMaxHeaderText + 1)}}}), want: 1},
		{name: "discord within limits", disc: discordOverLimits(map[string]any{"content": long(discordMaxContent),
			"embeds": []any{embed(long(discordMaxDescription))}}), want: 0},
		{name: "discord content too long", disc: discordOverLimits(map[string]any{"content": long(discordMaxContent + 1)}), want: 1},
		{name: "discord embeds over the total", disc: discordOverLimits(map[string]any{
			"embeds": []any{embed(long(4000)), embed(long(2001))}}), want: 1},
		{name: "discord too many embeds", disc: discordOverLimits(map[string]any{
			"embeds": slices.Repeat([]any{embed("x")}, discordMaxEmbeds+1)}), want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := append(tt.slack, tt.disc...)
			if len(got) != tt.want {
				t.Errorf("problems %q, want %d", got, tt.want)
			}
		})
	}
}
