package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// testPublicKey is a well-formed (hex, 32 bytes) Discord public key.
const testPublicKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// env returns a Getenv over a fixed map, so tests never read the process
// environment.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// fakeCheckQuery stands in for the query parser: it rejects an unbalanced
// "(" the way the real one does ("column N: ..."), and echoes the query as a
// parser error might, so that tests can prove env values are not shown.
func fakeCheckQuery(q string) error {
	if i := strings.IndexByte(q, '('); i >= 0 && !strings.Contains(q[i:], ")") {
		return fmt.Errorf("column %d: unclosed ( in %q", i+1, q)
	}
	return nil
}

// load parses a test document named test.yaml.
func load(t *testing.T, doc string, vars map[string]string) (*Config, error) {
	t.Helper()
	return LoadBytes("test.yaml", []byte(doc), Options{Getenv: env(vars), CheckQuery: fakeCheckQuery, Version: "1.2.3"})
}

// problems returns the problems of an invalid document as strings.
func problems(t *testing.T, err error) []string {
	t.Helper()
	ps, ok := IsProblems(err)
	if !ok {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

var exampleEnv = map[string]string{
	"SLACK_BOT_TOKEN":      "xoxb-test-token",
	"SLACK_SIGNING_SECRET": "signing-secret",
	"DISCORD_BOT_TOKEN":    "discord-token",
	"DISCORD_PUBLIC_KEY":   testPublicKey,
}

func TestLoadExample(t *testing.T) {
	cfg, err := Load("example.yaml", Options{Getenv: env(exampleEnv), CheckQuery: fakeCheckQuery, Version: "1.2.3"})
	if err != nil {
		t.Fatalf("example.yaml: %v", err)
	}
	if got := cfg.Location().String(); got != "Europe/Kyiv" {
		t.Errorf("Location = %s; want Europe/Kyiv", got)
	}
	if cfg.Slack.Token != "xoxb-test-token" || cfg.Slack.AppToken != "" || !cfg.Slack.Enabled() || !cfg.Discord.Enabled() {
		t.Errorf("Slack = %+v, Discord enabled %v; want tokens expanded and no app token", cfg.Slack, cfg.Discord.Enabled())
	}
	if cfg.Server.Listen != "127.0.0.1:8080" || cfg.Storage.DSN != "feedwatch.db" {
		t.Errorf("listen %q, dsn %q", cfg.Server.Listen, cfg.Storage.DSN)
	}
	if cfg.Fetch.UserAgent != "feedwatch/1.2.3 (+https://github.com/feedwatch/feedwatch)" || cfg.Fetch.Concurrency != 8 {
		t.Errorf("Fetch = %+v", cfg.Fetch)
	}
	feeds := cfg.NewsFeeds()
	wantFeeds := []news.Feed{
		{Name: "kyiv-independent", URL: "https://kyivindependent.com/feed/", Schedule: "*/5 * * * *", MaxAge: 48 * time.Hour, Source: news.SourceConfig},
		{Name: "bbc-world", URL: "https://feeds.bbci.co.uk/news/world/rss.xml", Schedule: "@every 10m", MaxAge: 48 * time.Hour, Source: news.SourceConfig},
		{Name: "guardian-ukraine", URL: "https://www.theguardian.com/world/ukraine/rss", Schedule: "@every 10m", MaxAge: 48 * time.Hour, Source: news.SourceConfig},
		{Name: "meduza-en", URL: "https://meduza.io/rss/en/all", Schedule: "@every 10m", MaxAge: 48 * time.Hour, Source: news.SourceConfig},
		{Name: "rferl", URL: "https://www.rferl.org/api/epiqq", Schedule: "@every 15m", MaxAge: 48 * time.Hour, Source: news.SourceConfig},
		{Name: "al-jazeera", URL: "https://www.aljazeera.com/xml/rss/all.xml", Schedule: "@every 10m", MaxAge: 24 * time.Hour, Source: news.SourceConfig},
	}
	if !slices.Equal(feeds, wantFeeds) {
		t.Errorf("NewsFeeds =\n%+v\nwant\n%+v", feeds, wantFeeds)
	}
	if cfg.Feeds[0].Line != 41 || cfg.Feeds[0].Lines.Of("schedule") != 43 {
		t.Errorf("kyiv-independent at line %d, schedule at %d; want 41 and 43", cfg.Feeds[0].Line, cfg.Feeds[0].Lines.Of("schedule"))
	}
	var topics []string
	for _, tp := range cfg.NewsTopics() {
		if tp.Source != news.SourceConfig || tp.Query == "" {
			t.Errorf("topic %+v", tp)
		}
		topics = append(topics, tp.Name)
	}
	if want := []string{"peace-talks", "security-guarantees", "russian-oil-buyers"}; !slices.Equal(topics, want) {
		t.Errorf("topics %v; want %v", topics, want)
	}
	subs := cfg.NewsSubscriptions()
	if len(subs) != 2 || subs[0].Mode != news.ModeInstant || subs[1].Mode != news.ModeDigest || subs[1].Schedule != "0 8 * * 1-5" ||
		!slices.Equal(subs[0].Topics, []string{"peace-talks", "security-guarantees"}) || len(subs[1].Topics) != 0 {
		t.Errorf("subscriptions %+v", subs)
	}
	if ch, ok := cfg.Channel("war-room"); !ok || ch.Kind() != KindDiscord || ch.Target() != "112233445566778899" {
		t.Errorf("Channel(war-room) = %+v, %v", ch, ok)
	}
	if _, ok := cfg.Channel("nowhere"); ok {
		t.Error("Channel(nowhere) found")
	}
	dl, ok := cfg.Deadline("sept-2-ultimatum")
	if !ok {
		t.Fatal("deadline sept-2-ultimatum missing")
	}
	if want := time.Date(2025, 9, 3, 3, 59, 0, 0, time.UTC); !dl.Due.Equal(want) {
		t.Errorf("due %v; want %v", dl.Due, want)
	}
	if !slices.Equal(dl.Remind, DefaultRemind()) || dl.Countdown != CountdownPosts || !slices.Equal(dl.Channels, []string{"newsroom", "war-room"}) {
		t.Errorf("deadline %+v", dl)
	}
	if !dl.Mention.Applies(time.Hour) || dl.Mention.Applies(24*time.Hour) {
		t.Errorf("mention within %v applies wrongly", dl.Mention.Within)
	}
}

func TestLoadDemo(t *testing.T) {
	data, err := os.ReadFile("demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(DemoConfig) {
		t.Fatal("DemoConfig differs from demo.yaml")
	}
	cfg, err := LoadBytes("demo.yaml", DemoConfig, Options{
		Getenv:     env(map[string]string{"FEEDWATCH_DEMO_URL": "http://127.0.0.1:41234"}),
		CheckQuery: fakeCheckQuery,
	})
	if err != nil {
		t.Fatalf("demo.yaml: %v", err)
	}
	if !cfg.Fetch.AllowPrivate || cfg.Storage.Driver != DriverSQLite || cfg.Storage.DSN != "feedwatch-demo.db" {
		t.Errorf("fetch %+v storage %+v", cfg.Fetch, cfg.Storage)
	}
	if cfg.Fetch.UserAgent != "feedwatch/dev (+https://github.com/feedwatch/feedwatch)" {
		t.Errorf("user agent %q", cfg.Fetch.UserAgent)
	}
	for _, f := range cfg.Feeds {
		// The demo's bundled feeds (internal/demo), with the default max_age.
		if !strings.HasPrefix(f.URL, "http://127.0.0.1:41234/") || f.MaxAge != 48*time.Hour {
			t.Errorf("feed %+v", f)
		}
	}
	modes := map[news.Mode]bool{}
	for _, s := range cfg.Subscriptions {
		modes[s.Mode] = true
		if ch, _ := cfg.Channel(s.Channel); ch.Kind() != KindConsole {
			t.Errorf("subscription to %q, kind %q; want the console", s.Channel, ch.Kind())
		}
	}
	if !modes[news.ModeInstant] || !modes[news.ModeDigest] || len(cfg.Deadlines) != 1 {
		t.Errorf("subscriptions %+v deadlines %d", cfg.Subscriptions, len(cfg.Deadlines))
	}
	if _, err := LoadBytes("demo.yaml", DemoConfig, Options{Getenv: env(nil)}); err == nil ||
		!strings.Contains(err.Error(), "environment variable FEEDWATCH_DEMO_URL is not set") {
		t.Errorf("demo without FEEDWATCH_DEMO_URL: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	for _, doc := range []string{"", "# nothing\n", "timezone:\nfetch:\n"} {
		t.Run(fmt.Sprintf("%q", doc), func(t *testing.T) {
			cfg, err := load(t, doc, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := Config{
				File: "test.yaml", Timezone: "UTC",
				Storage:  Storage{Driver: "sqlite", DSN: "feedwatch.db", Lease: 30 * time.Second},
				Fetch:    Fetch{Timeout: 20 * time.Second, MaxBody: 10 << 20, Concurrency: 16, UserAgent: "feedwatch/1.2.3 (+https://github.com/feedwatch/feedwatch)"},
				Slack:    Slack{Command: "/feedwatch", APIURL: "https://slack.com/api/"},
				Discord:  Discord{APIURL: "https://discord.com/api/v10"},
				Defaults: Defaults{Schedule: "@every 10m", MaxAge: 48 * time.Hour},
			}
			got := *cfg
			if got.File != want.File || got.Timezone != want.Timezone || got.Location() != time.UTC ||
				got.Storage.Driver != want.Storage.Driver || got.Storage.DSN != want.Storage.DSN || got.Storage.Lease != want.Storage.Lease ||
				got.Fetch.Timeout != want.Fetch.Timeout || got.Fetch.MaxBody != want.Fetch.MaxBody || got.Fetch.Concurrency != want.Fetch.Concurrency ||
				got.Fetch.UserAgent != want.Fetch.UserAgent || got.Fetch.AllowPrivate ||
				got.Slack.Command != want.Slack.Command || got.Slack.APIURL != want.Slack.APIURL || got.Slack.Enabled() ||
				got.Discord.APIURL != want.Discord.APIURL || got.Discord.Enabled() || got.Server.Listen != "" ||
				got.Defaults.Schedule != want.Defaults.Schedule || got.Defaults.MaxAge != want.Defaults.MaxAge {
				t.Errorf("defaults:\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestResolvedValues(t *testing.T) {
	doc := `
timezone: America/New_York
storage: {driver: postgres, dsn: "postgres://u:p@db/feedwatch", lease: 1m}
fetch: {max_body: 512KB, allow_private: TRUE}
slack: {token: t, api_url: "http://127.0.0.1:9/api"}
discord: {token: t, api_url: "http://127.0.0.1:9/api/v10/"}
defaults: {schedule: "@every 1d", max_age: 7d}
feeds:
  - {name: a, url: "https://a.example/rss"}
  - {name: b, url: "https://b.example/rss", schedule: "0 */2 * * *", max_age: 0}
topics:
  - {name: t1, query: x}
  - {name: t2, query: y}
channels:
  - {name: c, slack: C1}
  - {name: h, slack_webhook: "https://hooks.slack.com/services/T/B/X"}
  - {name: w, discord_webhook: "https://discord.com/api/webhooks/1/x"}
  - {name: out, console: true}
subscriptions:
  - {channel: c, topics: t1}
deadlines:
  - name: d1
    due: "2025-09-02 18:00"
    query: 'topic: t2'
    remind: [1h, 7d, 1h, 0s]
    channels: [c, out]
    countdown: pinned
    mention: {slack: [S1]}
  - name: d2
    title: Second
    due: 2025-09-02
    query:
      topic: t1
    remind: []
`
	cfg, err := load(t, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	ny := cfg.Location()
	if cfg.Storage.Lease != time.Minute || cfg.Fetch.MaxBody != 512_000 || !cfg.Fetch.AllowPrivate {
		t.Errorf("storage %+v fetch %+v", cfg.Storage, cfg.Fetch)
	}
	if cfg.Slack.APIURL != "http://127.0.0.1:9/api/" || cfg.Discord.APIURL != "http://127.0.0.1:9/api/v10" {
		t.Errorf("api urls %q %q", cfg.Slack.APIURL, cfg.Discord.APIURL)
	}
	if f := cfg.Feeds[0]; f.Schedule != "@every 1d" || f.MaxAge != 7*24*time.Hour {
		t.Errorf("feed a %+v; want the defaults", f)
	}
	if f := cfg.Feeds[1]; f.Schedule != "0 */2 * * *" || f.MaxAge != 0 {
		t.Errorf("feed b %+v; want its own schedule and no age limit", f)
	}
	kinds := map[string]string{"c": KindSlack, "h": KindSlackWebhook, "w": KindDiscordWebhook, "out": KindConsole}
	for name, want := range kinds {
		if ch, ok := cfg.Channel(name); !ok || ch.Kind() != want {
			t.Errorf("channel %s kind %q; want %q", name, ch.Kind(), want)
		}
	}
	if ch, _ := cfg.Channel("h"); ch.Target() != "https://hooks.slack.com/services/T/B/X" {
		t.Errorf("webhook target %q", ch.Target())
	}
	if s := cfg.Subscriptions[0]; !slices.Equal(s.Topics, []string{"t1"}) || s.Mode != news.ModeInstant {
		t.Errorf("subscription %+v", s)
	}
	d1, d2 := cfg.Deadlines[0], cfg.Deadlines[1]
	if !d1.Due.Equal(time.Date(2025, 9, 2, 18, 0, 0, 0, ny)) || d1.TopicRef != "t2" || d1.Query != "y" || d1.Title != "d1" ||
		!slices.Equal(d1.Remind, []time.Duration{7 * 24 * time.Hour, time.Hour, 0}) || d1.Countdown != CountdownPinned {
		t.Errorf("d1 %+v", d1)
	}
	if !d1.Mention.Applies(7*24*time.Hour) || !d1.Mention.Any() {
		t.Errorf("d1 mention without within must apply to every reminder: %+v", d1.Mention)
	}
	if !d2.Due.Equal(time.Date(2025, 9, 2, 0, 0, 0, 0, ny)) || d2.TopicRef != "t1" || d2.Query != "x" || d2.Title != "Second" ||
		len(d2.Remind) != 0 || len(d2.Channels) != 0 || d2.Mention.Applies(0) {
		t.Errorf("d2 %+v", d2)
	}
}

// TestProblems holds one test per mistake, each with the exact line
// `feedwatch check` prints.
func TestProblems(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		env  map[string]string
		want string
	}{
		// Keys and YAML.
		{"unknown top-level key", "feed:\n  - name: a\n", nil,
			`test.yaml:1: unknown key "feed" (did you mean "feeds"?)`},
		{"unknown key in an entry", "feeds:\n  - name: a\n    url: https://a.example/\n    shedule: \"@hourly\"\n", nil,
			`test.yaml:4: feed "a": unknown key "shedule" (did you mean "schedule"?)`},
		{"unknown key swapped letters", "fetch:\n  tiemout: 5s\n", nil,
			`test.yaml:2: fetch: unknown key "tiemout" (did you mean "timeout"?)`},
		{"unknown key far from any", "fetch:\n  colour: red\n", nil,
			`test.yaml:2: fetch: unknown key "colour"`},
		{"duplicate key", "fetch:\n  timeout: 1s\n  timeout: 2s\n", nil,
			`test.yaml:3: fetch: duplicate key "timeout" (first at line 2)`},
		{"syntax error", "feeds:\n  - name: a\n    url: [x\n", nil,
			`test.yaml:3: YAML syntax: did not find expected ',' or ']'`},
		{"misindented key", "feeds:\n  - name: a\n    url: https://a.example/\n  name: b\n", nil,
			`test.yaml:4: YAML syntax: did not find expected '-' indicator`},
		{"text after a quoted value", "topics:\n  - name: t\n    query: \"a\" b\n", nil,
			`test.yaml:3: YAML syntax: did not find expected key`},
		{"syntax error on line 1", "\tfetch: 1\n", nil,
			`test.yaml:1: YAML syntax: found character that cannot start any token`},
		{"unquoted colon", "deadlines:\n  - name: d\n    query: topic: t\n", nil,
			`test.yaml:3: YAML syntax: mapping values are not allowed in this context (quote a value that contains ": ", as in query: 'topic: NAME')`},
		{"unknown anchor", "fetch:\n  timeout: 1s\nserver:\n  listen: *addr\n", nil,
			`test.yaml:4: YAML syntax: unknown anchor "addr" referenced`},
		{"two documents", "timezone: UTC\n---\ntimezone: UTC\n", nil,
			`test.yaml:2: only one YAML document is allowed`},
		{"not a mapping", "- a\n- b\n", nil,
			`test.yaml:1: expected a mapping of keys, found a list`},
		{"list for a value", "timezone: [UTC]\n", nil,
			`test.yaml:1: timezone: expected a single value, found a list`},
		{"mapping for a list", "feeds:\n  name: a\n", nil,
			`test.yaml:2: feeds: expected a list, found a mapping`},
		{"entry not a mapping", "topics:\n  - t\n", nil,
			`test.yaml:2: topic #1: expected a mapping of keys, found a single value`},
		{"non-scalar key", "fetch:\n  ? [a]\n  : 1\n", nil,
			`test.yaml:2: fetch: keys must be plain names, found a list`},
		// Environment.
		{"unset variable", "slack:\n  token: ${SLACK_BOT_TOKEN}\n", nil,
			`test.yaml:2: environment variable SLACK_BOT_TOKEN is not set`},
		{"bad variable name", "server:\n  listen: ${1X}\n", nil,
			`test.yaml:2: invalid environment variable reference ${1X}`},
		{"unterminated reference", "server:\n  listen: ${X\n", nil,
			`test.yaml:2: unterminated ${ (write $${ for a literal ${)`},
		// Top-level sections.
		{"bad timezone", "timezone: Europe/Kiev2\n", nil,
			`test.yaml:1: timezone: unknown time zone "Europe/Kiev2" (an IANA name such as Europe/Kyiv)`},
		{"bad driver", "storage:\n  driver: postgresql\n", nil,
			`test.yaml:2: storage.driver: unknown driver "postgresql" (sqlite or postgres) (did you mean "postgres"?)`},
		{"postgres without dsn", "storage:\n  driver: postgres\n", nil,
			`test.yaml:2: storage.dsn is required for postgres`},
		{"empty dsn", "storage:\n  dsn: ${DSN:-}\n", nil,
			`test.yaml:2: storage.dsn: must not be empty`},
		{"zero lease", "storage:\n  lease: 0s\n", nil,
			`test.yaml:2: storage.lease: must be positive`},
		{"listen without port", "server:\n  listen: localhost\n", nil,
			`test.yaml:2: server.listen: "localhost" is not host:port, as in 127.0.0.1:8080 or :8080`},
		{"listen bad port", "server:\n  listen: \":http-alt\"\n", nil,
			`test.yaml:2: server.listen: ":http-alt" is not host:port, as in 127.0.0.1:8080 or :8080`},
		{"bad timeout", "fetch:\n  timeout: soon\n", nil,
			`test.yaml:2: fetch.timeout: invalid duration "soon": expected a number`},
		{"zero timeout", "fetch:\n  timeout: 0s\n", nil,
			`test.yaml:2: fetch.timeout: must be positive`},
		{"bad max_body", "fetch:\n  max_body: 10XB\n", nil,
			`test.yaml:2: fetch.max_body: invalid size "10XB": unknown unit (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`},
		{"zero max_body", "fetch:\n  max_body: 0\n", nil,
			`test.yaml:2: fetch.max_body: must be positive`},
		{"zero concurrency", "fetch:\n  concurrency: 0\n", nil,
			`test.yaml:2: fetch.concurrency: must be a positive whole number, found "0"`},
		{"empty user agent", "fetch:\n  user_agent: \"\"\n", nil,
			`test.yaml:2: fetch.user_agent: must not be empty`},
		{"allow_private yes", "fetch:\n  allow_private: yes\n", nil,
			`test.yaml:2: fetch.allow_private: must be true or false, found "yes"`},
		{"slack command without slash", "slack:\n  command: feedwatch\n", nil,
			`test.yaml:2: slack.command: must be a slash command such as /feedwatch, found "feedwatch"`},
		{"slack api_url relative", "slack:\n  api_url: slack.com/api\n", nil,
			`test.yaml:2: slack.api_url: must be an absolute http or https URL`},
		{"slack app token alone", "slack:\n  app_token: xapp-1\n", nil,
			`test.yaml:2: slack.app_token: Socket Mode also needs slack.token`},
		{"discord application id", "discord:\n  application_id: my-app\n", nil,
			`test.yaml:2: discord.application_id: must be a Discord id (digits)`},
		{"discord public key", "discord:\n  public_key: abcd\n", nil,
			`test.yaml:2: discord.public_key: must be 64 hexadecimal characters (the application's Ed25519 public key)`},
		{"discord api_url", "discord:\n  api_url: ftp://discord.com/api\n", nil,
			`test.yaml:2: discord.api_url: must be an absolute http or https URL`},
		{"admin discord id", "admins:\n  discord: [\"123\", bob]\n", nil,
			`test.yaml:2: admins.discord: "bob" is not a Discord id (digits)`},
		{"admin empty", "admins:\n  slack: [\"\"]\n", nil,
			`test.yaml:2: admins.slack: empty entry`},
		{"bad default schedule", "defaults:\n  schedule: \"* * *\"\n", nil,
			`test.yaml:2: defaults.schedule: invalid schedule "* * *": expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds first), found 3`},
		{"negative default max_age", "defaults:\n  max_age: -1h\n", nil,
			`test.yaml:2: defaults.max_age: must not be negative`},
		// Feeds.
		{"feed without name", "feeds:\n  - url: https://a.example/\n", nil,
			`test.yaml:2: feed #1: name is required`},
		{"feed without url", "feeds:\n  - name: a\n", nil,
			`test.yaml:2: feed "a": url is required`},
		{"feed bad name", "feeds:\n  - name: BBC World\n    url: https://a.example/\n", nil,
			`test.yaml:2: feed "BBC World": name must be lower-case letters, digits and hyphens`},
		{"feed duplicate name", "feeds:\n  - name: a\n    url: https://a.example/\n  - name: a\n    url: https://b.example/\n", nil,
			`test.yaml:4: feed "a": name already used by the feed at line 2`},
		{"feed url not http", "feeds:\n  - name: a\n    url: ftp://a.example/\n", nil,
			`test.yaml:3: feed "a": url: "ftp://a.example/" is not an absolute http or https URL`},
		{"feed url relative", "feeds:\n  - name: a\n    url: /rss\n", nil,
			`test.yaml:3: feed "a": url: "/rss" is not an absolute http or https URL`},
		{"feed bad schedule", "feeds:\n  - name: a\n    url: https://a.example/\n    schedule: \"0 0 30 2 *\"\n", nil,
			`test.yaml:4: feed "a": schedule: invalid schedule "0 0 30 2 *": never fires (no such date)`},
		{"feed bad max_age", "feeds:\n  - name: a\n    url: https://a.example/\n    max_age: 2weeks\n", nil,
			`test.yaml:4: feed "a": max_age: invalid duration "2weeks": unknown unit (use ns, us, ms, s, m, h or d)`},
		// Topics.
		{"topic without query", "topics:\n  - name: t\n", nil,
			`test.yaml:2: topic "t": query is required`},
		{"topic empty query", "topics:\n  - name: t\n    query: \"  \"\n", nil,
			`test.yaml:3: topic "t": query: must not be empty`},
		{"topic bad query", "topics:\n  - name: t\n    query: 'peace talks (Putin OR Zelensky'\n", nil,
			`test.yaml:3: topic "t": query: column 13: unclosed ( in "peace talks (Putin OR Zelensky"`},
		{"topic duplicate", "topics:\n  - {name: t, query: a}\n  - {name: t, query: b}\n", nil,
			`test.yaml:3: topic "t": name already used by the topic at line 2`},
		// Channels.
		{"channel no destination", "channels:\n  - name: c\n", nil,
			`test.yaml:2: channel "c": names no destination (one of slack, discord, slack_webhook, discord_webhook or console)`},
		{"channel console false", "channels:\n  - name: c\n    console: false\n", nil,
			`test.yaml:2: channel "c": names no destination (one of slack, discord, slack_webhook, discord_webhook or console)`},
		{"channel several destinations", "slack: {token: t}\nchannels:\n  - name: c\n    slack: C1\n    console: true\n", nil,
			`test.yaml:3: channel "c": names several destinations (slack, console); a channel names exactly one`},
		{"slack channel without token", "channels:\n  - name: c\n    slack: C1\n", nil,
			`test.yaml:3: channel "c": slack: a Slack channel needs slack.token`},
		{"slack channel with empty token", "slack:\n  token: ${SLACK_BOT_TOKEN}\nchannels:\n  - name: c\n    slack: C1\n", map[string]string{"SLACK_BOT_TOKEN": ""},
			`test.yaml:5: channel "c": slack: a Slack channel needs slack.token`},
		{"slack channel with unset token: one problem, not two", "slack:\n  token: ${SLACK_BOT_TOKEN}\nchannels:\n  - name: c\n    slack: C1\n", nil,
			`test.yaml:2: environment variable SLACK_BOT_TOKEN is not set`},
		{"discord channel without token", "channels:\n  - name: c\n    discord: \"123\"\n", nil,
			`test.yaml:3: channel "c": discord: a Discord channel needs discord.token`},
		{"discord channel bad id", "discord: {token: t}\nchannels:\n  - name: c\n    discord: general\n", nil,
			`test.yaml:4: channel "c": discord: "general" is not a Discord channel id (digits)`},
		{"slack webhook not a URL", "channels:\n  - name: c\n    slack_webhook: hooks.slack.com/services/x\n", nil,
			`test.yaml:3: channel "c": slack_webhook: must be an absolute http or https URL`},
		{"discord webhook not http", "channels:\n  - name: c\n    discord_webhook: ws://discord.com/x\n", nil,
			`test.yaml:3: channel "c": discord_webhook: must be an absolute http or https URL`},
		{"console not a bool", "channels:\n  - name: c\n    console: maybe\n", nil,
			`test.yaml:3: channel "c": console: must be true or false, found "maybe"`},
		{"channel bad name", "channels:\n  - name: News_Room\n    console: true\n", nil,
			`test.yaml:2: channel "News_Room": name must be lower-case letters, digits and hyphens`},
		// Subscriptions.
		{"subscription unknown channel", "channels: [{name: newsroom, console: true}]\nsubscriptions:\n  - channel: newsrom\n", nil,
			`test.yaml:3: subscription #1: channel: unknown channel "newsrom" (did you mean "newsroom"?)`},
		{"subscription without channel", "subscriptions:\n  - mode: instant\n", nil,
			`test.yaml:2: subscription #1: channel is required`},
		{"subscription unknown topic", "channels: [{name: c, console: true}]\ntopics: [{name: peace, query: x}]\nsubscriptions:\n  - channel: c\n    topics:\n      - peace\n      - ceasefire\n", nil,
			`test.yaml:7: subscription #1: topics: unknown topic "ceasefire"`},
		{"subscription topic twice", "channels: [{name: c, console: true}]\ntopics: [{name: t, query: x}]\nsubscriptions:\n  - channel: c\n    topics: [t, t]\n", nil,
			`test.yaml:5: subscription #1: topics: topic "t" listed twice`},
		{"subscription empty topics", "channels: [{name: c, console: true}]\nsubscriptions:\n  - channel: c\n    topics: []\n", nil,
			`test.yaml:4: subscription #1: topics: empty list; leave topics out to follow every topic`},
		{"subscription bad mode", "channels: [{name: c, console: true}]\nsubscriptions:\n  - channel: c\n    mode: daily\n", nil,
			`test.yaml:4: subscription #1: mode: must be instant or digest, found "daily"`},
		{"digest without schedule", "channels: [{name: c, console: true}]\nsubscriptions:\n  - channel: c\n    mode: digest\n", nil,
			`test.yaml:3: subscription #1: schedule is required for a digest`},
		{"instant with schedule", "channels: [{name: c, console: true}]\nsubscriptions:\n  - channel: c\n    schedule: \"@daily\"\n", nil,
			`test.yaml:4: subscription #1: schedule: an instant subscription has no schedule (mode: digest?)`},
		{"digest bad schedule", "channels: [{name: c, console: true}]\nsubscriptions:\n  - channel: c\n    mode: digest\n    schedule: \"0 25 * * *\"\n", nil,
			`test.yaml:5: subscription #1: schedule: invalid schedule "0 25 * * *": end of range (25) above maximum (23): 25`},
		{"duplicate subscription", "channels: [{name: c, console: true}]\nsubscriptions:\n  - channel: c\n  - channel: c\n    mode: instant\n", nil,
			`test.yaml:4: subscription #2: same channel, mode and topics as the subscription at line 3`},
		// Deadlines.
		{"deadline bad due", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: next tuesday\n    query: x\n    channels: [c]\n", nil,
			`test.yaml:4: deadline "d": due: invalid time "next tuesday": expected RFC 3339 ("2025-09-02T23:59:00-04:00"), "2025-09-02 18:00" or "2025-09-02"`},
		{"deadline without due", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    query: x\n    channels: [c]\n", nil,
			`test.yaml:3: deadline "d": due is required`},
		{"deadline without query", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    channels: [c]\n", nil,
			`test.yaml:3: deadline "d": query is required`},
		{"deadline bad query", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: 'deadline (Putin'\n    channels: [c]\n", nil,
			`test.yaml:5: deadline "d": query: column 10: unclosed ( in "deadline (Putin"`},
		{"deadline unknown topic", "topics: [{name: peace-talks, query: x}]\nchannels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: 'topic: peace-talk'\n    channels: [c]\n", nil,
			`test.yaml:6: deadline "d": query: unknown topic "peace-talk" (did you mean "peace-talks"?)`},
		{"deadline unknown topic mapping", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: {topic: t}\n    channels: [c]\n", nil,
			`test.yaml:5: deadline "d": query: unknown topic "t"`},
		{"deadline query mapping without topic", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: {}\n    channels: [c]\n", nil,
			`test.yaml:5: deadline "d": query: expected a query or topic: NAME`},
		{"deadline bad countdown", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: x\n    channels: [c]\n    countdown: pinned-message\n", nil,
			`test.yaml:7: deadline "d": countdown: must be posts or pinned, found "pinned-message"`},
		{"deadline unknown channel", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: x\n    channels: [c, war-room]\n", nil,
			`test.yaml:6: deadline "d": channels: unknown channel "war-room"`},
		{"deadline without channels", "deadlines:\n  - name: d\n    due: 2025-09-02\n    query: x\n", nil,
			`test.yaml:2: deadline "d": channels is required (where reminders go)`},
		{"deadline negative remind", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: x\n    channels: [c]\n    remind: [1d, -1h]\n", nil,
			`test.yaml:7: deadline "d": remind: "-1h" is negative; reminders are given before the deadline`},
		{"deadline bad remind", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: x\n    channels: [c]\n    remind:\n      - 1 day\n", nil,
			`test.yaml:8: deadline "d": remind: invalid duration "1 day": unknown unit (use ns, us, ms, s, m, h or d)`},
		{"deadline mention within negative", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: x\n    channels: [c]\n    mention:\n      within: -1h\n", nil,
			`test.yaml:8: deadline "d": mention.within: must not be negative`},
		{"deadline mention unknown key", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: x\n    channels: [c]\n    mention:\n      slak: [U1]\n", nil,
			`test.yaml:8: deadline "d": mention: unknown key "slak" (did you mean "slack"?)`},
		{"deadline mention discord id", "channels: [{name: c, console: true}]\ndeadlines:\n  - name: d\n    due: 2025-09-02\n    query: x\n    channels: [c]\n    mention: {discord: [\"@here\"]}\n", nil,
			`test.yaml:7: deadline "d": mention.discord: "@here" is not a Discord id (digits)`},
		{"deadline duplicate", "deadlines:\n  - {name: d, due: 2025-09-02, query: x, remind: []}\n  - {name: d, due: 2025-09-03, query: y, remind: []}\n", nil,
			`test.yaml:3: deadline "d": name already used by the deadline at line 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.doc, tt.env)
			if err == nil {
				t.Fatalf("loaded %+v; want problem %s", cfg, tt.want)
			}
			if cfg != nil {
				t.Errorf("a config came back with problems")
			}
			got := problems(t, err)
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

// TestSeveralProblems checks that one run reports every problem, in line order.
func TestSeveralProblems(t *testing.T) {
	doc := `deadlines:
  - name: d
    due: soon
    query: x
    channels: [nowhere]
timezone: Mars/Olympus
fetch:
  timeout: 0s
  concurency: 4
feeds:
  - name: a
    url: https://a.example/${FEED_TOKEN}
  - name: a
    url: mailto:x@example.org
`
	_, err := load(t, doc, nil)
	want := []string{
		`test.yaml:3: deadline "d": due: invalid time "soon": expected RFC 3339 ("2025-09-02T23:59:00-04:00"), "2025-09-02 18:00" or "2025-09-02"`,
		`test.yaml:5: deadline "d": channels: unknown channel "nowhere"`,
		`test.yaml:6: timezone: unknown time zone "Mars/Olympus" (an IANA name such as Europe/Kyiv)`,
		`test.yaml:8: fetch.timeout: must be positive`,
		`test.yaml:9: fetch: unknown key "concurency" (did you mean "concurrency"?)`,
		`test.yaml:12: environment variable FEED_TOKEN is not set`,
		`test.yaml:13: feed "a": name already used by the feed at line 11`,
		`test.yaml:14: feed "a": url: "mailto:x@example.org" is not an absolute http or https URL`,
	}
	got := problems(t, err)
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err.Error() != strings.Join(want, "\n") {
		t.Errorf("Error() =\n%s", err.Error())
	}
}

func TestEnvExpansion(t *testing.T) {
	vars := map[string]string{
		"HOST":   "news.example.org",
		"EMPTY":  "",
		"QUOTED": `he said "hi": 'ok' # not a comment`,
	}
	tests := []struct {
		name    string
		value   string // YAML text after "query: "
		want    string
		wantErr string
	}{
		{name: "whole value", value: "${HOST}", want: "news.example.org"},
		{name: "inside text", value: "'site ${HOST} today'", want: "site news.example.org today"},
		{name: "two references", value: `"${HOST}/${HOST}"`, want: "news.example.org/news.example.org"},
		{name: "default unused", value: "${HOST:-other}", want: "news.example.org"},
		{name: "default for unset", value: "${MISSING:-fallback value}", want: "fallback value"},
		{name: "default for empty", value: "'${EMPTY:-fallback}'", want: "fallback"},
		{name: "empty default", value: "'x${MISSING:-}y'", want: "xy"},
		{name: "set but empty", value: "'x${EMPTY}y'", want: "xy"},
		{name: "escaped", value: "'$${HOST} costs $5'", want: "${HOST} costs $5"},
		{name: "lone dollar", value: "'a $HOST b'", want: "a $HOST b"},
		{name: "value with quotes and colon", value: "${QUOTED}", want: vars["QUOTED"]},
		{name: "value with quotes in double quotes", value: `"[${QUOTED}]"`, want: "[" + vars["QUOTED"] + "]"},
		{name: "unset", value: "${MISSING}", wantErr: "test.yaml:3: environment variable MISSING is not set"},
		{name: "unterminated", value: "'${HOST'", wantErr: "test.yaml:3: unterminated ${ (write $${ for a literal ${)"},
		{name: "bad name", value: "'${HO-ST}'", wantErr: "test.yaml:3: invalid environment variable reference ${HO-ST}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "topics:\n  - name: t\n    query: " + tt.value + "\n"
			cfg, err := LoadBytes("test.yaml", []byte(doc), Options{Getenv: env(vars)})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v; want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Topics[0].Query; got != tt.want {
				t.Fatalf("query %q; want %q", got, tt.want)
			}
		})
	}
}

// TestEnvExpansionMultipleUnset checks that every unset variable of a value
// is reported, and that keys are not expanded.
func TestEnvExpansionMultipleUnset(t *testing.T) {
	doc := "feeds:\n  - name: a\n    url: https://${HOST}/${PATH_PART}\n"
	_, err := load(t, doc, nil)
	want := []string{
		"test.yaml:3: environment variable HOST is not set",
		"test.yaml:3: environment variable PATH_PART is not set",
	}
	if got := problems(t, err); !slices.Equal(got, want) {
		t.Fatalf("problems %q; want %q", got, want)
	}
	_, err = load(t, "${KEY}: 1\n", nil)
	if got := problems(t, err); len(got) != 1 || got[0] != `test.yaml:1: unknown key "${KEY}"` {
		t.Fatalf("problems %q", got)
	}
}

func TestGetenvDefaultsToProcessEnvironment(t *testing.T) {
	t.Setenv("FEEDWATCH_CONFIG_TEST_HOST", "env.example.org")
	cfg, err := LoadBytes("test.yaml", []byte("feeds:\n  - name: a\n    url: https://${FEEDWATCH_CONFIG_TEST_HOST}/rss\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Feeds[0].URL != "https://env.example.org/rss" {
		t.Fatalf("url %q", cfg.Feeds[0].URL)
	}
}

// TestSecretsNotEchoed checks that a value coming from the environment never
// appears in a problem, even when it is invalid where it is used.
func TestSecretsNotEchoed(t *testing.T) {
	const secret = "s3cr3t-XYZ-(token"
	vars := map[string]string{"SECRET": secret}
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"webhook", "channels:\n  - name: c\n    slack_webhook: ${SECRET}\n",
			`test.yaml:3: channel "c": slack_webhook: must be an absolute http or https URL`},
		{"feed url", "feeds:\n  - name: a\n    url: ${SECRET}\n",
			`test.yaml:3: feed "a": url: "${SECRET}" is not an absolute http or https URL`},
		{"duration", "fetch:\n  timeout: ${SECRET}\n",
			`test.yaml:2: fetch.timeout: invalid duration "${SECRET}"`},
		{"size", "fetch:\n  max_body: ${SECRET}\n",
			`test.yaml:2: fetch.max_body: invalid size "${SECRET}"`},
		{"schedule", "defaults:\n  schedule: ${SECRET}\n",
			`test.yaml:2: defaults.schedule: invalid schedule "${SECRET}"`},
		{"query", "topics:\n  - name: t\n    query: ${SECRET}\n",
			`test.yaml:3: topic "t": query: invalid query "${SECRET}"`},
		{"timezone", "timezone: ${SECRET}\n",
			`test.yaml:1: timezone: unknown time zone "${SECRET}" (an IANA name such as Europe/Kyiv)`},
		{"public key", "discord:\n  public_key: ${SECRET}\n",
			`test.yaml:2: discord.public_key: must be 64 hexadecimal characters (the application's Ed25519 public key)`},
		{"slack api url", "slack:\n  api_url: ${SECRET}\n",
			`test.yaml:2: slack.api_url: must be an absolute http or https URL`},
		{"listen", "server:\n  listen: ${SECRET}\n",
			`test.yaml:2: server.listen: "${SECRET}" is not host:port, as in 127.0.0.1:8080 or :8080`},
		{"due", "deadlines:\n  - {name: d, due: \"${SECRET}\", query: x, remind: []}\n",
			`test.yaml:2: deadline "d": due: invalid time "${SECRET}"`},
		{"remind", "deadlines:\n  - {name: d, due: 2025-09-02, query: x, remind: [\"${SECRET}\"]}\n",
			`test.yaml:2: deadline "d": remind: invalid duration "${SECRET}"`},
		{"topic reference", "deadlines:\n  - {name: d, due: 2025-09-02, query: \"topic: ${SECRET}\", remind: []}\n",
			`test.yaml:2: deadline "d": query: unknown topic "topic: ${SECRET}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.doc, vars)
			if err == nil {
				t.Fatal("no problem reported")
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("secret leaked: %s", err)
			}
			if got := problems(t, err); len(got) != 1 || got[0] != tt.want {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

func TestAliasesAndMerge(t *testing.T) {
	doc := `
x-feed: &feed
  schedule: "@every 5m"
  max_age: 1d
feeds:
  - <<: *feed
    name: a
    url: https://a.example/
  - <<: *feed
    name: b
    url: https://b.example/
    max_age: 0
`
	cfg, err := load(t, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Feeds[0]; a.Schedule != "@every 5m" || a.MaxAge != 24*time.Hour {
		t.Errorf("feed a %+v", a)
	}
	if b := cfg.Feeds[1]; b.Schedule != "@every 5m" || b.MaxAge != 0 {
		t.Errorf("feed b %+v", b)
	}

	alias := "topics:\n  - &t {name: t, query: x}\nchannels:\n  - {name: c, console: true}\nsubscriptions:\n  - {channel: c, topics: [*tname]}\n"
	alias = strings.Replace(alias, "{name: t,", "{name: &tname t,", 1)
	cfg, err = load(t, alias, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Subscriptions[0].Topics; !slices.Equal(got, []string{"t"}) {
		t.Errorf("topics via alias %v", got)
	}
}

// TestAliasBomb checks that nested merge keys cannot make a check run away.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("defaults:\n  a0: &a0 {schedule: \"@hourly\"}\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	b.WriteString("fetch:\n  <<: *a39\n")
	_, err := load(t, b.String(), nil)
	if err == nil || !strings.Contains(err.Error(), "YAML too complex") {
		t.Fatalf("error %v; want YAML too complex", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("does-not-exist.yaml", Options{})
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v; want not-exist", err)
	}
	if _, ok := IsProblems(err); ok {
		t.Fatal("a read error is not a config problem")
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{Problem{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Fatalf("String() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"timeout", "max_body", "concurrency", "user_agent", "allow_private"}
	tests := []struct{ word, want string }{
		{"timout", ` (did you mean "timeout"?)`},
		{"Timeout", ` (did you mean "timeout"?)`},
		{"max-body", ` (did you mean "max_body"?)`},
		{"useragent", ` (did you mean "user_agent"?)`},
		{"allowprivat", ` (did you mean "allow_private"?)`},
		{"proxy", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			if got := suggest(tt.word, keys); got != tt.want {
				t.Fatalf("suggest(%q) = %q; want %q", tt.word, got, tt.want)
			}
		})
	}
}

func TestIsValidName(t *testing.T) {
	for name, want := range map[string]bool{"ukraine-talks": true, "a1": true, "": false, "Ukraine": false, "a_b": false, "a b": false} {
		t.Run(name, func(t *testing.T) {
			if got := IsValidName(name); got != want {
				t.Fatalf("IsValidName(%q) = %v", name, got)
			}
		})
	}
}

func TestChannelKindAndTarget(t *testing.T) {
	tests := []struct {
		ch         Channel
		kind, dest string
	}{
		{Channel{Slack: "C1"}, KindSlack, "C1"},
		{Channel{Discord: "42"}, KindDiscord, "42"},
		{Channel{SlackWebhook: "https://hooks.slack.com/x"}, KindSlackWebhook, "https://hooks.slack.com/x"},
		{Channel{DiscordWebhook: "https://discord.com/api/webhooks/x"}, KindDiscordWebhook, "https://discord.com/api/webhooks/x"},
		{Channel{Console: true}, KindConsole, ""},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			if got := tt.ch.Kind(); got != tt.kind {
				t.Errorf("Kind() = %q; want %q", got, tt.kind)
			}
			if got := tt.ch.Target(); got != tt.dest {
				t.Errorf("Target() = %q; want %q", got, tt.dest)
			}
		})
	}
}
