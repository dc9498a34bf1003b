package feeds

import (
	"net/netip"
	"net/url"
	"strings"
)

// maxLinkLen is the longest link kept. Browsers and servers stop well before
// this; anything longer is junk or an attack on storage.
const maxLinkLen = 8 << 10

// trackingParams are query parameters that identify a campaign or a click,
// not a page: the same article shared with different ones is the same story.
// utm_* is matched by prefix.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "mc_cid": true, "mc_eid": true,
}

// CanonicalLink returns the canonical form of a feed link, resolved against
// base (the feed's URL; nil = raw must be absolute), or "" when the link is
// empty, unparsable, too long or not http(s) (a javascript: or data: link is
// never passed on). The canonical form lowercases scheme and host, drops user
// info, default ports, the fragment and the utm_*, fbclid, gclid, mc_cid and
// mc_eid parameters, gives an empty path "/" and keeps every other query
// parameter as it was, in order. Two links to one page shared by different
// campaigns canonicalize the same, which is what deduplication needs.
func CanonicalLink(raw string, base *url.URL) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxLinkLen {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if !httpScheme(u.Scheme) || u.Opaque != "" {
		return ""
	}
	host := canonicalHost(u)
	if host == "" {
		return ""
	}
	u.Host = host
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	u.RawQuery = stripTracking(u.RawQuery)
	u.ForceQuery = false
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	out := u.String()
	if len(out) > maxLinkLen {
		return ""
	}
	// What goes out must read back as the same URL, or storage, dedup and
	// chat would each see a different link.
	if _, err := url.Parse(out); err != nil {
		return ""
	}
	return out
}

// canonicalHost lowercases the host and drops the scheme's default port; it
// returns "" for a URL without a usable host. url.Parse is lenient about
// hosts (an unbracketed "0::" passes), so an IPv6 literal must be bracketed
// and parse as an address, and a trailing dot of a name is dropped.
func canonicalHost(u *url.URL) string {
	hostname, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.HasPrefix(u.Host, "[") {
		if _, err := netip.ParseAddr(hostname); err != nil {
			return ""
		}
		hostname = "[" + hostname + "]"
	} else {
		hostname = strings.TrimSuffix(hostname, ".")
		if hostname == "" || strings.Contains(hostname, ":") {
			return ""
		}
	}
	if port != "" {
		return hostname + ":" + port
	}
	return hostname
}

// stripTracking removes tracking parameters from a raw query, keeping the
// other parameters byte for byte and in order (reordering or re-encoding
// them could change what some servers return).
func stripTracking(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	parts := strings.Split(rawQuery, "&")
	kept := parts[:0]
	for _, p := range parts {
		if p == "" {
			continue
		}
		key, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		key = strings.ToLower(key)
		if strings.HasPrefix(key, "utm_") || trackingParams[key] {
			continue
		}
		kept = append(kept, escapeQueryPart(p))
	}
	return strings.Join(kept, "&")
}

// escapeQueryPart percent-encodes the bytes that may not stand raw in a URL
// (spaces, controls, non-ASCII and a few delimiters) and leaves everything
// else, existing escapes included, as it is. Feeds write the same link both
// raw ("?q=café") and encoded ("?q=caf%C3%A9"): both come out encoded, and a
// trailing space can no longer vanish on a second pass.
func escapeQueryPart(p string) string {
	const hexDigits = "0123456789ABCDEF"
	if !strings.ContainsFunc(p, mustEscape) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !mustEscape(rune(c)) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// mustEscape reports the bytes (or, for the quick check, runes: any
// non-ASCII rune has only bytes >= 0x80) that cannot stand raw in a query.
func mustEscape(r rune) bool {
	return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"<>\^`+"`{|}", r)
}
