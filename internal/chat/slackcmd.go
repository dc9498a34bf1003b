package chat

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
)

// SlackCommandsOptions configure SlackCommands.
type SlackCommandsOptions struct {
	Commands      *Commands
	Renderer      Renderer
	SigningSecret string // verifies POST /slack/commands; not needed for Socket Mode
	// HTTPClient posts late replies to response_url; nil = a client with a
	// timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock of the replay window; nil = time.Now. slack-go's
	// verifier also checks the window against the system clock.
	Now func() time.Time
}

// SlackCommands answers Slack slash commands, over HTTP (it is the handler
// of POST /slack/commands) and over Socket Mode (RunSocketMode).
type SlackCommands struct {
	cmds    *Commands
	r       Renderer
	secret  string
	hc      *http.Client
	log     *slog.Logger
	now     func() time.Time
	replays replayGuard
}

// NewSlackCommands returns a Slack front end of the router.
func NewSlackCommands(o SlackCommandsOptions) *SlackCommands {
	s := &SlackCommands{cmds: o.Commands, r: o.Renderer, secret: o.SigningSecret, hc: httpClient(o.HTTPClient), log: o.Logger, now: o.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// ServeHTTP answers one slash command. The body is capped, the signature
// and its timestamp verified and the request checked against replays
// before anything else: a request failing any of it gets 401 (413 when
// oversized) and nothing is done. The answer is the reply itself when it is
// ready within the ack budget, else an empty 200 with the reply posted to
// response_url when ready.
func (s *SlackCommands) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, SlackMaxBody)
	if err == nil {
		err = verifySlack(r.Header, body, s.secret, s.now())
	}
	if err == nil && !s.replays.first("slack:"+r.Header.Get("X-Slack-Signature"), s.now()) {
		err = errReplayed
	}
	if err != nil {
		s.log.Warn("slack command rejected", "reason", err.Error(), "remote", r.RemoteAddr)
		http.Error(w, http.StatusText(statusOf(err)), statusOf(err))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	if form.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK) // Slack checking the certificate: nothing to do
		return
	}
	resp := s.handle(slashCommandOf(form))
	if resp == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, resp)
}

// slashCommandOf reads a slash command form into slack-go's type, the one
// Socket Mode delivers too.
func slashCommandOf(f url.Values) slack.SlashCommand {
	return slack.SlashCommand{
		Token:       f.Get("token"),
		TeamID:      f.Get("team_id"),
		TeamDomain:  f.Get("team_domain"),
		ChannelID:   f.Get("channel_id"),
		ChannelName: f.Get("channel_name"),
		UserID:      f.Get("user_id"),
		UserName:    f.Get("user_name"),
		Command:     f.Get("command"),
		Text:        f.Get("text"),
		ResponseURL: f.Get("response_url"),
		TriggerID:   f.Get("trigger_id"),
		APIAppID:    f.Get("api_app_id"),
	}
}

// handle runs a slash command and returns what to answer Slack with at once:
// a one-part reply, or nil for an empty acknowledgement, in which case the
// reply goes to response_url (when late, or when it has several parts, which
// must arrive in order).
func (s *SlackCommands) handle(cmd slack.SlashCommand) *slackResponse {
	inv := invocation{Platform: PlatformSlack, UserID: cmd.UserID, UserName: cmd.UserName, ChannelID: cmd.ChannelID}
	inv.Command, inv.ParseErr = ParseSlackText(cmd.Text)
	reply, ready := s.cmds.answer(inv, func(ctx context.Context, r Reply, _ bool) {
		s.postAll(ctx, cmd.ResponseURL, s.r.slackReply(r))
	})
	if !ready {
		return nil
	}
	parts := s.r.slackReply(reply)
	if len(parts) == 1 || !s.later(cmd.ResponseURL, parts) {
		return &parts[0]
	}
	return nil
}

// later posts parts to responseURL from a goroutine the router owns; false
// when it is shutting down (the caller answers with the first part then).
func (s *SlackCommands) later(responseURL string, parts []slackResponse) bool {
	return s.cmds.spawn(func() {
		ctx, cancel := context.WithTimeout(s.cmds.base, deliverTimeout)
		defer cancel()
		s.postAll(ctx, responseURL, parts)
	})
}

// postAll posts parts to a response_url in order, stopping at the first
// failure (later parts would read out of context). The URL is Slack's and
// arrives in a verified request (or over the authenticated Socket Mode
// connection); like a webhook URL it is a secret and never logged.
func (s *SlackCommands) postAll(ctx context.Context, responseURL string, parts []slackResponse) {
	if responseURL == "" {
		s.log.Warn("slack command reply dropped: no response_url")
		return
	}
	hook := newWebhook(s.hc, "slack response_url", responseURL, s.now, describeSlackWebhook)
	for i, p := range parts {
		if err := hook.post(ctx, responseURL, p); err != nil {
			s.log.Warn("slack command reply failed", "part", i+1, "parts", len(parts), "err", err)
			return
		}
	}
}

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(data)
}
