package query

import (
	"slices"
	"strings"
)

// Doc is an item prepared for matching: its title, body and categories folded
// and split into words once, to be matched against any number of queries.
// A Doc is immutable and safe for concurrent use.
type Doc struct {
	// spans holds the start and end offsets in text of every folded word:
	// the title's, then the body's, then each category's. Offsets rather than
	// strings keep the Doc free of pointers for the garbage collector.
	spans []int32
	// segs holds the segments: the title, the body, then one per category.
	segs []segment
	// text holds the folded segments, one after the other, then
	// docPadding zero bytes so that words can be read 8 bytes at a time.
	text string
	feed string // folded feed name
}

// segment locates one field of a Doc in its words and text.
type segment struct {
	wordEnd            int // the segment's words end before word wordEnd
	textStart, textEnd int // its folded text is text[textStart:textEnd]
}

// docPadding is the number of zero bytes after a Doc's text.
const docPadding = 8

// The fixed segments of a Doc; categories follow.
const (
	segTitle = iota
	segBody
	segFirstCategory
)

// NewDoc prepares an item for matching. body is the summary or content as
// plain text (HTML already removed); feed is the feed's name.
func NewDoc(title, body string, categories []string, feed string) *Doc {
	f := getFolder()
	defer putFolder(f)
	segs := make([]segment, 0, 2+len(categories))
	for i := -2; i < len(categories); i++ {
		textStart := len(f.buf)
		switch i {
		case -2:
			f.add(title)
		case -1:
			f.add(body)
		default:
			f.add(categories[i])
		}
		f.endWord()
		segs = append(segs, segment{wordEnd: len(f.spans) / 2, textStart: textStart, textEnd: len(f.buf)})
	}
	f.buf = append(f.buf, make([]byte, docPadding)...)
	return &Doc{
		text:  string(f.buf),
		spans: slices.Clone(f.spans),
		segs:  segs,
		feed:  Fold(feed),
	}
}

// segments returns the segment range [from, to) that field f looks at.
func (d *Doc) segments(f field) (from, to int) {
	switch f {
	case fieldTitle:
		return segTitle, segTitle + 1
	case fieldCategory:
		return segFirstCategory, len(d.segs)
	default:
		return segTitle, len(d.segs)
	}
}

// wordStart returns the index of the first word of segment s.
func (d *Doc) wordStart(s int) int {
	if s == 0 {
		return 0
	}
	return d.segs[s-1].wordEnd
}

// word returns word i of the document.
func (d *Doc) word(i int) string {
	return d.text[d.spans[2*i]:d.spans[2*i+1]]
}

// segmentText returns the folded text of segment s.
func (d *Doc) segmentText(s int) string {
	return d.text[d.segs[s].textStart:d.segs[s].textEnd]
}

// Match reports whether the query matches the document. It is the reference
// evaluator: it walks the tree and scans the document's words for each leaf,
// which is simple and fine for one query; use a Matcher for many.
func (q *Query) Match(d *Doc) bool {
	return q.root.match(d)
}

func (n *node) match(d *Doc) bool {
	switch n.kind {
	case kindAnd:
		for _, k := range n.kids {
			if !k.match(d) {
				return false
			}
		}
		return true
	case kindOr:
		for _, k := range n.kids {
			if k.match(d) {
				return true
			}
		}
		return false
	case kindNot:
		return !n.kids[0].match(d)
	case kindFeed:
		return matchFeed(n, d.feed)
	case kindRegexp:
		return n.re.match(d, n.field)
	default:
		from, to := d.segments(n.field)
		for s := from; s < to; s++ {
			if d.hasSequence(d.wordStart(s), d.segs[s].wordEnd, n.words, n.prefix) {
				return true
			}
		}
		return false
	}
}

// hasSequence reports whether want occurs as adjacent words among words
// [from, to), the last one as a prefix when prefix is set.
func (d *Doc) hasSequence(from, to int, want []string, prefix bool) bool {
	last := len(want) - 1
outer:
	for i := from; i+last < to; i++ {
		for j, w := range want {
			got := d.word(i + j)
			if got != w && !(prefix && j == last && strings.HasPrefix(got, w)) {
				continue outer
			}
		}
		return true
	}
	return false
}

// matchFeed reports whether a feed: leaf matches the folded feed name.
func matchFeed(n *node, feed string) bool {
	if n.prefix {
		return strings.HasPrefix(feed, n.name)
	}
	return feed == n.name
}

// match reports whether the regexp matches one of the segments field f looks
// at; each segment is matched on its own, so a match never spans the title
// and the body. A text without the string every match needs is passed over
// without running the regexp: the whole document first (its segments, side
// by side, hold every string one of them holds), then each segment.
func (r *regexpTerm) match(d *Doc, f field) bool {
	if r.need != "" && !strings.Contains(d.text, r.need) {
		return false
	}
	from, to := d.segments(f)
	for s := from; s < to; s++ {
		text := d.segmentText(s)
		if r.need != "" && !strings.Contains(text, r.need) {
			continue
		}
		if r.re.MatchString(text) {
			return true
		}
	}
	return false
}
