package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/chat"
)

// Forged and hostile requests to the app's two chat endpoints (through
// App.Handler, as served): every one is refused with 401 or 413 (400 for a
// body that is not even a form or JSON), reaches no command, changes
// nothing, and panics nothing.

// forgedWatch is an admin's `watch` in this channel: a change, so that a
// forgery that got through would show in storage.
func forgedSlackBody() string {
	return url.Values{"channel_id": {cmdSlackChannel}, "user_id": {cmdSlackAdmin}, "user_name": {"admin"}, "command": {"/feedwatch"},
		"text": {"watch forged kyiv"}, "response_url": {"https://hooks.slack.test/r"}, "trigger_id": {"1.2.3"}}.Encode()
}

func forgedDiscordBody() []byte {
	return []byte(`{"id":"77","application_id":"` + cmdDiscordApp + `","type":2,"token":"t","version":1,"guild_id":"5","channel_id":"` + cmdDiscordChan +
		`","member":{"user":{"id":"` + cmdDiscordAdmin + `","username":"a"},"roles":[]},"data":{"id":"9","name":"feedwatch","type":1,` +
		`"options":[{"name":"watch","type":1,"options":[{"name":"name","type":3,"value":"forged"},{"name":"query","type":3,"value":"kyiv"}]}]}}`)
}

// signedSlack is a Slack request for body signed with secret at ts.
func signedSlack(secret string, ts time.Time, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, chat.SlackCommandsPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sig, stamp := chat.SignSlack(secret, ts, []byte(body))
	r.Header.Set("X-Slack-Signature", sig)
	r.Header.Set("X-Slack-Request-Timestamp", stamp)
	return r
}

// signedDiscord is a Discord interaction for body signed with key at ts.
func signedDiscord(key ed25519.PrivateKey, ts time.Time, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	sig, stamp := chat.SignDiscord(key, ts, body)
	r.Header.Set("X-Signature-Ed25519", sig)
	r.Header.Set("X-Signature-Timestamp", stamp)
	return r
}

// with returns r after change.
func with(r *http.Request, change func(*http.Request)) *http.Request {
	change(r)
	return r
}

// forgedState is what a forged request could change: topics, mutes,
// deadlines and feeds added from chat, and the outbox.
func forgedState(t *testing.T, e *cmdEnv) string {
	t.Helper()
	ctx := context.Background()
	topics, err1 := e.a.store.Topics(ctx)
	mutes, err2 := e.a.store.Mutes(ctx, cmdNow)
	ds, err3 := e.a.store.Deadlines(ctx)
	fs, err4 := e.a.store.Feeds(ctx)
	depth, err5 := e.a.store.OutboxDepth(ctx)
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprint(topics, mutes, ds, fs, depth)
}

// serveSafely serves r and reports a panic as a test failure.
func serveSafely(t *testing.T, h http.Handler, r *http.Request) (w *httptest.ResponseRecorder) {
	t.Helper()
	w = httptest.NewRecorder()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s %s panicked: %v", r.Method, r.URL.Path, p)
		}
	}()
	h.ServeHTTP(w, r)
	return w
}

func TestForgedRequestsChangeNothing(t *testing.T) {
	e := newCmdEnv(t)
	before := forgedState(t, e)
	now := time.Now()
	slackBody, discordBody := forgedSlackBody(), forgedDiscordBody()
	_, otherKey, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{9}, 64)))
	tests := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		// Slack.
		{"slack: wrong secret", func() *http.Request { return signedSlack("not-the-secret", now, slackBody) }, 401},
		{"slack: no signature", func() *http.Request {
			return with(signedSlack(cmdSlackSecret, now, slackBody), func(r *http.Request) { r.Header.Del("X-Slack-Signature") })
		}, 401},
		{"slack: no timestamp", func() *http.Request {
			return with(signedSlack(cmdSlackSecret, now, slackBody), func(r *http.Request) { r.Header.Del("X-Slack-Request-Timestamp") })
		}, 401},
		{"slack: no headers at all", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, chat.SlackCommandsPath, strings.NewReader(slackBody))
		}, 401},
		{"slack: signature not hex", func() *http.Request {
			return with(signedSlack(cmdSlackSecret, now, slackBody), func(r *http.Request) { r.Header.Set("X-Slack-Signature", "v0=not-hex") })
		}, 401},
		{"slack: signature of another scheme", func() *http.Request {
			return with(signedSlack(cmdSlackSecret, now, slackBody), func(r *http.Request) {
				r.Header.Set("X-Slack-Signature", "v1="+strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
			})
		}, 401},
		{"slack: timestamp not a number", func() *http.Request {
			return with(signedSlack(cmdSlackSecret, now, slackBody), func(r *http.Request) { r.Header.Set("X-Slack-Request-Timestamp", "soon") })
		}, 401},
		{"slack: stale, six minutes old", func() *http.Request { return signedSlack(cmdSlackSecret, now.Add(-6*time.Minute), slackBody) }, 401},
		{"slack: stale, a year old", func() *http.Request { return signedSlack(cmdSlackSecret, now.AddDate(-1, 0, 0), slackBody) }, 401},
		{"slack: from the future", func() *http.Request { return signedSlack(cmdSlackSecret, now.Add(6*time.Minute), slackBody) }, 401},
		{"slack: body changed after signing", func() *http.Request {
			r := signedSlack(cmdSlackSecret, now, slackBody)
			r.Body = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Replace(slackBody, "forged", "forgex", 1))).Body
			return r
		}, 401},
		{"slack: oversized, signed", func() *http.Request {
			return signedSlack(cmdSlackSecret, now, slackBody+"&pad="+strings.Repeat("x", chat.SlackMaxBody))
		}, 413},
		{"slack: oversized, unsigned", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, chat.SlackCommandsPath, strings.NewReader(strings.Repeat("a=b&", chat.SlackMaxBody)))
		}, 413},
		// Discord.
		{"discord: another key", func() *http.Request { return signedDiscord(otherKey, now, discordBody) }, 401},
		{"discord: no signature", func() *http.Request {
			return with(signedDiscord(cmdDiscordKey, now, discordBody), func(r *http.Request) { r.Header.Del("X-Signature-Ed25519") })
		}, 401},
		{"discord: no timestamp", func() *http.Request {
			return with(signedDiscord(cmdDiscordKey, now, discordBody), func(r *http.Request) { r.Header.Del("X-Signature-Timestamp") })
		}, 401},
		{"discord: no headers at all", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(discordBody))
		}, 401},
		{"discord: signature not hex", func() *http.Request {
			return with(signedDiscord(cmdDiscordKey, now, discordBody), func(r *http.Request) { r.Header.Set("X-Signature-Ed25519", "zz") })
		}, 401},
		{"discord: signature cut short", func() *http.Request {
			return with(signedDiscord(cmdDiscordKey, now, discordBody), func(r *http.Request) {
				r.Header.Set("X-Signature-Ed25519", r.Header.Get("X-Signature-Ed25519")[:64])
			})
		}, 401},
		{"discord: timestamp changed after signing", func() *http.Request {
			return with(signedDiscord(cmdDiscordKey, now, discordBody), func(r *http.Request) {
				r.Header.Set("X-Signature-Timestamp", strconv.FormatInt(now.Unix()+1, 10))
			})
		}, 401},
		{"discord: stale, six minutes old", func() *http.Request { return signedDiscord(cmdDiscordKey, now.Add(-6*time.Minute), discordBody) }, 401},
		{"discord: from the future", func() *http.Request { return signedDiscord(cmdDiscordKey, now.Add(6*time.Minute), discordBody) }, 401},
		{"discord: body changed after signing", func() *http.Request {
			r := signedDiscord(cmdDiscordKey, now, discordBody)
			r.Body = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(bytes.Replace(discordBody, []byte("forged"), []byte("forgex"), 1))).Body
			return r
		}, 401},
		{"discord: oversized, signed", func() *http.Request {
			return signedDiscord(cmdDiscordKey, now, append(bytes.TrimSuffix(discordBody, []byte("}")), []byte(`,"pad":"`+strings.Repeat("x", chat.DiscordMaxBody)+`"}`)...))
		}, 413},
		{"discord: oversized, unsigned", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(bytes.Repeat([]byte("["), chat.DiscordMaxBody+1)))
		}, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serveSafely(t, e.h, tt.req())
			if w.Code != tt.want {
				t.Errorf("status %d, want %d (%s)", w.Code, tt.want, strings.TrimSpace(w.Body.String()))
			}
			if strings.Contains(w.Body.String(), "forged") || strings.Contains(w.Body.String(), "Watching") {
				t.Errorf("refused request answered like a command: %s", w.Body)
			}
		})
	}
	if after := forgedState(t, e); after != before {
		t.Errorf("forged requests changed storage:\nbefore %s\nafter  %s", before, after)
	}
}

// TestReplayedRequestsAreRefused: a request captured in flight and sent
// again while its timestamp is still fresh is refused, also with its
// signature written in upper case (hex decodes either way, so a replay
// guard keyed on the header text would let it through), and does nothing
// the second time.
func TestReplayedRequestsAreRefused(t *testing.T) {
	tests := []struct {
		name    string
		capture func(now time.Time) func() *http.Request // a fresh copy of one signed request
		recase  func(r *http.Request)
	}{
		{name: "slack", capture: func(now time.Time) func() *http.Request {
			body := forgedSlackBody()
			return func() *http.Request { return signedSlack(cmdSlackSecret, now, body) }
		}, recase: func(r *http.Request) {
			r.Header.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0=")))
		}},
		{name: "discord", capture: func(now time.Time) func() *http.Request {
			body := forgedDiscordBody()
			return func() *http.Request { return signedDiscord(cmdDiscordKey, now, body) }
		}, recase: func(r *http.Request) {
			r.Header.Set("X-Signature-Ed25519", strings.ToUpper(r.Header.Get("X-Signature-Ed25519")))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCmdEnv(t)
			captured := tt.capture(time.Now())
			if w := serveSafely(t, e.h, captured()); w.Code != http.StatusOK {
				t.Fatalf("the genuine request: status %d %s", w.Code, w.Body)
			}
			after := forgedState(t, e)
			if !strings.Contains(after, "forged") {
				t.Fatalf("the genuine request did not add its topic: %s", after)
			}
			for _, replay := range []struct {
				name string
				req  *http.Request
			}{
				{"as captured", captured()},
				{"signature upper-cased", with(captured(), tt.recase)},
			} {
				if w := serveSafely(t, e.h, replay.req); w.Code != http.StatusUnauthorized {
					t.Errorf("replay %s: status %d, want 401 (%s)", replay.name, w.Code, strings.TrimSpace(w.Body.String()))
				}
			}
			if now := forgedState(t, e); now != after {
				t.Errorf("a replay changed storage:\nbefore %s\nafter  %s", after, now)
			}
		})
	}
}

// TestHostileRequestsNeverPanic throws seeded random requests, made of
// the pieces forgeries are made of, at both endpoints: each is refused
// (400, 401, 405 or 413, never 200), none panics, nothing changes.
func TestHostileRequestsNeverPanic(t *testing.T) {
	e := newCmdEnv(t)
	before := forgedState(t, e)
	const seed = 20250902
	rng := rand.New(rand.NewPCG(seed, seed))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	now := time.Now()
	bodies := []func() []byte{
		func() []byte { return []byte(forgedSlackBody()) },
		func() []byte { return forgedDiscordBody() },
		func() []byte { return nil },
		func() []byte { return []byte("%zz&&==&text=%") },
		func() []byte { return []byte(`{"type":1}`) },
		func() []byte { return []byte(`{"type":2,"data":null,"member":null}`) },
		func() []byte {
			b := make([]byte, rng.IntN(4096))
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			return b
		},
		func() []byte { return bytes.Repeat([]byte("{"), 1+rng.IntN(2*chat.DiscordMaxBody)) },
	}
	stamps := []string{"", "0", "-1", "abc", "99999999999999999999", strconv.FormatInt(now.Unix(), 10),
		strconv.FormatInt(now.Add(-time.Hour).Unix(), 10), " " + strconv.FormatInt(now.Unix(), 10)}
	for i := range 400 {
		path := pick(chat.SlackCommandsPath, "/discord/interactions")
		method := pick(http.MethodPost, http.MethodPost, http.MethodPost, http.MethodGet, http.MethodPut)
		body := bodies[rng.IntN(len(bodies))]()
		r := httptest.NewRequest(method, path, bytes.NewReader(body))
		ts := stamps[rng.IntN(len(stamps))]
		switch rng.IntN(4) {
		case 0: // a signature over something else
			sig, _ := chat.SignSlack(cmdSlackSecret, now, []byte("other"))
			r.Header.Set("X-Slack-Signature", sig)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
		case 1:
			sig, _ := chat.SignDiscord(cmdDiscordKey, now, []byte("other"))
			r.Header.Set("X-Signature-Ed25519", sig)
			r.Header.Set("X-Signature-Timestamp", ts)
		case 2: // garbage of the right shape
			r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat(pick("0", "f", "F", "g"), 64))
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			r.Header.Set("X-Signature-Ed25519", strings.Repeat(pick("0", "a", "Z"), 128))
			r.Header.Set("X-Signature-Timestamp", ts)
		}
		w := serveSafely(t, e.h, r)
		switch w.Code {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge:
		default:
			t.Errorf("request %d (%s %s, %d bytes): status %d", i, method, path, len(body), w.Code)
		}
	}
	if after := forgedState(t, e); after != before {
		t.Errorf("hostile requests changed storage:\nbefore %s\nafter  %s", before, after)
	}
}
