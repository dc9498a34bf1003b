package config

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "90s", want: 90 * time.Second},
		{in: "36h", want: 36 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "2d30m10s", want: 48*time.Hour + 30*time.Minute + 10*time.Second},
		{in: "0", want: 0},
		{in: "0s", want: 0},
		{in: "-1d", want: -24 * time.Hour},
		{in: "+5m", want: 5 * time.Minute},
		{in: " 10m ", want: 10 * time.Minute},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "3µs", want: 3 * time.Microsecond},
		{in: "", wantErr: "empty value"},
		{in: "-", wantErr: "expected a number"},
		{in: "d", wantErr: "expected a number"},
		{in: "10", wantErr: "missing unit"},
		{in: "1h30", wantErr: "missing unit"},
		{in: "5w", wantErr: "unknown unit"},
		{in: "1.2.3h", wantErr: "expected a number"},
		{in: ".d", wantErr: "expected a number"},
		{in: "1 d", wantErr: "unknown unit"},
		{in: "999999999999d", wantErr: "out of range"},
		{in: "200000d", wantErr: "out of range"},
		{in: "100000d100000d", wantErr: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "1048576", want: 1 << 20},
		{in: "0", want: 0},
		{in: "512B", want: 512},
		{in: "512KB", want: 512_000},
		{in: "1GB", want: 1_000_000_000},
		{in: "10MiB", want: 10 << 20},
		{in: "10mib", want: 10 << 20},
		{in: "2 KiB", want: 2048},
		{in: "1.5MiB", want: 3 << 19},
		{in: "1TiB", want: 1 << 40},
		{in: "", wantErr: "empty value"},
		{in: "MiB", wantErr: "expected a number"},
		{in: "-1KB", wantErr: "expected a number"},
		{in: "10XB", wantErr: "unknown unit"},
		{in: "10M", wantErr: "unknown unit"},
		{in: "1.2.3KB", wantErr: "expected a number"},
		{in: "9223372036854775808", wantErr: "out of range"},
		{in: "9000000TiB", wantErr: "out of range"},
		{in: "9000000.5TiB", wantErr: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSize(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSize(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseSchedule(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	// A Monday, 07:30 in Kyiv.
	from := time.Date(2025, 9, 1, 7, 30, 0, 0, kyiv)
	tests := []struct {
		spec    string
		loc     *time.Location
		want    time.Time // next run after from
		wantErr string
	}{
		{spec: "0 8 * * 1-5", loc: kyiv, want: time.Date(2025, 9, 1, 8, 0, 0, 0, kyiv)},
		{spec: "*/5 * * * *", loc: kyiv, want: time.Date(2025, 9, 1, 7, 35, 0, 0, kyiv)},
		{spec: "30 0 8 * * *", loc: kyiv, want: time.Date(2025, 9, 1, 8, 0, 30, 0, kyiv)},
		{spec: "0 8 * * *", loc: time.UTC, want: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)},
		{spec: "0 8 * * *", loc: nil, want: time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)},
		{spec: "@hourly", loc: kyiv, want: time.Date(2025, 9, 1, 8, 0, 0, 0, kyiv)},
		{spec: "@daily", loc: kyiv, want: time.Date(2025, 9, 2, 0, 0, 0, 0, kyiv)},
		{spec: "@weekly", loc: kyiv, want: time.Date(2025, 9, 7, 0, 0, 0, 0, kyiv)},
		{spec: "@every 10m", loc: kyiv, want: from.Add(10 * time.Minute)},
		{spec: "@every 1d", loc: kyiv, want: from.Add(24 * time.Hour)},
		{spec: "@every 1d12h", loc: kyiv, want: from.Add(36 * time.Hour)},
		{spec: "  @every   90s ", loc: kyiv, want: from.Add(90 * time.Second)},
		{spec: "0 0 29 2 *", loc: time.UTC, want: time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{spec: "", wantErr: "empty schedule"},
		{spec: "* * *", wantErr: "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds first), found 3"},
		{spec: "* * * * * * *", wantErr: "found 7"},
		{spec: "61 * * * *", wantErr: "above maximum"},
		{spec: "*/0 * * * *", wantErr: "step of range"},
		{spec: "0 0 30 2 *", wantErr: "never fires"},
		{spec: "@sometimes", wantErr: "unrecognized descriptor"},
		{spec: "@every", wantErr: "@every needs a duration"},
		{spec: "@everyday", wantErr: "@every needs a duration"},
		{spec: "@every 10", wantErr: "@every: missing unit"},
		{spec: "@every 0s", wantErr: "at least 1s"},
		{spec: "@every -1h", wantErr: "at least 1s"},
		{spec: "TZ=Europe/Kyiv 0 8 * * *", wantErr: "time zone prefix"},
		{spec: "TZ=x", wantErr: "time zone prefix"},
		{spec: "CRON_TZ=UTC 0 8 * * *", wantErr: "time zone prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec, tt.loc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSchedule(%q) error = %v; want one containing %q", tt.spec, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSchedule(%q): %v", tt.spec, err)
			}
			if got := s.Next(from); !got.Equal(tt.want) {
				t.Fatalf("ParseSchedule(%q).Next(%v) = %v; want %v", tt.spec, from, got, tt.want)
			}
		})
	}
}

// TestParseScheduleKeepsZone checks that a cron spec is evaluated in the zone
// given, not in the process's local zone.
func TestParseScheduleKeepsZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSchedule("0 8 * * *", ny)
	if err != nil {
		t.Fatal(err)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok || spec.Location != ny {
		t.Fatalf("schedule = %#v; want a SpecSchedule in America/New_York", s)
	}
}

func TestParseDue(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
		ok   bool
	}{
		{in: "2025-09-02T23:59:00-04:00", loc: kyiv, want: time.Date(2025, 9, 3, 3, 59, 0, 0, time.UTC), ok: true},
		{in: "2025-09-02T23:59:00Z", loc: kyiv, want: time.Date(2025, 9, 2, 23, 59, 0, 0, time.UTC), ok: true},
		{in: "2025-09-02 18:00", loc: kyiv, want: time.Date(2025, 9, 2, 18, 0, 0, 0, kyiv), ok: true},
		{in: "2025-09-02T18:00", loc: kyiv, want: time.Date(2025, 9, 2, 18, 0, 0, 0, kyiv), ok: true},
		{in: "2025-09-02 18:00:30", loc: kyiv, want: time.Date(2025, 9, 2, 18, 0, 30, 0, kyiv), ok: true},
		{in: "2025-09-02", loc: kyiv, want: time.Date(2025, 9, 2, 0, 0, 0, 0, kyiv), ok: true},
		{in: "2025-09-02 18:00", loc: nil, want: time.Date(2025, 9, 2, 18, 0, 0, 0, time.UTC), ok: true},
		{in: "tomorrow", loc: kyiv},
		{in: "2025-13-02", loc: kyiv},
		{in: "02/09/2025", loc: kyiv},
		{in: "", loc: kyiv},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDue(tt.in, tt.loc)
			if !tt.ok {
				if err == nil {
					t.Fatalf("ParseDue(%q) = %v; want an error", tt.in, got)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("ParseDue(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// FuzzParseSchedule checks that no input makes the schedule parser panic and
// that every schedule it accepts can be asked for its next run.
func FuzzParseSchedule(f *testing.F) {
	for _, seed := range []string{"0 8 * * 1-5", "*/5 * * * *", "30 0 8 * * *", "@every 1d12h", "@daily",
		"TZ=", "TZ=x", "CRON_TZ=", "@every ", "* * * * ?", "0-59/100 * * * *", "1-2-3 * * * *", "JAN-DEC",
		"0 0 30 2 *", "5/ * * * *", "- * * * *", "@every 99999999999d", "\x00", "* * * * SUN-SAT"} {
		f.Add(seed)
	}
	from := time.Date(2025, 9, 1, 7, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSchedule(spec, time.UTC)
		if err != nil {
			if s != nil {
				t.Fatalf("ParseSchedule(%q) returned a schedule and an error", spec)
			}
			return
		}
		if next := s.Next(from); !next.After(from) {
			t.Fatalf("ParseSchedule(%q).Next(%v) = %v; want a later time", spec, from, next)
		}
	})
}
