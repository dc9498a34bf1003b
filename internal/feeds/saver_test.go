package feeds

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"unicode"
	"unicode/utf8"

	"github.com/feedwatch/feedwatch/internal/news"
)

// batchStore is a PollBatcher that records its batches; the first one waits
// for release, so that a test can queue polls behind it.
type batchStore struct {
	release chan struct{}
	batches [][]string // feed names, per SavePolls call
}

var errGone = errors.New("feed gone")

func (s *batchStore) SavePolls(_ context.Context, states []news.FeedState, items [][]news.Item) ([][]news.Item, []error) {
	if len(s.batches) == 0 {
		<-s.release
	}
	var names []string
	fresh := make([][]news.Item, len(states))
	errs := make([]error, len(states))
	for i, st := range states {
		names = append(names, st.Feed)
		if st.Feed == "gone" {
			errs[i] = errGone
			continue
		}
		for j, it := range items[i] {
			it.ID = int64(100*len(s.batches) + j + 1)
			fresh[i] = append(fresh[i], it)
		}
	}
	s.batches = append(s.batches, names)
	return fresh, errs
}

func TestSaverGroupsConcurrentPolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &batchStore{release: make(chan struct{})}
		sv := &saver{store: st}
		type outcome struct {
			feed  string
			fresh []news.Item
			err   error
		}
		out := make(map[string]outcome)
		done := make(chan outcome)
		save := func(feed string, n int) {
			items := make([]news.Item, n)
			for i := range items {
				items[i] = news.Item{GUID: fmt.Sprint(i)}
			}
			fresh, err := sv.save(t.Context(), news.FeedState{Feed: feed}, items)
			done <- outcome{feed, fresh, err}
		}
		// The first poll leads and is held in the store; three more queue
		// meanwhile and go in one batch, led by the first of them.
		go save("first", 1)
		synctest.Wait()
		for _, f := range []string{"second", "gone", "third"} {
			go save(f, 2)
			synctest.Wait()
		}
		close(st.release)
		for range 4 {
			o := <-done
			out[o.feed] = o
		}
		if want := [][]string{{"first"}, {"second", "gone", "third"}}; !slices.EqualFunc(st.batches, want, slices.Equal) {
			t.Errorf("batches = %v, want %v", st.batches, want)
		}
		for _, tt := range []struct {
			feed  string
			fresh int
			err   error
		}{
			{"first", 1, nil},
			{"second", 2, nil},
			{"gone", 0, errGone},
			{"third", 2, nil},
		} {
			got := out[tt.feed]
			if len(got.fresh) != tt.fresh || !errors.Is(got.err, tt.err) {
				t.Errorf("%s: %d new, %v; want %d, %v", tt.feed, len(got.fresh), got.err, tt.fresh, tt.err)
			}
		}
		// Alone again, a poll is saved at once as a batch of one.
		go save("later", 1)
		<-done
		if last := st.batches[len(st.batches)-1]; !slices.Equal(last, []string{"later"}) {
			t.Errorf("last batch = %v, want [later]", last)
		}
	})
}

// cleanTextReference is cleanText as written before its ASCII fast path:
// rune by rune through the Unicode tables.
func cleanTextReference(s string, multiline bool) string {
	var b strings.Builder
	space, newline := false, false
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029':
			newline = true
		case unicode.IsSpace(r):
			space = true
		case unicode.IsControl(r) || isBidiControl(r) || r == '\uFEFF':
			continue
		default:
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
	}
	return b.String()
}

// textSeeds are texts for the fast paths' equivalence fuzz targets.
var textSeeds = []string{
	"", " ", "plain words", "  lead and trail  ", "tab\tand\nnewline\r\nCRLF", "a\x00b\x07c\x7fd",
	"café Kyïv Russia’s", "bidi\u202Eevil\u202C", "\uFEFFbom", "line\u2028sep\u2029para", "\xff\xfeinvalid",
	"Oil &amp; gas", "AT&T", "&lt;b&gt; not a tag", "&#x1F600; &nbsp;x&nbsp;", "&unknown; & &",
	"non\u00a0breaking\u3000ideographic", "a\v\fb",
}

func FuzzCleanText(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		if got, want := cleanText(s, multiline), cleanTextReference(s, multiline); got != want {
			t.Errorf("cleanText(%q, %v) = %q, want %q", s, multiline, got, want)
		}
	})
}

// FuzzHTMLToTextWithoutTags checks the shortcut for text without a tag
// against the tokenizer it skips.
func FuzzHTMLToTextWithoutTags(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		if strings.Contains(s, "<") {
			return
		}
		if got, want := htmlToText(s, multiline), markupToText(s, multiline); got != want {
			t.Errorf("htmlToText(%q, %v) = %q, tokenizer gives %q", s, multiline, got, want)
		}
	})
}
