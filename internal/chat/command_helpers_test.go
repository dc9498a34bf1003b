package chat

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Identities and channels of the command tests.
const (
	testSlackSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
	slackAdmin        = "UADMIN01"
	slackUser         = "UUSER001"
	slackChannelID    = "C0NEWSROOM"
	discordAdmin      = "445566778899001122"
	discordAdminRole  = "998877665544332211"
	discordUser       = "111111111111111111"
	discordChannelID  = "112233445566778899"
	testApplicationID = "123456789012345678"
	testInteractToken = "interaction-token-secret-0123456789abcdef"
)

// testDiscordKey is the application's key pair, derived from a fixed seed
// so that tests are deterministic.
var testDiscordKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func testDiscordPublic() ed25519.PublicKey { return testDiscordKey.Public().(ed25519.PublicKey) }

// fakeBackend records the requests it is given and answers each with
// answer (default: echoReply) after delay (fake time under synctest).
type fakeBackend struct {
	mu     sync.Mutex
	reqs   []Request
	delay  time.Duration
	answer func(Request) (Reply, error)
}

func (f *fakeBackend) Run(ctx context.Context, req Request) (Reply, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	delay, answer := f.delay, f.answer
	f.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return Reply{}, ctx.Err()
		}
	}
	if answer != nil {
		return answer(req)
	}
	return echoReply(req), nil
}

func (f *fakeBackend) requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// echoReply says which command ran with which arguments, in a stable form
// ("ran watch: name=x; query=y"); changes are public like the real ones.
func echoReply(req Request) Reply {
	keys := make([]string, 0, len(req.Command.Args))
	for k := range req.Command.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var kv []string
	for _, k := range keys {
		kv = append(kv, k+"="+req.Command.Args[k])
	}
	spec, _ := specOf(req.Command.Path)
	return Reply{
		Message: news.Message{Kind: news.KindReply, Title: "ran " + req.Command.Path, Intro: strings.Join(kv, "; ")},
		Public:  spec != nil && spec.admin,
	}
}

// newTestCommands is a router on b with the test admins and channels.
func newTestCommands(b Backend) *Commands {
	return NewCommands(CommandsOptions{
		Backend: b,
		Admins:  Admins{Slack: []string{slackAdmin}, Discord: []string{discordAdmin, discordAdminRole}},
		Channels: []ChannelRef{
			{Name: "newsroom", Platform: PlatformSlack, ID: slackChannelID},
			{Name: "war-room", Platform: PlatformDiscord, ID: discordChannelID},
		},
		SlackCommand: "/feedwatch",
	})
}

// slackForm is a slash command form as Slack posts it.
func slackForm(text, user, responseURL string) url.Values {
	return url.Values{
		"token":        {"legacy-verification-token"},
		"team_id":      {"T0001"},
		"team_domain":  {"example"},
		"channel_id":   {slackChannelID},
		"channel_name": {"newsroom"},
		"user_id":      {user},
		"user_name":    {"someone"},
		"command":      {"/feedwatch"},
		"text":         {text},
		"response_url": {responseURL},
		"trigger_id":   {fmt.Sprintf("%d.%s", time.Now().UnixNano(), text)},
		"api_app_id":   {"A0001"},
	}
}

// slackRequest is a POST /slack/commands signed with secret at ts.
func slackRequest(secret string, ts time.Time, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, SlackCommandsPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sig, stamp := SignSlack(secret, ts, []byte(body))
	r.Header.Set("X-Slack-Signature", sig)
	r.Header.Set("X-Slack-Request-Timestamp", stamp)
	return r
}

// discordRequest is a POST /discord/interactions signed with key at ts.
func discordRequest(key ed25519.PrivateKey, ts time.Time, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	sig, stamp := SignDiscord(key, ts, body)
	r.Header.Set("X-Signature-Timestamp", stamp)
	r.Header.Set("X-Signature-Ed25519", sig)
	return r
}

// interactionOption is an option of a test interaction.
type interactionOption struct {
	Name    string              `json:"name"`
	Type    int                 `json:"type"`
	Value   any                 `json:"value,omitempty"`
	Options []interactionOption `json:"options,omitempty"`
}

// interactionJSON builds an APPLICATION_COMMAND interaction for path
// ("search", "deadline add") with string options, invoked by user (with
// roles) in a guild channel, as Discord sends it.
func interactionJSON(path string, args map[string]string, user string, roles []string, channel string) []byte {
	var opts []interactionOption
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, interactionOption{Name: k, Type: int(discordgo.ApplicationCommandOptionString), Value: args[k]})
	}
	sub := interactionOption{Name: path, Type: int(discordgo.ApplicationCommandOptionSubCommand), Options: opts}
	if g, s, ok := strings.Cut(path, " "); ok {
		sub.Name = s
		sub = interactionOption{Name: g, Type: int(discordgo.ApplicationCommandOptionSubCommandGroup), Options: []interactionOption{sub}}
	}
	if roles == nil {
		roles = []string{}
	}
	in := map[string]any{
		"id":             "1300000000000000001",
		"application_id": testApplicationID,
		"type":           int(discordgo.InteractionApplicationCommand),
		"token":          testInteractToken,
		"version":        1,
		"guild_id":       "500000000000000000",
		"channel_id":     channel,
		"member":         map[string]any{"user": map[string]any{"id": user, "username": "someone"}, "roles": roles},
		"data":           map[string]any{"id": "1200000000000000000", "name": DiscordCommandName, "type": 1, "options": []interactionOption{sub}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		panic(err)
	}
	return b
}

// seenCall is one request a fake transport received.
type seenCall struct {
	Method, URL string
	Header      http.Header
	Body        []byte
}

// fakeTransport answers every request in memory (no network, so it works
// inside a synctest bubble) and records it.
type fakeTransport struct {
	mu     sync.Mutex
	calls  []seenCall
	status func(n int, r *http.Request) (int, string) // nil = 200 with {}
}

func (f *fakeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	f.mu.Lock()
	f.calls = append(f.calls, seenCall{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone(), Body: body})
	n := len(f.calls)
	status := f.status
	f.mu.Unlock()
	code, text := http.StatusOK, `{}`
	if status != nil {
		code, text = status(n, r)
	}
	return &http.Response{
		StatusCode: code,
		Status:     http.StatusText(code),
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(text)),
		Request:    r,
	}, nil
}

func (f *fakeTransport) seen() []seenCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// decode unmarshals JSON or fails the test.
func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return v
}
