package query

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDepth bounds the nesting of parentheses and negations, so that a hostile
// query from chat cannot exhaust the stack of the recursive parser and
// evaluators.
const maxDepth = 100

// Parse parses a query. A query that does not parse returns an *Error with
// the column of the problem.
//
// Grammar, loosest first (AND binds tighter than OR):
//
//	query   = and { "OR" and }
//	and     = unary { ["AND"] unary }
//	unary   = ( "-" | "NOT" ) unary | primary
//	primary = "(" query ")" | [field ":"] term | field ":" "(" query ")"
//	term    = word | word* | "a phrase" | "a phrase*" | /regexp/
//	field   = title | category | feed
//
// A field before parentheses applies to every term inside them
// (title:(a OR b) is title:a OR title:b); fields do not nest. feed: takes a
// feed name (bare or quoted, optionally ending in * for a prefix), compared
// case-insensitively, not words. A leading - must touch its term ("a - b" is
// an error, "a-b" the phrase "a b"); * may only end a word or phrase; a bare
// term without letters or digits ("&") is an error rather than ignored, and
// so is an unknown field prefix ("foo:bar": quote it to search for it).
func Parse(src string) (*Query, error) {
	p := &parser{lx: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		// parseOr stops only at the end or at a ')' that opened nowhere.
		return nil, p.errTok(p.tok, "unexpected closing parenthesis")
	}
	return &Query{root: root}, nil
}

// tokKind is the kind of a lexer token.
type tokKind uint8

// The token kinds.
const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokNot // NOT or a leading -
	tokLeaf
)

// token is one lexed token; pos is its byte offset in the source.
type token struct {
	kind  tokKind
	pos   int
	text  string // the operator as written, for messages
	field field  // tokLParen: the field applied to the group
	leaf  *node
}

// startsTerm reports whether a token can begin an operand.
func (t token) startsTerm() bool {
	return t.kind == tokLParen || t.kind == tokNot || t.kind == tokLeaf
}

type parser struct {
	lx    lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errTok(t token, msg string) *Error {
	return errAt(p.lx.src, t.pos, msg)
}

// operandErr explains why the current token cannot begin an operand.
func (p *parser) operandErr() error {
	switch p.tok.kind {
	case tokAnd, tokOr:
		return p.errTok(p.tok, p.tok.text+" needs a term on both sides")
	case tokRParen:
		return p.errTok(p.tok, "unexpected closing parenthesis")
	default:
		return errAt(p.lx.src, 0, "empty query")
	}
}

func (p *parser) parseOr() (*node, error) {
	if !p.tok.startsTerm() {
		return nil, p.operandErr()
	}
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	kids := []*node{first}
	for p.tok.kind == tokOr {
		op := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.tok.startsTerm() {
			return nil, p.errTok(op, "OR needs a term on both sides")
		}
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		kids = appendFlat(kids, n, kindOr)
	}
	return combine(kindOr, kids), nil
}

func (p *parser) parseAnd() (*node, error) {
	first, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	kids := appendFlat(nil, first, kindAnd)
	for {
		if p.tok.kind == tokAnd {
			op := p.tok
			if err := p.advance(); err != nil {
				return nil, err
			}
			if !p.tok.startsTerm() {
				return nil, p.errTok(op, "AND needs a term on both sides")
			}
		} else if !p.tok.startsTerm() {
			return combine(kindAnd, kids), nil
		}
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		kids = appendFlat(kids, n, kindAnd)
	}
}

// appendFlat appends n to kids, splicing in its kids when it is the same
// operator, so that a AND (b AND c) is one AND of three.
func appendFlat(kids []*node, n *node, k kind) []*node {
	if n.kind == k {
		return append(kids, n.kids...)
	}
	return append(kids, n)
}

func combine(k kind, kids []*node) *node {
	if len(kids) == 1 {
		return kids[0]
	}
	return &node{kind: k, kids: kids}
}

// enter counts one more level of nesting at token t.
func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errTok(t, fmt.Sprintf("query nested more than %d deep", maxDepth))
	}
	return nil
}

func (p *parser) parseUnary() (*node, error) {
	if p.tok.kind != tokNot {
		return p.parsePrimary()
	}
	op := p.tok
	if err := p.enter(op); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.tok.startsTerm() {
		return nil, p.errTok(op, op.text+" needs a term after it")
	}
	kid, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	p.depth--
	return &node{kind: kindNot, kids: []*node{kid}}, nil
}

func (p *parser) parsePrimary() (*node, error) {
	open := p.tok
	if open.kind == tokLeaf {
		return open.leaf, p.advance()
	}
	// A group: tokLParen, the only other token that starts a term here.
	if err := p.enter(open); err != nil {
		return nil, err
	}
	outer := p.lx.field
	if open.field != fieldAny {
		p.lx.field = open.field
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tokRParen:
		return nil, p.errTok(open, "empty parentheses")
	case tokEOF:
		return nil, p.errTok(open, "missing closing parenthesis")
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokRParen {
		return nil, p.errTok(open, "missing closing parenthesis")
	}
	p.lx.field = outer
	p.depth--
	return n, p.advance()
}

// lexer splits a query into tokens on demand, so that the field of an
// enclosing group (set by the parser) decides how terms inside it are read.
type lexer struct {
	src   string
	pos   int
	field field // the field of the enclosing field group, if any
	// afterMinus is set right after a leading -: the next word is a word
	// even if it is spelled AND, OR or NOT.
	afterMinus bool
}

// isDelim reports whether r ends a bare term.
func isDelim(r rune) bool {
	return unicode.IsSpace(r) || r == '(' || r == ')' || r == '"'
}

func (lx *lexer) next() (token, error) {
	src := lx.src
	for lx.pos < len(src) {
		r, size := utf8.DecodeRuneInString(src[lx.pos:])
		if !unicode.IsSpace(r) {
			break
		}
		lx.pos += size
	}
	start := lx.pos
	afterMinus := lx.afterMinus
	lx.afterMinus = false
	if start == len(src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	switch src[start] {
	case '(':
		lx.pos++
		return token{kind: tokLParen, pos: start}, nil
	case ')':
		lx.pos++
		return token{kind: tokRParen, pos: start}, nil
	case '"', '/':
		return lx.term(lx.field, start)
	case '-':
		r, _ := utf8.DecodeRuneInString(src[start+1:])
		if start+1 == len(src) || unicode.IsSpace(r) || r == ')' {
			return token{}, errAt(src, start, "- needs a term right after it")
		}
		lx.pos++
		lx.afterMinus = true
		return token{kind: tokNot, pos: start, text: "-"}, nil
	}
	end := lx.bareEnd(start)
	word := src[start:end]
	if !afterMinus {
		switch word {
		case "AND":
			lx.pos = end
			return token{kind: tokAnd, pos: start, text: word}, nil
		case "OR":
			lx.pos = end
			return token{kind: tokOr, pos: start, text: word}, nil
		case "NOT":
			lx.pos = end
			return token{kind: tokNot, pos: start, text: word}, nil
		}
	}
	if name, ok := fieldPrefix(word); ok {
		return lx.fieldTerm(name, start)
	}
	return lx.term(lx.field, start)
}

// bareEnd returns the end of the bare term starting at pos.
func (lx *lexer) bareEnd(pos int) int {
	if i := strings.IndexFunc(lx.src[pos:], isDelim); i >= 0 {
		return pos + i
	}
	return len(lx.src)
}

// fieldPrefix returns the field name of a bare term that starts with ASCII
// letters and a colon, as in title:word.
func fieldPrefix(word string) (string, bool) {
	i := 0
	for i < len(word) && ('a' <= word[i]|0x20 && word[i]|0x20 <= 'z') {
		i++
	}
	if i == 0 || i == len(word) || word[i] != ':' {
		return "", false
	}
	return word[:i], true
}

// fieldTerm lexes name:term or name:( starting at start.
func (lx *lexer) fieldTerm(name string, start int) (token, error) {
	src := lx.src
	f := fieldAny
	for i, n := range fieldNames {
		if n != "" && strings.EqualFold(n, name) {
			f = field(i)
		}
	}
	if f == fieldAny {
		return token{}, errAt(src, start, fmt.Sprintf("unknown field %q (known fields: %s; quote the text to search for it)", name, knownFields))
	}
	name = fieldNames[f]
	if lx.field != fieldAny {
		return token{}, errAt(src, start, name+": inside "+fieldNames[lx.field]+":(…): fields do not nest")
	}
	at := start + len(name) + 1
	r, _ := utf8.DecodeRuneInString(src[at:])
	switch {
	case at == len(src) || unicode.IsSpace(r) || r == ')':
		return token{}, errAt(src, start, name+": needs a term right after the colon")
	case r == '(':
		lx.pos = at + 1
		return token{kind: tokLParen, pos: at, field: f}, nil
	case r == '-':
		return token{}, errAt(src, at, "put - before the field (-"+name+":…), not after the colon")
	}
	return lx.term(f, at)
}

// term lexes a leaf of field f at pos: a quoted phrase, a /regexp/ or a bare
// word, and moves past it.
func (lx *lexer) term(f field, pos int) (token, error) {
	src := lx.src
	var text string
	quoted := false
	switch src[pos] {
	case '"':
		end := strings.IndexByte(src[pos+1:], '"')
		if end < 0 {
			return token{}, errAt(src, pos, "unterminated quote")
		}
		text, quoted = src[pos+1:pos+1+end], true
		lx.pos = pos + end + 2
	case '/':
		if f == fieldFeed {
			return token{}, errAt(src, pos, "feed: takes a feed name, not a regexp")
		}
		return lx.regexp(f, pos)
	default:
		lx.pos = lx.bareEnd(pos)
		text = src[pos:lx.pos]
	}
	var n *node
	var msg string
	if f == fieldFeed {
		n, msg = feedLeaf(text)
	} else {
		n, msg = wordsLeaf(f, text, quoted)
	}
	if msg != "" {
		return token{}, errAt(src, pos, msg)
	}
	return token{kind: tokLeaf, pos: pos, leaf: n}, nil
}

// wordsLeaf makes a word, prefix or phrase leaf from a bare or quoted text;
// msg explains a text that is not one.
func wordsLeaf(f field, text string, quoted bool) (n *node, msg string) {
	what := "a word"
	if quoted {
		what = "a phrase"
	}
	prefix := strings.HasSuffix(text, "*")
	if prefix {
		text = text[:len(text)-1]
		r, _ := utf8.DecodeLastRuneInString(text)
		if text == "" || !isWordRune(r) {
			return nil, "* must follow a letter or digit"
		}
	}
	if strings.Contains(text, "*") {
		return nil, "* may only end " + what
	}
	words := Words(text)
	if len(words) == 0 {
		if quoted {
			return nil, "the quotes hold no letters or digits"
		}
		return nil, fmt.Sprintf("%q has no letters or digits to search for", text)
	}
	return &node{kind: kindWords, field: f, words: words, prefix: prefix}, ""
}

// feedLeaf makes a feed: leaf from a bare or quoted name.
func feedLeaf(text string) (n *node, msg string) {
	name := Fold(text)
	prefix := strings.HasSuffix(name, "*")
	if prefix {
		name = name[:len(name)-1]
	}
	switch {
	case name == "":
		return nil, "feed: needs a feed name"
	case strings.Contains(name, "*"):
		return nil, "* may only end a feed name"
	case strings.Contains(name, `"`):
		return nil, "a feed name cannot hold a quote"
	}
	return &node{kind: kindFeed, field: fieldFeed, name: name, prefix: prefix}, ""
}

// regexp lexes /regexp/ at pos. Inside, \/ stands for a slash; every other
// backslash escape is passed to RE2 as written.
func (lx *lexer) regexp(f field, pos int) (token, error) {
	src := lx.src
	var b strings.Builder
	i := pos + 1
	for ; i < len(src) && src[i] != '/'; i++ {
		if src[i] == '\\' && i+1 < len(src) {
			if src[i+1] != '/' {
				b.WriteByte('\\')
			}
			i++
		}
		b.WriteByte(src[i])
	}
	if i == len(src) {
		return token{}, errAt(src, pos, "unterminated regexp (missing closing /)")
	}
	lx.pos = i + 1
	expr := b.String()
	if expr == "" {
		return token{}, errAt(src, pos, "empty regexp")
	}
	re, err := compileRegexp(expr)
	if err != nil {
		return token{}, errAt(src, pos, err.Error())
	}
	n := &node{kind: kindRegexp, field: f, re: re}
	return token{kind: tokLeaf, pos: pos, leaf: n}, nil
}

// regexpTerm is a compiled /regexp/ leaf.
type regexpTerm struct {
	src string // as written between the slashes, \/ unescaped
	re  *regexp.Regexp
	// need is a string that every match contains ("" if there is none).
	// Most texts do not contain it, and a substring search rules them out
	// many times faster than RE2 can: RE2 has no literal prefilter of its
	// own unless the regexp starts with the literal, and a topic's regexp
	// usually starts with \b.
	need string
}

// compileRegexp compiles a regexp for folded text. It is parsed
// case-insensitively, so character classes such as [A-Z] match folded
// letters too; then its literals are folded (/Kyïv/ looks for "kyiv") and
// matched exactly, which lets RE2 search for a literal prefix quickly and
// lets needLiteral find a string every match contains; the text is lower
// case already.
func compileRegexp(expr string) (*regexpTerm, error) {
	re, err := syntax.Parse(expr, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return nil, regexpErr(err)
	}
	foldLiterals(re)
	c, err := regexp.Compile(re.String())
	if err != nil {
		return nil, regexpErr(err)
	}
	return &regexpTerm{src: expr, re: c, need: needLiteral(re)}, nil
}

// needLiteral returns the longest literal string that every match of re
// contains, or "" when it finds none. It looks only where a match cannot do
// without: literals, runs of literals side by side, groups, and what is
// repeated at least once; alternatives and optional parts give nothing.
func needLiteral(re *syntax.Regexp) string {
	literal := func(r *syntax.Regexp) bool {
		return r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase == 0
	}
	switch re.Op {
	case syntax.OpLiteral:
		if literal(re) {
			return string(re.Rune)
		}
	case syntax.OpCapture, syntax.OpPlus:
		return needLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return needLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best, run := "", ""
		for _, sub := range re.Sub {
			if literal(sub) {
				run += string(sub.Rune)
				if len(run) > len(best) {
					best = run
				}
				continue
			}
			run = ""
			if s := needLiteral(sub); len(s) > len(best) {
				best = s
			}
		}
		return best
	}
	return ""
}

// regexpErr words an RE2 error without the "error parsing regexp" preamble.
func regexpErr(err error) error {
	if se, ok := err.(*syntax.Error); ok {
		return fmt.Errorf("bad regexp: %s: `%s`", se.Code, se.Expr)
	}
	return fmt.Errorf("bad regexp: %w", err)
}

func foldLiterals(re *syntax.Regexp) {
	if re.Op == syntax.OpLiteral {
		re.Rune = []rune(Fold(string(re.Rune)))
		re.Flags &^= syntax.FoldCase
		if len(re.Rune) == 0 {
			re.Op = syntax.OpEmptyMatch
		}
	}
	for _, s := range re.Sub {
		foldLiterals(s)
	}
}
