package chat

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newTestSlack(t *testing.T, b Backend, hc *http.Client) *SlackCommands {
	t.Helper()
	return NewSlackCommands(SlackCommandsOptions{
		Commands:      newTestCommands(b),
		Renderer:      testRenderer(t),
		SigningSecret: testSlackSecret,
		HTTPClient:    hc,
	})
}

func newTestDiscord(t *testing.T, b Backend, hc *http.Client) *DiscordCommands {
	t.Helper()
	s, err := NewDiscordInteractionSession("https://discord.test/api/v10", hc)
	if err != nil {
		t.Fatal(err)
	}
	return NewDiscordCommands(DiscordCommandsOptions{
		Commands:      newTestCommands(b),
		Renderer:      testRenderer(t),
		PublicKey:     testDiscordPublic(),
		Session:       s,
		ApplicationID: testApplicationID,
	})
}

// TestSlackVerification sends requests signed right and wrong; every wrong
// one is refused with nothing done.
func TestSlackVerification(t *testing.T) {
	now := time.Now()
	body := slackForm("status", slackUser, "https://hooks.slack.test/r").Encode()
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"valid", func() *http.Request { return slackRequest(testSlackSecret, now, body) }, http.StatusOK},
		{"wrong secret", func() *http.Request { return slackRequest("another-secret", now, body) }, http.StatusUnauthorized},
		{"missing signature", func() *http.Request {
			r := slackRequest(testSlackSecret, now, body)
			r.Header.Del("X-Slack-Signature")
			return r
		}, http.StatusUnauthorized},
		{"missing timestamp", func() *http.Request {
			r := slackRequest(testSlackSecret, now, body)
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, http.StatusUnauthorized},
		{"signature not hex", func() *http.Request {
			r := slackRequest(testSlackSecret, now, body)
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		}, http.StatusUnauthorized},
		{"signature of another version", func() *http.Request {
			r := slackRequest(testSlackSecret, now, body)
			r.Header.Set("X-Slack-Signature", "v1="+strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
			return r
		}, http.StatusUnauthorized},
		{"stale: six minutes old", func() *http.Request { return slackRequest(testSlackSecret, now.Add(-6*time.Minute), body) }, http.StatusUnauthorized},
		{"future: six minutes ahead", func() *http.Request { return slackRequest(testSlackSecret, now.Add(6*time.Minute), body) }, http.StatusUnauthorized},
		{"timestamp changed after signing", func() *http.Request {
			r := slackRequest(testSlackSecret, now, body)
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()-1, 10))
			return r
		}, http.StatusUnauthorized},
		{"body changed after signing", func() *http.Request {
			r := slackRequest(testSlackSecret, now, body)
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(body, "status", "feeds", 1)))
			return r
		}, http.StatusUnauthorized},
		{"oversized", func() *http.Request {
			return slackRequest(testSlackSecret, now, body+"&pad="+strings.Repeat("x", SlackMaxBody))
		}, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBackend{}
			s := newTestSlack(t, b, nil)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, tt.req())
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			ran := len(b.requests())
			if tt.status == http.StatusOK {
				if ran != 1 || !strings.Contains(w.Body.String(), `"ran status"`) {
					t.Errorf("valid request: backend ran %d times, answer %s", ran, w.Body)
				}
				return
			}
			if ran != 0 {
				t.Errorf("refused request reached the backend")
			}
			if strings.Contains(w.Body.String(), "ran ") {
				t.Errorf("refused request answered %s", w.Body)
			}
		})
	}
}

// TestSlackReplay sends the same signed request twice: the second is
// refused although its timestamp is still fresh.
func TestSlackReplay(t *testing.T) {
	b := &fakeBackend{}
	s := newTestSlack(t, b, nil)
	body := slackForm("watch t kyiv", slackAdmin, "https://hooks.slack.test/r").Encode()
	now := time.Now()
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, slackRequest(testSlackSecret, now, body))
		if w.Code != want {
			t.Errorf("attempt %d: status %d, want %d", i+1, w.Code, want)
		}
	}
	if n := len(b.requests()); n != 1 {
		t.Errorf("backend ran %d times, want 1", n)
	}
}

func TestDiscordVerification(t *testing.T) {
	now := time.Now()
	body := interactionJSON("status", nil, discordUser, nil, discordChannelID)
	_, otherKey, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{9}, 64)))
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"valid", func() *http.Request { return discordRequest(testDiscordKey, now, body) }, http.StatusOK},
		{"signed by another key", func() *http.Request { return discordRequest(otherKey, now, body) }, http.StatusUnauthorized},
		{"missing signature", func() *http.Request {
			r := discordRequest(testDiscordKey, now, body)
			r.Header.Del("X-Signature-Ed25519")
			return r
		}, http.StatusUnauthorized},
		{"missing timestamp", func() *http.Request {
			r := discordRequest(testDiscordKey, now, body)
			r.Header.Del("X-Signature-Timestamp")
			return r
		}, http.StatusUnauthorized},
		{"signature not hex", func() *http.Request {
			r := discordRequest(testDiscordKey, now, body)
			r.Header.Set("X-Signature-Ed25519", "not-hex")
			return r
		}, http.StatusUnauthorized},
		{"signature truncated", func() *http.Request {
			r := discordRequest(testDiscordKey, now, body)
			r.Header.Set("X-Signature-Ed25519", r.Header.Get("X-Signature-Ed25519")[:64])
			return r
		}, http.StatusUnauthorized},
		{"stale: six minutes old", func() *http.Request { return discordRequest(testDiscordKey, now.Add(-6*time.Minute), body) }, http.StatusUnauthorized},
		{"future: six minutes ahead", func() *http.Request { return discordRequest(testDiscordKey, now.Add(6*time.Minute), body) }, http.StatusUnauthorized},
		{"timestamp not a number", func() *http.Request {
			stamp := "yesterday"
			r := discordRequest(testDiscordKey, now, body)
			r.Header.Set("X-Signature-Timestamp", stamp)
			r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(testDiscordKey, append([]byte(stamp), body...))))
			return r
		}, http.StatusUnauthorized},
		{"body changed after signing", func() *http.Request {
			r := discordRequest(testDiscordKey, now, body)
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), "status", "feeds", 1)))
			return r
		}, http.StatusUnauthorized},
		{"oversized", func() *http.Request {
			big := append(bytes.TrimSuffix(body, []byte("}")), []byte(`,"pad":"`+strings.Repeat("x", DiscordMaxBody)+`"}`)...)
			return discordRequest(testDiscordKey, now, big)
		}, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBackend{}
			d := newTestDiscord(t, b, nil)
			w := httptest.NewRecorder()
			d.ServeHTTP(w, tt.req())
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			ran := len(b.requests())
			if tt.status == http.StatusOK {
				if ran != 1 {
					t.Errorf("valid request: backend ran %d times", ran)
				}
				return
			}
			if ran != 0 {
				t.Errorf("refused request reached the backend")
			}
		})
	}
}

func TestDiscordReplayAndPing(t *testing.T) {
	b := &fakeBackend{}
	d := newTestDiscord(t, b, nil)
	now := time.Now()
	ping := []byte(`{"id":"1","application_id":"` + testApplicationID + `","type":1,"token":"t","version":1}`)
	w := httptest.NewRecorder()
	d.ServeHTTP(w, discordRequest(testDiscordKey, now, ping))
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"type":1}` {
		t.Errorf("PING answered %d %s, want PONG", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	d.ServeHTTP(w, discordRequest(testDiscordKey, now, ping))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("replayed PING answered %d, want 401", w.Code)
	}
	body := interactionJSON("unwatch", map[string]string{"name": "t"}, discordAdmin, nil, discordChannelID)
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		w := httptest.NewRecorder()
		d.ServeHTTP(w, discordRequest(testDiscordKey, now, body))
		if w.Code != want {
			t.Errorf("attempt %d: status %d, want %d", i+1, w.Code, want)
		}
	}
	if n := len(b.requests()); n != 1 {
		t.Errorf("backend ran %d times, want 1", n)
	}
}

func TestDiscordUnsupportedInteraction(t *testing.T) {
	b := &fakeBackend{}
	d := newTestDiscord(t, b, nil)
	body := []byte(`{"id":"1","application_id":"` + testApplicationID + `","type":3,"token":"t","version":1,"data":{"custom_id":"x","component_type":2}}`)
	w := httptest.NewRecorder()
	d.ServeHTTP(w, discordRequest(testDiscordKey, time.Now(), body))
	if w.Code != http.StatusBadRequest || len(b.requests()) != 0 {
		t.Errorf("component interaction answered %d, backend ran %d times", w.Code, len(b.requests()))
	}
}

func TestReplayGuard(t *testing.T) {
	var g replayGuard
	t0 := time.Unix(1_700_000_000, 0)
	steps := []struct {
		key  string
		at   time.Time
		want bool
	}{
		{"a", t0, true},
		{"a", t0.Add(time.Minute), false},
		{"b", t0.Add(time.Minute), true},
		{"a", t0.Add(2*VerifyWindow - time.Second), false},
		{"a", t0.Add(2*VerifyWindow + time.Second), true}, // forgotten: its timestamp is long stale by now
	}
	for i, s := range steps {
		if got := g.first(s.key, s.at); got != s.want {
			t.Errorf("step %d: first(%q) = %v, want %v", i, s.key, got, s.want)
		}
	}
	if len(g.seen) > 2 {
		t.Errorf("%d entries kept, expired ones should go", len(g.seen))
	}
}

func TestParseDiscordPublicKey(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", hex.EncodeToString(testDiscordPublic()), true},
		{"short", "abcd", false},
		{"not hex", strings.Repeat("z", 64), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDiscordPublicKey(tt.in)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
