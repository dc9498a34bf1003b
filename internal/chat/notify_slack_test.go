package chat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/internal/news"
)

const slackTestToken = "xoxb-111-222-SECRETsecret"

var slackOK = reply{status: 200, body: `{"ok":true,"channel":"C123","ts":"1700000000.000100"}`}

func newTestSlackAPI(t *testing.T, srv *fakeServer) *SlackAPI {
	t.Helper()
	client := slack.New(slackTestToken, slack.OptionAPIURL(srv.URL+"/"), slack.OptionHTTPClient(srv.Client()))
	return NewSlackAPI(client, "C123", testRenderer(t))
}

func TestSlackAPIPostsTextAndBlocks(t *testing.T) {
	tests := []struct {
		name     string
		msg      news.Message
		noUnfurl bool
	}{
		{"alert with several links", alertMessage(), true},
		{"single alert", news.Message{Kind: news.KindAlert, Title: "New match", Sections: []news.Section{{Topic: "t",
			Entries: []news.Entry{{Title: "One", URL: "https://example.org/1"}}}}}, false},
		{"digest", digestMessage(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, slackOK)
			n := newTestSlackAPI(t, srv)
			if err := n.Send(context.Background(), news.OutboxMessage{ID: 7, Channel: "newsroom", Message: tt.msg}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			req := reqs[0]
			if req.method != http.MethodPost || req.path != "/chat.postMessage" {
				t.Fatalf("request %s %s, want POST /chat.postMessage", req.method, req.path)
			}
			if ct := req.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
				t.Fatalf("Content-Type %q", ct)
			}
			form, err := url.ParseQuery(string(req.body))
			if err != nil {
				t.Fatalf("parse form: %v", err)
			}
			want := testRenderer(t).Slack(tt.msg)[0]
			if form.Get("channel") != "C123" || form.Get("token") != slackTestToken {
				t.Errorf("channel %q token %q", form.Get("channel"), form.Get("token"))
			}
			if form.Get("text") != want.Text || form.Get("text") == "" {
				t.Errorf("text %q, want %q", form.Get("text"), want.Text)
			}
			var blocks []map[string]any
			if err := json.Unmarshal([]byte(form.Get("blocks")), &blocks); err != nil {
				t.Fatalf("blocks are not a JSON array: %v", err)
			}
			if len(blocks) != len(want.Blocks) || blocks[0]["type"] != "header" {
				t.Errorf("blocks %v", blocks)
			}
			if _, ok := form["link_names"]; ok {
				t.Error("link_names was sent: names in feed text could become mentions")
			}
			if _, ok := form["parse"]; ok {
				t.Error("parse was sent")
			}
			gotNoUnfurl := form.Get("unfurl_links") == "false" && form.Get("unfurl_media") == "false"
			if gotNoUnfurl != tt.noUnfurl {
				t.Errorf("unfurl_links=%q unfurl_media=%q, want previews off = %v", form.Get("unfurl_links"), form.Get("unfurl_media"), tt.noUnfurl)
			}
		})
	}
}

func TestSlackAPISendsEveryPartInOrder(t *testing.T) {
	srv := newFakeServer(t, slackOK)
	n := newTestSlackAPI(t, srv)
	m := bigMessage(1000, 290)
	if err := n.Send(context.Background(), news.OutboxMessage{ID: 1, Message: m}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := srv.requests()
	parts := Split(PlatformSlack, m)
	if len(reqs) != len(parts) || len(parts) < 2 {
		t.Fatalf("%d requests for %d parts", len(reqs), len(parts))
	}
	for i, req := range reqs {
		form, _ := url.ParseQuery(string(req.body))
		label := partLabel(parts[i])
		if !strings.Contains(form.Get("blocks"), label) {
			t.Errorf("request %d does not carry %q", i, label)
		}
	}
}

func TestSlackAPIErrorClassification(t *testing.T) {
	apiErr := func(code string) reply { return reply{status: 200, body: `{"ok":false,"error":"` + code + `"}`} }
	tests := []struct {
		name  string
		reply reply
		want  wantClass
	}{
		{"429 with Retry-After", reply{status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"ok":false,"error":"ratelimited"}`}, wantClass{retryAfter: 7, status: 429}},
		{"429 without Retry-After", reply{status: 429}, wantClass{status: 429}},
		{"500", reply{status: 500, body: "<html>oops</html>"}, wantClass{status: 500}},
		{"503", reply{status: 503}, wantClass{status: 503}},
		{"401", reply{status: 401}, wantClass{permanent: true, status: 401}},
		{"403", reply{status: 403}, wantClass{permanent: true, status: 403}},
		{"404", reply{status: 404}, wantClass{permanent: true, status: 404}},
		{"invalid_auth", apiErr("invalid_auth"), wantClass{permanent: true}},
		{"not_authed", apiErr("not_authed"), wantClass{permanent: true}},
		{"account_inactive", apiErr("account_inactive"), wantClass{permanent: true}},
		{"token_revoked", apiErr("token_revoked"), wantClass{permanent: true}},
		{"channel_not_found", apiErr("channel_not_found"), wantClass{permanent: true}},
		{"not_in_channel", apiErr("not_in_channel"), wantClass{permanent: true}},
		{"is_archived", apiErr("is_archived"), wantClass{permanent: true}},
		{"missing_scope", apiErr("missing_scope"), wantClass{permanent: true}},
		{"invalid_blocks", apiErr("invalid_blocks"), wantClass{permanent: true}},
		{"msg_too_long", apiErr("msg_too_long"), wantClass{permanent: true}},
		{"ratelimited in body", apiErr("ratelimited"), wantClass{}},
		{"internal_error", apiErr("internal_error"), wantClass{}},
		{"service_unavailable", apiErr("service_unavailable"), wantClass{}},
		{"unreadable answer", reply{status: 200, body: "not json"}, wantClass{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.reply)
			err := newTestSlackAPI(t, srv).Send(context.Background(), news.OutboxMessage{ID: 1, Message: alertMessage()})
			checkClass(t, err, tt.want)
			if !strings.Contains(err.Error(), "C123") {
				t.Errorf("error %q does not name the channel", err)
			}
		})
	}
	t.Run("transport error", func(t *testing.T) {
		client := slack.New(slackTestToken, slack.OptionAPIURL(closedURL(t)+"/"))
		err := NewSlackAPI(client, "C123", testRenderer(t)).Send(context.Background(), news.OutboxMessage{Message: alertMessage()})
		checkClass(t, err, wantClass{})
	})
	t.Run("canceled", func(t *testing.T) {
		srv := newFakeServer(t, slackOK)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := newTestSlackAPI(t, srv).Send(ctx, news.OutboxMessage{Message: alertMessage()})
		checkClass(t, err, wantClass{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errors.Is(%v, context.Canceled) = false", err)
		}
	})
}

func TestSlackWebhookPostsJSON(t *testing.T) {
	srv := newFakeServer(t, reply{status: 200, header: map[string]string{"Content-Type": "text/plain"}, body: "ok"})
	n := NewSlackWebhook(srv.Client(), srv.URL+"/services/T000/B000/XXXXSECRETXXXX", testRenderer(t))
	if err := n.Send(context.Background(), news.OutboxMessage{ID: 3, Message: digestMessage()}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 || reqs[0].method != http.MethodPost || reqs[0].path != "/services/T000/B000/XXXXSECRETXXXX" {
		t.Fatalf("requests %+v", reqs)
	}
	if ct := reqs[0].header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(reqs[0].body, &body); err != nil {
		t.Fatalf("body: %v", err)
	}
	var text string
	var blocks []map[string]any
	if json.Unmarshal(body["text"], &text) != nil || text == "" || json.Unmarshal(body["blocks"], &blocks) != nil || len(blocks) == 0 {
		t.Fatalf("body %s lacks text or blocks", reqs[0].body)
	}
	if _, ok := body["link_names"]; ok {
		t.Error("link_names was sent")
	}
	if string(body["unfurl_links"]) != "false" || string(body["unfurl_media"]) != "false" {
		t.Errorf("a digest should go without previews: %s", reqs[0].body)
	}
}

func TestSlackWebhookErrorClassification(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		want  wantClass
		text  string
	}{
		{"429 Retry-After", reply{status: 429, header: map[string]string{"Retry-After": "3"}}, wantClass{retryAfter: 3, status: 429}, "HTTP 429"},
		{"429 HTTP date", reply{status: 429, header: map[string]string{"Retry-After": fixedNow.Add(90 * time.Second).UTC().Format(http.TimeFormat)}}, wantClass{retryAfter: 90, status: 429}, "HTTP 429"},
		{"400 invalid_payload", reply{status: 400, body: "invalid_payload"}, wantClass{permanent: true, status: 400}, "invalid_payload"},
		{"401", reply{status: 401}, wantClass{permanent: true, status: 401}, "HTTP 401"},
		{"403 action_prohibited", reply{status: 403, body: "action_prohibited"}, wantClass{permanent: true, status: 403}, "action_prohibited"},
		{"404 channel_not_found", reply{status: 404, body: "channel_not_found"}, wantClass{permanent: true, status: 404}, "channel_not_found"},
		{"410 channel_is_archived", reply{status: 410, body: "channel_is_archived"}, wantClass{permanent: true, status: 410}, "channel_is_archived"},
		{"500 rollup_error", reply{status: 500, body: "rollup_error"}, wantClass{status: 500}, "rollup_error"},
		{"502", reply{status: 502, body: "<html>bad gateway</html>"}, wantClass{status: 502}, "unexpected_response"},
		{"redirect", reply{status: 302, header: map[string]string{"Location": "/elsewhere"}}, wantClass{permanent: true, status: 302}, "HTTP 302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.reply)
			err := NewSlackWebhook(srv.Client(), srv.URL+"/services/T/B/secret", testRenderer(t)).
				Send(context.Background(), news.OutboxMessage{Message: alertMessage()})
			checkClass(t, err, tt.want)
			if !strings.Contains(err.Error(), "slack webhook") || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q should name the slack webhook and say %q", err, tt.text)
			}
		})
	}
	t.Run("invalid URL", func(t *testing.T) {
		err := NewSlackWebhook(nil, "not a url", testRenderer(t)).Send(context.Background(), news.OutboxMessage{Message: alertMessage()})
		checkClass(t, err, wantClass{permanent: true})
	})
	t.Run("transport error", func(t *testing.T) {
		err := NewSlackWebhook(nil, closedURL(t)+"/services/T/B/secret", testRenderer(t)).
			Send(context.Background(), news.OutboxMessage{Message: alertMessage()})
		checkClass(t, err, wantClass{})
	})
}
