package alerts_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/alerts"
)

// describe renders found dates compactly for comparison: the date, then
// " HH:MM" with a time of day, " moved" for a new date, " says Monday" for a
// stated weekday the date does not fall on.
func describe(fs []alerts.FoundDate) []string {
	var out []string
	for _, f := range fs {
		s := f.Date.String()
		if f.HasClock {
			s += " " + time.Time{}.Add(f.Clock).Format("15:04")
		}
		if f.Moved {
			s += " moved"
		}
		if f.Mismatch() {
			s += " says " + f.Said.String()
		}
		out = append(out, s)
	}
	return out
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

func TestFindDeadlines(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		text string
		pub  time.Time
		loc  *time.Location
		want []string
	}{
		{"weekday and date, weekday wrong", "Putin faced a Monday, September 2, deadline set by Trump to agree to talks.",
			day("2025-08-30"), nil, []string{"2025-09-02 says Monday"}},
		{"weekday and date, weekday right", "Talks must end by Tuesday, September 2.",
			day("2025-08-30"), nil, []string{"2025-09-02"}},
		{"weekday alone is the coming one", "Hamas must release the hostages by Saturday noon.",
			day("2025-02-12"), nil, []string{"2025-02-15 12:00"}},
		{"weekday alone can be today", "Unless they agree before 11:59 p.m. Thursday, workers will strike.",
			day("2023-09-14"), nil, []string{"2023-09-14 23:59"}},
		{"next weekday skips today", "The deadline is next Thursday.",
			day("2023-09-14"), nil, []string{"2023-09-21"}},
		{"date without year in the window before publication", "The July 9 deadline passed quietly.",
			day("2025-08-20"), nil, []string{"2025-07-09"}},
		{"date without year rolls into next year", "The EU agreed to a Brexit extension until Jan. 31.",
			day("2019-10-28"), nil, []string{"2020-01-31 moved"}},
		{"explicit next year", "The bloc agreed to extend Brexit until 31st January next year.",
			day("2019-10-28"), nil, []string{"2020-01-31 moved"}},
		{"ISO date", "Filings are due 2025-10-01.", day("2025-09-01"), nil, []string{"2025-10-01"}},
		{"within days", "He gave Moscow a deal within the next 50 days or tariffs.",
			day("2025-07-14"), nil, []string{"2025-09-02"}},
		{"within weeks in words", "Iran must answer within two weeks.", day("2025-08-01"), nil, []string{"2025-08-15"}},
		{"days from today bound by a new deadline", "I am going to make a new deadline of about 12 days from today.",
			day("2025-07-28"), nil, []string{"2025-08-09 moved"}},
		{"end of month", "Iran must return to talks by the end of August.", day("2025-08-13"), nil, []string{"2025-08-31"}},
		{"tonight", "The UAW contract deadline with the Big Three is 11:59 p.m. tonight.",
			day("2023-09-14"), nil, []string{"2023-09-14 23:59"}},
		{"tomorrow", "Bids close by tomorrow at 5 p.m.", day("2024-03-01"), nil, []string{"2024-03-02 17:00"}},
		{"midnight is the end of the day", "Funding expires Tuesday at midnight.", day("2025-09-29"), nil, []string{"2025-09-30 23:59"}},
		{"moved deadline, old and new", "Trump will sign an order delaying his July 9 tariff deadline to Aug. 1.",
			day("2025-07-07"), nil, []string{"2025-07-09", "2025-08-01 moved"}},
		{"extended by days to a date", "He signed an order on Thursday extending the deadline by 90 days to September 17.",
			day("2025-06-19"), nil, []string{"2025-09-17 moved"}},
		{"by-date of an errand yields to the deadline", "Witkoff should arrive by Aug. 6, ahead of the Aug. 8 deadline.",
			day("2025-08-04"), nil, []string{"2025-08-08"}},
		{"report date is not the deadline", "Yellen said on Monday that the deadline could be as early as June 1st.",
			day("2023-05-01"), nil, []string{"2023-06-01"}},
		{"condition makes on-date a deadline", "Sanctions will come on August 9 unless an agreement is reached.",
			day("2025-08-04"), nil, []string{"2025-08-09"}},
		{"past event before a condition is not a deadline", "He warned Russia on Monday of tariffs unless it agrees within 50 days.",
			day("2025-07-14"), nil, []string{"2025-09-02"}},
		{"no deadline words", "The act came into force on August 1, 2024, and was widely praised.", day("2025-08-05"), nil, nil},
		{"lower-case may is a verb", "The deadline may 5 times be moved.", day("2025-04-01"), nil, nil},
		{"sentence split keeps abbreviations", "U.S. officials met on Monday. The deadline expires on Sept. 30. Talks go on.",
			day("2025-09-18"), nil, []string{"2025-09-30"}},
		{"same date twice is once", "The deadline is Sept. 2. Moscow must agree by Sept. 2.", day("2025-08-20"), nil, []string{"2025-09-02"}},
		{"invalid date is ignored", "The deadline is September 31.", day("2025-08-20"), nil, nil},
		{"publication day in the reader's zone", "The ultimatum expires tomorrow.",
			time.Date(2025, 8, 30, 22, 30, 0, 0, time.UTC), kyiv, []string{"2025-09-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describe(alerts.FindDeadlines(tt.text, tt.pub, tt.loc))
			if !slices.Equal(got, tt.want) {
				t.Errorf("FindDeadlines(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestFoundDateNoteAndDue(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		pub      time.Time
		wantNote string
		wantDue  string
	}{
		{"mismatch", "Putin faced a Monday, September 2, deadline.", day("2025-08-30"),
			"Deadline mentioned: 2025-09-02 (the text says Monday; it is a Tuesday)", "2025-09-02T23:59:00Z"},
		{"with a time", "Hostages must be freed by Saturday noon.", day("2025-02-12"),
			"Deadline mentioned: 2025-02-15 12:00", "2025-02-15T12:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := alerts.FindDeadlines(tt.text, tt.pub, time.UTC)
			if len(fs) != 1 {
				t.Fatalf("found %v, want one date", describe(fs))
			}
			if got := fs[0].Note(); got != tt.wantNote {
				t.Errorf("Note() = %q, want %q", got, tt.wantNote)
			}
			if got := fs[0].Due(time.UTC).Format(time.RFC3339); got != tt.wantDue {
				t.Errorf("Due() = %s, want %s", got, tt.wantDue)
			}
		})
	}
}

// sentence is one real news sentence of testdata/dates/sentences.json with
// the deadline dates a careful reader takes from it.
type sentence struct {
	Source    string   `json:"source"`
	Published string   `json:"published"`
	Text      string   `json:"text"`
	Want      []string `json:"want"`
	Moved     []string `json:"moved"`
	Says      string   `json:"says"`
}

func loadSet(t *testing.T, name string) []sentence {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "dates", name))
	if err != nil {
		t.Fatal(err)
	}
	var ss []sentence
	if err := json.Unmarshal(data, &ss); err != nil {
		t.Fatal(err)
	}
	return ss
}

// TestFindDeadlinesOnRealSentences measures the extractor on the collected
// sentences: sentences.json, on which it was developed, and heldout.json,
// collected afterwards to see how it does on text it was not tuned on. A
// sentence counts as right when exactly the wanted dates are found (no more,
// no fewer). The numbers are logged for the record (testdata/dates/README.md
// quotes them); the test fails if accuracy falls below what the extractor
// reached, so a change that makes it worse is noticed.
func TestFindDeadlinesOnRealSentences(t *testing.T) {
	sets := []struct {
		file  string
		floor float64 // exact accuracy reached, rounded down
	}{
		{"sentences.json", 0.95},
		{"heldout.json", 0.90},
	}
	total := 0
	for _, set := range sets {
		t.Run(set.file, func(t *testing.T) {
			ss := loadSet(t, set.file)
			total += len(ss)
			var exact, tp, fp, fn, movedOK, movedAll int
			for _, s := range ss {
				fs := alerts.FindDeadlines(s.Text, day(s.Published), time.UTC)
				var got, gotMoved []string
				for _, f := range fs {
					got = append(got, f.Date.String())
					if f.Moved {
						gotMoved = append(gotMoved, f.Date.String())
					}
					if s.Says != "" && (!f.Mismatch() || f.Said.String() != s.Says) {
						t.Errorf("%q: want the stated %s flagged as wrong, got %+v", s.Text, s.Says, f)
					}
				}
				want := append([]string(nil), s.Want...)
				slices.Sort(got)
				slices.Sort(want)
				if slices.Equal(got, want) {
					exact++
				} else {
					t.Logf("miss: %q (published %s): got %v, want %v", s.Text, s.Published, got, want)
				}
				for _, g := range got {
					if slices.Contains(want, g) {
						tp++
					} else {
						fp++
					}
				}
				for _, w := range want {
					if !slices.Contains(got, w) {
						fn++
					}
				}
				if len(s.Moved) > 0 {
					movedAll++
					slices.Sort(gotMoved)
					if slices.Equal(gotMoved, s.Moved) {
						movedOK++
					}
				}
			}
			acc := float64(exact) / float64(len(ss))
			t.Logf("%d sentences: exact %d (%.0f%%), precision %.2f, recall %.2f, moved dates right %d/%d",
				len(ss), exact, 100*acc, float64(tp)/float64(max(1, tp+fp)), float64(tp)/float64(max(1, tp+fn)), movedOK, movedAll)
			if acc < set.floor {
				t.Errorf("exact accuracy %.2f fell below %.2f", acc, set.floor)
			}
		})
	}
	if total < 40 {
		t.Errorf("only %d sentences; the evaluation needs at least 40", total)
	}
}

// FuzzFindDeadlines checks that no text makes the extractor panic or
// return a date that does not exist.
func FuzzFindDeadlines(f *testing.F) {
	for _, s := range []string{
		"Putin faced a Monday, September 2, deadline.",
		"by midday Saturday (Israel Time) at 12 o'clock",
		"extended until Wednesday Jan. 30, 2019.",
		"within the next 50 days",
		"deadline", "U.S. a.m. Sept.", "2025-02-30 deadline",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, d := range alerts.FindDeadlines(text, day("2025-08-30"), time.UTC) {
			if d.Date.String() != alerts.DateOf(d.Due(time.UTC), time.UTC).String() {
				t.Fatalf("%q: date %v is not a real day", text, d.Date)
			}
		}
	})
}

func TestSentencesAreReal(t *testing.T) {
	for _, s := range append(loadSet(t, "sentences.json"), loadSet(t, "heldout.json")...) {
		if s.Source == "" || s.Published == "" || strings.TrimSpace(s.Text) == "" {
			t.Errorf("sentence without source, date or text: %+v", s)
		}
	}
}
