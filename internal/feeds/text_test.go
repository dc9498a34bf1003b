package feeds

import (
	"strings"
	"testing"
	"unicode/utf8"
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
