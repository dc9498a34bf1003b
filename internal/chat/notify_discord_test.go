package chat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/feedwatch/feedwatch/internal/news"
)

const discordTestToken = "MTIzNDU2Nzg5.SECRET.discord-token"

var discordOK = reply{status: 200, body: `{"id":"1","channel_id":"123"}`}

func newTestDiscordAPI(t *testing.T, srv *fakeServer) *DiscordAPI {
	t.Helper()
	s, err := NewDiscordSession(discordTestToken, srv.URL+"/api/v10", srv.Client())
	if err != nil {
		t.Fatalf("NewDiscordSession: %v", err)
	}
	return NewDiscordAPI(s, "123", testRenderer(t))
}

// sentMessage is what the fake Discord server decodes from a body.
type sentMessage struct {
	Content         string            `json:"content"`
	Embeds          []json.RawMessage `json:"embeds"`
	AllowedMentions *struct {
		Parse *[]string `json:"parse"`
	} `json:"allowed_mentions"`
	Nonce        *string `json:"nonce"`
	EnforceNonce *bool   `json:"enforce_nonce"`
}

func decodeSent(t *testing.T, body []byte) sentMessage {
	t.Helper()
	var m sentMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(*m.AllowedMentions.Parse) != 0 {
		t.Fatalf(`allowed_mentions must be {"parse": []}: %s`, body)
	}
	if !strings.Contains(string(body), `"allowed_mentions":{"parse":[]}`) {
		t.Fatalf("allowed_mentions not sent as an empty list: %s", body)
	}
	return m
}

func TestDiscordAPIPostsMessage(t *testing.T) {
	srv := newFakeServer(t, discordOK)
	n := newTestDiscordAPI(t, srv)
	if err := n.Send(context.Background(), news.OutboxMessage{ID: 4242, Message: alertMessage()}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	req := reqs[0]
	if req.method != http.MethodPost || req.path != "/api/v10/channels/123/messages" {
		t.Fatalf("request %s %s, want POST /api/v10/channels/123/messages", req.method, req.path)
	}
	if got := req.header.Get("Authorization"); got != "Bot "+discordTestToken {
		t.Fatalf("Authorization %q", got)
	}
	if ct := req.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	m := decodeSent(t, req.body)
	want := testRenderer(t).Discord(alertMessage())[0]
	if m.Content != want.Content || len(m.Embeds) != len(want.Embeds) {
		t.Fatalf("content %q with %d embeds, want %q with %d", m.Content, len(m.Embeds), want.Content, len(want.Embeds))
	}
	if m.Nonce == nil || *m.Nonce != "fw"+strconv.FormatInt(4242, 36) || len(*m.Nonce) > DiscordNonceMax {
		t.Fatalf("nonce %v", m.Nonce)
	}
	if m.EnforceNonce == nil || !*m.EnforceNonce {
		t.Fatal("enforce_nonce not set")
	}
}

// A retried send carries the same nonce, so Discord can refuse the double.
func TestDiscordAPINonceIsStablePerMessageAndPart(t *testing.T) {
	srv := newFakeServer(t, discordOK)
	n := newTestDiscordAPI(t, srv)
	big := bigMessage(100, 280)
	for range 2 {
		if err := n.Send(context.Background(), news.OutboxMessage{ID: 99, Message: big}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	reqs := srv.requests()
	if len(reqs)%2 != 0 || len(reqs) < 4 {
		t.Fatalf("%d requests", len(reqs))
	}
	half := len(reqs) / 2
	seen := map[string]bool{}
	for i := range half {
		a, b := decodeSent(t, reqs[i].body), decodeSent(t, reqs[half+i].body)
		if *a.Nonce != *b.Nonce {
			t.Fatalf("part %d: nonce %q then %q", i, *a.Nonce, *b.Nonce)
		}
		if seen[*a.Nonce] {
			t.Fatalf("two parts share nonce %q", *a.Nonce)
		}
		seen[*a.Nonce] = true
		if !strings.Contains(a.Content, "(part "+strconv.Itoa(i+1)+"/") {
			t.Fatalf("part %d content %q lacks its label", i, a.Content)
		}
	}
	if got := discordNonce(1<<62, 999, 999); got == "" || len(got) > DiscordNonceMax {
		t.Fatalf("nonce for a huge ID: %q", got)
	}
	if got := discordNonce(0, 1, 1); got != "" {
		t.Fatalf("nonce without an outbox ID: %q", got)
	}
}

func TestDiscordAPIErrorClassification(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		want  wantClass
		text  string
	}{
		{"429 retry_after", reply{status: 429, header: map[string]string{"Retry-After": "3"},
			body: `{"message":"You are being rate limited.","retry_after":2.5,"global":false}`}, wantClass{retryAfter: 2.5, status: 429}, "rate limited"},
		{"429 global", reply{status: 429, header: map[string]string{"X-RateLimit-Scope": "global"},
			body: `{"message":"You are being rate limited.","retry_after":1,"global":true}`}, wantClass{retryAfter: 1, status: 429}, "rate limited"},
		{"429 shared", reply{status: 429, header: map[string]string{"X-RateLimit-Scope": "shared"},
			body: `{"message":"You are being rate limited.","retry_after":4,"global":false}`}, wantClass{retryAfter: 4, status: 429}, "rate limited"},
		{"500", reply{status: 500, body: `{"message":"Internal Server Error","code":0}`}, wantClass{status: 500}, "HTTP 500"},
		{"502", reply{status: 502, body: "bad gateway"}, wantClass{}, "502"},
		{"400", reply{status: 400, body: `{"message":"Invalid Form Body","code":50035}`}, wantClass{permanent: true, status: 400}, "Invalid Form Body (code 50035)"},
		{"401", reply{status: 401, body: `{"message":"401: Unauthorized","code":0}`}, wantClass{permanent: true, status: 401}, "HTTP 401"},
		{"403", reply{status: 403, body: `{"message":"Missing Access","code":50001}`}, wantClass{permanent: true, status: 403}, "Missing Access"},
		{"404", reply{status: 404, body: `{"message":"Unknown Channel","code":10003}`}, wantClass{permanent: true, status: 404}, "Unknown Channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.reply, discordOK)
			err := newTestDiscordAPI(t, srv).Send(context.Background(), news.OutboxMessage{ID: 1, Message: alertMessage()})
			checkClass(t, err, tt.want)
			if !strings.Contains(err.Error(), tt.text) || !strings.Contains(err.Error(), "discord channel 123") {
				t.Errorf("error %q should name the channel and say %q", err, tt.text)
			}
			// discordgo must not have re-sent the POST on its own.
			if n := len(srv.requests()); n != 1 {
				t.Errorf("%d requests, want exactly 1 (no automatic re-send)", n)
			}
		})
	}
	t.Run("transport error", func(t *testing.T) {
		s, err := NewDiscordSession(discordTestToken, closedURL(t)+"/api/v10", nil)
		if err != nil {
			t.Fatal(err)
		}
		err = NewDiscordAPI(s, "123", testRenderer(t)).Send(context.Background(), news.OutboxMessage{ID: 1, Message: alertMessage()})
		checkClass(t, err, wantClass{})
	})
	t.Run("canceled", func(t *testing.T) {
		srv := newFakeServer(t, discordOK)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := newTestDiscordAPI(t, srv).Send(ctx, news.OutboxMessage{ID: 1, Message: alertMessage()})
		checkClass(t, err, wantClass{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errors.Is(%v, context.Canceled) = false", err)
		}
	})
}

func TestNewDiscordSession(t *testing.T) {
	t.Run("rewrites API requests only", func(t *testing.T) {
		srv := newFakeServer(t, reply{status: 200, body: `{"id":"5","username":"bot"}`})
		s, err := NewDiscordSession("Bot "+discordTestToken, srv.URL+"/proxy/api/v10/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.MaxRestRetries != 0 || s.ShouldRetryOnRateLimit {
			t.Errorf("session retries on its own: MaxRestRetries=%d ShouldRetryOnRateLimit=%v", s.MaxRestRetries, s.ShouldRetryOnRateLimit)
		}
		if _, err := s.User("@me"); err != nil {
			t.Fatalf("User: %v", err)
		}
		req := srv.requests()[0]
		if req.path != "/proxy/api/v10/users/@me" || req.header.Get("Authorization") != "Bot "+discordTestToken {
			t.Fatalf("request went to %s with %q", req.path, req.header.Get("Authorization"))
		}
		if !strings.HasPrefix(discordgo.EndpointAPI, "https://discord.com/") {
			t.Fatalf("discordgo's endpoints were edited: %s", discordgo.EndpointAPI)
		}
	})
	t.Run("keeps queries", func(t *testing.T) {
		srv := newFakeServer(t, reply{status: 200, body: `[]`})
		s, err := NewDiscordSession(discordTestToken, srv.URL+"/api/v10", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ChannelMessages("123", 5, "", "", ""); err != nil {
			t.Fatalf("ChannelMessages: %v", err)
		}
		if req := srv.requests()[0]; req.path != "/api/v10/channels/123/messages" || req.rawQuery != "limit=5" {
			t.Fatalf("request %s?%s", req.path, req.rawQuery)
		}
	})
	errCases := []struct{ name, token, api string }{
		{"empty token", "", "https://discord.com/api/v10"},
		{"relative api_url", discordTestToken, "/api/v10"},
		{"ftp api_url", discordTestToken, "ftp://example.org/api"},
	}
	for _, tt := range errCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDiscordSession(tt.token, tt.api, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), discordTestToken) {
				t.Fatalf("error %q shows the token", err)
			}
		})
	}
	t.Run("default api_url", func(t *testing.T) {
		s, err := NewDiscordSession(discordTestToken, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tr := s.Client.Transport.(*prefixTransport); tr.to != DefaultDiscordAPIURL+"/" {
			t.Fatalf("rewrites to %q", tr.to)
		}
	})
}

func TestDiscordWebhookPostsMessage(t *testing.T) {
	srv := newFakeServer(t, discordOK)
	n := NewDiscordWebhook(srv.Client(), srv.URL+"/api/webhooks/111/SECRETwebhookTOKENvalue?thread_id=9", testRenderer(t))
	if err := n.Send(context.Background(), news.OutboxMessage{ID: 5, Message: digestMessage()}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := srv.requests()[0]
	if req.method != http.MethodPost || req.path != "/api/webhooks/111/SECRETwebhookTOKENvalue" {
		t.Fatalf("request %s %s", req.method, req.path)
	}
	if req.rawQuery != "thread_id=9&wait=true" {
		t.Fatalf("query %q, want wait=true kept with thread_id", req.rawQuery)
	}
	m := decodeSent(t, req.body)
	if m.Nonce != nil || m.EnforceNonce != nil {
		t.Fatalf("webhook body carries a nonce: %s", req.body)
	}
	if want := testRenderer(t).Discord(digestMessage())[0]; m.Content != want.Content || len(m.Embeds) != len(want.Embeds) {
		t.Fatalf("content %q, want %q", m.Content, want.Content)
	}
}

func TestDiscordWebhookErrorClassification(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		want  wantClass
		text  string
	}{
		{"429 retry_after", reply{status: 429, body: `{"message":"You are being rate limited.","retry_after":1.5,"global":false}`}, wantClass{retryAfter: 1.5, status: 429}, "rate limited"},
		{"429 global", reply{status: 429, body: `{"message":"You are being rate limited.","retry_after":30,"global":true}`}, wantClass{retryAfter: 30, status: 429}, "global rate limit"},
		{"429 header only", reply{status: 429, header: map[string]string{"Retry-After": "5"}, body: "slow down"}, wantClass{retryAfter: 5, status: 429}, "HTTP 429"},
		{"400", reply{status: 400, body: `{"message":"Cannot send an empty message","code":50006}`}, wantClass{permanent: true, status: 400}, "empty message"},
		{"401", reply{status: 401, body: `{"message":"Invalid Webhook Token","code":50027}`}, wantClass{permanent: true, status: 401}, "Invalid Webhook Token"},
		{"403", reply{status: 403, body: `{"message":"Missing Permissions","code":50013}`}, wantClass{permanent: true, status: 403}, "Missing Permissions"},
		{"404", reply{status: 404, body: `{"message":"Unknown Webhook","code":10015}`}, wantClass{permanent: true, status: 404}, "Unknown Webhook (code 10015)"},
		{"500", reply{status: 500, body: "oops"}, wantClass{status: 500}, "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.reply)
			err := NewDiscordWebhook(srv.Client(), srv.URL+"/api/webhooks/1/SECRETwebhookTOKENvalue", testRenderer(t)).
				Send(context.Background(), news.OutboxMessage{Message: alertMessage()})
			checkClass(t, err, tt.want)
			if !strings.Contains(err.Error(), "discord webhook") || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q should name the discord webhook and say %q", err, tt.text)
			}
		})
	}
}
