package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/feedwatch/feedwatch/internal/news"
)

// DefaultDiscordAPIURL is Discord's REST API base.
const DefaultDiscordAPIURL = "https://discord.com/api/v10"

// allowedMentions is {"parse": []}, so that Discord resolves no mention the
// text happens to contain; only a message that pings (see discordMentions)
// adds the exact users and roles it names.
type allowedMentions struct {
	Parse []string `json:"parse"`
	Users []string `json:"users,omitempty"`
	Roles []string `json:"roles,omitempty"`
}

func noMentions() allowedMentions { return allowedMentions{Parse: []string{}} }

// discordCreateMessage is the body of POST /channels/{id}/messages.
// discordgo's MessageSend has no enforce_nonce, hence our own struct.
type discordCreateMessage struct {
	Content         string                    `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds,omitempty"`
	AllowedMentions allowedMentions           `json:"allowed_mentions"`
	Components      []discordComponent        `json:"components,omitempty"`
	Nonce           string                    `json:"nonce,omitempty"`
	EnforceNonce    bool                      `json:"enforce_nonce,omitempty"`
}

// discordEditMessage is the body of PATCH /channels/{id}/messages/{id} and
// of a webhook message edit. Content and embeds are always sent, so that an
// edit replaces the old text entirely.
type discordEditMessage struct {
	Content         string                    `json:"content"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds"`
	AllowedMentions allowedMentions           `json:"allowed_mentions"`
	Components      []discordComponent        `json:"components,omitempty"`
}

// withDiscordMentions puts the mentions of m's Ping at the start of the
// first payload's content and returns the allowed_mentions of each payload:
// exactly the pinged ids on the first, none on the others.
func withDiscordMentions(ps []DiscordPayload, m news.Message, isRole func(string) bool) []allowedMentions {
	ams := make([]allowedMentions, len(ps))
	for i := range ams {
		ams[i] = noMentions()
	}
	if len(ps) == 0 || m.Part > 1 {
		return ams
	}
	text, am := discordMentions(m.Ping, isRole)
	if text == "" {
		return ams
	}
	if c := text + "\n" + ps[0].Content; textLen(c) <= DiscordContentMax {
		ps[0].Content = c
	} else {
		ps[0].Content = text // the embeds still carry the message
	}
	ams[0] = am
	return ams
}

// discordWebhookBody is the body of an Execute Webhook call.
type discordWebhookBody struct {
	Content         string                    `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds,omitempty"`
	AllowedMentions allowedMentions           `json:"allowed_mentions"`
}

// DiscordAPI posts messages to a Discord channel with the bot token.
type DiscordAPI struct {
	s       *discordgo.Session
	channel string
	r       Renderer

	rolesMu sync.Mutex
	roles   map[string]bool // role ids of the channel's guild; nil = unknown
	rolesAt time.Time       // when roles were last looked up (or tried)
}

// rolesTTL is how long a guild's role list is trusted; a failed lookup is
// not retried sooner either.
const rolesTTL = time.Hour

// isRole returns whether an id is a role of the channel's guild, looking the
// roles up (GET /channels/{id}, GET /guilds/{id}/roles) at most once per
// rolesTTL; it is only called for messages that ping. When the lookup fails
// every id is taken for a user's: allowed_mentions still names it as both.
func (n *DiscordAPI) isRole(ctx context.Context) func(string) bool {
	n.rolesMu.Lock()
	defer n.rolesMu.Unlock()
	now := n.r.now()
	if n.rolesAt.IsZero() || now.Sub(n.rolesAt) > rolesTTL {
		n.rolesAt = now
		opts := []discordgo.RequestOption{discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0)}
		if ch, err := n.s.Channel(n.channel, opts...); err == nil && ch.GuildID != "" {
			if rs, err := n.s.GuildRoles(ch.GuildID, opts...); err == nil {
				n.roles = map[string]bool{}
				for _, r := range rs {
					n.roles[r.ID] = true
				}
			}
		}
	}
	roles := n.roles
	return func(id string) bool { return roles[id] }
}

// NewDiscordAPI returns a Notifier posting to channelID through s (see
// NewDiscordSession). Requests go through s's rate limiter; its automatic
// re-sends are turned off per request, since a re-sent POST could double a
// message and a wait on 429 belongs to the outbox.
func NewDiscordAPI(s *discordgo.Session, channelID string, r Renderer) *DiscordAPI {
	return &DiscordAPI{s: s, channel: channelID, r: r}
}

// discordNonce derives the nonce of part i of n of outbox message id: Discord
// answers a repeated nonce from the same bot (within a few minutes) with the
// message it already created, so a send retried after a lost response is not
// doubled. Base 36 keeps it within 25 characters for any int64.
func discordNonce(id int64, part, parts int) string {
	if id <= 0 {
		return "" // not from the outbox: nothing stable to derive from
	}
	n := "fw" + strconv.FormatInt(id, 36)
	if parts > 1 {
		n += "." + strconv.Itoa(part)
	}
	if len(n) > DiscordNonceMax {
		return ""
	}
	return n
}

// Send posts m (each part, if it must be split) with allowed_mentions
// {"parse": []} and a nonce derived from the outbox ID.
func (n *DiscordAPI) Send(ctx context.Context, m news.OutboxMessage) error {
	_, err := n.Post(ctx, m)
	return err
}

// render renders m for this channel: payloads, each with its
// allowed_mentions, buttons under the last.
func (n *DiscordAPI) render(ctx context.Context, m news.OutboxMessage) ([]DiscordPayload, []allowedMentions, []discordComponent) {
	parts := n.r.Discord(m.Message)
	var isRole func(string) bool
	if len(discordPingIDs(m.Message.Ping)) > 0 {
		isRole = n.isRole(ctx)
	}
	return parts, withDiscordMentions(parts, m.Message, isRole), discordActionRows(n.r.actionsOf(m))
}

// Post is Send returning the id of the (first) message created, for Edit.
func (n *DiscordAPI) Post(ctx context.Context, m news.OutboxMessage) (string, error) {
	endpoint := discordgo.EndpointChannelMessages(n.channel)
	parts, ams, rows := n.render(ctx, m)
	ref := ""
	for i, p := range parts {
		body := discordCreateMessage{
			Content:         p.Content,
			Embeds:          p.Embeds,
			AllowedMentions: ams[i],
			Nonce:           discordNonce(m.ID, i+1, len(parts)),
		}
		if i == len(parts)-1 {
			body.Components = rows
		}
		body.EnforceNonce = body.Nonce != ""
		raw, err := n.s.RequestWithBucketID(http.MethodPost, endpoint, body, endpoint,
			discordgo.WithContext(ctx),
			discordgo.WithRetryOnRatelimit(false),
			discordgo.WithRestRetries(0))
		if err != nil {
			se := classifyDiscord(err, n.s.Token)
			se.Err = fmt.Errorf("discord channel %s: %w", n.channel, se.Err)
			return "", se
		}
		if ref == "" {
			ref = messageID(raw)
		}
	}
	return ref, nil
}

// Edit replaces message id with m (its first part). A message deleted
// meanwhile (404) wraps ErrMessageGone.
func (n *DiscordAPI) Edit(ctx context.Context, id string, m news.OutboxMessage) error {
	parts, ams, rows := n.render(ctx, m)
	if len(parts) == 0 {
		return nil
	}
	endpoint := discordgo.EndpointChannelMessage(n.channel, id)
	body := discordEditMessage{Content: parts[0].Content, Embeds: parts[0].Embeds, AllowedMentions: ams[0], Components: rows}
	_, err := n.s.RequestWithBucketID(http.MethodPatch, endpoint, body, discordgo.EndpointChannelMessages(n.channel),
		discordgo.WithContext(ctx),
		discordgo.WithRetryOnRatelimit(false),
		discordgo.WithRestRetries(0))
	if err != nil {
		se := classifyDiscord(err, n.s.Token)
		var rest *discordgo.RESTError
		if errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusNotFound {
			se.Permanent, se.Err = true, ErrMessageGone
		}
		se.Err = fmt.Errorf("discord channel %s: edit: %w", n.channel, se.Err)
		return se
	}
	return nil
}

// messageID reads the id of a created message from Discord's answer ("" if
// it has none, and the message is then not editable).
func messageID(raw []byte) string {
	var msg struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &msg) != nil {
		return ""
	}
	return msg.ID
}

// classifyDiscord maps a discordgo error to a SendError whose text holds
// neither the token nor the request (RESTError carries the request with its
// Authorization header, so it is described, never wrapped).
func classifyDiscord(err error, token string) *SendError {
	secrets := []string{token, strings.TrimPrefix(token, "Bot ")}
	var (
		rl   *discordgo.RateLimitError
		rest *discordgo.RESTError
	)
	switch {
	case errors.As(err, &rl):
		var d time.Duration
		if rl.TooManyRequests != nil {
			d = rl.RetryAfter
		}
		return &SendError{RetryAfter: d, Status: http.StatusTooManyRequests,
			Err: fmt.Errorf("rate limited, retry after %s", d)}
	case errors.As(err, &rest) && rest.Response != nil:
		code := rest.Response.StatusCode
		text := fmt.Sprintf("HTTP %d", code)
		if rest.Message != nil && rest.Message.Message != "" {
			text += ": " + snippet(rest.Message.Message, secrets...)
			if rest.Message.Code != 0 {
				text += fmt.Sprintf(" (code %d)", rest.Message.Code)
			}
		}
		return statusError(code, 0, errors.New(text))
	}
	// Transport failures, 502 after discordgo's (disabled) retries,
	// unreadable answers, cancellation: worth a retry.
	return &SendError{Err: transportError(err, secrets...)}
}

// NewDiscordSession returns a discordgo session for REST calls whose HTTP
// client sends every request for Discord's API to apiURL instead (a proxy, or
// a fake server in tests). discordgo computes its endpoint URLs once at
// start-up, so rather than editing them a transport rewrites the prefix. The
// session never re-sends on its own: no retries on 502, no sleeping on 429.
// token may be given with or without its "Bot " prefix. hc may be nil.
func NewDiscordSession(token, apiURL string, hc *http.Client) (*discordgo.Session, error) {
	if apiURL == "" {
		apiURL = DefaultDiscordAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("discord session: api_url must be an absolute http(s) URL")
	}
	if token == "" {
		return nil, errors.New("discord session: empty token")
	}
	if !strings.HasPrefix(token, "Bot ") && !strings.HasPrefix(token, "Bearer ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("discord session: %w", scrub(err, token))
	}
	client := http.Client{Timeout: defaultHTTPTimeout}
	if hc != nil {
		client = *hc
	}
	next := client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	client.Transport = &prefixTransport{
		from:   discordgo.EndpointAPI,
		to:     strings.TrimRight(apiURL, "/") + "/",
		next:   next,
		global: newGlobalGate(),
	}
	s.Client = &client
	s.MaxRestRetries = 0
	s.ShouldRetryOnRateLimit = false
	// discordgo would print its own unstructured lines through the standard
	// logger; every failure is returned instead and logged by the caller.
	s.LogLevel = discordgo.LogError - 1
	return s, nil
}

// prefixTransport sends requests whose URL starts with from to the same path
// under to, none of them while Discord's global rate limit is in force.
type prefixTransport struct {
	from, to string
	next     http.RoundTripper
	global   *globalGate // nil: no gate
}

// RoundTrip rewrites the URL on a clone (a RoundTripper must not change the
// caller's request) and passes it on.
func (t *prefixTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s := req.URL.String()
	if !strings.HasPrefix(s, t.from) {
		return t.next.RoundTrip(req)
	}
	u, err := url.Parse(t.to + strings.TrimPrefix(s, t.from))
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("rewrite discord API URL: %w", err)
	}
	if wait := t.global.remaining(); wait > 0 {
		return globalRefusal(req, wait), nil
	}
	r := req.Clone(req.Context())
	r.URL = u
	r.Host = ""
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		t.global.observe(resp)
	}
	return resp, err
}

// DiscordWebhook posts messages to a Discord webhook.
type DiscordWebhook struct {
	hook   webhook
	target string
	r      Renderer
}

// NewDiscordWebhook returns a Notifier executing the webhook url with
// ?wait=true, so that a failure is reported rather than dropped. The URL holds
// the webhook's token: errors call it "discord webhook" and never show it.
func NewDiscordWebhook(hc *http.Client, url string, r Renderer) *DiscordWebhook {
	return &DiscordWebhook{
		hook:   newWebhook(hc, "discord webhook", url, r.now, describeDiscord),
		target: withWait(url),
		r:      r,
	}
}

// withWait adds wait=true to a webhook URL ("" if it does not parse; the
// send then fails permanently without naming it).
func withWait(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("wait", "true")
	u.RawQuery = q.Encode()
	return u.String()
}

// Send posts m (each part, if it must be split) with allowed_mentions
// {"parse": []}. Webhooks take no nonce; a retried part may be posted twice
// if Discord's answer was lost, which waiting for the answer makes rare.
func (n *DiscordWebhook) Send(ctx context.Context, m news.OutboxMessage) error {
	_, err := n.Post(ctx, m)
	return err
}

// Post is Send returning the id of the (first) message created. A webhook
// cannot look up the guild's roles, so pinged ids are written as users'
// mentions (allowed_mentions still names them as both).
func (n *DiscordWebhook) Post(ctx context.Context, m news.OutboxMessage) (string, error) {
	parts := n.r.Discord(m.Message)
	ams := withDiscordMentions(parts, m.Message, nil)
	ref := ""
	for i, p := range parts {
		body := discordWebhookBody{Content: p.Content, Embeds: p.Embeds, AllowedMentions: ams[i]}
		raw, err := n.hook.do(ctx, http.MethodPost, n.target, body)
		if err != nil {
			return "", err
		}
		if ref == "" {
			ref = messageID(raw)
		}
	}
	return ref, nil
}

// Edit replaces the webhook's message id with m (its first part), through
// PATCH {webhook}/messages/{id}. A message deleted meanwhile (404) wraps
// ErrMessageGone.
func (n *DiscordWebhook) Edit(ctx context.Context, id string, m news.OutboxMessage) error {
	parts := n.r.Discord(m.Message)
	if len(parts) == 0 {
		return nil
	}
	ams := withDiscordMentions(parts, m.Message, nil)
	target := messageURL(n.hook.url, id)
	_, err := n.hook.do(ctx, http.MethodPatch, target, discordEditMessage{Content: parts[0].Content, Embeds: parts[0].Embeds, AllowedMentions: ams[0]})
	var se *SendError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		se.Permanent, se.Err = true, fmt.Errorf("discord webhook: %w", ErrMessageGone)
	}
	return err
}

// messageURL is the URL of a webhook's message id: the webhook URL with
// /messages/{id} added to its path ("" if it does not parse; the request
// then fails without naming it).
func messageURL(raw, id string) string {
	u, err := url.Parse(raw)
	if err != nil || !discordMessageID.MatchString(id) {
		return ""
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/messages/" + id
	u.RawPath = ""
	return u.String()
}

// discordMessageID is the form of a message id (a snowflake).
var discordMessageID = regexp.MustCompile(`^[0-9]{1,25}$`)

// describeDiscord reads Discord's error JSON: {"message", "code"} and, on
// 429, {"retry_after": seconds, "global": bool}.
func describeDiscord(body []byte) (string, time.Duration) {
	var js struct {
		Message    string   `json:"message"`
		Code       int      `json:"code"`
		RetryAfter *float64 `json:"retry_after"`
		Global     bool     `json:"global"`
	}
	if json.Unmarshal(body, &js) != nil {
		return "", 0
	}
	var retry time.Duration
	if js.RetryAfter != nil {
		retry, _ = secondsDuration(*js.RetryAfter)
	}
	text := snippet(js.Message)
	if js.Code != 0 {
		text += fmt.Sprintf(" (code %d)", js.Code)
	}
	if js.Global {
		text += " (global rate limit)"
	}
	return strings.TrimSpace(text), retry
}
