package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
	"gopkg.in/yaml.v3"
)

// Defaults of values the file may leave out.
const (
	DefaultTimezone      = "UTC"
	DefaultDSN           = "feedwatch.db"
	DefaultLease         = 30 * time.Second
	DefaultFetchTimeout  = 20 * time.Second
	DefaultMaxBody       = 10 << 20
	DefaultConcurrency   = 16
	DefaultSlackCommand  = "/feedwatch"
	DefaultSlackAPIURL   = "https://slack.com/api/"
	DefaultDiscordAPIURL = "https://discord.com/api/v10"
	DefaultSchedule      = "@every 10m"
	DefaultMaxAge        = 48 * time.Hour
	DefaultCountdown     = CountdownPosts
)

const (
	defaultUserAgentURL   = "https://github.com/feedwatch/feedwatch"
	defaultVersion        = "dev"
	destinationKeysString = "slack, discord, slack_webhook, discord_webhook or console"
)

// DefaultRemind returns when a deadline reminds when nothing else is said
// (7d, 1d, 1h and at the deadline), longest first; chat's `deadline add` uses
// it too. It is a fresh slice each time, so callers may keep and change it.
func DefaultRemind() []time.Duration {
	return []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, 0}
}

// DefaultUserAgent is the User-Agent feeds are fetched with unless configured.
func DefaultUserAgent(version string) string {
	if version == "" {
		version = defaultVersion
	}
	return "feedwatch/" + version + " (+" + defaultUserAgentURL + ")"
}

// defaultConfig is the configuration of an empty file.
func defaultConfig(file, version string) *Config {
	return &Config{
		File:     file,
		Timezone: DefaultTimezone,
		Storage:  Storage{Driver: DriverSQLite, DSN: DefaultDSN, Lease: DefaultLease, Lines: Lines{}},
		Server:   Server{Lines: Lines{}},
		Fetch: Fetch{Timeout: DefaultFetchTimeout, MaxBody: DefaultMaxBody, Concurrency: DefaultConcurrency,
			UserAgent: DefaultUserAgent(version), Lines: Lines{}},
		Slack:    Slack{Command: DefaultSlackCommand, APIURL: DefaultSlackAPIURL, Lines: Lines{}},
		Discord:  Discord{APIURL: DefaultDiscordAPIURL, Lines: Lines{}},
		Admins:   Admins{Lines: Lines{}},
		Defaults: Defaults{Schedule: DefaultSchedule, MaxAge: DefaultMaxAge, Lines: Lines{}},
		Lines:    Lines{},
		loc:      time.UTC,
	}
}

// topKeys are the top-level keys, in the order they are processed: what
// others refer to comes first (the zone before schedules, the chat sections
// before channels, topics and channels before subscriptions and deadlines),
// whatever the order in the file.
var topKeys = []string{"timezone", "storage", "server", "fetch", "slack", "discord", "admins",
	"defaults", "feeds", "topics", "channels", "notices", "subscriptions", "deadlines"}

// load decodes and validates data into a configuration.
func (d *decoder) load(data []byte) *Config {
	cfg := defaultConfig(d.file, d.opts.Version)
	root := d.parse(data)
	if root == nil {
		return cfg
	}
	nodes := map[string]*yaml.Node{}
	hs := handlers{}
	for _, k := range topKeys {
		hs[k] = func(v *yaml.Node) { nodes[k] = v }
	}
	lines, ok := d.mapping(root, "", hs)
	if !ok {
		return cfg
	}
	cfg.Lines = lines
	sections := map[string]func(*Config, *yaml.Node){
		"timezone": d.timezone, "storage": d.storage, "server": d.server, "fetch": d.fetch,
		"slack": d.slack, "discord": d.discord, "admins": d.admins, "defaults": d.defaults,
		"feeds": d.feeds, "topics": d.topics, "channels": d.channels, "notices": d.notices,
		"subscriptions": d.subscriptions, "deadlines": d.deadlines,
	}
	for _, k := range topKeys {
		sections[k](cfg, nodes[k])
	}
	return cfg
}

// --- value readers -------------------------------------------------------

// text reads a single value that must not be empty.
func (d *decoder) text(v *yaml.Node, where string) (scalar, bool) {
	s, ok := d.scalar(v, where)
	if ok && strings.TrimSpace(s.val) == "" {
		d.problem(s.line, "%smust not be empty", prefix(where))
		return s, false
	}
	return s, ok
}

// setText is a handler storing a non-empty value in dst.
func (d *decoder) setText(where string, dst *string) func(*yaml.Node) {
	return func(v *yaml.Node) {
		if s, ok := d.text(v, where); ok {
			*dst = s.val
		}
	}
}

// setSecret is a handler storing a secret in dst. Empty is allowed (an unset
// feature), and nothing about the value is ever reported.
func (d *decoder) setSecret(where string, dst *string) func(*yaml.Node) {
	return func(v *yaml.Node) {
		if s, ok := d.scalar(v, where); ok {
			*dst = strings.TrimSpace(s.val)
		}
	}
}

// duration reads a duration.
func (d *decoder) duration(v *yaml.Node, where string) (time.Duration, scalar, bool) {
	s, ok := d.scalar(v, where)
	if !ok {
		return 0, s, false
	}
	dur, err := ParseDuration(s.val)
	if err != nil {
		d.problem(s.line, "%sinvalid duration %s%s", prefix(where), s.quoted(), s.detail(err))
		return 0, s, false
	}
	return dur, s, true
}

// setDuration is a handler storing a duration that must be positive, or
// non-negative when zero is allowed.
func (d *decoder) setDuration(where string, dst *time.Duration, zeroOK bool) func(*yaml.Node) {
	return func(v *yaml.Node) {
		dur, s, ok := d.duration(v, where)
		switch {
		case !ok:
		case dur < 0 || dur == 0 && !zeroOK:
			if zeroOK {
				d.problem(s.line, "%smust not be negative", prefix(where))
			} else {
				d.problem(s.line, "%smust be positive", prefix(where))
			}
		default:
			*dst = dur
		}
	}
}

// boolean reads true or false. YAML 1.1's yes/no/on/off are refused rather
// than guessed at.
func (d *decoder) boolean(v *yaml.Node, where string) (value, ok bool) {
	s, ok := d.scalar(v, where)
	if !ok {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(s.val)) {
	case "true":
		return true, true
	case "false":
		return false, true
	default:
		d.problem(s.line, "%smust be true or false, found %s", prefix(where), s.quoted())
		return false, false
	}
}

// setBool is a handler storing true or false.
func (d *decoder) setBool(where string, dst *bool) func(*yaml.Node) {
	return func(v *yaml.Node) {
		if b, ok := d.boolean(v, where); ok {
			*dst = b
		}
	}
}

// schedule reads a schedule in loc.
func (d *decoder) schedule(v *yaml.Node, where string, loc *time.Location) (string, bool) {
	s, ok := d.scalar(v, where)
	if !ok {
		return "", false
	}
	spec := strings.TrimSpace(s.val)
	if _, err := ParseSchedule(spec, loc); err != nil {
		d.problem(s.line, "%sinvalid schedule %s%s", prefix(where), s.quoted(), s.detail(err))
		return "", false
	}
	return spec, true
}

// strs reads a list of non-empty values, each checked by valid (nil: any)
// with what naming the expected form.
func (d *decoder) strs(v *yaml.Node, where string, valid func(string) bool, what string) []string {
	items, _ := d.list(v, where)
	out := make([]string, 0, len(items))
	for _, s := range items {
		val := strings.TrimSpace(s.val)
		switch {
		case val == "":
			d.problem(s.line, "%sempty entry", prefix(where))
		case valid != nil && !valid(val):
			d.problem(s.line, "%s%s is not %s", prefix(where), s.quoted(), what)
		default:
			out = append(out, val)
		}
	}
	return out
}

// digitsRE matches a Discord snowflake id.
var digitsRE = regexp.MustCompile(`^[0-9]{1,20}$`)

func isDiscordID(s string) bool { return digitsRE.MatchString(s) }

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// nameRE is the form of feed, topic, channel and deadline names: safe in chat
// commands, queries (feed:NAME) and storage keys.
var nameRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// IsValidName reports whether s can name a feed, topic, channel or deadline;
// chat commands that add them check the same rule.
func IsValidName(s string) bool { return nameRE.MatchString(s) }

// --- entries -------------------------------------------------------------

// entries reads a list of entries (mappings, checked by the caller).
func (d *decoder) entries(v *yaml.Node, where string) []*yaml.Node {
	v = d.resolve(v)
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		d.problem(v.Line, "%s: expected a list, found %s", where, kindName(v))
		return nil
	}
	out := make([]*yaml.Node, 0, len(v.Content))
	for _, item := range v.Content {
		out = append(out, d.resolve(item))
	}
	return out
}

// label names an entry in messages: `feed "bbc"`, or `feed #3` when it has no
// usable name. It uses the name as written, which is safe to show.
func (d *decoder) label(kind string, i int, item *yaml.Node) string {
	if item.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(item.Content); j += 2 {
			if k, v := item.Content[j], d.resolve(item.Content[j+1]); k.Value == "name" && v.Kind == yaml.ScalarNode && v.Value != "" {
				return fmt.Sprintf("%s %q", kind, v.Value)
			}
		}
	}
	return fmt.Sprintf("%s #%d", kind, i+1)
}

// names checks entry names for form and uniqueness within one kind.
type names struct {
	kind string
	seen map[string]int // name → line of the entry that has it
}

func newNames(kind string) *names { return &names{kind: kind, seen: map[string]int{}} }

// has reports whether a name is defined.
func (n *names) has(name string) bool { _, ok := n.seen[name]; return ok }

// list is the defined names, for suggestions.
func (n *names) list() []string {
	out := make([]string, 0, len(n.seen))
	for k := range n.seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// setName is a handler storing an entry's name after checking it.
func (d *decoder) setName(ns *names, label string, dst *string) func(*yaml.Node) {
	return func(v *yaml.Node) {
		s, ok := d.text(v, join(label, "name"))
		if !ok {
			return
		}
		name := s.val
		*dst = name
		switch first, dup := ns.seen[name]; {
		case !nameRE.MatchString(name):
			d.problem(s.line, "%s: name must be lower-case letters, digits and hyphens", label)
		case dup:
			d.problem(s.line, "%s: name already used by the %s at line %d", label, ns.kind, first)
		default:
			ns.seen[name] = s.line
		}
	}
}

// require reports keys an entry must have but does not.
func (d *decoder) require(line int, where string, lines Lines, keys ...string) {
	for _, k := range keys {
		if _, ok := lines[k]; !ok {
			d.problem(line, "%s%s is required", prefix(where), k)
		}
	}
}

// ref checks a reference to a named entry, suggesting a close name.
func (d *decoder) ref(ns *names, s scalar, where string) bool {
	if ns.has(s.val) {
		return true
	}
	d.problem(s.line, "%sunknown %s %s%s", prefix(where), ns.kind, s.quoted(), suggest(s.val, ns.list()))
	return false
}

// refs reads a list of references to named entries, each at most once.
func (d *decoder) refs(v *yaml.Node, ns *names, where string) []string {
	items, _ := d.list(v, where)
	out := make([]string, 0, len(items))
	for _, s := range items {
		switch {
		case !d.ref(ns, s, where):
		case slices.Contains(out, s.val):
			d.problem(s.line, "%s%s %s listed twice", prefix(where), ns.kind, s.quoted())
		default:
			out = append(out, s.val)
		}
	}
	return out
}

// --- sections ------------------------------------------------------------

func (d *decoder) timezone(cfg *Config, v *yaml.Node) {
	if v == nil {
		return
	}
	s, ok := d.scalar(v, "timezone")
	if !ok {
		return
	}
	name := strings.TrimSpace(s.val)
	if name == "" {
		return
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		d.problem(s.line, "timezone: unknown time zone %s (an IANA name such as Europe/Kyiv)", s.quoted())
		return
	}
	cfg.Timezone, cfg.loc = name, loc
}

func (d *decoder) storage(cfg *Config, v *yaml.Node) {
	st := &cfg.Storage
	var driver scalar
	lines, _ := d.mapping(v, "storage", handlers{
		"driver": func(v *yaml.Node) {
			s, ok := d.scalar(v, "storage.driver")
			if !ok {
				return
			}
			driver = s
			switch val := strings.TrimSpace(s.val); val {
			case DriverSQLite, DriverPostgres:
				st.Driver = val
			default:
				d.problem(s.line, "storage.driver: unknown driver %s (sqlite or postgres)%s", s.quoted(),
					suggest(val, []string{DriverSQLite, DriverPostgres}))
			}
		},
		"dsn":   d.setSecret("storage.dsn", &st.DSN),
		"lease": d.setDuration("storage.lease", &st.Lease, false),
	})
	st.Line, st.Lines = cfg.Lines.Of("storage"), lines
	_, dsnWritten := lines["dsn"]
	switch {
	case st.Driver == DriverPostgres && !dsnWritten:
		d.problem(driver.line, "storage.dsn is required for postgres")
	case dsnWritten && st.DSN == "":
		d.problem(lines.Of("dsn"), "storage.dsn: must not be empty")
	}
}

func (d *decoder) server(cfg *Config, v *yaml.Node) {
	sv := &cfg.Server
	lines, _ := d.mapping(v, "server", handlers{
		"listen": func(v *yaml.Node) {
			s, ok := d.scalar(v, "server.listen")
			if !ok {
				return
			}
			val := strings.TrimSpace(s.val)
			if val == "" {
				return // written empty (often ${LISTEN:-}): serve nothing
			}
			if !isHostPort(val) {
				d.problem(s.line, "server.listen: %s is not host:port, as in 127.0.0.1:8080 or :8080", s.quoted())
				return
			}
			sv.Listen = val
		},
	})
	sv.Line, sv.Lines = cfg.Lines.Of("server"), lines
}

// isHostPort accepts "host:port", "[::1]:port" and ":port" with a numeric port.
func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

func (d *decoder) fetch(cfg *Config, v *yaml.Node) {
	f := &cfg.Fetch
	lines, _ := d.mapping(v, "fetch", handlers{
		"timeout": d.setDuration("fetch.timeout", &f.Timeout, false),
		"max_body": func(v *yaml.Node) {
			s, ok := d.scalar(v, "fetch.max_body")
			if !ok {
				return
			}
			n, err := ParseSize(s.val)
			switch {
			case err != nil:
				d.problem(s.line, "fetch.max_body: invalid size %s%s", s.quoted(), s.detail(err))
			case n <= 0:
				d.problem(s.line, "fetch.max_body: must be positive")
			default:
				f.MaxBody = n
			}
		},
		"concurrency": func(v *yaml.Node) {
			s, ok := d.scalar(v, "fetch.concurrency")
			if !ok {
				return
			}
			n, err := strconv.Atoi(strings.TrimSpace(s.val))
			if err != nil || n <= 0 {
				d.problem(s.line, "fetch.concurrency: must be a positive whole number, found %s", s.quoted())
				return
			}
			f.Concurrency = n
		},
		"user_agent":    d.setText("fetch.user_agent", &f.UserAgent),
		"allow_private": d.setBool("fetch.allow_private", &f.AllowPrivate),
	})
	f.Line, f.Lines = cfg.Lines.Of("fetch"), lines
}

// setAPIURL is a handler storing an API base URL; trailingSlash says how the
// client library wants it, so that either spelling in the file works.
func (d *decoder) setAPIURL(where string, dst *string, trailingSlash bool) func(*yaml.Node) {
	return func(v *yaml.Node) {
		s, ok := d.text(v, where)
		if !ok {
			return
		}
		u := strings.TrimRight(strings.TrimSpace(s.val), "/")
		if !isHTTPURL(u) {
			d.problem(s.line, "%s: must be an absolute http or https URL", where)
			return
		}
		if trailingSlash {
			u += "/"
		}
		*dst = u
	}
}

func (d *decoder) slack(cfg *Config, v *yaml.Node) {
	sl := &cfg.Slack
	lines, _ := d.mapping(v, "slack", handlers{
		"token":          d.setSecret("slack.token", &sl.Token),
		"signing_secret": d.setSecret("slack.signing_secret", &sl.SigningSecret),
		"app_token":      d.setSecret("slack.app_token", &sl.AppToken),
		"command": func(v *yaml.Node) {
			s, ok := d.text(v, "slack.command")
			if !ok {
				return
			}
			cmd := strings.TrimSpace(s.val)
			if !strings.HasPrefix(cmd, "/") || len(cmd) < 2 || strings.ContainsAny(cmd, " \t") {
				d.problem(s.line, "slack.command: must be a slash command such as /feedwatch, found %s", s.quoted())
				return
			}
			sl.Command = cmd
		},
		"api_url": d.setAPIURL("slack.api_url", &sl.APIURL, true),
	})
	sl.Line, sl.Lines = cfg.Lines.Of("slack"), lines
	if sl.AppToken != "" && sl.Token == "" {
		d.problem(lines.Of("app_token"), "slack.app_token: Socket Mode also needs slack.token")
	}
}

func (d *decoder) discord(cfg *Config, v *yaml.Node) {
	dc := &cfg.Discord
	lines, _ := d.mapping(v, "discord", handlers{
		"token": d.setSecret("discord.token", &dc.Token),
		"application_id": func(v *yaml.Node) {
			s, ok := d.text(v, "discord.application_id")
			if !ok {
				return
			}
			id := strings.TrimSpace(s.val)
			if !isDiscordID(id) {
				d.problem(s.line, "discord.application_id: must be a Discord id (digits)")
				return
			}
			dc.ApplicationID = id
		},
		"public_key": func(v *yaml.Node) {
			s, ok := d.scalar(v, "discord.public_key")
			if !ok {
				return
			}
			key := strings.TrimSpace(s.val)
			if b, err := hex.DecodeString(key); key != "" && (err != nil || len(b) != 32) {
				d.problem(s.line, "discord.public_key: must be 64 hexadecimal characters (the application's Ed25519 public key)")
				return
			}
			dc.PublicKey = key
		},
		"api_url": d.setAPIURL("discord.api_url", &dc.APIURL, false),
	})
	dc.Line, dc.Lines = cfg.Lines.Of("discord"), lines
}

func (d *decoder) admins(cfg *Config, v *yaml.Node) {
	a := &cfg.Admins
	lines, _ := d.mapping(v, "admins", handlers{
		"slack":   func(v *yaml.Node) { a.Slack = d.strs(v, "admins.slack", nil, "") },
		"discord": func(v *yaml.Node) { a.Discord = d.strs(v, "admins.discord", isDiscordID, "a Discord id (digits)") },
	})
	a.Line, a.Lines = cfg.Lines.Of("admins"), lines
}

func (d *decoder) defaults(cfg *Config, v *yaml.Node) {
	df := &cfg.Defaults
	lines, _ := d.mapping(v, "defaults", handlers{
		"schedule": func(v *yaml.Node) {
			if spec, ok := d.schedule(v, "defaults.schedule", cfg.Location()); ok {
				df.Schedule = spec
			}
		},
		"max_age": d.setDuration("defaults.max_age", &df.MaxAge, true),
	})
	df.Line, df.Lines = cfg.Lines.Of("defaults"), lines
}

func (d *decoder) feeds(cfg *Config, v *yaml.Node) {
	ns := newNames("feed")
	for i, item := range d.entries(v, "feeds") {
		label := d.label("feed", i, item)
		f := Feed{Schedule: cfg.Defaults.Schedule, MaxAge: cfg.Defaults.MaxAge, Line: item.Line}
		lines, ok := d.mapping(item, label, handlers{
			"name": d.setName(ns, label, &f.Name),
			"url": func(v *yaml.Node) {
				s, ok := d.text(v, join(label, "url"))
				if !ok {
					return
				}
				f.URL = strings.TrimSpace(s.val)
				if !isHTTPURL(f.URL) {
					d.problem(s.line, "%s: url: %s is not an absolute http or https URL", label, s.quoted())
				}
			},
			"schedule": func(v *yaml.Node) {
				if spec, ok := d.schedule(v, join(label, "schedule"), cfg.Location()); ok {
					f.Schedule = spec
				}
			},
			"max_age": d.setDuration(join(label, "max_age"), &f.MaxAge, true),
		})
		if !ok {
			continue
		}
		f.Lines = lines
		d.require(item.Line, label, lines, "name", "url")
		cfg.Feeds = append(cfg.Feeds, f)
	}
}

func (d *decoder) topics(cfg *Config, v *yaml.Node) {
	for i, item := range d.entries(v, "topics") {
		label := d.label("topic", i, item)
		t := Topic{Line: item.Line}
		lines, ok := d.mapping(item, label, handlers{
			"name": d.setName(d.topicNames(), label, &t.Name),
			"query": func(v *yaml.Node) {
				if s, ok := d.text(v, join(label, "query")); ok {
					t.Query, _ = d.checkQuery(s, label)
				}
			},
		})
		if !ok {
			continue
		}
		t.Lines = lines
		d.require(item.Line, label, lines, "name", "query")
		cfg.Topics = append(cfg.Topics, t)
	}
}

// checkQuery checks a query with Options.CheckQuery. The parser's message
// points at a column of the expanded query, so it is left out when the query
// came from the environment.
func (d *decoder) checkQuery(s scalar, label string) (string, bool) {
	q := strings.TrimSpace(s.val)
	if d.opts.CheckQuery != nil {
		if err := d.opts.CheckQuery(q); err != nil {
			if s.fromEnv {
				d.problem(s.line, "%s: query: invalid query %s", label, s.quoted())
			} else {
				d.problem(s.line, "%s: query: %v", label, err)
			}
			return "", false
		}
	}
	return q, true
}

// topicNames are the topic names defined; created on first use, shared by
// the topics section and the references to it.
func (d *decoder) topicNames() *names {
	if d.topicSet == nil {
		d.topicSet = newNames("topic")
	}
	return d.topicSet
}

// channelNames are the channel names defined, like topicNames.
func (d *decoder) channelNames() *names {
	if d.channelSet == nil {
		d.channelSet = newNames("channel")
	}
	return d.channelSet
}

// destinationKeys are the keys of a channel that name where it posts.
var destinationKeys = []string{KindSlack, KindDiscord, KindSlackWebhook, KindDiscordWebhook, KindConsole}

func (d *decoder) channels(cfg *Config, v *yaml.Node) {
	for i, item := range d.entries(v, "channels") {
		label := d.label("channel", i, item)
		c := Channel{Line: item.Line}
		consoleOff := false // console: false names no destination
		webhook := func(key string, dst *string) func(*yaml.Node) {
			return func(v *yaml.Node) {
				s, ok := d.text(v, join(label, key))
				if !ok {
					return
				}
				*dst = strings.TrimSpace(s.val)
				if !isHTTPURL(*dst) {
					// Never quoted: a webhook URL is a secret.
					d.problem(s.line, "%s: %s: must be an absolute http or https URL", label, key)
				}
			}
		}
		lines, ok := d.mapping(item, label, handlers{
			"name":  d.setName(d.channelNames(), label, &c.Name),
			"slack": d.setText(join(label, "slack"), &c.Slack),
			"discord": func(v *yaml.Node) {
				s, ok := d.text(v, join(label, "discord"))
				if !ok {
					return
				}
				c.Discord = strings.TrimSpace(s.val)
				if !isDiscordID(c.Discord) {
					d.problem(s.line, "%s: discord: %s is not a Discord channel id (digits)", label, s.quoted())
				}
			},
			"slack_webhook":   webhook(KindSlackWebhook, &c.SlackWebhook),
			"discord_webhook": webhook(KindDiscordWebhook, &c.DiscordWebhook),
			"console": func(v *yaml.Node) {
				b, ok := d.boolean(v, join(label, "console"))
				c.Console, consoleOff = b, ok && !b
			},
		})
		if !ok {
			continue
		}
		c.Lines = lines
		d.require(item.Line, label, lines, "name")
		var dests []string
		for _, k := range destinationKeys {
			if _, written := lines[k]; written && (k != KindConsole || !consoleOff) {
				dests = append(dests, k)
			}
		}
		switch {
		case len(dests) == 0:
			d.problem(item.Line, "%s: names no destination (one of %s)", label, destinationKeysString)
		case len(dests) > 1:
			d.problem(item.Line, "%s: names several destinations (%s); a channel names exactly one", label, strings.Join(dests, ", "))
		case dests[0] == KindSlack && !cfg.Slack.Enabled() && !d.unsetLines[cfg.Slack.Lines.Of("token")]:
			d.problem(lines.Of(KindSlack), "%s: slack: a Slack channel needs slack.token", label)
		case dests[0] == KindDiscord && !cfg.Discord.Enabled() && !d.unsetLines[cfg.Discord.Lines.Of("token")]:
			d.problem(lines.Of(KindDiscord), "%s: discord: a Discord channel needs discord.token", label)
		}
		cfg.Channels = append(cfg.Channels, c)
	}
}

// notices reads the channel that gets the bot's notices to its admins (a
// feed failing for a while, a channel refusing messages), checked like a
// subscription's channel. Empty (`${NOTICES:-}`) sends none.
func (d *decoder) notices(cfg *Config, v *yaml.Node) {
	if v == nil {
		return
	}
	sc, ok := d.scalar(v, "notices")
	if !ok {
		return
	}
	sc.val = strings.TrimSpace(sc.val)
	if sc.val != "" && d.ref(d.channelNames(), sc, "notices") {
		cfg.Notices = sc.val
	}
}

func (d *decoder) subscriptions(cfg *Config, v *yaml.Node) {
	keys := map[string]int{} // news.Subscription.Key → line
	for i, item := range d.entries(v, "subscriptions") {
		label := fmt.Sprintf("subscription #%d", i+1)
		s := Subscription{Mode: news.ModeInstant, Line: item.Line}
		lines, ok := d.mapping(item, label, handlers{
			"channel": func(v *yaml.Node) {
				if sc, ok := d.text(v, join(label, "channel")); ok && d.ref(d.channelNames(), sc, join(label, "channel")) {
					s.Channel = sc.val
				}
			},
			"topics": func(v *yaml.Node) {
				s.Topics = d.refs(v, d.topicNames(), join(label, "topics"))
				if n := d.resolve(v); n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
					d.problem(n.Line, "%s: topics: empty list; leave topics out to follow every topic", label)
				}
			},
			"mode": func(v *yaml.Node) {
				sc, ok := d.scalar(v, join(label, "mode"))
				if !ok {
					return
				}
				switch m := news.Mode(strings.TrimSpace(sc.val)); m {
				case news.ModeInstant, news.ModeDigest:
					s.Mode = m
				default:
					d.problem(sc.line, "%s: mode: must be instant or digest, found %s%s", label, sc.quoted(),
						suggest(string(m), []string{string(news.ModeInstant), string(news.ModeDigest)}))
				}
			},
			"schedule": func(v *yaml.Node) {
				if spec, ok := d.schedule(v, join(label, "schedule"), cfg.Location()); ok {
					s.Schedule = spec
				}
			},
		})
		if !ok {
			continue
		}
		s.Lines = lines
		d.require(item.Line, label, lines, "channel")
		_, hasSchedule := lines["schedule"]
		switch {
		case s.Mode == news.ModeDigest && !hasSchedule:
			d.problem(item.Line, "%s: schedule is required for a digest", label)
		case s.Mode == news.ModeInstant && hasSchedule:
			d.problem(lines.Of("schedule"), "%s: schedule: an instant subscription has no schedule (mode: digest?)", label)
		}
		if s.Channel != "" {
			key := news.Subscription{Channel: s.Channel, Topics: s.Topics, Mode: s.Mode}.Key()
			if first, dup := keys[key]; dup {
				d.problem(item.Line, "%s: same channel, mode and topics as the subscription at line %d", label, first)
			} else {
				keys[key] = item.Line
			}
		}
		cfg.Subscriptions = append(cfg.Subscriptions, s)
	}
}

// topicRefRE matches a deadline query that names a topic instead of writing
// a query: `topic: NAME`.
var topicRefRE = regexp.MustCompile(`^topic:\s*(.*)$`)

func (d *decoder) deadlines(cfg *Config, v *yaml.Node) {
	ns := newNames("deadline")
	for i, item := range d.entries(v, "deadlines") {
		label := d.label("deadline", i, item)
		dl := Deadline{Remind: DefaultRemind(), Countdown: DefaultCountdown, Line: item.Line}
		lines, ok := d.mapping(item, label, handlers{
			"name":  d.setName(ns, label, &dl.Name),
			"title": d.setText(join(label, "title"), &dl.Title),
			"due": func(v *yaml.Node) {
				s, ok := d.text(v, join(label, "due"))
				if !ok {
					return
				}
				t, err := ParseDue(s.val, cfg.Location())
				if err != nil {
					d.problem(s.line, "%s: due: invalid time %s%s", label, s.quoted(), s.detail(err))
					return
				}
				dl.Due = t
			},
			"query": func(v *yaml.Node) { d.deadlineQuery(cfg, v, label, &dl) },
			"remind": func(v *yaml.Node) {
				items, _ := d.list(v, join(label, "remind"))
				dl.Remind = dl.Remind[:0]
				for _, s := range items {
					dur, err := ParseDuration(s.val)
					switch {
					case err != nil:
						d.problem(s.line, "%s: remind: invalid duration %s%s", label, s.quoted(), s.detail(err))
					case dur < 0:
						d.problem(s.line, "%s: remind: %s is negative; reminders are given before the deadline", label, s.quoted())
					case !slices.Contains(dl.Remind, dur):
						dl.Remind = append(dl.Remind, dur)
					}
				}
				slices.Sort(dl.Remind)
				slices.Reverse(dl.Remind)
			},
			"channels": func(v *yaml.Node) { dl.Channels = d.refs(v, d.channelNames(), join(label, "channels")) },
			"countdown": func(v *yaml.Node) {
				s, ok := d.scalar(v, join(label, "countdown"))
				if !ok {
					return
				}
				switch c := strings.TrimSpace(s.val); c {
				case CountdownPosts, CountdownPinned:
					dl.Countdown = c
				default:
					d.problem(s.line, "%s: countdown: must be posts or pinned, found %s%s", label, s.quoted(),
						suggest(c, []string{CountdownPosts, CountdownPinned}))
				}
			},
			"mention": func(v *yaml.Node) { dl.Mention = d.mention(v, join(label, "mention")) },
		})
		if !ok {
			continue
		}
		dl.Lines = lines
		d.require(item.Line, label, lines, "name", "due", "query")
		if dl.Title == "" {
			dl.Title = dl.Name
		}
		if _, written := lines["channels"]; !written && len(dl.Remind) > 0 {
			d.problem(item.Line, "%s: channels is required (where reminders go)", label)
		}
		cfg.Deadlines = append(cfg.Deadlines, dl)
	}
}

// deadlineQuery reads a deadline's query: a query of its own, or `topic:
// NAME` borrowing a topic's.
func (d *decoder) deadlineQuery(cfg *Config, v *yaml.Node, label string, dl *Deadline) {
	n := d.resolve(v)
	if n.Kind == yaml.MappingNode {
		// The reference written as a nested mapping ({topic: NAME}) means the
		// same thing; accept it rather than fail on the shape.
		lines, ok := d.mapping(n, join(label, "query"), handlers{
			"topic": func(v *yaml.Node) {
				if s, ok := d.text(v, join(label, "query.topic")); ok {
					d.topicRef(cfg, s, label, dl)
				}
			},
		})
		if _, written := lines["topic"]; ok && !written {
			d.problem(n.Line, "%s: query: expected a query or topic: NAME", label)
		}
		return
	}
	s, ok := d.text(n, join(label, "query"))
	if !ok {
		return
	}
	if m := topicRefRE.FindStringSubmatch(strings.TrimSpace(s.val)); m != nil {
		d.topicRef(cfg, scalar{raw: s.raw, val: strings.TrimSpace(m[1]), line: s.line, fromEnv: s.fromEnv}, label, dl)
		return
	}
	dl.Query, _ = d.checkQuery(s, label)
}

// topicRef resolves a deadline's `topic: NAME` query.
func (d *decoder) topicRef(cfg *Config, s scalar, label string, dl *Deadline) {
	ns := d.topicNames()
	if !ns.has(s.val) {
		shown := strconv.Quote(s.val)
		if s.fromEnv {
			shown = s.quoted()
		}
		d.problem(s.line, "%s: query: unknown topic %s%s", label, shown, suggest(s.val, ns.list()))
		return
	}
	dl.TopicRef = s.val
	for _, t := range cfg.Topics {
		if t.Name == s.val {
			dl.Query = t.Query
		}
	}
}

func (d *decoder) mention(v *yaml.Node, where string) Mention {
	m := Mention{Line: d.resolve(v).Line}
	m.Lines, _ = d.mapping(v, where, handlers{
		"within": func(v *yaml.Node) {
			d.setDuration(join(where, "within"), &m.Within, true)(v)
			m.WithinSet = true
		},
		"slack": func(v *yaml.Node) { m.Slack = d.strs(v, join(where, "slack"), nil, "") },
		"discord": func(v *yaml.Node) {
			m.Discord = d.strs(v, join(where, "discord"), isDiscordID, "a Discord id (digits)")
		},
	})
	return m
}
