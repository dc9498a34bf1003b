package query

import (
	"math/bits"
	"strings"
	"sync"
)

// Matcher evaluates many queries against a document at once. Every distinct
// term of every query gets an id. Each word of a document is looked up once,
// in a hash table of the words, prefixes and phrase first words of all the
// queries, behind a bit filter small enough to stay in the CPU cache that
// most words fail at once; only the few prefixes of a word that some prefix
// term could be (told by its first bytes) are looked up too. Phrases are
// verified by position where their first word is found. The terms found set
// bits in a bitset; then only the queries that one of their trigger terms
// woke up (plus those that can match without any term, such as -football)
// have their boolean trees evaluated over those bits. Regexps run lazily,
// only when a tree needs their outcome, at most once per document. The
// results equal Query.Match for every query; the cost per document grows with
// its words and the matches it wakes, not with the number of queries.
//
// A Matcher is immutable and safe for concurrent use.
type Matcher struct {
	// entries holds the terms of each folded word, word prefix or phrase
	// first word; table is an open-addressing hash table of entry index+1
	// by wordHash, and filter a bit filter in front of it that most words
	// which are no term fail.
	entries    []wordEntry
	table      []int32
	tableShift uint
	filter     []uint64
	filterBits uint
	// Prefix terms: which prefixes of a word to look up. prefix1 and
	// prefix2 have a bit per prefix term of one and two bytes (by its
	// bytes); prefixStarts holds, per hash of the first three bytes of the
	// longer ones, the lengths they have (bit k: k bytes, bit 31: 31 or
	// more), so that most words need no prefix lookups and the others one
	// or two.
	prefix1      [256 / 64]uint64
	prefix2      []uint64
	prefixStarts []uint32

	phrases    []phrase
	feedExact  map[string]int32 // folded feed name -> term id
	feedPrefix []feedPrefix
	regexps    []regexpLeaf

	nterms    int
	trigStart []int32 // term t wakes queries trigQ[trigStart[t]:trigStart[t+1]]
	trigQ     []int32
	always    []uint64 // queries evaluated for every document

	ops       []op    // the programs of all queries, prefix order
	progStart []int32 // query q's program starts at ops[progStart[q]]; -1 = never matches

	pool sync.Pool // *scratch
}

// Field slots of the term ids kept in word entries: a word found in the
// title sets the ids of slots any and title, in the body only any, in a
// category any and category. They are numbered like the fields.
const (
	slotAny      = int(fieldAny)
	slotTitle    = int(fieldTitle)
	slotCategory = int(fieldCategory)
	numSlots     = 3
)

// noTerms is the slots of a word entry without terms of a kind.
var noTerms = [numSlots]int32{-1, -1, -1}

// wordEntry holds the terms of one folded string.
type wordEntry struct {
	word      string
	exact     [numSlots]int32 // term id of the word, per slot; -1 none
	prefix    [numSlots]int32 // term id of the word as a prefix, per slot; -1 none
	phrases   []int32         // the phrases that start with the word
	hasExact  bool            // exact or phrases is set
	hasPrefix bool            // prefix is set
}

// phrase is a phrase term, verified at each position where its first word is.
type phrase struct {
	rest   []string // the words after the first
	prefix bool     // the last word is a prefix
	field  field
	term   int32
}

type feedPrefix struct {
	name string
	term int32
}

type regexpLeaf struct {
	re    *regexpTerm
	field field
}

// op is one instruction of a query's program. Programs are trees in prefix
// order; next is the index just past an op's subtree, so that a
// short-circuited operator can skip a kid without evaluating it.
type op struct {
	code opCode
	arg  int32 // opTerm: term id; opRegexp: regexp index; opAnd, opOr: number of kids
	next int32
}

type opCode uint8

const (
	opTerm opCode = iota
	opRegexp
	opAnd
	opOr
	opNot
)

// scratch is the per-call state of Match, pooled so that matching allocates
// nothing in the steady state.
type scratch struct {
	found   []uint64 // terms found in the document
	cand    []uint64 // queries to evaluate
	reState []uint8  // per regexp: 0 unknown, 1 no match, 2 match
	doc     *Doc
}

// NewMatcher compiles queries together. Match reports indexes into qs; a nil
// query never matches.
func NewMatcher(qs []*Query) *Matcher {
	b := &matcherBuilder{
		m: &Matcher{
			feedExact: make(map[string]int32),
			progStart: make([]int32, len(qs)),
			always:    make([]uint64, (len(qs)+63)/64),
		},
		ids:     make(map[string]int32),
		regexps: make(map[string]int32),
		words:   make(map[string]int32),
	}
	var trig [][]int32 // per term: the queries it wakes
	for qi, q := range qs {
		if q == nil {
			b.m.progStart[qi] = -1
			continue
		}
		b.m.progStart[qi] = int32(len(b.m.ops))
		b.compile(q.root)
		wake, ok := b.triggers(q.root)
		if !ok {
			b.m.always[qi/64] |= 1 << (qi % 64)
			continue
		}
		for _, t := range wake {
			for int(t) >= len(trig) {
				trig = append(trig, nil)
			}
			trig[t] = append(trig[t], int32(qi))
		}
	}
	m := b.m
	m.trigStart = make([]int32, m.nterms+1)
	for t := 0; t < m.nterms; t++ {
		m.trigStart[t] = int32(len(m.trigQ))
		if t < len(trig) {
			m.trigQ = append(m.trigQ, dedupSorted(trig[t])...)
		}
	}
	m.trigStart[m.nterms] = int32(len(m.trigQ))
	b.freeze()
	m.pool.New = func() any {
		return &scratch{
			found:   make([]uint64, (m.nterms+63)/64),
			cand:    make([]uint64, len(m.always)),
			reState: make([]uint8, len(m.regexps)),
		}
	}
	return m
}

// dedupSorted removes repeats from an ascending list (a query may name a term
// twice).
func dedupSorted(qs []int32) []int32 {
	out := qs[:0]
	for i, q := range qs {
		if i == 0 || q != qs[i-1] {
			out = append(out, q)
		}
	}
	return out
}

// matcherBuilder holds what is only needed while compiling.
type matcherBuilder struct {
	m        *Matcher
	ids      map[string]int32 // term key -> id
	termCost []int            // per term: how often it is likely found, relatively
	regexps  map[string]int32 // field and source -> regexp index
	words    map[string]int32 // folded string -> entry index
}

// compile appends the program of n to m.ops; kids that involve regexps go
// last so that cheaper kids can decide the outcome first.
func (b *matcherBuilder) compile(n *node) {
	m := b.m
	at := len(m.ops)
	switch n.kind {
	case kindAnd, kindOr:
		code := opAnd
		if n.kind == kindOr {
			code = opOr
		}
		m.ops = append(m.ops, op{code: code, arg: int32(len(n.kids))})
		for _, slow := range []bool{false, true} {
			for _, k := range n.kids {
				if hasRegexp(k) == slow {
					b.compile(k)
				}
			}
		}
	case kindNot:
		m.ops = append(m.ops, op{code: opNot})
		b.compile(n.kids[0])
	case kindRegexp:
		m.ops = append(m.ops, op{code: opRegexp, arg: b.regexpID(n)})
	default:
		m.ops = append(m.ops, op{code: opTerm, arg: b.termID(n)})
	}
	m.ops[at].next = int32(len(m.ops))
}

func hasRegexp(n *node) bool {
	if n.kind == kindRegexp {
		return true
	}
	for _, k := range n.kids {
		if hasRegexp(k) {
			return true
		}
	}
	return false
}

func (b *matcherBuilder) regexpID(n *node) int32 {
	key := string(rune('0'+n.field)) + n.re.src
	if id, ok := b.regexps[key]; ok {
		return id
	}
	id := int32(len(b.m.regexps))
	b.m.regexps = append(b.m.regexps, regexpLeaf{re: n.re, field: n.field})
	b.regexps[key] = id
	return id
}

// termID returns the id of a word, prefix, phrase or feed leaf, adding the
// term to the lookup structures the first time.
func (b *matcherBuilder) termID(n *node) int32 {
	key := leafKey(n)
	if id, ok := b.ids[key]; ok {
		return id
	}
	m := b.m
	id := int32(m.nterms)
	m.nterms++
	b.ids[key] = id
	// Phrases are rarer than words, prefixes commoner.
	cost := 2
	switch {
	case n.kind == kindWords && len(n.words) > 1:
		cost = 1
	case n.prefix:
		cost = 4
	}
	b.termCost = append(b.termCost, cost)
	switch {
	case n.kind == kindFeed && n.prefix:
		m.feedPrefix = append(m.feedPrefix, feedPrefix{name: n.name, term: id})
	case n.kind == kindFeed:
		m.feedExact[n.name] = id
	default:
		// entry grows m.entries: index it only after the call.
		w := n.words[0]
		at := b.entry(w)
		e := &m.entries[at]
		switch {
		case len(n.words) > 1:
			e.phrases = append(e.phrases, int32(len(m.phrases)))
			e.hasExact = true
			m.phrases = append(m.phrases, phrase{rest: n.words[1:], prefix: n.prefix, field: n.field, term: id})
		case n.prefix:
			e.prefix[n.field] = id
			e.hasPrefix = true
			switch len(w) {
			case 1:
				m.prefix1[w[0]/64] |= 1 << (w[0] % 64)
			case 2:
				if m.prefix2 == nil {
					m.prefix2 = make([]uint64, 1<<16/64)
				}
				i := uint16(w[0])<<8 | uint16(w[1])
				m.prefix2[i/64] |= 1 << (i % 64)
			default:
				if m.prefixStarts == nil {
					m.prefixStarts = make([]uint32, 1<<prefixStartBits)
				}
				m.prefixStarts[prefixStart(w)] |= lenBit(len(w))
			}
		default:
			e.exact[n.field] = id
			e.hasExact = true
		}
	}
	return id
}

// leafKey identifies a term leaf: leaves with equal keys match the same
// documents and share one term id.
func leafKey(n *node) string {
	var b strings.Builder
	b.WriteByte(byte('0' + n.field))
	if n.prefix {
		b.WriteByte('*')
	} else {
		b.WriteByte('=')
	}
	if n.kind == kindFeed {
		b.WriteString(n.name)
	} else {
		b.WriteString(strings.Join(n.words, "\x00"))
	}
	return b.String()
}

// entry returns the index of the entry of a folded string, adding it.
func (b *matcherBuilder) entry(word string) int32 {
	m := b.m
	if at, ok := b.words[word]; ok {
		return at
	}
	at := int32(len(m.entries))
	m.entries = append(m.entries, wordEntry{word: word, exact: noTerms, prefix: noTerms})
	b.words[word] = at
	return at
}

// freeze builds the hash table of the word entries, at most half full, and
// the filter in front of it: about 32 bits per string and two bits each, so
// that about one word in a thousand that is no term passes it.
func (b *matcherBuilder) freeze() {
	m := b.m
	tbits := uint(4)
	for 1<<tbits < 2*len(m.entries) {
		tbits++
	}
	m.table = make([]int32, 1<<tbits)
	m.tableShift = 64 - tbits
	fbits := uint(12)
	for 1<<fbits < 32*len(m.entries) && fbits < 30 {
		fbits++
	}
	m.filter = make([]uint64, 1<<fbits/64)
	m.filterBits = fbits
	for at, e := range m.entries {
		h := wordHash(e.word)
		i, j := m.filterIndexes(h)
		m.filter[i/64] |= 1 << (i % 64)
		m.filter[j/64] |= 1 << (j % 64)
		k := m.tableIndex(h)
		for m.table[k] != 0 {
			k = (k + 1) & uint64(len(m.table)-1)
		}
		m.table[k] = int32(at + 1)
	}
}

// prefixStartBits is the log2 of the size of prefixStarts.
const prefixStartBits = 13

// prefixStart returns the index in prefixStarts for a word of three or more
// bytes.
func prefixStart(w string) uint32 {
	x := uint32(w[0]) | uint32(w[1])<<8 | uint32(w[2])<<16
	return (x * 0x9e3779b1) >> (32 - prefixStartBits)
}

// lenBit returns the bit of a prefix length in a mask of lengths.
func lenBit(n int) uint32 {
	return 1 << min(n, 31)
}

// lookup returns the entry of word, whose wordHash is h, or nil.
func (m *Matcher) lookup(word string, h uint64) *wordEntry {
	for k := m.tableIndex(h); ; k = (k + 1) & uint64(len(m.table)-1) {
		at := m.table[k]
		if at == 0 {
			return nil
		}
		if e := &m.entries[at-1]; e.word == word {
			return e
		}
	}
}

func (m *Matcher) tableIndex(h uint64) uint64 {
	return (h * 0xd6e8feb86659fd93) >> m.tableShift
}

// wordHash is the hash of the strings of word entries, read eight bytes at a
// time, little-endian, the last chunk padded with zeros; docHash computes the
// same from a document's padded text without copying.
func wordHash(w string) uint64 {
	h := uint64(len(w))
	for ; len(w) >= 8; w = w[8:] {
		h = hashMix(h, load8(w))
	}
	if len(w) > 0 {
		var tail [8]byte
		copy(tail[:], w)
		h = hashMix(h, load8(string(tail[:])))
	}
	return h
}

// docHash returns wordHash(text[a:b]); text must hold 8 bytes after b.
func docHash(text string, a, b int32) uint64 {
	h := uint64(b - a)
	for ; b-a >= 8; a += 8 {
		h = hashMix(h, load8(text[a:]))
	}
	if a < b {
		h = hashMix(h, load8(text[a:])&(1<<(8*uint(b-a))-1))
	}
	return h
}

func hashMix(h, chunk uint64) uint64 {
	h = (h ^ chunk) * 0xff51afd7ed558ccd
	return h ^ h>>32
}

// load8 reads the first 8 bytes of s, little-endian (one load).
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// filterIndexes mixes a word hash into the two filter bits of a string,
// taken from the top bits of one product.
func (m *Matcher) filterIndexes(h uint64) (uint64, uint64) {
	p := h * 0x9e3779b97f4a7c15
	mask := uint64(1)<<m.filterBits - 1
	return p >> (64 - m.filterBits), (p >> (64 - 2*m.filterBits)) & mask
}

// maybe reports whether a string with hash h may have an entry.
func (m *Matcher) maybe(h uint64) bool {
	i, j := m.filterIndexes(h)
	return m.filter[i/64]&(1<<(i%64)) != 0 && m.filter[j/64]&(1<<(j%64)) != 0
}

// triggers returns terms of which at least one is found in every document
// that n matches, choosing few and rare ones; ok is false when n can match a
// document with none of its terms (a negation, a regexp).
func (b *matcherBuilder) triggers(n *node) (terms []int32, ok bool) {
	switch n.kind {
	case kindNot, kindRegexp:
		return nil, false
	case kindOr:
		for _, k := range n.kids {
			t, ok := b.triggers(k)
			if !ok {
				return nil, false
			}
			terms = append(terms, t...)
		}
		return terms, true
	case kindAnd:
		best := -1
		for _, k := range n.kids {
			t, ok := b.triggers(k)
			if !ok {
				continue
			}
			cost := 0
			for _, id := range t {
				cost += b.termCost[id]
			}
			if best < 0 || cost < best {
				terms, best = t, cost
			}
		}
		return terms, best >= 0
	default:
		return []int32{b.termID(n)}, true
	}
}

// Match appends to dst the indexes, ascending, of the queries that match d,
// and returns the extended slice.
func (m *Matcher) Match(d *Doc, dst []int) []int {
	s := m.pool.Get().(*scratch)
	defer m.pool.Put(s)
	s.doc = d
	clear(s.found)
	clear(s.reState)
	copy(s.cand, m.always)
	m.scanWords(s, d)
	if id, ok := m.feedExact[d.feed]; ok {
		m.setTerm(s, id)
	}
	for _, fp := range m.feedPrefix {
		if strings.HasPrefix(d.feed, fp.name) {
			m.setTerm(s, fp.term)
		}
	}
	for w, word := range s.cand {
		for word != 0 {
			q := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if start := m.progStart[q]; start >= 0 && m.eval(s, start) {
				dst = append(dst, q)
			}
		}
	}
	s.doc = nil
	return dst
}

// setTerm records that term t was found and wakes the queries it triggers.
func (m *Matcher) setTerm(s *scratch, t int32) {
	w, bit := t/64, uint64(1)<<(t%64)
	if s.found[w]&bit != 0 {
		return
	}
	s.found[w] |= bit
	for _, q := range m.trigQ[m.trigStart[t]:m.trigStart[t+1]] {
		s.cand[q/64] |= 1 << (q % 64)
	}
}

func (s *scratch) has(t int32) bool {
	return s.found[t/64]&(1<<(t%64)) != 0
}

// scanWords looks up every word of d, and its prefixes, once.
func (m *Matcher) scanWords(s *scratch, d *Doc) {
	start := 0
	for seg, sg := range d.segs {
		end := sg.wordEnd
		slot := slotCategory
		switch seg {
		case segTitle:
			slot = slotTitle
		case segBody:
			slot = slotAny
		}
		spans := d.spans[2*start : 2*end]
		for j := 0; j+1 < len(spans); j += 2 {
			a, b := spans[j], spans[j+1]
			w := d.text[a:b]
			// The prefix lengths to look up, shorter than the word (a
			// prefix as long as the word is in the word's own entry).
			var lens uint32
			if m.prefix1[w[0]/64]&(1<<(w[0]%64)) != 0 {
				lens |= lenBit(1)
			}
			if len(w) >= 2 && m.prefix2 != nil {
				if i := uint16(w[0])<<8 | uint16(w[1]); m.prefix2[i/64]&(1<<(i%64)) != 0 {
					lens |= lenBit(2)
				}
			}
			if len(w) >= 3 && m.prefixStarts != nil {
				lens |= m.prefixStarts[prefixStart(w)]
			}
			shorter := lenBit(len(w)) - 1
			if len(w) > 31 {
				shorter |= lenBit(31)
			}
			for lens &= shorter; lens != 0; lens &= lens - 1 {
				k := int32(bits.TrailingZeros32(lens))
				if k == 31 {
					// Prefixes of 31 bytes or more: try each length.
					for ; a+k < b; k++ {
						m.matchPrefix(s, d, a, a+k, slot)
					}
					break
				}
				m.matchPrefix(s, d, a, a+k, slot)
			}
			h := docHash(d.text, a, b)
			if !m.maybe(h) {
				continue
			}
			e := m.lookup(w, h)
			if e == nil {
				continue
			}
			if e.hasPrefix {
				m.setSlots(s, &e.prefix, slot)
			}
			if e.hasExact {
				m.setSlots(s, &e.exact, slot)
				for _, p := range e.phrases {
					m.matchPhrase(s, &m.phrases[p], d, start+j/2+1, end, slot)
				}
			}
		}
		start = end
	}
}

// matchPrefix looks up text[a:b], a prefix of a word of d, as a prefix term.
func (m *Matcher) matchPrefix(s *scratch, d *Doc, a, b int32, slot int) {
	h := docHash(d.text, a, b)
	if !m.maybe(h) {
		return
	}
	if e := m.lookup(d.text[a:b], h); e != nil && e.hasPrefix {
		m.setSlots(s, &e.prefix, slot)
	}
}

// setSlots sets the term ids of an entry that a word found in a segment of
// the given slot stands for.
func (m *Matcher) setSlots(s *scratch, ids *[numSlots]int32, slot int) {
	if id := ids[slotAny]; id >= 0 {
		m.setTerm(s, id)
	}
	if slot != slotAny {
		if id := ids[slot]; id >= 0 {
			m.setTerm(s, id)
		}
	}
}

// matchPhrase checks a phrase whose first word was just found; the words
// [next, end) follow it in the same segment.
func (m *Matcher) matchPhrase(s *scratch, p *phrase, d *Doc, next, end, slot int) {
	if (p.field != fieldAny && int(p.field) != slot) || s.has(p.term) || end-next < len(p.rest) {
		return
	}
	last := len(p.rest) - 1
	for j, w := range p.rest {
		got := d.word(next + j)
		if got != w && !(p.prefix && j == last && strings.HasPrefix(got, w)) {
			return
		}
	}
	m.setTerm(s, p.term)
}

// eval evaluates the program subtree at ops[i] over the terms found.
func (m *Matcher) eval(s *scratch, i int32) bool {
	o := m.ops[i]
	switch o.code {
	case opTerm:
		return s.has(o.arg)
	case opRegexp:
		st := s.reState[o.arg]
		if st == 0 {
			st = 1
			if r := m.regexps[o.arg]; r.re.match(s.doc, r.field) {
				st = 2
			}
			s.reState[o.arg] = st
		}
		return st == 2
	case opNot:
		return !m.eval(s, i+1)
	default: // opAnd, opOr: stop at the first kid that decides
		decide := o.code == opOr
		j := i + 1
		for range o.arg {
			if m.eval(s, j) == decide {
				return decide
			}
			j = m.ops[j].next
		}
		return !decide
	}
}
