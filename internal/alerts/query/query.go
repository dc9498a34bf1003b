// Package query implements feedwatch's one query language, used by topics,
// deadlines, search and the test command: parsing to an AST with
// column-exact errors (Parse), a canonical printed form (Query.String), a
// straightforward reference evaluator (Query.Match), and a Matcher that
// evaluates many queries together, looking each word of an item up once
// whatever the number of queries, with results identical to Query.Match.
//
// Text is compared after folding (Fold): Unicode NFKD, nonspacing marks
// dropped, lower case. Words (Words) are runs of letters and digits of the
// folded text (with the spacing marks that belong to letters in some
// scripts), so "Kyïv" is the word "kyiv" and "Russia’s" the words "russia"
// and "s". What is searched is an item's title, its body (summary or content
// as plain text) and each of its categories; a phrase or a regexp never
// spans two of them.
//
// The language, loosest binding first:
//
//	a OR b          either (OR in upper case; "or" is a word)
//	a b, a AND b    both (AND binds tighter than OR)
//	-a, NOT a       not a; a query of only negations matches everything else
//	(a OR b) c      grouping
//	word            the whole word, case- and accent-insensitively; a word
//	                that folds to several (Russia's, U.S., Covid-19) is a phrase
//	word*           a word that starts with word
//	"two words"     the words next to each other, in order; "two wo*" too
//	/regexp/        RE2 against the folded text of each field; \/ is a slash
//	title:term      term (a word, prefix, phrase or regexp) in the title only
//	category:term   term in one of the categories
//	feed:name       items of that feed (name case-insensitive; name* a prefix)
//	field:(query)   the field applied to every term inside; fields do not nest
package query

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field says which part of an item a term looks at.
type field uint8

// The fields. fieldAny is title, body and categories (each one on its own).
const (
	fieldAny field = iota
	fieldTitle
	fieldCategory
	fieldFeed
	numFields
)

// fieldNames are the field prefixes as written in queries.
var fieldNames = [numFields]string{fieldTitle: "title", fieldCategory: "category", fieldFeed: "feed"}

// knownFields lists the field prefixes for error messages, sorted.
const knownFields = "category, feed, title"

// kind is the kind of an AST node.
type kind uint8

// The node kinds.
const (
	kindWords  kind = iota // adjacent folded words, the last one maybe a prefix
	kindRegexp             // an RE2 regexp against folded text
	kindFeed               // the item's feed name
	kindAnd
	kindOr
	kindNot
)

// node is one node of a parsed query. Leaves carry a field; inner nodes kids.
type node struct {
	kind   kind
	field  field    // leaves: where to look (kindFeed always fieldFeed)
	words  []string // kindWords: folded words that must be adjacent, in order
	prefix bool     // kindWords: the last word is a prefix; kindFeed: name is a prefix
	name   string   // kindFeed: the folded feed name
	re     *regexpTerm
	kids   []*node // kindAnd, kindOr: two or more; kindNot: one
}

// Query is a parsed query. It is immutable and safe for concurrent use.
type Query struct {
	root *node
}

// Term is a folded word, or a word prefix when Prefix is set.
type Term struct {
	Text   string
	Prefix bool
}

// String returns the canonical form of the query: words folded, fields and
// operators spelled one way, implicit AND, only the parentheses that
// precedence needs. It parses back to an equivalent query with the same
// canonical form.
func (q *Query) String() string {
	var b strings.Builder
	q.root.write(&b, precOr)
	return b.String()
}

// Precedences for printing: a node is parenthesized when it binds more
// loosely than its context needs.
const (
	precOr = iota
	precAnd
	precUnary
)

func (n *node) write(b *strings.Builder, ctx int) {
	switch n.kind {
	case kindOr, kindAnd:
		prec, sep := precOr, " OR "
		if n.kind == kindAnd {
			prec, sep = precAnd, " "
		}
		if ctx > prec {
			b.WriteByte('(')
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.write(b, prec+1)
		}
		if ctx > prec {
			b.WriteByte(')')
		}
	case kindNot:
		b.WriteByte('-')
		n.kids[0].write(b, precUnary)
	default:
		n.writeLeaf(b)
	}
}

func (n *node) writeLeaf(b *strings.Builder) {
	if n.field != fieldAny {
		b.WriteString(fieldNames[n.field])
		b.WriteByte(':')
	}
	switch n.kind {
	case kindWords:
		quote := len(n.words) > 1
		if quote {
			b.WriteByte('"')
		}
		b.WriteString(strings.Join(n.words, " "))
		if n.prefix {
			b.WriteByte('*')
		}
		if quote {
			b.WriteByte('"')
		}
	case kindFeed:
		quote := n.name == "" || strings.IndexFunc(n.name, needsQuote) >= 0 ||
			n.name[0] == '-' || n.name[0] == '/'
		if quote {
			b.WriteByte('"')
		}
		b.WriteString(n.name)
		if n.prefix {
			b.WriteByte('*')
		}
		if quote {
			b.WriteByte('"')
		}
	case kindRegexp:
		b.WriteByte('/')
		b.WriteString(escapeSlashes(n.re.src))
		b.WriteByte('/')
	}
}

// needsQuote reports whether a feed name with r must be quoted to lex as one
// name.
func needsQuote(r rune) bool {
	return unicode.IsSpace(r) || r == '(' || r == ')' || r == '"'
}

// escapeSlashes writes a regexp source between slashes: a bare slash becomes
// \/ and every other escape is kept as written.
func escapeSlashes(src string) string {
	if !strings.Contains(src, "/") {
		return src
	}
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\\' && i+1 < len(src):
			b.WriteByte(c)
			i++
			b.WriteByte(src[i])
		case c == '/':
			b.WriteString(`\/`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Required returns folded words and word prefixes that every matching item
// contains in its title, body or categories: the words of positive
// word, prefix and phrase terms AND-ed at the top of the query (not under OR
// or NOT, not feed: and not regexps). It is meant to narrow a full-text
// search to candidates that the evaluator then decides; it may be empty, and
// it is only sound if the index splits and folds words as Words does.
func (q *Query) Required() []Term {
	leaves := []*node{q.root}
	if q.root.kind == kindAnd {
		leaves = q.root.kids
	}
	var out []Term
	seen := make(map[Term]bool)
	for _, n := range leaves {
		if n.kind != kindWords {
			continue
		}
		for i, w := range n.words {
			t := Term{Text: w, Prefix: n.prefix && i == len(n.words)-1}
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// Error is a query that does not parse. Col is the 1-based column, in runes,
// of the place the problem is at.
type Error struct {
	Col int
	Msg string
}

// Error returns "column N: msg".
func (e *Error) Error() string {
	return "column " + strconv.Itoa(e.Col) + ": " + e.Msg
}

// errAt returns an *Error for byte offset pos of src.
func errAt(src string, pos int, msg string) *Error {
	if pos > len(src) {
		pos = len(src)
	}
	return &Error{Col: utf8.RuneCountInString(src[:pos]) + 1, Msg: msg}
}
