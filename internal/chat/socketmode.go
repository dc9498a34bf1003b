package chat

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// socketRetry bounds the wait between Socket Mode sessions that ended in an
// error slack-go does not retry itself.
const (
	socketRetryMin = 5 * time.Second
	socketRetryMax = 5 * time.Minute
)

// fatalSocketErrors are the Socket Mode failures no retry can fix: the app
// token is wrong or revoked.
var fatalSocketErrors = []string{"invalid_auth", "not_authed", "token_revoked", "account_inactive", "not_allowed_token_type"}

// RunSocketMode answers slash commands over Slack's Socket Mode until ctx is
// done: no public URL is needed. api must carry the app-level token
// (slack.OptionAppLevelToken) and may point at another API URL. slack-go
// reconnects on its own when Slack asks it to or the connection drops;
// other failures are retried here with backoff, except a rejected token,
// which is returned.
func (s *SlackCommands) RunSocketMode(ctx context.Context, api *slack.Client) error {
	wait := socketRetryMin
	for {
		err := s.socketSession(ctx, api)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && isFatalSocketError(err) {
			return fmt.Errorf("slack socket mode: %w", transportError(err))
		}
		s.log.Warn("slack socket mode disconnected; reconnecting", "in", wait, "err", transportError(err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, socketRetryMax)
	}
}

func isFatalSocketError(err error) bool {
	for _, code := range fatalSocketErrors {
		if strings.Contains(err.Error(), code) {
			return true
		}
	}
	return false
}

// socketSession runs one slack-go Socket Mode client until it stops or ctx
// is done, answering its events; it returns when every command it started
// has been acknowledged.
func (s *SlackCommands) socketSession(ctx context.Context, api *slack.Client) error {
	var handlers sync.WaitGroup
	defer handlers.Wait()
	// Cancelled before the wait above: once the client stopped, no
	// acknowledgement can go out and none must block.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := socketmode.New(api, socketmode.OptionLog(slogWriter{s.log}))
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()
	for {
		select {
		case err := <-runErr:
			return err
		case evt := <-client.Events:
			s.onSocketEvent(ctx, client, evt, &handlers)
		}
	}
}

// onSocketEvent handles one Socket Mode event. Each slash command is
// answered in its own goroutine: one slow command must not hold up the
// acknowledgement of the next.
func (s *SlackCommands) onSocketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event, handlers *sync.WaitGroup) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		s.log.Info("slack socket mode connected")
	case socketmode.EventTypeConnectionError:
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			s.log.Warn("slack socket mode connection failed", "attempt", ce.Attempt, "retry_in", ce.Backoff, "err", transportError(ce.ErrorObj))
		}
	case socketmode.EventTypeInvalidAuth:
		s.log.Error("slack socket mode: the app token was refused")
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		req := *evt.Request
		handlers.Go(func() { s.answerSocket(ctx, client, req, cmd) })
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive:
		// Not used by feedwatch, but unacknowledged envelopes are resent.
		if evt.Request != nil {
			if err := client.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
				s.log.Debug("slack socket mode ack", "err", err)
			}
		}
	}
}

// answerSocket acknowledges a slash command envelope with the reply, or
// with nothing when the reply comes later (or is too big for an
// acknowledgement, which Slack caps at 20 KB) and goes to response_url.
func (s *SlackCommands) answerSocket(ctx context.Context, client *socketmode.Client, req socketmode.Request, cmd slack.SlashCommand) {
	resp := s.handle(cmd)
	if resp == nil {
		if err := client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
			s.log.Warn("slack socket mode ack failed", "err", err)
		}
		return
	}
	if err := client.AckCtx(ctx, req.EnvelopeID, resp); err == nil {
		return
	}
	// Too big for an acknowledgement, or the connection went away: the
	// reply goes to response_url, which works whatever the socket does.
	if ctx.Err() == nil {
		if err := client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
			s.log.Warn("slack socket mode ack failed", "err", err)
		}
	}
	if !s.later(cmd.ResponseURL, []slackResponse{*resp}) {
		s.log.Warn("slack command reply dropped: shutting down")
	}
}

// slogWriter lets slack-go's socketmode log through slog (it logs only in
// debug mode, which feedwatch leaves off, but would otherwise print to
// stderr on its own).
type slogWriter struct{ log *slog.Logger }

// Output logs one line at debug level.
func (w slogWriter) Output(_ int, s string) error {
	w.log.Debug("slack socket mode", "msg", strings.TrimSpace(s))
	return nil
}
