package query

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"word folded", "Zelensky", "zelensky"},
		{"accent folded", "Kyïv", "kyiv"},
		{"prefix", "Sanction*", "sanction*"},
		{"phrase", `"Peace  Talks"`, `"peace talks"`},
		{"phrase prefix", `"peace talk*"`, `"peace talk*"`},
		{"implicit and", "a b", "a b"},
		{"explicit and", "a AND b", "a b"},
		{"and binds tighter than or", "a OR b c", "a OR b c"},
		{"parentheses kept where needed", "(a OR b) c", "(a OR b) c"},
		{"parentheses dropped where not", "a OR (b c)", "a OR b c"},
		{"or flattened", "a OR (b OR c)", "a OR b OR c"},
		{"and flattened", "a AND (b AND c)", "a b c"},
		{"minus", "-a", "-a"},
		{"not keyword", "NOT a", "-a"},
		{"not group", "NOT (a b)", "-(a b)"},
		{"not binds tighter than or", "NOT a OR b", "-a OR b"},
		{"double negation", "--a", "--a"},
		{"lower-case operators are words", "this or that and not", "this or that and not"},
		{"minus makes a keyword a word", "-OR", "-or"},
		{"field title", "title:Putin", "title:putin"},
		{"field name case", "TITLE:x", "title:x"},
		{"title phrase", `title:"A b"`, `title:"a b"`},
		{"title prefix", "title:pref*", "title:pref*"},
		{"category phrase prefix", `category:"x y*"`, `category:"x y*"`},
		{"feed", "feed:BBC-World", "feed:bbc-world"},
		{"feed quoted", `feed:"My Feed"`, `feed:"my feed"`},
		{"feed prefix", "feed:bbc*", "feed:bbc*"},
		{"field group", "title:(a OR -b)", "title:a OR -title:b"},
		{"feed group", "feed:(a OR b) x", "(feed:a OR feed:b) x"},
		{"regexp", `/Kyïv\/x/`, `/Kyïv\/x/`},
		{"regexp with spaces and quotes", `/a "b c/`, `/a "b c/`},
		{"regexp in title", `title:/a b/`, `title:/a b/`},
		{"regexp keeps other escapes", `/a\d\\/`, `/a\d\\/`},
		{"straight apostrophe makes a phrase", "Russia's", `"russia s"`},
		{"curly apostrophe makes a phrase", "Russia’s", `"russia s"`},
		{"initials make a phrase", "U.S.", `"u s"`},
		{"hyphenated word", "Covid-19", `"covid 19"`},
		{"colon after digits is no field", "10:30", `"10 30"`},
		{"quote ends a bare word", `a"b c"`, `a "b c"`},
		{"negated phrase", `-"a b"`, `-"a b"`},
		{"spec example", `"peace talks" (Putin OR Zelensky*) -football`, `"peace talks" (putin OR zelensky*) -football`},
		{"or under not", "-(a OR b) c", "-(a OR b) c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			got := q.String()
			if got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.src, got, tt.want)
			}
			again, err := Parse(got)
			if err != nil {
				t.Fatalf("canonical form %q does not parse: %v", got, err)
			}
			if again.String() != got {
				t.Errorf("canonical form %q re-parses to %q", got, again.String())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("(", maxDepth+1) + "a" + strings.Repeat(")", maxDepth+1)
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", "column 1: empty query"},
		{"blank", "   ", "column 1: empty query"},
		{"missing closing parenthesis", "(putin OR kyiv", "column 1: missing closing parenthesis"},
		{"missing closing parenthesis later", "putin AND kremlin (kyiv", "column 19: missing closing parenthesis"},
		{"columns count runes", "Kyïv Київ (x", "column 11: missing closing parenthesis"},
		{"unterminated quote", `a "b c`, "column 3: unterminated quote"},
		{"unterminated quote after accents", `Kyïv "b`, "column 6: unterminated quote"},
		{"or at end", "kremlin OR", "column 9: OR needs a term on both sides"},
		{"or at start", "OR a", "column 1: OR needs a term on both sides"},
		{"or or", "a OR OR b", "column 3: OR needs a term on both sides"},
		{"or before closing parenthesis", "(a OR) b", "column 4: OR needs a term on both sides"},
		{"and at end", "a AND", "column 3: AND needs a term on both sides"},
		{"and or", "a AND OR b", "column 3: AND needs a term on both sides"},
		{"not at end", "a NOT", "column 3: NOT needs a term after it"},
		{"not alone", "NOT", "column 1: NOT needs a term after it"},
		{"not before or", "NOT OR a", "column 1: NOT needs a term after it"},
		{"lone minus", "a - b", "column 3: - needs a term right after it"},
		{"minus at end", "a -", "column 3: - needs a term right after it"},
		{"minus before closing parenthesis", "(a -)", "column 4: - needs a term right after it"},
		{"unexpected closing parenthesis", "a)", "column 2: unexpected closing parenthesis"},
		{"closing parenthesis first", ") a", "column 1: unexpected closing parenthesis"},
		{"one closing parenthesis too many", "(a))", "column 4: unexpected closing parenthesis"},
		{"empty parentheses", "a ()", "column 3: empty parentheses"},
		{"unknown field", "putin foo:bar", `column 7: unknown field "foo" (known fields: category, feed, title; quote the text to search for it)`},
		{"field without term", "title:", "column 1: title: needs a term right after the colon"},
		{"field then space", "title: x", "column 1: title: needs a term right after the colon"},
		{"minus after colon", "title:-x", "column 7: put - before the field (-title:…), not after the colon"},
		{"fields do not nest", "title:(a category:x)", "column 10: category: inside title:(…): fields do not nest"},
		{"field group unclosed", "title:(a", "column 7: missing closing parenthesis"},
		{"bad regexp", "x /a(/", "column 3: bad regexp: missing closing ): `a(`"},
		{"bad regexp repetition", "/**/", "column 1: bad regexp: missing argument to repetition operator: `*`"},
		{"unterminated regexp", "x /ab", "column 3: unterminated regexp (missing closing /)"},
		{"escaped slash does not end a regexp", `/a\/`, "column 1: unterminated regexp (missing closing /)"},
		{"empty regexp", "//", "column 1: empty regexp"},
		{"regexp on feed", "feed:/x/", "column 6: feed: takes a feed name, not a regexp"},
		{"star inside a word", "a*b", "column 1: * may only end a word"},
		{"star alone", "a *", "column 3: * must follow a letter or digit"},
		{"star after punctuation", "U.S.*", "column 1: * must follow a letter or digit"},
		{"star inside a phrase", `"a* b"`, "column 1: * may only end a phrase"},
		{"no letters", "putin &", `column 7: "&" has no letters or digits to search for`},
		{"empty quotes", `""`, "column 1: the quotes hold no letters or digits"},
		{"empty feed name", `feed:""`, "column 6: feed: needs a feed name"},
		{"star inside a feed name", "feed:a*b", "column 6: * may only end a feed name"},
		{"too deep", deep, "column 101: query nested more than 100 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.src)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error %q", tt.src, q, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T, want *Error", tt.src, err)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got %q\nwant %q", tt.src, err, tt.want)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	tests := []struct {
		name, src string
		want      []Term
	}{
		{"spec example", `"peace talks" (Putin OR Zelensky*) -football`, []Term{{"peace", false}, {"talks", false}}},
		{"fields, feed and regexp", `title:Putin zelensky* feed:x /kremlin/ category:war`, []Term{{"putin", false}, {"zelensky", true}, {"war", false}}},
		{"single word", "Kyïv", []Term{{"kyiv", false}}},
		{"phrase prefix", `"peace talk*"`, []Term{{"peace", false}, {"talk", true}}},
		{"apostrophe", "Russia's", []Term{{"russia", false}, {"s", false}}},
		{"repeats once", "a a", []Term{{"a", false}}},
		{"or gives nothing", "a OR b", nil},
		{"not gives nothing", "-a", nil},
		{"not under and", "a -b", []Term{{"a", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.Required(); !slices.Equal(got, tt.want) {
				t.Errorf("Required(%q) = %v, want %v", tt.src, got, tt.want)
			}
		})
	}
}

// FuzzParse checks that parsing never panics, that errors point inside the
// query, and that the canonical form parses back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`"peace talks" (Putin OR Zelensky*) -football`,
		`title:(a OR -b) feed:"x y*" category:"c d"`,
		`/a\/b(c|d)+/ NOT x AND y`,
		`Russia’s U.S. Kyïv 10:30 -OR --a`,
		`(a`, `a "b`, `foo:bar`, `/[/`, `feed:""`, `title:`, `((()))`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T, want *Error", src, err)
			}
			if pe.Col < 1 || pe.Col > utf8.RuneCountInString(src)+1 {
				t.Fatalf("Parse(%q) error column %d outside the query", src, pe.Col)
			}
			return
		}
		canon := q.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", src, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("Parse(%q) = %q, which re-parses to %q", src, canon, again.String())
		}
	})
}
