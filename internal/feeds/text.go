package feeds

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockElements start a new line in the plain text: their content is a
// paragraph, list item, cell or heading of its own, and running it into the
// previous word would glue words together ("end.Next").
var blockElements = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Br: true, atom.Caption: true, atom.Dd: true, atom.Details: true, atom.Div: true,
	atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true,
	atom.Figure: true, atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true,
	atom.Hr: true, atom.Li: true, atom.Main: true, atom.Nav: true, atom.Ol: true,
	atom.P: true, atom.Pre: true, atom.Section: true, atom.Summary: true, atom.Table: true,
	atom.Tbody: true, atom.Td: true, atom.Tfoot: true, atom.Th: true, atom.Thead: true,
	atom.Tr: true, atom.Ul: true,
}

// droppedElements have content that is not text a reader sees.
var droppedElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true, atom.Title: true, atom.Iframe: true, atom.Object: true,
	atom.Svg: true, atom.Math: true, atom.Select: true, atom.Textarea: true,
}

// htmlToText turns an HTML fragment (or plain text, which is a fragment too)
// into plain text: tags removed, entities decoded, block elements turned into
// line breaks, invisible elements dropped, then cleaned with cleanText.
// Lines are kept when multiline is set, else joined with spaces.
func htmlToText(s string, multiline bool) string {
	if t, ok := scanText(s, multiline); ok {
		return t
	}
	if !strings.Contains(s, "<") {
		// No tag, and text scanText declined (invalid UTF-8): the tokenizer
		// would return it as one text token, entities decoded; this skips
		// its allocations.
		return cleanText(html.UnescapeString(s), multiline)
	}
	return markupToText(s, multiline)
}

// markupToText is htmlToText for a fragment with tags, read with the HTML
// tokenizer.
func markupToText(s string, multiline bool) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside dropped elements
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF or a tokenizer failure: either way what was read is all
			// the text there is.
			return cleanText(b.String(), multiline)
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if droppedElements[a] {
				switch tt {
				case html.StartTagToken:
					skip++
				case html.EndTagToken:
					if skip > 0 {
						skip--
					}
				}
				continue
			}
			if blockElements[a] {
				b.WriteByte('\n')
			} else if a == atom.Img || a == atom.Wbr {
				// Images stand between words more often than inside them.
				b.WriteByte(' ')
			}
		}
	}
}

// scanText is htmlToText in one pass over s, without the tokenizer and its
// buffers and without an intermediate text: it reads tags, comments and
// character references the way markupToText's tokenizer does and cleans the
// text the way cleanText does as it goes. It reports false on what it does
// not reproduce exactly, all rare in feeds: invalid UTF-8 in the text (the
// tokenizer's text tokens are joined before cleanText decodes them, so the
// bytes of a rune may sit on both sides of a tag), raw-text elements whose
// text is kept (xmp, noembed, noframes, plaintext), self-closing raw-text
// elements, self-closing dropped elements with attributes, and scripts that
// hold "<!--".
func scanText(s string, multiline bool) (string, bool) {
	// The text is written to a buffer on the stack, copied once at the end,
	// so that the string holds no more memory than it needs.
	var stack [512]byte
	buf := stack[:0]
	if len(s) > len(stack) {
		buf = make([]byte, 0, len(s))
	}
	w := textWriter{multiline: multiline}
	skip := 0 // depth inside dropped elements, as in markupToText
	i := 0
scan:
	for i < len(s) {
		if skip > 0 {
			// Text inside a dropped element is not read: on to the next
			// markup.
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				break
			}
			i += j
		}
		switch textBytes[s[i]] {
		case plainByte, highByte:
			if j := plainRun(s, i); j > i {
				buf = append(w.sep(buf), s[i:j]...)
				i = j
				continue
			}
			// A rune that is not kept as is.
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			w.pend(runeClass(r))
			i += size
		case spaceByte:
			w.space = true
			i++
		case newlineByte:
			w.newline = true
			i++
		case controlByte:
			i++
		case ampByte:
			r, t, next := decodeReference(s, i)
			if t == "" {
				buf = w.appendRune(buf, r)
			} else {
				for _, r := range t {
					buf = w.appendRune(buf, r)
				}
			}
			i = next
		case ltByte:
			// What follows '<' decides, as in the tokenizer's Next.
			if i+1 == len(s) {
				if skip == 0 {
					buf = append(w.sep(buf), '<')
				}
				break scan
			}
			switch c := s[i+1]; {
			case isASCIILetter(c):
				nameEnd, gt, attrs, ok := scanTag(s, i+2)
				if !ok {
					// The tokenizer stops at an unfinished tag: the text
					// before it is all there is.
					break scan
				}
				tag := tagOf(s[i+1 : nameEnd])
				// A start tag is self-closing if it ends in "/>", unless
				// that '/' ends an unquoted attribute value, which only
				// attributes can tell.
				selfClosing := s[gt-1] == '/'
				i = gt + 1
				switch {
				case tag.kind&rawText != 0 && (tag.kind&dropped == 0 || selfClosing):
					// Raw text that is kept, undecoded, either because the
					// element is not dropped or because a self-closing
					// start tag does not count in skip though the
					// tokenizer reads raw text after it all the same.
					return "", false
				case tag.kind&dropped != 0:
					if selfClosing {
						if attrs {
							return "", false
						}
						continue
					}
					skip++
					if tag.kind&rawText != 0 {
						end := rawTextEnd(s, i, tag.name)
						if tag.name == "script" && end < len(s) && strings.Contains(s[i:end], "<!--") {
							// Escaped script text may hide its end tag.
							return "", false
						}
						i = end
					}
				default:
					w.tag(tag.kind)
				}
			case c == '/':
				if i+2 == len(s) {
					if skip == 0 {
						buf = append(w.sep(buf), "</"...)
					}
					break scan
				}
				switch c := s[i+2]; {
				case isASCIILetter(c):
					nameEnd, gt, _, ok := scanTag(s, i+3)
					if !ok {
						break scan
					}
					tag := tagOf(s[i+2 : nameEnd])
					i = gt + 1
					if tag.kind&dropped != 0 {
						if skip > 0 {
							skip--
						}
						continue
					}
					w.tag(tag.kind)
				case c == '>':
					// "</>" is nothing at all.
					i += 3
				default:
					// A bogus comment, up to the next '>'.
					j := strings.IndexByte(s[i+2:], '>')
					if j < 0 {
						break scan
					}
					i += 2 + j + 1
				}
			case c == '!':
				if strings.HasPrefix(s[i+2:], "--") {
					i = commentEnd(s, i+4)
					continue
				}
				// A doctype, or a bogus comment (CDATA sections included,
				// the tokenizer not being told it reads foreign content),
				// up to the next '>'.
				j := strings.IndexByte(s[i+2:], '>')
				if j < 0 {
					break scan
				}
				i += 2 + j + 1
			case c == '?':
				// A processing instruction is a bogus comment.
				j := strings.IndexByte(s[i+2:], '>')
				if j < 0 {
					break scan
				}
				i += 2 + j + 1
			default:
				// '<' before anything else is text.
				if skip == 0 {
					buf = append(w.sep(buf), '<')
				}
				i++
			}
		}
	}
	if string(buf) == s {
		// Already clean text (a title, a name): no copy.
		return s, true
	}
	return string(buf), true
}

// textWriter is cleanText as a stream, for scanText, writing to the buffer
// its methods are given: white space is held back until the next kept
// character decides what it becomes.
type textWriter struct {
	multiline      bool
	space, newline bool // white space, with a line break in it, is pending
}

// sep writes the pending white space before a kept character.
func (w *textWriter) sep(buf []byte) []byte {
	if w.space || w.newline {
		if len(buf) > 0 {
			if w.newline && w.multiline {
				buf = append(buf, '\n')
			} else {
				buf = append(buf, ' ')
			}
		}
		w.space, w.newline = false, false
	}
	return buf
}

// runeClass sorts r as cleanText does: kept (plainByte), white space
// (spaceByte), line break (newlineByte) or removed (controlByte).
func runeClass(r rune) byte {
	switch {
	case r > ' ' && r < 0x7f:
		return plainByte
	case r < utf8.RuneSelf:
		return textBytes[r]
	case r > 0xA0 && r < 0x2000 && r != '\u061C' && r != '\u1680',
		r > 0x206F && r != '\u3000' && r != '\uFEFF':
		// Most letters, quickly: of the white space, control and bidi
		// characters only those excepted lie in these ranges.
		return plainByte
	case r == '\u2028' || r == '\u2029':
		return newlineByte
	case unicode.IsSpace(r):
		return spaceByte
	case unicode.IsControl(r) || isBidiControl(r) || r == '\uFEFF':
		return controlByte
	}
	return plainByte
}

// pend notes the white space of a character of class c, which is not
// kept.
func (w *textWriter) pend(c byte) {
	switch c {
	case spaceByte:
		w.space = true
	case newlineByte:
		w.newline = true
	}
}

// plainRun returns the end of the text from s[i] (not white space) that
// cleanText keeps as it is: printable ASCII but '<' and '&', other runes
// kept, and single spaces between them.
func plainRun(s string, i int) int {
	j := i
	for {
		for j < len(s) && textBytes[s[j]] == plainByte {
			j++
		}
		if j == len(s) {
			return j
		}
		switch c := s[j]; {
		case c == ' ':
			if j+1 == len(s) || textBytes[s[j+1]] != plainByte {
				return j
			}
			j += 2
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[j:])
			if size == 1 || runeClass(r) != plainByte {
				return j
			}
			j += size
		default:
			return j
		}
	}
}

// appendRune writes a decoded character.
func (w *textWriter) appendRune(buf []byte, r rune) []byte {
	if c := runeClass(r); c != plainByte {
		w.pend(c)
		return buf
	}
	return utf8.AppendRune(w.sep(buf), r)
}

// tag writes what a tag that is not dropped stands for.
func (w *textWriter) tag(kind byte) {
	switch {
	case kind&block != 0:
		w.newline = true
	case kind&spacer != 0:
		w.space = true
	}
}

// decodeReference decodes the character reference, or the lone '&', at s[i]
// as the tokenizer's unescape does: to r, or to t if t is not empty. next is
// the index after it. The reference's end never depends on where the
// tokenizer's text token ends: tokens end before a '<', which ends a
// reference too.
func decodeReference(s string, i int) (r rune, t string, next int) {
	if i+1 < len(s) && s[i+1] == '#' {
		r, n := numericReference(s[i:])
		if n == 0 {
			return '&', "", i + 1
		}
		return r, "", i + n
	}
	j := i + 1
	for j < len(s) && isASCIIAlnum(s[j]) {
		j++
	}
	switch {
	case j < len(s) && s[j] == ';':
		if r, ok := commonEntities[s[i+1:j+1]]; ok {
			return r, "", j + 1
		}
		j++
	case j-i <= 2:
		// No name, or a one-letter one without ';' ("AT&T", "R&D"), which
		// no entity has.
		return '&', "", i + 1
	}
	// The rest of the named references, and names without ';' that may
	// start with one ("&ampx"), decoded by the tokenizer's own code: the
	// result depends on nothing beyond the name and its ';'.
	return 0, html.UnescapeString(s[i:j]), j
}

// numericReference decodes the numeric character reference ("&#38;",
// "&#x26;", with or without ';') at the start of s as the tokenizer's
// unescapeEntity does, invalid code points included; n is 0 when s starts
// with none.
func numericReference(s string) (r rune, n int) {
	i := 2
	if i >= len(s) {
		return 0, 0
	}
	hex := s[i] == 'x' || s[i] == 'X'
	if hex {
		i++
	}
	i0 := i
	x := rune(0)
	for ; i < len(s); i++ {
		c := s[i]
		var d, mult rune = 0, 10
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case hex && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case hex && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			goto done
		}
		if hex {
			mult = 16
		}
		// The value stops growing past the last code point, so that no
		// number of digits overflows.
		if x <= unicode.MaxRune {
			x = mult*x + d
		}
	}
done:
	if i == i0 {
		return 0, 0
	}
	if i < len(s) && s[i] == ';' {
		i++
	}
	switch {
	case 0x80 <= x && x <= 0x9F:
		x = windows1252[x-0x80]
	case x == 0 || (0xD800 <= x && x <= 0xDFFF) || x > unicode.MaxRune:
		x = utf8.RuneError
	}
	return x, i
}

// scanTag reads a tag from s[i], just after the first letter of its name,
// the way the tokenizer's readTag does: the name runs to white space, '/' or
// '>', then attributes, their values quoted or not, up to a '>' that is not
// in a value. It returns the end of the name, the index of that '>' and
// whether any attribute has a name; ok is false when s ends first, where the
// tokenizer stops with an error.
func scanTag(s string, i int) (nameEnd, gt int, attrs, ok bool) {
	for ; i < len(s); i++ {
		if c := s[i]; c == '/' || c == '>' {
			break
		} else if isTagSpace(c) {
			nameEnd = i
			i++
			goto attributes
		}
	}
	nameEnd = i
attributes:
	for {
		i = skipTagSpace(s, i)
		if i >= len(s) {
			return 0, 0, false, false
		}
		if s[i] == '>' {
			return nameEnd, i, attrs, true
		}
		// The key; a leading '=' belongs to it, and a leading '/' leaves
		// it empty.
		k := i
		for ; i < len(s); i++ {
			c := s[i]
			if isTagSpace(c) || c == '/' || c == '>' || (c == '=' && i > k) {
				break
			}
		}
		if i > k {
			attrs = true
		}
		// The value, if a '=' follows; a '/' here is skipped.
		i = skipTagSpace(s, i)
		if i >= len(s) {
			return 0, 0, false, false
		}
		switch s[i] {
		case '/':
			i++
			continue
		case '=':
			i++
		default:
			continue
		}
		i = skipTagSpace(s, i)
		if i >= len(s) {
			return 0, 0, false, false
		}
		switch q := s[i]; q {
		case '>':
		case '"', '\'':
			j := strings.IndexByte(s[i+1:], q)
			if j < 0 {
				return 0, 0, false, false
			}
			i += 1 + j + 1
		default:
			for ; i < len(s); i++ {
				if c := s[i]; c == '>' {
					break
				} else if isTagSpace(c) {
					i++
					break
				}
			}
		}
	}
}

// isTagSpace reports the white space of tags (not '\v', unlike text).
func isTagSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

func skipTagSpace(s string, i int) int {
	for i < len(s) && isTagSpace(s[i]) {
		i++
	}
	return i
}

// rawTextEnd returns where the raw text of element name (lower case) that
// starts at s[i] ends: at the first "</name" followed by white space, '/' or
// '>', in any case, as the tokenizer's readRawEndTag finds it, else at the
// end of s.
func rawTextEnd(s string, i int, name string) int {
	for {
		j := strings.Index(s[i:], "</")
		if j < 0 {
			return len(s)
		}
		j += i
		k := j + 2 + len(name)
		if k < len(s) && asciiLowerEqual(s[j+2:k], name) {
			if c := s[k]; isTagSpace(c) || c == '/' || c == '>' {
				return j
			}
		}
		i = j + 2
	}
}

// asciiLowerEqual reports whether s is lower, ignoring the case of ASCII
// letters only.
func asciiLowerEqual(s, lower string) bool {
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// commentEnd returns the index after the comment whose text starts at s[i]
// (after "<!--"), found as the tokenizer's readComment does: "-->", "--!>",
// or a '>' after nothing but dashes; len(s) if it runs to the end.
func commentEnd(s string, i int) int {
	dashes, beginning := 0, true
	for i < len(s) {
		c := s[i]
		i++
		switch c {
		case '-':
			dashes++
			continue
		case '>':
			if dashes >= 2 || beginning {
				return i
			}
		case '!':
			if dashes >= 2 {
				if i == len(s) {
					return i
				}
				c = s[i]
				i++
				if c == '>' {
					return i
				}
				if c == '-' {
					dashes, beginning = 1, false
					continue
				}
			}
		}
		dashes, beginning = 0, false
	}
	return len(s)
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isASCIIAlnum(c byte) bool { return isASCIILetter(c) || '0' <= c && c <= '9' }

// maxTagName is the length of the longest name in tags.
const maxTagName = len("blockquote")

// tagOf looks a tag name up in tags, ignoring the case of ASCII letters as
// the tokenizer does.
func tagOf(name string) tagInfo {
	if len(name) > maxTagName {
		return tagInfo{}
	}
	for i := range len(name) {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			var b [maxTagName]byte
			n := copy(b[:], name)
			for j := i; j < n; j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			// The compiler makes no string of a map index's converted
			// bytes.
			return tags[string(b[:n])]
		}
	}
	return tags[name]
}

// Kinds of tags, for scanText.
const (
	block   = 1 << iota // in blockElements
	spacer              // img or wbr, which stand for a space
	dropped             // in droppedElements
	rawText             // its text runs to its end tag, unread (script, title…)
)

// tagInfo is what scanText knows of a tag name.
type tagInfo struct {
	kind byte
	name string
}

// tags holds the names markupToText treats apart, and those after which
// the tokenizer reads raw text, by lower-case name.
var tags = func() map[string]tagInfo {
	m := make(map[string]tagInfo)
	add := func(name string, kind byte) {
		t := m[name]
		t.kind |= kind
		t.name = name
		m[name] = t
	}
	for a := range blockElements {
		add(a.String(), block)
	}
	for a := range droppedElements {
		add(a.String(), dropped)
	}
	add(atom.Img.String(), spacer)
	add(atom.Wbr.String(), spacer)
	for _, name := range []string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"} {
		add(name, rawText)
	}
	return m
}()

// Byte classes of text, for scanText.
const (
	plainByte   = iota // kept as is: printable ASCII but '<' and '&'
	spaceByte          // white space
	newlineByte        // a line break
	controlByte        // removed
	ampByte            // '&', which may start a character reference
	ltByte             // '<', which may start markup
	highByte           // the start of a multi-byte rune
)

// textBytes sorts bytes as cleanText sorts ASCII characters.
var textBytes = func() (t [256]byte) {
	for c := range t {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = highByte
		case c == '<':
			t[c] = ltByte
		case c == '&':
			t[c] = ampByte
		case c > ' ' && c < 0x7f:
			t[c] = plainByte
		case c == '\n' || c == '\r' || c == '\v' || c == '\f':
			t[c] = newlineByte
		case c == ' ' || c == '\t':
			t[c] = spaceByte
		default:
			t[c] = controlByte
		}
	}
	return t
}()

// commonEntities are the named character references (with their ';') that
// feeds use most, decoded without the tokenizer's code. Their values are
// taken from it.
var commonEntities = func() map[string]rune {
	m := make(map[string]rune)
	for _, name := range strings.Fields(`amp lt gt quot apos nbsp ndash mdash hellip
		lsquo rsquo sbquo ldquo rdquo bdquo laquo raquo lsaquo rsaquo copy reg trade
		euro pound yen cent deg middot bull times divide shy dagger Dagger permil
		prime Prime iexcl curren brvbar sect uml ordf not macr plusmn sup1 sup2 sup3
		acute micro para cedil ordm frac14 frac12 frac34 iquest Agrave Aacute Acirc
		Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc
		Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml Oslash Ugrave Uacute Ucirc
		Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil
		egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute
		ocirc otilde ouml oslash ugrave uacute ucirc uuml yacute thorn yuml OElig
		oelig Scaron scaron Yuml circ tilde ensp emsp thinsp zwnj zwj lrm rlm larr
		rarr uarr darr harr`) {
		r, _ := utf8.DecodeRuneInString(html.UnescapeString("&" + name + ";"))
		m[name+";"] = r
	}
	return m
}()

// windows1252 maps the numeric references &#x80; to &#x9F; to the
// characters Windows-1252 puts there, as the tokenizer does.
var windows1252 = func() (t [0x20]rune) {
	for i := range t {
		t[i], _ = utf8.DecodeRuneInString(html.UnescapeString("&#" + strconv.Itoa(0x80+i) + ";"))
	}
	return t
}()

// cleanText makes untrusted text safe and tidy: invalid UTF-8, control and
// bidirectional-override characters are removed (they could garble or spoof
// chat messages), every run of white space becomes one space, and line breaks
// become one "\n" between non-empty lines when multiline is set.
func cleanText(s string, multiline bool) string {
	var b strings.Builder
	b.Grow(len(s))
	space, newline := false, false
	for len(s) > 0 {
		r, size := rune(s[0]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s)
		}
		s = s[size:]
		switch {
		case r > ' ' && r < 0x7f:
			// Printable ASCII, most of any text: kept, without a table
			// lookup.
		case r == ' ':
			space = true
			continue
		case r == utf8.RuneError && size <= 1:
			continue
		case r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029':
			newline = true
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r) || isBidiControl(r) || r == '\uFEFF':
			continue
		}
		if b.Len() > 0 {
			switch {
			case newline && multiline:
				b.WriteByte('\n')
			case newline || space:
				b.WriteByte(' ')
			}
		}
		space, newline = false, false
		b.WriteRune(r)
	}
	return b.String()
}

// isBidiControl reports the explicit directional formatting characters, which
// let a title reorder the text around it when shown.
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// truncate caps s at max runes, ending a cut text with "…" (counted in max)
// so a reader can tell it was cut.
func truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
		}
		n++
	}
	return s
}
