package chat

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// must returns a parsed Slack command or fails the test.
func must(t *testing.T, text string) Command {
	t.Helper()
	c, err := ParseSlackText(text)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	return c
}

// neverLate fails the test if a reply is delivered late.
func neverLate(t *testing.T) lateFunc {
	return func(context.Context, Reply, bool) { t.Error("reply delivered late, want at once") }
}

func TestAdminCheck(t *testing.T) {
	tests := []struct {
		name  string
		inv   invocation
		admit bool
	}{
		{"slack admin", invocation{Platform: PlatformSlack, UserID: slackAdmin}, true},
		{"slack non-admin", invocation{Platform: PlatformSlack, UserID: slackUser}, false},
		{"slack admin id on discord", invocation{Platform: PlatformDiscord, UserID: slackAdmin}, false},
		{"discord admin user", invocation{Platform: PlatformDiscord, UserID: discordAdmin}, true},
		{"discord admin role", invocation{Platform: PlatformDiscord, UserID: discordUser, Roles: []string{"1", discordAdminRole}}, true},
		{"discord other roles", invocation{Platform: PlatformDiscord, UserID: discordUser, Roles: []string{"1", "2"}}, false},
		{"discord role id as user on slack", invocation{Platform: PlatformSlack, UserID: discordAdminRole}, false},
		{"no user", invocation{Platform: PlatformSlack}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBackend{}
			c := newTestCommands(b)
			inv := tt.inv
			inv.Command = must(t, "watch t kyiv")
			r, ready := c.answer(inv, neverLate(t))
			if !ready {
				t.Fatal("not ready")
			}
			ran := len(b.requests()) == 1
			if ran != tt.admit {
				t.Fatalf("backend ran = %v, want %v", ran, tt.admit)
			}
			if !tt.admit {
				if r.Public || !strings.Contains(r.Message.Intro, "only feedwatch admins") {
					t.Errorf("refusal = %+v, want a private polite refusal", r)
				}
			}
			// Lookups are for everyone.
			before := len(b.requests())
			inv.Command = must(t, "topics")
			if _, ready := c.answer(inv, neverLate(t)); !ready || len(b.requests()) != before+1 {
				t.Errorf("lookup did not run for %s", tt.name)
			}
		})
	}
}

func TestAnswerUsageAndHelp(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		title string
		want  []string
	}{
		{"unknown shows all commands", "frobnicate", "Usage", []string{`Unknown command "frobnicate"`}},
		{"missing argument shows that command", "watch topic-only", "Usage", []string{"Missing QUERY", "Usage: /feedwatch watch NAME QUERY"}},
		{"deadline usage has the hint", "deadline add x 2025-09-02", "Usage", []string{"Missing TITLE", "Quote the title"}},
		{"help", "help", "feedwatch commands", []string{"Queries:"}},
		{"empty text is help", "", "feedwatch commands", []string{"Queries:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBackend{}
			c := newTestCommands(b)
			inv := invocation{Platform: PlatformSlack, UserID: slackAdmin, ChannelID: slackChannelID}
			inv.Command, inv.ParseErr = ParseSlackText(tt.text)
			r, ready := c.answer(inv, neverLate(t))
			if !ready || r.Public {
				t.Fatalf("ready=%v public=%v, want a private reply at once", ready, r.Public)
			}
			if r.Message.Title != tt.title {
				t.Errorf("title %q, want %q", r.Message.Title, tt.title)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Message.Intro, w) {
					t.Errorf("intro %q does not contain %q", r.Message.Intro, w)
				}
			}
			if len(b.requests()) != 0 {
				t.Error("backend ran for usage or help")
			}
		})
	}
}

func TestAnswerMapsChannels(t *testing.T) {
	tests := []struct {
		name     string
		platform Platform
		id       string
		want     string
	}{
		{"slack channel in config", PlatformSlack, slackChannelID, "newsroom"},
		{"discord channel in config", PlatformDiscord, discordChannelID, "war-room"},
		{"slack id on discord", PlatformDiscord, slackChannelID, ""},
		{"unknown channel", PlatformSlack, "C999", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBackend{}
			c := newTestCommands(b)
			c.answer(invocation{Platform: tt.platform, UserID: "u", ChannelID: tt.id, Command: must(t, "status")}, neverLate(t))
			reqs := b.requests()
			if len(reqs) != 1 || reqs[0].Channel != tt.want || reqs[0].ChannelID != tt.id || reqs[0].Platform != tt.platform {
				t.Errorf("requests %+v, want channel %q", reqs, tt.want)
			}
		})
	}
}

func TestAnswerApologizes(t *testing.T) {
	tests := []struct {
		name   string
		answer func(Request) (Reply, error)
	}{
		{"error", func(Request) (Reply, error) { return Reply{}, errors.New("database is on fire") }},
		{"panic", func(Request) (Reply, error) { panic("nil map") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			c := NewCommands(CommandsOptions{Backend: &fakeBackend{answer: tt.answer}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			r, ready := c.answer(invocation{Platform: PlatformSlack, UserID: "u", Command: must(t, "status")}, neverLate(t))
			if !ready || r.Message.Title != "Something went wrong" || strings.Contains(r.Message.Intro, "fire") {
				t.Errorf("reply %+v, want an apology that does not show the error", r)
			}
			if !strings.Contains(logs.String(), "command=status") {
				t.Errorf("failure not logged: %s", logs.String())
			}
		})
	}
}

// TestAckBudget checks the 3-second rule on fake time: a reply ready within
// the ack budget is returned; a slower one is not waited for longer than the
// budget and is delivered late, with the visibility planned at ack time.
func TestAckBudget(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		delay     time.Duration
		wantReady bool
		public    bool
	}{
		{"fast lookup", "status", 2400 * time.Millisecond, true, false},
		{"slow lookup", "search kyiv", 10 * time.Second, false, false},
		{"slow change", "feed add kyiv https://example.org/rss", 20 * time.Second, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTestCommands(&fakeBackend{delay: tt.delay})
				var mu sync.Mutex
				var late []Reply
				var lateAt time.Duration
				start := time.Now()
				r, ready := c.answer(invocation{Platform: PlatformSlack, UserID: slackAdmin, Command: must(t, tt.text)},
					func(_ context.Context, r Reply, deferredPublic bool) {
						mu.Lock()
						defer mu.Unlock()
						late = append(late, r)
						lateAt = time.Since(start)
						if deferredPublic != tt.public {
							t.Errorf("deferredPublic = %v, want %v", deferredPublic, tt.public)
						}
					})
				answered := time.Since(start)
				if ready != tt.wantReady {
					t.Fatalf("ready = %v, want %v", ready, tt.wantReady)
				}
				if ready {
					if answered != tt.delay || r.Message.Title != "ran "+must(t, tt.text).Path {
						t.Errorf("answered after %v with %q", answered, r.Message.Title)
					}
					return
				}
				if answered != DefaultAckAfter {
					t.Errorf("acknowledged after %v, want %v", answered, DefaultAckAfter)
				}
				if r.Public != tt.public {
					t.Errorf("planned public = %v, want %v", r.Public, tt.public)
				}
				synctest.Wait()
				mu.Lock()
				if len(late) != 0 {
					t.Error("delivered before the backend finished")
				}
				mu.Unlock()
				time.Sleep(tt.delay)
				synctest.Wait()
				mu.Lock()
				defer mu.Unlock()
				if len(late) != 1 || late[0].Message.Title != "ran "+must(t, tt.text).Path || lateAt != tt.delay {
					t.Errorf("late replies %+v at %v, want one at %v", late, lateAt, tt.delay)
				}
			})
		})
	}
}

func TestShutdownWaitsForLateReplies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newTestCommands(&fakeBackend{delay: time.Minute})
		delivered := make(chan Reply, 1)
		_, ready := c.answer(invocation{Platform: PlatformSlack, UserID: "u", Command: must(t, "status")},
			func(_ context.Context, r Reply, _ bool) { delivered <- r })
		if ready {
			t.Fatal("a one-minute command answered at once")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		c.Shutdown(ctx)
		if took := time.Since(start); took != time.Minute-DefaultAckAfter {
			t.Errorf("shutdown took %v, want the rest of the command", took)
		}
		select {
		case r := <-delivered:
			if r.Message.Title != "ran status" {
				t.Errorf("delivered %q", r.Message.Title)
			}
		default:
			t.Error("late reply not delivered before Shutdown returned")
		}
		r, ready := c.answer(invocation{Platform: PlatformSlack, UserID: "u", Command: must(t, "status")}, neverLate(t))
		if !ready || !strings.Contains(r.Message.Intro, "shutting down") {
			t.Errorf("after shutdown: %+v", r)
		}
	})
}

func TestShutdownCancelsAfterGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &fakeBackend{delay: time.Hour}
		c := newTestCommands(b)
		delivered := make(chan Reply, 1)
		c.answer(invocation{Platform: PlatformSlack, UserID: "u", Command: must(t, "status")},
			func(_ context.Context, r Reply, _ bool) { delivered <- r })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		c.Shutdown(ctx)
		if took := time.Since(start); took != 10*time.Second {
			t.Errorf("shutdown took %v, want the 10s grace", took)
		}
		// The cancelled command failed: its apology is still delivered.
		if r := <-delivered; r.Message.Title != "Something went wrong" {
			t.Errorf("delivered %q, want the apology", r.Message.Title)
		}
	})
}
