package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

const testAppToken = "xapp-1-A0001-0000-socketsecret"

// fakeSocketSlack is Slack for Socket Mode: apps.connections.open hands
// out a websocket URL on the same server, whose connections the test
// drives; response_url posts are recorded.
type fakeSocketSlack struct {
	t       *testing.T
	srv     *httptest.Server
	conns   chan *websocket.Conn
	openErr string // apps.connections.open fails with this error code when set

	mu    sync.Mutex
	posts [][]byte
	got   chan struct{} // a response_url post arrived
}

func newFakeSocketSlack(t *testing.T, openErr string) *fakeSocketSlack {
	f := &fakeSocketSlack{t: t, conns: make(chan *websocket.Conn, 4), openErr: openErr, got: make(chan struct{}, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testAppToken {
			t.Errorf("apps.connections.open with Authorization %q", r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		if f.openErr != "" {
			fmt.Fprintf(w, `{"ok":false,"error":%q}`, f.openErr)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"url":"ws://%s/link?ticket=abc"}`, r.Host)
	})
	mux.HandleFunc("GET /link", func(w http.ResponseWriter, r *http.Request) {
		// slack-go dials with the Origin Slack's own servers expect.
		up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" }}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		if err := c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1,
			"connection_info": map[string]any{"app_id": "A0001"}}); err != nil {
			t.Errorf("hello: %v", err)
		}
		f.conns <- c
	})
	mux.HandleFunc("POST /respond", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.posts = append(f.posts, body)
		f.mu.Unlock()
		f.got <- struct{}{}
		w.WriteHeader(http.StatusOK)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// api is a slack-go client pointed at the fake.
func (f *fakeSocketSlack) api() *slack.Client {
	return slack.New("xoxb-bot-token", slack.OptionAppLevelToken(testAppToken), slack.OptionAPIURL(f.srv.URL+"/api/"))
}

// conn waits for the bot to connect.
func (f *fakeSocketSlack) conn() *websocket.Conn {
	f.t.Helper()
	select {
	case c := <-f.conns:
		f.t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(10 * time.Second):
		f.t.Fatal("the bot did not connect over Socket Mode")
		return nil
	}
}

// command sends a slash command envelope and returns the acknowledgement.
func (f *fakeSocketSlack) command(c *websocket.Conn, envelope, text, user string) socketAck {
	f.t.Helper()
	payload := map[string]string{
		"team_id": "T0001", "channel_id": slackChannelID, "channel_name": "newsroom", "user_id": user, "user_name": "someone",
		"command": "/feedwatch", "text": text, "response_url": f.srv.URL + "/respond", "trigger_id": envelope + ".trigger", "api_app_id": "A0001",
	}
	if err := c.WriteJSON(map[string]any{"envelope_id": envelope, "type": "slash_commands", "accepts_response_payload": true, "payload": payload}); err != nil {
		f.t.Fatalf("send envelope: %v", err)
	}
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		f.t.Fatal(err)
	}
	var ack socketAck
	if err := c.ReadJSON(&ack); err != nil {
		f.t.Fatalf("read ack: %v", err)
	}
	return ack
}

// socketAck is a Socket Mode acknowledgement.
type socketAck struct {
	EnvelopeID string       `json:"envelope_id"`
	Payload    *slackAnswer `json:"payload"`
}

// runSocket runs the bot's Socket Mode client until the test ends.
func runSocket(t *testing.T, s *SlackCommands, api *slack.Client) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.RunSocketMode(ctx, api) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunSocketMode: %v", err)
		}
	})
}

func TestSocketModeCommands(t *testing.T) {
	tests := []struct {
		name, text, user string
		wantType         string
		wantText         string
		ran              bool
	}{
		{"lookup", "search kyiv", slackUser, "ephemeral", "ran search", true},
		{"change by an admin", "watch t kyiv", slackAdmin, "in_channel", "ran watch", true},
		{"change by a member", "watch t kyiv", slackUser, "ephemeral", "Only admins", false},
		{"usage", "frobnicate", slackUser, "ephemeral", "Usage", false},
	}
	f := newFakeSocketSlack(t, "")
	b := &fakeBackend{}
	runSocket(t, NewSlackCommands(SlackCommandsOptions{Commands: newTestCommands(b), Renderer: testRenderer(t)}), f.api())
	c := f.conn()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(b.requests())
			env := fmt.Sprintf("env-%d", i)
			ack := f.command(c, env, tt.text, tt.user)
			if ack.EnvelopeID != env || ack.Payload == nil {
				t.Fatalf("ack %+v, want envelope %s with the reply", ack, env)
			}
			if ack.Payload.ResponseType != tt.wantType || !strings.Contains(ack.Payload.Text, tt.wantText) {
				t.Errorf("reply %+v, want %s containing %q", ack.Payload, tt.wantType, tt.wantText)
			}
			if ran := len(b.requests()) > before; ran != tt.ran {
				t.Errorf("backend ran = %v, want %v", ran, tt.ran)
			}
		})
	}
}

// TestSocketModeSlowCommand: a command slower than the ack budget is
// acknowledged empty and its reply posted to response_url.
func TestSocketModeSlowCommand(t *testing.T) {
	f := newFakeSocketSlack(t, "")
	release := make(chan struct{})
	b := &fakeBackend{answer: func(r Request) (Reply, error) {
		<-release
		return echoReply(r), nil
	}}
	cmds := NewCommands(CommandsOptions{Backend: b, AckAfter: 20 * time.Millisecond})
	runSocket(t, NewSlackCommands(SlackCommandsOptions{Commands: cmds, Renderer: testRenderer(t)}), f.api())
	c := f.conn()
	ack := f.command(c, "slow-1", "test ceasefire", slackUser)
	if ack.EnvelopeID != "slow-1" || ack.Payload != nil {
		t.Fatalf("ack %+v, want an empty acknowledgement", ack)
	}
	close(release)
	select {
	case <-f.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no reply posted to response_url")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var ans slackAnswer
	if err := json.Unmarshal(f.posts[0], &ans); err != nil || ans.ResponseType != "ephemeral" || !strings.Contains(ans.Text, "ran test") {
		t.Errorf("posted %s", f.posts[0])
	}
}

func TestSocketModeRefusedToken(t *testing.T) {
	f := newFakeSocketSlack(t, "invalid_auth")
	s := NewSlackCommands(SlackCommandsOptions{Commands: newTestCommands(&fakeBackend{}), Renderer: testRenderer(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.RunSocketMode(ctx, f.api())
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), testAppToken) {
		t.Errorf("err = %v, want invalid_auth without the token", err)
	}
}
