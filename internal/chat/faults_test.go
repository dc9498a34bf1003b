package chat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/internal/chat"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

// Chat faults end to end below the app: the real Slack and Discord
// notifiers (slack-go, discordgo) and the real dispatcher over a real
// SQLite outbox, against fake platforms that are http.Handlers called
// through an in-memory transport, all inside a synctest bubble. Time is
// virtual: a ten-minute outage costs nothing, and every request is stamped
// with the exact virtual time it was made, so "no call before the stated
// time" is checked to the nanosecond.

const (
	faultSlackToken   = "xoxb-fault-SLACKSECRET"
	faultDiscordToken = "fault.DISCORDSECRET"
)

// handlerTransport answers requests with a handler, in memory: no socket,
// so that a synctest bubble sees every goroutine block durably.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// faultCall is one request a fake platform received.
type faultCall struct {
	at       time.Duration // virtual time since the platform started
	platform string        // "slack" or "discord"
	channel  string        // platform channel id
	title    string        // the message it carries (msgA1, …)
	nonce    string
	enforce  bool
	accepted bool // a new message was created
}

// answer is a fake platform's reply; zero status = accept.
type answer struct {
	status int
	header map[string]string
	body   string
}

// fakePlatforms fakes chat.postMessage and POST /channels/{id}/messages.
// script decides each call's answer from the call and how many calls its
// channel had before (0-based); nil or a zero answer accepts. Discord
// honours nonce with enforce_nonce the way Discord does: a repeated nonce
// returns the message already created instead of a new one.
type fakePlatforms struct {
	start  time.Time
	script func(c faultCall, n int) answer

	mu      sync.Mutex
	calls   []faultCall
	perChan map[string]int
	nonces  map[string]string // nonce → message id
}

// faultTitle finds the message a request carries.
var faultTitle = regexp.MustCompile(`msg[A-Z][0-9]+`)

func newFakePlatforms(script func(c faultCall, n int) answer) *fakePlatforms {
	return &fakePlatforms{start: time.Now(), script: script, perChan: map[string]int{}, nonces: map[string]string{}}
}

func (f *fakePlatforms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	c := faultCall{at: time.Since(f.start), title: faultTitle.FindString(string(raw))}
	switch {
	case r.URL.Path == "/api/chat.postMessage":
		form, _ := url.ParseQuery(string(raw))
		if r.Header.Get("Authorization") != "Bearer "+faultSlackToken && form.Get("token") != faultSlackToken {
			http.Error(w, "no token", http.StatusBadRequest)
			return
		}
		c.platform, c.channel = "slack", form.Get("channel")
	case strings.HasPrefix(r.URL.Path, "/api/v10/channels/") && strings.HasSuffix(r.URL.Path, "/messages"):
		var body struct {
			Nonce        string `json:"nonce"`
			EnforceNonce bool   `json:"enforce_nonce"`
		}
		_ = json.Unmarshal(raw, &body)
		c.platform = "discord"
		c.channel = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v10/channels/"), "/messages")
		c.nonce, c.enforce = body.Nonce, body.EnforceNonce
	default:
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	n := f.perChan[c.channel]
	f.perChan[c.channel]++
	f.mu.Unlock()
	var a answer
	if f.script != nil {
		a = f.script(c, n)
	}
	if a.status != 0 {
		f.record(c)
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if c.platform == "slack" {
		c.accepted = true
		f.record(c)
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1756700000.%06d"}`, c.channel, n)
		return
	}
	f.mu.Lock()
	id, repeated := f.nonces[c.nonce]
	if !repeated || !c.enforce {
		id = fmt.Sprint(1400000000000000000 + len(f.calls))
		if c.nonce != "" {
			f.nonces[c.nonce] = id
		}
		c.accepted = true
	}
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	fmt.Fprintf(w, `{"id":%q,"channel_id":%q}`, id, c.channel)
}

func (f *fakePlatforms) record(c faultCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// log returns every call so far, in order.
func (f *fakePlatforms) log() []faultCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// created returns the titles of the messages a channel got, in order.
func (f *fakePlatforms) created(channel string) []string {
	var out []string
	for _, c := range f.log() {
		if c.channel == channel && c.accepted {
			out = append(out, c.title)
		}
	}
	return out
}

// faultRig is the dispatcher with real notifiers for a few channels: name
// → platform and channel id.
type faultRig struct {
	t      *testing.T
	fake   *fakePlatforms
	outbox *recordingOutbox
	d      *chat.Dispatcher
}

// faultChannels are the rig's channels: two on each platform.
var faultChannels = map[string][2]string{
	"slack-a":   {"slack", "C0AAAA"},
	"slack-b":   {"slack", "C0BBBB"},
	"discord-a": {"discord", "111111111111111111"},
	"discord-b": {"discord", "222222222222222222"},
}

// newFaultRig must be called inside a synctest bubble.
func newFaultRig(t *testing.T, script func(c faultCall, n int) answer) *faultRig {
	t.Helper()
	fake := newFakePlatforms(script)
	hc := &http.Client{Transport: handlerTransport{fake}}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "outbox.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	r := chat.Renderer{Loc: time.UTC}
	sc := slack.New(faultSlackToken, slack.OptionAPIURL("http://slack.test/api/"), slack.OptionHTTPClient(hc))
	ds, err := chat.NewDiscordSession(faultDiscordToken, "http://discord.test/api/v10", hc)
	if err != nil {
		t.Fatal(err)
	}
	notifiers := map[string]chat.Notifier{}
	for name, ch := range faultChannels {
		if ch[0] == "slack" {
			notifiers[name] = chat.NewSlackAPI(sc, ch[1], r)
		} else {
			notifiers[name] = chat.NewDiscordAPI(ds, ch[1], r)
		}
	}
	rig := &faultRig{t: t, fake: fake, outbox: &recordingOutbox{Store: st}}
	rig.d = chat.NewDispatcher(chat.DispatcherOptions{Outbox: rig.outbox, Notifiers: notifiers})
	return rig
}

// enqueue queues a message per title for channel, in order.
func (r *faultRig) enqueue(channel string, titles ...string) {
	r.t.Helper()
	msgs := make([]news.OutboxMessage, len(titles))
	for i, title := range titles {
		msgs[i] = news.OutboxMessage{Channel: channel, Created: time.Now(), Message: news.Message{Kind: news.KindAlert, Title: title,
			Sections: []news.Section{{Topic: "talks", Entries: []news.Entry{{Title: title + " headline", URL: "https://news.example/" + title}}}}}}
	}
	if err := r.outbox.Update(r.t.Context(), func(tx store.Tx) error { return tx.Enqueue(msgs...) }); err != nil {
		r.t.Fatalf("enqueue: %v", err)
	}
	r.d.Kick()
}

// run starts the dispatcher until the test ends.
func (r *faultRig) run() {
	ctx, cancel := context.WithCancel(r.t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.d.Run(ctx)
	}()
	r.t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (r *faultRig) health(channel string) chat.ChannelHealth {
	for _, h := range r.d.Health() {
		if h.Channel == channel {
			return h
		}
	}
	r.t.Fatalf("no health for %s", channel)
	return chat.ChannelHealth{}
}

func (r *faultRig) depth() int {
	n, err := r.outbox.OutboxDepth(r.t.Context())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// titles are n message titles with a letter of their own.
func titles(letter string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("msg%s%d", letter, i+1)
	}
	return out
}

// TestChatOutageThenRecovery: a platform answering 5xx for ten minutes.
// Messages wait in the outbox, the channel's head is retried with backoff
// (each attempt exactly one request: neither slack-go nor discordgo re-sends
// on its own), nothing else of that channel is sent meanwhile, and when the
// platform returns every message goes out once, in order; on Discord each
// retry carries the message's nonce. The other platform is not held up.
func TestChatOutageThenRecovery(t *testing.T) {
	const outage = 10 * time.Minute
	tests := []struct {
		name, channel, other string
		fail                 answer
	}{
		{name: "slack 500", channel: "slack-a", other: "discord-a", fail: answer{status: 500, body: "oops"}},
		{name: "slack 503 service_unavailable", channel: "slack-a", other: "discord-a",
			fail: answer{status: 503, body: `{"ok":false,"error":"service_unavailable"}`}},
		{name: "discord 500", channel: "discord-a", other: "slack-a", fail: answer{status: 500, body: `{"message":"500: Internal Server Error","code":0}`}},
		{name: "discord 502", channel: "discord-a", other: "slack-a", fail: answer{status: 502, body: "<html>Bad Gateway</html>"}},
		{name: "discord 503", channel: "discord-a", other: "slack-a", fail: answer{status: 503, body: `{"message":"upstream connect error"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				down := faultChannels[tt.channel][1]
				rig := newFaultRig(t, func(c faultCall, _ int) answer {
					if c.channel == down && c.at < outage {
						return tt.fail
					}
					return answer{}
				})
				want := titles("A", 4)
				rig.enqueue(tt.channel, want...)
				rig.enqueue(tt.other, titles("B", 2)...)
				rig.run()

				time.Sleep(outage - time.Second)
				synctest.Wait()
				if got := rig.fake.created(down); len(got) != 0 {
					t.Fatalf("created %v during the outage", got)
				}
				if got := rig.fake.created(faultChannels[tt.other][1]); !slices.Equal(got, titles("B", 2)) {
					t.Errorf("the other platform got %v during the outage, want %v", got, titles("B", 2))
				}
				if rig.depth() != len(want) {
					t.Errorf("outbox depth %d during the outage, want %d waiting", rig.depth(), len(want))
				}
				if h := rig.health(tt.channel); !h.Failing || h.Permanent {
					t.Errorf("health during the outage = %+v, want failing, not permanently", h)
				}

				time.Sleep(15 * time.Minute)
				synctest.Wait()
				if got := rig.fake.created(down); !slices.Equal(got, want) {
					t.Errorf("created %v after the outage, want %v: each once, in order", got, want)
				}
				var attempts, failed int
				var nonce string
				for _, c := range rig.fake.log() {
					if c.channel != down {
						continue
					}
					attempts++
					if c.at < outage {
						failed++
						if c.title != "msgA1" {
							t.Errorf("%s was tried during the outage, before the head msgA1", c.title)
						}
					}
					if c.platform == "discord" {
						if !c.enforce || c.nonce == "" {
							t.Errorf("discord call for %s without nonce and enforce_nonce", c.title)
						}
						if c.title == "msgA1" {
							if nonce != "" && c.nonce != nonce {
								t.Errorf("retry of msgA1 has nonce %q, the first had %q", c.nonce, nonce)
							}
							nonce = c.nonce
						}
					}
				}
				_, _, retries := rig.outbox.marks()
				if failed == 0 || attempts != len(want)+len(retries) || failed != len(retries) {
					t.Errorf("%d requests (%d failed) for %d messages and %d retries: want one request per attempt",
						attempts, failed, len(want), len(retries))
				}
				if rig.depth() != 0 {
					t.Errorf("outbox depth %d after recovery, want 0", rig.depth())
				}
				if h := rig.health(tt.channel); h.Failing {
					t.Errorf("health after recovery = %+v", h)
				}
			})
		})
	}
}

// TestChatRateLimits: a 429 holds the channel back until the time the
// platform stated, and not a nanosecond less: Slack's Retry-After, Discord's
// retry_after for the route (shared), and Discord's global limit, which
// holds back every channel of the bot.
func TestChatRateLimits(t *testing.T) {
	tests := []struct {
		name    string
		channel string
		limit   answer
		wait    time.Duration
		global  bool
	}{
		{name: "slack Retry-After", channel: "slack-a", wait: 30 * time.Second,
			limit: answer{status: 429, header: map[string]string{"Retry-After": "30"}, body: `{"ok":false,"error":"ratelimited"}`}},
		{name: "discord shared", channel: "discord-a", wait: 12500 * time.Millisecond,
			limit: answer{status: 429, header: map[string]string{"Retry-After": "13", "X-RateLimit-Scope": "shared"},
				body: `{"message":"You are being rate limited.","retry_after":12.5,"global":false}`}},
		{name: "discord global", channel: "discord-a", wait: 7 * time.Second, global: true,
			limit: answer{status: 429, header: map[string]string{"Retry-After": "7", "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"},
				body: `{"message":"You are being rate limited.","retry_after":7,"global":true}`}},
		{name: "discord global in the body only", channel: "discord-a", wait: 9 * time.Second, global: true,
			limit: answer{status: 429, body: `{"message":"You are being rate limited.","retry_after":9,"global":true}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				id := faultChannels[tt.channel][1]
				rig := newFaultRig(t, func(c faultCall, n int) answer {
					if c.channel == id && n == 0 {
						return tt.limit
					}
					return answer{}
				})
				rig.enqueue(tt.channel, titles("A", 3)...)
				rig.run()
				synctest.Wait()
				// Another channel of the same platform gets a message after
				// the 429: held back too when the limit is global only.
				time.Sleep(time.Second)
				rig.enqueue(strings.Replace(tt.channel, "-a", "-b", 1), "msgB1")
				time.Sleep(time.Minute)
				synctest.Wait()

				log := rig.fake.log()
				if len(log) == 0 || log[0].channel != id {
					t.Fatalf("first call %+v, want the rate-limited one", log)
				}
				limitedAt := log[0].at
				for _, c := range log[1:] {
					held := c.channel == id || tt.global
					if held && c.at < limitedAt+tt.wait {
						t.Errorf("call for %s at %v, before the stated time %v", c.title, c.at, limitedAt+tt.wait)
					}
				}
				if got := rig.fake.created(id); !slices.Equal(got, titles("A", 3)) {
					t.Errorf("created %v, want every message once, in order", got)
				}
				other := faultChannels[strings.Replace(tt.channel, "-a", "-b", 1)][1]
				if got := rig.fake.created(other); !slices.Equal(got, []string{"msgB1"}) {
					t.Errorf("the other channel got %v", got)
				}
				// The retry came when it was due, not a backoff later.
				for _, c := range log[1:] {
					if c.channel == id {
						if c.at != limitedAt+tt.wait {
							t.Errorf("retry at %v, want exactly at %v", c.at, limitedAt+tt.wait)
						}
						break
					}
				}
				if !tt.global {
					for _, c := range log {
						if c.channel == other && c.at != time.Second {
							t.Errorf("the other channel was held back to %v by a limit that was not global", c.at)
						}
					}
				}
			})
		})
	}
}

// TestChatPermanentErrors: an error that retrying cannot fix marks the
// message failed at once (never retried), the channel failing in the
// dispatcher's health with the platform's reason, and leaves the other
// channels, on the same platform too, unaffected.
func TestChatPermanentErrors(t *testing.T) {
	tests := []struct {
		name, channel, healthy string
		fail                   answer
		reason                 string
	}{
		{name: "slack invalid_auth", channel: "slack-a", healthy: "slack-b", reason: "invalid_auth",
			fail: answer{status: 200, body: `{"ok":false,"error":"invalid_auth"}`}},
		{name: "slack channel_not_found", channel: "slack-a", healthy: "slack-b", reason: "channel_not_found",
			fail: answer{status: 200, body: `{"ok":false,"error":"channel_not_found"}`}},
		{name: "slack is_archived", channel: "slack-a", healthy: "slack-b", reason: "is_archived",
			fail: answer{status: 200, body: `{"ok":false,"error":"is_archived"}`}},
		{name: "discord 401", channel: "discord-a", healthy: "discord-b", reason: "HTTP 401",
			fail: answer{status: 401, body: `{"message":"401: Unauthorized","code":0}`}},
		{name: "discord 403", channel: "discord-a", healthy: "discord-b", reason: "Missing Access",
			fail: answer{status: 403, body: `{"message":"Missing Access","code":50001}`}},
		{name: "discord 404", channel: "discord-a", healthy: "discord-b", reason: "Unknown Channel",
			fail: answer{status: 404, body: `{"message":"Unknown Channel","code":10003}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bad := faultChannels[tt.channel][1]
				rig := newFaultRig(t, func(c faultCall, _ int) answer {
					if c.channel == bad {
						return tt.fail
					}
					return answer{}
				})
				rig.enqueue(tt.channel, titles("A", 3)...)
				rig.enqueue(tt.healthy, titles("B", 3)...)
				rig.run()
				time.Sleep(time.Hour)
				synctest.Wait()

				var tried []string
				for _, c := range rig.fake.log() {
					if c.channel == bad {
						tried = append(tried, c.title)
					}
				}
				if !slices.Equal(tried, titles("A", 3)) {
					t.Errorf("requests to the failing channel %v, want each message once, never retried", tried)
				}
				if got := rig.fake.created(faultChannels[tt.healthy][1]); !slices.Equal(got, titles("B", 3)) {
					t.Errorf("healthy channel got %v", got)
				}
				_, failed, retries := rig.outbox.marks()
				if len(failed) != 3 || len(retries) != 0 {
					t.Errorf("marked failed %v, retry %v; want 3 failed, none retried", failed, retries)
				}
				h := rig.health(tt.channel)
				if !h.Failing || !h.Permanent || !strings.Contains(h.LastErrMsg, tt.reason) {
					t.Errorf("health = %+v, want failing permanently with %q", h, tt.reason)
				}
				for _, secret := range []string{faultSlackToken, faultDiscordToken} {
					if strings.Contains(h.LastErrMsg, secret) {
						t.Errorf("the recorded error shows a token: %q", h.LastErrMsg)
					}
				}
				if hh := rig.health(tt.healthy); hh.Failing {
					t.Errorf("healthy channel's health = %+v", hh)
				}
			})
		})
	}
}
