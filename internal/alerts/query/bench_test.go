package query

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// benchTopicCounts are the sizes the matcher is benchmarked at; it should
// scale with the words of an item, not with the number of topics.
var benchTopicCounts = []int{1, 100, 1000}

// benchSetup generates n topics and a pool of items, the same for every
// benchmark.
func benchSetup(b *testing.B, n int) ([]*Query, []genItem, int64) {
	b.Helper()
	g := newGenerator(42)
	items := g.items(2000)
	var qs []*Query
	for _, src := range g.topics(n) {
		q, err := Parse(src)
		if err != nil {
			b.Fatalf("generated topic %q: %v", src, err)
		}
		qs = append(qs, q)
	}
	var bytes int64
	for _, it := range items {
		bytes += int64(it.size())
	}
	return qs, items, bytes / int64(len(items))
}

// BenchmarkMatcher measures the whole per-item cost: folding and splitting
// the item (NewDoc) and matching it against every topic.
func BenchmarkMatcher(b *testing.B) {
	for _, n := range benchTopicCounts {
		b.Run(fmt.Sprintf("topics=%d", n), func(b *testing.B) {
			qs, items, size := benchSetup(b, n)
			m := NewMatcher(qs)
			b.SetBytes(size)
			b.ReportAllocs()
			var dst []int
			matches := 0
			cpu := startCPU()
			for i := 0; b.Loop(); i++ {
				dst = m.Match(items[i%len(items)].doc(), dst[:0])
				matches += len(dst)
			}
			cpu.report(b)
			b.ReportMetric(float64(matches)/float64(b.N), "matches/item")
		})
	}
}

// BenchmarkRegexpPerTopic is the naive baseline: one compiled regexp per
// topic (an alternation of the topic's positive terms) run over each item's
// text. It does less than the matcher (no AND, NOT or fields) and is still
// far slower, because its cost grows with the number of topics.
func BenchmarkRegexpPerTopic(b *testing.B) {
	for _, n := range benchTopicCounts {
		b.Run(fmt.Sprintf("topics=%d", n), func(b *testing.B) {
			qs, items, size := benchSetup(b, n)
			res := make([]*regexp.Regexp, len(qs))
			for i, q := range qs {
				res[i] = topicRegexp(q)
			}
			b.SetBytes(size)
			matches := 0
			cpu := startCPU()
			for i := 0; b.Loop(); i++ {
				it := items[i%len(items)]
				text := it.title + "\n" + it.body + "\n" + strings.Join(it.categories, "\n")
				for _, re := range res {
					if re.MatchString(text) {
						matches++
					}
				}
			}
			cpu.report(b)
			b.ReportMetric(float64(matches)/float64(b.N), "matches/item")
		})
	}
}

// cpuMeter measures the CPU time of a benchmark loop.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	t, ok := cpuTime()
	return cpuMeter{start: t, ok: ok}
}

// report adds items/s (wall clock) and, where the platform tells, items per
// CPU-second of the whole process (garbage collection included).
func (c cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	if end, ok := cpuTime(); ok && c.ok && end > c.start {
		b.ReportMetric(float64(b.N)/(end-c.start).Seconds(), "items/cpu-s")
	}
}

// topicRegexp translates the positive terms of a query into one
// case-insensitive alternation, the way a regexp-per-topic matcher would.
func topicRegexp(q *Query) *regexp.Regexp {
	var alts []string
	var walk func(n *node)
	walk = func(n *node) {
		switch n.kind {
		case kindAnd, kindOr:
			for _, k := range n.kids {
				walk(k)
			}
		case kindWords:
			quoted := make([]string, len(n.words))
			for i, w := range n.words {
				quoted[i] = regexp.QuoteMeta(w)
			}
			alt := `\b` + strings.Join(quoted, `\W+`)
			if n.prefix {
				alt += `\w*`
			}
			alts = append(alts, alt+`\b`)
		case kindRegexp:
			alts = append(alts, n.re.src)
		}
	}
	walk(q.root)
	if len(alts) == 0 {
		alts = []string{"$^"}
	}
	return regexp.MustCompile(`(?i)(?:` + strings.Join(alts, "|") + `)`)
}

// BenchmarkNewDoc measures folding and splitting alone.
func BenchmarkNewDoc(b *testing.B) {
	_, items, size := benchSetup(b, 1)
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		items[i%len(items)].doc()
	}
}
