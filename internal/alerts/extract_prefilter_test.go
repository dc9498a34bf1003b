package alerts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// mentionPatterns are the patterns mayMention stands in front of.
var mentionPatterns = []*regexp.Regexp{reExplicit, reRelative, reWeekdayAlone}

// checkMayMention fails when a pattern finds a mention in s that
// mayMention would have skipped.
func checkMayMention(t *testing.T, s string) {
	t.Helper()
	if mayMention(s) {
		return
	}
	for _, re := range mentionPatterns {
		if loc := re.FindStringIndex(s); loc != nil {
			t.Fatalf("mayMention(%q) = false, but %s matches %q", s, re, s[loc[0]:loc[1]])
		}
	}
}

func TestMayMention(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"Talks resumed in Geneva after a long pause.", false},
		{"The envoy said the market would open.", false},
		{"The deadline passed.", false}, // a deadline noun alone names no date
		{"Talks end on September 2.", true},
		{"by MONDAYS", true},
		{"next Tue. at noon", true},
		{"within two weeks", true},
		{"this Evening", true},
		{"until the end-of the month", true},
		{"2025-09-02", true},
		{"the ſunday deadline", true}, // long s folds to s under (?i)
		{"a \u212aelvin-signed week", true},
		{"wednesdayish plans", true},
		{"supercalifragilisticfriday", false},
	} {
		if got := mayMention(tc.s); got != tc.want {
			t.Errorf("mayMention(%q) = %v, want %v", tc.s, got, tc.want)
		}
		checkMayMention(t, tc.s)
	}
	// Every sentence of the evaluation sets.
	for _, name := range []string{"sentences.json", "heldout.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "dates", name))
		if err != nil {
			t.Fatal(err)
		}
		var ss []struct{ Text string }
		if err := json.Unmarshal(data, &ss); err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			for _, sent := range sentences(s.Text) {
				checkMayMention(t, sent)
			}
		}
	}
}

// FuzzMayMention checks that mayMention never skips a sentence in which a
// mention pattern matches: it only saves work, it must not change results.
func FuzzMayMention(f *testing.F) {
	for _, s := range []string{
		"by Monday", "Sept. 2", "2nd of September 2025", "end of August", "in 12 days",
		"10 days from now", "tonight", "ſaturday", "tomorrow's", "FRIDAY", "Mon.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkMayMention(t, s)
	})
}

// BenchmarkFindDeadlines measures the date finder on matched news items:
// mostly sentences without any date, some with one.
func BenchmarkFindDeadlines(b *testing.B) {
	text := strings.Repeat("Envoys from both sides met in Geneva to discuss a ceasefire and the exchange of prisoners. "+
		"The talks were described as constructive by officials who asked not to be named. ", 3) +
		"Trump gave Putin until September 2 to agree to talks, or face new sanctions."
	pub := time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if len(FindDeadlines(text, pub, time.UTC)) != 1 {
			b.Fatal("want one date")
		}
	}
}
