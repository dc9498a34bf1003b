package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Defaults of CommandsOptions.
const (
	// DefaultAckAfter is how long a command may take before the platform is
	// answered "working on it" and the reply follows later. Both Slack and
	// Discord want an answer within 3 seconds of sending; the rest of the
	// budget is for the network.
	DefaultAckAfter = 2500 * time.Millisecond
	// DefaultCommandTimeout bounds the work of one command (a feed added
	// from chat is fetched within it). Discord's interaction token lasts 15
	// minutes and Slack's response_url 30, so a reply this late still lands.
	DefaultCommandTimeout = 2 * time.Minute
	// deliverTimeout bounds the sending of a late reply.
	deliverTimeout = 30 * time.Second
)

// Admins are the platform identities allowed to run commands that change
// things.
type Admins struct {
	Slack   []string // Slack user ids
	Discord []string // Discord user or role ids
}

// ChannelRef names the config channel behind a platform channel id.
type ChannelRef struct {
	Name     string   // config channel name
	Platform Platform // PlatformSlack or PlatformDiscord
	ID       string   // the platform's channel id
}

// CommandsOptions configure Commands.
type CommandsOptions struct {
	Backend  Backend
	Admins   Admins
	Channels []ChannelRef
	// SlackCommand is the slash command as configured ("/feedwatch"), used
	// in help and usage text for Slack.
	SlackCommand string
	AckAfter     time.Duration // 0 = DefaultAckAfter
	Timeout      time.Duration // 0 = DefaultCommandTimeout
	Logger       *slog.Logger
}

// Commands is the command router shared by Slack (HTTP and Socket Mode) and
// Discord: it turns a parsed command into a reply, answering usage, help and
// refusals itself and handing the rest to the Backend, within the
// platforms' 3-second budget or later. It owns the goroutines that finish
// slow commands; Shutdown waits for them.
type Commands struct {
	backend      Backend
	admins       Admins
	channels     map[Platform]map[string]string
	slackCommand string
	ackAfter     time.Duration
	timeout      time.Duration
	log          *slog.Logger

	base   context.Context // parent of every command's context; cancelled by Shutdown
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// NewCommands returns a router.
func NewCommands(o CommandsOptions) *Commands {
	c := &Commands{
		backend:      o.Backend,
		admins:       o.Admins,
		channels:     map[Platform]map[string]string{},
		slackCommand: o.SlackCommand,
		ackAfter:     o.AckAfter,
		timeout:      o.Timeout,
		log:          o.Logger,
	}
	if c.slackCommand == "" {
		c.slackCommand = "/" + DiscordCommandName
	}
	if c.ackAfter <= 0 {
		c.ackAfter = DefaultAckAfter
	}
	if c.timeout <= 0 {
		c.timeout = DefaultCommandTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	for _, ch := range o.Channels {
		m := c.channels[ch.Platform]
		if m == nil {
			m = map[string]string{}
			c.channels[ch.Platform] = m
		}
		if _, dup := m[ch.ID]; !dup { // the first channel naming an id wins
			m[ch.ID] = ch.Name
		}
	}
	c.base, c.cancel = context.WithCancel(context.Background())
	return c
}

// invocation is what a platform front end hands the router: who asked,
// where, and the command as parsed (or why it did not parse).
type invocation struct {
	Platform  Platform
	UserID    string
	UserName  string
	Roles     []string // Discord member roles
	ChannelID string
	Command   Command
	ParseErr  error // a *UsageError, or nil
}

// lateFunc delivers a reply that was not ready within the ack budget.
// deferredPublic is how the platform was told the reply would show when it
// was acknowledged (see answer).
type lateFunc func(ctx context.Context, r Reply, deferredPublic bool)

// answer runs inv. When its reply is ready within the ack budget it is
// returned with ready set. Otherwise ready is false, the returned Reply's
// Public says how the reply is planned to show (Discord must decide when it
// defers), and late is called with the reply once it is ready, from a
// goroutine the router owns.
func (c *Commands) answer(inv invocation, late lateFunc) (reply Reply, ready bool) {
	req, spec, immediate, done := c.prepare(inv)
	if done {
		return immediate, true
	}
	h := &handoff{ready: make(chan struct{})}
	started := c.spawn(func() {
		ctx, cancel := context.WithTimeout(c.base, c.timeout)
		r := c.run(ctx, req)
		cancel()
		if h.settle(r) {
			return
		}
		// The platform was already answered: deliver on our own.
		dctx, dcancel := context.WithTimeout(c.base, deliverTimeout)
		defer dcancel()
		late(dctx, r, spec.admin)
	})
	if !started {
		return notice("feedwatch is restarting", "feedwatch is shutting down; try again in a minute."), true
	}
	timer := time.NewTimer(c.ackAfter)
	defer timer.Stop()
	select {
	case <-h.ready:
		return h.reply, true
	case <-timer.C:
	}
	if r, ok := h.abandon(); ok {
		return r, true // it finished just as the timer fired
	}
	c.log.Info("command slow, answering later", "platform", string(inv.Platform), "command", spec.path)
	return Reply{Public: spec.admin}, false
}

// handoff passes a command's reply from the goroutine that computes it to
// the one that answers the platform, or, once that one gave up waiting, tells
// the computing goroutine to deliver it itself. Exactly one of them sends it.
type handoff struct {
	mu        sync.Mutex
	ready     chan struct{}
	reply     Reply
	abandoned bool
}

// settle hands r over; false means nobody waits any more.
func (h *handoff) settle(r Reply) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.abandoned {
		return false
	}
	h.reply = r
	close(h.ready)
	return true
}

// abandon stops waiting; it returns the reply if it was settled meanwhile.
func (h *handoff) abandon() (Reply, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.ready:
		return h.reply, true
	default:
		h.abandoned = true
		return Reply{}, false
	}
}

// spawn runs f in a goroutine the router owns, unless it is shutting down.
func (c *Commands) spawn(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Go(f)
	return true
}

// Shutdown stops taking new commands and waits for those in flight (their
// late replies included) until ctx is done, then cancels them and waits for
// them to return.
func (c *Commands) Shutdown(ctx context.Context) {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		c.log.Warn("chat commands still running at shutdown; cancelling them")
	}
	c.cancel()
	<-done
}

// prepare turns an invocation into a request for the backend, or answers
// it at once: usage for what did not parse, help, and refusals.
func (c *Commands) prepare(inv invocation) (req Request, spec *commandSpec, reply Reply, done bool) {
	if inv.ParseErr != nil {
		var ue *UsageError
		if !errors.As(inv.ParseErr, &ue) {
			ue = &UsageError{Msg: inv.ParseErr.Error()}
		}
		return req, nil, c.usage(inv.Platform, ue), true
	}
	spec, ok := specOf(inv.Command.Path)
	if !ok {
		return req, nil, c.usage(inv.Platform, usageErr(nil, "Unknown command %q.", clipRunes(inv.Command.Path, 40))), true
	}
	if spec.path == CmdHelp {
		return req, spec, c.help(inv.Platform), true
	}
	if spec.admin && !c.isAdmin(inv) {
		c.log.Info("command refused: not an admin", "platform", string(inv.Platform), "user", inv.UserID, "command", spec.path)
		return req, spec, notice("Only admins can do that",
			fmt.Sprintf("Sorry, only feedwatch admins can use %s %s. Admins are listed under admins: in feedwatch's config file; ask one of them.",
				c.prefix(inv.Platform), spec.path)), true
	}
	req = Request{
		Platform:  inv.Platform,
		UserID:    inv.UserID,
		UserName:  inv.UserName,
		ChannelID: inv.ChannelID,
		Channel:   c.channels[inv.Platform][inv.ChannelID],
		Command:   inv.Command,
	}
	return req, spec, Reply{}, false
}

// isAdmin reports whether the asker is listed in admins: by Slack user id,
// or by Discord user id or one of the member's role ids.
func (c *Commands) isAdmin(inv invocation) bool {
	if inv.UserID == "" {
		return false
	}
	switch inv.Platform {
	case PlatformSlack:
		return slices.Contains(c.admins.Slack, inv.UserID)
	case PlatformDiscord:
		if slices.Contains(c.admins.Discord, inv.UserID) {
			return true
		}
		for _, r := range inv.Roles {
			if r != "" && slices.Contains(c.admins.Discord, r) {
				return true
			}
		}
	}
	return false
}

// run calls the backend, turning an error or a panic into an apology: a
// chat command must never take the process down or go unanswered.
func (c *Commands) run(ctx context.Context, req Request) (reply Reply) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("chat command panicked", "platform", string(req.Platform), "command", req.Command.Path, "panic", fmt.Sprint(p))
			reply = c.apology(req)
		}
	}()
	r, err := c.backend.Run(ctx, req)
	if err != nil {
		c.log.Error("chat command failed", "platform", string(req.Platform), "command", req.Command.Path,
			"user", req.UserID, "err", err)
		return c.apology(req)
	}
	c.log.Debug("chat command", "platform", string(req.Platform), "command", req.Command.Path,
		"user", req.UserID, "took", time.Since(start))
	return r
}

func (c *Commands) apology(req Request) Reply {
	return notice("Something went wrong",
		fmt.Sprintf("feedwatch could not run %s %s; the error was logged. Please try again later.", c.prefix(req.Platform), req.Command.Path))
}

// prefix is how the command is typed on a platform.
func (c *Commands) prefix(p Platform) string {
	if p == PlatformDiscord {
		return "/" + DiscordCommandName
	}
	return c.slackCommand
}

// notice is a private reply of a title and a text.
func notice(title, text string) Reply {
	return Reply{Message: news.Message{Kind: news.KindReply, Title: title, Intro: text}}
}

// usage answers a command that did not parse: what was wrong, and how the
// subcommand (or, when even that is unknown, every subcommand) is used.
func (c *Commands) usage(p Platform, ue *UsageError) Reply {
	prefix := c.prefix(p)
	if ue.spec == nil {
		r := c.help(p)
		r.Message.Title = "Usage"
		r.Message.Intro = ue.Msg + "\n" + r.Message.Intro
		return r
	}
	lines := []string{ue.Msg, "Usage: " + ue.spec.usage(prefix) + " — " + ue.spec.summary + "."}
	if ue.spec.hint != "" {
		lines = append(lines, ue.spec.hint)
	}
	lines = append(lines, prefix+" help lists every command.")
	return notice("Usage", strings.Join(lines, "\n"))
}

// help lists every subcommand, lookups first, then the admin ones.
func (c *Commands) help(p Platform) Reply {
	prefix := c.prefix(p)
	lookups := news.Section{Title: "Lookups (only you see the answers)"}
	changes := news.Section{Title: "Changes (admins)"}
	for i := range commandSpecs {
		s := &commandSpecs[i]
		e := news.Entry{Title: s.usage(prefix), Notes: []string{s.summary}}
		if s.hint != "" {
			e.Notes = append(e.Notes, s.hint)
		}
		if s.admin {
			changes.Entries = append(changes.Entries, e)
		} else {
			lookups.Entries = append(lookups.Entries, e)
		}
	}
	return Reply{Message: news.Message{
		Kind:  news.KindReply,
		Title: "feedwatch commands",
		Intro: `Queries: words match whole words in any case and accent; word* a prefix; "two words" a phrase; ` +
			`OR, AND, -word or NOT word; (parentheses); title:word, feed:name, category:word; /regexp/.`,
		Sections: []news.Section{lookups, changes},
	}}
}
