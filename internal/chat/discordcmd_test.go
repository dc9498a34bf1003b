package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/feedwatch/feedwatch/internal/news"
)

// discordAnswer is the part of an interaction response the tests look at.
type discordAnswer struct {
	Type int `json:"type"`
	Data *struct {
		Content         string                    `json:"content"`
		Embeds          []*discordgo.MessageEmbed `json:"embeds"`
		Flags           int                       `json:"flags"`
		AllowedMentions *struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	} `json:"data"`
}

// checkNoMentions fails unless a message body forbids every mention.
func checkNoMentions(t *testing.T, body []byte) {
	t.Helper()
	var v struct {
		AllowedMentions *struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.AllowedMentions == nil || v.AllowedMentions.Parse == nil || len(v.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions is not {\"parse\": []} in %s", body)
	}
}

func TestDiscordEverySubcommand(t *testing.T) {
	users := []struct {
		name  string
		id    string
		roles []string
		admin bool
	}{
		{"admin user", discordAdmin, nil, true},
		{"admin role", discordUser, []string{"42", discordAdminRole}, true},
		{"member", discordUser, []string{"42"}, false},
	}
	for _, tc := range commandCases {
		spec, _ := specOf(tc.path)
		for _, u := range users {
			t.Run(tc.path+"/"+fmt.Sprint(tc.args)+"/"+u.name, func(t *testing.T) {
				b := &fakeBackend{}
				d := newTestDiscord(t, b, nil)
				w := httptest.NewRecorder()
				d.ServeHTTP(w, discordRequest(testDiscordKey, time.Now(), interactionJSON(tc.path, tc.args, u.id, u.roles, discordChannelID)))
				if w.Code != http.StatusOK {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
				ans := decode[discordAnswer](t, w.Body.Bytes())
				if ans.Type != int(discordgo.InteractionResponseChannelMessageWithSource) || ans.Data == nil {
					t.Fatalf("answer %s, want type 4", w.Body)
				}
				checkNoMentions(t, jsonOf(t, ans.Data))
				reqs := b.requests()
				if spec.admin && !u.admin {
					if len(reqs) != 0 || ans.Data.Flags != int(discordgo.MessageFlagsEphemeral) || !strings.Contains(ans.Data.Content, "Only admins") {
						t.Fatalf("member: backend ran %d times, answer %s", len(reqs), w.Body)
					}
					return
				}
				if len(reqs) != 1 {
					t.Fatalf("backend ran %d times", len(reqs))
				}
				got := reqs[0]
				if got.Command.Path != tc.path || !maps.Equal(got.Command.Args, tc.args) {
					t.Errorf("backend got %q %v, want %q %v", got.Command.Path, got.Command.Args, tc.path, tc.args)
				}
				if got.Platform != PlatformDiscord || got.UserID != u.id || got.Channel != "war-room" || got.ChannelID != discordChannelID {
					t.Errorf("request %+v", got)
				}
				wantFlags := int(discordgo.MessageFlagsEphemeral)
				if spec.admin {
					wantFlags = 0 // the outcome of a change is shown to the channel
				}
				if ans.Data.Flags != wantFlags || !strings.Contains(ans.Data.Content, "ran "+tc.path) {
					t.Errorf("answer flags %d content %q, want flags %d", ans.Data.Flags, ans.Data.Content, wantFlags)
				}
			})
		}
	}
}

func TestDiscordDirectMessageUser(t *testing.T) {
	b := &fakeBackend{}
	d := newTestDiscord(t, b, nil)
	body := []byte(`{"id":"1","application_id":"` + testApplicationID + `","type":2,"token":"t","version":1,"channel_id":"777",
		"user":{"id":"` + discordAdmin + `","username":"dm"},"data":{"id":"2","name":"feedwatch","type":1,"options":[{"name":"status","type":1}]}}`)
	w := httptest.NewRecorder()
	d.ServeHTTP(w, discordRequest(testDiscordKey, time.Now(), body))
	reqs := b.requests()
	if w.Code != http.StatusOK || len(reqs) != 1 || reqs[0].UserID != discordAdmin || reqs[0].Channel != "" {
		t.Errorf("DM: %d, requests %+v", w.Code, reqs)
	}
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDiscordReplyEscaped(t *testing.T) {
	for _, h := range hostile {
		t.Run(h, func(t *testing.T) {
			m := hostileMessage(h)
			m.Kind = news.KindReply
			b := &fakeBackend{answer: func(Request) (Reply, error) { return Reply{Message: m}, nil }}
			d := newTestDiscord(t, b, nil)
			w := httptest.NewRecorder()
			d.ServeHTTP(w, discordRequest(testDiscordKey, time.Now(), interactionJSON("search", map[string]string{"query": "x"}, discordUser, nil, discordChannelID)))
			ans := decode[discordAnswer](t, w.Body.Bytes())
			texts := []string{ans.Data.Content}
			for _, e := range ans.Data.Embeds {
				texts = append(texts, e.Title, e.Description)
				if e.Footer != nil {
					texts = append(texts, e.Footer.Text)
				}
			}
			for _, text := range texts {
				for _, bad := range []string{"@everyone", "@here", "<@", "<#", "<!", "](http://evil"} {
					if strings.Contains(text, bad) {
						t.Fatalf("%q reaches Discord in %q", bad, text)
					}
				}
			}
			p := DiscordPayload{Content: ans.Data.Content, Embeds: ans.Data.Embeds}
			if probs := discordProblems(p); len(probs) > 0 {
				t.Errorf("limits: %v", probs)
			}
		})
	}
}

// TestDiscordSlowReply checks the 3-second rule on fake time: a slow lookup
// is deferred (type 5, ephemeral) within the budget and the original
// response edited into the reply through the configured API URL, without
// the bot token.
func TestDiscordSlowReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{}
		b := &fakeBackend{delay: 9 * time.Second}
		d := newTestDiscord(t, b, &http.Client{Transport: tr})
		start := time.Now()
		w := httptest.NewRecorder()
		d.ServeHTTP(w, discordRequest(testDiscordKey, time.Now(), interactionJSON("search", map[string]string{"query": "kyiv"}, discordUser, nil, discordChannelID)))
		if took := time.Since(start); took != DefaultAckAfter {
			t.Errorf("answered after %v, want %v", took, DefaultAckAfter)
		}
		ans := decode[discordAnswer](t, w.Body.Bytes())
		if ans.Type != int(discordgo.InteractionResponseDeferredChannelMessageWithSource) || ans.Data == nil || ans.Data.Flags != int(discordgo.MessageFlagsEphemeral) {
			t.Fatalf("answer %s, want type 5 with flag 64", w.Body)
		}
		time.Sleep(7 * time.Second)
		synctest.Wait()
		calls := tr.seen()
		want := "https://discord.test/api/v10/webhooks/" + testApplicationID + "/" + testInteractToken + "/messages/@original"
		if len(calls) != 1 || calls[0].Method != http.MethodPatch || calls[0].URL != want {
			t.Fatalf("calls %+v, want one PATCH %s", calls, want)
		}
		if auth := calls[0].Header.Get("Authorization"); auth != "" {
			t.Errorf("interaction webhook sent Authorization %q", auth)
		}
		if !strings.Contains(string(calls[0].Body), "ran search") {
			t.Errorf("edit %s", calls[0].Body)
		}
		checkNoMentions(t, calls[0].Body)
	})
}

// TestDiscordSlowFailedChange: a change is deferred publicly; when it ends
// in a private reply (it failed), the channel is told only that it did not
// go through, and the details go to the asker alone.
func TestDiscordSlowFailedChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{}
		b := &fakeBackend{delay: 9 * time.Second, answer: func(Request) (Reply, error) {
			return notice("Feed not added", "Fetching kyiv failed: HTTP 404"), nil
		}}
		d := newTestDiscord(t, b, &http.Client{Transport: tr})
		w := httptest.NewRecorder()
		d.ServeHTTP(w, discordRequest(testDiscordKey, time.Now(),
			interactionJSON("feed add", map[string]string{"name": "kyiv", "url": "https://example.org/rss"}, discordAdmin, nil, discordChannelID)))
		ans := decode[discordAnswer](t, w.Body.Bytes())
		if ans.Type != int(discordgo.InteractionResponseDeferredChannelMessageWithSource) || ans.Data.Flags != 0 {
			t.Fatalf("answer %s, want a public type 5", w.Body)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		calls := tr.seen()
		if len(calls) != 2 {
			t.Fatalf("calls %+v, want an edit and a follow-up", calls)
		}
		if calls[0].Method != http.MethodPatch || !strings.Contains(string(calls[0].Body), "did not go through") || strings.Contains(string(calls[0].Body), "404") {
			t.Errorf("edit %s %s", calls[0].Method, calls[0].Body)
		}
		wantURL := "https://discord.test/api/v10/webhooks/" + testApplicationID + "/" + testInteractToken + "?wait=true"
		if calls[1].Method != http.MethodPost || calls[1].URL != wantURL {
			t.Errorf("follow-up %s %s, want POST %s", calls[1].Method, calls[1].URL, wantURL)
		}
		if f := decode[discordReplyData](t, calls[1].Body); f.Flags != discordgo.MessageFlagsEphemeral || !strings.Contains(f.Content, "Feed not added") {
			t.Errorf("follow-up %s, want the private details", calls[1].Body)
		}
	})
}

func TestDiscordLongReplyFollowUps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{}
		long := longDigest(300)
		long.Kind = news.KindReply
		if n := len(testRenderer(t).Discord(long)); n <= maxReplyParts {
			t.Fatalf("the long reply renders as %d parts; make it longer", n)
		}
		b := &fakeBackend{answer: func(Request) (Reply, error) { return Reply{Message: long}, nil }}
		d := newTestDiscord(t, b, &http.Client{Transport: tr})
		w := httptest.NewRecorder()
		d.ServeHTTP(w, discordRequest(testDiscordKey, time.Now(), interactionJSON("digest", nil, discordUser, nil, discordChannelID)))
		ans := decode[discordAnswer](t, w.Body.Bytes())
		if ans.Type != int(discordgo.InteractionResponseChannelMessageWithSource) || !strings.Contains(ans.Data.Content, "(part 1/") {
			t.Fatalf("answer %.200s, want part 1 as type 4", w.Body)
		}
		synctest.Wait()
		calls := tr.seen()
		if len(calls) != maxReplyParts-1 {
			t.Fatalf("%d follow-ups, want %d", len(calls), maxReplyParts-1)
		}
		for i, c := range calls {
			f := decode[discordReplyData](t, c.Body)
			if c.Method != http.MethodPost || f.Flags != discordgo.MessageFlagsEphemeral {
				t.Errorf("follow-up %d: %s flags %d", i+1, c.Method, f.Flags)
			}
			if probs := discordProblems(DiscordPayload{Content: f.Content, Embeds: f.Embeds}); len(probs) > 0 {
				t.Errorf("follow-up %d: %v", i+1, probs)
			}
		}
		if last := decode[discordReplyData](t, calls[len(calls)-1].Body); !strings.Contains(last.Content, "Reply shortened") {
			t.Errorf("last follow-up %q, want the notice", last.Content)
		}
	})
}

// TestDiscordFollowUpRace: a follow-up that reaches Discord before our own
// answer is refused as an unknown webhook; it is tried again.
func TestDiscordFollowUpRace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{status: func(n int, _ *http.Request) (int, string) {
			if n == 1 {
				return http.StatusNotFound, `{"message":"Unknown Webhook","code":10015}`
			}
			return http.StatusOK, `{"id":"1"}`
		}}
		b := &fakeBackend{delay: 5 * time.Second}
		d := newTestDiscord(t, b, &http.Client{Transport: tr})
		w := httptest.NewRecorder()
		d.ServeHTTP(w, discordRequest(testDiscordKey, time.Now(), interactionJSON("status", nil, discordUser, nil, discordChannelID)))
		time.Sleep(10 * time.Second)
		synctest.Wait()
		calls := tr.seen()
		if len(calls) != 2 || calls[1].Method != http.MethodPatch {
			t.Errorf("calls %d, want the edit tried twice", len(calls))
		}
	})
}

func TestRegisterDiscordCommands(t *testing.T) {
	const token = "discord-bot-token-abcdefghijklmnop"
	tests := []struct {
		name    string
		status  int
		wantErr bool
	}{
		{"registered", http.StatusOK, false},
		{"refused", http.StatusUnauthorized, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []*discordgo.ApplicationCommand
			var auth, method, path string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				auth, method, path = r.Header.Get("Authorization"), r.Method, r.URL.Path
				_ = json.Unmarshal(body, &got)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				if tt.status != http.StatusOK {
					fmt.Fprint(w, `{"message":"401: Unauthorized","code":0}`)
					return
				}
				w.Write(body)
			}))
			defer srv.Close()
			s, err := NewDiscordSession(token, srv.URL+"/api/v10", nil)
			if err != nil {
				t.Fatal(err)
			}
			err = RegisterDiscordCommands(context.Background(), s, testApplicationID)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("error shows the token: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if method != http.MethodPut || path != "/api/v10/applications/"+testApplicationID+"/commands" || auth != "Bot "+token {
				t.Errorf("request %s %s auth %q", method, path, auth)
			}
			if len(got) != 1 || got[0].Name != DiscordCommandName || len(got[0].Options) != len(DiscordApplicationCommands()[0].Options) {
				t.Errorf("registered %+v", got)
			}
		})
	}
}
