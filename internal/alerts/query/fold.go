package query

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxFoldRounds bounds the rounds of foldRounds.
const maxFoldRounds = 4

// Fold returns s folded for comparison: Unicode NFKD (compatibility
// decomposition, so "ﬁ" is "fi" and "²" is "2"), nonspacing combining marks
// dropped (so accents go), then lower case. Fold is idempotent. Lower-case
// ASCII text is returned as is, without allocating.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			f := getFolder()
			defer putFolder(f)
			f.add(s)
			return string(f.buf)
		}
	}
	return s
}

// Words returns the folded words of s, in order.
func Words(s string) []string {
	f := getFolder()
	defer putFolder(f)
	f.add(s)
	f.endWord()
	text := string(f.buf)
	words := make([]string, len(f.spans)/2)
	for i := range words {
		words[i] = text[f.spans[2*i]:f.spans[2*i+1]]
	}
	return words
}

// folder folds text into buf and records the byte offsets in buf where its
// words start and end, in one pass: folding and splitting an item is much of
// what matching it costs.
type folder struct {
	buf []byte
	// spans holds the start and end offset of each word; while a word is
	// being read its start is the last element, so that the length is odd.
	spans []int32
}

var folderPool = sync.Pool{New: func() any { return new(folder) }}

// maxPooledFolder is the largest buffer kept for reuse, so that one huge item
// does not pin its memory forever.
const maxPooledFolder = 1 << 16

func getFolder() *folder { return folderPool.Get().(*folder) }

func putFolder(f *folder) {
	if cap(f.buf) > maxPooledFolder || cap(f.spans) > maxPooledFolder {
		return
	}
	f.buf, f.spans = f.buf[:0], f.spans[:0]
	folderPool.Put(f)
}

// add folds s onto the buffer. ASCII characters are starters that decompose
// to themselves, and NFKD only reorders runs of combining marks, so each run
// of non-ASCII characters can be decomposed on its own: the result is the
// same as decomposing the whole text.
func (f *folder) add(s string) {
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] < utf8.RuneSelf {
			j++
		}
		if j > i {
			f.addASCII(s[i:j])
			i = j
			continue
		}
		for j < len(s) && s[j] >= utf8.RuneSelf {
			j++
		}
		from := len(f.buf)
		f.buf = appendFoldRun(f.buf, s[i:j])
		for k := from; k < len(f.buf); {
			r, size := utf8.DecodeRune(f.buf[k:])
			if isWordRune(r) != (len(f.spans)%2 == 1) {
				f.spans = append(f.spans, int32(k))
			}
			k += size
		}
		i = j
	}
}

// addASCII folds a run of ASCII text, eight bytes at a time where it can:
// word boundaries are hard to predict, so rather than branching on each byte
// it classifies eight at once with integer arithmetic and then visits only
// the boundaries.
func (f *folder) addASCII(s string) {
	pos, n := len(f.buf), len(f.spans)
	buf := slices.Grow(f.buf, len(s))[:pos+len(s)]
	spans := slices.Grow(f.spans, len(s)+1)[:n+len(s)+1]
	in := uint64(n & 1) // 1 while inside a word
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := load8(s[i:])
		lower, word := swarFold(x)
		binary.LittleEndian.PutUint64(buf[pos+i:], lower)
		// Bit k of edges is set where byte k starts or ends a word.
		edges := (word ^ (word<<1 | in)) & 0xff
		in = word >> 7
		for ; edges != 0; edges &= edges - 1 {
			spans[n] = int32(pos + i + bits.TrailingZeros64(edges))
			n++
		}
	}
	w8 := uint8(in)
	for ; i < len(s); i++ {
		c := s[i] & 0x7f
		w := asciiWord[c]
		spans[n] = int32(pos + i)
		n += int(w ^ w8)
		w8 = w
		buf[pos+i] = asciiLower[c]
	}
	f.buf, f.spans = buf, spans[:n]
}

// swarFold folds eight ASCII bytes at once: it returns them in lower case,
// and a mask with bit k set when byte k is a letter or digit.
func swarFold(x uint64) (lower, word uint64) {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	// Each byte is below 0x80, so adding at most 0x7f never carries into
	// the next byte, and the high bit of byte+(0x80-lo) says byte >= lo.
	atLeast := func(v uint64, lo byte) uint64 { return (v + (0x80-uint64(lo))*ones) & high }
	folded := x | 0x20*ones
	letter := atLeast(folded, 'a') &^ atLeast(folded, 'z'+1)
	digit := atLeast(x, '0') &^ atLeast(x, '9'+1)
	upper := atLeast(x, 'A') &^ atLeast(x, 'Z'+1)
	lower = x | upper>>2 // 0x80>>2 is 0x20, the case bit
	// Gather the high bit of each byte into the low eight bits.
	word = ((letter | digit) >> 7) * 0x0102040810204080 >> 56
	return lower, word
}

// endWord ends the word being read, if any, so that words never run from one
// segment of a document into the next.
func (f *folder) endWord() {
	if len(f.spans)%2 == 1 {
		f.spans = append(f.spans, int32(len(f.buf)))
	}
}

// appendFoldRun folds a run of non-ASCII text onto dst: through the table of
// common characters when it can, else through NFKD.
func appendFoldRun(dst []byte, run string) []byte {
	start := len(dst)
	for i := 0; i < len(run); {
		r, size := utf8.DecodeRuneInString(run[i:])
		f := foldTableEntry(r)
		if f == 0 || (r == utf8.RuneError && size == 1) {
			return appendFoldRunNFKD(dst[:start], run)
		}
		n := int(f&0xff) - 1
		for k := 1; k <= n; k++ {
			dst = append(dst, byte(f>>(8*k)))
		}
		i += size
	}
	return dst
}

// appendFoldRunNFKD folds a run of non-ASCII text onto dst through NFKD.
func appendFoldRunNFKD(dst []byte, run string) []byte {
	if !utf8.ValidString(run) {
		// Decomposition passes malformed bytes through along with what
		// follows them; make each U+FFFD first, which is no part of a word.
		var b strings.Builder
		for i := 0; i < len(run); {
			r, size := utf8.DecodeRuneInString(run[i:])
			b.WriteRune(r)
			i += size
		}
		run = b.String()
	}
	var buf [128]byte
	d := norm.NFKD.AppendString(buf[:0], run)
	start := len(dst)
	recheck := false
	for i := 0; i < len(d); {
		r, size := utf8.DecodeRune(d[i:])
		i += size
		if r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r) {
			continue
		}
		l := unicode.ToLower(r)
		// Lower-casing a decomposed letter can, for a handful of code
		// points, make a character that decomposes again.
		recheck = recheck || (l != r && l >= utf8.RuneSelf)
		dst = utf8.AppendRune(dst, l)
	}
	if recheck && !norm.NFKD.IsNormal(dst[start:]) {
		refolded := foldRounds(string(dst[start:]))
		dst = append(dst[:start], refolded...)
	}
	return dst
}

// The fold table covers the two-byte UTF-8 characters (accented Latin,
// Greek, Cyrillic, Hebrew, Arabic...) and general punctuation (curly quotes,
// dashes), which is most non-ASCII text in news. An entry packs the folded
// bytes of one character: the low byte is their count plus one, the next
// seven bytes the bytes; 0 means the character must go through NFKD.
const (
	foldTableLo, foldTableHi = 0x80, 0x800
	punctLo, punctHi         = 0x2000, 0x2070
)

var foldTable, punctTable = func() (t [foldTableHi - foldTableLo]uint64, p [punctHi - punctLo]uint64) {
	for r := rune(foldTableLo); r < foldTableHi; r++ {
		t[r-foldTableLo] = foldTableValue(r)
	}
	for r := rune(punctLo); r < punctHi; r++ {
		p[r-punctLo] = foldTableValue(r)
	}
	return t, p
}()

// foldTableValue returns the table entry of r. A character can be folded on
// its own when no character of its decomposition that survives folding is a
// combining character (canonical combining class other than 0): then how
// NFKD reorders the marks around it makes no difference, as they are dropped.
func foldTableValue(r rune) uint64 {
	if unicode.Is(unicode.Mn, r) {
		return 1 // dropped wherever it stands
	}
	f := appendFoldRunNFKD(nil, string(r))
	if len(f) > 7 {
		return 0
	}
	for _, c := range string(f) {
		if norm.NFD.PropertiesString(string(c)).CCC() != 0 {
			return 0
		}
	}
	v := uint64(len(f) + 1)
	for i, b := range f {
		v |= uint64(b) << (8 * (i + 1))
	}
	return v
}

// foldTableEntry returns the fold table entry of r, or 0.
func foldTableEntry(r rune) uint64 {
	switch {
	case r < foldTableHi:
		return foldTable[r-foldTableLo]
	case punctLo <= r && r < punctHi:
		return punctTable[r-punctLo]
	}
	return 0
}

// foldRounds folds s again and again until it no longer changes, which takes
// one or two rounds on the rare text that needs it; Fold must be idempotent
// so that a folded query word folds to itself when the canonical form of a
// query is parsed again.
func foldRounds(s string) string {
	for range maxFoldRounds {
		d := norm.NFKD.String(s)
		var b strings.Builder
		b.Grow(len(d))
		for _, r := range d {
			if r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r) {
				continue
			}
			b.WriteRune(unicode.ToLower(r))
		}
		if b.String() == s {
			break
		}
		s = b.String()
	}
	return s
}

// asciiWord is 1 for the ASCII bytes that belong to a word (letters and
// digits) and 0 for the others.
var asciiWord = func() (t [utf8.RuneSelf]uint8) {
	for c := range utf8.RuneSelf {
		if '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'z' {
			t[c] = 1
		}
	}
	return t
}()

// asciiLower maps each ASCII byte to its lower case.
var asciiLower = func() (t [utf8.RuneSelf]byte) {
	for c := range utf8.RuneSelf {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

// isWordRune reports whether r belongs to a word: letters and numbers, and
// the spacing marks that survive folding (vowel signs of Indic scripts), which
// belong to the letter they follow rather than splitting the word.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r] == 1
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}
