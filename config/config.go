// Package config loads and validates the feedwatch YAML configuration: the
// schema of SPEC.md, ${ENV} expansion, defaults, and validation that reports
// every problem at once as FILE:LINE: message. It never touches the network.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"time"

	// Embedded zone data: a static binary in a scratch or distroless image has
	// no /usr/share/zoneinfo, and `timezone` must still resolve there.
	_ "time/tzdata"

	"github.com/feedwatch/feedwatch/internal/news"
)

// DemoConfig is demo.yaml, the configuration `feedwatch demo` runs with. Its
// feed URLs start with ${FEEDWATCH_DEMO_URL}, which the demo sets to the
// loopback server of bundled sample feeds.
//
//go:embed demo.yaml
var DemoConfig []byte

// Options tunes loading. The zero value is usable.
type Options struct {
	// Getenv looks up ${NAME} references; nil means os.LookupEnv.
	Getenv func(name string) (string, bool)
	// CheckQuery validates a topic or deadline query; its errors read
	// "column N: message". Nil skips query validation (the config package does
	// not import the query language, to avoid a dependency cycle).
	CheckQuery func(query string) error
	// Version goes into the default User-Agent; "" means "dev".
	Version string
}

// Lines maps each key written in a mapping (with a non-null value) to its
// line, so that checks made after loading (a feed that fails to fetch, a
// channel chat rejects) can point at the line to fix.
type Lines map[string]int

// Of returns the line of key's value, or 0 when the key was not written.
func (l Lines) Of(key string) int { return l[key] }

// Config is a loaded, validated configuration with every default applied.
type Config struct {
	File          string // the name problems are reported against
	Timezone      string // IANA zone name; "UTC" by default
	Storage       Storage
	Server        Server
	Fetch         Fetch
	Slack         Slack
	Discord       Discord
	Admins        Admins
	Defaults      Defaults
	Feeds         []Feed
	Topics        []Topic
	Channels      []Channel
	Subscriptions []Subscription
	Deadlines     []Deadline
	// Notices names the channel that gets the bot's notices to its admins
	// (a feed failing again and again, a channel refusing messages); ""
	// sends none.
	Notices string
	Lines   Lines // top-level keys

	loc *time.Location
}

// Storage is where feedwatch keeps its state.
type Storage struct {
	Driver string        // DriverSQLite or DriverPostgres
	DSN    string        // a file path for SQLite, a URL or key=value string for PostgreSQL; a secret
	Lease  time.Duration // how long a replica's claim on shared work lasts (PostgreSQL)
	Line   int
	Lines  Lines
}

// Storage drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Server is the HTTP endpoint for chat commands, health and metrics.
type Server struct {
	Listen string // host:port; "" serves nothing
	Line   int
	Lines  Lines
}

// Fetch tunes feed fetching.
type Fetch struct {
	Timeout      time.Duration // per request
	MaxBody      int64         // bytes; a larger response fails the poll
	Concurrency  int           // feeds fetched at once
	UserAgent    string
	AllowPrivate bool // allow loopback, private, link-local and metadata addresses
	Line         int
	Lines        Lines
}

// Slack is the Slack app. Token, SigningSecret and AppToken are secrets.
type Slack struct {
	Token         string
	SigningSecret string
	AppToken      string // Socket Mode, optional
	Command       string // slash command, starting with "/"
	APIURL        string // always ends with "/", as slack-go expects
	Line          int
	Lines         Lines
}

// Enabled reports whether a Slack bot token is configured.
func (s Slack) Enabled() bool { return s.Token != "" }

// Discord is the Discord application. Token is a secret.
type Discord struct {
	Token         string
	ApplicationID string
	PublicKey     string // hex Ed25519 key of the interactions endpoint
	APIURL        string // without a trailing "/"
	Line          int
	Lines         Lines
}

// Enabled reports whether a Discord bot token is configured.
func (d Discord) Enabled() bool { return d.Token != "" }

// Admins are the people allowed to change topics, feeds, mutes and deadlines
// from chat.
type Admins struct {
	Slack   []string // Slack user ids
	Discord []string // Discord user or role ids
	Line    int
	Lines   Lines
}

// Defaults apply to feeds that do not say otherwise.
type Defaults struct {
	Schedule string
	MaxAge   time.Duration
	Line     int
	Lines    Lines
}

// Feed is a configured feed with the defaults already applied.
type Feed struct {
	Name     string
	URL      string
	Schedule string        // the feed's own schedule, else defaults.schedule
	MaxAge   time.Duration // the feed's own max_age, else defaults.max_age; 0 = no limit
	Line     int           // the entry
	Lines    Lines
}

// Topic is a configured watched query.
type Topic struct {
	Name  string
	Query string
	Line  int
	Lines Lines
}

// Channel kinds, as returned by Channel.Kind.
const (
	KindSlack          = "slack"
	KindDiscord        = "discord"
	KindSlackWebhook   = "slack_webhook"
	KindDiscordWebhook = "discord_webhook"
	KindConsole        = "console"
)

// Channel is a named destination; exactly one of its destination fields is
// set. Webhook URLs are secrets.
type Channel struct {
	Name           string
	Slack          string // Slack channel id
	Discord        string // Discord channel id
	SlackWebhook   string
	DiscordWebhook string
	Console        bool
	Line           int
	Lines          Lines
}

// Kind says which destination the channel names: KindSlack, KindDiscord,
// KindSlackWebhook, KindDiscordWebhook or KindConsole.
func (c Channel) Kind() string {
	switch {
	case c.Slack != "":
		return KindSlack
	case c.Discord != "":
		return KindDiscord
	case c.SlackWebhook != "":
		return KindSlackWebhook
	case c.DiscordWebhook != "":
		return KindDiscordWebhook
	default:
		return KindConsole
	}
}

// Target is the channel id or webhook URL the channel posts to ("" for the
// console). A webhook URL is a secret: never log it.
func (c Channel) Target() string {
	switch c.Kind() {
	case KindSlack:
		return c.Slack
	case KindDiscord:
		return c.Discord
	case KindSlackWebhook:
		return c.SlackWebhook
	case KindDiscordWebhook:
		return c.DiscordWebhook
	default:
		return ""
	}
}

// Subscription routes matches of topics to a channel.
type Subscription struct {
	Channel  string
	Topics   []string // empty = every topic
	Mode     news.Mode
	Schedule string // digest only
	Line     int
	Lines    Lines
}

// Countdown styles of a deadline.
const (
	CountdownPosts  = "posts"  // a message per reminder
	CountdownPinned = "pinned" // one message edited in place
)

// Deadline is a tracked deadline.
type Deadline struct {
	Name  string
	Title string // the name when not written
	Due   time.Time
	// Query is the query items concerning the deadline must match; when the
	// config wrote `topic: NAME`, it is that topic's query and TopicRef is NAME.
	Query     string
	TopicRef  string
	Remind    []time.Duration // before Due, longest first, no repeats; 0 = at Due
	Channels  []string
	Countdown string // CountdownPosts or CountdownPinned
	Mention   Mention
	Line      int
	Lines     Lines
}

// Mention is who a deadline's reminders ping.
type Mention struct {
	Within    time.Duration // ping only in reminders at most this long before due
	WithinSet bool          // false: every reminder pings
	Slack     []string      // Slack user or user-group ids
	Discord   []string      // Discord user or role ids
	Line      int
	Lines     Lines
}

// Any reports whether anyone is to be pinged at all.
func (m Mention) Any() bool { return len(m.Slack)+len(m.Discord) > 0 }

// Applies reports whether a reminder sent `before` ahead of the due time
// should carry the mentions.
func (m Mention) Applies(before time.Duration) bool {
	return m.Any() && (!m.WithinSet || before <= m.Within)
}

// Load reads and validates the configuration file at path. An invalid file
// yields a Problems error listing everything wrong; an unreadable one a plain
// wrapped error.
func Load(path string, opts Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return LoadBytes(path, data, opts)
}

// LoadBytes validates a configuration held in memory; name is what problems
// are reported against.
func LoadBytes(name string, data []byte, opts Options) (*Config, error) {
	d := newDecoder(name, opts)
	cfg := d.load(data)
	if len(d.problems) > 0 {
		d.problems.sort()
		return nil, d.problems
	}
	return cfg, nil
}

// IsProblems reports whether err carries configuration problems, and returns them.
func IsProblems(err error) (Problems, bool) {
	var ps Problems
	ok := errors.As(err, &ps)
	return ps, ok
}

// Location is the configured time zone, in which schedules run and local
// deadline times are read.
func (c *Config) Location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// NewsFeeds returns the feeds as domain feeds, defaults applied.
func (c *Config) NewsFeeds() []news.Feed {
	out := make([]news.Feed, len(c.Feeds))
	for i, f := range c.Feeds {
		out[i] = news.Feed{Name: f.Name, URL: f.URL, Schedule: f.Schedule, MaxAge: f.MaxAge, Source: news.SourceConfig}
	}
	return out
}

// NewsTopics returns the topics as domain topics.
func (c *Config) NewsTopics() []news.Topic {
	out := make([]news.Topic, len(c.Topics))
	for i, t := range c.Topics {
		out[i] = news.Topic{Name: t.Name, Query: t.Query, Source: news.SourceConfig}
	}
	return out
}

// NewsSubscriptions returns the subscriptions as domain subscriptions.
func (c *Config) NewsSubscriptions() []news.Subscription {
	out := make([]news.Subscription, len(c.Subscriptions))
	for i, s := range c.Subscriptions {
		out[i] = news.Subscription{Channel: s.Channel, Topics: append([]string(nil), s.Topics...), Mode: s.Mode, Schedule: s.Schedule}
	}
	return out
}

// NewsDeadlines returns the deadlines as domain deadlines.
func (c *Config) NewsDeadlines() []news.Deadline {
	out := make([]news.Deadline, len(c.Deadlines))
	for i, d := range c.Deadlines {
		out[i] = news.Deadline{
			Name: d.Name, Title: d.Title, Due: d.Due, Query: d.Query,
			Remind:    append([]time.Duration(nil), d.Remind...),
			Channels:  append([]string(nil), d.Channels...),
			Countdown: d.Countdown,
			Mention: news.Mention{
				Within: d.Mention.Within, Set: d.Mention.WithinSet,
				Slack: append([]string(nil), d.Mention.Slack...), Discord: append([]string(nil), d.Mention.Discord...),
			},
			Source: news.SourceConfig,
		}
	}
	return out
}

// Channel finds a channel by name.
func (c *Config) Channel(name string) (Channel, bool) {
	for _, ch := range c.Channels {
		if ch.Name == name {
			return ch, true
		}
	}
	return Channel{}, false
}

// Deadline finds a deadline by name.
func (c *Config) Deadline(name string) (Deadline, bool) {
	for _, dl := range c.Deadlines {
		if dl.Name == name {
			return dl, true
		}
	}
	return Deadline{}, false
}
