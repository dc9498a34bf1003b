package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
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
)

// Crash tests: `feedwatch run` killed with SIGKILL at random points of its
// polls and sends, again and again, then restarted on the same database;
// and stopped with SIGTERM while its sends hang. Every item must be
// delivered; a Slack message whose send was in flight at a kill may be
// posted once more (Slack has no idempotency key), nothing else may be
// doubled, and on Discord nothing at all (the nonce).

// crashSeed makes the kill times reproducible; FW_TEST_CRASH_SEED replays
// another run.
const crashSeed = 20250902

// crashPost is one message a fake platform created.
type crashPost struct {
	platform string
	channel  string
	raw      string // every string of the message, as in fakes_test.go
	start    int    // which start of the daemon sent it
}

// crashCall is one post a fake platform received, refused or not.
type crashCall struct {
	platform, channel string
	at                time.Time // when it arrived
	// notBefore is when a 429 answering it allowed the next call (zero
	// otherwise); global, whether that held every Discord channel.
	notBefore time.Time
	global    bool
	status    int
}

// crashFault is an answer given in place of creating a message.
type crashFault struct {
	status int
	header map[string]string
	body   string
	retry  time.Duration // for a 429: the wait the answer asks for
	global bool          // Discord's global limit
}

// crashChat fakes Slack's chat.postMessage and Discord's channel messages
// the way they behave when a client dies mid-request: a message is created
// as soon as the request arrives, and the answer comes after a delay (slow
// sends), so that a kill during the delay leaves a message the bot does not
// know it sent. Discord honours nonce with enforce_nonce: a nonce seen in
// the last minutes gets the message already created back, not a new one.
type crashChat struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	rng   *rand.Rand
	hang  bool // answers wait until the client gives up
	start int  // the daemon's start now running, stamped on posts
	// fault, when set, may refuse a post instead of creating its message.
	fault  func(platform, channel string) *crashFault
	calls  []crashCall
	posts  []crashPost
	nonces map[string]time.Time // nonce → when first seen
	// requests counts posts received; deduped, Discord posts answered from
	// their nonce; unanswered, posts whose client was gone before the
	// answer.
	requests, deduped, unanswered int
}

func newCrashChat(t *testing.T, seed uint64) *crashChat {
	c := &crashChat{t: t, rng: rand.New(rand.NewPCG(seed, 1)), nonces: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/api/chat.postMessage", c.slack)
	mux.HandleFunc("POST /discord/api/v10/channels/{id}/messages", c.discord)
	mux.HandleFunc("PUT /discord/api/v10/applications/{app}/commands", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "[]")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected chat API call %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	c.srv = httptest.NewServer(mux)
	t.Cleanup(c.srv.Close)
	return c
}

// answerLater waits the send's delay (or, hanging, until the client gives
// up) and reports whether the client is still there to be answered.
func (c *crashChat) answerLater(r *http.Request) bool {
	c.mu.Lock()
	delay := time.Duration(100+c.rng.IntN(500)) * time.Millisecond
	if c.hang {
		delay = time.Hour
	}
	c.mu.Unlock()
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		c.mu.Lock()
		c.unanswered++
		c.mu.Unlock()
		return false
	}
}

func (c *crashChat) slack(w http.ResponseWriter, r *http.Request) {
	c.received()
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") != slackToken && r.Header.Get("Authorization") != "Bearer "+slackToken {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var blocks any
	_ = json.Unmarshal([]byte(r.PostForm.Get("blocks")), &blocks)
	raw := strings.Join(append([]string{r.PostForm.Get("text")}, stringsIn(blocks)...), "\n")
	ch := r.PostForm.Get("channel")
	if c.refuse(w, "slack", ch) {
		return
	}
	n := c.create(crashPost{platform: "slack", channel: ch, raw: raw})
	if !c.answerLater(r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1756800000.%06d"}`, ch, n)
}

func (c *crashChat) discord(w http.ResponseWriter, r *http.Request) {
	c.received()
	var body map[string]any
	if r.Header.Get("Authorization") != "Bot "+discordToken || json.NewDecoder(r.Body).Decode(&body) != nil {
		http.Error(w, `{"message":"bad request"}`, http.StatusBadRequest)
		return
	}
	nonce, _ := body["nonce"].(string)
	if enforce, _ := body["enforce_nonce"].(bool); nonce == "" || !enforce {
		c.t.Errorf("discord message without nonce and enforce_nonce: %v", body["nonce"])
	}
	id := r.PathValue("id")
	if c.refuse(w, "discord", id) {
		return
	}
	c.mu.Lock()
	first, seen := c.nonces[nonce]
	if seen && time.Since(first) < 5*time.Minute {
		c.deduped++
		c.mu.Unlock()
	} else {
		c.nonces[nonce] = time.Now()
		c.mu.Unlock()
		c.create(crashPost{platform: "discord", channel: id, raw: strings.Join(append(stringsIn(body["content"]), stringsIn(body["embeds"])...), "\n")})
	}
	if !c.answerLater(r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"%d","channel_id":%q,"nonce":%q}`, 1400000000000000000+len(nonce), id, nonce)
}

// refuse answers a post with the fault set for it, if any, and records the
// call either way.
func (c *crashChat) refuse(w http.ResponseWriter, platform, channel string) bool {
	c.mu.Lock()
	fault := c.fault
	c.mu.Unlock()
	call := crashCall{platform: platform, channel: channel, at: time.Now(), status: http.StatusOK}
	var f *crashFault
	if fault != nil {
		f = fault(platform, channel)
	}
	if f != nil {
		for k, v := range f.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		call.status, call.global = f.status, f.global
		if f.retry > 0 {
			// Stamped as the answer leaves: the bot cannot have it sooner.
			call.notBefore = time.Now().Add(f.retry)
		}
		w.WriteHeader(f.status)
		fmt.Fprint(w, f.body)
	}
	c.mu.Lock()
	c.calls = append(c.calls, call)
	c.mu.Unlock()
	return f != nil
}

func (c *crashChat) setFault(f func(platform, channel string) *crashFault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fault = f
}

// callLog returns every post received so far, in order.
func (c *crashChat) callLog() []crashCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

func (c *crashChat) received() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
}

func (c *crashChat) requestCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

func (c *crashChat) create(p crashPost) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	p.start = c.start
	c.posts = append(c.posts, p)
	return len(c.posts)
}

// nextStart stamps the posts from now on as the next start's.
func (c *crashChat) nextStart() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.start++
}

func (c *crashChat) setHang(hang bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hang = hang
}

func (c *crashChat) to(channel string) []crashPost {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []crashPost
	for _, p := range c.posts {
		if p.channel == channel {
			out = append(out, p)
		}
	}
	return out
}

func (c *crashChat) stats() (deduped, unanswered int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deduped, c.unanswered
}

// has reports whether every item of want is in some message of channel.
func (c *crashChat) has(channel string, want []item) bool {
	posts := c.to(channel)
	for _, it := range want {
		if !slices.ContainsFunc(posts, func(p crashPost) bool { return strings.Contains(p.raw, it.url()) }) {
			return false
		}
	}
	return true
}

// crashItem is the nth item published during the crash test: on the talks
// topic (both instant channels follow it), with words of its own so that
// no two headlines read as one story.
func crashItem(n int) item {
	var words []string
	for j := range 6 {
		words = append(words, fmt.Sprintf("c%03dw%d", n, j))
	}
	return item{ID: fmt.Sprintf("crash-%03d", n), Title: "Peace talks with Putin: " + strings.Join(words, " "),
		Link: fmt.Sprintf("https://kyivwire.example/crash/%03d", n), Summary: "Delegations met again.",
		Published: at(14, 0).Add(time.Duration(n) * time.Minute)}
}

// checkDelivery checks one channel's messages against want: every item in
// some message; an item in two messages only when the second repeats the
// first whole (a message sent again, not a second alert); a message never
// repeated by the start that sent it (only a kill, cutting its send off,
// makes a new start send it again); and at most maxRepeats repeats in all
// (one per kill: one send in flight per channel).
func checkDelivery(t *testing.T, posts []crashPost, want []item, maxRepeats int) {
	t.Helper()
	itemsOf := func(p crashPost) string {
		var ids []string
		for _, it := range want {
			if strings.Contains(p.raw, it.url()) {
				ids = append(ids, it.ID)
			}
		}
		return strings.Join(ids, ",")
	}
	seen := map[string]int{}     // item set of a message → times posted
	starts := map[string][]int{} // item set → the starts that posted it
	var repeats int
	for _, p := range posts {
		set := itemsOf(p)
		seen[set]++
		if seen[set] > 1 {
			repeats++
		}
		if slices.Contains(starts[set], p.start) {
			t.Errorf("message with %s posted twice by start %d", set, p.start)
		}
		starts[set] = append(starts[set], p.start)
	}
	if repeats > maxRepeats {
		t.Errorf("%d messages repeated, want at most %d", repeats, maxRepeats)
	}
	for _, it := range want {
		var sets []string
		for set := range seen {
			if slices.Contains(strings.Split(set, ","), it.ID) {
				sets = append(sets, set)
			}
		}
		switch {
		case len(sets) == 0:
			t.Errorf("%s (%s) was never delivered", it.ID, it.url())
		case len(sets) > 1:
			t.Errorf("%s was alerted in %d different messages: %v", it.ID, len(sets), sets)
		}
	}
}

// killDaemon kills d with SIGKILL and waits for it to be gone.
func killDaemon(t *testing.T, d *daemon) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil && !d.exited() {
		t.Fatalf("kill: %v", err)
	}
	<-d.done
}

// TestKillNineAnywhere kills the daemon at random points, many times, with
// items published between starts and every send slow, then lets a last
// start finish: every item reaches both channels; Slack repeats at most the
// message in flight at each kill, Discord none.
func TestKillNineAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the daemon many times")
	}
	seed := uint64(crashSeed)
	if s := os.Getenv("FW_TEST_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FW_TEST_CRASH_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (FW_TEST_CRASH_SEED replays it)", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	const (
		kills        = 15
		perStart     = 2
		maxKillAfter = 3 * time.Second
		finish       = 90 * time.Second
	)
	feeds := newFeedServer(t)
	chat := newCrashChat(t, seed)
	vars := map[string]string{
		"FW_TEST_DB":          t.TempDir() + "/feedwatch.db",
		"FW_TEST_FEEDS":       feeds.URL(),
		"FW_TEST_SLACK_API":   chat.srv.URL + "/slack/api/",
		"FW_TEST_DISCORD_API": chat.srv.URL + "/discord/api/v10",
		"SLACK_BOT_TOKEN":     slackToken,
		"DISCORD_BOT_TOKEN":   discordToken,
	}

	var published []item
	var logs []string
	for i := range kills {
		for range perStart {
			it := crashItem(len(published) + 1)
			path := kyivWirePath
			if len(published)%2 == 1 {
				path = euroDeskPath
			}
			feeds.publish(path, it)
			published = append(published, it)
		}
		_, cutBefore := chat.stats()
		sent := chat.requestCount()
		chat.nextStart()
		d := startDaemon(t, vars)
		start := time.Now()
		// Half the kills land anywhere from start-up through the first
		// poll; the others while the first send of this start is on its
		// way (sends take 100-600 ms).
		phase := "anywhere"
		if rng.IntN(2) == 0 {
			phase = "during a send"
			waitFor(t, d, 30*time.Second, "a send to begin", func() bool { return chat.requestCount() > sent })
			time.Sleep(time.Duration(rng.Int64N(int64(400 * time.Millisecond))))
		} else {
			time.Sleep(time.Duration(rng.Int64N(int64(maxKillAfter))))
		}
		killDaemon(t, d)
		logs = append(logs, d.stderr.String())
		_, cutAfter := chat.stats()
		t.Logf("start %d: killed %s, %v after start; %d sends cut off", i+1, phase, time.Since(start).Round(time.Millisecond), cutAfter-cutBefore)
	}

	wantNewsroom := slices.Concat(wantInstant[newsroom], published)
	wantWarRoom := slices.Concat(wantInstant[warRoom], published)
	polled := feeds.totalRequests()
	chat.nextStart()
	d := startDaemon(t, vars)
	waitFor(t, d, finish, "every item in newsroom and war-room after the last start, and a poll", func() bool {
		// The poll shows the daemon is up (its signals handled) even
		// when earlier starts delivered everything already.
		return chat.has(newsroom, wantNewsroom) && chat.has(warRoom, wantWarRoom) && feeds.totalRequests() > polled
	})
	d.terminate(t, syscall.SIGTERM)
	logs = append(logs, d.stderr.String())

	deduped, unanswered := chat.stats()
	t.Logf("%d kills: %d sends cut off unanswered, %d Discord re-sends answered from their nonce", kills, unanswered, deduped)
	// Slack: one send in flight per channel at a kill, at most.
	checkDelivery(t, chat.to(newsroom), wantNewsroom, kills)
	// Discord: the nonce makes every re-send harmless.
	checkDelivery(t, chat.to(warRoom), wantWarRoom, 0)
	for i, l := range logs {
		for _, bad := range []string{"panic:", "database is locked", "DATA RACE", slackToken, discordToken} {
			if strings.Contains(l, bad) {
				t.Errorf("start %d logged %q:\n%s", i+1, bad, l)
			}
		}
	}
}

// TestSIGTERMDuringHungSends stops the daemon while both platforms hold its
// sends without answering: it exits, cleanly, within 15 seconds, and the
// next start delivers what was left, Slack's message in flight at most
// twice, Discord's once.
func TestSIGTERMDuringHungSends(t *testing.T) {
	feeds := newFeedServer(t)
	chat := newCrashChat(t, crashSeed)
	chat.setHang(true)
	vars := map[string]string{
		"FW_TEST_DB":          t.TempDir() + "/feedwatch.db",
		"FW_TEST_FEEDS":       feeds.URL(),
		"FW_TEST_SLACK_API":   chat.srv.URL + "/slack/api/",
		"FW_TEST_DISCORD_API": chat.srv.URL + "/discord/api/v10",
		"SLACK_BOT_TOKEN":     slackToken,
		"DISCORD_BOT_TOKEN":   discordToken,
	}
	d := startDaemon(t, vars)
	waitFor(t, d, 30*time.Second, "a send to each platform to hang", func() bool {
		return len(chat.to(newsroom)) > 0 && len(chat.to(warRoom)) > 0
	})
	d.terminate(t, syscall.SIGTERM) // fails unless it exits 0 within 15 s
	// Each platform created the message it was holding when the send was
	// cut off; the bot does not know, and sends both again after the
	// restart.
	slackBefore := len(chat.to(newsroom))

	chat.setHang(false)
	chat.nextStart()
	d2 := startDaemon(t, vars)
	waitFor(t, d2, 60*time.Second, "every alert after the restart, and the cut-off sends made again", func() bool {
		deduped, _ := chat.stats()
		return chat.has(newsroom, wantInstant[newsroom]) && chat.has(warRoom, wantInstant[warRoom]) &&
			len(chat.to(newsroom)) > slackBefore && deduped > 0
	})
	d2.terminate(t, syscall.SIGTERM)
	checkDelivery(t, chat.to(newsroom), wantInstant[newsroom], 1)
	checkDelivery(t, chat.to(warRoom), wantInstant[warRoom], 0)
}
