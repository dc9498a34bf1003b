// Package app wires feedwatch together: storage, the poller, the router, the
// dispatcher, the scheduler and the HTTP server, from a loaded config. The
// command line (cmd/bot) only parses flags and calls into it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts"
	"github.com/feedwatch/feedwatch/internal/chat"
	"github.com/feedwatch/feedwatch/internal/feeds"
	"github.com/feedwatch/feedwatch/internal/metrics"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
	"github.com/feedwatch/feedwatch/internal/store/postgres"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

// Options configure an App.
type Options struct {
	Config *config.Config
	Logger *slog.Logger
	Now    func() time.Time // nil = time.Now
	// Stdout receives console channels' messages; nil = os.Stdout.
	Stdout io.Writer
	// HTTPClient sends to chat (Slack, Discord, webhooks); nil = a client
	// with sane timeouts.
	HTTPClient *http.Client
	Version    string
}

// App is a configured feedwatch instance.
type App struct {
	cfg        *config.Config
	log        *slog.Logger
	now        func() time.Time
	store      store.Store
	metrics    *metrics.Metrics
	poller     *feeds.Poller
	router     *alerts.Router
	dispatcher *chat.Dispatcher
	renderer   chat.Renderer
	platforms  map[string]chat.Platform
	notices    *notices // nil without a notices channel
	replica    *replica // nil when storage is not shared (SQLite)
	started    time.Time
	version    string

	feedsMu sync.RWMutex
	feeds   []news.Feed

	// registryMu orders changes made from chat with the reload of rules that
	// follows each: two admins adding topics at once must not leave the
	// rules of the first reload in force after the second.
	registryMu sync.Mutex
}

// New opens storage and builds every part from the config.
func New(ctx context.Context, o Options) (*App, error) {
	cfg := o.Config
	a := &App{cfg: cfg, log: o.Logger, now: o.Now, version: o.Version, platforms: map[string]chat.Platform{}}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.started = a.now()
	st, err := openStore(ctx, cfg, a.log)
	if err != nil {
		return nil, err
	}
	a.store = st
	if a.replica, err = newReplica(ctx, st, cfg.Storage.Lease, a.now, a.log); err != nil {
		st.Close()
		return nil, err
	}
	if err := a.build(ctx, o); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (store.Store, error) {
	switch cfg.Storage.Driver {
	case "", "sqlite":
		st, err := sqlite.Open(ctx, cfg.Storage.DSN, sqlite.Options{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open storage %s: %w", cfg.Storage.DSN, err)
		}
		return st, nil
	case config.DriverPostgres:
		st, err := postgres.Open(ctx, cfg.Storage.DSN, postgres.Options{Logger: log})
		if err != nil {
			// Not the DSN: unlike a SQLite path, it may hold a password.
			return nil, fmt.Errorf("open storage postgres: %w", err)
		}
		return st, nil
	default:
		return nil, fmt.Errorf("storage driver %q is not available in this build", cfg.Storage.Driver)
	}
}

func (a *App) build(ctx context.Context, o Options) error {
	cfg := a.cfg
	a.metrics = metrics.New(a.store.OutboxDepth)
	loc := cfg.Location()
	a.renderer = chat.Renderer{Loc: loc, Now: a.now, Actions: offerActions}

	if err := a.store.SyncFeeds(ctx, cfg.NewsFeeds()); err != nil {
		return fmt.Errorf("sync feeds: %w", err)
	}
	if err := a.reloadFeeds(ctx); err != nil {
		return err
	}

	rules, err := a.loadRules(ctx)
	if err != nil {
		return err
	}

	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	stdout := o.Stdout
	if stdout == nil {
		stdout = os.Stdout
	}
	notifiers, err := a.notifiers(hc, stdout)
	if err != nil {
		return err
	}

	if err := a.buildNotices(ctx); err != nil {
		return err
	}
	m := a.metrics
	a.poller = feeds.NewPoller(feeds.PollerOptions{
		Store: a.store,
		Fetcher: feeds.NewFetcher(feeds.FetchOptions{
			Timeout:      cfg.Fetch.Timeout,
			MaxBody:      cfg.Fetch.MaxBody,
			UserAgent:    cfg.Fetch.UserAgent,
			AllowPrivate: cfg.Fetch.AllowPrivate,
		}),
		Now:         a.now,
		Logger:      a.log,
		Concurrency: cfg.Fetch.Concurrency,
		// a.router is set below, before anything polls.
		Watched: func(it news.Item) bool { return a.router.Wants(it) },
		Hooks: feeds.PollHooks{Polled: func(feed string, err error, n int) {
			switch {
			case err != nil:
				m.Polls.WithLabelValues("error").Inc()
				m.PollErrors.WithLabelValues(feed).Inc()
			default:
				m.Polls.WithLabelValues("ok").Inc()
			}
			if n > 0 {
				m.Items.WithLabelValues(feed).Add(float64(n))
			}
			a.notices.feedPolled(feed, err)
		}},
	})
	a.router = alerts.NewRouter(alerts.RouterOptions{
		Store:    a.store,
		Rules:    rules,
		Split:    a.split,
		MaxAge:   a.maxAge,
		Now:      a.now,
		Logger:   a.log,
		Location: loc,
		Mutes:    a.store,
		Hooks: alerts.Hooks{
			Matched:  func(topic string, n int) { m.Matches.WithLabelValues(topic).Add(float64(n)) },
			Enqueued: func(ch string, n int) { m.MessagesQueued.WithLabelValues(ch).Add(float64(n)) },
		},
	})
	dopts := chat.DispatcherOptions{
		Outbox:    a.store,
		Notifiers: notifiers,
		Now:       a.now,
		Logger:    a.log,
		Slot:      alerts.PinnedSlot, // countdown: pinned edits one message per channel
		Refs:      a.store,
		Hooks: chat.DispatchHooks{
			Sent: func(ch string) {
				m.MessagesSent.WithLabelValues(ch).Inc()
				a.notices.channelSent(ch)
			},
			Failed: func(ch string, permanent bool) {
				kind := "retry"
				if permanent {
					kind = "permanent"
				}
				m.MessagesFailed.WithLabelValues(ch, kind).Inc()
				a.notices.channelFailed(ch, permanent)
			},
		},
	}
	if r := a.replica; r != nil {
		// One replica at a time sends a channel's queue, keeping its order
		// and sending each message once.
		dopts.Claim = func(ctx context.Context, ch string) bool { return r.claim(ctx, sendLease(ch)) }
		dopts.Release = func(ctx context.Context, ch string) { r.release(ctx, sendLease(ch)) }
		dopts.Recheck = min(time.Second, r.lease/4)
		dopts.ClaimFor = r.lease
	}
	a.dispatcher = chat.NewDispatcher(dopts)
	return nil
}

// notifiers builds one notifier per configured channel. Clients are shared
// per platform so that rate limits are tracked together.
func (a *App) notifiers(hc *http.Client, stdout io.Writer) (map[string]chat.Notifier, error) {
	cfg := a.cfg
	out := map[string]chat.Notifier{}
	var slackClient *slack.Client
	var discord *discordgo.Session
	for _, ch := range cfg.Channels {
		kind := chat.Platform(ch.Kind())
		a.platforms[ch.Name] = kind
		switch kind {
		case chat.PlatformSlack:
			if slackClient == nil {
				slackClient = slack.New(cfg.Slack.Token, slack.OptionAPIURL(cfg.Slack.APIURL), slack.OptionHTTPClient(hc))
			}
			out[ch.Name] = chat.NewSlackAPI(slackClient, ch.Slack, a.renderer)
		case chat.PlatformDiscord:
			if discord == nil {
				s, err := chat.NewDiscordSession(cfg.Discord.Token, cfg.Discord.APIURL, hc)
				if err != nil {
					return nil, fmt.Errorf("channel %s: %w", ch.Name, err)
				}
				discord = s
			}
			out[ch.Name] = chat.NewDiscordAPI(discord, ch.Discord, a.renderer)
		case chat.PlatformSlackWebhook:
			out[ch.Name] = chat.NewSlackWebhook(hc, ch.SlackWebhook, a.renderer)
		case chat.PlatformDiscordWebhook:
			out[ch.Name] = chat.NewDiscordWebhook(hc, ch.DiscordWebhook, a.renderer)
		case chat.PlatformConsole:
			out[ch.Name] = chat.NewConsole(stdout, a.renderer)
		default:
			return nil, fmt.Errorf("channel %s: unknown kind %q", ch.Name, kind)
		}
	}
	return out, nil
}

func (a *App) split(channel string, m news.Message) []news.Message {
	p, ok := a.platforms[channel]
	if !ok {
		p = chat.PlatformConsole
	}
	return chat.Split(p, m)
}

func (a *App) maxAge(feed string) time.Duration {
	if f, ok := a.feed(feed); ok {
		return f.MaxAge
	}
	return a.cfg.Defaults.MaxAge
}

func (a *App) reloadFeeds(ctx context.Context) error {
	fs, err := a.store.Feeds(ctx)
	if err != nil {
		return fmt.Errorf("load feeds: %w", err)
	}
	a.feedsMu.Lock()
	a.feeds = fs
	a.feedsMu.Unlock()
	return nil
}

// loadRules compiles what is in force: the config's topics, subscriptions and
// deadlines plus those added from chat. A topic watched from chat is an
// instant subscription of the channel it was added in.
func (a *App) loadRules(ctx context.Context) (*alerts.Rules, error) {
	topics := a.cfg.NewsTopics()
	subs := a.cfg.NewsSubscriptions()
	deadlines := a.cfg.NewsDeadlines()
	chatTopics, err := a.store.Topics(ctx)
	if err != nil {
		return nil, fmt.Errorf("load topics: %w", err)
	}
	for _, t := range chatTopics {
		topics = append(topics, t)
		subs = append(subs, news.Subscription{Channel: t.Channel, Topics: []string{t.Name}, Mode: news.ModeInstant})
	}
	chatDeadlines, err := a.store.Deadlines(ctx)
	if err != nil {
		return nil, fmt.Errorf("load deadlines: %w", err)
	}
	deadlines = append(deadlines, chatDeadlines...)
	rules, err := alerts.NewRules(topics, subs, deadlines)
	if err != nil {
		return nil, fmt.Errorf("compile rules: %w", err)
	}
	return rules, nil
}

// ReloadRules recompiles topics, subscriptions and deadlines after a change
// from chat and puts them in force.
func (a *App) ReloadRules(ctx context.Context) error {
	rules, err := a.loadRules(ctx)
	if err != nil {
		return err
	}
	a.router.SetRules(rules)
	return nil
}

// feed returns a feed in force by name.
func (a *App) feed(name string) (news.Feed, bool) {
	a.feedsMu.RLock()
	defer a.feedsMu.RUnlock()
	for _, f := range a.feeds {
		if f.Name == name {
			return f, true
		}
	}
	return news.Feed{}, false
}

// Feeds returns every feed in force (config and chat).
func (a *App) Feeds() []news.Feed {
	a.feedsMu.RLock()
	defer a.feedsMu.RUnlock()
	return append([]news.Feed(nil), a.feeds...)
}

// Store returns the app's storage.
func (a *App) Store() store.Store { return a.store }

// Close releases storage.
func (a *App) Close() error { return a.store.Close() }

// PollAll polls every feed once and routes what is new. Feed failures are
// logged, recorded in feed health and returned joined; the other feeds are
// still polled and routed.
func (a *App) PollAll(ctx context.Context) error {
	var perr error
	if a.replica != nil {
		perr = a.pollShared(ctx, a.Feeds()) // each feed to the replica that claims it
	} else {
		_, perr = a.poller.PollAll(ctx, a.Feeds())
	}
	_, rerr := a.router.RouteNew(ctx)
	a.dispatcher.Kick()
	return errors.Join(perr, rerr)
}

// SendDigests queues the digest of every digest subscription now.
func (a *App) SendDigests(ctx context.Context) error {
	var errs []error
	for _, sub := range a.router.Rules().Subscriptions() {
		if sub.Mode != news.ModeDigest {
			continue
		}
		if _, err := a.router.SendDigest(ctx, sub); err != nil {
			errs = append(errs, err)
		}
	}
	a.dispatcher.Kick()
	return errors.Join(errs...)
}

// onceDrainWait bounds how long a one-shot run waits for chat retries.
const onceDrainWait = 60 * time.Second

// Once polls every feed, routes, optionally sends every digest, queues the
// deadline reminders due by now, and delivers what is queued. Undelivered
// messages stay queued for the next run.
func (a *App) Once(ctx context.Context, digest bool) error {
	// Items left unrouted by an earlier crash go first.
	if _, err := a.router.RouteNew(ctx); err != nil {
		return err
	}
	err := a.PollAll(ctx)
	if digest {
		err = errors.Join(err, a.SendDigests(ctx))
	}
	// Deadline reminders due by now go out too, so that a deployment that
	// runs `once` from cron instead of the daemon still gets them.
	a.remindPass(ctx)
	return errors.Join(err, a.dispatcher.Drain(ctx, onceDrainWait))
}
