package chat

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/internal/news"
)

// No error a notifier returns may contain its token or webhook URL, even when
// the platform echoes them back or the connection fails.
func TestErrorsNeverShowSecrets(t *testing.T) {
	const hookPath = "/api/webhooks/123456789/WEBHOOKsecretTOKEN0123456789"
	echo := func(secret string) []reply {
		return []reply{
			{status: 400, body: `{"ok":false,"error":"` + secret + `","message":"` + secret + `","code":1}`},
			{status: 200, body: `{"ok":false,"error":"` + secret + `"}`},
			{status: 401, body: secret},
			{status: 404, body: `{"message":"Unknown ` + secret + `"}`},
			{status: 429, header: map[string]string{"Retry-After": secret}, body: secret},
			{status: 500, body: secret},
			{status: 302, header: map[string]string{"Location": "http://127.0.0.1:1" + hookPath}},
		}
	}
	type notifierCase struct {
		name string
		// secrets lists what must never show: the first is what a hostile
		// server echoes back, the rest are parts of it.
		secrets func(base string) []string
		make    func(t *testing.T, base string, hc *http.Client) Notifier
	}
	cases := []notifierCase{
		{
			name:    "slack api",
			secrets: func(string) []string { return []string{slackTestToken, "SECRETsecret"} },
			make: func(t *testing.T, base string, hc *http.Client) Notifier {
				opts := []slack.Option{slack.OptionAPIURL(base + "/")}
				if hc != nil {
					opts = append(opts, slack.OptionHTTPClient(hc))
				}
				return NewSlackAPI(slack.New(slackTestToken, opts...), "C1", testRenderer(t))
			},
		},
		{
			name:    "slack webhook",
			secrets: func(base string) []string { return []string{base + hookPath, hookPath, "WEBHOOKsecretTOKEN0123456789"} },
			make: func(t *testing.T, base string, hc *http.Client) Notifier {
				return NewSlackWebhook(hc, base+hookPath, testRenderer(t))
			},
		},
		{
			name:    "discord api",
			secrets: func(string) []string { return []string{discordTestToken, "SECRET.discord-token"} },
			make: func(t *testing.T, base string, hc *http.Client) Notifier {
				s, err := NewDiscordSession(discordTestToken, base+"/api/v10", hc)
				if err != nil {
					t.Fatal(err)
				}
				return NewDiscordAPI(s, "1", testRenderer(t))
			},
		},
		{
			name:    "discord webhook",
			secrets: func(base string) []string { return []string{base + hookPath, hookPath, "WEBHOOKsecretTOKEN0123456789"} },
			make: func(t *testing.T, base string, hc *http.Client) Notifier {
				return NewDiscordWebhook(hc, base+hookPath, testRenderer(t))
			},
		},
	}
	check := func(t *testing.T, err error, secrets []string) {
		t.Helper()
		if err == nil {
			return // a 2xx answer: nothing failed, nothing to leak
		}
		msg := err.Error()
		for _, s := range secrets {
			if strings.Contains(msg, s) || strings.Contains(msg, url.PathEscape(s)) {
				t.Fatalf("error %q shows secret %q", msg, s)
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := range echo("") {
				t.Run(strconv.Itoa(i), func(t *testing.T) {
					srv := newFakeServer(t, reply{status: 200})
					// Only now is the URL known: echo the secret made of it.
					rep := echo(c.secrets(srv.URL)[0])[i]
					srv.setReplies(rep)
					err := c.make(t, srv.URL, srv.Client()).Send(context.Background(), news.OutboxMessage{ID: 1, Message: alertMessage()})
					if err == nil && rep.status >= 300 {
						t.Fatalf("HTTP %d accepted as sent", rep.status)
					}
					check(t, err, c.secrets(srv.URL))
				})
			}
			t.Run("connection refused", func(t *testing.T) {
				base := closedURL(t)
				err := c.make(t, base, nil).Send(context.Background(), news.OutboxMessage{ID: 1, Message: alertMessage()})
				check(t, err, c.secrets(base))
			})
		})
	}
}

func TestScrubText(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"URL before its parts", "post https://h/x/SECRET: 404 for /x/SECRET", []string{"/x/SECRET", "https://h/x/SECRET"}, "post [redacted]: 404 for [redacted]"},
		{"slack tokens", "bad xoxb-1-2-abc and xapp-1-A-b", nil, "bad [redacted] and [redacted]"},
		{"short strings are not secrets", "an abc", []string{"ab", ""}, "an abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scrubText(tt.in, tt.secrets...); got != tt.want {
				t.Fatalf("scrubText = %q, want %q", got, tt.want)
			}
		})
	}
}
