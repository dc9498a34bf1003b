package feeds

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedwatch/feedwatch/internal/news"
)

var parseNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fixtureDir finds the shared real-world feed captures, which sit in
// shared/testdata/feeds beside the repository (locally and in CI alike).
func fixtureDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared", "testdata", "feeds")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("shared/testdata/feeds not found above the package directory")
		}
		dir = parent
	}
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(tb), name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// itemCheck pins fields of one item of a fixture; empty fields are not checked.
type itemCheck struct {
	index     int
	title     string
	link      string
	guid      string
	author    string
	published time.Time
	summary   string // a substring of the summary
	category  string // one of the categories
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file   string
		count  int
		checks []itemCheck
	}{
		{file: "aktuality.rss", count: 30, checks: []itemCheck{{
			index:     0,
			title:     "Analytici Goldman Sachs zvýšili odhad rastu ekonomiky USA",
			link:      "https://www.aktuality.sk/clanok/856577/analytici-goldman-sachs-zvysili-odhad-rastu-ekonomiky-usa/",
			guid:      "https://www.aktuality.sk/clanok/856577/analytici-goldman-sachs-zvysili-odhad-rastu-ekonomiky-usa/",
			published: time.Date(2021, 1, 17, 18, 27, 0, 0, time.UTC),
			summary:   "Očakávajú totiž, že plán fiškálnych stimulov",
		}}},
		{file: "bbc-urdu.xml", count: 26, checks: []itemCheck{{
			index:     0,
			title:     "امریکی عسکری امداد کی بندش کی وجوہات: انڈیا سے جنگ، جوہری پروگرام اور اب دہشت گردوں کی پشت پناہی",
			link:      "http://www.bbc.com/urdu/pakistan-42575603",
			published: time.Date(2018, 1, 5, 16, 51, 0, 0, time.UTC),
		}}},
		{file: "daringfireball.json", count: 48, checks: []itemCheck{{
			index:     0,
			title:     "The Talk Show: ‘I Do Like Throwing a Baby’",
			link:      "https://daringfireball.net/linked/2017/06/26/the-talk-show-195",
			guid:      "https://daringfireball.net/linked/2017/06/26/the-talk-show-195",
			author:    "John Gruber",
			published: time.Date(2017, 6, 27, 0, 54, 17, 0, time.UTC),
			summary:   "New episode of America’s favorite 3-star podcast",
		}}},
		{file: "golem-iso-8859-1.xml", count: 40, checks: []itemCheck{
			{
				index:     0,
				title:     "Red Dead Redemption 2: Hinweise auf PC-Umsetzung in App von Rockstar Games",
				link:      "https://www.golem.de/news/red-dead-redemption-2-hinweise-auf-pc-umsetzung-in-app-von-rockstar-games-1810-137358-rss.html",
				guid:      "https://www.golem.de/1810/137358-rss.html",
				published: time.Date(2018, 10, 28, 12, 48, 0, 0, time.UTC),
				summary:   "Viele Spieler wünschen sich eine PC-Version",
			},
			{index: -1, title: "Wochenrückblick: Wilder Westen, buntes Handy, nutzloses Siegel"},
			{index: -1, title: "Machine Learning: Von KI erstelltes Porträt für 432.500 US.Dollar versteigert"},
		}},
		{file: "guardian-us.rss", count: 55, checks: []itemCheck{{
			index:    0,
			title:    "Trump State of the Union address promised unity but emphasized discord",
			link:     "https://www.theguardian.com/us-news/2018/jan/31/donald-trump-state-of-the-union-address-unity-discord",
			author:   "David Smith in Washington",
			category: "US politics",
		}}},
		{file: "heise-rdf.xml", count: 60, checks: []itemCheck{
			{index: 0, title: "OLED-TVs: Vorsichtsmaßnahmen gegen Einbrennen",
				link:      "https://www.heise.de/newsticker/meldung/OLED-TVs-Vorsichtsmassnahmen-gegen-Einbrennen-4205274.html?wt_mc=rss.ho.beitrag.rdf",
				published: parseNow}, // RDF items without dc:date are first seen now
			{index: 1, title: "Mega-Deal: IBM übernimmt Red Hat"},
		}},
		{file: "heise.atom", count: 15, checks: []itemCheck{{
			index:     0,
			title:     "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei",
			link:      "http://www.heise.de/developer/meldung/Java-Anwendungsserver-Red-Hat-gibt-WildFly-10-frei-3088438.html?wt_mc=rss.developer.beitrag.atom",
			guid:      "http://heise.de/-3088438",
			published: time.Date(2016, 2, 1, 16, 22, 0, 0, time.UTC),
		}}},
		{file: "ibash-windows-1251.xml", count: 50, checks: []itemCheck{{
			index:     0,
			title:     "Цитата #17703",
			link:      "http://ibash.org.ru/quote.php?id=17703",
			guid:      "http://ibash.org.ru/quote.php?id=17703",
			published: time.Date(2018, 3, 21, 7, 27, 32, 0, time.UTC),
			summary:   "xxx: есть у кого жаба программер\nxxx: кот немного пхп знает?",
		}}},
		{file: "jn-iso-8859-1.rss", count: 40, checks: []itemCheck{
			{index: 0, title: "Mãe de utente é a nova presidente da Raríssimas",
				link:     "http://feeds.jn.pt/~r/JN-ULTIMAS/~3/UBnb8Ra3Q1U/sonia-laig-e-a-nova-presidente-da-rarissimas-9021600.html",
				summary:  "Sónia Laygue, profissional na área da Recursos Humanos",
				category: "Nacional"},
			{index: 1, title: "Reações dos partidos ao veto de Marcelo"},
		}},
		{file: "jsonfeed-1.1.json", count: 20, checks: []itemCheck{
			{index: 0, title: "Lecker, lecker", link: "https://journal.3960.org/posts/2020-02-21-lecker-lecker/",
				guid: "user/posts/2020-02-21-lecker-lecker/index.md", author: "Frank Boës"},
			{index: 1, title: "„Sabine“ am Flughafen Amsterdam", category: "Simulation"},
		}},
		{file: "large.atom", count: 25, checks: []itemCheck{{
			index: 0, title: "Using vale with vim", link: "https://dustri.org/b/using-vale-with-vim.html",
			guid: "tag:dustri.org,2024-03-10:/b/using-vale-with-vim.html", author: "jvoisin", category: "sysadmin",
		}}},
		{file: "large.rss", count: 25, checks: []itemCheck{{
			index: 24, title: "A sneaky Golang bug", link: "https://dustri.org/b/a-sneaky-golang-bug.html",
		}}},
		{file: "livemint.xml", count: 25, checks: []itemCheck{{
			index: 0, title: "PM Modi-Xi Jinping informal summit in Varanasi this October: Report",
			guid: "1559104147038", author: "Elizabeth Roche", published: time.Date(2019, 5, 29, 10, 16, 0, 0, time.UTC),
		}}},
		{file: "macworld.rss", count: 30, checks: []itemCheck{{
			index: 0, title: "Best smart lock", author: "Christopher Null",
			link: "https://www.techhive.com/article/3212828/connected-home/best-smart-lock.html",
		}}},
		{file: "medscape.rss", count: 20, checks: []itemCheck{{
			index: 0, title: "Caution Urged for Virtual Care Partnerships in Canada",
			link:      "https://www.medscape.com/viewarticle/caution-urged-virtual-care-partnerships-canada-2025a1000uja?src=rss",
			published: time.Date(2025, 11, 5, 18, 52, 10, 0, time.UTC), category: "Family Medicine/Primary Care",
		}}},
		{file: "nyt-us.xml", count: 20, checks: []itemCheck{{
			index: 1, title: "How a High School Debate Team Shaped Ketanji Brown Jackson",
			link: "https://www.nytimes.com/2022/02/26/us/ketanji-brown-jackson-high-school-debate.html",
		}}},
		{file: "uol-noticias.rss", count: 15, checks: []itemCheck{{
			// No declaration, no header, Latin-1 bytes: decoded as Windows-1252.
			index: 0, title: "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno",
			link:    "https://noticias.uol.com.br/politica/eleicoes/2018/noticias/2018/09/24/ibope-bolsonaro-perde-de-haddad-ciro-e-alckmin-em-simulacoes-de-2-turno.htm",
			summary: "Líder na pesquisa Ibope de intenção de voto",
			// Portuguese day and month names are not dates gofeed knows.
			published: parseNow,
		}}},
	}

	// Every fixture must be covered: a new capture gets a row here.
	entries, err := os.ReadDir(fixtureDir(t))
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{"README.md": true, "subscriptions.opml": true, "truncated.json": true}
	for _, tc := range tests {
		covered[tc.file] = true
	}
	for _, e := range entries {
		if !covered[e.Name()] {
			t.Errorf("fixture %s has no row in TestParseFixtures", e.Name())
		}
	}

	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			items, err := ParseItems("fixture", readFixture(t, tc.file), "", "https://feeds.example.org/"+tc.file, parseNow)
			if err != nil {
				t.Fatalf("ParseItems: %v", err)
			}
			if len(items) != tc.count {
				t.Fatalf("%d items, want %d", len(items), tc.count)
			}
			checkInvariants(t, items, parseNow)
			for _, c := range tc.checks {
				it, ok := pickItem(items, c)
				if !ok {
					t.Errorf("no item titled %q", c.title)
					continue
				}
				checkItem(t, it, c)
			}
		})
	}
}

func pickItem(items []news.Item, c itemCheck) (news.Item, bool) {
	if c.index >= 0 {
		return items[c.index], true
	}
	for _, it := range items {
		if it.Title == c.title {
			return it, true
		}
	}
	return news.Item{}, false
}

func checkItem(t *testing.T, it news.Item, c itemCheck) {
	t.Helper()
	if c.title != "" && it.Title != c.title {
		t.Errorf("item %d title = %q, want %q", c.index, it.Title, c.title)
	}
	if c.link != "" && it.Link != c.link {
		t.Errorf("item %d link = %q, want %q", c.index, it.Link, c.link)
	}
	if c.guid != "" && it.GUID != c.guid {
		t.Errorf("item %d guid = %q, want %q", c.index, it.GUID, c.guid)
	}
	if c.author != "" && it.Author != c.author {
		t.Errorf("item %d author = %q, want %q", c.index, it.Author, c.author)
	}
	if !c.published.IsZero() && !it.Published.Equal(c.published) {
		t.Errorf("item %d published = %v, want %v", c.index, it.Published, c.published)
	}
	if c.summary != "" && !strings.Contains(it.Summary, c.summary) {
		t.Errorf("item %d summary = %q, want it to contain %q", c.index, it.Summary, c.summary)
	}
	if c.category != "" && !slices.Contains(it.Categories, c.category) {
		t.Errorf("item %d categories = %q, want %q among them", c.index, it.Categories, c.category)
	}
}

// checkInvariants asserts what every normalized item promises, whatever the
// input: it is shared by the fixture tests and the fuzz target.
func checkInvariants(t testing.TB, items []news.Item, now time.Time) {
	t.Helper()
	if len(items) > MaxItemsPerFeed {
		t.Errorf("%d items, more than %d", len(items), MaxItemsPerFeed)
	}
	for i, it := range items {
		for field, s := range map[string]string{"title": it.Title, "summary": it.Summary, "author": it.Author, "guid": it.GUID, "link": it.Link} {
			if !utf8.ValidString(s) {
				t.Errorf("item %d %s is not valid UTF-8: %q", i, field, s)
			}
		}
		if it.GUID == "" {
			t.Errorf("item %d has no GUID", i)
		}
		if n := utf8.RuneCountInString(it.Title); n > MaxTitleRunes {
			t.Errorf("item %d title has %d runes", i, n)
		}
		if n := utf8.RuneCountInString(it.Summary); n > MaxSummaryRunes {
			t.Errorf("item %d summary has %d runes", i, n)
		}
		if strings.ContainsAny(it.Title, "\n\r\t\x00") {
			t.Errorf("item %d title has control characters: %q", i, it.Title)
		}
		if it.Link != "" {
			if !strings.HasPrefix(it.Link, "http://") && !strings.HasPrefix(it.Link, "https://") {
				t.Errorf("item %d link %q is not http(s)", i, it.Link)
			}
			if c := CanonicalLink(it.Link, nil); c != it.Link {
				t.Errorf("item %d link %q is not canonical (%q)", i, it.Link, c)
			}
		}
		if it.Published.IsZero() || it.Published.After(now.Add(futureSlack)) {
			t.Errorf("item %d published %v out of range", i, it.Published)
		}
		if !it.FirstSeen.Equal(now) || it.Feed == "" {
			t.Errorf("item %d: feed %q first seen %v", i, it.Feed, it.FirstSeen)
		}
		for _, c := range it.Categories {
			if c == "" || c != strings.TrimSpace(c) {
				t.Errorf("item %d has category %q", i, c)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{name: "truncated JSON feed", body: readFixture(t, "truncated.json"), want: "parse feed: invalid JSON feed"},
		{name: "OPML is not a feed", body: readFixture(t, "subscriptions.opml"), want: "parse feed: not an RSS, Atom or JSON feed"},
		{name: "HTML page", body: []byte("<!DOCTYPE html>\n<html><head><title>Moved</title></head><body><p>We moved!</p></body></html>"), want: "looks like an HTML page"},
		{name: "empty", body: nil, want: "the document is empty"},
		{name: "plain text", body: []byte("Service Unavailable"), want: "parse feed: not an RSS, Atom or JSON feed"},
		{name: "JSON that is not a feed", body: []byte(`{"items": 5}`), want: "parse feed: invalid JSON feed"},
		{name: "unknown declared charset", body: []byte(`<?xml version="1.0" encoding="x-nonexistent"?><rss version="2.0"><channel><item><title>a</title></item></channel></rss>`), want: "parse feed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := ParseItems("bad", tc.body, "", "https://example.org/feed", parseNow)
			if err == nil {
				t.Fatalf("no error, %d items", len(items))
			}
			if items != nil {
				t.Errorf("items = %v, want none with an error", items)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	t.Run("unknown header charset", func(t *testing.T) {
		_, err := ParseItems("bad", []byte(`<rss version="2.0"><channel></channel></rss>`), "text/xml; charset=x-klingon", "", parseNow)
		if err == nil || !strings.Contains(err.Error(), `unsupported charset "x-klingon"`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestParseCharsets(t *testing.T) {
	ibash := readFixture(t, "ibash-windows-1251.xml")
	undeclared := bytes.Replace(ibash, []byte(`<?xml version="1.0" encoding="windows-1251"?>`), []byte(`<?xml version="1.0"?>`), 1)
	if bytes.Equal(undeclared, ibash) {
		t.Fatal("fixture declaration not found")
	}
	golem := readFixture(t, "golem-iso-8859-1.xml")
	const atomDoc = `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>1</id><title>Žluťoučký kůň</title></entry></feed>`

	tests := []struct {
		name        string
		body        []byte
		contentType string
		wantTitle   string
	}{
		{name: "declaration alone", body: ibash, wantTitle: "Цитата #17703"},
		{name: "header charset when the document declares none", body: undeclared, contentType: "application/rss+xml; charset=windows-1251", wantTitle: "Цитата #17703"},
		{name: "header charset is case-insensitive and quoted", body: undeclared, contentType: `text/xml; Charset="WINDOWS-1251"`, wantTitle: "Цитата #17703"},
		{name: "declaration wins over a wrong header", body: golem, contentType: "text/xml; charset=utf-8", wantTitle: "Red Dead Redemption 2: Hinweise auf PC-Umsetzung in App von Rockstar Games"},
		{name: "ISO-8859-2 from the header", body: mustEncode(t, "iso-8859-2", atomDoc), contentType: "application/atom+xml; charset=iso-8859-2", wantTitle: "Žluťoučký kůň"},
		{name: "UTF-16 with BOM", body: mustEncode(t, "utf-16le-bom", `<?xml version="1.0" encoding="UTF-16"?>`+atomDoc), wantTitle: "Žluťoučký kůň"},
		{name: "JSON is UTF-8 whatever the header says", body: []byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"Київ"}]}`), contentType: "application/json; charset=iso-8859-1", wantTitle: "Київ"},
		{name: "UTF-8 BOM", body: append([]byte{0xEF, 0xBB, 0xBF}, atomDoc...), wantTitle: "Žluťoučký kůň"},
		{name: "stray invalid byte in a UTF-8 document is dropped", body: []byte(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item><title>caf` + "\xff" + `é</title></item></channel></rss>`), wantTitle: "café"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := ParseItems("cs", tc.body, tc.contentType, "https://example.org/", parseNow)
			if err != nil {
				t.Fatalf("ParseItems: %v", err)
			}
			if len(items) == 0 || items[0].Title != tc.wantTitle {
				t.Fatalf("first title = %q, want %q", firstTitle(items), tc.wantTitle)
			}
		})
	}
}

func firstTitle(items []news.Item) string {
	if len(items) == 0 {
		return "<no items>"
	}
	return items[0].Title
}

// mustEncode encodes s for the charset tests without relying on the code
// under test.
func mustEncode(t *testing.T, enc, s string) []byte {
	t.Helper()
	switch enc {
	case "iso-8859-2":
		table := map[rune]byte{'Ž': 0xAE, 'ť': 0xBB, 'ů': 0xF9, 'ň': 0xF2, 'ý': 0xFD, 'č': 0xE8, 'ú': 0xFA, 'ó': 0xF3, 'ľ': 0xB5}
		var out []byte
		for _, r := range s {
			switch {
			case r < 0x80:
				out = append(out, byte(r))
			case table[r] != 0:
				out = append(out, table[r])
			default:
				t.Fatalf("no ISO-8859-2 byte for %q", r)
			}
		}
		return out
	case "utf-16le-bom":
		out := []byte{0xFF, 0xFE}
		for _, r := range s {
			if r > 0xFFFF {
				t.Fatalf("test text must stay in the BMP")
			}
			out = append(out, byte(r), byte(r>>8))
		}
		return out
	}
	t.Fatalf("unknown encoding %s", enc)
	return nil
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		title string
		link  string
	}{
		{name: "RSS 0.91", doc: `<?xml version="1.0"?><rss version="0.91"><channel><title>c</title><item><title>Old &amp; gold</title><link>http://example.org/091</link><description>d</description></item></channel></rss>`,
			title: "Old & gold", link: "http://example.org/091"},
		{name: "RSS 0.92", doc: `<rss version="0.92"><channel><title>c</title><item><title>Ninety-two</title><link>https://example.org/092#top</link></item></channel></rss>`,
			title: "Ninety-two", link: "https://example.org/092"},
		{name: "RSS 1.0 (RDF)", doc: `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel rdf:about="https://example.org/"><title>c</title></channel><item rdf:about="https://example.org/rdf1"><title>RDF item</title><link>https://example.org/rdf1</link><dc:date>2025-08-31T10:00:00Z</dc:date></item></rdf:RDF>`,
			title: "RDF item", link: "https://example.org/rdf1"},
		{name: "RSS 2.0", doc: `<rss version="2.0"><channel><title>c</title><item><title><![CDATA[<b>Bold</b> move]]></title><link>https://example.org/20?utm_source=rss</link></item></channel></rss>`,
			title: "Bold move", link: "https://example.org/20"},
		{name: "Atom", doc: `<feed xmlns="http://www.w3.org/2005/Atom"><title>c</title><entry><id>urn:1</id><title type="html">A &lt;i&gt;title&lt;/i&gt;</title><link rel="alternate" href="/atom/1"/><updated>2025-08-31T10:00:00Z</updated></entry></feed>`,
			title: "A title", link: "https://example.org/atom/1"},
		{name: "JSON Feed 1.0", doc: `{"version":"https://jsonfeed.org/version/1","title":"c","items":[{"id":"j1","url":"https://example.org/j1","title":"JSON item","content_text":"x"}]}`,
			title: "JSON item", link: "https://example.org/j1"},
		{name: "JSON Feed 1.1", doc: `{"version":"https://jsonfeed.org/version/1.1","title":"c","items":[{"id":"j2","url":"j2.html","title":"Relative JSON","content_html":"<p>x</p>"}]}`,
			title: "Relative JSON", link: "https://example.org/feeds/j2.html"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := ParseItems("fmt", []byte(tc.doc), "", "https://example.org/feeds/main.xml", parseNow)
			if err != nil {
				t.Fatalf("ParseItems: %v", err)
			}
			if len(items) != 1 {
				t.Fatalf("%d items, want 1", len(items))
			}
			if items[0].Title != tc.title || items[0].Link != tc.link {
				t.Errorf("got %q %q, want %q %q", items[0].Title, items[0].Link, tc.title, tc.link)
			}
		})
	}
}

// TestParseEntityExpansion: gofeed decodes XML with encoding/xml, which never
// expands entities declared in a DTD (internal or external). A "billion
// laughs" document therefore costs nothing and its references stay literal,
// and an external entity never reads a file.
func TestParseEntityExpansion(t *testing.T) {
	var dtd strings.Builder
	dtd.WriteString(`<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&dtd, `<!ENTITY lol%d "`, i)
		for range 10 {
			fmt.Fprintf(&dtd, "&lol%d;", i-1)
		}
		dtd.WriteString(`">`)
	}
	tests := []struct {
		name           string
		doc            string
		title, summary string
	}{
		{name: "billion laughs", doc: `<?xml version="1.0"?><!DOCTYPE rss [` + dtd.String() + `]><rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><description>&lol9;&lol9;</description></item></channel></rss>`,
			title: "&lol9;", summary: "&lol9;&lol9;"},
		{name: "external entity", doc: `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>x</title><item><title>&xxe;</title><description>&xxe;</description></item></channel></rss>`,
			title: "&xxe;", summary: "&xxe;"},
		{name: "quadratic blowup", doc: `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "` + strings.Repeat("x", 2000) + `">]><rss version="2.0"><channel><item><title>&a;&a;&a;</title><description>` + strings.Repeat("&a;", 10000) + `</description></item></channel></rss>`,
			title: "&a;&a;&a;", summary: strings.Repeat("&a;", 10000)[:MaxSummaryRunes-1] + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := ParseItems("evil", []byte(tc.doc), "", "https://example.org/", parseNow)
			if err != nil {
				t.Fatalf("ParseItems: %v", err)
			}
			if len(items) != 1 {
				t.Fatalf("%d items, want 1", len(items))
			}
			if items[0].Title != tc.title || items[0].Summary != tc.summary {
				t.Errorf("title %.80q summary %.80q; want the entity references left literal", items[0].Title, items[0].Summary)
			}
		})
	}
}

func rssDoc(items ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>` + strings.Join(items, "") + `</channel></rss>`)
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "h:" + hex.EncodeToString(sum[:])
}

func TestParseGUIDFallbacks(t *testing.T) {
	const date = "Mon, 01 Sep 2025 10:00:00 GMT"
	tests := []struct {
		name string
		item string
		want string
	}{
		{name: "guid", item: `<item><guid isPermaLink="false">abc-123</guid><link>https://example.org/a</link><title>T</title></item>`, want: "abc-123"},
		{name: "guid trimmed", item: "<item><guid>\n  abc-124  \n</guid><title>T</title></item>", want: "abc-124"},
		{name: "canonical link without guid", item: `<item><link>HTTPS://Example.org/a?utm_source=rss#x</link><title>T</title></item>`, want: "https://example.org/a"},
		{name: "relative link resolved", item: `<item><link>/b</link><title>T</title></item>`, want: "https://example.org/b"},
		{name: "hash of title and date", item: `<item><title>Title</title><pubDate>` + date + `</pubDate></item>`, want: hashOf("Title\x00" + date)},
		{name: "hash of title without date", item: `<item><title>Only a title</title></item>`, want: hashOf("Only a title\x00")},
		{name: "javascript link falls back to the hash", item: `<item><title>JS</title><link>javascript:alert(1)</link></item>`, want: hashOf("JS\x00")},
		{name: "untitled undated hashes the summary", item: `<item><description>just text</description></item>`, want: hashOf("\x00\x00just text")},
		{name: "overlong guid is hashed", item: `<item><guid>` + strings.Repeat("g", 2000) + `</guid></item>`, want: hashOf(strings.Repeat("g", 2000))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := ParseItems("g", rssDoc(tc.item), "", "https://example.org/feed.xml", parseNow)
			if err != nil {
				t.Fatalf("ParseItems: %v", err)
			}
			if len(items) != 1 || items[0].GUID != tc.want {
				t.Fatalf("GUID = %q, want %q", items[0].GUID, tc.want)
			}
		})
	}
	t.Run("hash is stable and distinguishes dates", func(t *testing.T) {
		doc := rssDoc(`<item><title>Same</title><pubDate>`+date+`</pubDate></item>`,
			`<item><title>Same</title><pubDate>Tue, 02 Sep 2025 10:00:00 GMT</pubDate></item>`)
		a, err := ParseItems("g", doc, "", "", parseNow)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseItems("g", doc, "", "", parseNow.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if a[0].GUID == a[1].GUID {
			t.Error("different dates gave the same GUID")
		}
		if a[0].GUID != b[0].GUID || a[1].GUID != b[1].GUID {
			t.Error("GUIDs changed between polls")
		}
	})
}

func TestParseUnsafeLinks(t *testing.T) {
	tests := []struct {
		name string
		doc  []byte
	}{
		{name: "rss javascript", doc: rssDoc(`<item><guid>1</guid><title>x</title><link>javascript:alert(document.domain)</link></item>`)},
		{name: "rss javascript with whitespace and case", doc: rssDoc("<item><guid>1</guid><title>x</title><link>\n JavaScript:alert(1)</link></item>")},
		{name: "rss data", doc: rssDoc(`<item><guid>1</guid><title>x</title><link>data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;</link></item>`)},
		{name: "atom javascript", doc: []byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>x</title><link href="javascript:alert(1)"/></entry></feed>`)},
		{name: "json vbscript", doc: []byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"x","url":"vbscript:msgbox(1)"}]}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := ParseItems("u", tc.doc, "", "https://example.org/", parseNow)
			if err != nil {
				t.Fatalf("ParseItems: %v", err)
			}
			if len(items) != 1 || items[0].Link != "" {
				t.Fatalf("link = %q, want none", items[0].Link)
			}
			if items[0].GUID != "1" {
				t.Errorf("GUID = %q", items[0].GUID)
			}
		})
	}
}

func TestParseDates(t *testing.T) {
	tests := []struct {
		name string
		doc  []byte
		want time.Time
	}{
		{name: "published", doc: rssDoc(`<item><title>x</title><pubDate>Mon, 01 Sep 2025 10:00:00 +0300</pubDate></item>`), want: time.Date(2025, 9, 1, 7, 0, 0, 0, time.UTC)},
		{name: "missing is first seen", doc: rssDoc(`<item><title>x</title></item>`), want: parseNow},
		{name: "unparsable is first seen", doc: rssDoc(`<item><title>x</title><pubDate>someday</pubDate></item>`), want: parseNow},
		{name: "updated when not published", doc: []byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>x</title><updated>2025-12-31T23:00:00Z</updated></entry></feed>`), want: time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)},
		{name: "published preferred to updated", doc: []byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>x</title><published>2025-12-01T00:00:00Z</published><updated>2025-12-31T23:00:00Z</updated></entry></feed>`), want: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)},
		{name: "a few hours ahead is kept", doc: rssDoc(`<item><title>x</title><pubDate>` + parseNow.Add(12*time.Hour).Format(time.RFC1123Z) + `</pubDate></item>`), want: parseNow.Add(12 * time.Hour)},
		{name: "far future clamped to now", doc: rssDoc(`<item><title>x</title><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>`), want: parseNow},
		{name: "just over a day ahead clamped", doc: rssDoc(`<item><title>x</title><pubDate>` + parseNow.Add(25*time.Hour).Format(time.RFC1123Z) + `</pubDate></item>`), want: parseNow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := ParseItems("d", tc.doc, "", "", parseNow)
			if err != nil {
				t.Fatalf("ParseItems: %v", err)
			}
			if got := items[0].Published; !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("Published = %v, want %v in UTC", got, tc.want)
			}
			if !items[0].FirstSeen.Equal(parseNow) {
				t.Errorf("FirstSeen = %v", items[0].FirstSeen)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	longTitle := strings.Repeat("word ", 1000)
	longSummary := strings.Repeat("sentence of text. ", 1000)
	tests := []struct {
		name  string
		item  string
		check func(t *testing.T, it news.Item)
	}{
		{name: "title and summary capped", item: `<item><guid>1</guid><title>` + longTitle + `</title><description>` + longSummary + `</description></item>`,
			check: func(t *testing.T, it news.Item) {
				if n := utf8.RuneCountInString(it.Title); n > MaxTitleRunes || n < MaxTitleRunes-2 || !strings.HasSuffix(it.Title, "…") {
					t.Errorf("title: %d runes, ends %q", n, it.Title[len(it.Title)-8:])
				}
				if n := utf8.RuneCountInString(it.Summary); n > MaxSummaryRunes || n < MaxSummaryRunes-2 || !strings.HasSuffix(it.Summary, "…") {
					t.Errorf("summary: %d runes", n)
				}
			}},
		{name: "summary from content when no description", item: `<item xmlns:content="http://purl.org/rss/1.0/modules/content/"><guid>1</guid><title>t</title><content:encoded><![CDATA[<p>From <em>content</em></p>]]></content:encoded></item>`,
			check: func(t *testing.T, it news.Item) {
				if it.Summary != "From content" {
					t.Errorf("summary = %q", it.Summary)
				}
			}},
		{name: "description preferred to content", item: `<item xmlns:content="http://purl.org/rss/1.0/modules/content/"><guid>1</guid><title>t</title><description>short</description><content:encoded>long</content:encoded></item>`,
			check: func(t *testing.T, it news.Item) {
				if it.Summary != "short" {
					t.Errorf("summary = %q", it.Summary)
				}
			}},
		{name: "categories trimmed and deduplicated", item: `<item><guid>1</guid><title>t</title><category> World </category><category>world</category><category></category><category>Politics</category><category>  </category><category>World</category></item>`,
			check: func(t *testing.T, it news.Item) {
				if !slices.Equal(it.Categories, []string{"World", "Politics"}) {
					t.Errorf("categories = %q", it.Categories)
				}
			}},
		{name: "author from rss author", item: `<item><guid>1</guid><title>t</title><author>jane@example.org (Jane Doe)</author></item>`,
			check: func(t *testing.T, it news.Item) {
				if it.Author != "Jane Doe" {
					t.Errorf("author = %q", it.Author)
				}
			}},
		{name: "author from dc:creator", item: `<item xmlns:dc="http://purl.org/dc/elements/1.1/"><guid>1</guid><title>t</title><dc:creator>Olena Petrenko</dc:creator></item>`,
			check: func(t *testing.T, it news.Item) {
				if it.Author != "Olena Petrenko" {
					t.Errorf("author = %q", it.Author)
				}
			}},
		{name: "untitled item titled by its summary", item: `<item><guid>1</guid><description><![CDATA[<p>First line here</p><p>second</p>]]></description></item>`,
			check: func(t *testing.T, it news.Item) {
				if it.Title != "First line here" {
					t.Errorf("title = %q", it.Title)
				}
			}},
		{name: "untitled item without text titled by its link", item: `<item><link>https://example.org/x</link></item>`,
			check: func(t *testing.T, it news.Item) {
				if it.Title != "https://example.org/x" {
					t.Errorf("title = %q", it.Title)
				}
			}},
		{name: "html and entities in title", item: `<item><guid>1</guid><title>Tom &amp;amp; Jerry &lt;b&gt;live&lt;/b&gt;</title></item>`,
			check: func(t *testing.T, it news.Item) {
				if it.Title != "Tom & Jerry live" {
					t.Errorf("title = %q", it.Title)
				}
			}},
		{name: "feed name and first seen", item: `<item><guid>1</guid><title>t</title></item>`,
			check: func(t *testing.T, it news.Item) {
				if it.Feed != "fields" || !it.FirstSeen.Equal(parseNow) {
					t.Errorf("feed %q first seen %v", it.Feed, it.FirstSeen)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := ParseItems("fields", rssDoc(tc.item), "", "https://example.org/", parseNow)
			if err != nil {
				t.Fatalf("ParseItems: %v", err)
			}
			if len(items) != 1 {
				t.Fatalf("%d items", len(items))
			}
			tc.check(t, items[0])
		})
	}
}

func TestParseKeepsNewestItems(t *testing.T) {
	const total = MaxItemsPerFeed + 200
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var items []string
	// Oldest first, the opposite of the usual order, so that keeping the
	// first MaxItemsPerFeed would keep the wrong ones.
	for i := range total {
		items = append(items, fmt.Sprintf(`<item><guid>%d</guid><title>n%d</title><pubDate>%s</pubDate></item>`,
			i, i, base.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z)))
	}
	got, err := ParseItems("many", rssDoc(items...), "", "", parseNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != MaxItemsPerFeed {
		t.Fatalf("%d items, want %d", len(got), MaxItemsPerFeed)
	}
	for i, it := range got {
		if want := fmt.Sprintf("n%d", i+200); it.Title != want {
			t.Fatalf("item %d is %q, want %q (newest kept, document order)", i, it.Title, want)
		}
	}
}

func TestParseFreshParserPerCall(t *testing.T) {
	docs := [][]byte{readFixture(t, "heise.atom"), readFixture(t, "daringfireball.json"), readFixture(t, "ibash-windows-1251.xml")}
	want := make([]int, len(docs))
	for i, d := range docs {
		items, err := ParseItems("p", d, "", "", parseNow)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = len(items)
	}
	t.Run("concurrent", func(t *testing.T) {
		for i := range 8 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				d := i % len(docs)
				items, err := ParseItems("p", docs[d], "", "", parseNow)
				if err != nil || len(items) != want[d] {
					t.Errorf("doc %d: %d items, err %v; want %d", d, len(items), err, want[d])
				}
			})
		}
	})
}
