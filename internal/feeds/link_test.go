package feeds

import (
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalLink(t *testing.T) {
	base, _ := url.Parse("https://News.Example.org/feeds/world.rss?key=abc")
	tests := []struct {
		name string
		raw  string
		base *url.URL
		want string
	}{
		{name: "already canonical", raw: "https://example.org/a/b?id=1", want: "https://example.org/a/b?id=1"},
		{name: "scheme and host lowercased, path kept", raw: "HTTPS://EXAMPLE.Org/Path/Case", want: "https://example.org/Path/Case"},
		{name: "default https port dropped", raw: "https://example.org:443/a", want: "https://example.org/a"},
		{name: "default http port dropped", raw: "http://example.org:80/a", want: "http://example.org/a"},
		{name: "other port kept", raw: "http://example.org:8080/a", want: "http://example.org:8080/a"},
		{name: "https on port 80 keeps it", raw: "https://example.org:80/a", want: "https://example.org:80/a"},
		{name: "fragment dropped", raw: "https://example.org/a#comments", want: "https://example.org/a"},
		{name: "utm params dropped, others kept in order", raw: "https://example.org/a?z=1&utm_source=rss&b=2&utm_medium=feed&a=3&UTM_Campaign=x", want: "https://example.org/a?z=1&b=2&a=3"},
		{name: "click ids dropped", raw: "https://example.org/a?fbclid=IwAR0&id=7&gclid=Cj0&mc_cid=1&mc_eid=2", want: "https://example.org/a?id=7"},
		{name: "only tracking params leaves no query", raw: "https://example.org/a?utm_source=x&fbclid=y", want: "https://example.org/a"},
		{name: "empty query dropped", raw: "https://example.org/a?", want: "https://example.org/a"},
		{name: "encoded params kept byte for byte", raw: "https://example.org/s?q=caf%C3%A9+bar&x=%2F", want: "https://example.org/s?q=caf%C3%A9+bar&x=%2F"},
		{name: "encoded tracking key dropped", raw: "https://example.org/a?utm%5Fsource=x&k=v", want: "https://example.org/a?k=v"},
		{name: "raw non-ASCII and spaces in the query encoded", raw: "https://example.org/s?q=café bar&x=<1>", want: "https://example.org/s?q=caf%C3%A9%20bar&x=%3C1%3E"},
		{name: "raw and encoded query canonicalize alike", raw: "https://example.org/s?q=caf%C3%A9%20bar&x=%3C1%3E", want: "https://example.org/s?q=caf%C3%A9%20bar&x=%3C1%3E"},
		{name: "trailing space in the query", raw: "https://example.org/s?a=1 ", want: "https://example.org/s?a=1"},
		{name: "unicode space in the query", raw: "https://example.org/s?a=1\u3000b", want: "https://example.org/s?a=1%E3%80%80b"},
		{name: "unbracketed ipv6-looking host", raw: "//0::", base: base, want: ""},
		{name: "utm lookalike kept", raw: "https://example.org/a?utmost=1", want: "https://example.org/a?utmost=1"},
		{name: "empty path becomes slash", raw: "https://Example.org", want: "https://example.org/"},
		{name: "user info dropped", raw: "https://user:pass@example.org/a", want: "https://example.org/a"},
		{name: "trailing dot of host dropped", raw: "https://example.org./a", want: "https://example.org/a"},
		{name: "ipv6 host", raw: "http://[2001:DB8::1]:80/a", want: "http://[2001:db8::1]/a"},
		{name: "ipv6 host with port", raw: "http://[2001:db8::1]:8080/a", want: "http://[2001:db8::1]:8080/a"},
		{name: "surrounding space trimmed", raw: "\n  https://example.org/a  \n", want: "https://example.org/a"},
		{name: "relative path resolved", raw: "../story/1.html?utm_source=x", base: base, want: "https://news.example.org/story/1.html"},
		{name: "root-relative resolved", raw: "/a/b", base: base, want: "https://news.example.org/a/b"},
		{name: "scheme-relative resolved", raw: "//cdn.example.net/x", base: base, want: "https://cdn.example.net/x"},
		{name: "absolute ignores base", raw: "http://other.example/x", base: base, want: "http://other.example/x"},
		{name: "relative without base", raw: "/a/b", want: ""},
		{name: "javascript", raw: "javascript:alert(document.cookie)", want: ""},
		{name: "javascript mixed case with spaces", raw: "  JaVaScRiPt:alert(1)", base: base, want: ""},
		{name: "data", raw: "data:text/html;base64,PHNjcmlwdD4=", want: ""},
		{name: "mailto", raw: "mailto:x@example.org", want: ""},
		{name: "ftp", raw: "ftp://example.org/file", want: ""},
		{name: "file", raw: "file:///etc/passwd", want: ""},
		{name: "opaque http", raw: "http:example.org", want: ""},
		{name: "no host", raw: "http:///path", want: ""},
		{name: "empty", raw: "", want: ""},
		{name: "unparsable", raw: "http://[::1", want: ""},
		{name: "control character", raw: "https://example.org/a\x00b", want: ""},
		{name: "too long", raw: "https://example.org/" + strings.Repeat("a", maxLinkLen), want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CanonicalLink(tc.raw, tc.base)
			if got != tc.want {
				t.Fatalf("CanonicalLink(%q) = %q, want %q", tc.raw, got, tc.want)
			}
			if got != "" {
				if again := CanonicalLink(got, nil); again != got {
					t.Errorf("not idempotent: %q then %q", got, again)
				}
			}
		})
	}
}
