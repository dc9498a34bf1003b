package feeds_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/news"
)

// This file generates a realistic corpus for the benchmarks and the
// acceptance test: thousands of feeds from a hundred sites, RSS 2.0 and Atom,
// with news-like titles and HTML summaries (paragraphs, links, emphasis,
// images, the odd script, entities, curly quotes and accented names), links
// carrying tracking parameters, stories syndicated by several feeds of a
// site, and hundreds of topics shaped like a desk's. Everything is derived
// from a seed, feed by feed, so that the feed server (a child process in the
// benchmarks) and the test that checks what was posted agree without talking.

// corpusSpec sizes a corpus.
type corpusSpec struct {
	Feeds  int // feeds in all
	Items  int // items per feed
	Sites  int // hosts the feeds are spread over, round robin
	Topics int
	Seed   uint64
}

// String encodes the spec for the feed server's command line.
func (s corpusSpec) String() string {
	return fmt.Sprintf("%d,%d,%d,%d,%d", s.Feeds, s.Items, s.Sites, s.Topics, s.Seed)
}

// parseCorpusSpec decodes String.
func parseCorpusSpec(v string) (corpusSpec, error) {
	var s corpusSpec
	if _, err := fmt.Sscanf(v, "%d,%d,%d,%d,%d", &s.Feeds, &s.Items, &s.Sites, &s.Topics, &s.Seed); err != nil {
		return s, fmt.Errorf("corpus spec %q: %w", v, err)
	}
	return s, nil
}

// corpusNow is the time the generated feeds were written; items are
// published during the two days before it.
var corpusNow = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

// genItem is one generated entry as a reader sees it: the text the pipeline
// must extract from the document, which the expected matches are computed on.
type genItem struct {
	guid       string
	title      string
	summary    string // plain text of the HTML summary
	categories []string
	link       string // without the tracking parameters the document may add; accents unescaped
	published  time.Time
	// summaryHTML is the summary as the document carries it (before XML
	// escaping).
	summaryHTML string
	author      string
}

// genFeed is one generated feed.
type genFeed struct {
	name  string
	site  int
	path  string // URL path on its site
	atom  bool
	items []genItem
}

// newsWords are frequent words of news text, most frequent first, with the
// names, accents and apostrophes that folding must handle; the vocabulary's
// long tail is generated after them.
var newsWords = strings.Fields(`the of to in and a for on is that said with at by
	from as was it has be are have will an after over new its not more who but
	been than this were they he his about up their war government president
	minister officials people year two police state talks Ukraine Russia’s Russia
	Kyïv Zelenskyy Putin Kremlin NATO sanctions ceasefire election court market
	prices oil gas energy deal trade tariffs China Beijing Washington Congress
	Senate vote budget inflation bank rates economy Europe EU Brussels Macron
	Erdoğan Türkiye São Paulo Zürich Müller Gaza Israel Iran strike drone missile
	attack army troops border refugees aid humanitarian climate storm flood
	wildfire heat football league match goal coach season company shares profit
	quarter tech AI chips software health vaccine hospital virus study
	researchers university school students U.S. U.K. peace summit leaders
	meeting agreement negotiations frontline Bogotá Łódź Reykjavík naïve café`)

// categoryNames are the sections items are filed under.
var categoryNames = strings.Fields(`World Politics Business Economy Europe Ukraine
	Middle-East Asia Americas Africa Technology Science Health Climate Sport
	Football Culture Opinion Markets Energy Defence Security Elections Law
	Media Education Travel Weather Transport Trade`)

// authors sign items.
var authors = []string{"Olena Kovalenko", "James O’Brien", "Zoë Laurent", "Jürgen Weiß",
	"María José Núñez", "Chidi Okafor", "Anna Nowak", "Kenji Sato", "Reuters Staff", "AP"}

// vocabSize is the number of distinct words of the generated news, about what
// a few thousand real articles hold.
const vocabSize = 40000

// Letters of the generated long tail, weighted roughly as in English.
const (
	consonants = "tttnnnsssrrrhhlllddccmmffppggwwyybbvvkkjxqz"
	vowels     = "eeeeaaaaoooiiiuuy"
)

// language is the shared vocabulary: Zipf-distributed words and collocations
// that phrases name. It is built once per seed.
type language struct {
	vocab   []string
	bigrams []string
}

func newLanguage(seed uint64) *language {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	l := &language{vocab: append([]string(nil), newsWords...)}
	seen := make(map[string]bool, vocabSize)
	for len(l.vocab) < vocabSize {
		var b strings.Builder
		for n := 1 + rng.IntN(3); n > 0; n-- {
			b.WriteByte(consonants[rng.IntN(len(consonants))])
			b.WriteByte(vowels[rng.IntN(len(vowels))])
			if rng.IntN(3) == 0 {
				b.WriteByte(consonants[rng.IntN(len(consonants))])
			}
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			l.vocab = append(l.vocab, w)
		}
	}
	for range 1000 {
		l.bigrams = append(l.bigrams, l.rareWord(rng)+" "+l.rareWord(rng))
	}
	return l
}

// rareWord draws a word a topic might name: not a stop word, and rather a
// rare one than a common one (log-uniform over ranks 300 to 30000), as names
// of people, places and subjects are.
func (l *language) rareWord(rng *rand.Rand) string {
	return l.vocab[int(300*math.Pow(100, rng.Float64()))]
}

// writer draws text with one feed's random source.
type writer struct {
	*language
	rng  *rand.Rand
	zipf *rand.Zipf
}

func (l *language) writer(rng *rand.Rand) *writer {
	return &writer{language: l, rng: rng, zipf: rand.NewZipf(rng, 1.07, 2, uint64(len(l.vocab)-1))}
}

// words draws n words of running text, with the odd collocation.
func (w *writer) words(n int) []string {
	out := make([]string, 0, n+1)
	for range n {
		if w.rng.IntN(200) == 0 {
			out = append(out, strings.Fields(w.bigrams[w.rng.IntN(len(w.bigrams))])...)
			continue
		}
		out = append(out, w.vocab[w.zipf.Uint64()])
	}
	return out
}

// sentence is words as a sentence: capitalized, with commas and a full stop.
func (w *writer) sentence(words []string, stop string) string {
	var b strings.Builder
	for i, word := range words {
		if i == 0 {
			r, size := utf8.DecodeRuneInString(word)
			word = string(unicode.ToUpper(r)) + word[size:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(word)
		if i < len(words)-1 && w.rng.IntN(12) == 0 {
			b.WriteByte(',')
		}
	}
	b.WriteString(stop)
	return b.String()
}

// paragraph renders sentences as plain text and as HTML, with inline markup
// (links, emphasis) around some words and, now and then, an image or a script
// whose content is not text.
func (w *writer) paragraph(host string, n int) (plain, markup string) {
	var p, h strings.Builder
	for i := range n {
		ws := w.words(6 + w.rng.IntN(8))
		s := w.sentence(ws, ".")
		if i > 0 {
			p.WriteByte(' ')
			h.WriteByte(' ')
		}
		p.WriteString(s)
		// Wrap one run of whole words of the sentence in markup.
		tokens := strings.Split(s, " ")
		if len(tokens) > 4 && w.rng.IntN(2) == 0 {
			a := 1 + w.rng.IntN(len(tokens)-3)
			b := a + 1 + w.rng.IntN(2)
			open, closeTag := "<strong>", "</strong>"
			switch w.rng.IntN(3) {
			case 0:
				open, closeTag = `<a href="https://`+host+`/topics/`+strconv.Itoa(w.rng.IntN(1000))+`">`, "</a>"
			case 1:
				open, closeTag = "<em>", "</em>"
			}
			h.WriteString(html.EscapeString(strings.Join(tokens[:a], " ")) + " " + open +
				html.EscapeString(strings.Join(tokens[a:b], " ")) + closeTag + " " +
				html.EscapeString(strings.Join(tokens[b:], " ")))
		} else {
			h.WriteString(html.EscapeString(s))
		}
	}
	return p.String(), h.String()
}

// genFeedAt generates feed i of a corpus. Its items are newest first, as
// feeds list them.
func (l *language) genFeedAt(spec corpusSpec, i int) genFeed {
	site := i % spec.Sites
	f := genFeed{
		name: fmt.Sprintf("feed-%04d", i),
		site: site,
		path: fmt.Sprintf("/feeds/%04d.xml", i),
		atom: i%3 == 2,
	}
	w := l.writer(rand.New(rand.NewPCG(spec.Seed, uint64(i)+1)))
	host := siteHost(site)
	at := corpusNow.Add(-time.Duration(w.rng.IntN(1800)) * time.Second)
	for j := range spec.Items {
		var it genItem
		if j%10 == 3 {
			// A story of the site that its other feeds may carry too: same
			// link, same text, a guid of this feed.
			it = l.siteStory(spec, site, w.rng.IntN(storiesPerSite))
		} else {
			it = l.story(w, host, fmt.Sprintf("%d-%d", i, j))
		}
		it.guid = fmt.Sprintf("%s-%d", f.name, j)
		it.published = at
		at = at.Add(-time.Duration(60+w.rng.IntN(7200)) * time.Second)
		f.items = append(f.items, it)
	}
	return f
}

// storiesPerSite is the pool of syndicated stories of each site.
const storiesPerSite = 40

// siteStory generates story k of a site's pool; the same (site, k) always
// gives the same story.
func (l *language) siteStory(spec corpusSpec, site, k int) genItem {
	w := l.writer(rand.New(rand.NewPCG(spec.Seed^0xa5a5, uint64(site*storiesPerSite+k)+1)))
	return l.story(w, siteHost(site), fmt.Sprintf("s%d-%d", site, k))
}

// story generates one item's text and link.
func (l *language) story(w *writer, host, id string) genItem {
	var it genItem
	title := w.words(6 + w.rng.IntN(7))
	if w.rng.IntN(8) == 0 {
		// An ampersand, which the document must escape.
		k := 1 + w.rng.IntN(len(title)-1)
		title = append(title[:k], append([]string{"&"}, title[k:]...)...)
	}
	it.title = w.sentence(title, "")
	var plain, markup []string
	for n := 1 + w.rng.IntN(2); n > 0; n-- {
		p, h := w.paragraph(host, 1)
		plain = append(plain, p)
		markup = append(markup, "<p>"+h+"</p>")
	}
	if w.rng.IntN(4) == 0 {
		markup[0] = `<img src="https://` + host + `/img/` + id + `.jpg" alt="Photo: ` +
			html.EscapeString(authors[w.rng.IntN(len(authors))]) + `"/>` + markup[0]
	}
	if w.rng.IntN(50) == 0 {
		markup = append(markup, `<script>window.tracker && tracker.push({"story": "`+id+`"});</script>`)
	}
	it.summary = strings.Join(plain, "\n")
	it.summaryHTML = strings.Join(markup, "")
	for n := w.rng.IntN(3); n > 0; n-- {
		it.categories = append(it.categories, categoryNames[w.rng.IntN(len(categoryNames))])
	}
	it.author = authors[w.rng.IntN(len(authors))]
	slug := strings.ToLower(strings.Join(title[:min(4, len(title))], "-"))
	slug = strings.NewReplacer("’", "", ".", "", "&", "and").Replace(slug)
	it.link = fmt.Sprintf("https://%s/%s/2025/09/%s-%s", host, strings.ToLower(categoryNames[w.rng.IntN(len(categoryNames))]), slug, id)
	return it
}

// siteHost is the host name of a site in links (the documents are served
// from loopback whatever the host their links name).
func siteHost(site int) string { return fmt.Sprintf("site%02d.example", site) }

// render writes a feed as its document: RSS 2.0 (two thirds, with escaped or
// CDATA summaries) or Atom. Links carry tracking parameters half the time.
func (f genFeed) render(seed uint64) []byte {
	// Choices are drawn per item, from its GUID, so that an item is written
	// the same way whatever else the feed holds.
	choice := func(key string, n int) int {
		return rand.New(rand.NewPCG(seed^0xd0c, hashName(key))).IntN(n)
	}
	host := siteHost(f.site)
	var b strings.Builder
	b.Grow(12 << 10)
	link := func(it genItem) string {
		if choice(it.guid+"/link", 2) == 0 {
			return it.link + "?utm_source=rss&utm_medium=feed"
		}
		return it.link
	}
	esc := html.EscapeString
	if f.atom {
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">`)
		fmt.Fprintf(&b, "\n<title>%s — %s</title>\n<id>tag:%s,2025:%s</id>\n<updated>%s</updated>\n"+
			`<link rel="alternate" type="text/html" href="https://%s/"/>`+"\n"+
			`<link rel="self" type="application/atom+xml" href="https://%s%s"/>`+"\n<generator>feedgen</generator>\n",
			host, f.name, host, f.name, corpusNow.Format(time.RFC3339), host, host, f.path)
		for _, it := range f.items {
			fmt.Fprintf(&b, "<entry>\n<title>%s</title>\n<id>tag:%s,2025:%s</id>\n"+
				`<link rel="alternate" href="%s"/>`+"\n<published>%s</published>\n<author><name>%s</name></author>\n",
				esc(it.title), host, it.guid, esc(link(it)), it.published.Format(time.RFC3339), esc(it.author))
			for _, c := range it.categories {
				fmt.Fprintf(&b, `<category term="%s"/>`+"\n", esc(c))
			}
			fmt.Fprintf(&b, "<summary type=\"html\">%s</summary>\n</entry>\n", esc(it.summaryHTML))
		}
		b.WriteString("</feed>\n")
		return []byte(b.String())
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">` + "\n<channel>\n")
	fmt.Fprintf(&b, "<title>%s — %s</title>\n<link>https://%s/</link>\n<description>Latest news from %s</description>\n"+
		"<language>en-gb</language>\n<lastBuildDate>%s</lastBuildDate>\n"+
		`<atom:link href="https://%s%s" rel="self" type="application/rss+xml"/>`+"\n<ttl>10</ttl>\n",
		host, f.name, host, host, corpusNow.Format(time.RFC1123Z), host, f.path)
	cdata := choice(f.name, 2) == 0
	for _, it := range f.items {
		perma := choice(it.guid, 3) == 0
		guid := it.guid
		if perma {
			guid = "https://" + host + "/p/" + it.guid
		}
		fmt.Fprintf(&b, "<item>\n<title>%s</title>\n<link>%s</link>\n<guid isPermaLink=\"%t\">%s</guid>\n"+
			"<pubDate>%s</pubDate>\n<dc:creator>%s</dc:creator>\n",
			esc(it.title), esc(link(it)), perma, esc(guid), it.published.Format(time.RFC1123Z), esc(it.author))
		for _, c := range it.categories {
			fmt.Fprintf(&b, "<category>%s</category>\n", esc(c))
		}
		if cdata {
			b.WriteString("<description><![CDATA[" + it.summaryHTML + "]]></description>\n</item>\n")
		} else {
			b.WriteString("<description>" + esc(it.summaryHTML) + "</description>\n</item>\n")
		}
	}
	b.WriteString("</channel>\n</rss>\n")
	return []byte(b.String())
}

// hashName derives a random stream's seed from a name.
func hashName(s string) uint64 {
	sum := sha256.Sum256([]byte(s))
	var h uint64
	for _, c := range sum[:8] {
		h = h<<8 | uint64(c)
	}
	return h
}

// genTopics generates n topics shaped like a desk's: phrases with
// alternatives and exclusions, pairs of names, prefixes, title and category
// restrictions, a feed restriction, and the odd regexp.
func (l *language) genTopics(seed uint64, n int) []news.Topic {
	rng := rand.New(rand.NewPCG(seed, 0x70b1c5))
	word := func() string { return query.Fold(l.rareWord(rng)) }
	common := func() string { return query.Fold(l.vocab[40+rng.IntN(400)]) }
	phrase := func() string { return `"` + query.Fold(l.bigrams[rng.IntN(len(l.bigrams))]) + `"` }
	prefix := func() string {
		w := word()
		if len(w) > 5 {
			w = w[:len(w)-2]
		}
		return w + "*"
	}
	topics := make([]news.Topic, 0, n)
	for i := range n {
		var q string
		switch i % 10 {
		case 0:
			q = fmt.Sprintf(`%s (%s OR %s) -%s`, phrase(), word(), prefix(), common())
		case 1:
			q = fmt.Sprintf(`%s %s`, word(), word())
		case 2:
			q = phrase()
		case 3:
			q = fmt.Sprintf(`title:%s OR title:%s`, word(), word())
		case 4:
			q = fmt.Sprintf(`category:%s %s`, strings.ToLower(categoryNames[rng.IntN(len(categoryNames))]), word())
		case 5:
			q = fmt.Sprintf(`(%s OR %s OR %s) %s`, word(), word(), prefix(), common())
		case 6:
			q = fmt.Sprintf(`%s NOT (%s OR %s)`, word(), common(), common())
		case 7:
			q = fmt.Sprintf(`feed:feed-%02d* %s`, rng.IntN(30), word())
		case 8:
			if i%50 == 8 {
				w := word()
				q = fmt.Sprintf(`/\b%s\w* %s/`, w[:min(3, len(w))], word())
			} else {
				q = fmt.Sprintf(`%s AND %s`, prefix(), word())
			}
		default:
			q = fmt.Sprintf(`%s (%s OR title:%s)`, phrase(), common(), word())
		}
		topics = append(topics, news.Topic{Name: fmt.Sprintf("topic-%03d", i), Query: q})
	}
	return topics
}

// corpus is a generated corpus with its documents rendered and indexed for
// serving.
type corpus struct {
	spec   corpusSpec
	feeds  []genFeed
	topics []news.Topic
	mu     sync.RWMutex       // guards docs: a test may publish while serving
	docs   map[string]*genDoc // by URL path
	bytes  int64              // total document size
}

// genDoc is a rendered feed document with its validators.
type genDoc struct {
	body         []byte
	etag         string
	lastModified string
	contentType  string
}

// genCorpus generates a corpus; with render unset the documents are not
// written (the items and topics alone are enough to know what must match).
func genCorpus(spec corpusSpec, render bool) *corpus {
	l := newLanguage(spec.Seed)
	c := &corpus{spec: spec, topics: l.genTopics(spec.Seed, spec.Topics), docs: make(map[string]*genDoc, spec.Feeds)}
	for i := range spec.Feeds {
		f := l.genFeedAt(spec, i)
		c.feeds = append(c.feeds, f)
		if render {
			c.bytes += int64(c.publish(f))
		}
	}
	return c
}

// publish renders a feed's document and serves it from now on; it returns
// the document's size.
func (c *corpus) publish(f genFeed) int {
	body := f.render(c.spec.Seed)
	sum := sha256.Sum256(body)
	ct := "application/rss+xml; charset=utf-8"
	if f.atom {
		ct = "application/atom+xml; charset=utf-8"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docs[f.path] = &genDoc{
		body:         body,
		etag:         `"` + hex.EncodeToString(sum[:8]) + `"`,
		lastModified: corpusNow.Format(http.TimeFormat),
		contentType:  ct,
	}
	return len(body)
}

// ServeHTTP serves the documents with conditional GET: a matching
// If-None-Match (or, without one, an If-Modified-Since not before the
// document's date) is answered 304 with no body.
func (c *corpus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.RLock()
	d, ok := c.docs[r.URL.Path]
	c.mu.RUnlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("ETag", d.etag)
	h.Set("Last-Modified", d.lastModified)
	h.Set("Cache-Control", "max-age=300")
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm == d.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !corpusNow.Truncate(time.Second).After(t) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.Set("Content-Type", d.contentType)
	h.Set("Content-Length", strconv.Itoa(len(d.body)))
	_, _ = w.Write(d.body)
}

// newsFeeds lists the corpus's feeds with their URLs, feed i served by
// base[site of i].
func (c *corpus) newsFeeds(bases []string) []news.Feed {
	out := make([]news.Feed, len(c.feeds))
	for i, f := range c.feeds {
		out[i] = news.Feed{Name: f.name, URL: bases[f.site%len(bases)] + f.path, Schedule: "@every 10m", Source: news.SourceConfig}
	}
	return out
}
