package query

import (
	"fmt"
	"testing"
)

func TestNeedLiteral(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"word boundary then literal", `\bmujiga\b`, "mujiga"},
		{"prefix pattern", `\bte\w* mujiga`, " mujiga"},
		{"literal is folded", `Kyïv`, "kyiv"},
		{"longest of several", `ab\d+abcdef`, "abcdef"},
		{"inside a group", `x(hello)+y`, "hello"},
		{"repeated at least once", `(?:peace){2,3}`, "peace"},
		{"optional gives nothing", `(?:peace)?`, ""},
		{"star gives nothing", `(?:peace)*`, ""},
		{"alternation gives nothing", `peace|war`, ""},
		{"class gives nothing", `[a-z]+`, ""},
		{"assertion splits a run", `ab\bcd`, "ab"},
		{"dot splits a run", `ab.cdef`, "cdef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := compileRegexp(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if re.need != tt.want {
				t.Errorf("need of /%s/ = %q, want %q", tt.src, re.need, tt.want)
			}
		})
	}
}

// TestRegexpPrefilter checks that passing over texts without the needed
// literal never changes a result: every regexp is matched with and without
// its prefilter against generated items and real feeds.
func TestRegexpPrefilter(t *testing.T) {
	g := newGenerator(7)
	var docs []*Doc
	for _, it := range g.items(3000) {
		docs = append(docs, it.doc())
	}
	for _, d := range loadFeedCorpus(t) {
		docs = append(docs, d.doc())
	}
	srcs := []string{`\bthe\w* war`, `minister`, `(?:said){1,2} `, `pea(ce)+ talk`, `\d+ people`,
		`kyiv`, `zelensky\w*`, `a.b`, `\bs\b`, `oil|gas`, `[0-9]{4}`, `russia’s`}
	for range 20 {
		w := g.topicWord()
		srcs = append(srcs, fmt.Sprintf(`\b%s\w* %s`, w[:min(2, len(w))], g.topicWord()))
	}
	for _, src := range srcs {
		t.Run(src, func(t *testing.T) {
			re, err := compileRegexp(src)
			if err != nil {
				t.Fatal(err)
			}
			bare := *re
			bare.need = ""
			hits := 0
			for _, d := range docs {
				for _, f := range []field{fieldAny, fieldTitle, fieldCategory} {
					got, want := re.match(d, f), bare.match(d, f)
					if got != want {
						t.Fatalf("/%s/ on %q (field %d): %v with prefilter, %v without", src, d.text, f, got, want)
					}
					if got {
						hits++
					}
				}
			}
			t.Logf("/%s/ (needs %q): %d hits", src, re.need, hits)
		})
	}
}
