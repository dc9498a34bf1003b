package feeds

import (
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
	if !strings.Contains(s, "<") {
		// No tag: the tokenizer would return the whole text as one text
		// token, entities decoded; this skips its allocations (titles and
		// names often hold an "&" and nothing else).
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
