package chat

import (
	"net"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ellipsis marks text that was cut to fit a limit.
const ellipsis = "…"

// zwsp is a zero-width space: invisible, but it breaks the character sequences
// that Discord turns into mentions and links.
const zwsp = "\u200b"

// EscapeSlack makes text show literally in Slack mrkdwn. Slack's control
// sequences all start with "<" (`<!channel>`, `<@U123>`, `<#C1>`,
// `<http://x|label>`), so escaping &, < and > as entities makes every one of
// them inert; Slack decodes the three entities for display.
func EscapeSlack(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// EscapeDiscord makes text show literally in Discord markdown: markdown
// characters get a backslash (Discord shows the character without it), and a
// zero-width space follows every "@" and "<" so that `@everyone`, `@here`,
// `<@id>`, `<@&id>`, `<#id>`, `</cmd:id>` and `<t:…>` cannot form, whatever
// allowed_mentions says. Each rune is escaped on its own, so any prefix of the
// input escapes to a prefix of the output (truncation relies on it).
func EscapeDiscord(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '\\', '*', '_', '~', '`', '|', '>', '[', ']', '(', ')', '#', '-':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '@', '<':
			b.WriteRune(r)
			b.WriteString(zwsp)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// defangURLs breaks "scheme://" in link labels, so a label can never read as
// (or be auto-linked to) a different address than the link it stands for.
func defangURLs(s string) string {
	return strings.ReplaceAll(s, "://", ":"+zwsp+"//")
}

// slackLabel escapes an untrusted link label for `<url|label>`: entities for
// &, < and >, no "|" (Slack would read it as a separator), no "scheme://".
func slackLabel(s string) string {
	return strings.ReplaceAll(EscapeSlack(defangURLs(s)), "|", "∣")
}

// discordLabel escapes an untrusted link label for `[label](url)`.
func discordLabel(s string) string { return EscapeDiscord(defangURLs(s)) }

// defuse makes text inert where Discord renders no markdown (embed footers):
// no backslashes, which would show, but the same zero-width breaks in
// mentions, masked links and URLs as the escapers use, so the text stays
// harmless should Discord ever start rendering it.
func defuse(s string) string {
	s = strings.ReplaceAll(s, "@", "@"+zwsp)
	s = strings.ReplaceAll(s, "<", "<"+zwsp)
	s = strings.ReplaceAll(s, "](", "]"+zwsp+"(")
	return defangURLs(s)
}

// plain leaves text as it is (for fields that no platform interprets).
func plain(s string) string { return s }

// SafeURL returns raw as an absolute http(s) URL that is safe to put inside
// Slack `<url|label>` and Discord `[label](url)` link syntax, or "" when raw is
// not such a URL (other schemes such as javascript:, data: or mailto:, no
// host, user info that could disguise the host, control characters, longer
// than MaxURLLen). Spaces, parentheses, "|", "<", ">", quotes, backslashes,
// brackets outside an IPv6 host and non-ASCII bytes are percent-encoded, so
// the URL cannot end a link early or smuggle markup; the host is lower-cased
// and internationalized names are converted to their ASCII form.
func SafeURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 4*MaxURLLen || !utf8.ValidString(raw) {
		return ""
	}
	for _, r := range raw {
		if unicode.IsControl(r) || isInvisibleFormat(r) {
			return ""
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Opaque != "" || u.User != nil || u.Host == "" {
		return ""
	}
	host, ok := safeHost(u.Hostname())
	if !ok {
		return ""
	}
	if port := u.Port(); port != "" {
		for _, c := range port {
			if c < '0' || c > '9' {
				return ""
			}
		}
		host += ":" + port
	} else if strings.HasSuffix(u.Host, ":") {
		return ""
	}
	rest := u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		rest += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		rest += "#" + u.EscapedFragment()
	}
	out := scheme + "://" + host + encodeURLRest(rest)
	if len(out) > MaxURLLen {
		return ""
	}
	return out
}

// safeHost returns the host in ASCII, lower case, or false when it is not a
// plausible DNS name or IP address.
func safeHost(h string) (string, bool) {
	if h == "" {
		return "", false
	}
	if strings.Contains(h, ":") { // IPv6 literal
		ip := net.ParseIP(h)
		if ip == nil {
			return "", false
		}
		return "[" + ip.String() + "]", true
	}
	h = strings.ToLower(h)
	ascii := true
	for i := 0; i < len(h); i++ {
		if h[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil {
			return "", false
		}
		h = a
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", false
		}
	}
	return h, true
}

// encodeURLRest percent-encodes every byte of a URL's path, query and
// fragment that could end or alter link markup, keeping valid escapes.
func encodeURLRest(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case strings.IndexByte("-._~!$&'*+,;=:@/?#", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isInvisibleFormat reports the format characters that change how text reads
// without showing themselves: bidirectional overrides and isolates (which can
// make "gnp.exe" read as "exe.png") and the byte order mark.
func isInvisibleFormat(r rune) bool {
	switch {
	case r == '\u061c', r == '\u200e', r == '\u200f', r == '\ufeff':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// cleanLine makes untrusted text fit for one line of chat or a terminal:
// invalid UTF-8 replaced, control characters (terminal escape sequences
// among them) and invisible direction overrides removed, every run of
// whitespace, line breaks included, collapsed to one space.
func cleanLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r) || r == '\u2028' || r == '\u2029':
			space = b.Len() > 0
			continue
		case unicode.IsControl(r) || isInvisibleFormat(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cleanText is cleanLine for text that may hold several lines (bot-written
// intros): each line is cleaned, blank runs collapse to one empty line.
func cleanText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		l = cleanLine(l)
		if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}

// fitText returns esc(s) when it is at most max units long, else the escaped
// longest prefix of s that fits together with a trailing "…". esc must map
// every prefix of its input to a text no longer than that of a longer prefix
// and never shorten text (the escapers here only add or swap characters), so
// a cut never splits an escape sequence and text longer than max need not be
// escaped whole to know it does not fit.
func fitText(s string, esc func(string) string, max int) string {
	if max <= 0 {
		return ""
	}
	if textLen(s) <= max {
		if e := esc(s); textLen(e) <= max {
			return e
		}
	}
	if max == 1 {
		return ellipsis
	}
	// Every rune is at least one unit, so only a prefix shorter than max
	// runes, and shorter than s, can fit with the "…".
	runes := []rune(firstRunes(s, max))
	lo, hi := 0, len(runes)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if textLen(esc(string(runes[:mid])))+1 <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return esc(strings.TrimRightFunc(string(runes[:lo]), unicode.IsSpace)) + ellipsis
}

// firstRunes returns the first n runes of s.
func firstRunes(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// clip bounds raw text before it is cleaned and measured, so that a feed
// serving megabytes in one title costs no more than a long title: text past
// n bytes (cut at a rune boundary) is replaced by "…". n is far above any
// display cap, so only absurd inputs are affected.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + ellipsis
}
