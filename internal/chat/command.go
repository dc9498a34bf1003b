package chat

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Command paths: a subcommand, or a group and its subcommand ("deadline add").
// They are the words a Slack user types and the option names Discord shows.
const (
	CmdSearch         = "search"
	CmdTopics         = "topics"
	CmdFeeds          = "feeds"
	CmdDeadlines      = "deadlines"
	CmdDigest         = "digest"
	CmdTest           = "test"
	CmdStatus         = "status"
	CmdHelp           = "help"
	CmdWatch          = "watch"
	CmdUnwatch        = "unwatch"
	CmdMute           = "mute"
	CmdUnmute         = "unmute"
	CmdDeadlineAdd    = "deadline add"
	CmdDeadlineRemove = "deadline remove"
	CmdFeedAdd        = "feed add"
	CmdFeedRemove     = "feed remove"
)

// Argument names: the Discord option names, and the keys of Command.Args.
const (
	ArgQuery    = "query"
	ArgName     = "name"
	ArgTopic    = "topic"
	ArgDuration = "duration"
	ArgDue      = "due"
	ArgTitle    = "title"
	ArgURL      = "url"
)

// DiscordCommandName is the application command registered on Discord.
const DiscordCommandName = "feedwatch"

// Command is one parsed chat command, the same whichever platform it came
// from. Args holds the given arguments by name; absent optional ones are
// missing from the map.
type Command struct {
	Path string
	Args map[string]string
}

// Arg returns an argument, "" when it was not given.
func (c Command) Arg(name string) string { return c.Args[name] }

// Request is a command with who asked and where.
type Request struct {
	Platform  Platform // PlatformSlack or PlatformDiscord
	UserID    string
	UserName  string // as the platform names the user; untrusted, for display only
	ChannelID string // the platform's channel id
	// Channel is the config channel with that id, "" when the config names
	// none (commands that act on "this channel" then refuse politely).
	Channel string
	Command Command
}

// Reply is the answer to a command. Lookups are private (Slack ephemeral,
// Discord flag 64); the outcome of a change is Public so the channel sees
// what changed.
type Reply struct {
	Message news.Message
	Public  bool
}

// Backend carries out commands that passed parsing and the admin check.
// Replies to user mistakes ("no such topic") are replies; an error is an
// internal failure, logged and answered with an apology.
type Backend interface {
	Run(ctx context.Context, req Request) (Reply, error)
}

// argMode is how an argument is read from Slack text.
type argMode uint8

const (
	// argWord is one word, or a "double-quoted string".
	argWord argMode = iota
	// argRest is the rest of the text, verbatim (quotes are kept: a query
	// needs them).
	argRest
	// argQuotedOrRest is a "double-quoted string" when the text starts with
	// one (later arguments then follow it), else the rest of the text.
	argQuotedOrRest
)

// argSpec describes one argument of a subcommand.
type argSpec struct {
	name     string // ArgQuery, …
	desc     string // Discord option description (at most 100 characters)
	optional bool
	mode     argMode
}

// commandSpec describes one subcommand: the single table that Slack parsing,
// Discord parsing and registration, and the help text are made from.
type commandSpec struct {
	path    string
	summary string // one line; also the Discord description (at most 100 characters)
	args    []argSpec
	admin   bool // changes something: admins only, outcome shown to the channel
	hint    string
}

// commandSpecs lists every subcommand in the order help shows them.
var commandSpecs = []commandSpec{
	{path: CmdSearch, summary: "Newest stored items matching a query",
		args: []argSpec{{name: ArgQuery, desc: `The query, e.g. "peace talks" (Putin OR Zelensky*) -football`, mode: argRest}}},
	{path: CmdTopics, summary: "Watched topics, their queries and matches in the last 24 h"},
	{path: CmdFeeds, summary: "Feeds and their health"},
	{path: CmdDeadlines, summary: "Upcoming deadlines with countdown and related items"},
	{path: CmdDigest, summary: "A digest of the last 24 h, now",
		args: []argSpec{{name: ArgTopic, desc: "Only this topic", optional: true}}},
	{path: CmdTest, summary: "How many items of the last 7 days a query matches, per day",
		args: []argSpec{{name: ArgQuery, desc: "The query to try", mode: argRest}}},
	{path: CmdStatus, summary: "Uptime, feed health, queue depth, last digest"},
	{path: CmdHelp, summary: "How to use feedwatch"},
	{path: CmdWatch, summary: "Watch a query in this channel (admins)", admin: true,
		args: []argSpec{
			{name: ArgName, desc: "Topic name: lower-case letters, digits and dashes"},
			{name: ArgQuery, desc: "What to watch for", mode: argRest},
		}},
	{path: CmdUnwatch, summary: "Stop watching a topic added from chat (admins)", admin: true,
		args: []argSpec{{name: ArgName, desc: "Topic name"}}},
	{path: CmdMute, summary: "Silence a topic in this channel for a while (admins)", admin: true,
		args: []argSpec{
			{name: ArgTopic, desc: "Topic name"},
			{name: ArgDuration, desc: "For how long, e.g. 90m, 6h, 2d"},
		}},
	{path: CmdUnmute, summary: "Lift a mute in this channel (admins)", admin: true,
		args: []argSpec{{name: ArgTopic, desc: "Topic name"}}},
	{path: CmdDeadlineAdd, summary: "Track a deadline, reminders posted to this channel (admins)", admin: true,
		args: []argSpec{
			{name: ArgName, desc: "Deadline name: lower-case letters, digits and dashes"},
			{name: ArgDue, desc: `When: "2025-09-02 18:00", 2025-09-02 or 2025-09-02T23:59:00-04:00`},
			{name: ArgTitle, desc: "What is due", mode: argQuotedOrRest},
			{name: ArgQuery, desc: "Items that concern it (default: the title's words)", optional: true, mode: argRest},
		},
		hint: `Quote the title to give a query after it: deadline add talks 2025-09-02 "Talks deadline" Putin Zelensky`},
	{path: CmdDeadlineRemove, summary: "Stop tracking a deadline added from chat (admins)", admin: true,
		args: []argSpec{{name: ArgName, desc: "Deadline name"}}},
	{path: CmdFeedAdd, summary: "Add a feed, fetched at once to check it (admins)", admin: true,
		args: []argSpec{
			{name: ArgName, desc: "Feed name: lower-case letters, digits and dashes"},
			{name: ArgURL, desc: "The feed's http(s) URL"},
		}},
	{path: CmdFeedRemove, summary: "Remove a feed added from chat (admins)", admin: true,
		args: []argSpec{{name: ArgName, desc: "Feed name"}}},
}

// specOf finds a subcommand by path.
func specOf(path string) (*commandSpec, bool) {
	for i := range commandSpecs {
		if commandSpecs[i].path == path {
			return &commandSpecs[i], true
		}
	}
	return nil, false
}

// groupOf returns the group of a path ("deadline" for "deadline add"), or "".
func groupOf(path string) string {
	g, _, ok := strings.Cut(path, " ")
	if !ok {
		return ""
	}
	return g
}

// usage is the synopsis of a subcommand for a command prefix ("/feedwatch"):
// `/feedwatch watch NAME QUERY`, optional arguments in brackets.
func (s *commandSpec) usage(prefix string) string {
	parts := []string{prefix, s.path}
	for _, a := range s.args {
		w := strings.ToUpper(a.name)
		if a.optional {
			w = "[" + w + "]"
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, " ")
}

// UsageError is a command that could not be understood. Spec is the
// subcommand it was meant to be, nil when even that is unknown.
type UsageError struct {
	spec *commandSpec
	Msg  string
}

// Error returns the message.
func (e *UsageError) Error() string { return e.Msg }

// usageErr builds a UsageError.
func usageErr(spec *commandSpec, format string, args ...any) *UsageError {
	return &UsageError{spec: spec, Msg: fmt.Sprintf(format, args...)}
}

// ParseSlackText parses the text of a Slack slash command ("search \"peace
// talks\" Putin"). Empty text is help. Slack's escaping (&amp;, &lt;, &gt;)
// and its link and mention markup (<https://x|x>, <#C1|name>) are undone, and
// typographic double quotes, which some keyboards type for ", count as ".
// A text that does not fit a subcommand is a *UsageError.
func ParseSlackText(text string) (Command, error) {
	text = normalizeSlackText(text)
	word, rest := nextToken(text)
	if word == "" {
		return Command{Path: CmdHelp, Args: map[string]string{}}, nil
	}
	path := strings.ToLower(word)
	if isGroup(path) {
		sub, r := nextToken(rest)
		if sub == "" {
			return Command{}, usageErr(nil, "`%s` needs add or remove.", path)
		}
		path += " " + strings.ToLower(sub)
		rest = r
	}
	spec, ok := specOf(path)
	if !ok {
		return Command{}, usageErr(nil, "Unknown command %q.", clipRunes(path, 40))
	}
	args, err := parseArgs(spec, rest)
	if err != nil {
		return Command{}, err
	}
	return Command{Path: spec.path, Args: args}, nil
}

// isGroup reports whether word names a group of subcommands.
func isGroup(word string) bool {
	for _, s := range commandSpecs {
		if groupOf(s.path) == word {
			return true
		}
	}
	return false
}

// timeOfDayRE is a clock time that may follow a date in a due argument.
var timeOfDayRE = regexp.MustCompile(`^\d{1,2}:\d{2}(:\d{2})?$`)

// parseArgs reads the arguments of spec from text.
func parseArgs(spec *commandSpec, text string) (map[string]string, error) {
	args := map[string]string{}
	rest := strings.TrimSpace(text)
	for _, a := range spec.args {
		if rest == "" {
			if a.optional {
				continue
			}
			return nil, usageErr(spec, "Missing %s.", strings.ToUpper(a.name))
		}
		var val string
		switch a.mode {
		case argRest:
			val, rest = rest, ""
		case argQuotedOrRest:
			if strings.HasPrefix(rest, `"`) {
				val, rest = nextToken(rest)
			} else {
				val, rest = rest, ""
			}
		default:
			val, rest = nextToken(rest)
			// "2025-09-02 18:00" typed without quotes is still one due time.
			if a.name == ArgDue {
				if next, r := nextToken(rest); timeOfDayRE.MatchString(next) {
					val, rest = val+" "+next, r
				}
			}
		}
		val = strings.TrimSpace(val)
		if val == "" && !a.optional {
			return nil, usageErr(spec, "Missing %s.", strings.ToUpper(a.name))
		}
		if val != "" {
			args[a.name] = val
		}
		rest = strings.TrimSpace(rest)
	}
	if rest != "" {
		return nil, usageErr(spec, "Unexpected %q.", clipRunes(rest, 40))
	}
	return args, nil
}

// nextToken returns the first token of s and what follows it. A token is a
// run of non-space characters, or a double-quoted string without its quotes
// (an unclosed quote runs to the end).
func nextToken(s string) (tok, rest string) {
	s = strings.TrimLeft(s, " \t\r\n")
	if s == "" {
		return "", ""
	}
	if s[0] == '"' {
		if end := strings.IndexByte(s[1:], '"'); end >= 0 {
			return s[1 : end+1], s[end+2:]
		}
		return s[1:], ""
	}
	if i := strings.IndexAny(s, " \t\r\n"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// slackMarkupRE is Slack's markup for links, channels, users and groups in
// message text: <https://x>, <https://x|label>, <#C123|name>, <@U123>.
var slackMarkupRE = regexp.MustCompile(`<([^<>|]*)(?:\|([^<>]*))?>`)

// normalizeSlackText undoes Slack's escaping and markup in command text:
// a link becomes its URL, a channel or user its label (or id), and
// &lt; &gt; &amp; their characters, last, so that an escaped "<" typed by
// the user is not taken for markup. Typographic double quotes become ".
func normalizeSlackText(s string) string {
	s = slackMarkupRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := slackMarkupRE.FindStringSubmatch(m)
		target, label := sub[1], sub[2]
		switch {
		case strings.HasPrefix(target, "#"), strings.HasPrefix(target, "@"), strings.HasPrefix(target, "!"):
			if label != "" {
				return label
			}
			return target
		}
		return target
	})
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return strings.NewReplacer("“", `"`, "”", `"`, "„", `"`).Replace(s)
}

// clipRunes shortens s to at most n runes for quoting in a message.
func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + ellipsis
	}
	return s
}
