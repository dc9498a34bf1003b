package feeds

import (
	"fmt"
	"html"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		multiline bool
		want      string
	}{
		{name: "plain text untouched", in: "Peace talks resume", want: "Peace talks resume"},
		{name: "inline tags removed", in: "Peace <b>talks</b> <a href=\"x\">resume</a>", want: "Peace talks resume"},
		{name: "entities decoded", in: "Tom &amp; Jerry &lt;3 &quot;cheese&quot; &#8217;s &eacute;t&eacute; &#x1F600;", want: "Tom & Jerry <3 \"cheese\" ’s été 😀"},
		{name: "nbsp is a space", in: "a&nbsp;&nbsp;b", want: "a b"},
		{name: "script and style dropped", in: "<p>before</p><script>alert('x')</script><style>p{color:red}</style><p>after</p>", want: "before after"},
		{name: "script content with tags dropped", in: "a<script>document.write('<b>x</b>')</script>b", want: "ab"},
		{name: "noscript and template dropped", in: "a <noscript>enable js</noscript><template><p>t</p></template>b", want: "a b"},
		{name: "block elements separate words", in: "<p>end.</p><p>Next</p><div>one</div><div>two</div>", want: "end. Next one two"},
		{name: "br separates", in: "line<br>next<br/>last", want: "line next last"},
		{name: "list items", in: "<ul><li>a</li><li>b</li></ul>", want: "a b"},
		{name: "paragraphs become lines", in: "<p>first para</p>\n\n<p>second   para</p>", multiline: true, want: "first para\nsecond para"},
		{name: "blank lines collapse", in: "a<br><br><br>b", multiline: true, want: "a\nb"},
		{name: "whitespace collapsed", in: "  lots \t of\r\n\n   space  ", want: "lots of space"},
		{name: "image between words", in: "photo<img src=x alt=y>caption", want: "photo caption"},
		{name: "comments dropped", in: "a<!-- hidden -->b", want: "ab"},
		{name: "cdata-looking text", in: "x <![CDATA[y]]> z", want: "x z"},
		{name: "unclosed tag at end", in: "text <b", want: "text"},
		{name: "lone ampersand", in: "AT&T and R&D", want: "AT&T and R&D"},
		{name: "control characters removed", in: "a\x00b\x07c\x1bd", want: "abcd"},
		{name: "invalid utf-8 removed", in: "caf\xc3 \xffok", want: "caf ok"},
		{name: "bidi overrides removed", in: "evil\u202Etxt.exe\u202C and \u2066x\u2069", want: "eviltxt.exe and x"},
		{name: "zero width joiner kept", in: "👩\u200D💻", want: "👩\u200D💻"},
		{name: "BOM removed", in: "\uFEFFtitle", want: "title"},
		{name: "mentions are just text", in: "<@U123> @everyone <!channel>", want: "<@U123> @everyone"},
		{name: "empty", in: "", want: ""},
		{name: "only markup", in: "<p><br/></p>", want: ""},
		{name: "entity-encoded tags stay text", in: "use &lt;b&gt; for bold", want: "use <b> for bold"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := htmlToText(tc.in, tc.multiline); got != tc.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{name: "short", in: "hello", max: 10, want: "hello"},
		{name: "exact", in: "hello", max: 5, want: "hello"},
		{name: "cut", in: "hello world", max: 6, want: "hello…"},
		{name: "cut counts runes not bytes", in: "привіт світ", max: 4, want: "при…"},
		{name: "cut trims the space before the ellipsis", in: "ab cd", max: 4, want: "ab…"},
		{name: "zero", in: "x", max: 0, want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := truncate(tc.in, tc.max)
			if got != tc.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > tc.max {
				t.Errorf("result has %d runes, more than %d", n, tc.max)
			}
		})
	}
}

func TestCleanTextIsIdempotent(t *testing.T) {
	for _, in := range []string{"a\n\n b \t c", "x\u202Ey", "  \n  ", strings.Repeat("é ", 10)} {
		t.Run(in, func(t *testing.T) {
			for _, ml := range []bool{false, true} {
				once := cleanText(in, ml)
				if twice := cleanText(once, ml); twice != once {
					t.Errorf("cleanText not idempotent (multiline=%v): %q then %q", ml, once, twice)
				}
			}
		})
	}
}

// benchSummaries builds n feed summaries shaped like those of the generated
// benchmark corpus (gen_test.go, which this package's tests cannot import):
// one or two paragraphs of a sentence with a run of words in a link or
// emphasis half the time, escaped text with curly quotes and accented names,
// a leading image now and then and the odd script.
func benchSummaries(n int) []string {
	words := strings.Fields(`the of to in and a for on is that said with at by
		from as was it has be are have will an after over new its not more who
		war government president minister officials people year police talks
		Ukraine Russia’s Kyïv Zelenskyy NATO sanctions ceasefire election court
		market prices oil energy deal trade tariffs China Erdoğan Türkiye São
		Paulo Zürich Müller Gaza strike drone climate storm football league shares
		profit AI chips health vaccine U.S. U.K. peace summit Bogotá Łódź naïve café
		O'Neill "quoted" R&D`)
	rng := rand.New(rand.NewPCG(1, 2))
	sentence := func() []string {
		ws := make([]string, 6+rng.IntN(8))
		for i := range ws {
			ws[i] = words[rng.IntN(len(words))]
		}
		ws[len(ws)-1] += "."
		return ws
	}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		if rng.IntN(4) == 0 {
			fmt.Fprintf(&b, `<img src="https://site%02d.example/img/%d.jpg" alt="Photo: James O&#39;Brien"/>`, i%100, i)
		}
		for p := 1 + rng.IntN(2); p > 0; p-- {
			ws := sentence()
			b.WriteString("<p>")
			if rng.IntN(2) == 0 {
				a := 1 + rng.IntN(len(ws)-3)
				e := a + 1 + rng.IntN(2)
				open, closeTag := "<strong>", "</strong>"
				switch rng.IntN(3) {
				case 0:
					open, closeTag = fmt.Sprintf(`<a href="https://site%02d.example/topics/%d">`, i%100, rng.IntN(1000)), "</a>"
				case 1:
					open, closeTag = "<em>", "</em>"
				}
				b.WriteString(html.EscapeString(strings.Join(ws[:a], " ")) + " " + open +
					html.EscapeString(strings.Join(ws[a:e], " ")) + closeTag + " " +
					html.EscapeString(strings.Join(ws[e:], " ")))
			} else {
				b.WriteString(html.EscapeString(strings.Join(ws, " ")))
			}
			b.WriteString("</p>")
		}
		if rng.IntN(50) == 0 {
			fmt.Fprintf(&b, `<script>window.tracker && tracker.push({"story": "%d"});</script>`, i)
		}
		out[i] = b.String()
	}
	return out
}

// BenchmarkHTMLToText measures the text extraction of normalize on summaries
// like the benchmark corpus's, on titles (no markup) and on the descriptions
// of the shared real-world feeds.
//
//	go test -run '^$' -bench BenchmarkHTMLToText -cpu 1 -count 3 ./internal/feeds/
func BenchmarkHTMLToText(b *testing.B) {
	summaries := benchSummaries(1000)
	titles := make([]string, len(summaries))
	for i, s := range summaries {
		titles[i] = truncate(markupToText(s, false), 90)
	}
	run := func(name string, in []string, multiline bool) {
		b.Run(name, func(b *testing.B) {
			size := 0
			for _, s := range in {
				size += len(s)
			}
			b.SetBytes(int64(size / len(in)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				htmlToText(in[i], multiline)
				if i++; i == len(in) {
					i = 0
				}
			}
		})
	}
	run("summaries", summaries, true)
	run("titles", titles, false)
	run("fixtures", fixtureTexts(b), true)
}

// fixtureTexts returns the titles, descriptions and contents of the items of
// the shared real-world feeds, as gofeed reads them.
func fixtureTexts(tb testing.TB) []string {
	tb.Helper()
	dir := fixtureDir(tb)
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		feed, err := gofeed.NewParser().ParseString(string(data))
		if err != nil {
			continue // not a feed gofeed reads: other tests cover those
		}
		for _, it := range feed.Items {
			for _, s := range []string{it.Title, it.Description, it.Content} {
				if s != "" {
					out = append(out, s)
				}
			}
		}
	}
	if len(out) == 0 {
		tb.Fatal("no item text in the shared feeds")
	}
	return out
}

// trickyHTML are fragments on the edges of what scanText reads itself, for
// the tests that check it against the tokenizer.
var trickyHTML = []string{
	// Tags and attributes.
	"<p>a</p><p>b</p>", "a<br>b", "<P CLASS=x>Up</P>", `<a href="x>y">link</a> after`,
	`<a href='x>y'>l</a>`, "<a href=x>y>z</a>", "<img src=x/>a", `<img alt="a"b>c`,
	`<a b c=d e = 'f' g="h"/>x`, "<a =b>x", "<a ==b>x", "<a / / />x", "<div\n>x</div\t>",
	"<b\fclass=x>y</b>", "<b\vclass=x>y</b>", "x<wbr>y", "x</img>y", "<td>1</td><td>2</td>",
	"<ul><li>a<li>b</ul>", "<span>a</span><span>b</span>", "<a href=\"a\nb\">x</a>",
	"<a href=x\n>y</a>", "<a ='>'>x", `<a b="c"=">">x`, "<a = '>'>x", "<a b='c\"d'>x</a>", "<a b=\"c'd\">x</a>", "<p/>x", "<br/ >x",
	// Unfinished markup at the end.
	"a <b", "a <b ", `a <b c="d`, "a <b c=d", "a <b c", "a <b c=", "a <b c= ", "a </b", "a </b c",
	"x <a href='", "x <a href='y'", "x <a href='y' ", "x <a/", "a <img", "<p>a</p><div",
	// '<' that is text.
	"a < b", "a<1", "a<", "a</", "a</>b", "a</ b>c", "a</1>c", "a</ b", "a<>b", "a<=b", "a<é",
	"a<<b>c", "<<p>>", "1 <2 and 3> 2", "a<\x00b",
	// Comments, doctypes, CDATA, processing instructions.
	"a<!--x-->b", "a<!-->b", "a<!--->b", "a<!---->b", "a<!--x--!>b", "a<!--x--!-->b",
	"a<!--x", "a<!-", "a<!", "a<!x>b", "a<!DOCTYPE html>b", "a<!doctype", "a<!DOCTYPE",
	"a<![CDATA[x]]>b", "a<![CDATA[x>y]]>b", "a<![CDATA[x", `a<?xml version="1.0"?>b`, "a<?x",
	"a<!--x--!", "a<!-- -- >b -->c", "a<!--x--", "a<!--x-", "a<!--<p>-->b", "a<!-- x --!x>b -->c",
	// Dropped and raw-text elements.
	"a<script>x</script>b", "a<SCRIPT>x</Script >b", "a<script>if (a<b) x</script>b",
	"a<script>x</scriptx></script>b", "a<script>document.write('</scr'+'ipt>')</script>b",
	"a<script><!--x</script>b", "a<script><!--<script>x</script>-->y</script>b", "a<script>",
	"a<script>x", "a<script>x</script", "a<script>x</script ", "a<script>x</scri</script>b",
	"a<script/>b</script>c", "a<script src=x/>b", `a<script src="x"/>b</script>c`,
	"<style>p{}</style>t", "<style/>x", "<style>a</style/>b", "<title>T &amp; x</title>body",
	"<textarea>x<b>y</b></textarea>z", "<noscript><p>x</p></noscript>y",
	"<iframe src=x>fallback</iframe>y", "<svg><text>x</text></svg>y", "<svg/>y", "<svg a/>y",
	"<svg a=/>y", "<svg a=b/>y", "<svg / >y", "<svg a=b a=/>y", "<math><mi>x</mi></math>y",
	"<template><p>t</p></template>y", "<select><option>o</select>y", "a<svg><p>x</p></svg>b",
	"a<svg><img></svg>b", "</svg>x", "<svg><svg></svg>x</svg>y", "<object>x</object>y",
	"<head><title>t</title></head>body", "<svg><style>a</svg>b</style>c", "<script>a</style>b",
	"<xmp><b>x</b></xmp>y", "<plaintext><b>x", "<noembed>&amp;</noembed>", "<noframes>x</noframes>",
	"<ScRiPt>x</sCrIpT>y", "<script\n>x</script\n>y", "<script>x</script/>y",
	"<scrİpt>x</scrİpt>y", "<ſcript>x</script>y", "<script>x</ſcript></script>y",
	// Character references.
	"&amp;&lt;&gt;&quot;&apos;&nbsp;", "&amp", "&ampx", "&amp;x", "&AMP;", "&AMP", "&Amp;",
	"&#39;&#34;", "&#x27;", "&#X27", "&#39", "&#", "&#x", "&#;", "&#xZ", "&#0;", "&#128;",
	"&#x80;&#x81;&#x9F;", "&#xD800;", "&#x110000;", "&#99999999999999999999;", "&#4294967361;", "&#13;&#10;",
	"a&#13;b&#10;c", "&#9;", "&#xFEFF;x", "&#x202E;", "&#8232;", "&notit;", "&notin;", "&noti",
	"&;", "& ;", "&a", "&T", "AT&T", "R&D", "&123", "&eacute", "&eacutex", "&hellip;",
	"&NotEqualTilde;", "&nLt;", "&unknown;", "&#x1F600;", "&lt;b&gt;", "&am<b>p;", "&#3<b>9;",
	"a&amp<b>c", "&lt", "&lt<p>x", "&#x41<b>", "x&#65", "&#xfffd;", "&#1114111;", "&#x10FFFF;",
	"&#x0;", "&#00000065;", "&Eacute;t&eacute;", "&quot;", "&QUOT", "&copy2024", "&sup2;",
	// Cleaning.
	"  <p> a  </p>  ", "a\r\nb", "<p>a</p>\n<p>b</p>", "a\u00a0b", "a\u2028b", "a\u0085b",
	"\u202Eevil", "a\x00b", "<p>\x00</p>", "a\x7fb", "\u3000", "\u200Bzero", "a&nbsp;<br>&nbsp;b",
	"<p>a</p><p></p><p>b</p>", "a<br><br>\n\n<br>b", "\t<p>x\t</p>\t", "a \u00a0 b", "a\u3000b",
	"\uFEFF<p>\uFEFFx</p>", "a\u061Cb\u1680c\u180Ed", "<p>\u2029</p>x",
	// Invalid UTF-8.
	"caf\xc3<b>\xa9</b>", "caf\xc3", "\xff<p>", "<p>\xe2\x80</p>\x99", `<a title="\xff">x</a>`,
	"\xe2\x80<b></b>\x99", "\xe2<script>x</script>\x80\x99", "&amp;\x80", "\xc3&#233;",
	// Tag names.
	"<IMG SRC=x>a", "a<Br/>b", "<blockquote>q</blockquote>", "<BLOCKQUOTEX>x", "<p\x00>x",
	"<a\x00b>x", "<blockquotes>x", "<h1>T</h1>b", "<h7>T</h7>b", "a<P\n/>b",
}

// checkScanText fails t if htmlToText (with its fast path) and the tokenizer
// disagree on s.
func checkScanText(t *testing.T, s string) {
	t.Helper()
	for _, multiline := range []bool{false, true} {
		if got, want := htmlToText(s, multiline), markupToText(s, multiline); got != want {
			t.Errorf("htmlToText(%q, %v) = %q, tokenizer gives %q", s, multiline, got, want)
		}
	}
}

func TestScanTextMatchesTokenizer(t *testing.T) {
	for _, s := range trickyHTML {
		checkScanText(t, s)
	}
}

// TestScanTextReadsCommonHTML: the summaries of the benchmark corpus and most
// of the shared feeds' text take the fast path, so that a change that sends
// them all to the tokenizer does not go unnoticed.
func TestScanTextReadsCommonHTML(t *testing.T) {
	for _, s := range benchSummaries(500) {
		if _, ok := scanText(s, true); !ok {
			t.Errorf("scanText left %q to the tokenizer", s)
		}
	}
	texts := fixtureTexts(t)
	slow := 0
	for _, s := range texts {
		if _, ok := scanText(s, true); !ok {
			slow++
		}
	}
	if slow > len(texts)/100 {
		t.Errorf("scanText left %d of %d texts of the shared feeds to the tokenizer", slow, len(texts))
	}
}

// TestScanTextOnFeeds checks the fast path against the tokenizer on the
// texts of the shared real-world feeds, and on their whole documents, which
// are HTML of a kind too.
func TestScanTextOnFeeds(t *testing.T) {
	for _, s := range fixtureTexts(t) {
		checkScanText(t, s)
	}
	dir := fixtureDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		checkScanText(t, string(data))
		// Unescaped once, as a feed parser leaves an escaped description.
		checkScanText(t, html.UnescapeString(string(data)))
	}
}

// TestRuneClassShortcut checks runeClass's quick ranges against cleanText's
// rules, for every code point.
func TestRuneClassShortcut(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := byte(plainByte)
		switch {
		case r == ' ':
			want = spaceByte
		case r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029':
			want = newlineByte
		case unicode.IsSpace(r):
			want = spaceByte
		case unicode.IsControl(r) || isBidiControl(r) || r == '\uFEFF':
			want = controlByte
		}
		if got := runeClass(r); got != want {
			t.Errorf("runeClass(%U) = %d, want %d", r, got, want)
		}
	}
}

// TestOneLetterReferences pins what decodeReference assumes: no character
// reference is a single letter or digit without ';'.
func TestOneLetterReferences(t *testing.T) {
	for c := range 128 {
		if !isASCIIAlnum(byte(c)) {
			continue
		}
		for _, after := range []string{"", " ", "x", "1", "=", "<"} {
			s := "&" + string(rune(c)) + after
			if got := html.UnescapeString(s); got != s {
				t.Errorf("UnescapeString(%q) = %q", s, got)
			}
		}
	}
}

// FuzzHTMLToText checks htmlToText's fast path against the tokenizer.
//
//	go test -run '^$' -fuzz '^FuzzHTMLToText$' -fuzztime 60s ./internal/feeds/
func FuzzHTMLToText(f *testing.F) {
	for _, s := range trickyHTML {
		f.Add(s)
	}
	for _, s := range benchSummaries(20) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkScanText(t, s)
	})
}
