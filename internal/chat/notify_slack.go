package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/internal/news"
)

// SlackAPI posts messages to a Slack channel with chat.postMessage.
type SlackAPI struct {
	client  *slack.Client
	channel string
	r       Renderer
}

// NewSlackAPI returns a Notifier posting to channelID through client. The
// client should not retry on its own (no slack.OptionRetry): retries belong to
// the outbox, which keeps order and survives restarts.
func NewSlackAPI(client *slack.Client, channelID string, r Renderer) *SlackAPI {
	return &SlackAPI{client: client, channel: channelID, r: r}
}

// Send posts m (each part, if it must be split) with its text fallback and
// blocks. link_names is never sent, so nothing in the text can become a
// mention; link previews are off for digests and lists.
func (n *SlackAPI) Send(ctx context.Context, m news.OutboxMessage) error {
	_, err := n.Post(ctx, m)
	return err
}

// payloads renders m with its buttons, if any.
func (n *SlackAPI) payloads(m news.OutboxMessage) []SlackPayload {
	return withSlackActions(n.r.Slack(m.Message), n.r.actionsOf(m))
}

// slackMsgOptions are the chat.postMessage / chat.update options of p.
func slackMsgOptions(p SlackPayload) []slack.MsgOption {
	opts := []slack.MsgOption{
		slack.MsgOptionText(p.Text, false),
		slack.MsgOptionBlocks(p.Blocks...),
	}
	if p.NoUnfurl {
		opts = append(opts, slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
	}
	return opts
}

// Post is Send returning the ts of the (first) message posted, which
// chat.update needs to edit it.
func (n *SlackAPI) Post(ctx context.Context, m news.OutboxMessage) (string, error) {
	ref := ""
	for _, p := range n.payloads(m) {
		_, ts, err := n.client.PostMessageContext(ctx, n.channel, slackMsgOptions(p)...)
		if err != nil {
			se := classifySlack(err)
			se.Err = fmt.Errorf("slack chat.postMessage to %s: %w", n.channel, se.Err)
			return "", se
		}
		if ref == "" {
			ref = ts
		}
	}
	return ref, nil
}

// Edit replaces the message ts with m through chat.update. A message
// deleted meanwhile ("message_not_found") wraps ErrMessageGone.
func (n *SlackAPI) Edit(ctx context.Context, ts string, m news.OutboxMessage) error {
	ps := n.payloads(m)
	if len(ps) == 0 {
		return nil
	}
	if _, _, _, err := n.client.UpdateMessageContext(ctx, n.channel, ts, slackMsgOptions(ps[0])...); err != nil {
		se := classifySlack(err)
		var resp slack.SlackErrorResponse
		if errors.As(err, &resp) && resp.Err == "message_not_found" {
			se.Permanent, se.Err = true, ErrMessageGone
		}
		se.Err = fmt.Errorf("slack chat.update in %s: %w", n.channel, se.Err)
		return se
	}
	return nil
}

// slackTransient are the chat.postMessage error codes worth a retry; the
// others (invalid_auth, not_authed, account_inactive, token_revoked,
// channel_not_found, not_in_channel, is_archived, missing_scope,
// invalid_blocks, msg_too_long, …) are permanent.
// Unknown codes are treated as permanent too: the dispatcher parks such a
// message as failed, where retrying forever would stall the channel's queue.
var slackTransient = map[string]bool{
	"ratelimited":            true,
	"rate_limited":           true,
	"message_limit_exceeded": true,
	"internal_error":         true,
	"fatal_error":            true,
	"request_timeout":        true,
	"service_unavailable":    true,
	"team_added_to_org":      true,
}

// classifySlack maps a slack-go error to a SendError.
func classifySlack(err error) *SendError {
	var (
		rl   *slack.RateLimitedError
		resp slack.SlackErrorResponse
		sc   slack.StatusCodeError
	)
	switch {
	case errors.As(err, &rl):
		return &SendError{RetryAfter: rl.RetryAfter, Status: http.StatusTooManyRequests,
			Err: fmt.Errorf("rate limited, retry after %s", rl.RetryAfter)}
	case errors.As(err, &resp):
		code := safeCode(resp.Err)
		return &SendError{Permanent: !slackTransient[code], Err: errors.New(code)}
	case errors.As(err, &sc):
		return statusError(sc.Code, 0, fmt.Errorf("HTTP %d", sc.Code))
	}
	// Transport failures, unreadable responses, cancellation: worth a retry.
	return &SendError{Err: scrub(err)}
}

// SlackWebhook posts messages to a Slack incoming webhook.
type SlackWebhook struct {
	hook webhook
	r    Renderer
}

// NewSlackWebhook returns a Notifier posting to the incoming webhook url. The
// URL is a secret: errors call it "slack webhook" and never show it.
func NewSlackWebhook(hc *http.Client, url string, r Renderer) *SlackWebhook {
	return &SlackWebhook{hook: newWebhook(hc, "slack webhook", url, r.now, describeSlackWebhook), r: r}
}

// slackWebhookBody is what an incoming webhook accepts.
type slackWebhookBody struct {
	Text        string        `json:"text"`
	Blocks      []slack.Block `json:"blocks"`
	UnfurlLinks *bool         `json:"unfurl_links,omitempty"`
	UnfurlMedia *bool         `json:"unfurl_media,omitempty"`
}

// Send posts m (each part, if it must be split).
func (n *SlackWebhook) Send(ctx context.Context, m news.OutboxMessage) error {
	for _, p := range withSlackActions(n.r.Slack(m.Message), n.r.actionsOf(m)) {
		body := slackWebhookBody{Text: p.Text, Blocks: p.Blocks}
		if p.NoUnfurl {
			off := false
			body.UnfurlLinks, body.UnfurlMedia = &off, &off
		}
		if err := n.hook.post(ctx, n.hook.url, body); err != nil {
			return err
		}
	}
	return nil
}

// describeSlackWebhook reads a webhook failure: Slack answers with a bare
// error code ("invalid_payload", "channel_not_found", "no_text").
func describeSlackWebhook(body []byte) (string, time.Duration) {
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "", 0
	}
	var js struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &js) == nil && js.Error != "" {
		s = js.Error
	}
	return safeCode(s), 0
}
