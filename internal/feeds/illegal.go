package feeds

// dropIllegalChars returns doc without the characters XML 1.0 forbids
// anywhere in a document (and JSON inside strings): C0 control characters
// other than tab, line feed and carriage return, written raw, and numeric
// character references to any character outside XML's Char production
// (controls, surrogates, U+FFFE, U+FFFF, beyond U+10FFFF). One such
// character, common in feeds pasted from word processors, makes the decoder
// refuse the whole document; ParseItems retries without them rather than
// lose every item. It reports whether anything was dropped, and returns doc
// itself when nothing was.
//
// Raw bytes below 0x20 never occur inside a multi-byte character of UTF-8
// or of the ASCII-compatible legacy charsets feeds declare, so dropping
// them cannot split a character.
func dropIllegalChars(doc []byte) ([]byte, bool) {
	var out []byte // nil until something is dropped
	last := 0      // doc[last:i] is still to be copied to out
	drop := func(from, to int) {
		if out == nil {
			out = make([]byte, 0, len(doc))
		}
		out = append(out, doc[last:from]...)
		last = to
	}
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			drop(i, i+1)
		case c == '&' && i+1 < len(doc) && doc[i+1] == '#':
			if end, code, ok := charRef(doc[i:]); ok && !xmlChar(code) {
				drop(i, i+end)
				i += end - 1
			}
		}
	}
	if out == nil {
		return doc, false
	}
	return append(out, doc[last:]...), true
}

// charRef reads a numeric character reference at the start of b ("&#65;",
// "&#x41;") and returns its length and code point; ok is false when b does
// not start with a complete one. Numbers too big for Unicode read as
// beyond it, however long.
func charRef(b []byte) (n int, code rune, ok bool) {
	i, base := 2, rune(10)
	if i < len(b) && (b[i] == 'x' || b[i] == 'X') {
		i, base = i+1, 16
	}
	start := i
	for ; i < len(b); i++ {
		d := hexDigit(b[i])
		if d < 0 || d >= base {
			break
		}
		if code <= 0x10FFFF {
			code = code*base + d
		}
	}
	if i == start || i >= len(b) || b[i] != ';' {
		return 0, 0, false
	}
	return i + 1, code, true
}

// hexDigit is the value of a hexadecimal digit, -1 for any other byte.
func hexDigit(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

// xmlChar reports whether XML 1.0 allows the character r (its Char
// production).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
