package demo

import (
	"strings"
	"testing"
	"time"
)

func TestParseStampMovesAndKeepsSpelling(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		shift   time.Duration
		want    string    // the moved date, written as the input was
		wantUTC time.Time // the instant the input denotes
	}{
		{"rfc1123 numeric zone, weekday recomputed", "Tue, 02 Sep 2025 21:40:00 +0300", 36 * time.Hour,
			"Thu, 04 Sep 2025 09:40:00 +0300", time.Date(2025, 9, 2, 18, 40, 0, 0, time.UTC)},
		{"rfc1123 GMT, backwards across a month", "Tue, 02 Sep 2025 20:05:00 GMT", -48 * time.Hour,
			"Sun, 31 Aug 2025 20:05:00 GMT", time.Date(2025, 9, 2, 20, 5, 0, 0, time.UTC)},
		{"no weekday, no seconds, named US zone", "2 Sep 2025 20:05 EDT", time.Hour,
			"2 Sep 2025 21:05 EDT", time.Date(2025, 9, 3, 0, 5, 0, 0, time.UTC)},
		{"single-digit day stays single-digit", "Mon, 1 Sep 2025 17:00:00 PDT", 9 * 24 * time.Hour,
			"Wed, 10 Sep 2025 17:00:00 PDT", time.Date(2025, 9, 2, 0, 0, 0, 0, time.UTC)},
		{"negative numeric zone", "Fri, 29 Aug 2025 07:45:00 -0430", 0,
			"Fri, 29 Aug 2025 07:45:00 -0430", time.Date(2025, 8, 29, 12, 15, 0, 0, time.UTC)},
		{"rfc3339 Z", "2025-09-02T21:40:00Z", 2*time.Hour + 30*time.Minute,
			"2025-09-03T00:10:00Z", time.Date(2025, 9, 2, 21, 40, 0, 0, time.UTC)},
		{"rfc3339 offset kept", "2025-09-02T15:00:00+02:00", 24 * time.Hour,
			"2025-09-03T15:00:00+02:00", time.Date(2025, 9, 2, 13, 0, 0, 0, time.UTC)},
		{"rfc3339 +00:00 not rewritten as Z", "2025-09-02T15:00:00+00:00", time.Minute,
			"2025-09-02T15:01:00+00:00", time.Date(2025, 9, 2, 15, 0, 0, 0, time.UTC)},
		{"rfc3339 fraction kept to its width", "2025-09-02T09:10:00.250-05:30", time.Second,
			"2025-09-02T09:10:01.250-05:30", time.Date(2025, 9, 2, 14, 40, 0, 250e6, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := parseStamp(tt.in)
			if err != nil {
				t.Fatalf("parseStamp(%q): %v", tt.in, err)
			}
			if !st.t.Equal(tt.wantUTC) {
				t.Errorf("parseStamp(%q) = %v, want %v", tt.in, st.t.UTC(), tt.wantUTC)
			}
			if got := st.format(st.t.Add(tt.shift)); got != tt.want {
				t.Errorf("moved by %v: got %q, want %q", tt.shift, got, tt.want)
			}
		})
	}
}

func TestParseStampRejects(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"prose", "yesterday evening"},
		{"unknown zone name", "Tue, 02 Sep 2025 21:40:00 XYZ"},
		{"no such day", "2025-09-31T10:00:00Z"},
		{"no such hour", "Tue, 02 Sep 2025 25:00:00 +0300"},
		{"zone out of range", "2025-09-02T10:00:00+24:00"},
		{"zone minutes out of range", "Tue, 02 Sep 2025 10:00:00 +0275"},
		{"date only", "2025-09-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if st, err := parseStamp(tt.in); err == nil {
				t.Errorf("parseStamp(%q) = %v, want an error", tt.in, st.t)
			}
		})
	}
}

func TestMapDates(t *testing.T) {
	hourLater := func(st stamp) string { return st.format(st.t.Add(time.Hour)) }
	tests := []struct {
		name    string
		format  format
		doc     string
		want    string
		wantErr string
	}{
		{"rss elements, spaces trimmed, empty left alone", formatRSS,
			"<channel><lastBuildDate>Tue, 02 Sep 2025 21:42:00 +0300</lastBuildDate><item><pubDate>\n  Tue, 02 Sep 2025 23:40:00 GMT\n</pubDate><title>Tue, 02 Sep 2025 21:40:00 +0300</title></item><item><pubDate></pubDate><dc:date>2025-09-01T10:00:00Z</dc:date></item></channel>",
			"<channel><lastBuildDate>Tue, 02 Sep 2025 22:42:00 +0300</lastBuildDate><item><pubDate>\n  Wed, 03 Sep 2025 00:40:00 GMT\n</pubDate><title>Tue, 02 Sep 2025 21:40:00 +0300</title></item><item><pubDate></pubDate><dc:date>2025-09-01T11:00:00Z</dc:date></item></channel>",
			""},
		{"atom published and updated", formatAtom,
			"<entry><published>2025-09-02T15:00:00+02:00</published><updated>2025-09-02T16:20:00+02:00</updated><summary>2025-09-02T15:00:00Z</summary></entry>",
			"<entry><published>2025-09-02T16:00:00+02:00</published><updated>2025-09-02T17:20:00+02:00</updated><summary>2025-09-02T15:00:00Z</summary></entry>",
			""},
		{"json feed keys only", formatJSON,
			`{"date_published": "2025-09-02T20:50:00Z", "title": "2025-09-02T20:50:00Z", "date_modified":"2025-09-02T21:05:00Z"}`,
			`{"date_published": "2025-09-02T21:50:00Z", "title": "2025-09-02T20:50:00Z", "date_modified":"2025-09-02T22:05:00Z"}`,
			""},
		{"latin-1 bytes around a date copied through", formatRSS,
			"<title>K\xf6ln</title><pubDate>Sun, 31 Aug 2025 11:00:00 +0200</pubDate><p>\xdf</p>",
			"<title>K\xf6ln</title><pubDate>Sun, 31 Aug 2025 12:00:00 +0200</pubDate><p>\xdf</p>",
			""},
		{"a date that does not parse is an error", formatRSS,
			"<item><pubDate>Tue, 02 Sep 2025 21:40:00 +0300</pubDate></item><item><pubDate>sometime soon</pubDate></item>",
			"", `"sometime soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mapDates([]byte(tt.doc), tt.format, hourLater)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("mapDates error = %v, want one mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("mapDates: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("mapDates:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
