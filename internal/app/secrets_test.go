package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
)

// TestSecretsNeverLogged runs the daemon against a chat that fails every
// way it can, echoing back whatever credentials it was sent, and a feed
// whose URL carries a token; then asks the chat commands about it. Bot
// tokens, the signing secret and webhook URLs (and their secret parts) must
// appear in no log line (captured at debug level), no error, no stored
// error and no reply; the feed's token in no log line and no error (the
// `feeds` lookup lists feed URLs as configured, on purpose).
func TestSecretsNeverLogged(t *testing.T) {
	const (
		slackToken    = "xoxb-4242-SECRETSLACKTOKEN"
		signingSecret = "SECRETSIGNINGSECRET0123456789"
		discordToken  = "SECRETDISCORDTOKEN.Gabcde.fghijk"
		slackHookPath = "/services/T000/B000/SECRETSLACKHOOK0123456789"
		discHookPath  = "/api/webhooks/123456/SECRETDISCORDHOOK0123456789"
		feedToken     = "SECRETFEEDTOKEN"
	)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, ed25519.SeedSize))

	// A chat that fails, echoing the credentials of each request in its
	// answer, as a misbehaving proxy or a verbose error page would.
	echo := func(r *http.Request) string {
		_ = r.ParseForm()
		return fmt.Sprintf("auth=%q token=%q url=%q", r.Header.Get("Authorization"), r.PostForm.Get("token"), r.URL.String())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/api/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		e := echo(r)
		w.Header().Set("Content-Type", "application/json")
		switch r.PostForm.Get("channel") {
		case "C0FIVE":
			http.Error(w, "internal error: "+e, http.StatusInternalServerError)
		case "C0AUTH":
			fmt.Fprintf(w, `{"ok":false,"error":"invalid_auth","detail":%q}`, e)
		default:
			fmt.Fprintf(w, `{"ok":false,"error":%q}`, slackToken)
		}
	})
	mux.HandleFunc("POST /discord/api/v10/channels/{id}/messages", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		code := http.StatusUnauthorized
		if r.PathValue("id") == "222222222222222222" {
			code = http.StatusInternalServerError
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"message":%q,"code":0}`, "rejected "+echo(r))
	})
	mux.HandleFunc("PUT /discord/api/v10/applications/{app}/commands", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"message":%q,"code":0}`, "no "+echo(r))
	})
	mux.HandleFunc("POST "+slackHookPath, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no_service for "+echo(r), http.StatusNotFound)
	})
	mux.HandleFunc("POST "+discHookPath, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example"+r.URL.String(), http.StatusFound)
	})
	mux.HandleFunc("GET /feeds/wire.xml", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, noticeRSS(noticeItem("w1", "Peace talks resume", "https://news.example/1", 1)))
	})
	mux.HandleFunc("GET /feeds/private.xml", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "denied: "+echo(r), http.StatusForbidden)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	goneHook := gone.URL + "/services/T000/B000/SECRETGONEHOOK0123456789"
	gone.Close() // connections refused: the transport's error names the URL

	secrets := []string{slackToken, signingSecret, discordToken, "SECRETSLACKHOOK", "SECRETDISCORDHOOK", "SECRETGONEHOOK",
		srv.URL + slackHookPath, srv.URL + discHookPath, goneHook}

	cfgText := fmt.Sprintf(`
storage: {dsn: %[1]q}
fetch: {allow_private: true, timeout: 5s}
slack: {token: %[2]q, signing_secret: %[3]q, api_url: %[4]q}
discord: {token: %[5]q, application_id: "123456789012345678", public_key: %[6]q, api_url: %[7]q}
admins: {slack: [UADMIN01]}
defaults: {max_age: 0}
feeds:
  - {name: wire, url: %[8]q}
  - {name: private-feed, url: %[9]q}
topics:
  - {name: talks, query: '"peace talks"'}
channels:
  - {name: s-500, slack: C0FIVE}
  - {name: s-auth, slack: C0AUTH}
  - {name: s-echo, slack: C0ECHO}
  - {name: d-401, discord: "111111111111111111"}
  - {name: d-500, discord: "222222222222222222"}
  - {name: hook-s, slack_webhook: %[10]q}
  - {name: hook-d, discord_webhook: %[11]q}
  - {name: hook-gone, slack_webhook: %[12]q}
subscriptions:
  - {channel: s-500, mode: instant}
  - {channel: s-auth, mode: instant}
  - {channel: s-echo, mode: instant}
  - {channel: d-401, mode: instant}
  - {channel: d-500, mode: instant}
  - {channel: hook-s, mode: instant}
  - {channel: hook-d, mode: instant}
  - {channel: hook-gone, mode: instant}
`, filepath.Join(t.TempDir(), "fw.db"), slackToken, signingSecret, srv.URL+"/slack/api/", discordToken,
		hex.EncodeToString(key.Public().(ed25519.PublicKey)), srv.URL+"/discord/api/v10",
		srv.URL+"/feeds/wire.xml", srv.URL+"/feeds/private.xml?token="+feedToken,
		srv.URL+slackHookPath, srv.URL+discHookPath, goneHook)
	cfg, err := config.LoadBytes("test.yaml", []byte(cfgText), config.Options{CheckQuery: func(q string) error {
		_, err := query.Parse(q)
		return err
	}})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &lockedBuffer{}
	a, err := New(context.Background(), Options{Config: cfg, Stdout: io.Discard,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	// The daemon: first poll, every send failing, the Discord command
	// registration refused; then a clean stop.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "discord commands not registered") || !sentToAll(t, a) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not try every channel and the registration in 30s; logs:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}

	// What the daemon kept and what commands show.
	var seen strings.Builder
	seen.WriteString(logs.String())
	sts, err := a.store.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		seen.WriteString("\n" + st.LastErrorMsg)
	}
	for _, ch := range cfg.Channels {
		if m, ok, err := a.store.NextOutbox(context.Background(), ch.Name); err == nil && ok {
			seen.WriteString("\n" + m.LastError)
		}
	}
	for _, h := range a.dispatcher.Health() {
		seen.WriteString("\n" + h.LastErrMsg)
	}
	if err := a.dispatcher.Drain(context.Background(), 0); err != nil {
		seen.WriteString("\n" + err.Error())
	}
	if i := strings.Index(seen.String(), feedToken); i >= 0 {
		t.Errorf("the feed's token shows in a log line or an error: …%s…", seen.String()[max(0, i-120):min(seen.Len(), i+40)])
	}
	h := a.Handler()
	for _, text := range []string{"feeds", "status", "search talks", "feed add leak " + srv.URL + "/feeds/private.xml?token=" + feedToken} {
		body := url.Values{"channel_id": {"C0FIVE"}, "user_id": {"UADMIN01"}, "command": {"/feedwatch"}, "text": {text},
			"response_url": {"https://hooks.slack.test/r"}, "trigger_id": {text}}.Encode()
		w := serveSafely(t, h, signedSlack(signingSecret, time.Now(), body))
		if w.Code != http.StatusOK {
			t.Errorf("slack %q: status %d", text, w.Code)
		}
		seen.WriteString("\n" + w.Body.String())
	}
	ibody, _ := json.Marshal(map[string]any{"id": "1", "application_id": "123456789012345678", "type": 2, "token": "t", "version": 1,
		"channel_id": "111111111111111111", "member": map[string]any{"user": map[string]any{"id": "1"}, "roles": []string{}},
		"data": map[string]any{"id": "9", "name": "feedwatch", "type": 1, "options": []any{map[string]any{"name": "feeds", "type": 1}}}})
	w := serveSafely(t, h, signedDiscord(key, time.Now(), ibody))
	seen.WriteString("\n" + w.Body.String())
	// Forged requests are logged as rejected, with their reason only.
	serveSafely(t, h, signedSlack("wrong-"+signingSecret, time.Now(), "text=status"))

	out := seen.String()
	if !strings.Contains(out, "invalid_auth") || !strings.Contains(out, "HTTP 401") || !strings.Contains(out, "slack webhook") {
		t.Fatalf("the failures were not recorded (nothing to check):\n%s", out)
	}
	for _, s := range secrets {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("secret %q shows: …%s…", s, out[max(0, i-120):min(len(out), i+len(s)+40)])
		}
	}
	// Whatever its form: quoted in JSON, URL-escaped.
	out = strings.ReplaceAll(out, feedToken, "")
	for _, s := range []string{"SECRET", url.QueryEscape(slackToken)} {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("%q shows: …%s…", s, out[max(0, i-120):min(len(out), i+60)])
		}
	}
}

// sentToAll reports whether every channel has had a send attempt.
func sentToAll(t *testing.T, a *App) bool {
	t.Helper()
	for _, h := range a.dispatcher.Health() {
		if h.LastError.IsZero() && h.LastSent.IsZero() {
			return false
		}
	}
	return true
}
