package query

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
)

// This file generates realistic topics and items for the benchmarks and the
// differential tests: news-like text with a Zipf-distributed vocabulary,
// accented names, curly apostrophes, categories and feed names, and topics
// shaped like the ones in the SPEC's examples.

// genItem is one generated feed item.
type genItem struct {
	title, body string
	categories  []string
	feed        string
}

func (it genItem) doc() *Doc { return NewDoc(it.title, it.body, it.categories, it.feed) }

// size is the bytes of text an item carries, for MB/s.
func (it genItem) size() int {
	n := len(it.title) + len(it.body) + len(it.feed)
	for _, c := range it.categories {
		n += len(c)
	}
	return n
}

// newsWords are frequent real words of news text, most frequent first; the
// generator puts them at the head of the Zipf ranking.
var newsWords = strings.Fields(`the of to in and a for on is that said with at by
	from as was it has be are have will an after over new its not more who but
	been than this were they he his about up their war government president
	minister officials people year two police state talks Ukraine Russia’s Russia
	Kyïv Zelenskyy Putin Kremlin NATO sanctions ceasefire election court market
	prices oil gas energy deal trade tariffs China Beijing Washington Biden Trump
	Congress Senate vote budget inflation bank rates economy Europe EU Brussels
	Macron Erdoğan Türkiye São Paulo Zürich Müller Gaza Israel Hamas Iran
	strike drone missile attack army troops border refugees aid humanitarian
	climate storm flood wildfire heat football league match goal coach season
	company shares profit quarter tech AI chips Apple Google Microsoft software
	health vaccine hospital virus study researchers university school students
	U.S. U.K. peace summit leaders meeting agreement negotiations frontline`)

// Letters of the generated long tail of the vocabulary, weighted roughly as
// in English, so that words start and go on as variously as real ones.
const (
	consonants = "tttnnnsssrrrhhlllddccmmffppggwwyybbvvkkjxqz"
	vowels     = "eeeeaaaaoooiiiuuy"
)

var categoryNames = strings.Fields(`World Politics Business Economy Europe Ukraine
	Middle-East Asia Americas Africa Technology Science Health Climate Sport
	Football Culture Opinion Markets Energy Defence Security Elections Law
	Media Education Travel Weather Transport Trade`)

// generator makes deterministic topics and items.
type generator struct {
	rng     *rand.Rand
	vocab   []string
	zipf    *rand.Zipf
	feeds   []string
	bigrams []string // collocations like "peace talks", which phrases name
}

func newGenerator(seed uint64) *generator {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	g := &generator{rng: rng}
	g.vocab = append(g.vocab, newsWords...)
	seen := make(map[string]bool)
	for len(g.vocab) < vocabSize {
		var b strings.Builder
		for n := 2 + rng.IntN(5); n > 0; n-- {
			b.WriteByte(consonants[rng.IntN(len(consonants))])
			b.WriteByte(vowels[rng.IntN(len(vowels))])
			if rng.IntN(3) == 0 {
				b.WriteByte(consonants[rng.IntN(len(consonants))])
			}
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			g.vocab = append(g.vocab, w)
		}
	}
	g.zipf = rand.NewZipf(rng, 1.07, 2, uint64(len(g.vocab)-1))
	for range 500 {
		g.bigrams = append(g.bigrams, g.topicWordRaw()+" "+g.topicWordRaw())
	}
	for i := range 40 {
		g.feeds = append(g.feeds, fmt.Sprintf("%s-%d", []string{"bbc", "reuters", "kyiv-independent", "guardian", "ap"}[i%5], i))
	}
	return g
}

// word draws a word of running text (Zipf: a few words are very common).
func (g *generator) word() string { return g.vocab[g.zipf.Uint64()] }

// vocabSize is the number of distinct words of the generated news, about
// what a few thousand real articles hold.
const vocabSize = 40000

// topicWord draws a word a topic might name: not a stop word, and rather a
// rarer word than a commoner one (log-uniform over ranks 80 to 20000), as
// names of people, places and subjects are.
func (g *generator) topicWord() string { return Fold(g.topicWordRaw()) }

func (g *generator) topicWordRaw() string {
	return g.vocab[int(80*math.Pow(250, g.rng.Float64()))]
}

func (g *generator) sentence(n int, capitalize bool) string {
	var b strings.Builder
	for i := range n {
		w := g.word()
		if g.rng.IntN(25) == 0 {
			w = g.bigrams[g.rng.IntN(len(g.bigrams))]
		}
		if i == 0 && capitalize {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		if i < n-1 && g.rng.IntN(12) == 0 {
			b.WriteByte(',')
		}
	}
	return b.String()
}

func (g *generator) item() genItem {
	it := genItem{
		title: g.sentence(6+g.rng.IntN(9), true),
		feed:  g.feeds[g.rng.IntN(len(g.feeds))],
	}
	var body []string
	for n := 2 + g.rng.IntN(4); n > 0; n-- {
		body = append(body, g.sentence(8+g.rng.IntN(14), true)+".")
	}
	it.body = strings.Join(body, " ")
	for n := g.rng.IntN(4); n > 0; n-- {
		it.categories = append(it.categories, categoryNames[g.rng.IntN(len(categoryNames))])
	}
	return it
}

func (g *generator) items(n int) []genItem {
	out := make([]genItem, n)
	for i := range out {
		out[i] = g.item()
	}
	return out
}

// phrase draws two words that often stand together.
func (g *generator) phrase() string {
	return `"` + g.bigrams[g.rng.IntN(len(g.bigrams))] + `"`
}

func (g *generator) prefix() string {
	for {
		ws := Words(g.topicWord())
		r := []rune(ws[len(ws)-1])
		if len(r) < 4 {
			continue // nobody watches s* or un*
		}
		if len(r) > 5 {
			r = r[:len(r)-1-g.rng.IntN(2)]
		}
		return string(r) + "*"
	}
}

// topic draws a topic query shaped like real ones.
func (g *generator) topic() string {
	w := g.topicWord
	switch g.rng.IntN(20) {
	case 0, 1, 2:
		return w()
	case 3, 4, 5:
		return w() + " " + w()
	case 6, 7:
		return g.phrase()
	case 8, 9:
		return fmt.Sprintf("(%s OR %s OR %s) %s", w(), w(), w(), g.prefix())
	case 10, 11:
		return fmt.Sprintf("%s (%s OR %s) -%s", g.phrase(), w(), g.prefix(), w())
	case 12:
		return fmt.Sprintf("title:%s %s", w(), w())
	case 13:
		return fmt.Sprintf("category:%s %s", categoryNames[g.rng.IntN(len(categoryNames))], w())
	case 14:
		return fmt.Sprintf("feed:%s %s OR feed:%s* %s", g.feeds[g.rng.IntN(len(g.feeds))], w(), g.feeds[g.rng.IntN(len(g.feeds))][:3], w())
	case 15:
		return fmt.Sprintf("%s -%s -%s", w(), w(), w())
	case 16:
		return fmt.Sprintf("%s AND NOT (%s OR %s)", g.prefix(), w(), w())
	case 17:
		return fmt.Sprintf("title:%s OR title:%s", g.phrase(), g.prefix())
	case 18:
		if g.rng.IntN(10) == 0 {
			return fmt.Sprintf(`%s /%s.{0,40}%s/`, w(), regexp.QuoteMeta(w()), regexp.QuoteMeta(w()))
		}
		return fmt.Sprintf("%s %s %s", w(), w(), w())
	default:
		return fmt.Sprintf("%s OR %s", w(), g.phrase())
	}
}

func (g *generator) topics(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = g.topic()
	}
	return out
}
