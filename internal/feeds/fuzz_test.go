package feeds

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseItems: whatever the bytes, ParseItems never panics, returns no
// items with an error, and every item it returns keeps the normalizer's
// promises (valid UTF-8, capped text, canonical http(s) link, a GUID, a sane
// date).
func FuzzParseItems(f *testing.F) {
	entries, err := os.ReadDir(fixtureDir(f))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(fixtureDir(f), e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
		// A short prefix too: a truncated download, and a seed small enough
		// for the fuzzer to mutate quickly.
		f.Add(b[:min(len(b), 2048)], "")
	}
	f.Add(rssDoc(`<item><title>a &amp; b</title><link>javascript:x</link></item>`), "text/xml; charset=windows-1251")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","url":"/x","title":"t"}]}`), "application/feed+json")
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">&lt;p&gt;x</title></entry></feed>`), "")
	f.Add([]byte("\xff\xfe<\x00r\x00s\x00s\x00>\x00"), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		items, err := ParseItems("fuzz", body, contentType, "https://example.org/feed", parseNow)
		if err != nil {
			if items != nil {
				t.Fatalf("items with an error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "parse feed") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		checkInvariants(t, items, parseNow)
	})
}

// FuzzCanonicalLink: never panics; a result is an absolute http(s) URL with a
// host, no fragment, no tracking parameter, and is its own canonical form.
func FuzzCanonicalLink(f *testing.F) {
	for _, s := range []string{
		"https://example.org/a?utm_source=x&b=1#frag",
		"HTTP://EXAMPLE.ORG:80",
		"//cdn.example.net/x",
		"../rel/path?q=%20",
		"javascript:alert(1)",
		"http://[::1]:443/x",
		"https://user:pw@host.example./p;x?fbclid=1&&a",
		"http://xn--80ak6aa92e.com/%D0%BF",
		"http://a/%2F%2f?%",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	base, _ := url.Parse("https://base.example.org/dir/feed.xml?k=v")
	f.Fuzz(func(t *testing.T, raw string, withBase bool) {
		b := base
		if !withBase {
			b = nil
		}
		got := CanonicalLink(raw, b)
		if got == "" {
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("CanonicalLink(%q) = %q, which does not parse: %v", raw, got, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || u.User != nil {
			t.Fatalf("CanonicalLink(%q) = %q: not a clean absolute http(s) URL", raw, got)
		}
		for _, p := range strings.Split(u.RawQuery, "&") {
			key, _, _ := strings.Cut(p, "=")
			if k, err := url.QueryUnescape(key); err == nil {
				key = k
			}
			if key = strings.ToLower(key); strings.HasPrefix(key, "utm_") || trackingParams[key] {
				t.Fatalf("CanonicalLink(%q) = %q kept tracking parameter %q", raw, got, key)
			}
		}
		if again := CanonicalLink(got, nil); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", raw, got, again)
		}
	})
}
