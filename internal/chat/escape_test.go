package chat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/internal/news"
)

func TestEscapeSlack(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a & b", "a &amp; b"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"<@U123>", "&lt;@U123&gt;"},
		{"<http://evil.com|click>", "&lt;http://evil.com|click&gt;"},
		{"&amp;", "&amp;amp;"},
		{"*bold* _it_", "*bold* _it_"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := EscapeSlack(tt.in); got != tt.want {
				t.Errorf("EscapeSlack(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEscapeDiscord(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words", "plain words"},
		{"*bold* _it_ ~~s~~ `code` ||spoiler||", `\*bold\* \_it\_ \~\~s\~\~ \` + "`code\\`" + ` \|\|spoiler\|\|`},
		{"[x](http://evil)", `\[x\]\(http://evil\)`},
		{"# head > quote - item", `\# head \> quote \- item`},
		{`back\slash`, `back\\slash`},
		{"@everyone", "@" + zwsp + "everyone"},
		{"@here", "@" + zwsp + "here"},
		{"<@123>", "<" + zwsp + "@" + zwsp + "123\\>"},
		{"<@&123>", "<" + zwsp + "@" + zwsp + "&123\\>"},
		{"<#123>", "<" + zwsp + "\\#123\\>"},
		{"</cmd:1>", "<" + zwsp + "/cmd:1\\>"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := EscapeDiscord(tt.in); got != tt.want {
				t.Errorf("EscapeDiscord(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"https", "https://example.org/a/b?c=d#e", "https://example.org/a/b?c=d#e"},
		{"http upper scheme and host", "HTTP://Example.ORG/Path", "http://example.org/Path"},
		{"trimmed", "  https://example.org/  ", "https://example.org/"},
		{"port", "https://example.org:8443/x", "https://example.org:8443/x"},
		{"parentheses", "https://en.wikipedia.org/wiki/Go_(language)", "https://en.wikipedia.org/wiki/Go_%28language%29"},
		{"spaces", "https://example.org/a b?q=c d", "https://example.org/a%20b?q=c%20d"},
		{"pipe and angles", "https://example.org/a|b?x=<y>", "https://example.org/a%7Cb?x=%3Cy%3E"},
		{"closing paren in query", "https://example.org/?q=a)b", "https://example.org/?q=a%29b"},
		{"quotes and backslash", `https://example.org/"x"\y`, "https://example.org/%22x%22%5Cy"},
		{"keeps escapes", "https://example.org/a%20b", "https://example.org/a%20b"},
		{"stray percent", "https://example.org/?q=100%", "https://example.org/?q=100%25"},
		{"unicode path", "https://example.org/київ", "https://example.org/%D0%BA%D0%B8%D1%97%D0%B2"},
		{"idn host", "https://київ.example/", "https://xn--b1alf1j.example/"},
		{"ipv6", "http://[::1]:8080/x", "http://[::1]:8080/x"},
		{"javascript", "javascript:alert(1)", ""},
		{"data", "data:text/html,<script>", ""},
		{"mailto", "mailto:a@example.org", ""},
		{"relative", "/just/a/path", ""},
		{"scheme relative", "//example.org/x", ""},
		{"no host", "https:///path", ""},
		{"user info", "https://paypal.com@evil.example/", ""},
		{"control character", "https://example.org/\x00", ""},
		{"newline", "https://example.org/a\nb", ""},
		{"bidi override", "https://example.org/\u202egnp.exe", ""},
		{"bad host", "https://exa mple.org/", ""},
		{"empty", "", ""},
		{"too long", "https://example.org/" + strings.Repeat("a", MaxURLLen), ""},
		{"bad port", "https://example.org:x/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SafeURL(tt.in)
			if got != tt.want {
				t.Errorf("SafeURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got != "" && strings.ContainsAny(got, " ()<>|\"`\\\n") {
				t.Errorf("SafeURL(%q) = %q still holds link-breaking characters", tt.in, got)
			}
		})
	}
}

func TestCleanLine(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"collapses whitespace", "  a \n\t b  ", "a b"},
		{"terminal escapes", "\x1b[31mred\x1b[0m", "[31mred[0m"},
		{"bidi override", "abc\u202egnp.exe", "abcgnp.exe"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"line separator", "a\u2028b", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanLine(tt.in); got != tt.want {
				t.Errorf("cleanLine(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := cleanText("a\n\n\n b\r\n\x07c\n\n"); got != "a\n\nb\nc" {
		t.Errorf("cleanText = %q", got)
	}
}

func TestFitText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		esc  func(string) string
		max  int
		want string
	}{
		{"fits", "hello", plain, 5, "hello"},
		{"cut", "hello world", plain, 8, "hello w…"}, {"cut trims a trailing space", "hello world", plain, 7, "hello…"},
		{"never splits an entity", "a&&&&", EscapeSlack, 8, "a&amp;…"},
		{"never splits a backslash escape", "ab***", EscapeDiscord, 5, `ab\*…`},
		{"surrogate pairs count two", "😀😀😀", plain, 5, "😀😀…"},
		{"tiny", "hello", plain, 1, "…"},
		{"zero", "hello", plain, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fitText(tt.in, tt.esc, tt.max)
			if got != tt.want {
				t.Errorf("fitText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if textLen(got) > tt.max || !utf8.ValidString(got) {
				t.Errorf("fitText(%q, %d) = %q: too long or invalid", tt.in, tt.max, got)
			}
		})
	}
}

// hostile is text a feed may carry to ping people or forge links.
var hostile = []string{
	"<!channel>",
	"<!here>",
	"<!everyone>",
	"@everyone",
	"@here",
	"@channel",
	"<@U123>",
	"<@&123>",
	"<#C123>",
	"<!subteam^S123>",
	"<http://evil.com|click>",
	"[x](http://evil)",
	"[https://bank.example](http://evil)",
	"https://bank.example",
	"](http://evil) [",
	"||<@123>||",
	"\\<@123>",
	"<<@123>>",
	"&lt;@U123&gt;",
	"\u202e<@123>",
}

// hostileMessage puts s in every text field of a message, with one safe link
// and one hostile "link".
func hostileMessage(s string) news.Message {
	e := func(url string) news.Entry {
		return news.Entry{Title: s, URL: url, Feed: s, Summary: s, Notes: []string{s}, Published: fixedNow}
	}
	return news.Message{
		Kind: news.KindAlert, Title: s, Intro: s, Footer: s,
		Sections: []news.Section{
			{Topic: s, Title: s, Entries: []news.Entry{e("https://ok.example/x"), e(s)}},
		},
	}
}

// discordLinks finds the masked links Discord would render in md, honouring
// backslash escapes: it returns label and target of each unescaped
// "[label](target)".
func discordLinks(md string) [][2]string {
	var out [][2]string
	rs := []rune(md)
	escaped := make([]bool, len(rs))
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' && i+1 < len(rs) {
			escaped[i+1] = true
			i++
		}
	}
	for i := 0; i < len(rs); i++ {
		if rs[i] != '[' || escaped[i] {
			continue
		}
		depth, j := 0, i
		for ; j < len(rs); j++ {
			if escaped[j] {
				continue
			}
			if rs[j] == '[' {
				depth++
			} else if rs[j] == ']' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j+1 >= len(rs) || rs[j+1] != '(' || escaped[j+1] {
			continue
		}
		k := j + 2
		for k < len(rs) && !(rs[k] == ')' && !escaped[k]) {
			k++
		}
		if k < len(rs) {
			out = append(out, [2]string{string(rs[i+1 : j]), string(rs[j+2 : k])})
			i = k
		}
	}
	return out
}

func TestHostileTextCannotPingOrForgeLinks(t *testing.T) {
	r := testRenderer(t)
	for _, s := range hostile {
		m := hostileMessage(s)
		t.Run("slack/"+s, func(t *testing.T) {
			for _, p := range r.Slack(m) {
				texts := []string{p.Text}
				for _, b := range p.Blocks {
					switch b := b.(type) {
					case *slack.SectionBlock:
						if !b.Text.Verbatim {
							t.Errorf("section text is not verbatim: Slack would parse names and links on its own")
						}
						texts = append(texts, b.Text.Text)
					case *slack.ContextBlock:
						for _, e := range b.ContextElements.Elements {
							texts = append(texts, e.(*slack.TextBlockObject).Text)
						}
					case *slack.HeaderBlock:
						if b.Text.Type != slack.PlainTextType {
							t.Errorf("header is %s, want plain_text", b.Text.Type)
						}
					}
				}
				var links []string
				for _, text := range texts {
					// Every "<" must open one of the entries' real links.
					for i := strings.IndexByte(text, '<'); i >= 0; i = next(text, i) {
						rest := text[i:]
						end := strings.IndexByte(rest, '>')
						bar := strings.IndexByte(rest, '|')
						if end < 0 || bar < 0 || bar > end || !strings.HasPrefix(rest, "<https://") {
							t.Fatalf("control sequence from feed text: %q in %q", rest[:min(len(rest), 40)], text)
						}
						if label := rest[bar+1 : end]; strings.Contains(label, "://") {
							t.Fatalf("link label %q reads as another link", label)
						}
						links = append(links, rest[1:bar])
					}
				}
				if want := wantLinks(m); strings.Join(links, " ") != strings.Join(want, " ") {
					t.Fatalf("links %q, want only the entries' own %q", links, want)
				}
			}
		})
		t.Run("discord/"+s, func(t *testing.T) {
			for _, p := range r.Discord(m) {
				texts := []string{p.Content}
				for _, e := range p.Embeds {
					texts = append(texts, e.Title, e.Description)
					if e.Footer != nil {
						texts = append(texts, e.Footer.Text)
					}
				}
				var links [][2]string
				for _, text := range texts {
					for _, bad := range []string{"@everyone", "@here", "<@", "<#", "<!", "</"} {
						if strings.Contains(text, bad) {
							t.Fatalf("%q survives in %q", bad, text)
						}
					}
					links = append(links, discordLinks(text)...)
				}
				var targets []string
				for _, l := range links {
					if strings.Contains(l[0], "://") {
						t.Fatalf("link %q is disguised", l)
					}
					targets = append(targets, l[1])
				}
				if want := wantLinks(m); strings.Join(targets, " ") != strings.Join(want, " ") {
					t.Fatalf("links %q, want only the entries' own %q", links, want)
				}
			}
		})
	}
}

// wantLinks is the links m's entries should render as, in order.
func wantLinks(m news.Message) []string {
	var out []string
	for _, s := range m.Sections {
		for _, e := range s.Entries {
			if u := SafeURL(e.URL); u != "" {
				out = append(out, u)
			}
		}
	}
	return out
}

func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '<')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func TestDiscordLinksFinder(t *testing.T) {
	got := discordLinks(`a [t](u) \[x](y) [p\](q)](r)`)
	want := [][2]string{{"t", "u"}, {`p\](q)`, "r"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("discordLinks = %q, want %q", got, want)
	}
}
