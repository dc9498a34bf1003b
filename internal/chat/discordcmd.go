package chat

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Discord error codes that mean "the interaction's response is not there
// (yet)": a follow-up or an edit raced ahead of our own HTTP answer.
const (
	discordUnknownWebhook     = 10015
	discordUnknownInteraction = 10062
)

// discordRaceRetries is how often an edit or follow-up that found no
// original response is tried again, and discordRaceWait the first wait.
const (
	discordRaceRetries = 3
	discordRaceWait    = 500 * time.Millisecond
)

// DiscordCommandsOptions configure DiscordCommands.
type DiscordCommandsOptions struct {
	Commands  *Commands
	Renderer  Renderer
	PublicKey ed25519.PublicKey // see ParseDiscordPublicKey
	// Session sends edits and follow-ups of interaction responses (see
	// NewDiscordInteractionSession); its API URL is the configured one.
	Session *discordgo.Session
	// ApplicationID is used when an interaction does not carry its own.
	ApplicationID string
	Logger        *slog.Logger
	Now           func() time.Time // clock of the timestamp window; nil = time.Now
}

// DiscordCommands answers Discord interactions: it is the handler of POST
// /discord/interactions.
type DiscordCommands struct {
	cmds    *Commands
	r       Renderer
	key     ed25519.PublicKey
	s       *discordgo.Session
	appID   string
	log     *slog.Logger
	now     func() time.Time
	replays replayGuard
}

// NewDiscordCommands returns a Discord front end of the router.
func NewDiscordCommands(o DiscordCommandsOptions) *DiscordCommands {
	d := &DiscordCommands{cmds: o.Commands, r: o.Renderer, key: o.PublicKey, s: o.Session, appID: o.ApplicationID, log: o.Logger, now: o.Now}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d
}

// NewDiscordInteractionSession returns a session for the webhooks of
// interaction responses (edits and follow-ups), through apiURL like every
// other Discord call. Those endpoints are authorized by the interaction's
// token in their path, so the session carries no bot token: the
// interactions endpoint works even for an application without a bot.
func NewDiscordInteractionSession(apiURL string, hc *http.Client) (*discordgo.Session, error) {
	// NewDiscordSession insists on a token; the placeholder is dropped
	// before any request, and discordgo sends no Authorization header
	// without one.
	s, err := NewDiscordSession("interactions", apiURL, hc)
	if err != nil {
		return nil, err
	}
	s.Token = ""
	s.Identify.Token = ""
	return s, nil
}

// discordResponse is an interaction response: Data is a
// *discordReplyData, or a discordDeferred for type 5.
type discordResponse struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data any                               `json:"data,omitempty"`
}

// discordDeferred is the data of a deferred response: only whether the
// reply to come is ephemeral, which cannot be changed later.
type discordDeferred struct {
	Flags discordgo.MessageFlags `json:"flags,omitempty"`
}

// ServeHTTP answers one interaction. The body is capped, the signature,
// its timestamp window and replays checked before anything else: a request
// failing any of it gets 401 (413 when oversized) and nothing is done. PING
// is answered with PONG. A command is answered with its reply (type 4) when
// ready within the ack budget, else deferred (type 5) and the original
// response edited when the reply is ready.
func (d *DiscordCommands) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, DiscordMaxBody)
	if err == nil {
		err = verifyDiscord(r, body, d.key, d.now())
	}
	if err == nil && !d.replays.first("discord:"+r.Header.Get("X-Signature-Ed25519"), d.now()) {
		err = errReplayed
	}
	if err != nil {
		d.log.Warn("discord interaction rejected", "reason", err.Error(), "remote", r.RemoteAddr)
		http.Error(w, http.StatusText(statusOf(err)), statusOf(err))
		return
	}
	var in discordgo.Interaction
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	switch in.Type {
	case discordgo.InteractionPing:
		writeJSON(w, discordResponse{Type: discordgo.InteractionResponsePong})
	case discordgo.InteractionApplicationCommand:
		writeJSON(w, d.handle(&in))
	default:
		// feedwatch registers no components, modals or autocompletion.
		http.Error(w, "unsupported interaction type", http.StatusBadRequest)
	}
}

// handle runs an application command and returns the interaction response.
func (d *DiscordCommands) handle(in *discordgo.Interaction) discordResponse {
	if in.AppID == "" {
		in.AppID = d.appID
	}
	inv := invocation{Platform: PlatformDiscord, ChannelID: in.ChannelID}
	switch {
	case in.Member != nil && in.Member.User != nil:
		inv.UserID, inv.UserName, inv.Roles = in.Member.User.ID, in.Member.User.Username, in.Member.Roles
	case in.User != nil:
		inv.UserID, inv.UserName = in.User.ID, in.User.Username
	}
	inv.Command, inv.ParseErr = ParseDiscordData(in.ApplicationCommandData())
	reply, ready := d.cmds.answer(inv, func(ctx context.Context, r Reply, deferredPublic bool) {
		d.deliverLate(ctx, in, r, deferredPublic)
	})
	if !ready {
		var flags discordgo.MessageFlags
		if !reply.Public {
			flags = discordgo.MessageFlagsEphemeral
		}
		return discordResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: discordDeferred{Flags: flags}}
	}
	parts := d.r.discordReply(reply)
	if len(parts) > 1 && !d.cmds.spawn(func() {
		ctx, cancel := context.WithTimeout(d.cmds.base, deliverTimeout)
		defer cancel()
		d.followUps(ctx, in, parts[1:])
	}) {
		parts = parts[:1] // shutting down: the first part at least
	}
	return discordResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: &parts[0]}
}

// deliverLate edits the deferred response into the reply and sends its
// other parts as follow-ups. A deferred response's visibility cannot change:
// when a change was announced to the channel but ended in a private reply
// (it failed), the channel is told it did not go through, and the asker
// gets the reply privately.
func (d *DiscordCommands) deliverLate(ctx context.Context, in *discordgo.Interaction, r Reply, deferredPublic bool) {
	if deferredPublic && !r.Public {
		n := notice("Not done", "That did not go through; the details were sent to the person who asked.")
		n.Public = true
		if err := d.editOriginal(ctx, in, d.r.discordReply(n)[0]); err != nil {
			d.log.Warn("discord command reply failed", "err", err)
			return
		}
		d.followUps(ctx, in, d.r.discordReply(r))
		return
	}
	r.Public = deferredPublic
	parts := d.r.discordReply(r)
	if err := d.editOriginal(ctx, in, parts[0]); err != nil {
		d.log.Warn("discord command reply failed", "err", err)
		return
	}
	d.followUps(ctx, in, parts[1:])
}

// editOriginal replaces the (deferred) original response with p. Flags
// cannot be edited and are not sent.
func (d *DiscordCommands) editOriginal(ctx context.Context, in *discordgo.Interaction, p discordReplyData) error {
	p.Flags = 0
	endpoint := discordgo.EndpointWebhookMessage(in.AppID, in.Token, "@original")
	return d.webhookCall(ctx, in, http.MethodPatch, endpoint, p)
}

// followUps sends parts as follow-up messages, in order, stopping at the
// first failure.
func (d *DiscordCommands) followUps(ctx context.Context, in *discordgo.Interaction, parts []discordReplyData) {
	endpoint := discordgo.EndpointWebhookToken(in.AppID, in.Token) + "?wait=true"
	for i, p := range parts {
		if err := d.webhookCall(ctx, in, http.MethodPost, endpoint, p); err != nil {
			d.log.Warn("discord command follow-up failed", "part", i+1, "parts", len(parts), "err", err)
			return
		}
	}
}

// webhookCall sends one request to an interaction webhook through the
// session (its rate limiter and API URL). A 404 "unknown interaction" or
// "unknown webhook" means our own answer has not reached Discord yet, so it
// is tried again shortly. Errors never show the interaction token.
func (d *DiscordCommands) webhookCall(ctx context.Context, in *discordgo.Interaction, method, endpoint string, body any) error {
	if d.s == nil {
		return errors.New("discord interaction webhook: no session configured")
	}
	wait := discordRaceWait
	for attempt := 0; ; attempt++ {
		_, err := d.s.RequestWithBucketID(method, endpoint, body, discordgo.EndpointWebhookToken("", ""),
			discordgo.WithContext(ctx),
			discordgo.WithRetryOnRatelimit(true),
			discordgo.WithRestRetries(0))
		if err == nil {
			return nil
		}
		var rest *discordgo.RESTError
		raced := errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusNotFound &&
			rest.Message != nil && (rest.Message.Code == discordUnknownWebhook || rest.Message.Code == discordUnknownInteraction)
		if !raced || attempt >= discordRaceRetries {
			se := classifyDiscord(err, in.Token)
			return fmt.Errorf("discord interaction webhook %s: %w", method, se)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("discord interaction webhook %s: %w", method, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}

// ParseDiscordData reads an application command's options into a Command:
// the first option is the subcommand, or a group holding the subcommand,
// and its options are the arguments.
func ParseDiscordData(data discordgo.ApplicationCommandInteractionData) (Command, error) {
	if data.Name != DiscordCommandName {
		return Command{}, usageErr(nil, "Unknown command %q.", clipRunes(data.Name, 40))
	}
	if len(data.Options) == 0 || data.Options[0] == nil {
		return Command{Path: CmdHelp, Args: map[string]string{}}, nil
	}
	opt := data.Options[0]
	path, opts := opt.Name, opt.Options
	if opt.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
		if len(opt.Options) == 0 || opt.Options[0] == nil {
			return Command{}, usageErr(nil, "`%s` needs add or remove.", clipRunes(opt.Name, 40))
		}
		path, opts = opt.Name+" "+opt.Options[0].Name, opt.Options[0].Options
	}
	spec, ok := specOf(path)
	if !ok {
		return Command{}, usageErr(nil, "Unknown command %q.", clipRunes(path, 40))
	}
	args := map[string]string{}
	for _, o := range opts {
		if o == nil {
			continue
		}
		known := false
		for _, a := range spec.args {
			known = known || a.name == o.Name
		}
		if !known {
			return Command{}, usageErr(spec, "Unknown option %q.", clipRunes(o.Name, 40))
		}
		if v := strings.TrimSpace(optionString(o.Value)); v != "" {
			args[o.Name] = v
		}
	}
	for _, a := range spec.args {
		if _, ok := args[a.name]; !ok && !a.optional {
			return Command{}, usageErr(spec, "Missing %s.", a.name)
		}
	}
	return Command{Path: spec.path, Args: args}, nil
}

// optionString is an option value as text (feedwatch registers only string
// options, but a number or boolean is read sensibly too).
func optionString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// discordDescriptionMax is the longest description Discord accepts for a
// command or an option.
const discordDescriptionMax = 100

// DiscordApplicationCommands returns the `feedwatch` command as registered
// on Discord: every subcommand of the table as a SUB_COMMAND, the `deadline`
// and `feed` groups as SUB_COMMAND_GROUPs of add and remove, each argument a
// string option, required ones first.
func DiscordApplicationCommands() []*discordgo.ApplicationCommand {
	root := &discordgo.ApplicationCommand{
		Type:        discordgo.ChatApplicationCommand,
		Name:        DiscordCommandName,
		Description: "News monitoring: search stored items, watch topics, track deadlines",
	}
	groups := map[string]*discordgo.ApplicationCommandOption{}
	for i := range commandSpecs {
		s := &commandSpecs[i]
		sub := &discordgo.ApplicationCommandOption{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        s.path,
			Description: clipRunes(s.summary, discordDescriptionMax-1),
		}
		for _, a := range s.args {
			sub.Options = append(sub.Options, &discordgo.ApplicationCommandOption{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        a.name,
				Description: clipRunes(a.desc, discordDescriptionMax-1),
				Required:    !a.optional,
			})
		}
		g := groupOf(s.path)
		if g == "" {
			root.Options = append(root.Options, sub)
			continue
		}
		sub.Name = strings.TrimPrefix(s.path, g+" ")
		grp, ok := groups[g]
		if !ok {
			grp = &discordgo.ApplicationCommandOption{
				Type:        discordgo.ApplicationCommandOptionSubCommandGroup,
				Name:        g,
				Description: "Add or remove a " + g + " (admins)",
			}
			groups[g] = grp
			root.Options = append(root.Options, grp)
		}
		grp.Options = append(grp.Options, sub)
	}
	return []*discordgo.ApplicationCommand{root}
}

// RegisterDiscordCommands overwrites the application's global commands
// with DiscordApplicationCommands, so that setting feedwatch up needs no
// manual step. s must carry the bot token (see NewDiscordSession). The
// error never shows the token.
func RegisterDiscordCommands(ctx context.Context, s *discordgo.Session, applicationID string) error {
	if applicationID == "" {
		return errors.New("register discord commands: no application id")
	}
	_, err := s.ApplicationCommandBulkOverwrite(applicationID, "", DiscordApplicationCommands(), discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("register discord commands: %w", classifyDiscord(err, s.Token))
	}
	return nil
}
