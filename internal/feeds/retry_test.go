package feeds

import (
	"fmt"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		v      string
		want   time.Time
		wantOK bool
	}{
		{name: "seconds", v: "120", want: now.Add(2 * time.Minute), wantOK: true},
		{name: "zero seconds", v: "0", want: now, wantOK: true},
		{name: "seconds with spaces", v: "  30 ", want: now.Add(30 * time.Second), wantOK: true},
		{name: "seconds past the cap", v: "604800", want: now.Add(MaxRetryAfter), wantOK: true},
		{name: "overflowing seconds", v: "99999999999999999999999", want: now.Add(MaxRetryAfter), wantOK: true},
		{name: "IMF-fixdate", v: "Mon, 01 Sep 2025 12:05:00 GMT", want: now.Add(5 * time.Minute), wantOK: true},
		{name: "RFC 850 date", v: "Monday, 01-Sep-25 13:00:00 GMT", want: now.Add(time.Hour), wantOK: true},
		{name: "asctime date", v: "Mon Sep  1 12:00:30 2025", want: now.Add(30 * time.Second), wantOK: true},
		{name: "date in the past means now", v: "Sun, 31 Aug 2025 12:00:00 GMT", want: now, wantOK: true},
		{name: "date past the cap", v: "Mon, 08 Sep 2025 12:00:00 GMT", want: now.Add(MaxRetryAfter), wantOK: true},
		{name: "empty", v: ""},
		{name: "negative", v: "-5"},
		{name: "signed", v: "+5"},
		{name: "fraction", v: "1.5"},
		{name: "words", v: "tomorrow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseRetryAfter(tc.v, now)
			if ok != tc.wantOK || !got.Equal(tc.want) {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.v, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{-1, 0},
		{0, 0},
		{1, time.Minute},
		{2, 2 * time.Minute},
		{3, 4 * time.Minute},
		{5, 16 * time.Minute},
		{9, 256 * time.Minute},
		{10, 6 * time.Hour},
		{11, 6 * time.Hour},
		{1000, 6 * time.Hour},
		{int(^uint(0) >> 1), 6 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("failures=%d", tc.failures), func(t *testing.T) {
			if got := Backoff(tc.failures); got != tc.want {
				t.Errorf("Backoff(%d) = %v, want %v", tc.failures, got, tc.want)
			}
		})
	}
}
