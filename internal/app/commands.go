package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/chat"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// Limits of what commands take and show.
const (
	// maxNameLen bounds names given from chat (topics, deadlines, feeds).
	maxNameLen = 64
	// maxQueryLen bounds a query given from chat.
	maxQueryLen = 1000
	// maxMute is the longest mute: longer is surely a typo.
	maxMute = 366 * 24 * time.Hour
	// testWindow is how far back `test` looks, and testNewest how many
	// items it shows.
	testWindow = 7 * 24 * time.Hour
	testNewest = 5
	// digestWindow is what `digest` covers; digestScanMax bounds the items
	// read per topic and digestStories the stories shown per topic.
	digestWindow  = 24 * time.Hour
	digestScanMax = 500
	digestStories = 15
	// chatFeedSyncEvery is how often the daemon looks for feeds added or
	// removed from chat (here or on another replica) to (un)schedule them.
	chatFeedSyncEvery = time.Minute
	// discordRegisterTimeout bounds the registration of the Discord command.
	discordRegisterTimeout = 30 * time.Second
	// replyHTTPTimeout bounds a post of a late reply.
	replyHTTPTimeout = 30 * time.Second
)

// httpHandler is what Handler returns: the routes, and the chat command
// router behind them, whose slow replies Run waits for at shutdown.
type httpHandler struct {
	*http.ServeMux
	cmds *chat.Commands // nil when no chat endpoint is configured
}

// mountChat mounts POST /slack/commands when a Slack signing secret is
// configured and POST /discord/interactions when a Discord public key is,
// and returns their router (nil when neither is).
func (a *App) mountChat(mux *http.ServeMux) *chat.Commands {
	slackOn, discordOn := a.cfg.Slack.SigningSecret != "", a.cfg.Discord.PublicKey != ""
	if !slackOn && !discordOn {
		return nil
	}
	cmds := a.newCommands()
	if slackOn {
		mux.Handle("POST "+chat.SlackCommandsPath, a.slackFront(cmds))
	}
	if discordOn {
		front, err := a.discordFront(cmds)
		if err != nil {
			a.log.Error("discord interactions endpoint not served", "err", err)
		} else {
			mux.Handle("POST /discord/interactions", front)
		}
	}
	return cmds
}

// newCommands builds a command router on this app.
func (a *App) newCommands() *chat.Commands {
	var chans []chat.ChannelRef
	for _, ch := range a.cfg.Channels {
		switch ch.Kind() {
		case config.KindSlack:
			chans = append(chans, chat.ChannelRef{Name: ch.Name, Platform: chat.PlatformSlack, ID: ch.Slack})
		case config.KindDiscord:
			chans = append(chans, chat.ChannelRef{Name: ch.Name, Platform: chat.PlatformDiscord, ID: ch.Discord})
		}
	}
	return chat.NewCommands(chat.CommandsOptions{
		Backend:      commandBackend{a},
		Admins:       chat.Admins{Slack: a.cfg.Admins.Slack, Discord: a.cfg.Admins.Discord},
		Channels:     chans,
		SlackCommand: a.cfg.Slack.Command,
		Logger:       a.log,
	})
}

func (a *App) slackFront(cmds *chat.Commands) *chat.SlackCommands {
	return chat.NewSlackCommands(chat.SlackCommandsOptions{
		Commands:      cmds,
		Renderer:      a.renderer,
		SigningSecret: a.cfg.Slack.SigningSecret,
		HTTPClient:    &http.Client{Timeout: replyHTTPTimeout},
		Logger:        a.log,
	})
}

func (a *App) discordFront(cmds *chat.Commands) (*chat.DiscordCommands, error) {
	key, err := chat.ParseDiscordPublicKey(a.cfg.Discord.PublicKey)
	if err != nil {
		return nil, err
	}
	sess, err := chat.NewDiscordInteractionSession(a.cfg.Discord.APIURL, &http.Client{Timeout: replyHTTPTimeout})
	if err != nil {
		return nil, err
	}
	return chat.NewDiscordCommands(chat.DiscordCommandsOptions{
		Commands:      cmds,
		Renderer:      a.renderer,
		PublicKey:     key,
		Session:       sess,
		ApplicationID: a.cfg.Discord.ApplicationID,
		Logger:        a.log,
	}), nil
}

// startChat starts what the daemon does for chat besides serving HTTP:
// Slack Socket Mode when an app token is set, registration of the Discord
// command when a bot token and an application id are, and the scheduling
// of feeds added from chat. Every goroutine joins wg; at the end of ctx,
// commands in flight (on srv's handler too) get shutdownGrace to finish.
func (a *App) startChat(ctx context.Context, wg *sync.WaitGroup, srv *http.Server) {
	known := map[string]bool{}
	for _, f := range a.Feeds() {
		known[f.Name] = true // scheduled by Run already
	}
	wg.Go(func() { a.scheduleChatFeeds(ctx, known) })

	var routers []*chat.Commands
	if srv != nil {
		if h, ok := srv.Handler.(httpHandler); ok && h.cmds != nil {
			routers = append(routers, h.cmds)
		}
	}
	if a.cfg.Slack.AppToken != "" {
		cmds := a.newCommands()
		routers = append(routers, cmds)
		front := a.slackFront(cmds)
		api := slack.New(a.cfg.Slack.Token, slack.OptionAppLevelToken(a.cfg.Slack.AppToken), slack.OptionAPIURL(a.cfg.Slack.APIURL))
		wg.Go(func() {
			if err := front.RunSocketMode(ctx, api); err != nil {
				a.log.Error("slack socket mode stopped", "err", err)
			}
		})
	}
	if a.cfg.Discord.Token != "" && a.cfg.Discord.ApplicationID != "" {
		wg.Go(func() { a.registerDiscordCommands(ctx) })
	}
	for _, r := range routers {
		wg.Go(func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
			defer cancel()
			r.Shutdown(sctx)
		})
	}
}

// registerDiscordCommands overwrites the application's global commands
// with feedwatch's. A failure is logged: commands registered earlier keep
// working, and the rest of the bot does not depend on it.
func (a *App) registerDiscordCommands(ctx context.Context) {
	s, err := chat.NewDiscordSession(a.cfg.Discord.Token, a.cfg.Discord.APIURL, nil)
	if err != nil {
		a.log.Error("discord commands not registered", "err", err)
		return
	}
	rctx, cancel := context.WithTimeout(ctx, discordRegisterTimeout)
	defer cancel()
	if err := chat.RegisterDiscordCommands(rctx, s, a.cfg.Discord.ApplicationID); err != nil {
		a.log.Error("discord commands not registered", "err", err)
		return
	}
	a.log.Info("discord commands registered", "command", chat.DiscordCommandName)
}

// scheduleChatFeeds keeps the feeds that Run did not schedule at start
// (those in known) polled on their schedules: feeds added from chat later,
// here or on another replica sharing the database. It reloads the feed
// list every chatFeedSyncEvery, scheduling new feeds and unscheduling
// removed ones, until ctx is done. (A feed added here is also polled once
// at once by the command itself.)
func (a *App) scheduleChatFeeds(ctx context.Context, known map[string]bool) {
	fs := newFeedScheduler(a, known)
	fs.sync(ctx)
	fs.cron.Start()
	t := time.NewTicker(chatFeedSyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			<-fs.cron.Stop().Done()
			return
		case <-t.C:
			fs.sync(ctx)
		case <-a.feedsChanged():
			fs.sync(ctx) // changed on another replica
		}
	}
}

// feedScheduler schedules the feeds not in known on a cron of its own.
type feedScheduler struct {
	a       *App
	known   map[string]bool
	cron    *cron.Cron
	entries map[string]scheduledFeed
}

// scheduledFeed is a feed as it was scheduled, to notice a change.
type scheduledFeed struct {
	id   cron.EntryID
	feed news.Feed
}

func newFeedScheduler(a *App, known map[string]bool) *feedScheduler {
	logger := cronLogger{a.log}
	return &feedScheduler{
		a:     a,
		known: known,
		cron: cron.New(cron.WithLocation(a.cfg.Location()), cron.WithLogger(logger),
			cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger))),
		entries: map[string]scheduledFeed{},
	}
}

// sync reloads the feeds from storage and makes the cron match them.
func (s *feedScheduler) sync(ctx context.Context) {
	a := s.a
	if err := a.reloadFeeds(ctx); err != nil {
		a.log.Error("reload feeds", "err", err)
		return
	}
	current := map[string]news.Feed{}
	for _, f := range a.Feeds() {
		if !s.known[f.Name] {
			current[f.Name] = f
		}
	}
	for name, e := range s.entries {
		if f, ok := current[name]; !ok || f != e.feed {
			s.cron.Remove(e.id)
			delete(s.entries, name)
		}
	}
	for name, f := range current {
		if _, ok := s.entries[name]; ok {
			continue
		}
		sched, err := config.ParseSchedule(f.Schedule, a.cfg.Location())
		if err != nil {
			a.log.Error("feed added from chat not scheduled", "feed", name, "err", err)
			continue
		}
		feed := f
		id := s.cron.Schedule(sched, cron.FuncJob(func() { a.pollOne(ctx, feed) }))
		s.entries[name] = scheduledFeed{id, f}
	}
}

// commandBackend carries out chat commands on the app.
type commandBackend struct{ a *App }

// Run carries out one command that passed parsing and the admin check.
func (b commandBackend) Run(ctx context.Context, req chat.Request) (chat.Reply, error) {
	switch req.Command.Path {
	case chat.CmdSearch:
		return b.search(ctx, req)
	case chat.CmdTopics:
		return b.topics(ctx, req)
	case chat.CmdFeeds:
		return b.feeds(ctx)
	case chat.CmdDeadlines:
		return b.deadlines(ctx)
	case chat.CmdDigest:
		return b.digest(ctx, req)
	case chat.CmdTest:
		return b.test(ctx, req)
	case chat.CmdStatus:
		return b.status(ctx)
	case chat.CmdWatch:
		return b.watch(ctx, req)
	case chat.CmdUnwatch:
		return b.unwatch(ctx, req)
	case chat.CmdMute:
		return b.mute(ctx, req)
	case chat.CmdUnmute:
		return b.unmute(ctx, req)
	case chat.CmdDeadlineAdd:
		return b.deadlineAdd(ctx, req)
	case chat.CmdDeadlineRemove:
		return b.deadlineRemove(ctx, req)
	case chat.CmdFeedAdd:
		return b.feedAdd(ctx, req)
	case chat.CmdFeedRemove:
		return b.feedRemove(ctx, req)
	}
	return chat.Reply{}, fmt.Errorf("command %q has no implementation", req.Command.Path)
}

// --- replies ---------------------------------------------------------------

// privateReply is a reply only the asker sees.
func privateReply(title, intro string, sections ...news.Section) chat.Reply {
	return chat.Reply{Message: news.Message{Kind: news.KindReply, Title: title, Intro: intro, Sections: sections}}
}

// publicReply is the outcome of a change, shown to the channel.
func publicReply(title, intro string) chat.Reply {
	r := privateReply(title, intro)
	r.Public = true
	return r
}

// replyEntry is an item as a reply entry: title, link, feed and age.
func replyEntry(it news.Item) news.Entry {
	return news.Entry{Title: it.Title, URL: it.Link, Feed: it.Feed, Published: it.Published}
}

// countOf is "1 item" or "3 items".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// when formats a time in the configured zone, with the year only when it is
// not this year.
func (b commandBackend) when(t time.Time) string {
	lt := t.In(b.a.cfg.Location())
	if lt.Year() != b.a.now().In(b.a.cfg.Location()).Year() {
		return lt.Format("Mon 2 Jan 2006 15:04 MST")
	}
	return lt.Format("Mon 2 Jan 15:04 MST")
}

// spanWords says a duration in words, to the two largest units: "3 days 4
// hours", "5 hours 12 minutes", "40 minutes", "less than a minute".
func spanWords(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	units := []struct {
		size      time.Duration
		one, many string
	}{{24 * time.Hour, "day", "days"}, {time.Hour, "hour", "hours"}, {time.Minute, "minute", "minutes"}}
	var parts []string
	for _, u := range units {
		if n := int(d / u.size); n > 0 {
			parts = append(parts, countOf(n, u.one, u.many))
			d -= time.Duration(n) * u.size
		} else if len(parts) > 0 {
			break // "3 days 0 hours 5 minutes" reads worse than "3 days"
		}
		if len(parts) == 2 {
			break
		}
	}
	return strings.Join(parts, " ")
}

// markColumn shows where a query went wrong: 👉 before the rune at the
// 1-based column.
func markColumn(src string, col int) string {
	i := 0
	for pos := range src {
		i++
		if i == col {
			return src[:pos] + "👉" + src[pos:]
		}
	}
	return src + "👉"
}

// parseChatQuery parses a query given in chat; a bad one is a reply that points
// at the column.
func parseChatQuery(src string) (*query.Query, *chat.Reply) {
	if utf8.RuneCountInString(src) > maxQueryLen {
		r := privateReply("Query too long", fmt.Sprintf("A query may be at most %d characters long.", maxQueryLen))
		return nil, &r
	}
	q, err := query.Parse(src)
	if err == nil {
		return q, nil
	}
	var qe *query.Error
	if errors.As(err, &qe) {
		r := privateReply("The query does not parse",
			fmt.Sprintf("Column %d: %s.\n%s", qe.Col, qe.Msg, markColumn(src, qe.Col)))
		return nil, &r
	}
	r := privateReply("The query does not parse", err.Error())
	return nil, &r
}

// validChatName checks a name given from chat against the config's rule.
func validChatName(kind, name string) *chat.Reply {
	if config.IsValidName(name) && len(name) <= maxNameLen {
		return nil
	}
	r := privateReply("Invalid name", fmt.Sprintf("A %s name is lower-case letters, digits and dashes (at most %d), like ukraine-talks; %q is not.",
		kind, maxNameLen, clipQuote(name, 80)))
	return &r
}

// clipQuote shortens text quoted back to the user.
func clipQuote(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// needChannel refuses a command that acts on "this channel" in a channel the
// config does not name, saying how to add it.
func needChannel(req chat.Request) *chat.Reply {
	if req.Channel != "" {
		return nil
	}
	key := "slack"
	if req.Platform == chat.PlatformDiscord {
		key = "discord"
	}
	r := privateReply("This channel is not in the config",
		fmt.Sprintf("feedwatch posts only to channels its config file names, so %s cannot be used here yet. "+
			"Add this channel under channels: in the config, as - {name: NAME, %s: %q}, restart feedwatch, and try again.",
			req.Command.Path, key, req.ChannelID))
	return &r
}

// --- lookups ---------------------------------------------------------------

func (b commandBackend) search(ctx context.Context, req chat.Request) (chat.Reply, error) {
	src := req.Command.Arg(chat.ArgQuery)
	if _, bad := parseChatQuery(src); bad != nil {
		return *bad, nil
	}
	// The terminal's `feedwatch search` calls the same function, so both
	// show the same items in the same order.
	items, err := b.a.Search(ctx, src)
	if err != nil {
		return chat.Reply{}, err
	}
	title := "Search: " + src
	if len(items) == 0 {
		return privateReply(title, "No stored items match."), nil
	}
	intro := "All " + countOf(len(items), "matching item", "matching items") + ", newest first."
	if len(items) == alerts.SearchLimit {
		intro = fmt.Sprintf("The %d newest matching items.", len(items))
	}
	sec := news.Section{Title: "Results"}
	for _, it := range items {
		sec.Entries = append(sec.Entries, replyEntry(it))
	}
	return privateReply(title, intro, sec), nil
}

func (b commandBackend) topics(ctx context.Context, req chat.Request) (chat.Reply, error) {
	now := b.a.now()
	rules := b.a.router.Rules()
	mutes, err := b.a.store.Mutes(ctx, now)
	if err != nil {
		return chat.Reply{}, err
	}
	mutedUntil := map[string]time.Time{}
	for _, m := range mutes {
		if m.Channel == req.Channel && req.Channel != "" {
			mutedUntil[m.Topic] = m.Until
		}
	}
	topics := rules.Topics()
	if len(topics) == 0 {
		return privateReply("Topics", "No topics are watched. Admins can add one with watch NAME QUERY."), nil
	}
	sec := news.Section{Title: countOf(len(topics), "topic", "topics")}
	for _, t := range topics {
		n, err := b.a.store.CountMatches(ctx, t.Name, now.Add(-24*time.Hour))
		if err != nil {
			return chat.Reply{}, err
		}
		info := []string{countOf(n, "match", "matches") + " in the last 24 h"}
		if t.Source == news.SourceChat {
			info = append(info, "added from chat, posted to "+t.Channel)
		} else {
			info = append(info, "from the config file")
		}
		if until, ok := mutedUntil[t.Name]; ok {
			info = append(info, "muted here until "+b.when(until))
		}
		sec.Entries = append(sec.Entries, news.Entry{Title: t.Name, Notes: []string{"query: " + t.Query, strings.Join(info, " · ")}})
	}
	return privateReply("Topics", "", sec), nil
}

func (b commandBackend) feeds(ctx context.Context) (chat.Reply, error) {
	now := b.a.now()
	feeds, err := b.a.store.Feeds(ctx)
	if err != nil {
		return chat.Reply{}, err
	}
	states, err := b.a.store.FeedStates(ctx)
	if err != nil {
		return chat.Reply{}, err
	}
	byName := map[string]news.FeedState{}
	for _, st := range states {
		byName[st.Feed] = st
	}
	if len(feeds) == 0 {
		return privateReply("Feeds", "No feeds. Admins can add one with feed add NAME URL."), nil
	}
	var ok, failing, never int
	sec := news.Section{Title: countOf(len(feeds), "feed", "feeds")}
	for _, f := range feeds {
		st := byName[f.Name]
		var health []string
		switch {
		case st.Failures > 0:
			failing++
			health = append(health, "failing: "+countOf(st.Failures, "failure", "failures")+" in a row")
		case st.LastSuccess.IsZero():
			never++
			health = append(health, "not polled yet")
		default:
			ok++
			health = append(health, "ok")
		}
		if !st.LastSuccess.IsZero() {
			health = append(health, "last success "+b.a.Age(st.LastSuccess))
		} else if st.Failures > 0 {
			health = append(health, "never succeeded")
		}
		health = append(health, countOf(st.Items, "item", "items"))
		if next, ok := b.nextPoll(f, st, now); ok {
			health = append(health, "next poll in "+spanWords(next.Sub(now)))
		}
		if f.Source == news.SourceChat {
			health = append(health, "added from chat")
		}
		notes := []string{strings.Join(health, " · ")}
		if !st.LastError.IsZero() {
			notes = append(notes, "last error "+b.a.Age(st.LastError)+": "+st.LastErrorMsg)
		}
		sec.Entries = append(sec.Entries, news.Entry{Title: f.Name, URL: publicFeedURL(f.URL), Notes: notes})
	}
	intro := fmt.Sprintf("%d ok, %d failing, %d not polled yet.", ok, failing, never)
	return privateReply("Feeds", intro, sec), nil
}

// nextPoll is when a feed is polled next: its next scheduled time, but not
// before the end of a backoff (polls before it are skipped).
func (b commandBackend) nextPoll(f news.Feed, st news.FeedState, now time.Time) (time.Time, bool) {
	sched, err := config.ParseSchedule(f.Schedule, b.a.cfg.Location())
	if err != nil {
		return time.Time{}, false
	}
	from := now
	if st.NextPoll.After(now) {
		from = st.NextPoll.Add(-time.Nanosecond) // a tick exactly at NextPoll polls
	}
	next := sched.Next(from)
	return next, !next.IsZero()
}

func (b commandBackend) deadlines(ctx context.Context) (chat.Reply, error) {
	now := b.a.now()
	var upcoming []news.Deadline
	for _, d := range b.a.router.Rules().Deadlines() {
		if d.Due.After(now) {
			upcoming = append(upcoming, d)
		}
	}
	if len(upcoming) == 0 {
		return privateReply("Deadlines", "No upcoming deadlines. Admins can track one with deadline add NAME DUE TITLE."), nil
	}
	sort.SliceStable(upcoming, func(i, j int) bool { return upcoming[i].Due.Before(upcoming[j].Due) })
	var secs []news.Section
	for _, d := range upcoming {
		key := alerts.DeadlineKey(d.Name)
		n, err := b.a.store.CountMatches(ctx, key, d.Created)
		if err != nil {
			return chat.Reply{}, err
		}
		title := d.Title
		if title == "" {
			title = d.Name
		}
		sec := news.Section{
			Topic: d.Name,
			Title: fmt.Sprintf("In %s (%s): %s", spanWords(d.Due.Sub(now)), b.when(d.Due), title),
		}
		var e news.Entry
		newest, found, err := b.a.store.NewestMatch(ctx, key)
		if err != nil {
			return chat.Reply{}, err
		}
		if found {
			e = replyEntry(newest)
			e.Notes = []string{"newest of " + countOf(n, "related item", "related items")}
		} else {
			e = news.Entry{Title: "No related items yet", Notes: []string{"related: items matching " + d.Query}}
		}
		if next, ok := upcomingReminder(d, now); ok {
			e.Notes = append(e.Notes, "next reminder "+b.when(next)+" in "+strings.Join(d.Channels, ", "))
		}
		sec.Entries = []news.Entry{e}
		secs = append(secs, sec)
	}
	return privateReply("Upcoming deadlines", countOf(len(upcoming), "deadline", "deadlines")+", soonest first.", secs...), nil
}

// upcomingReminder is the next reminder of d after now.
func upcomingReminder(d news.Deadline, now time.Time) (time.Time, bool) {
	var next time.Time
	for _, r := range d.Remind {
		at := d.Due.Add(-r)
		if at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, !next.IsZero()
}

func (b commandBackend) digest(ctx context.Context, req chat.Request) (chat.Reply, error) {
	now := b.a.now()
	rules := b.a.router.Rules()
	topics := rules.Topics()
	title := "Digest of the last 24 h"
	if name := req.Command.Arg(chat.ArgTopic); name != "" {
		t, _, ok := rules.Topic(name)
		if !ok {
			return privateReply("No such topic", fmt.Sprintf("No topic is named %q. topics lists them.", clipQuote(name, 80))), nil
		}
		topics = []news.Topic{t}
		title += ": " + name
	}
	var secs []news.Section
	stories := 0
	for _, t := range topics {
		_, q, ok := rules.Topic(t.Name)
		if !ok {
			continue
		}
		var items []news.Item
		if err := alerts.ScanMatching(ctx, b.a.store, q, now.Add(-digestWindow), func(it news.Item) bool {
			items = append(items, it)
			return len(items) < digestScanMax
		}); err != nil {
			return chat.Reply{}, err
		}
		if len(items) == 0 {
			continue
		}
		cl := alerts.Cluster(items)
		sec := news.Section{Topic: t.Name, Title: fmt.Sprintf("%s (%s)", t.Name, countOf(len(cl), "story", "stories"))}
		if len(cl) > digestStories {
			sec.Title = fmt.Sprintf("%s (the newest %d of %d stories)", t.Name, digestStories, len(cl))
			cl = cl[:digestStories]
		}
		for _, s := range cl {
			sec.Entries = append(sec.Entries, s.Entry())
		}
		stories += len(sec.Entries)
		secs = append(secs, sec)
	}
	if len(secs) == 0 {
		return privateReply(title, "Nothing matched in the last 24 hours."), nil
	}
	r := privateReply(title, fmt.Sprintf("%s in %s, newest first.", countOf(stories, "story", "stories"), countOf(len(secs), "topic", "topics")), secs...)
	r.Message.Kind = news.KindDigest
	return r, nil
}

func (b commandBackend) test(ctx context.Context, req chat.Request) (chat.Reply, error) {
	src := req.Command.Arg(chat.ArgQuery)
	q, bad := parseChatQuery(src)
	if bad != nil {
		return *bad, nil
	}
	now := b.a.now()
	loc := b.a.cfg.Location()
	since := now.Add(-testWindow)
	perDay := map[string]int{}
	var newest []news.Item
	total, earlier := 0, 0
	if err := alerts.ScanMatching(ctx, b.a.store, q, since, func(it news.Item) bool {
		if it.Published.Before(since) {
			earlier++ // first seen this week, but older news
			return true
		}
		total++
		perDay[it.Published.In(loc).Format(time.DateOnly)]++
		if len(newest) < testNewest {
			newest = append(newest, it)
		}
		return true
	}); err != nil {
		return chat.Reply{}, err
	}
	lines := []string{"Read as: " + q.String()}
	verb := "match"
	if total == 1 {
		verb = "matches"
	}
	lines = append(lines, fmt.Sprintf("%s of the last 7 days %s.", countOf(total, "stored item", "stored items"), verb))
	if total > 0 {
		most := 0
		for _, n := range perDay {
			most = max(most, n)
		}
		y, m, d := since.In(loc).Date()
		for day := time.Date(y, m, d, 0, 0, 0, 0, loc); !day.After(now); day = day.AddDate(0, 0, 1) {
			n := perDay[day.Format(time.DateOnly)]
			bar := ""
			if n > 0 {
				bar = strings.Repeat("█", max(1, n*20/most)) + " "
			}
			lines = append(lines, fmt.Sprintf("%s: %s%d", day.Format("Mon 2 Jan"), bar, n))
		}
	}
	if earlier > 0 {
		lines = append(lines, fmt.Sprintf("Also %s first seen this week but published earlier.", countOf(earlier, "item", "items")))
	}
	var secs []news.Section
	if len(newest) > 0 {
		sec := news.Section{Title: fmt.Sprintf("The %d newest", len(newest))}
		for _, it := range newest {
			sec.Entries = append(sec.Entries, replyEntry(it))
		}
		secs = append(secs, sec)
	}
	return privateReply("Test: "+src, strings.Join(lines, "\n"), secs...), nil
}

func (b commandBackend) status(ctx context.Context) (chat.Reply, error) {
	a := b.a
	now := a.now()
	states, err := a.store.FeedStates(ctx)
	if err != nil {
		return chat.Reply{}, err
	}
	depth, err := a.store.OutboxDepth(ctx)
	if err != nil {
		return chat.Reply{}, err
	}
	items, err := a.store.CountItems(ctx)
	if err != nil {
		return chat.Reply{}, err
	}
	mutes, err := a.store.Mutes(ctx, now)
	if err != nil {
		return chat.Reply{}, err
	}
	var ok, never int
	failingSec := news.Section{Title: "Failing feeds"}
	for _, st := range states {
		switch {
		case st.Failures > 0:
			failingSec.Entries = append(failingSec.Entries, news.Entry{Title: st.Feed,
				Notes: []string{countOf(st.Failures, "failure", "failures") + " in a row, last " + a.Age(st.LastError) + ": " + st.LastErrorMsg}})
		case st.LastSuccess.IsZero():
			never++
		default:
			ok++
		}
	}
	rules := a.router.Rules()
	upcoming := 0
	for _, d := range rules.Deadlines() {
		if d.Due.After(now) {
			upcoming++
		}
	}
	version := a.version
	if version == "" {
		version = "dev"
	}
	lines := []string{
		fmt.Sprintf("feedwatch %s, up %s (since %s).", version, spanWords(now.Sub(a.started)), b.when(a.started)),
		fmt.Sprintf("Feeds: %d ok, %d failing, %d not polled yet.", ok, len(failingSec.Entries), never),
		fmt.Sprintf("Stored: %s. Watching %s; %s upcoming; %s in force.", countOf(items, "item", "items"),
			countOf(len(rules.Topics()), "topic", "topics"), countOf(upcoming, "deadline", "deadlines"), countOf(len(mutes), "mute", "mutes")),
		fmt.Sprintf("Queue: %s waiting to be sent.", countOf(depth, "message", "messages")),
	}
	last, err := b.lastDigest(ctx, rules)
	if err != nil {
		return chat.Reply{}, err
	}
	lines = append(lines, last)
	var secs []news.Section
	if len(failingSec.Entries) > 0 {
		secs = append(secs, failingSec)
	}
	if ch := failingChannels(a.dispatcher.Health(), a.Age); len(ch.Entries) > 0 {
		secs = append(secs, ch)
	}
	return privateReply("Status", strings.Join(lines, "\n"), secs...), nil
}

// publicFeedURL is a feed's URL as shown in chat: without user info and
// query, which may carry an API key or token (for example
// ?api_key=…). The feed still has its full URL; only the reply omits it.
func publicFeedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User = nil
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// failingChannels lists the channels whose last send failed: refused for
// good (bad token, unknown channel) or still being retried.
func failingChannels(health []chat.ChannelHealth, age func(time.Time) string) news.Section {
	sec := news.Section{Title: "Failing channels"}
	for _, h := range health {
		if !h.Failing {
			continue
		}
		state := "retrying"
		if h.Permanent {
			state = "refused for good"
		}
		sec.Entries = append(sec.Entries, news.Entry{Title: h.Channel,
			Notes: []string{fmt.Sprintf("%s, %s, last %s: %s", state, countOf(h.Consecutive, "failure", "failures"), age(h.LastError), h.LastErrMsg)}})
	}
	return sec
}

// lastDigest says when the last digest went out, and where.
func (b commandBackend) lastDigest(ctx context.Context, rules *alerts.Rules) (string, error) {
	var last time.Time
	var where string
	haveDigests := false
	for _, sub := range rules.Subscriptions() {
		if sub.Mode != news.ModeDigest {
			continue
		}
		haveDigests = true
		v, ok, err := b.a.store.GetMeta(ctx, alerts.LastDigestKey(sub))
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err == nil && t.After(last) {
			last, where = t, sub.Channel
		}
	}
	switch {
	case !haveDigests:
		return "Last digest: no digest subscriptions.", nil
	case last.IsZero():
		return "Last digest: none sent yet.", nil
	}
	return fmt.Sprintf("Last digest: %s (%s) to %s.", b.when(last), b.a.Age(last), where), nil
}

// --- changes ---------------------------------------------------------------

// isConfigTopic reports whether the config file names a topic.
func (b commandBackend) isConfigTopic(name string) bool {
	for _, t := range b.a.cfg.Topics {
		if t.Name == name {
			return true
		}
	}
	return false
}

// reload puts changed rules in force; undo reverts the change when they do
// not compile (which a query checked beforehand cannot cause, but the
// stored state must never be left unloadable).
func (b commandBackend) reload(ctx context.Context, undo func() error) error {
	err := b.a.ReloadRules(ctx)
	if err == nil {
		b.a.announce(ctx) // for the other replicas, if any
		return nil
	}
	if undo != nil {
		if uerr := undo(); uerr != nil {
			err = errors.Join(err, fmt.Errorf("undo: %w", uerr))
		}
	}
	return err
}

func (b commandBackend) watch(ctx context.Context, req chat.Request) (chat.Reply, error) {
	if r := needChannel(req); r != nil {
		return *r, nil
	}
	name, src := req.Command.Arg(chat.ArgName), req.Command.Arg(chat.ArgQuery)
	if r := validChatName("topic", name); r != nil {
		return *r, nil
	}
	if b.isConfigTopic(name) {
		return privateReply("Name taken", fmt.Sprintf("The config file already defines a topic named %s; choose another name.", name)), nil
	}
	if _, bad := parseChatQuery(src); bad != nil {
		return *bad, nil
	}
	b.a.registryMu.Lock()
	defer b.a.registryMu.Unlock()
	err := b.a.store.AddTopic(ctx, news.Topic{Name: name, Query: src, Source: news.SourceChat, Channel: req.Channel})
	if errors.Is(err, store.ErrExists) {
		return privateReply("Name taken", fmt.Sprintf("A topic named %s was already added from chat; unwatch it first or choose another name.", name)), nil
	}
	if err != nil {
		return chat.Reply{}, err
	}
	if err := b.reload(ctx, func() error { return b.a.store.RemoveTopic(ctx, name) }); err != nil {
		return chat.Reply{}, err
	}
	b.a.log.Info("topic added from chat", "topic", name, "channel", req.Channel, "user", req.UserID)
	return publicReply("Watching "+name, fmt.Sprintf("New items matching %s will be posted to this channel (%s).", src, req.Channel)), nil
}

func (b commandBackend) unwatch(ctx context.Context, req chat.Request) (chat.Reply, error) {
	name := req.Command.Arg(chat.ArgName)
	return b.removeFromChat(ctx, req, "topic", name, b.isConfigTopic(name), b.a.store.RemoveTopic,
		publicReply("Stopped watching "+name, "Its items stay stored and searchable."))
}

// removeFromChat removes a topic or deadline added from chat (kind names it
// in replies and logs) and puts the rules without it in force; what the
// config file defines is refused.
func (b commandBackend) removeFromChat(ctx context.Context, req chat.Request, kind, name string, inConfig bool,
	remove func(context.Context, string) error, done chat.Reply) (chat.Reply, error) {
	if inConfig {
		return privateReply("Defined in the config file", fmt.Sprintf("%s is defined in the config file; remove it there.", name)), nil
	}
	b.a.registryMu.Lock()
	defer b.a.registryMu.Unlock()
	err := remove(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return privateReply("No such "+kind, fmt.Sprintf("No %s named %q was added from chat.", kind, clipQuote(name, 80))), nil
	}
	if err != nil {
		return chat.Reply{}, err
	}
	if err := b.reload(ctx, nil); err != nil {
		return chat.Reply{}, err
	}
	b.a.log.Info(kind+" removed from chat", kind, name, "user", req.UserID)
	return done, nil
}

func (b commandBackend) mute(ctx context.Context, req chat.Request) (chat.Reply, error) {
	if r := needChannel(req); r != nil {
		return *r, nil
	}
	topic, dur := req.Command.Arg(chat.ArgTopic), req.Command.Arg(chat.ArgDuration)
	if _, _, ok := b.a.router.Rules().Topic(topic); !ok {
		return privateReply("No such topic", fmt.Sprintf("No topic is named %q. topics lists them.", clipQuote(topic, 80))), nil
	}
	d, err := config.ParseDuration(dur)
	if err != nil || d <= 0 || d > maxMute {
		return privateReply("Invalid duration", fmt.Sprintf("%q is not a duration from 1m to 366d; write it like 90m, 6h or 2d.", clipQuote(dur, 40))), nil
	}
	until := b.a.now().Add(d)
	if err := b.a.store.Mute(ctx, news.Mute{Channel: req.Channel, Topic: topic, Until: until}); err != nil {
		return chat.Reply{}, err
	}
	note := ""
	if !b.subscribed(req.Channel, topic) {
		note = " (This channel does not receive it anyway.)"
	}
	b.a.log.Info("topic muted from chat", "topic", topic, "channel", req.Channel, "until", until, "user", req.UserID)
	return publicReply("Muted "+topic, fmt.Sprintf("No alerts or digest entries for %s in this channel until %s (for %s).%s",
		topic, b.when(until), spanWords(d), note)), nil
}

// subscribed reports whether channel receives topic.
func (b commandBackend) subscribed(channel, topic string) bool {
	for _, s := range b.a.router.Rules().Subscriptions() {
		if s.Channel == channel && s.Wants(topic) {
			return true
		}
	}
	return false
}

func (b commandBackend) unmute(ctx context.Context, req chat.Request) (chat.Reply, error) {
	if r := needChannel(req); r != nil {
		return *r, nil
	}
	topic := req.Command.Arg(chat.ArgTopic)
	err := b.a.store.Unmute(ctx, req.Channel, topic)
	if errors.Is(err, store.ErrNotFound) {
		return privateReply("Not muted", fmt.Sprintf("%q is not muted in this channel.", clipQuote(topic, 80))), nil
	}
	if err != nil {
		return chat.Reply{}, err
	}
	b.a.log.Info("topic unmuted from chat", "topic", topic, "channel", req.Channel, "user", req.UserID)
	return publicReply("Unmuted "+topic, "Its alerts are posted to this channel again."), nil
}

// topicRefRE is a deadline query that names a topic, as the config's
// `topic: NAME` does.
var topicRefRE = regexp.MustCompile(`^topic:\s*([a-z0-9-]+)$`)

// titleStopWords are left out when a deadline's query is made from its title.
var titleStopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "by": true,
	"for": true, "from": true, "has": true, "have": true, "in": true, "into": true, "is": true,
	"it": true, "its": true, "of": true, "on": true, "or": true, "that": true, "the": true, "their": true,
	"this": true, "to": true, "was": true, "will": true, "with": true, "deadline": true, "due": true,
}

// deadlineQueryFromTitle makes a deadline's query from its title: every word that says
// something (no stop words, no single letters), all required.
func deadlineQueryFromTitle(title string) string {
	var words []string
	seen := map[string]bool{}
	for _, w := range query.Words(title) {
		if len(w) < 2 || titleStopWords[w] || seen[w] {
			continue
		}
		seen[w] = true
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

func (b commandBackend) deadlineAdd(ctx context.Context, req chat.Request) (chat.Reply, error) {
	if r := needChannel(req); r != nil {
		return *r, nil
	}
	name, dueText, title := req.Command.Arg(chat.ArgName), req.Command.Arg(chat.ArgDue), req.Command.Arg(chat.ArgTitle)
	if r := validChatName("deadline", name); r != nil {
		return *r, nil
	}
	if _, ok := b.a.cfg.Deadline(name); ok {
		return privateReply("Name taken", fmt.Sprintf("The config file already defines a deadline named %s; choose another name.", name)), nil
	}
	now := b.a.now()
	due, err := config.ParseDue(dueText, b.a.cfg.Location())
	if err != nil {
		return privateReply("Invalid due time", fmt.Sprintf("%q: %v (times without an offset are in %s).", clipQuote(dueText, 40), err, b.a.cfg.Timezone)), nil
	}
	if !due.After(now) {
		return privateReply("Already passed", fmt.Sprintf("%s is in the past.", b.when(due))), nil
	}
	src := req.Command.Arg(chat.ArgQuery)
	switch m := topicRefRE.FindStringSubmatch(src); {
	case m != nil:
		t, _, ok := b.a.router.Rules().Topic(m[1])
		if !ok {
			return privateReply("No such topic", fmt.Sprintf("No topic is named %s. topics lists them.", m[1])), nil
		}
		src = t.Query
	case src == "":
		src = deadlineQueryFromTitle(title)
		if src == "" {
			return privateReply("Give a query", `The title has no words to look for in the news; quote it and give a query after it: deadline add NAME DUE "TITLE" QUERY.`), nil
		}
	}
	if _, bad := parseChatQuery(src); bad != nil {
		return *bad, nil
	}
	d := news.Deadline{
		Name: name, Title: title, Due: due, Query: src,
		Remind:    config.DefaultRemind(),
		Channels:  []string{req.Channel},
		Countdown: news.CountdownPosts,
		Source:    news.SourceChat,
		Created:   now,
	}
	b.a.registryMu.Lock()
	defer b.a.registryMu.Unlock()
	err = b.a.store.AddDeadline(ctx, d)
	if errors.Is(err, store.ErrExists) {
		return privateReply("Name taken", fmt.Sprintf("A deadline named %s was already added from chat; remove it first or choose another name.", name)), nil
	}
	if err != nil {
		return chat.Reply{}, err
	}
	if err := b.reload(ctx, func() error { return b.a.store.RemoveDeadline(ctx, name) }); err != nil {
		return chat.Reply{}, err
	}
	b.a.log.Info("deadline added from chat", "deadline", name, "due", due, "channel", req.Channel, "user", req.UserID)
	return publicReply("Tracking "+name, fmt.Sprintf("%s — due %s, in %s. Reminders 7 days, 1 day and 1 hour before and at the deadline will be posted to this channel. Related news: items matching %s.",
		title, b.when(due), spanWords(due.Sub(now)), src)), nil
}

func (b commandBackend) deadlineRemove(ctx context.Context, req chat.Request) (chat.Reply, error) {
	name := req.Command.Arg(chat.ArgName)
	_, inConfig := b.a.cfg.Deadline(name)
	return b.removeFromChat(ctx, req, "deadline", name, inConfig, b.a.store.RemoveDeadline,
		publicReply("Stopped tracking "+name, "No more reminders will be posted for it."))
}

func (b commandBackend) feedAdd(ctx context.Context, req chat.Request) (chat.Reply, error) {
	name, raw := req.Command.Arg(chat.ArgName), req.Command.Arg(chat.ArgURL)
	if r := validChatName("feed", name); r != nil {
		return *r, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > chat.MaxURLLen {
		return privateReply("Invalid URL", fmt.Sprintf("%q is not an absolute http(s) URL.", clipQuote(raw, 80))), nil
	}
	feed := news.Feed{Name: name, URL: u.String(), Schedule: b.a.cfg.Defaults.Schedule, MaxAge: b.a.cfg.Defaults.MaxAge, Source: news.SourceChat}
	err = b.a.store.AddFeed(ctx, feed)
	if errors.Is(err, store.ErrExists) {
		return privateReply("Name taken", fmt.Sprintf("A feed named %s exists already; choose another name.", name)), nil
	}
	if err != nil {
		return chat.Reply{}, err
	}
	// Fetched at once: a feed that does not work is not kept.
	res, perr := b.a.poller.Poll(ctx, feed)
	if perr != nil {
		if err := b.a.store.RemoveFeed(context.WithoutCancel(ctx), name); err != nil {
			return chat.Reply{}, errors.Join(perr, fmt.Errorf("remove feed %s after its failed first poll: %w", name, err))
		}
		return privateReply("Feed not added", fmt.Sprintf("Fetching %s failed, so it was not added: %v", name, perr)), nil
	}
	if err := b.a.reloadFeeds(ctx); err != nil {
		return chat.Reply{}, err
	}
	b.a.announce(ctx) // for the other replicas, if any
	if _, err := b.a.router.RouteNew(ctx); err != nil {
		b.a.log.Error("route after feed add", "feed", name, "err", err)
	}
	b.a.dispatcher.Kick()
	b.a.log.Info("feed added from chat", "feed", name, "items", res.Fetched, "user", req.UserID)
	return publicReply("Added feed "+name, fmt.Sprintf("Fetched %s (%d new). It is polled on the default schedule (%s).",
		countOf(res.Fetched, "item", "items"), res.New, feed.Schedule)), nil
}

func (b commandBackend) feedRemove(ctx context.Context, req chat.Request) (chat.Reply, error) {
	name := req.Command.Arg(chat.ArgName)
	err := b.a.store.RemoveFeed(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return privateReply("No such feed", fmt.Sprintf("No feed is named %q.", clipQuote(name, 80))), nil
	case errors.Is(err, store.ErrConfigDefined):
		return privateReply("Defined in the config file", fmt.Sprintf("%s is defined in the config file; remove it there.", name)), nil
	case err != nil:
		return chat.Reply{}, err
	}
	if err := b.a.reloadFeeds(ctx); err != nil {
		return chat.Reply{}, err
	}
	b.a.announce(ctx) // for the other replicas, if any
	b.a.log.Info("feed removed from chat", "feed", name, "user", req.UserID)
	return publicReply("Removed feed "+name, "It is no longer polled; its items stay stored and searchable."), nil
}
