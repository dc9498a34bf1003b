package chat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/feedwatch/feedwatch/internal/news"
)

func reminderWithPing() news.Message {
	return news.Message{Kind: news.KindReminder, Title: "⏰ Talks — in 1 hour", Intro: "Due Tue 2 Sep 2025 23:59 EEST.",
		Ping: &news.Ping{Slack: []string{"U0123ABC", "S0123TEAM", "<!channel>"}, Discord: []string{"998877665544332211", "112233445566778899", "@everyone"}}}
}

func TestSlackRendersMentionsOfPingOnly(t *testing.T) {
	tests := []struct {
		name    string
		msg     news.Message
		mention string
	}{
		{"ping", reminderWithPing(), "<@U0123ABC> <!subteam^S0123TEAM>"},
		{"no ping", news.Message{Kind: news.KindReminder, Title: "⏰ Talks — in 1 day"}, ""},
		{"later part of a split message", func() news.Message { m := reminderWithPing(); m.Part, m.Parts = 2, 2; return m }(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := testRenderer(t).Slack(tt.msg)
			if len(ps) != 1 {
				t.Fatalf("%d payloads", len(ps))
			}
			raw, _ := json.Marshal(ps[0].Blocks)
			blocks := unescapeJSON(string(raw))
			if tt.mention == "" {
				if strings.Contains(blocks, "<@") || strings.Contains(ps[0].Text, "<@") {
					t.Errorf("pings without a Ping: %s", blocks)
				}
				return
			}
			if !strings.HasPrefix(ps[0].Text, tt.mention+" ") || !strings.Contains(blocks, tt.mention) {
				t.Errorf("text %q / blocks %s, want the mention %q", ps[0].Text, blocks, tt.mention)
			}
			if strings.Contains(blocks, "<!channel>") || strings.Contains(ps[0].Text, "<!channel>") {
				t.Errorf("an id not of Slack's form was written as a mention")
			}
		})
	}
}

func TestConsoleNamesPings(t *testing.T) {
	out := testRenderer(t).Console(reminderWithPing())
	if !strings.Contains(out, "Pings: @U0123ABC (Slack), @S0123TEAM (Slack)") {
		t.Errorf("console output %q does not name the pings", out)
	}
}

// discordGuild answers the role lookup: the channel's guild and its roles.
func discordGuild(srv *fakeServer, roles string) {
	srv.setReplies(reply{status: 200, body: `{"id":"123","guild_id":"777"}`}, reply{status: 200, body: roles}, discordOK)
}

func TestDiscordAPIPingsRolesAndUsersExactly(t *testing.T) {
	srv := newFakeServer(t, discordOK)
	discordGuild(srv, `[{"id":"112233445566778899","name":"team"}]`)
	n := newTestDiscordAPI(t, srv)
	if err := n.Send(context.Background(), news.OutboxMessage{ID: 3, Message: reminderWithPing()}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 3 || reqs[0].path != "/api/v10/channels/123" || reqs[1].path != "/api/v10/guilds/777/roles" {
		t.Fatalf("requests %+v", reqs)
	}
	var body struct {
		Content         string `json:"content"`
		AllowedMentions struct {
			Parse []string `json:"parse"`
			Users []string `json:"users"`
			Roles []string `json:"roles"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(reqs[2].body, &body); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(body.Content, "<@998877665544332211> <@&112233445566778899>\n") {
		t.Errorf("content %q", body.Content)
	}
	want := []string{"998877665544332211", "112233445566778899"}
	am := body.AllowedMentions
	if am.Parse == nil || len(am.Parse) != 0 || !slices.Equal(am.Users, want) || !slices.Equal(am.Roles, want) {
		t.Errorf("allowed_mentions = %+v, want parse [] and exactly %v as users and roles", am, want)
	}
	// The roles are cached: a second ping looks nothing up.
	if err := n.Send(context.Background(), news.OutboxMessage{ID: 4, Message: reminderWithPing()}); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.requests()); got != 4 {
		t.Errorf("%d requests after the second send, want 4", got)
	}
}

func TestDiscordAPIRoleLookupFailureStillPings(t *testing.T) {
	srv := newFakeServer(t, reply{status: 403, body: `{"message":"Missing Access","code":50001}`}, discordOK)
	n := newTestDiscordAPI(t, srv)
	if err := n.Send(context.Background(), news.OutboxMessage{ID: 3, Message: reminderWithPing()}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	last := unescapeJSON(string(reqs[len(reqs)-1].body))
	if !strings.Contains(last, `<@998877665544332211> <@112233445566778899>`) || !strings.Contains(last, `"roles":["998877665544332211","112233445566778899"]`) {
		t.Errorf("body %s", last)
	}
}

func offerRenderer(t *testing.T) Renderer {
	r := testRenderer(t)
	r.Actions = func(m news.OutboxMessage) []Action {
		if m.Key == "offer:abc" {
			return []Action{{ID: "feedwatch:offer:abc", Label: "Track deadline"}, {ID: strings.Repeat("x", 101), Label: "too long"}}
		}
		return nil
	}
	return r
}

func TestButtonsOnSlackAndDiscord(t *testing.T) {
	offer := news.OutboxMessage{ID: 9, Key: "offer:abc", Message: news.Message{Kind: news.KindNotice, Title: "Track this deadline?"}}
	t.Run("slack", func(t *testing.T) {
		srv := newFakeServer(t, slackOK)
		n := newTestSlackAPI(t, srv)
		n.r = offerRenderer(t)
		if err := n.Send(context.Background(), offer); err != nil {
			t.Fatal(err)
		}
		form, _ := url.ParseQuery(string(srv.requests()[0].body))
		blocks := form.Get("blocks")
		if !strings.Contains(blocks, `"type":"actions"`) || !strings.Contains(blocks, `"action_id":"feedwatch:offer:abc"`) || strings.Contains(blocks, "too long") {
			t.Errorf("blocks %s", blocks)
		}
	})
	t.Run("discord", func(t *testing.T) {
		srv := newFakeServer(t, discordOK)
		n := newTestDiscordAPI(t, srv)
		n.r = offerRenderer(t)
		if err := n.Send(context.Background(), offer); err != nil {
			t.Fatal(err)
		}
		body := string(srv.requests()[0].body)
		if !strings.Contains(body, `"components":[{"type":1,"components":[{"type":2,"style":1,"label":"Track deadline","custom_id":"feedwatch:offer:abc"}]}]`) {
			t.Errorf("body %s", body)
		}
	})
}

func TestEditors(t *testing.T) {
	msg := news.OutboxMessage{ID: 5, Key: "countdown:talks:1h0m0s:newsroom@1", Message: news.Message{Kind: news.KindReminder, Title: "⏰ Talks — in 1 hour"}}
	tests := []struct {
		name      string
		replies   []reply
		editor    func(t *testing.T, srv *fakeServer) Editor
		wantRef   string
		postPath  string
		editPath  string
		editVerb  string
		goneReply reply
	}{
		{"slack api", []reply{slackOK}, func(t *testing.T, srv *fakeServer) Editor { return newTestSlackAPI(t, srv) },
			"1700000000.000100", "/chat.postMessage", "/chat.update", http.MethodPost,
			reply{status: 200, body: `{"ok":false,"error":"message_not_found"}`}},
		{"discord api", []reply{{status: 200, body: `{"id":"4242","channel_id":"123"}`}},
			func(t *testing.T, srv *fakeServer) Editor { return newTestDiscordAPI(t, srv) },
			"4242", "/api/v10/channels/123/messages", "/api/v10/channels/123/messages/4242", http.MethodPatch,
			reply{status: 404, body: `{"message":"Unknown Message","code":10008}`}},
		{"discord webhook", []reply{{status: 200, body: `{"id":"4243"}`}},
			func(t *testing.T, srv *fakeServer) Editor {
				return NewDiscordWebhook(srv.Client(), srv.URL+"/api/webhooks/1/tok", testRenderer(t))
			},
			"4243", "/api/webhooks/1/tok", "/api/webhooks/1/tok/messages/4243", http.MethodPatch,
			reply{status: 404, body: `{"message":"Unknown Message","code":10008}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.replies...)
			ed := tt.editor(t, srv)
			ref, err := ed.Post(context.Background(), msg)
			if err != nil || ref != tt.wantRef {
				t.Fatalf("Post = %q, %v; want %q", ref, err, tt.wantRef)
			}
			if err := ed.Edit(context.Background(), ref, msg); err != nil {
				t.Fatalf("Edit: %v", err)
			}
			reqs := srv.requests()
			if reqs[0].path != tt.postPath || reqs[1].path != tt.editPath || reqs[1].method != tt.editVerb {
				t.Errorf("requests %s %s, %s %s", reqs[0].method, reqs[0].path, reqs[1].method, reqs[1].path)
			}
			if tt.name == "slack api" {
				form, _ := url.ParseQuery(string(reqs[1].body))
				if form.Get("ts") != ref || form.Get("channel") != "C123" {
					t.Errorf("chat.update form %v", form)
				}
			}
			srv.setReplies(tt.goneReply)
			err = ed.Edit(context.Background(), ref, msg)
			if !errors.Is(err, ErrMessageGone) || !IsPermanent(err) {
				t.Errorf("Edit of a deleted message = %v, want ErrMessageGone", err)
			}
		})
	}
}

// unescapeJSON undoes encoding/json's HTML escaping of <, > and &, so that
// tests can look for mention syntax in encoded bodies.
func unescapeJSON(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}
