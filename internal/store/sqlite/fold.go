package sqlite

import (
	"strings"

	"github.com/feedwatch/feedwatch/internal/alerts/query"
)

// foldWords returns the words of s folded exactly as the query language
// folds them, joined by single spaces.
//
// The full-text index is fed this instead of the raw text so that the index
// and the caller's folded words agree on every script: SQLite's
// remove_diacritics only knows Latin, so "Київ" would be indexed as "київ"
// while the query language looks for "киів". Sharing query.Words keeps the
// two in step by construction.
func foldWords(s string) string {
	return strings.Join(query.Words(s), " ")
}
