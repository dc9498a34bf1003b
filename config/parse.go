package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// The value parsers below never quote their input in an error: a value may
// have come from an environment variable holding a secret, and the caller
// decides what is safe to show.

var (
	errEmpty       = errors.New("empty value")
	errNumber      = errors.New("expected a number")
	errMissingUnit = errors.New("missing unit (use ns, us, ms, s, m, h or d)")
	errUnknownUnit = errors.New("unknown unit (use ns, us, ms, s, m, h or d)")
	errRange       = errors.New("out of range")
)

// ParseDuration parses a Go duration ("90s", "1h30m", "-5m") extended with a
// `d` unit of 24 hours ("7d", "1d12h", "1.5d"). As with time.ParseDuration,
// "0" needs no unit.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errEmpty
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, errNumber
	}
	var total time.Duration
	for s != "" {
		num := s[:numberLen(s)]
		s = s[len(num):]
		if !validNumber(num) {
			return 0, errNumber
		}
		unit := s[:unitLen(s)]
		s = s[len(unit):]
		part, err := durationPart(num, unit)
		if err != nil {
			return 0, err
		}
		if total > math.MaxInt64-part {
			return 0, errRange
		}
		total += part
	}
	if neg {
		total = -total
	}
	return total, nil
}

// durationPart converts one number-and-unit segment of a duration.
func durationPart(num, unit string) (time.Duration, error) {
	switch unit {
	case "":
		return 0, errMissingUnit
	case "d":
		h, err := time.ParseDuration(num + "h")
		if err != nil || h > math.MaxInt64/24 {
			return 0, errRange
		}
		return h * 24, nil
	case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
		// The number is well formed, so the only failure left is overflow.
		d, err := time.ParseDuration(num + unit)
		if err != nil {
			return 0, errRange
		}
		return d, nil
	default:
		return 0, errUnknownUnit
	}
}

// numberLen is the length of the leading run of digits and dots.
func numberLen(s string) int {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return i
}

// unitLen is the length of the leading run of anything but digits and dots.
func unitLen(s string) int {
	i := 0
	for i < len(s) && !(s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return i
}

// validNumber accepts "12", "1.5", ".5" and "3.": digits with at most one dot.
func validNumber(num string) bool {
	return num != "" && num != "." && strings.Count(num, ".") <= 1
}

// sizeUnits maps a lower-cased size unit to its multiplier: the SI units are
// powers of 1000 and the IEC units (KiB, MiB, …) powers of 1024.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize parses a byte count: plain bytes ("1048576"), SI units ("512KB",
// "1GB", powers of 1000) or IEC units ("10MiB", powers of 1024). Units are
// case-insensitive, a space may separate number and unit, and a fraction
// ("1.5MiB") is rounded down to whole bytes.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errEmpty
	}
	num := s[:numberLen(s)]
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	if !validNumber(num) {
		return 0, errNumber
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, errors.New("unknown unit (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)")
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, errRange
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, errNumber
	}
	v := math.Floor(f * float64(mult))
	if v >= math.MaxInt64 {
		return 0, errRange
	}
	return int64(v), nil
}

// cronParser accepts 5-field specs, 6-field specs whose first field is the
// second, and descriptors (@hourly, @daily, …).
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour |
	cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// scheduleProbe is the fixed instant from which a parsed schedule must fire at
// least once; fixed so that validation is deterministic, and in a leap year so
// that "0 0 29 2 *" is found within the parser's five-year search.
var scheduleProbe = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseSchedule parses a schedule evaluated in loc (UTC when nil): a 5-field
// cron spec ("0 8 * * 1-5"), a 6-field one with seconds first, a descriptor
// (@yearly, @monthly, @weekly, @daily, @midnight, @hourly) or "@every
// DURATION" where DURATION may use days ("@every 1d"). It never panics: the
// cron library is only handed input it has been checked to accept, and a
// panic inside it would still come back as an error. A spec that can never
// fire ("0 0 30 2 *") is an error too, as it would silently do nothing.
func ParseSchedule(spec string, loc *time.Location) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, errors.New("malformed schedule")
		}
	}()
	if loc == nil {
		loc = time.UTC
	}
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "":
		return nil, errors.New("empty schedule")
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		// Also avoids a slice panic in cron v3.0.1 on "TZ=x" without a space.
		return nil, errors.New("a time zone prefix is not supported; set timezone instead")
	case strings.HasPrefix(spec, "@every"):
		return parseEvery(spec[len("@every"):])
	case strings.HasPrefix(spec, "@"):
	default:
		if n := len(strings.Fields(spec)); n != 5 && n != 6 {
			return nil, fmt.Errorf("expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds first), found %d", n)
		}
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		return nil, err
	}
	spec6, ok := s.(*cron.SpecSchedule)
	if !ok {
		return s, nil
	}
	// The parser defaults to time.Local; the configured zone is what counts.
	spec6.Location = loc
	if spec6.Next(scheduleProbe.In(loc)).IsZero() {
		return nil, errors.New("never fires (no such date)")
	}
	return spec6, nil
}

// parseEvery parses what follows "@every".
func parseEvery(rest string) (cron.Schedule, error) {
	if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return nil, errors.New("@every needs a duration, as in @every 10m")
	}
	d, err := ParseDuration(rest)
	if err != nil {
		return nil, fmt.Errorf("@every: %w", err)
	}
	if d < time.Second {
		return nil, errors.New("@every needs a duration of at least 1s")
	}
	return cron.Every(d), nil
}

// dueLayouts are the local-time forms a deadline may take besides RFC 3339.
var dueLayouts = []string{
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseDue parses when a deadline falls: RFC 3339 with its own offset
// ("2025-09-02T23:59:00-04:00"), or a wall-clock time in loc (UTC when nil):
// "2025-09-02 18:00", "2025-09-02 18:00:30" or a bare date "2025-09-02",
// which means the start of that day. Chat's `deadline add` uses it too.
func ParseDue(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range dueLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New(`expected RFC 3339 ("2025-09-02T23:59:00-04:00"), "2025-09-02 18:00" or "2025-09-02"`)
}
