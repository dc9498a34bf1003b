package feeds

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter bounds how long a server's Retry-After can hold a feed back.
// A misconfigured or hostile server could otherwise silence a feed for years
// with one header; a day is long enough to honour any real maintenance window.
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter parses an HTTP Retry-After value in either of its forms, a
// number of seconds or an HTTP date, into the time before which the server
// asks not to be contacted again. A date in the past yields now (retry at
// once); a delay beyond MaxRetryAfter is clamped to it. ok is false when v is
// empty or in neither form.
func ParseRetryAfter(v string, now time.Time) (t time.Time, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(MaxRetryAfter/time.Second) {
			// Only an overflowing run of digits fails to parse: clamp it too.
			return now.Add(MaxRetryAfter), true
		}
		return now.Add(time.Duration(secs) * time.Second), true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	switch {
	case at.Before(now):
		return now, true
	case at.Sub(now) > MaxRetryAfter:
		return now.Add(MaxRetryAfter), true
	}
	return at.UTC(), true
}

// isDigits reports whether s is a non-empty run of ASCII digits; strconv alone
// would also accept a sign, which Retry-After does not allow.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Backoff is how long to wait before polling a feed again after failures
// consecutive failed polls: nothing for none, then one minute doubling with
// each further failure (1m, 2m, 4m, … 4h16m) up to a cap of six hours, reached
// at the tenth failure. It has no jitter so that schedules are deterministic
// and testable; feeds fail at independent times, so their retries do not
// bunch up anyway.
func Backoff(failures int) time.Duration {
	const (
		first = time.Minute
		limit = 6 * time.Hour
	)
	if failures <= 0 {
		return 0
	}
	d := first
	for i := 1; i < failures; i++ {
		d *= 2
		if d >= limit {
			return limit
		}
	}
	return d
}
