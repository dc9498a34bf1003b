package postgres

import (
	"strings"
	"unicode/utf8"

	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
)

// The full-text index holds each item's words folded exactly as the query
// language folds them (query.Words), as tsvector lexemes without positions.
// It is built with array_to_tsvector and searched with a tsquery of quoted
// lexemes, so no PostgreSQL parser, dictionary or locale touches a word: the
// 'simple' configuration's parser would split words that query.Words keeps
// whole (a Devanagari word with a spacing vowel sign, in some locales), and
// then an item the evaluator matches would not even be a candidate.
// Narrowing must only ever over-approximate, since the evaluator decides.

// maxLexeme is the longest lexeme, in bytes, that both a tsvector and a
// tsquery accept. Longer words are cut to it (at a rune boundary) in the
// index and searched as prefixes, so they stay findable: array_to_tsvector
// does not check the length and would store a longer one corrupted.
const maxLexeme = 2046

// maxDocBytes bounds the lexeme bytes of one item's tsvector, whose offsets
// have 20 bits; array_to_tsvector does not check them either, and a larger
// document would be stored corrupted. An item with more distinct words than
// that (a 10 MB feed can hold one) is left unindexed: its fts is NULL, and
// searches take it as a candidate (see scanPlan).
const maxDocBytes = 1<<20 - 1

// lexeme returns w cut to maxLexeme bytes at a rune boundary, and whether it
// was cut.
func lexeme(w string) (string, bool) {
	if len(w) <= maxLexeme {
		return w, false
	}
	i := maxLexeme
	for i > 0 && !utf8.RuneStart(w[i]) {
		i--
	}
	return w[:i], true
}

// ftsDoc returns the distinct lexemes of an item's title, summary and
// categories, joined by spaces (no folded word contains one), or nil when
// they are too many for one tsvector.
func ftsDoc(it news.Item) *string {
	words := query.Words(it.Title)
	words = append(words, query.Words(it.Summary)...)
	words = append(words, query.Words(strings.Join(it.Categories, " "))...)
	seen := make(map[string]bool, len(words))
	lexemes := make([]string, 0, len(words))
	size := 0
	for _, w := range words {
		l, _ := lexeme(w)
		if seen[l] {
			continue
		}
		seen[l] = true
		if size += len(l); size > maxDocBytes {
			return nil
		}
		lexemes = append(lexemes, l)
	}
	doc := strings.Join(lexemes, " ")
	return &doc
}

// ftsQuery builds a tsquery requiring every word, or "" for none. Each word
// is folded like the indexed text (a no-op for words the caller already
// folded) and quoted as a lexeme, so that no word can inject an operator; a
// prefix gets ":*". A word that folds to several (a phrase, or "Russia’s")
// requires each of them, the last as a prefix if the word is one: the index
// has no positions to check adjacency, and the evaluator will. A word with no
// letter or digit can match no indexed word and is left out.
func ftsQuery(words []store.Word) string {
	var parts []string
	for _, w := range words {
		folded := query.Words(w.Text)
		for i, f := range folded {
			l, cut := lexeme(f)
			parts = append(parts, tsLexeme(l, cut || w.Prefix && i == len(folded)-1))
		}
	}
	return strings.Join(parts, " & ")
}

// tsLexeme quotes l as a tsquery operand, escaping what the quoting needs.
func tsLexeme(l string, prefix bool) string {
	q := "'" + strings.ReplaceAll(strings.ReplaceAll(l, `\`, `\\`), "'", "''") + "'"
	if prefix {
		q += ":*"
	}
	return q
}
