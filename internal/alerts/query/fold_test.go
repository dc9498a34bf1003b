package query

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii lower", "kyiv talks", "kyiv talks"},
		{"ascii upper", "ZELENSKY Talks", "zelensky talks"},
		{"diaeresis", "Kyïv", "kyiv"},
		{"cedilla and tilde", "São Paulo, Ça va", "sao paulo, ca va"},
		{"turkish dotted capital", "İstanbul Erdoğan", "istanbul erdogan"},
		{"ligature", "ﬁnance", "finance"},
		{"superscript", "m²", "m2"},
		{"fullwidth", "ＮＡＴＯ", "nato"},
		{"decomposed input", "Kyi\u0308v", "kyiv"},
		{"cyrillic loses its diaeresis too", "Київ", "киів"},
		{"german sharp s kept", "Straße", "straße"},
		{"curly apostrophe kept", "Russia’s", "russia’s"},
		{"invalid utf-8", "a\xffb", "a\ufffdb"},
		{"invalid utf-8 before a compatibility character", "\xf2ʰ", "\ufffdh"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fold(tt.in)
			if got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Fold(got); again != got {
				t.Errorf("Fold is not idempotent: Fold(%q) = %q", got, again)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "Peace talks resume", []string{"peace", "talks", "resume"}},
		{"curly apostrophe", "Russia’s army", []string{"russia", "s", "army"}},
		{"straight apostrophe", "Russia's army", []string{"russia", "s", "army"}},
		{"initials", "U.S.-led", []string{"u", "s", "led"}},
		{"digits", "Covid-19 in 2025", []string{"covid", "19", "in", "2025"}},
		{"accents", "Zelenskyy in Kyïv", []string{"zelenskyy", "in", "kyiv"}},
		{"devanagari vowel signs stay in the word", "हिन्दी समाचार", []string{"हिनदी", "समाचार"}},
		{"cjk", "東京 ニュース", []string{"東京", "ニュース"}},
		{"punctuation only", "— … !", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Words(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// foldReference is Fold as specified, the slow way: each malformed byte
// becomes U+FFFD, then NFKD of the whole text, nonspacing marks dropped,
// lower case, repeated until nothing changes.
func foldReference(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	s = b.String()
	for {
		var out strings.Builder
		for _, r := range norm.NFKD.String(s) {
			if !unicode.Is(unicode.Mn, r) {
				out.WriteRune(unicode.ToLower(r))
			}
		}
		if out.String() == s {
			return s
		}
		s = out.String()
	}
}

// wordsReference is Words as specified: the runs of letters, numbers and
// marks of the folded text.
func wordsReference(s string) []string {
	return strings.FieldsFunc(foldReference(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
	})
}

// TestWordsASCII checks the eight-bytes-at-a-time ASCII path on every ASCII
// byte, at every offset of a chunk and across chunk ends.
func TestWordsASCII(t *testing.T) {
	for c := range utf8.RuneSelf {
		for pad := range 17 {
			for _, s := range []string{
				strings.Repeat("a", pad) + string(rune(c)) + "Zz9",
				strings.Repeat(".", pad) + string(rune(c)) + strings.Repeat(string(rune(c)), pad),
				strings.Repeat("Ab ", pad) + string(rune(c)) + "é" + string(rune(c)),
			} {
				if got, want := Words(s), wordsReference(s); !slices.Equal(got, want) {
					t.Fatalf("Words(%+q) = %+q, want %+q", s, got, want)
				}
				if got, want := Fold(s), foldReference(s); got != want {
					t.Fatalf("Fold(%+q) = %+q, want %+q", s, got, want)
				}
			}
		}
	}
}

// TestFoldTable checks the table of characters folded one by one against
// NFKD of the whole text, alone and among the characters that decomposition
// could reorder.
func TestFoldTable(t *testing.T) {
	for _, span := range [][2]rune{{foldTableLo, foldTableHi}, {punctLo, punctHi}} {
		for r := span[0]; r < span[1]; r++ {
			for _, s := range []string{
				string(r),
				"A" + string(r) + "\u0301\u0327b",
				"e\u0301" + string(r) + "\u0316",
				string(r) + "\u0F39\u1B44" + string(r),
			} {
				if got, want := Fold(s), foldReference(s); got != want {
					t.Errorf("Fold(%+q) = %+q, want %+q", s, got, want)
				}
			}
		}
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"Kyïv", "İ", "ﬁ", "Ǆ", "ᾼ", "\u0345", "a\xff", "ΐ", "\xff\xfe", "ᬄ\u1B44\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Fold(s)
		if want := foldReference(s); got != want {
			t.Fatalf("Fold(%+q) = %+q, want %+q", s, got, want)
		}
		if again := Fold(got); again != got {
			t.Fatalf("Fold not idempotent on %q: %q then %q", s, got, again)
		}
		if got, want := Words(s), wordsReference(s); !slices.Equal(got, want) {
			t.Fatalf("Words(%+q) = %+q, want %+q", s, got, want)
		}
	})
}
