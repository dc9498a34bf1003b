package chat

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseSlackText throws arbitrary slash-command text at the parser: it
// never panics, answers either a command of the table with every required
// argument given (trimmed, non-empty, named in the table) or a *UsageError
// whose message stays short whatever the input (it quotes at most a clipped
// piece of it), and gives the same answer twice.
func FuzzParseSlackText(f *testing.F) {
	for _, seed := range []string{
		"", "help", "search \"peace talks\" Putin", "watch ukraine-talks \"peace talks\" -football",
		"mute ukraine-talks 6h", "deadline add talks \"2025-09-02 18:00\" \"Talks deadline\" Putin",
		"deadline add talks 2025-09-02 18:00 Talks deadline", "feed add wire <https://example.org/rss|example.org/rss>",
		"search <#C123|general> <@U123> &lt;b&gt; &amp;", "deadline", "DEADLINE REMOVE x", "feed", "“quoted” text",
		"search \"unclosed", "\t\n\r", "watch \"\" \"\"", "unknown " + strings.Repeat("x", 500),
		"digest \xff\xfe", "test <!channel> @everyone",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := ParseSlackText(text)
		again, err2 := ParseSlackText(text)
		if (err == nil) != (err2 == nil) || cmd.Path != again.Path || len(cmd.Args) != len(again.Args) {
			t.Fatalf("two parses of %q differ: %+v, %v and %+v, %v", text, cmd, err, again, err2)
		}
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseSlackText(%q) error %T, want *UsageError", text, err)
			}
			if ue.Msg == "" || utf8.RuneCountInString(ue.Msg) > 200 {
				t.Fatalf("usage error of %d runes for %q: %q", utf8.RuneCountInString(ue.Msg), text, ue.Msg)
			}
			return
		}
		spec, ok := specOf(cmd.Path)
		if !ok {
			t.Fatalf("ParseSlackText(%q) = unknown path %q", text, cmd.Path)
		}
		for _, a := range spec.args {
			v, given := cmd.Args[a.name]
			if !given && !a.optional {
				t.Fatalf("ParseSlackText(%q) = %+v: required %s missing", text, cmd, a.name)
			}
			if given && (v == "" || v != strings.TrimSpace(v)) {
				t.Fatalf("ParseSlackText(%q): %s = %q, want trimmed and non-empty", text, a.name, v)
			}
		}
		for name := range cmd.Args {
			if !slices.ContainsFunc(spec.args, func(a argSpec) bool { return a.name == name }) {
				t.Fatalf("ParseSlackText(%q) = %+v: argument %s is not %s's", text, cmd, name, cmd.Path)
			}
		}
	})
}
