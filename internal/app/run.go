package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/feeds"
	"github.com/feedwatch/feedwatch/internal/news"
)

// rerouteEvery is how often the daemon looks for items left unrouted (after a
// storage error, say) even when no poll ran.
const rerouteEvery = time.Minute

// shutdownGrace bounds how long in-flight work may take after a stop signal.
const shutdownGrace = 15 * time.Second

// Run is the daemon: it schedules polls and digests, sends the outbox and
// serves HTTP until ctx is done, then stops cleanly: in-flight sends finish
// and state is saved.
func (a *App) Run(ctx context.Context) error {
	var srv *http.Server
	var ln net.Listener
	if addr := a.cfg.Server.Listen; addr != "" {
		var err error
		ln, err = (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", addr, err)
		}
		srv = &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	}

	// work is cancelled only after the scheduler stopped, so that polls in
	// flight can save their state.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	sched, err := a.schedule(work)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}

	var wg sync.WaitGroup
	a.startChat(ctx, &wg, srv)
	dispatchCtx, stopDispatch := context.WithCancel(work)
	defer stopDispatch()
	wg.Go(func() { a.dispatcher.Run(dispatchCtx) })
	wg.Go(func() { a.runDeadlines(work) })
	if a.replica != nil {
		wg.Go(func() { a.watchChanges(work) })
	}
	if srv != nil {
		wg.Go(func() {
			a.log.Info("serving http", "addr", ln.Addr().String())
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("http server", "err", err)
			}
		})
	}

	// Items left unrouted by a crash, and messages left queued, go first;
	// then every feed is polled once at start.
	if _, err := a.router.RouteNew(work); err != nil {
		a.log.Error("route at start", "err", err)
	}
	a.dispatcher.Kick()
	sched.Start()
	wg.Go(func() {
		if err := a.PollAll(work); err != nil {
			a.log.Warn("first poll", "err", err)
		}
	})

	<-ctx.Done()
	a.log.Info("stopping")
	stopped := sched.Stop()
	select {
	case <-stopped.Done():
	case <-time.After(shutdownGrace):
		a.log.Warn("scheduled jobs still running at shutdown")
	}
	cancelWork()
	stopDispatch()
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			a.log.Warn("http shutdown", "err", err)
		}
	}
	wg.Wait()
	a.log.Info("stopped")
	return nil
}

// schedule registers every periodic job: feed polls, digests and the reroute
// safety net. Schedules were validated with the config, but are checked again
// here so that a bad one can never panic at run time.
func (a *App) schedule(ctx context.Context) (*cron.Cron, error) {
	loc := a.cfg.Location()
	logger := cronLogger{a.log}
	chain := cron.NewChain(cron.Recover(logger), cron.SkipIfStillRunning(logger))
	c := cron.New(cron.WithLocation(loc), cron.WithLogger(logger))
	// add schedules job; spread, when not nil, moves the schedule's firings.
	add := func(spec, what string, spread func(cron.Schedule) cron.Schedule, job func()) error {
		s, err := config.ParseSchedule(spec, loc)
		if err != nil {
			return fmt.Errorf("schedule %s: %w", what, err)
		}
		if spread != nil {
			s = spread(s)
		}
		c.Schedule(s, chain.Then(cron.FuncJob(job)))
		return nil
	}
	for _, f := range a.Feeds() {
		feed := f
		// Feeds that share a schedule (most share the default) would all be
		// polled in the same second, cron firing every entry due at once:
		// each feed's polls are moved by an offset fixed by its name, the
		// same after every restart. An @every schedule fires at a phase of
		// the clock spread over its whole period (it would otherwise count
		// from start-up, for every feed alike); a cron schedule fires up to
		// feeds.MaxSpread late, within its period. Either way each feed is
		// still polled once per period.
		spread := func(s cron.Schedule) cron.Schedule {
			if every, ok := s.(cron.ConstantDelaySchedule); ok {
				return feeds.SpreadEvery(every.Delay, feed.Name)
			}
			return feeds.Spread(s, feed.Name)
		}
		if err := add(feed.Schedule, "feed "+feed.Name, spread, func() { a.pollOne(ctx, feed) }); err != nil {
			return nil, err
		}
	}
	for _, sub := range a.router.Rules().Subscriptions() {
		if sub.Mode != news.ModeDigest {
			continue
		}
		s := sub
		var align func(cron.Schedule) cron.Schedule
		if a.replica != nil {
			// An @every digest counts from each replica's start: aligned to
			// the clock instead, every replica's cron fires it at the same
			// moment, and the digest lease lets one of them send it.
			align = func(sc cron.Schedule) cron.Schedule {
				if every, ok := sc.(cron.ConstantDelaySchedule); ok {
					return feeds.SpreadEvery(every.Delay, digestLease(s))
				}
				return sc
			}
		}
		if err := add(s.Schedule, "digest for "+s.Channel, align, func() {
			if !a.replica.claim(ctx, digestLease(s)) {
				return // another replica sends this digest
			}
			if _, err := a.router.SendDigest(ctx, s); err != nil {
				a.log.Error("digest", "channel", s.Channel, "err", err)
			}
			a.dispatcher.Kick()
		}); err != nil {
			return nil, err
		}
	}
	if err := add(fmt.Sprintf("@every %s", rerouteEvery), "reroute", nil, func() {
		if n, err := a.router.RouteNew(ctx); err != nil {
			a.log.Error("reroute", "err", err)
		} else if n > 0 {
			a.dispatcher.Kick()
		}
	}); err != nil {
		return nil, err
	}
	return c, nil
}

func (a *App) pollOne(ctx context.Context, f news.Feed) {
	if _, ok := a.feed(f.Name); !ok {
		return // removed from chat since it was scheduled
	}
	if !a.replica.claim(ctx, pollLease(f.Name)) {
		return // another replica polls it this time
	}
	if _, err := a.poller.Poll(ctx, f); err != nil {
		// Already logged and recorded in the feed's health by the poller.
		return
	}
	if _, err := a.router.RouteNew(ctx); err != nil {
		a.log.Error("route", "feed", f.Name, "err", err)
	}
	a.dispatcher.Kick()
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// Handler serves /healthz and /metrics, and the chat endpoints that are
// configured: POST /slack/commands and POST /discord/interactions.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.store.Ping(ctx); err != nil {
			a.log.Error("healthz: storage", "err", err)
			http.Error(w, "storage unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", a.metrics.Handler())
	return httpHandler{ServeMux: mux, cmds: a.mountChat(mux)}
}
