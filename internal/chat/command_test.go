package chat

import (
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestParseSlackText(t *testing.T) {
	tests := []struct {
		name string
		text string
		path string
		args map[string]string
	}{
		{"empty is help", "  ", CmdHelp, map[string]string{}},
		{"help", "help", CmdHelp, map[string]string{}},
		{"search keeps quotes", `search "peace talks" Putin`, CmdSearch, map[string]string{ArgQuery: `"peace talks" Putin`}},
		{"subcommand case-insensitive", "SEARCH  kyiv ", CmdSearch, map[string]string{ArgQuery: "kyiv"}},
		{"typographic quotes", "search “peace talks” -football", CmdSearch, map[string]string{ArgQuery: `"peace talks" -football`}},
		{"slack entities undone", "search a &amp; b &lt;x&gt;", CmdSearch, map[string]string{ArgQuery: "a & b <x>"}},
		{"lookups without args", "topics", CmdTopics, map[string]string{}},
		{"digest with topic", "digest ukraine-talks", CmdDigest, map[string]string{ArgTopic: "ukraine-talks"}},
		{"digest without topic", "digest", CmdDigest, map[string]string{}},
		{"test query", `test title:ceasefire OR truce`, CmdTest, map[string]string{ArgQuery: "title:ceasefire OR truce"}},
		{"watch", `watch ukraine-talks "peace talks" (Putin OR Zelensky*) -football`, CmdWatch,
			map[string]string{ArgName: "ukraine-talks", ArgQuery: `"peace talks" (Putin OR Zelensky*) -football`}},
		{"unwatch", "unwatch ukraine-talks", CmdUnwatch, map[string]string{ArgName: "ukraine-talks"}},
		{"mute", "mute ukraine-talks 6h", CmdMute, map[string]string{ArgTopic: "ukraine-talks", ArgDuration: "6h"}},
		{"unmute", "unmute ukraine-talks", CmdUnmute, map[string]string{ArgTopic: "ukraine-talks"}},
		{"deadline add, date and time unquoted", "deadline add talks 2025-09-02 18:00 Deadline for talks", CmdDeadlineAdd,
			map[string]string{ArgName: "talks", ArgDue: "2025-09-02 18:00", ArgTitle: "Deadline for talks"}},
		{"deadline add, quoted title then query", `deadline add talks "2025-09-02 18:00" "Talks deadline" Putin OR Kremlin`, CmdDeadlineAdd,
			map[string]string{ArgName: "talks", ArgDue: "2025-09-02 18:00", ArgTitle: "Talks deadline", ArgQuery: "Putin OR Kremlin"}},
		{"deadline add, RFC 3339", "deadline add talks 2025-09-02T23:59:00-04:00 Ultimatum", CmdDeadlineAdd,
			map[string]string{ArgName: "talks", ArgDue: "2025-09-02T23:59:00-04:00", ArgTitle: "Ultimatum"}},
		{"deadline remove", "Deadline Remove talks", CmdDeadlineRemove, map[string]string{ArgName: "talks"}},
		{"feed add, escaped link", "feed add kyiv <https://example.org/rss?a=1&amp;b=2|example.org/rss>", CmdFeedAdd,
			map[string]string{ArgName: "kyiv", ArgURL: "https://example.org/rss?a=1&b=2"}},
		{"feed add, bare link", "feed add kyiv https://example.org/rss", CmdFeedAdd,
			map[string]string{ArgName: "kyiv", ArgURL: "https://example.org/rss"}},
		{"feed remove", "feed remove kyiv", CmdFeedRemove, map[string]string{ArgName: "kyiv"}},
		{"channel mention becomes its name", "search <#C123|newsroom>", CmdSearch, map[string]string{ArgQuery: "newsroom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, err := ParseSlackText(tt.text)
			if err != nil {
				t.Fatalf("ParseSlackText(%q): %v", tt.text, err)
			}
			if cmd.Path != tt.path || !maps.Equal(cmd.Args, tt.args) {
				t.Errorf("ParseSlackText(%q) = %q %v, want %q %v", tt.text, cmd.Path, cmd.Args, tt.path, tt.args)
			}
		})
	}
}

func TestParseSlackTextUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantSpec string // "" = unknown subcommand
		wantMsg  string
	}{
		{"unknown subcommand", "frobnicate now", "", `Unknown command "frobnicate"`},
		{"group without subcommand", "deadline", "", "needs add or remove"},
		{"group with unknown subcommand", "feed rename a b", "", `Unknown command "feed rename"`},
		{"search without query", "search", CmdSearch, "Missing QUERY"},
		{"watch without query", "watch ukraine-talks", CmdWatch, "Missing QUERY"},
		{"mute without duration", "mute ukraine-talks", CmdMute, "Missing DURATION"},
		{"unwatch with extra words", "unwatch a b", CmdUnwatch, `Unexpected "b"`},
		{"lookup with extra words", "status now", CmdStatus, `Unexpected "now"`},
		{"deadline add without title", "deadline add talks 2025-09-02", CmdDeadlineAdd, "Missing TITLE"},
		{"empty quoted name", `unwatch ""`, CmdUnwatch, "Missing NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSlackText(tt.text)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseSlackText(%q) error = %v, want a *UsageError", tt.text, err)
			}
			if !strings.Contains(ue.Msg, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", ue.Msg, tt.wantMsg)
			}
			got := ""
			if ue.spec != nil {
				got = ue.spec.path
			}
			if got != tt.wantSpec {
				t.Errorf("usage for %q, want %q", got, tt.wantSpec)
			}
		})
	}
}

func TestParseDiscordData(t *testing.T) {
	str := discordgo.ApplicationCommandOptionString
	sub := func(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
	}
	opt := func(name string, v any) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: str, Value: v}
	}
	group := func(name string, s *discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommandGroup,
			Options: []*discordgo.ApplicationCommandInteractionDataOption{s}}
	}
	data := func(o ...*discordgo.ApplicationCommandInteractionDataOption) discordgo.ApplicationCommandInteractionData {
		return discordgo.ApplicationCommandInteractionData{Name: DiscordCommandName, Options: o}
	}
	tests := []struct {
		name    string
		data    discordgo.ApplicationCommandInteractionData
		path    string
		args    map[string]string
		wantErr string
	}{
		{"search", data(sub("search", opt("query", `"peace talks" Putin`))), CmdSearch, map[string]string{ArgQuery: `"peace talks" Putin`}, ""},
		{"digest without topic", data(sub("digest")), CmdDigest, map[string]string{}, ""},
		{"watch", data(sub("watch", opt("name", "t"), opt("query", "kyiv"))), CmdWatch, map[string]string{ArgName: "t", ArgQuery: "kyiv"}, ""},
		{"deadline add in a group", data(group("deadline", sub("add", opt("name", "talks"), opt("due", "2025-09-02"), opt("title", "Talks")))),
			CmdDeadlineAdd, map[string]string{ArgName: "talks", ArgDue: "2025-09-02", ArgTitle: "Talks"}, ""},
		{"feed remove in a group", data(group("feed", sub("remove", opt("name", "kyiv")))), CmdFeedRemove, map[string]string{ArgName: "kyiv"}, ""},
		{"number value read as text", data(sub("mute", opt("topic", "t"), opt("duration", 90.0))), CmdMute, map[string]string{ArgTopic: "t", ArgDuration: "90"}, ""},
		{"no subcommand is help", data(), CmdHelp, map[string]string{}, ""},
		{"missing required option", data(sub("watch", opt("name", "t"))), "", nil, "Missing query"},
		{"blank required option", data(sub("search", opt("query", "   "))), "", nil, "Missing query"},
		{"unknown option", data(sub("search", opt("query", "x"), opt("limit", "5"))), "", nil, `Unknown option "limit"`},
		{"unknown subcommand", data(sub("frob")), "", nil, `Unknown command "frob"`},
		{"other command", discordgo.ApplicationCommandInteractionData{Name: "other"}, "", nil, `Unknown command "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, err := ParseDiscordData(tt.data)
			if tt.wantErr != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(ue.Msg, tt.wantErr) {
					t.Fatalf("error = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cmd.Path != tt.path || !maps.Equal(cmd.Args, tt.args) {
				t.Errorf("got %q %v, want %q %v", cmd.Path, cmd.Args, tt.path, tt.args)
			}
		})
	}
}

// discordNameRE is what Discord accepts as a command or option name.
var discordNameRE = regexp.MustCompile(`^[-_a-z0-9]{1,32}$`)

func TestDiscordApplicationCommands(t *testing.T) {
	cmds := DiscordApplicationCommands()
	if len(cmds) != 1 || cmds[0].Name != DiscordCommandName || cmds[0].Type != discordgo.ChatApplicationCommand {
		t.Fatalf("commands = %+v, want the one chat command %q", cmds, DiscordCommandName)
	}
	root := cmds[0]
	if len(root.Options) > 25 {
		t.Errorf("%d options, Discord allows 25", len(root.Options))
	}
	// Every path of the table is reachable, and nothing else.
	var paths []string
	var check func(prefix string, o *discordgo.ApplicationCommandOption)
	check = func(prefix string, o *discordgo.ApplicationCommandOption) {
		if !discordNameRE.MatchString(o.Name) {
			t.Errorf("option name %q is not valid on Discord", o.Name)
		}
		if n := len([]rune(o.Description)); n < 1 || n > discordDescriptionMax {
			t.Errorf("%s%s: description length %d", prefix, o.Name, n)
		}
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommandGroup:
			for _, s := range o.Options {
				if s.Type != discordgo.ApplicationCommandOptionSubCommand {
					t.Errorf("group %s holds a %v", o.Name, s.Type)
				}
				check(o.Name+" ", s)
			}
		case discordgo.ApplicationCommandOptionSubCommand:
			paths = append(paths, prefix+o.Name)
			spec, _ := specOf(prefix + o.Name)
			optional := false
			for i, a := range o.Options {
				check(prefix+o.Name+".", a)
				if a.Type != discordgo.ApplicationCommandOptionString {
					t.Errorf("%s%s.%s: type %v, want string", prefix, o.Name, a.Name, a.Type)
				}
				if a.Required && optional {
					t.Errorf("%s%s: required option %s after an optional one", prefix, o.Name, a.Name)
				}
				optional = optional || !a.Required
				if spec == nil || i >= len(spec.args) || spec.args[i].name != a.Name || spec.args[i].optional == a.Required {
					t.Errorf("%s%s: option %d %s does not match the table", prefix, o.Name, i, a.Name)
				}
			}
		}
	}
	for _, o := range root.Options {
		check("", o)
	}
	var want []string
	for _, s := range commandSpecs {
		want = append(want, s.path)
	}
	if strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Errorf("registered paths %v, want %v", paths, want)
	}
	for _, g := range []string{"deadline", "feed"} {
		found := false
		for _, o := range root.Options {
			found = found || (o.Name == g && o.Type == discordgo.ApplicationCommandOptionSubCommandGroup && len(o.Options) == 2)
		}
		if !found {
			t.Errorf("no SUB_COMMAND_GROUP %s with add and remove", g)
		}
	}
	if _, err := json.Marshal(cmds); err != nil {
		t.Fatal(err)
	}
}

func TestHelpNamesEveryCommand(t *testing.T) {
	c := newTestCommands(&fakeBackend{})
	for _, p := range []Platform{PlatformSlack, PlatformDiscord} {
		t.Run(string(p), func(t *testing.T) {
			r := c.help(p)
			var titles []string
			for _, s := range r.Message.Sections {
				for _, e := range s.Entries {
					titles = append(titles, e.Title)
				}
			}
			text := strings.Join(titles, "\n")
			for _, s := range commandSpecs {
				if !strings.Contains(text, "/feedwatch "+s.path) {
					t.Errorf("help does not show %s", s.path)
				}
			}
			for _, part := range testRenderer(t).slackReply(r) {
				if len(part.Blocks) == 0 || part.ResponseType != "ephemeral" {
					t.Errorf("help part %+v", part)
				}
			}
		})
	}
}
