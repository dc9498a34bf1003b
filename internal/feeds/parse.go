package feeds

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Limits applied while normalizing, so that one feed cannot flood storage,
// matching or chat.
const (
	// MaxItemsPerFeed is how many items one document yields at most; the
	// newest are kept.
	MaxItemsPerFeed = 1000
	// MaxTitleRunes caps Item.Title.
	MaxTitleRunes = 1000
	// MaxSummaryRunes caps Item.Summary.
	MaxSummaryRunes = 4000

	maxAuthorRunes    = 200
	maxCategoryRunes  = 200
	maxCategories     = 50
	maxGUIDBytes      = 1024
	fallbackTitleRune = 140
	// futureSlack is how far ahead of now a date may be before it is taken
	// as wrong: feeds in zones ahead of ours are fine, "2099" is not.
	futureSlack = 24 * time.Hour
)

// ParseItems parses a feed document (RSS 0.9x, 1.0 and 2.0, Atom or JSON
// Feed, in any charset its XML declaration or contentType names) and returns
// its entries as normalized items of the feed named feedName. feedURL is
// where the document was fetched from; relative links resolve against it.
// now is when the items are first seen: it fills FirstSeen, stands in for a
// missing publication date and bounds dates in the future.
//
// A document that is not a feed (an HTML page, a truncated download) is an
// error and yields no items. Entity expansion attacks ("billion laughs") are
// harmless: the XML decoder never expands entities declared in a DTD.
//
// Common RSS and Atom documents are read by fastParse, several times faster
// than gofeed and with the same result; gofeed reads everything else.
func ParseItems(feedName string, body []byte, contentType, feedURL string, now time.Time) ([]news.Item, error) {
	return parseItems(feedName, body, contentType, feedURL, now, true)
}

// parseItems is ParseItems, reading the common documents with fastParse
// when fast is set and everything with gofeed otherwise (the tests compare
// the two).
func parseItems(feedName string, body []byte, contentType, feedURL string, now time.Time, fast bool) ([]news.Item, error) {
	doc, err := toUTF8(body, contentType)
	if err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	var entries []*gofeed.Item
	ok := false
	if fast {
		entries, ok = fastParse(doc)
	}
	if !ok {
		if entries, err = parseGofeed(doc); err != nil {
			return nil, err
		}
	}
	var base *url.URL
	if u, err := url.Parse(feedURL); err == nil && u.IsAbs() {
		base = u
	}
	now = now.UTC()
	items := make([]news.Item, 0, min(len(entries), MaxItemsPerFeed))
	for _, fi := range entries {
		if fi == nil {
			continue
		}
		items = append(items, normalize(feedName, fi, base, now))
	}
	return newest(items, MaxItemsPerFeed), nil
}

// parseGofeed parses doc (converted to UTF-8) with gofeed and returns its
// entries.
func parseGofeed(doc []byte) ([]*gofeed.Item, error) {
	feed, err := newGofeedParser().Parse(bytes.NewReader(doc))
	if err != nil {
		// One control character refuses the whole document; read it
		// without them rather than lose every item (a second parse only
		// for documents that failed).
		if clean, dropped := dropIllegalChars(doc); dropped {
			if f, cerr := newGofeedParser().Parse(bytes.NewReader(clean)); cerr == nil {
				feed, err = f, nil
			}
		}
	}
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, fmt.Errorf("parse feed: not an RSS, Atom or JSON feed%s", looksLike(doc))
		}
		return nil, fmt.Errorf("parse feed: invalid %s: %w", kindOf(doc), err)
	}
	return feed.Items, nil
}

// newGofeedParser returns a gofeed parser for one document: a fresh one per
// call, since gofeed parsers have not always been safe to share between
// goroutines. Its RSS translator does not scan every item's HTML for a first
// image (a full HTML parse per item, about a sixth of the parse time): items
// carry no image.
func newGofeedParser() *gofeed.Parser {
	p := gofeed.NewParser()
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return p
}

// looksLike names what a document that is not a feed seems to be, for the
// error message: most often a web page served where the feed used to be.
func looksLike(doc []byte) string {
	head := bytes.ToLower(doc[:min(len(doc), 1024)])
	if bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype html")) {
		return " (it looks like an HTML page)"
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return " (the document is empty)"
	}
	return ""
}

// kindOf names the format a document was taken for, from its first byte the
// way gofeed detects it, so a parse error says what was expected.
func kindOf(doc []byte) string {
	if t := bytes.TrimLeft(doc, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return "JSON feed"
	}
	return "XML feed"
}

// normalize turns one gofeed entry into a news.Item.
func normalize(feedName string, fi *gofeed.Item, base *url.URL, now time.Time) news.Item {
	it := news.Item{Feed: feedName, FirstSeen: now}

	it.Link = itemLink(fi, base)
	it.Title = truncate(htmlToText(fi.Title, false), MaxTitleRunes)
	summary := htmlToText(fi.Description, true)
	if summary == "" {
		summary = htmlToText(fi.Content, true)
	}
	it.Summary = truncate(summary, MaxSummaryRunes)

	it.Published = now
	switch {
	case fi.PublishedParsed != nil:
		it.Published = fi.PublishedParsed.UTC()
	case fi.UpdatedParsed != nil:
		it.Published = fi.UpdatedParsed.UTC()
	}
	if it.Published.After(now.Add(futureSlack)) {
		it.Published = now
	}

	it.GUID = itemGUID(fi, it)
	if it.Title == "" {
		// A chat alert needs something to click on: the start of the text,
		// else the link itself.
		it.Title = firstNonEmpty(truncate(firstLine(it.Summary), fallbackTitleRune), it.Link)
	}
	it.Author = truncate(itemAuthor(fi), maxAuthorRunes)
	it.Categories = categories(fi.Categories)
	return it
}

// itemLink is the first usable link of an entry, canonical.
func itemLink(fi *gofeed.Item, base *url.URL) string {
	if l := CanonicalLink(fi.Link, base); l != "" {
		return l
	}
	for _, l := range fi.Links {
		if c := CanonicalLink(l, base); c != "" {
			return c
		}
	}
	return ""
}

// itemGUID is the entry's identity within its feed: its own guid or id, else
// its canonical link, else a hash of its title and date ("h:" and hex SHA-256)
// so that an entry without either still dedups across polls. An entry with
// neither a title nor a date hashes its summary instead of nothing, so that
// distinct untitled entries stay distinct. A GUID too long to be a sane key
// is hashed the same way.
func itemGUID(fi *gofeed.Item, it news.Item) string {
	if g := strings.ToValidUTF8(strings.TrimSpace(fi.GUID), ""); g != "" {
		if len(g) > maxGUIDBytes {
			return hashGUID(g)
		}
		return g
	}
	if it.Link != "" {
		return it.Link
	}
	date := strings.TrimSpace(firstNonEmpty(fi.Published, fi.Updated))
	if it.Title == "" && date == "" {
		return hashGUID("\x00\x00" + it.Summary)
	}
	return hashGUID(it.Title + "\x00" + date)
}

func hashGUID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "h:" + hex.EncodeToString(sum[:])
}

// itemAuthor is the name of the entry's first author.
func itemAuthor(fi *gofeed.Item) string {
	if fi.Author != nil {
		if n := htmlToText(fi.Author.Name, false); n != "" {
			return n
		}
	}
	for _, a := range fi.Authors {
		if a == nil {
			continue
		}
		if n := htmlToText(a.Name, false); n != "" {
			return n
		}
	}
	return ""
}

// categories cleans, trims and deduplicates (case-insensitively, first
// spelling kept) an entry's categories.
func categories(raw []string) []string {
	var out []string
	seen := make(map[string]bool, len(raw))
	for _, c := range raw {
		c = truncate(htmlToText(c, false), maxCategoryRunes)
		key := strings.ToLower(c)
		if c == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, c)
		if len(out) == maxCategories {
			break
		}
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// newest keeps the max newest items (by Published; ties keep the earlier in
// the document, which feeds list newest first) in their document order.
func newest(items []news.Item, max int) []news.Item {
	if len(items) <= max {
		return items
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return items[b].Published.Compare(items[a].Published)
	})
	idx = idx[:max]
	slices.Sort(idx)
	out := make([]news.Item, 0, max)
	for _, i := range idx {
		out = append(out, items[i])
	}
	return out
}
