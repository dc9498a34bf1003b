package query

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
)

// loadFeedCorpus reads the real feeds under testdata/feeds as documents,
// with HTML removed from summaries and content as the poller does.
func loadFeedCorpus(t *testing.T) []testDoc {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "feeds", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []testDoc
	for _, path := range paths {
		if strings.HasSuffix(path, ".md") {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		feed, err := gofeed.NewParser().Parse(f)
		f.Close()
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		for _, it := range feed.Items {
			docs = append(docs, testDoc{
				title: it.Title,
				body:  htmlText(it.Description + " " + it.Content),
				cats:  it.Categories,
				feed:  name,
			})
		}
	}
	if len(docs) < 100 {
		t.Fatalf("only %d items in testdata/feeds", len(docs))
	}
	return docs
}

// htmlText returns the text of an HTML fragment.
func htmlText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
			b.WriteByte(' ')
		}
	}
}

// queryGen writes random queries from the words of a corpus, so that they
// match often enough to be interesting: words and prefixes that occur,
// phrases that occur and phrases across field boundaries that must not
// match, fields, feeds, regexps, and every operator.
type queryGen struct {
	rng   *rand.Rand
	docs  []*Doc
	raw   []testDoc
	feeds []string
}

func newQueryGen(seed uint64, raw []testDoc) *queryGen {
	g := &queryGen{rng: rand.New(rand.NewPCG(seed, 1)), raw: raw}
	seen := make(map[string]bool)
	for _, r := range raw {
		g.docs = append(g.docs, r.doc())
		if !seen[r.feed] {
			seen[r.feed] = true
			g.feeds = append(g.feeds, r.feed)
		}
	}
	return g
}

// someWords returns n adjacent words of a random segment, or nil.
func (g *queryGen) someWords(n int, seg int) []string {
	d := g.docs[g.rng.IntN(len(g.docs))]
	if seg >= len(d.segs) {
		return nil
	}
	from, to := d.wordStart(seg), d.segs[seg].wordEnd
	if to-from < n {
		return nil
	}
	i := from + g.rng.IntN(to-from-n+1)
	var ws []string
	for j := i; j < i+n; j++ {
		ws = append(ws, d.word(j))
	}
	return ws
}

func (g *queryGen) word() string {
	for {
		if ws := g.someWords(1, g.rng.IntN(3)); ws != nil {
			return ws[0]
		}
	}
}

func (g *queryGen) leaf() string {
	r := g.rng
	switch r.IntN(16) {
	case 0, 1, 2:
		return g.word()
	case 3:
		// A raw token as a user would paste it: capitals, accents,
		// apostrophes; quotes and parentheses make it a phrase or a group.
		d := g.raw[r.IntN(len(g.raw))]
		if fs := strings.Fields(d.title); len(fs) > 0 {
			tok := strings.Trim(fs[r.IntN(len(fs))], `"()*-/:`)
			if tok != "" && !strings.ContainsAny(tok, `"()*:`) {
				return tok
			}
		}
		return g.word()
	case 4:
		w := []rune(g.word())
		return string(w[:1+r.IntN(len(w))]) + "*"
	case 5, 6:
		if ws := g.someWords(2+r.IntN(2), r.IntN(3)); ws != nil {
			return `"` + strings.Join(ws, " ") + `"`
		}
		return g.word()
	case 7:
		// Across the title and the body: must never match.
		d := g.docs[r.IntN(len(g.docs))]
		t, b := d.segs[segTitle].wordEnd, d.segs[segBody].wordEnd
		if t > 0 && b > t {
			return `"` + d.word(t-1) + " " + d.word(t) + `"`
		}
		return g.word()
	case 8:
		return "title:" + g.word()
	case 9:
		if ws := g.someWords(1+r.IntN(2), segFirstCategory+r.IntN(2)); ws != nil {
			return `category:"` + strings.Join(ws, " ") + `"`
		}
		return "category:" + g.word()
	case 10:
		f := g.feeds[r.IntN(len(g.feeds))]
		if r.IntN(2) == 0 {
			return "feed:" + f[:1+r.IntN(len(f))] + "*"
		}
		return "feed:" + strings.ToUpper(f)
	case 11:
		if ws := g.someWords(2, r.IntN(2)); ws != nil {
			return "/" + regexp.QuoteMeta(ws[0]) + ".{0,30}" + regexp.QuoteMeta(ws[1]) + "/"
		}
		return "/^" + regexp.QuoteMeta(g.word()) + "/"
	case 12:
		return "title:" + string([]rune(g.word())[:1]) + "*"
	case 13:
		return "zzqxv" // matches nothing
	default:
		return g.word()
	}
}

// expr writes a random query of at most the given depth.
func (g *queryGen) expr(depth int) string {
	r := g.rng
	if depth == 0 || r.IntN(10) < 3 {
		return g.leaf()
	}
	sub := func() string {
		e := g.expr(depth - 1)
		if strings.ContainsAny(e, " ") && !strings.HasPrefix(e, `"`) {
			return "(" + e + ")"
		}
		return e
	}
	switch r.IntN(6) {
	case 0:
		return "-" + sub()
	case 1:
		return "NOT " + sub()
	case 2, 3:
		return sub() + " OR " + sub()
	case 4:
		return sub() + " AND " + sub()
	default:
		return sub() + " " + sub() + " " + sub()
	}
}

// docHasTerm reports whether a document has a Required term among the words
// of its title, body and categories.
func docHasTerm(d *Doc, t Term) bool {
	for i := range len(d.spans) / 2 {
		if w := d.word(i); w == t.Text || (t.Prefix && strings.HasPrefix(w, t.Text)) {
			return true
		}
	}
	return false
}

// TestMatcherDifferential checks that the Matcher, compiled over hundreds of
// queries together, agrees with Query.Match on every pair of query and
// document, over the real feeds and generated news; that the canonical form
// of each query matches the same documents; and that every matching document
// has the query's Required terms.
func TestMatcherDifferential(t *testing.T) {
	raw := loadFeedCorpus(t)
	gen := newGenerator(7)
	for _, it := range gen.items(300) {
		raw = append(raw, testDoc{title: it.title, body: it.body, cats: it.categories, feed: it.feed})
	}
	qg := newQueryGen(11, raw)
	var srcs []string
	for range 700 {
		srcs = append(srcs, qg.expr(3))
	}
	srcs = append(srcs, gen.topics(300)...)
	var qs []*Query
	for _, src := range srcs {
		if q, err := Parse(src); err == nil {
			qs = append(qs, q)
		}
	}
	if len(qs) < 900 {
		t.Fatalf("only %d of %d generated queries parse", len(qs), len(srcs))
	}
	canon := make([]*Query, len(qs))
	for i, q := range qs {
		canon[i] = mustParse(t, q.String())
	}
	m := NewMatcher(qs)
	matched := make([]bool, len(qs))
	pairs := 0
	var got []int
	for di, r := range raw {
		d := r.doc()
		got = m.Match(d, got[:0])
		var want []int
		for qi, q := range qs {
			if !q.Match(d) {
				continue
			}
			want = append(want, qi)
			matched[qi] = true
			for _, term := range q.Required() {
				if !docHasTerm(d, term) {
					t.Errorf("doc %d matches %q but lacks required %v", di, q, term)
				}
			}
		}
		pairs += len(want)
		if !slices.Equal(got, want) {
			t.Errorf("doc %d (%q): Matcher %v, Query.Match %v\n%s", di, r.title, got, want, diffQueries(qs, got, want))
		}
		if di%4 == 0 {
			for qi, q := range qs {
				if canon[qi].Match(d) != q.Match(d) {
					t.Errorf("doc %d: %q and its canonical form disagree", di, srcs[qi])
				}
			}
		}
	}
	someMatch := 0
	for _, ok := range matched {
		if ok {
			someMatch++
		}
	}
	t.Logf("%d queries, %d documents, %d matching pairs, %d queries match something", len(qs), len(raw), pairs, someMatch)
	if someMatch < len(qs)/4 || pairs < len(raw) {
		t.Errorf("the generated queries match too little to test much: %d pairs, %d queries", pairs, someMatch)
	}
}

// diffQueries names the queries on which two results differ.
func diffQueries(qs []*Query, got, want []int) string {
	var b strings.Builder
	for qi := range qs {
		if slices.Contains(got, qi) != slices.Contains(want, qi) {
			fmt.Fprintf(&b, "  query %d %q: matcher %v\n", qi, qs[qi], slices.Contains(got, qi))
		}
	}
	return b.String()
}

// FuzzMatcher checks the Matcher against Query.Match on arbitrary queries and
// documents, compiled together with a few fixed queries that share terms.
func FuzzMatcher(f *testing.F) {
	f.Add(`"peace talks" (Putin OR Zelensky*) -football`, "Peace talks", "Putin’s envoy", "World", "bbc")
	f.Add(`title:(a OR -b) category:"c d*"`, "a", "b", "c dé", "x")
	f.Add(`/ta.ks/ feed:bb* Kyïv`, "Talks in Kyiv", "", "", "BBC")
	f.Add(`"kyiv zelenskyy"`, "Talks in Kyïv", "Zelenskyy said", "", "")
	f.Add(`Russia's U.S. -"a b"`, "Russia’s", "the U.S. said a, b", "", "")
	fixed := []string{"-football", `"peace talks"`, "talk*", "title:peace", "kyiv OR envoy"}
	f.Fuzz(func(t *testing.T, src, title, body, category, feed string) {
		q, err := Parse(src)
		if err != nil {
			return
		}
		qs := []*Query{q, mustParse(t, q.String())}
		for _, s := range fixed {
			qs = append(qs, mustParse(t, s))
		}
		d := NewDoc(title, body, []string{category, title}, feed)
		var want []int
		for i, q := range qs {
			if q.Match(d) {
				want = append(want, i)
			}
		}
		if got := NewMatcher(qs).Match(d, nil); !slices.Equal(got, want) {
			t.Fatalf("query %q on %q/%q/%q/%q: Matcher %v, Query.Match %v", src, title, body, category, feed, got, want)
		}
		if qs[0].Match(d) != qs[1].Match(d) {
			t.Fatalf("query %q and its canonical form %q disagree", src, qs[1])
		}
		if q.Match(d) {
			for _, term := range q.Required() {
				if !docHasTerm(d, term) {
					t.Fatalf("query %q matches but the document lacks required %v", src, term)
				}
			}
		}
	})
}

// TestMatcherConcurrent runs one Matcher from several goroutines (under
// -race) and checks each gets the results of a lone run.
func TestMatcherConcurrent(t *testing.T) {
	g := newGenerator(3)
	var qs []*Query
	for _, src := range g.topics(200) {
		qs = append(qs, mustParse(t, src))
	}
	m := NewMatcher(qs)
	items := g.items(200)
	want := make([][]int, len(items))
	for i, it := range items {
		want[i] = m.Match(it.doc(), nil)
	}
	errs := make(chan string, 4)
	for w := range 4 {
		go func() {
			for i := range items {
				j := (i + w*50) % len(items)
				if got := m.Match(items[j].doc(), nil); !slices.Equal(got, want[j]) {
					errs <- fmt.Sprintf("worker %d item %d: %v, want %v", w, j, got, want[j])
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}
