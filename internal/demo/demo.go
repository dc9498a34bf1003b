// Package demo holds the sample feeds that `feedwatch demo` polls and the
// loopback HTTP server that serves them, so a newcomer sees alerts and a digest
// without an account, a network or a feed of their own.
//
// The served feeds, by the name the demo config should give each and the path
// to append to the server's base URL (exported to the config as
// ${FEEDWATCH_DEMO_URL}):
//
//	name                  path                         format
//	kyiv-ledger           /kyiv-ledger.xml             RSS 2.0, UTF-8 (Ukraine peace talks wire)
//	euro-policy-desk      /euro-policy-desk.atom       Atom 1.0 (EU policy; carries one Kyiv Ledger story)
//	global-markets-brief  /global-markets-brief.json   JSON Feed 1.1 (oil, sanctions, markets)
//	rheinufer-abendblatt  /rheinufer-abendblatt.xml    RSS 2.0, ISO-8859-1 (German)
//	lakeside-gazette      /lakeside-gazette.xml        RSS 2.0, UTF-8 (sport, tech, weather)
//
// For example:
//
//	feeds:
//	  - name: kyiv-ledger
//	    url: ${FEEDWATCH_DEMO_URL}/kyiv-ledger.xml
//
// The files are written with dates between 28 August and 2 September 2025.
// Serve moves every date by one offset so that the newest item is published a
// few minutes before the demo starts: the demo always runs "now", and items
// older than a feed's max_age are never alerted.
package demo

import (
	"embed"
	"fmt"
	"io/fs"
)

// feedFiles holds the sample feeds exactly as they are served, before the
// dates are moved. The ISO-8859-1 file is stored in that encoding.
//
//go:embed feeds
var feedFiles embed.FS

// format is the syndication format of a sample, which decides where its dates
// are and how they are written.
type format int

const (
	formatRSS format = iota
	formatAtom
	formatJSON
)

// sample describes one bundled feed.
type sample struct {
	name        string // feed name for the config: [a-z0-9-]
	title       string
	path        string // URL path served, also the file name under feeds/
	contentType string
	format      format
}

// samples is the one list that Feeds, Paths and the server read, so what the
// config is told and what is served cannot drift apart.
var samples = []sample{
	{name: "kyiv-ledger", title: "Kyiv Ledger: Wire", path: "/kyiv-ledger.xml",
		contentType: "application/rss+xml; charset=utf-8", format: formatRSS},
	{name: "euro-policy-desk", title: "Euro Policy Desk", path: "/euro-policy-desk.atom",
		contentType: "application/atom+xml; charset=utf-8", format: formatAtom},
	{name: "global-markets-brief", title: "Global Markets Brief", path: "/global-markets-brief.json",
		contentType: "application/feed+json", format: formatJSON},
	{name: "rheinufer-abendblatt", title: "Rheinufer Abendblatt - Politik", path: "/rheinufer-abendblatt.xml",
		contentType: "application/rss+xml; charset=iso-8859-1", format: formatRSS},
	{name: "lakeside-gazette", title: "Lakeside Gazette", path: "/lakeside-gazette.xml",
		contentType: "application/rss+xml; charset=utf-8", format: formatRSS},
}

// FeedInfo names one sample feed as the demo config should list it.
type FeedInfo struct {
	Name  string // feed name for the config, [a-z0-9-]
	Path  string // path to append to the base URL returned by Serve, e.g. "/kyiv-ledger.xml"
	Title string // the feed's own title, for display
}

// Feeds lists the sample feeds in a stable order, with the names the demo
// config uses for them.
func Feeds() []FeedInfo {
	out := make([]FeedInfo, len(samples))
	for i, s := range samples {
		out[i] = FeedInfo{Name: s.name, Path: s.path, Title: s.title}
	}
	return out
}

// Paths lists the URL paths the demo server answers with a feed, in the same
// order as Feeds.
func Paths() []string {
	out := make([]string, len(samples))
	for i, s := range samples {
		out[i] = s.path
	}
	return out
}

// raw returns the bundled bytes of a sample as written, dates unmoved.
func (s sample) raw() ([]byte, error) {
	b, err := fs.ReadFile(feedFiles, "feeds"+s.path)
	if err != nil {
		return nil, fmt.Errorf("read sample feed %s: %w", s.name, err)
	}
	return b, nil
}
