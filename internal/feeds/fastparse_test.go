package feeds

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/encoding/charmap"

	"github.com/feedwatch/feedwatch/internal/news"
)

// The fast path must never change what ParseItems returns: every test here
// parses documents both ways (parseItems with and without it) and compares
// the whole output.

const fastFeedURL = "https://example.org/feeds/main.xml"

// takesFastPath reports whether ParseItems reads body with fastParse.
func takesFastPath(body []byte, contentType string) bool {
	doc, err := toUTF8(body, contentType)
	if err != nil {
		return false
	}
	_, ok := fastParse(doc)
	return ok
}

// pathsDiffer parses body both ways and describes the first difference,
// "" when there is none.
func pathsDiffer(body []byte, contentType string) string {
	fast, ferr := parseItems("f", body, contentType, fastFeedURL, parseNow, true)
	slow, serr := parseItems("f", body, contentType, fastFeedURL, parseNow, false)
	if (ferr == nil) != (serr == nil) || ferr != nil && ferr.Error() != serr.Error() {
		return fmt.Sprintf("errors differ: fast %v, gofeed %v", ferr, serr)
	}
	if len(fast) != len(slow) {
		return fmt.Sprintf("fast path gives %d items, gofeed %d", len(fast), len(slow))
	}
	for i := range fast {
		if d := itemDiff(fast[i], slow[i]); d != "" {
			return fmt.Sprintf("item %d: %s", i, d)
		}
	}
	return ""
}

// rawDiffer compares the entries fastParse gives for doc, when it reads it,
// with gofeed's in the fields normalize reads, before normalize (whose
// cleaning could hide a difference), and describes the first difference.
func rawDiffer(body []byte, contentType string) string {
	doc, err := toUTF8(body, contentType)
	if err != nil {
		return ""
	}
	fast, ok := fastParse(doc)
	if !ok {
		return ""
	}
	slow, err := parseGofeed(doc)
	if err != nil {
		return fmt.Sprintf("fast path reads a document gofeed fails on: %v", err)
	}
	if len(fast) != len(slow) {
		return fmt.Sprintf("fast path gives %d entries, gofeed %d", len(fast), len(slow))
	}
	for i := range fast {
		if d := rawItemDiff(fast[i], slow[i]); d != "" {
			return fmt.Sprintf("entry %d: %s", i, d)
		}
	}
	return ""
}

func rawItemDiff(f, g *gofeed.Item) string {
	var d []string
	str := func(field, a, b string) {
		if a != b {
			d = append(d, fmt.Sprintf("%s fast %q, gofeed %q", field, a, b))
		}
	}
	str("title", f.Title, g.Title)
	str("description", f.Description, g.Description)
	str("content", f.Content, g.Content)
	str("link", f.Link, g.Link)
	str("guid", f.GUID, g.GUID)
	str("published", f.Published, g.Published)
	str("updated", f.Updated, g.Updated)
	if !slices.Equal(f.Links, g.Links) {
		d = append(d, fmt.Sprintf("links fast %q, gofeed %q", f.Links, g.Links))
	}
	if !slices.Equal(f.Categories, g.Categories) {
		d = append(d, fmt.Sprintf("categories fast %q, gofeed %q", f.Categories, g.Categories))
	}
	date := func(field string, a, b *time.Time) {
		if (a == nil) != (b == nil) || a != nil && !a.Equal(*b) {
			d = append(d, fmt.Sprintf("%s fast %v, gofeed %v", field, a, b))
		}
	}
	date("published date", f.PublishedParsed, g.PublishedParsed)
	date("updated date", f.UpdatedParsed, g.UpdatedParsed)
	names := func(ps ...*gofeed.Person) []string {
		var out []string
		for _, p := range ps {
			if p != nil {
				out = append(out, p.Name)
			} else {
				out = append(out, "<nil>")
			}
		}
		return out
	}
	if a, b := names(f.Author), names(g.Author); !slices.Equal(a, b) {
		d = append(d, fmt.Sprintf("author fast %q, gofeed %q", a, b))
	}
	if a, b := names(f.Authors...), names(g.Authors...); !slices.Equal(a, b) {
		d = append(d, fmt.Sprintf("authors fast %q, gofeed %q", a, b))
	}
	return strings.Join(d, "; ")
}

func itemDiff(f, g news.Item) string {
	var d []string
	str := func(field, a, b string) {
		if a != b {
			d = append(d, fmt.Sprintf("%s fast %q, gofeed %q", field, a, b))
		}
	}
	str("feed", f.Feed, g.Feed)
	str("guid", f.GUID, g.GUID)
	str("link", f.Link, g.Link)
	str("title", f.Title, g.Title)
	str("summary", f.Summary, g.Summary)
	str("author", f.Author, g.Author)
	if !slices.Equal(f.Categories, g.Categories) {
		d = append(d, fmt.Sprintf("categories fast %q, gofeed %q", f.Categories, g.Categories))
	}
	if !f.Published.Equal(g.Published) || f.Published.Location() != g.Published.Location() {
		d = append(d, fmt.Sprintf("published fast %v, gofeed %v", f.Published, g.Published))
	}
	if !f.FirstSeen.Equal(g.FirstSeen) || f.ID != g.ID {
		d = append(d, "first seen or ID differ")
	}
	return strings.Join(d, "; ")
}

func TestFastParseFixtures(t *testing.T) {
	dir := fixtureDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var fast []string
	for _, e := range entries {
		body, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if d := pathsDiffer(body, ""); d != "" {
			t.Errorf("%s: %s", e.Name(), d)
		}
		if d := rawDiffer(body, ""); d != "" {
			t.Errorf("%s: %s", e.Name(), d)
		}
		if takesFastPath(body, "") {
			fast = append(fast, e.Name())
		}
	}
	t.Logf("%d of %d fixtures take the fast path: %s", len(fast), len(entries), strings.Join(fast, " "))
	// These must keep taking it: a regression here is a silent slow down.
	for _, name := range []string{"aktuality.rss", "bbc-urdu.xml", "golem-iso-8859-1.xml", "guardian-us.rss", "heise.atom",
		"ibash-windows-1251.xml", "jn-iso-8859-1.rss", "large.atom", "large.rss", "livemint.xml", "macworld.rss", "nyt-us.xml"} {
		if !slices.Contains(fast, name) {
			t.Errorf("%s no longer takes the fast path", name)
		}
	}
}

// TestFastParseGenerated compares the two paths on documents shaped like the
// benchmark corpus's (gen_test.go) and on a few hundred more varied ones.
// Every corpus-shaped document must take the fast path.
func TestFastParseGenerated(t *testing.T) {
	for i, doc := range corpusDocs(120, 20, 1) {
		if !takesFastPath(doc, "") {
			t.Errorf("corpus document %d does not take the fast path:\n%s", i, doc)
		}
		if d := pathsDiffer(doc, ""); d != "" {
			t.Errorf("corpus document %d: %s\n%s", i, d, doc)
		}
		if d := rawDiffer(doc, ""); d != "" {
			t.Errorf("corpus document %d: %s\n%s", i, d, doc)
		}
	}
	fast, n := 0, 400
	for i := range n {
		doc, ct := variedDoc(rand.New(rand.NewPCG(42, uint64(i))))
		if takesFastPath(doc, ct) {
			fast++
		}
		if d := pathsDiffer(doc, ct); d != "" {
			t.Errorf("varied document %d: %s\n%s", i, d, doc)
		}
		if d := rawDiffer(doc, ct); d != "" {
			t.Errorf("varied document %d: %s\n%s", i, d, doc)
		}
	}
	t.Logf("%d of %d varied documents take the fast path", fast, n)
	if fast < n/2 {
		t.Errorf("only %d of %d varied documents take the fast path", fast, n)
	}
}

// fastCases are documents the fast path reads or leaves to gofeed (fast),
// at the edges of what it reproduces.
var fastCases = func() []fastCase {
	rss := func(item string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">` +
			`<channel><title>c</title><item>` + item + `</item></channel></rss>`
	}
	atom := func(entry string) string {
		return `<feed xmlns="http://www.w3.org/2005/Atom"><title>c</title><entry>` + entry + `</entry></feed>`
	}
	return []fastCase{
		{"rss plain", rss(`<title>T</title><link>https://e.org/1</link><guid>g1</guid><pubDate>Mon, 02 Jan 2006 15:04:05 -0700</pubDate>`), "", true},
		{"rss 0.91", `<rss version="0.91"><channel><item><title>Old &amp; gold</title><link>http://e.org/091</link></item></channel></rss>`, "", true},
		{"rss GMT one digit day", rss(`<title>T</title><pubDate>Tue, 3 Feb 2026 01:02:03 GMT</pubDate>`), "", true},
		{"rss UTC", rss(`<title>T</title><pubDate>Tue, 03 Feb 2026 01:02:03 UTC</pubDate>`), "", true},
		{"rss RFC 3339 pubDate", rss(`<title>T</title><pubDate>2026-01-01T10:00:00.25+05:30</pubDate>`), "", true},
		{"rss empty pubDate", rss(`<title>T</title><pubDate></pubDate>`), "", true},
		{"rss EST is gofeed's", rss(`<title>T</title><pubDate>Tue, 03 Feb 2026 01:02:03 EST</pubDate>`), "", false},
		{"rss odd date is gofeed's", rss(`<title>T</title><pubDate>2026-01-01 10:00</pubDate>`), "", false},
		{"rss out of range date is gofeed's", rss(`<title>T</title><pubDate>Tue, 31 Feb 2026 01:02:03 GMT</pubDate>`), "", false},
		{"rss dc", rss(`<title></title><dc:title>DT</dc:title><dc:creator> A &amp; B </dc:creator><dc:date>2026-01-01T00:00:00Z</dc:date><dc:subject>s1</dc:subject><category>c</category>`), "", true},
		{"rss dc date fallback", rss(`<title>T</title><pubDate>garbage</pubDate><dc:date>2026-01-01T00:00:00Z</dc:date>`), "", false},
		{"rss content encoded", rss(`<title>T</title><content:encoded><![CDATA[<p>Body</p>]]></content:encoded>`), "", true},
		{"rss author forms", rss(`<title>T</title><author>jo@e.org (Jo Doe)</author>`), "", true},
		{"rss link href", rss(`<title>T</title><link href="https://e.org/h x"></link>`), "", true},
		{"rss uppercase", rss(`<Title>T</Title><LINK>https://e.org/u</LINK><PubDate>Mon, 02 Jan 2006 15:04:05 +0000</PubDate>`), "", true},
		{"rss markup in title", rss(`<title>A <b>bold</b> &amp;amp; <!-- c --> move</title>`), "", true},
		{"rss entities", rss(`<title>caf&eacute; &nbsp; &#8217; &copy=2; &amp</title><description>x &lt;p&gt;y</description>`), "", true},
		{"rss cdata mix", rss(`<description>a &amp; <![CDATA[<b>b</b> &amp;]]> c</description>`), "", true},
		{"rss itunes", `<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><item><itunes:author>I</itunes:author><itunes:summary>S</itunes:summary><itunes:keywords>a, b</itunes:keywords></item></channel></rss>`, "", true},
		{"rss itunes canonical", `<rss xmlns:it="http://www.itunes.com/DTDs/PodCast-1.0.dtd"><channel><item><it:author>I</it:author><it:keywords>a,b</it:keywords></item></channel></rss>`, "", true},
		{"rss atom in item is gofeed's", `<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel><item><atom:summary>S</atom:summary></item></channel></rss>`, "", false},
		{"rss atom link in channel", `<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel><atom:link rel="self" href="x"/><item><title>T</title></item></channel></rss>`, "", true},
		{"rss bogus default namespace", `<rss xmlns="http://backend.userland.com/rss2"><channel><item><title>T</title></item></channel></rss>`, "", true},
		{"rss relative default namespace", `<rss xmlns="rss2"><channel><item><title>T</title></item></channel></rss>`, "", true},
		{"rss unknown default namespace is gofeed's", `<rss xmlns="http://example.org/rss"><channel><item><title>T</title></item></channel></rss>`, "", false},
		{"rss unknown default namespace, other prefix", `<rss xmlns="http://example.org/rss" xmlns:r="http://example.org/rss"><r:channel/><channel xmlns=""><item><title>T</title></item></channel></rss>`, "", false},
		{"rss unknown namespace on the root only", `<r:rss xmlns:r="http://example.org/rss"><channel><item><title>T</title><r:foo>x</r:foo></item></channel></r:rss>`, "", false},
		{"rss unknown namespace on the root and channel children", `<r:rss xmlns:r="http://example.org/rss"><channel><r:title>x</r:title><item><title>T</title></item></channel></r:rss>`, "", true},
		{"rss atom default namespace", `<rss xmlns="http://www.w3.org/2005/Atom"><channel><item><title>T</title></item></channel></rss>`, "", true},
		{"rss lowercase itunes default namespace", `<rss xmlns="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><item><title>T</title></item></channel></rss>`, "", true},
		{"rss canonical default namespace", `<rss xmlns="http://purl.org/dc/elements/1.1/"><channel><item><title>T</title></item></channel></rss>`, "", true},
		{"rss dc prefix for another namespace is gofeed's", `<rss xmlns:dc="http://example.org/not-dc"><channel><item><title>T</title><dc:creator>X</dc:creator></item></channel></rss>`, "", false},
		{"rss dc prefix for a relative namespace", `<rss xmlns:dc="not-dc"><channel><item><title>T</title><dc:creator>X</dc:creator></item></channel></rss>`, "", true},
		{"rss dc namespace under another prefix", `<rss xmlns:wfw="http://purl.org/dc/elements/1.1/"><channel><item><wfw:creator>X</wfw:creator></item></channel></rss>`, "", true},
		{"rss content namespace under another prefix", `<rss xmlns:c="http://purl.org/rss/1.0/modules/content/"><channel><item><c:encoded>E</c:encoded><encoded>F</encoded></item></channel></rss>`, "", true},
		{"rss content prefix for another namespace is gofeed's", `<rss xmlns:content="http://example.org/c"><channel><item><content:encoded>E</content:encoded></item></channel></rss>`, "", false},
		{"rss content prefix for another namespace, other elements", `<rss xmlns:content="http://example.org/c"><channel><item><title>T</title><content:other>E</content:other></item></channel></rss>`, "", true},
		{"rss atom prefix for another namespace is gofeed's", `<rss xmlns:atom10="http://example.org/a"><channel><item><atom10:summary>S</atom10:summary></item></channel></rss>`, "", false},
		{"rss undeclared atom prefix is gofeed's", `<rss><channel><item><atom:summary>S</atom:summary></item></channel></rss>`, "", false},
		{"rss undeclared itunes prefix", `<rss><channel><item><itunes:author>A</itunes:author><itunes:keywords>k</itunes:keywords></item></channel></rss>`, "", true},
		{"rss itunes lowercase under another prefix", `<rss xmlns:it="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><item><it:author>I</it:author><it:summary>S</it:summary></item></channel></rss>`, "", true},
		{"rss itunes alternative namespace", `<rss xmlns:p="http://example.com/DTDs/PodCast-1.0.dtd"><channel><item><p:author>I</p:author></item></channel></rss>`, "", true},
		{"rss extension prefixes", `<rss xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" xmlns:georss="http://www.georss.org/georss" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:x="urn:x"><channel><sy:updatePeriod>hourly</sy:updatePeriod><item><title>T</title><wfw:commentRss>c</wfw:commentRss><slash:comments>3</slash:comments><georss:point>1 2</georss:point><feedburner:origLink>o</feedburner:origLink><media:content url="u"/><x:dc>d</x:dc></item></channel></rss>`, "", true},
		{"rss extension prefix for the dc namespace", `<rss xmlns:media="http://purl.org/dc/elements/1.1/"><channel><item><media:creator>M</media:creator></item></channel></rss>`, "", true},
		{"rss default namespace shared with a prefix", `<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item xmlns="urn:d" xmlns:d="urn:d"><creator>C</creator><d:title>T</d:title></item></channel></rss>`, "", true},
		{"rss dc prefix and the default namespace on one URI", `<rss><channel><rss:item xmlns:dc="urn:dc" xmlns="urn:dc"><dc:creator>C</dc:creator><title>T</title><rss:title>R</rss:title></rss:item></channel></rss>`, "", true},
		{"rss dc prefix after the default namespace on one URI is gofeed's", `<rss><channel><rss:item xmlns="urn:dc" xmlns:dc="urn:dc"><dc:creator>C</dc:creator><rss:title>R</rss:title></rss:item></channel></rss>`, "", false},
		{"rss undeclared prefix", `<rss><channel><item><dc:creator>X</dc:creator><rss:title>R</rss:title></item></channel></rss>`, "", true},
		{"rss items beside channel", `<rss><channel><item><title>1</title></item></channel><item><title>2</title></item></rss>`, "", true},
		{"rss two channels are gofeed's", `<rss><channel><item><title>1</title></item></channel><channel><item><title>2</title></item></channel></rss>`, "", false},
		{"rss text between elements", rss(`junk<title>T</title>more`), "", true},
		{"rss trailing garbage", rss(`<title>T</title>`) + `<<<&&`, "", true},
		{"rss windows-1252", "<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss><channel><item><title>caf\xe9 \x93q\x94</title></item></channel></rss>", "", true},
		{"rss unknown charset", `<?xml version="1.0" encoding="x-nope"?><rss><channel><item><title>T</title></item></channel></rss>`, "", false},
		{"rss xml:base is gofeed's", `<rss><channel xml:base="https://e.org/a/"><item><link>b</link></item></channel></rss>`, "", false},
		{"rss DOCTYPE is gofeed's", `<!DOCTYPE rss [<!ENTITY x "y">]><rss><channel><item><title>&x;</title></item></channel></rss>`, "", false},
		{"rss control character is gofeed's", rss("<title>a\x01b</title>"), "", false},
		{"rss illegal reference is gofeed's", rss(`<title>a&#1;b</title>`), "", false},
		{"rss mismatched tags are gofeed's", rss(`<title>a<b>c</title>`), "", false},
		{"rss truncated is gofeed's", rss(`<title>T</title>`)[:60], "", false},
		{"rss unquoted attribute is gofeed's", rss(`<guid isPermaLink=false>g</guid>`), "", false},
		{"rss attribute without value is gofeed's", rss(`<guid isPermaLink>g</guid>`), "", false},
		{"rss ]]> in text is gofeed's", rss(`<title>a ]]> b</title>`), "", false},
		{"rss ]]> in attribute", rss(`<title x="]]>">T</title>`), "", true},
		{"rss references", rss(`<title>&#xD800; &#X41; &#x41 &#; &#65;&#x1F600; &#1114112; &#99999999999999999999; &amp;amp;</title><dc:creator>&#65;&#xD800;&lt;&nope;&#x;</dc:creator>`), "", true},
		{"rss non-ASCII name is gofeed's", rss(`<título>T</título>`), "", false},
		{"rss odd names", rss(`<a.b-c>x</a.b-c><x_y:z.w>v</x_y:z.w><title >T</title  >`), "", true},
		{"rss name with two colons is gofeed's", rss(`<a:b:c>x</a:b:c>`), "", false},
		{"rss processing instruction inside is gofeed's", rss(`<?php echo 1 ?><title>T</title>`), "", false},
		{"rss comment with -- is gofeed's", rss(`<!-- a -- b --><title>T</title>`), "", false},
		{"rss comments", rss(`<!----><title>T<!-- <b> --></title><!--->-->`), "", true},
		{"rss self-closing", `<rss><channel><item/><item><title/><link/><guid/></item></channel></rss>`, "", true},
		{"rss nested same name", rss(`<title><title>x</title></title>`), "", true},
		{"rss newlines", rss("<title>a\r\nb\rc</title><dc:creator>A\r\nB\rC</dc:creator><description><![CDATA[x\r\ny]]></description>"), "", true},
		{"rss attribute references", rss(`<link href="https://e.org/a?b=1&amp;c=2&#38;d&#x3D;3 &nope; &#1;"></link>`), "", false},
		{"rss attribute references ok", rss(`<link href="https://e.org/a?b=1&amp;c=2&#38;d&#x3D;3 &nope; x&#13;&#10;y"></link>`), "", true},
		{"rss empty namespace", `<rss xmlns:content=""><channel><item><encoded>E</encoded><content:encoded>F</content:encoded></item></channel></rss>`, "", true},
		{"rss default namespace on item", `<rss><channel><item xmlns="http://purl.org/dc/elements/1.1/"><creator>C</creator><title>T</title></item></channel></rss>`, "", true},
		{"rss redeclared prefix", `<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item xmlns:x="http://purl.org/dc/elements/1.1/"><x:creator>X</x:creator><dc:creator xmlns:dc="other">D</dc:creator></item></channel></rss>`, "", true},
		{"rss dc redeclared to another namespace is gofeed's", `<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item><dc:creator xmlns:dc="urn:other">D</dc:creator></item></channel></rss>`, "", false},
		{"rss shadowed declaration of an ignored prefix", `<rss xmlns:x="urn:a"><channel><item xmlns:dc="urn:a"><x:creator xmlns:dc="urn:b">X</x:creator></item></channel></rss>`, "", true},
		{"rss shadowed declaration of dc", `<rss xmlns:dc="dcns"><channel><item xmlns:x="dcns"><dc:creator xmlns:x="other">X</dc:creator></item></channel></rss>`, "", true},
		{"rss references beyond Unicode", rss(`<title>T</title><dc:creator>&#4294967361; &#x100000041; &#18446744073709551681;</dc:creator>`), "", true},
		{"rss xml prefix is XML's", `<rss xmlns:xml="http://purl.org/dc/elements/1.1/"><channel><item><title>T</title><xml:creator>X</xml:creator></item></channel></rss>`, "", true},
		{"rss XML entities", rss(`<title>T</title><dc:creator>&apos;&quot;&lt;&gt;&amp;&ampx;&apos</dc:creator><link href="a&apos;b&quot;c"></link>`), "", true},
		{"rss newlines in attributes and CDATA", rss("<link href=\"a\r\nb\rc\r\r\nd\"></link><dc:creator><![CDATA[a\r\nb\rc\r\r\nd]]></dc:creator>"), "", true},
		{"rss single-quoted declaration", "<?xml version='1.0' encoding='windows-1252'?><rss><channel><item><title>caf\xe9</title></item></channel></rss>", "", true},
		{"rss odd declaration", "<?xml version=\"1.0\" encoding=x encoding=\"windows-1252\"?><rss><channel><item><title>caf\xe9</title></item></channel></rss>", "", true},
		{"atom namespaced attribute", atom(`<link xmlns:x="urn:x" x:href="https://e.org/x" href="https://e.org/plain"/><link x:href="https://e.org/only" xmlns:x="urn:x"/>`), "", true},
		{"rss shadowed declaration", `<rss xmlns:dc="urn:a"><channel><item xmlns:dc="urn:b" xmlns:x="urn:a"><x:creator>X</x:creator></item></channel></rss>`, "", true},
		{"rss spaces in namespace", `<rss xmlns:dc=" http://purl.org/dc/elements/1.1/ "><channel><item><dc:creator>C</dc:creator></item></channel></rss>`, "", true},
		{"rss stylesheet", `<?xml version="1.0" encoding="utf-8"?><?xml-stylesheet type="text/xsl" href="s.xsl"?><rss><channel><item><title>T</title></item></channel></rss>`, "", true},
		{"rss second declaration is gofeed's", `<?xml version="1.0"?><?xml version="1.0" encoding="windows-1252"?><rss><channel><item><title>T</title></item></channel></rss>`, "", false},
		{"rss version 1.1 is gofeed's", `<?xml version="1.1"?><rss><channel><item><title>T</title></item></channel></rss>`, "", false},
		{"rss multi-byte charset is gofeed's", `<?xml version="1.0" encoding="shift_jis"?><rss><channel><item><title>T</title></item></channel></rss>`, "", false},
		{"rss uppercase root", `<RSS><Channel><Item><Title>T</Title></Item></Channel></RSS>`, "", true},
		{"rss prefixed root", `<x:rss xmlns:x="urn:x"><channel><item><title>T</title></item></channel></x:rss>`, "", true},
		{"rss self-closing root", `<rss/>`, "", true},
		{"rss U+FFFE is gofeed's", rss("<title>a\uFFFEb</title>"), "", false},
		{"rdf is gofeed's", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><item><title>T</title></item></rdf:RDF>`, "", false},
		{"json is gofeed's", `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"t"}]}`, "", false},
		{"html is gofeed's", `<html><body>no</body></html>`, "", false},
		{"root beyond detection window", `<!--` + strings.Repeat("x", 5000) + `--><rss><channel><item><title>T</title></item></channel></rss>`, "", false},
		{"atom plain", atom(`<title>T</title><id>tag:e.org,2025:1</id><link href="https://e.org/1"/><published>2026-01-01T10:00:00Z</published><author><name>A</name></author><category term="t" label="L"/><summary type="html">&lt;p&gt;S&lt;/p&gt;</summary>`), "", true},
		{"atom links", atom(`<link rel="self" href="https://e.org/self"/><link rel="enclosure" href="https://e.org/e"/><link rel="alternate" href="/rel path"/><link href="https://e.org/2"/>`), "", true},
		{"atom updated only", atom(`<title type="text">T &amp; U</title><updated>2026-01-01T10:00:00-02:00</updated><id>urn:x y</id>`), "", true},
		{"atom content", atom(`<content type="html"><![CDATA[<p>C</p>]]></content><content type="text/plain">x</content>`), "", true},
		{"atom no namespace", `<feed><entry><title>T</title></entry></feed>`, "", true},
		{"atom 0.3", `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><title mode="escaped" type="text/html">T &amp;lt;</title><issued>2026-01-01T10:00:00Z</issued><modified>2026-01-02T10:00:00Z</modified></entry></feed>`, "", true},
		{"atom authors", atom(`<author><name>A</name><email>a@e.org</email></author><author><x:name xmlns:x="urn:x">B</x:name></author>`), "", true},
		{"atom extensions", atom(`<title>T</title><media:thumbnail xmlns:media="http://search.yahoo.com/mrss/" url="u"/><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">D</dc:creator>`), "", true},
		{"atom xhtml is gofeed's", atom(`<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">T</div></title>`), "", false},
		{"atom markup in html is gofeed's", atom(`<summary type="html"><div><p>S</p></div></summary>`), "", false},
		{"atom base64 is gofeed's", atom(`<content type="image/png">aGk=</content>`), "", false},
		{"atom odd date is gofeed's", atom(`<updated>Mon, 02 Jan 2006 15:04:05 PST</updated>`), "", false},
	}
}()

type fastCase struct {
	name, doc, ct string
	fast          bool
}

// TestFastParseCases pins which documents the fast path reads and which it
// leaves to gofeed, and compares both ways each time.
func TestFastParseCases(t *testing.T) {
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := takesFastPath([]byte(tc.doc), tc.ct); got != tc.fast {
				t.Errorf("fast path taken: %v, want %v", got, tc.fast)
			}
			if d := pathsDiffer([]byte(tc.doc), tc.ct); d != "" {
				t.Error(d)
			}
			if d := rawDiffer([]byte(tc.doc), tc.ct); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestFastDate compares the fast date parser with gofeed's on dates of every
// form it accepts and many it must refuse.
func TestFastDate(t *testing.T) {
	for _, d := range fastDateSeeds() {
		if msg := fastDateDiffers(d); msg != "" {
			t.Error(msg)
		}
	}
	valid := []string{"Mon, 02 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 GMT", "2006-01-02T15:04:05Z", "2006-01-02T15:04:05.123+01:00"}
	for _, d := range valid {
		if _, ok, sure := fastDate(d); !ok || !sure {
			t.Errorf("fastDate(%q) refused", d)
		}
	}
	// Dates close to the accepted forms, fields in and out of range.
	rng := rand.New(rand.NewPCG(3, 3))
	pick := func(options ...string) string { return options[rng.IntN(len(options))] }
	num := func(max, width int) string { return fmt.Sprintf("%0*d", width, rng.IntN(max+1)) }
	sure := 0
	for range 20000 {
		var d string
		switch rng.IntN(3) {
		case 0:
			// Valid instants in every accepted form, any offset.
			at := time.Unix(rng.Int64N(1<<36)-1<<34, int64(rng.IntN(1e9))).In(time.FixedZone("", (rng.IntN(95)-47)*900+rng.IntN(2)*60))
			d = pick(at.Format(time.RFC1123Z), at.UTC().Format(time.RFC1123), at.Format("Mon, 2 Jan 2006 15:04:05 -0700"),
				at.UTC().Format("Mon, 2 Jan 2006 15:04:05 UTC"), at.Format(time.RFC3339), at.Format(time.RFC3339Nano),
				at.Format("2006-01-02T15:04:05.000Z07:00"))
		case 1:
			d = pick("Mon", "Tue", "Sun", "Sat", "mon", "Xyz", "Monday") + pick(", ", ",", " ") +
				num(32, 1+rng.IntN(2)) + " " + pick("Jan", "Feb", "May", "Dec", "jan", "June", "Mai") + " " +
				pick(num(2100, 4), num(99, 2), "1900", "2024") + " " + num(25, 2) + ":" + num(61, 2) + pick(":"+num(61, 2), "", ":"+num(61, 2)+".5") +
				pick(" ", "  ", "") + pick("GMT", "UTC", "UT", "Z", "EST", "PDT", "CEST", "+"+num(25, 2)+num(61, 2), "-"+num(25, 2)+num(61, 2), "+01:00", "-07", "")
		default:
			d = pick(num(9999, 4), num(2100, 4), "2024") + "-" + num(13, 2) + "-" + num(32, 2) + pick("T", "t", " ") +
				num(25, 2) + ":" + num(61, 2) + ":" + num(61, 2) + pick("", "."+num(999999999999, 1+rng.IntN(12)), ",5") +
				pick("Z", "z", "", "+"+num(25, 2)+":"+num(61, 2), "-"+num(25, 2)+":"+num(61, 2), "+0100", "-07")
		}
		if _, _, ok := fastDate(d); ok {
			sure++
		}
		if msg := fastDateDiffers(d); msg != "" {
			t.Error(msg)
		}
	}
	t.Logf("fastDate sure of %d of 20000 random dates", sure)
}

func fastDateSeeds() []string {
	return []string{
		"", " ", "Mon, 02 Jan 2006 15:04:05 -0700", "Sun, 31 Dec 2023 23:59:59 +1400", "Tue, 29 Feb 2028 00:00:00 +0000",
		"Tue, 29 Feb 2027 00:00:00 +0000", "Mon, 2 Jan 2006 15:04:05 +0100", "Mon, 2 May 2006 15:04:05 +0100",
		"Fri, 02 May 2025 10:00:00 GMT", "Fri, 2 May 2025 10:00:00 GMT", "Fri, 02 May 2025 10:00:00 UTC", "Fri, 2 May 2025 10:00:00 UTC",
		"Fri, 02 May 2025 10:00:00 UT", "Fri, 02 May 2025 10:00:00 Z", "Fri, 02 May 2025 10:00:00 EST", "Fri, 02 May 2025 10:00:00 +2400",
		"Fri, 02 May 2025 24:00:00 +0000", "Fri, 02 May 2025 10:60:00 +0000", "Fri, 02 May 2025 10:00:60 +0000", "fri, 02 may 2025 10:00:00 +0000",
		"Fri, 02 May 2025 10:00:00.5 +0000", "Fri, 02 May 25 10:00:00 +0000", "Fri 02 May 2025 10:00:00 +0000", "Fri, 02 May 2025 10:00 +0000",
		"2006-01-02T15:04:05Z", "2006-01-02T15:04:05+00:00", "2006-01-02T15:04:05.999999999-23:59", "2006-01-02T15:04:05.1234567891Z",
		"2006-01-02T15:04:05+24:00", "2006-01-02T15:04:05z", "2006-01-02t15:04:05Z", "2006-01-02 15:04:05Z", "2006-01-02T15:04Z",
		"2006-02-30T15:04:05Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2006-01-02T15:04:05", "2006-01-02T15:04:05+0100",
		"2006-1-02T15:04:05Z", "  2006-01-02T15:04:05Z\n", "Mon, 02 Jan 2006 15:04:05 -0700 (PST)", "02 Jan 2006 15:04:05 +0000",
	}
}

// fastDateDiffers compares fastDate with gofeed's date parsing (through a
// pubDate) when fastDate claims to be sure.
func fastDateDiffers(d string) string {
	got, valid, sure := fastDate(d)
	if !sure {
		return ""
	}
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(d))
	entries, err := parseGofeed([]byte(`<rss><channel><item><pubDate>` + esc.String() + `</pubDate></item></channel></rss>`))
	if err != nil || len(entries) != 1 {
		return fmt.Sprintf("gofeed cannot read a pubDate of %q: %v", d, err)
	}
	want := entries[0].PublishedParsed
	if entries[0].Published != strings.TrimSpace(d) {
		// gofeed read another text (a character XML drops): not comparable.
		return ""
	}
	switch {
	case want == nil && valid:
		return fmt.Sprintf("fastDate(%q) = %v, gofeed finds no date", d, got)
	case want != nil && !valid:
		return fmt.Sprintf("fastDate(%q) finds no date, gofeed %v", d, want)
	case want != nil && !want.Equal(got):
		return fmt.Sprintf("fastDate(%q) = %v, gofeed %v", d, got.UTC(), want.UTC())
	}
	return ""
}

// FuzzFastParse: whatever the bytes, fastParse never panics, and when it
// reads a document ParseItems returns exactly what gofeed's path returns.
func FuzzFastParse(f *testing.F) {
	entries, err := os.ReadDir(fixtureDir(f))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(fixtureDir(f), e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 3000)], "")
	}
	for _, doc := range corpusDocs(2, 3, 7) {
		f.Add(doc, "")
	}
	for _, c := range fastCases {
		f.Add([]byte(c.doc), c.ct)
	}
	for i := range 20 {
		doc, ct := variedDoc(rand.New(rand.NewPCG(7, uint64(i))))
		f.Add(doc, ct)
	}
	for _, frag := range []string{
		`<title>a &amp; b</title><link>https://e.org/1</link><pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate><dc:creator>x</dc:creator>`,
		`<title type="html">&lt;b&gt;T&lt;/b&gt;</title><link rel="alternate" href="/a"/><published>2006-01-02T15:04:05Z</published><author><name>n</name></author>`,
		`<description><![CDATA[<p>x</p>]]></description><category>c</category><guid>g</guid><content:encoded>e</content:encoded>`,
	} {
		f.Add([]byte(frag), "")
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		// The bytes as a document, and as the inside of an item and of an
		// entry, where most of the fast path's decisions are made.
		for _, doc := range [][]byte{body, fuzzRSS(body), fuzzAtom(body)} {
			if !takesFastPath(doc, contentType) {
				continue
			}
			if d := pathsDiffer(doc, contentType); d != "" {
				t.Fatalf("%s\n%q", d, doc)
			}
			if d := rawDiffer(doc, contentType); d != "" {
				t.Fatalf("%s\n%q", d, doc)
			}
		}
	})
}

func fuzzRSS(item []byte) []byte {
	return slices.Concat([]byte(`<?xml version="1.0"?><rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item>`),
		item, []byte(`</item></channel></rss>`))
}

func fuzzAtom(entry []byte) []byte {
	return slices.Concat([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry>`), entry, []byte(`</entry></feed>`))
}

// FuzzFastParseDate: when fastDate is sure of a date, gofeed reads the same.
func FuzzFastParseDate(f *testing.F) {
	for _, d := range fastDateSeeds() {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d string) {
		if msg := fastDateDiffers(d); msg != "" {
			t.Fatal(msg)
		}
	})
}

// The text decoding (stripCDATA, decodeEntities) and the reading of
// authors (personFromText) must give what gofeed's own do. gofeed keeps
// those internal, so the tests below observe them through its public
// parser: a string as the raw content of an item's <title> comes out as
// the item's Title, and as its <author> as the item's Author.

// gofeedItemText parses an RSS document whose only item has element name
// with raw content inner, with gofeed as a library user would, and returns
// the item's Title or Author. ok is false when gofeed does not read that
// content as the element's: it fails, or the content closes the element.
func gofeedItemText(t testing.TB, name, inner string) (item *gofeed.Item, ok bool) {
	t.Helper()
	doc := `<rss><channel><item><` + name + `>` + inner + `</` + name + `></item></channel></rss>`
	if got, ok := gofeedInnerXML(doc, name); !ok || got != inner {
		return nil, false
	}
	feed, err := gofeed.NewParser().ParseString(doc)
	if err != nil || len(feed.Items) != 1 {
		return nil, false
	}
	return feed.Items[0], true
}

// gofeedInnerXML is the raw content of the first element called name in
// doc as gofeed's decoder (encoding/xml, not strict) reads it, for
// documents gofeed reads unchanged (no control characters to drop).
func gofeedInnerXML(doc, name string) (string, bool) {
	if hasControlChars([]byte(doc)) {
		return "", false
	}
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err != nil {
			return "", false
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == name {
			var v struct {
				Inner string `xml:",innerxml"`
			}
			if err := d.DecodeElement(&v, &se); err != nil {
				return "", false
			}
			return v.Inner, true
		}
	}
}

// textDiffers compares what the fast path makes of inner as the raw
// content of an item's title and author with what gofeed makes of it,
// both through its functions and, when it reads the document, through
// fastParse. It describes the first difference, "" when there is none or
// when gofeed does not read inner as the element's content.
func textDiffers(t testing.TB, inner string) string {
	t.Helper()
	if g, ok := gofeedItemText(t, "title", inner); ok {
		if got := stripCDATA(strings.TrimSpace(inner)); got != g.Title {
			return fmt.Sprintf("title %q: stripCDATA gives %q, gofeed %q", inner, got, g.Title)
		}
		doc := []byte(`<rss><channel><item><title>` + inner + `</title></item></channel></rss>`)
		if items, ok := fastParse(doc); ok && (len(items) != 1 || items[0].Title != g.Title) {
			return fmt.Sprintf("title %q: fastParse gives %+v, gofeed %q", inner, items, g.Title)
		}
	}
	if g, ok := gofeedItemText(t, "author", inner); ok {
		var want gofeed.Person
		if g.Author != nil {
			want = *g.Author
		}
		text := stripCDATA(strings.TrimSpace(inner))
		if got := personFromText(text); text != "" && *got != want || text == "" && want != (gofeed.Person{}) {
			return fmt.Sprintf("author %q: personFromText gives %+v, gofeed %+v", inner, *got, want)
		}
		doc := []byte(`<rss><channel><item><author>` + inner + `</author></item></channel></rss>`)
		if items, ok := fastParse(doc); ok {
			var got gofeed.Person
			if len(items) == 1 && items[0].Author != nil {
				got = *items[0].Author
			}
			if len(items) != 1 || got != want {
				return fmt.Sprintf("author %q: fastParse gives %+v, gofeed %+v", inner, got, want)
			}
		}
	}
	return ""
}

// textFragments are pieces of raw element content around the edges of
// gofeed's decoding: references it decodes and keeps, references the XML
// decoder decodes first (it does not: the content is raw), CDATA sections,
// comments that hold markers, markup, authors' forms.
var textFragments = []string{
	"a", "Zoë", " ", "\t", "\n", "  ", ";", "&", "#", "x", "&&", "=", "@", "(", ")", "jo@e.org", "Jo Doe",
	"&amp;", "&amp", "&lt;", "&lt", "&gt;", "&quot;", "&apos;", "&nbsp;", "&nbsp", "&copy;", "&copy=2;", "&copy",
	"&eacute;", "&notin;", "&notit;", "&not", "&NotANamedEntity;", "&CounterClockwiseContourIntegral;", "&amp;amp;",
	"&#65;", "&#x41;", "&#X41;", "&#65", "&#;", "&#x;", "&#0;", "&#128;", "&#x80;", "&#x9F;", "&#xD800;", "&#1114111;",
	"&#1114112;", "&#99999999999999999999;", "&#x1F600;", "&#59;", "&#x3B;", "&semi;", "&lt&#59;", "&lt&amp;", "&ltx&amp;", "&a b;", "&a\tb;", "&ab\n;",
	"&" + strings.Repeat("b", 61) + ";", "&" + strings.Repeat("b", 62) + ";", "&" + strings.Repeat("b", 63) + ";",
	// A legacy entity without ";" is decoded only inside a reference, so
	// these show exactly where gofeed's bound on a reference's length lies.
	"&lt" + strings.Repeat("b", 55) + "&amp;", "&lt" + strings.Repeat("b", 56) + "&amp;", "&lt" + strings.Repeat("b", 57) + "&amp;",
	"&lt" + strings.Repeat(" ", 3) + "&amp;", "&lt\t&amp;", "&lt\r&amp;", "&lt\n&amp;", "&a\rb;", "&lt<![CDATA[&amp;]]>",
	"&lt<!-- <![CDATA[ -->&amp;", "<!-- <![CDATA[ -->&lt&amp;",
	"&#" + strings.Repeat("0", 60) + "65;", "<![CDATA[", "]]>", "<![CDATA[x]]>", "<![CDATA[&amp; <b>]]>", "<![CDATA[]]>",
	"<![CDATA[ a ]]>", "<!-- c -->", "<!-- <![CDATA[ -->", "<!-- ]]> -->", "<b>", "</b>", "<b>x</b>", "<br/>",
	"<a href=\"u\">l</a>", "\u00a0", "\u2028", "\r\n", "\r",
}

// textSample joins n random fragments.
func textSample(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(textFragments[rng.IntN(len(textFragments))])
	}
	return b.String()
}

// TestFastTextDecoding compares the fast path's text decoding with
// gofeed's on each fragment and on many random joins of them.
func TestFastTextDecoding(t *testing.T) {
	compared := 0
	check := func(inner string) {
		if _, ok := gofeedItemText(t, "title", inner); ok {
			compared++
		}
		if d := textDiffers(t, inner); d != "" {
			t.Error(d)
		}
	}
	for _, f := range textFragments {
		check(f)
		check(" " + f + " x")
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for range 3000 {
		check(textSample(rng, 1+rng.IntN(8)))
	}
	t.Logf("compared %d texts with gofeed's", compared)
	if compared < 2000 {
		t.Errorf("only %d texts compared: gofeed reads too few of them", compared)
	}
}

// TestFastNameAddress compares personFromText with gofeed's reading of an
// author on every string of up to five characters from the ones its forms
// turn on, and on longer random ones. A CDATA section hands gofeed the
// exact string.
func TestFastNameAddress(t *testing.T) {
	var texts []string
	var all func(prefix string, n int)
	all = func(prefix string, n int) {
		texts = append(texts, prefix)
		if n == 0 {
			return
		}
		for _, c := range []string{"a", "@", "(", ")", " "} {
			all(prefix+c, n-1)
		}
	}
	all("", 6)
	rng := rand.New(rand.NewPCG(9, 9))
	// Longer ones in which several splits compete.
	alphabet := []string{"a", "b", "@", "(", ")", " ", "  ", "\t", "\n", "é", ".", "\u00a0", " (", "a@b", "(a@b)", "(a)", "Jo Doe"}
	for range 10000 {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		texts = append(texts, b.String())
	}
	// One document of many items keeps gofeed's parsing to a few calls.
	for start := 0; start < len(texts); start += 500 {
		batch := texts[start:min(start+500, len(texts))]
		var doc strings.Builder
		doc.WriteString("<rss><channel>")
		for _, text := range batch {
			doc.WriteString("<item><author><![CDATA[" + text + "]]></author></item>")
		}
		doc.WriteString("</channel></rss>")
		feed, err := gofeed.NewParser().ParseString(doc.String())
		if err != nil || len(feed.Items) != len(batch) {
			t.Fatalf("gofeed cannot read the authors: %v", err)
		}
		for i, text := range batch {
			var want gofeed.Person
			if a := feed.Items[i].Author; a != nil {
				want = *a
			}
			if got := personFromText(text); *got != want {
				t.Errorf("personFromText(%q) = %+v, gofeed %+v", text, *got, want)
			}
		}
	}
}

// FuzzFastText: whatever an element's raw content, the fast path's text
// decoding and reading of authors give what gofeed's do.
func FuzzFastText(f *testing.F) {
	for _, frag := range textFragments {
		f.Add(frag)
	}
	rng := rand.New(rand.NewPCG(11, 11))
	for range 40 {
		f.Add(textSample(rng, 2+rng.IntN(6)))
	}
	for _, a := range []string{"jo@e.org (Jo Doe)", "Jo Doe (jo@e.org)", "Jo  (x) (a@b)", "a@b c (d)", "a@b", "Jo (Doe)"} {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, inner string) {
		if d := textDiffers(t, inner); d != "" {
			t.Fatal(d)
		}
	})
}

// BenchmarkParseItems compares ParseItems with and without the fast path,
// and the parse step alone, on documents shaped like the benchmark corpus's
// (20 items, two in three RSS). Run it with -cpu 1.
func BenchmarkParseItems(b *testing.B) {
	docs := corpusDocs(60, 20, 1)
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	run := func(name string, parse func([]byte) error) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(size / len(docs)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := parse(docs[i%len(docs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	run("fast", func(d []byte) error {
		_, err := parseItems("f", d, "", fastFeedURL, parseNow, true)
		return err
	})
	run("gofeed", func(d []byte) error {
		_, err := parseItems("f", d, "", fastFeedURL, parseNow, false)
		return err
	})
	run("parse-only/fast", func(d []byte) error {
		if _, ok := fastParse(d); !ok {
			return fmt.Errorf("fast path refused a corpus document")
		}
		return nil
	})
	run("parse-only/gofeed", func(d []byte) error {
		_, err := parseGofeed(d)
		return err
	})
}

// Generated documents.

// fastWords is the vocabulary of generated text: news words with accents,
// curly quotes and characters XML must escape.
var fastWords = strings.Fields(`the of to in and a for on is that said with at by from as was
	government president minister officials Ukraine Russia’s Kyïv Zelenskyy NATO sanctions ceasefire
	Erdoğan Türkiye São Paulo Zürich Müller Bogotá Łódź Reykjavík naïve café AT&T “quoted” <tag> 5>3
	U.S. O’Brien Zoë Weiß Núñez market prices oil deal trade tariffs`)

func fastText(rng *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fastWords[rng.IntN(len(fastWords))]
	}
	return strings.Join(w, " ")
}

// fastHTML is a summary as feeds write it: paragraphs with links and
// emphasis, now and then an image.
func fastHTML(rng *rand.Rand) string {
	var b strings.Builder
	if rng.IntN(4) == 0 {
		fmt.Fprintf(&b, `<img src="https://site.example/img/%d.jpg" alt="Photo: %s"/>`, rng.IntN(1000), html.EscapeString(fastText(rng, 2)))
	}
	for range 1 + rng.IntN(2) {
		b.WriteString("<p>" + html.EscapeString(fastText(rng, 8)) + ` <a href="https://site.example/topics/` +
			fmt.Sprint(rng.IntN(100)) + `">` + html.EscapeString(fastText(rng, 2)) + "</a> <em>" +
			html.EscapeString(fastText(rng, 3)) + "</em> " + html.EscapeString(fastText(rng, 6)) + ".</p>")
	}
	return b.String()
}

var fastCategories = []string{"World", "Politics", "Business", "Europe", "Science & Tech", "Sport", "world"}

// corpusDocs renders n documents the way gen_test.go's corpus renders its
// feeds (that generator lives in the external test package): RSS 2.0 with
// dc:creator, escaped or CDATA descriptions and RFC 1123 dates, and one in
// three Atom with HTML summaries and RFC 3339 dates.
func corpusDocs(n, items int, seed uint64) [][]byte {
	docs := make([][]byte, n)
	for i := range docs {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		host := fmt.Sprintf("site%02d.example", i%10)
		at := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC).Add(-time.Duration(rng.IntN(1800)) * time.Second)
		esc := html.EscapeString
		var b strings.Builder
		if i%3 == 2 {
			b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">`)
			fmt.Fprintf(&b, "\n<title>%s — feed-%04d</title>\n<id>tag:%s,2025:feed-%04d</id>\n<updated>%s</updated>\n"+
				`<link rel="alternate" type="text/html" href="https://%s/"/>`+"\n"+
				`<link rel="self" type="application/atom+xml" href="https://%s/feeds/%04d.xml"/>`+"\n<generator>feedgen</generator>\n",
				host, i, host, i, at.Format(time.RFC3339), host, host, i)
			for j := range items {
				fmt.Fprintf(&b, "<entry>\n<title>%s</title>\n<id>tag:%s,2025:feed-%04d-%d</id>\n"+
					`<link rel="alternate" href="https://%s/world/2025/09/story-%d-%d?utm_source=rss"/>`+"\n<published>%s</published>\n<author><name>%s</name></author>\n",
					esc(fastText(rng, 8)), host, i, j, host, i, j, at.Format(time.RFC3339), esc(fastText(rng, 2)))
				for range rng.IntN(3) {
					fmt.Fprintf(&b, `<category term="%s"/>`+"\n", esc(fastCategories[rng.IntN(len(fastCategories))]))
				}
				fmt.Fprintf(&b, "<summary type=\"html\">%s</summary>\n</entry>\n", esc(fastHTML(rng)))
				at = at.Add(-time.Duration(60+rng.IntN(7200)) * time.Second)
			}
			b.WriteString("</feed>\n")
			docs[i] = []byte(b.String())
			continue
		}
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">` + "\n<channel>\n")
		fmt.Fprintf(&b, "<title>%s — feed-%04d</title>\n<link>https://%s/</link>\n<description>Latest news from %s</description>\n"+
			"<language>en-gb</language>\n<lastBuildDate>%s</lastBuildDate>\n"+
			`<atom:link href="https://%s/feeds/%04d.xml" rel="self" type="application/rss+xml"/>`+"\n<ttl>10</ttl>\n",
			host, i, host, host, at.Format(time.RFC1123Z), host, i)
		cdata := rng.IntN(2) == 0
		for j := range items {
			perma := rng.IntN(3) == 0
			guid := fmt.Sprintf("feed-%04d-%d", i, j)
			if perma {
				guid = "https://" + host + "/p/" + guid
			}
			fmt.Fprintf(&b, "<item>\n<title>%s</title>\n<link>https://%s/world/2025/09/story-%d-%d</link>\n<guid isPermaLink=\"%t\">%s</guid>\n"+
				"<pubDate>%s</pubDate>\n<dc:creator>%s</dc:creator>\n",
				esc(fastText(rng, 8)), host, i, j, perma, esc(guid), at.Format(time.RFC1123Z), esc(fastText(rng, 2)))
			for range rng.IntN(3) {
				fmt.Fprintf(&b, "<category>%s</category>\n", esc(fastCategories[rng.IntN(len(fastCategories))]))
			}
			if summary := fastHTML(rng); cdata {
				b.WriteString("<description><![CDATA[" + summary + "]]></description>\n</item>\n")
			} else {
				b.WriteString("<description>" + esc(summary) + "</description>\n</item>\n")
			}
			at = at.Add(-time.Duration(60+rng.IntN(7200)) * time.Second)
		}
		b.WriteString("</channel>\n</rss>\n")
		docs[i] = []byte(b.String())
	}
	return docs
}

// variedDoc renders a document with the variations real feeds have, most of
// which the fast path reads and some of which it leaves to gofeed: optional
// declarations and charsets, other prefixes, upper case names, CDATA,
// entities, markup and comments in text, every date form, extensions,
// missing fields, stray text.
func variedDoc(rng *rand.Rand) ([]byte, string) {
	pick := func(options ...string) string { return options[rng.IntN(len(options))] }
	maybe := func(pct int, s string) string {
		if rng.IntN(100) < pct {
			return s
		}
		return ""
	}
	esc := html.EscapeString
	text := func() string {
		switch rng.IntN(8) {
		case 0:
			return "<![CDATA[" + fastText(rng, 5) + "]]>"
		case 1:
			return esc(fastText(rng, 2)) + " &eacute;&nbsp;&#8217;&#x41; &copy=1; &bogus; &amp"
		case 2:
			return "  " + esc(fastText(rng, 3)) + "<!-- note --> <b>x</b>\n"
		case 3:
			return ""
		}
		return esc(fastText(rng, 1+rng.IntN(6)))
	}
	when := time.Date(2020+rng.IntN(8), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0,
		time.FixedZone("", (rng.IntN(29)-14)*1800))
	date := func() string {
		if rng.IntN(10) == 0 {
			// Forms left to gofeed.
			return pick(when.Format(time.RFC822), when.Format("2006-01-02"), "yesterday", when.Format(time.RFC1123),
				when.Format(time.RFC1123)+" ", "Mon, 31 Feb 2025 10:00:00 GMT")
		}
		return pick(when.Format(time.RFC1123Z), when.UTC().Format(time.RFC1123), when.Format("Mon, 2 Jan 2006 15:04:05 -0700"),
			when.Format(time.RFC3339), when.Format(time.RFC3339Nano), when.UTC().Format("Mon, _2 Jan 2006 15:04:05 UTC"),
			"", " "+when.Format(time.RFC1123Z)+" ")
	}
	name := func(n string) string {
		if rng.IntN(10) == 0 {
			return strings.ToUpper(n[:1]) + n[1:]
		}
		return n
	}
	elem := func(n, body string) string {
		n = name(n)
		if body == "" && rng.IntN(2) == 0 {
			return "<" + n + "/>"
		}
		return "<" + n + ">" + body + "</" + n + ">"
	}
	var b strings.Builder
	ct := pick("", "", "application/rss+xml; charset=utf-8", "text/xml")
	latin1 := false
	b.WriteString(pick(`<?xml version="1.0" encoding="UTF-8"?>`+"\n", `<?xml version="1.0"?>`, "", "\n  ", `<?xml version='1.0' encoding='utf-8' ?><!-- generator -->`))
	if rng.IntN(12) == 0 {
		b.Reset()
		b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1"?>`)
		latin1 = true
	}
	if rng.IntN(3) == 0 {
		b.WriteString(`<feed xmlns="` + pick("http://www.w3.org/2005/Atom", "http://www.w3.org/2005/Atom", "", "http://purl.org/atom/ns#") +
			`" xmlns:media="http://search.yahoo.com/mrss/"><title>F</title><link href="https://e.org/"/>`)
		for range rng.IntN(6) {
			b.WriteString("<entry>" + maybe(10, " stray "))
			for range rng.IntN(12) {
				switch rng.IntN(12) {
				case 0, 1:
					b.WriteString(`<title` + pick("", ` type="text"`, ` type="html"`, ` type="xhtml"`) + ">" + text() + "</title>")
				case 2:
					b.WriteString(elem("id", pick("tag:e.org,2025:1", "urn:uuid:1", "https://e.org/a b", "", "%zz", " http://x/y ")))
				case 3:
					b.WriteString(`<link` + pick("", ` rel="alternate"`, ` rel="self"`, ` rel="enclosure"`, ` rel=""`) +
						` href="` + pick("https://e.org/a", "/rel", "https://e.org/b?utm_source=x", "", " https://e.org/sp") + `"/>`)
				case 4:
					b.WriteString(elem(pick("published", "updated", "issued", "modified"), date()))
				case 5:
					b.WriteString("<author>" + elem("name", text()) + maybe(30, "<email>a@e.org</email>") + "</author>")
				case 6:
					b.WriteString(`<category term="` + esc(pick(fastCategories...)) + `"` + maybe(30, ` label="Lab&amp;el"`) + "/>")
				case 7:
					b.WriteString(`<summary type="` + pick("html", "text", "", "html") + `">` + pick(esc(fastHTML(rng)), text(), "<p>raw</p>") + "</summary>")
				case 8:
					b.WriteString(`<content type="` + pick("html", "text", "text/html", "html", "text", "text/html", "xhtml", "image/png") + `">` + pick(esc(fastHTML(rng)), text()) + "</content>")
				case 9:
					b.WriteString(`<media:thumbnail url="https://e.org/t.jpg"/>`)
				case 10:
					b.WriteString(pick(`<rights>r</rights>`, `<source><title>s</title></source>`, `<contributor><name>c</name></contributor>`))
				case 11:
					b.WriteString(maybe(20, `<title xml:base="https://e.org/">T</title>`))
				}
			}
			b.WriteString("</entry>\n")
		}
		b.WriteString("</feed>")
	} else {
		b.WriteString(`<rss version="` + pick("2.0", "0.91", "0.92") + `"` +
			pick(` xmlns:dc="http://purl.org/dc/elements/1.1/"`, ` xmlns:DC="http://purl.org/dc/elements/1.1/"`, "") +
			` xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/"` +
			maybe(20, ` xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"`) +
			maybe(10, ` xmlns:atom="http://www.w3.org/2005/Atom"`) + maybe(5, ` xmlns="http://backend.userland.com/rss2"`) +
			"><channel><title>C</title><link>https://e.org/</link>" + maybe(20, `<image><url>u</url>junk</image>`))
		dc := pick("dc", "DC", "dc")
		for range rng.IntN(6) {
			b.WriteString("<item>" + maybe(10, "\n stray text \n"))
			for range rng.IntN(14) {
				switch rng.IntN(16) {
				case 0, 1:
					b.WriteString(elem("title", text()))
				case 2:
					b.WriteString(elem("link", pick("https://e.org/a?utm_medium=x", " /rel ", "javascript:x", "", "https://e.org/b#f")))
				case 3:
					b.WriteString(`<link href="https://e.org/h"></link>`)
				case 4:
					b.WriteString(elem("guid", pick("g1", "https://e.org/g", "", " spaced ")))
				case 5:
					b.WriteString(elem("pubDate", date()))
				case 6:
					b.WriteString(elem("description", pick(esc(fastHTML(rng)), "<![CDATA["+fastHTML(rng)+"]]>", text())))
				case 7:
					n := dc + ":" + pick("creator", "date", "subject", "title", "description", "author", "rights")
					b.WriteString("<" + n + ">" + pick(text(), date(), esc(fastText(rng, 2))) + "</" + n + ">")
				case 8:
					b.WriteString("<content:encoded><![CDATA[" + fastHTML(rng) + "]]></content:encoded>")
				case 9:
					b.WriteString(elem("author", pick("jo@e.org (Jo Doe)", "Jo Doe (jo@e.org)", "jo@e.org", "Jo (Doe)", text())))
				case 10:
					b.WriteString(elem("category", pick(esc(pick(fastCategories...)), text())))
				case 11:
					b.WriteString(`<media:content url="https://e.org/m.jpg" type="image/jpeg"><media:title>m</media:title></media:content>`)
				case 12:
					b.WriteString(pick(`<enclosure url="https://e.org/a.mp3" type="audio/mpeg"/>`, `<comments>https://e.org/c</comments>`, `<source url="u">s</source>`))
				case 13:
					b.WriteString(pick(`<itunes:author>IA</itunes:author>`, `<itunes:summary>IS</itunes:summary>`, `<itunes:keywords>k1, k2</itunes:keywords>`, ""))
				case 14:
					b.WriteString(maybe(30, `<atom:link href="https://e.org/x" rel="alternate"/>`))
				case 15:
					b.WriteString(pick(`<x:foo xmlns:x="urn:x">v</x:foo>`, `<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">  Inner  </dc:creator>`,
						`<encoded>plain</encoded>`, `<undeclared:thing>t</undeclared:thing>`))
				}
			}
			b.WriteString("</item>\n")
		}
		b.WriteString("</channel></rss>")
	}
	doc := b.String()
	if latin1 {
		enc, err := charmap.ISO8859_1.NewEncoder().String(strings.Map(func(r rune) rune {
			if r > 0xFF {
				return '?'
			}
			return r
		}, doc))
		if err == nil {
			return []byte(enc), ct
		}
	}
	return []byte(doc), ct
}
