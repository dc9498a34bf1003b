package query

import (
	"slices"
	"testing"
)

// testDoc is a document of the match tables.
type testDoc struct {
	title, body string
	cats        []string
	feed        string
}

func (d testDoc) doc() *Doc { return NewDoc(d.title, d.body, d.cats, d.feed) }

// mustParse parses a query of a test table.
func mustParse(tb testing.TB, src string) *Query {
	tb.Helper()
	q, err := Parse(src)
	if err != nil {
		tb.Fatalf("Parse(%q): %v", src, err)
	}
	return q
}

func TestMatch(t *testing.T) {
	talks := testDoc{
		title: "Peace talks resume in Kyïv",
		body:  "Zelenskyy met Putin’s envoy. The U.S. says Russia's army must withdraw; talks begin today.",
		cats:  []string{"World news", "Ukraine"},
		feed:  "Kyiv-Independent",
	}
	tests := []struct {
		name, query string
		doc         testDoc
		want        bool
	}{
		{"word in title", "peace", talks, true},
		{"word is whole", "pea", talks, false},
		{"word case-insensitive", "PEACE", talks, true},
		{"accent in text", "kyiv", talks, true},
		{"accent in query", "Kyïv", testDoc{title: "KYIV"}, true},
		{"zelensky is not zelenskyy", "zelensky", talks, false},
		{"zelenskyy exact", "Zelenskyy", talks, true},
		{"prefix", "zelensky*", talks, true},
		{"prefix matches the word itself", "peace*", talks, true},
		{"long prefix", "pneumonoultramicroscopicsilicovolcano*", testDoc{body: "Pneumonoultramicroscopicsilicovolcanoconiosis cases"}, true},
		{"long prefix is a prefix", "pneumonoultramicroscopicsilicovolcanoz*", testDoc{body: "Pneumonoultramicroscopicsilicovolcanoconiosis cases"}, false},
		{"long prefix as long as the word", "pneumonoultramicroscopicsilicovolcanoconiosis*", testDoc{body: "Pneumonoultramicroscopicsilicovolcanoconiosis"}, true},
		{"curly apostrophe: word before", "putin", talks, true},
		{"straight apostrophe: word before", "russia", talks, true},
		{"not a longer word", "russia", testDoc{body: "Russian troops"}, false},
		{"straight query matches curly text", "Putin's", talks, true},
		{"curly query matches straight text", "Russia’s", talks, true},
		{"apostrophe query needs the s", "Russia’s", testDoc{body: "Russia said"}, false},
		{"initials", "U.S.", talks, true},
		{"initials need both", "U.S.", testDoc{body: "us and them"}, false},
		{"phrase", `"talks begin"`, talks, true},
		{"phrase in order only", `"begin talks"`, talks, false},
		{"phrase adjacent only", `"peace resume"`, talks, false},
		{"phrase prefix", `"talks beg*"`, talks, true},
		{"phrase not across title and body", `"in kyiv zelenskyy"`, talks, false},
		{"phrase not across title and body, two words", `"kyiv zelenskyy"`, talks, false},
		{"phrase not across categories", `"news ukraine"`, talks, false},
		{"phrase within a category", `"world news"`, talks, true},
		{"phrase not across body and category", `"today world"`, talks, false},
		{"and", "peace envoy", talks, true},
		{"and fails", "peace football", talks, false},
		{"or", "football OR envoy", talks, true},
		{"or fails", "football OR cricket", talks, false},
		{"precedence: a OR b c, only a", "peace OR football cricket", talks, true},
		{"precedence: a OR b c, only c", "football OR cricket envoy", talks, false},
		{"grouping changes it", "(football OR cricket) envoy", talks, false},
		{"grouping, second", "(football OR peace) envoy", talks, true},
		{"minus", "peace -football", talks, true},
		{"minus excludes", "peace -envoy", talks, false},
		{"not keyword", "peace NOT envoy", talks, false},
		{"only negative matches the rest", "-football", talks, true},
		{"only negative excludes", "-envoy", talks, false},
		{"not binds tighter than or", "NOT envoy OR peace", talks, true},
		{"negated group", "-(football OR envoy)", talks, false},
		{"lower-case or is a word", "peace or envoy", talks, false},
		{"lower-case or found as a word", "this or that", testDoc{body: "this or that"}, true},
		{"title field", "title:peace", talks, true},
		{"title field not body", "title:envoy", talks, false},
		{"title phrase", `title:"peace talks"`, talks, true},
		{"title prefix", "title:resum*", talks, true},
		{"title group", "title:(envoy OR kyiv)", talks, true},
		{"title group negation", "title:(-envoy) envoy", talks, true},
		{"category word", "category:ukraine", talks, true},
		{"category not title", "category:peace", talks, false},
		{"category phrase", `category:"world news"`, talks, true},
		{"category prefix", "category:ukr*", talks, true},
		{"category searched by plain words", "ukraine", talks, true},
		{"feed exact, case-insensitive", "feed:kyiv-independent", talks, true},
		{"feed exact only", "feed:kyiv", talks, false},
		{"feed prefix", "feed:kyiv*", talks, true},
		{"feed words are not searched", "independent", talks, false},
		{"regexp", "/talks (begin|end)/", talks, true},
		{"regexp case-insensitive", "/ZELENSKYY/", talks, true},
		{"regexp literal folded", "/kyïv/", talks, true},
		{"regexp against folded text", "/putin’s envoy/", talks, true},
		{"regexp anchored per field", "/^zelenskyy/", talks, true},
		{"regexp not across title and body", "/kyiv zelenskyy/", talks, false},
		{"regexp title only", "title:/^zelenskyy/", talks, false},
		{"regexp escaped slash", `/a\/b/`, testDoc{body: "either a/b or c"}, true},
		{"regexp in category", "category:/^ukr/", talks, true},
		{"spec example", `"peace talks" (Putin OR Zelensky*) -football`, talks, true},
		{"spec example excluded", `"peace talks" (Putin OR Zelensky*) -football`, testDoc{title: "Peace talks", body: "Putin and football"}, false},
		{"ligature in text", "finance", testDoc{body: "ﬁnance news"}, true},
		{"dotted capital I", "istanbul", testDoc{title: "İstanbul"}, true},
		{"number", "2025", testDoc{body: "in 2025, prices"}, true},
		{"empty document", "-x", testDoc{}, true},
		{"empty document word", "x", testDoc{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := mustParse(t, tt.query)
			d := tt.doc.doc()
			if got := q.Match(d); got != tt.want {
				t.Errorf("Query(%q).Match = %v, want %v", tt.query, got, tt.want)
			}
			var want []int
			if tt.want {
				want = []int{0}
			}
			if got := NewMatcher([]*Query{q}).Match(d, nil); !slices.Equal(got, want) {
				t.Errorf("Matcher(%q).Match = %v, want %v", tt.query, got, want)
			}
		})
	}
}

func TestMatcherIndexes(t *testing.T) {
	queries := []string{
		"kyiv",                  // 0
		"football",              // 1
		`"peace talks"`,         // 2
		"-football",             // 3
		"kyiv",                  // 4: the same term twice
		"title:envoy",           // 5
		"/talks? (begin|end)/",  // 6
		"feed:kyiv-independent", // 7
		"envoy /nothing here/",  // 8
	}
	qs := make([]*Query, len(queries)+1)
	for i, src := range queries {
		qs[i] = mustParse(t, src)
	}
	// qs[len(queries)] stays nil: a nil query never matches.
	m := NewMatcher(qs)
	tests := []struct {
		name string
		doc  testDoc
		want []int
	}{
		{"many", testDoc{title: "Peace talks in Kyïv", body: "The envoy said talks begin", feed: "kyiv-independent"}, []int{0, 2, 3, 4, 6, 7}},
		{"none but the negative", testDoc{title: "Markets"}, []int{3}},
		{"football", testDoc{title: "Football in Kyiv"}, []int{0, 1, 4}},
		{"title field", testDoc{title: "The envoy"}, []int{3, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.doc.doc()
			dst := []int{-1}
			got := m.Match(d, dst)
			if !slices.Equal(got, append([]int{-1}, tt.want...)) {
				t.Errorf("Match = %v, want -1 (kept) then %v", got, tt.want)
			}
			for i, q := range qs {
				if q != nil && q.Match(d) != slices.Contains(tt.want, i) {
					t.Errorf("query %d %q: reference Match = %v", i, q, q.Match(d))
				}
			}
		})
	}
}

// TestMatcherWideTrieNode covers trie nodes with many children, which are
// searched by halves rather than scanned.
func TestMatcherWideTrieNode(t *testing.T) {
	var qs []*Query
	for c := 'a'; c <= 'z'; c++ {
		qs = append(qs, mustParse(t, "k"+string(c)+"x"))
	}
	m := NewMatcher(qs)
	for i := range qs {
		word := "k" + string(rune('a'+i)) + "x"
		t.Run(word, func(t *testing.T) {
			if got := m.Match(NewDoc(word, "", nil, ""), nil); !slices.Equal(got, []int{i}) {
				t.Errorf("Match(%q) = %v, want [%d]", word, got, i)
			}
		})
	}
}
