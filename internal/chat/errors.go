package chat

import (
	"context"
	"errors"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SendError is how a Notifier reports a failed send, classified so that the
// dispatcher knows whether to try again and when. Its message never holds a
// token or a webhook URL.
type SendError struct {
	// Permanent means retrying the same message cannot succeed (bad token,
	// unknown or archived channel, a payload the platform refuses).
	Permanent bool
	// RetryAfter is how long the platform asked us to wait (429); 0 = not said.
	RetryAfter time.Duration
	// Status is the HTTP status of the response, 0 when there was none.
	Status int
	// Err says what went wrong.
	Err error
}

// Error returns the description of the failure.
func (e *SendError) Error() string {
	if e.Err == nil {
		return "send failed"
	}
	return e.Err.Error()
}

// Unwrap returns the underlying error (context errors stay detectable).
func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a SendError that retrying cannot fix.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// RetryAfter returns how long the platform asked to wait before the next
// attempt, if err carries such a request.
func RetryAfter(err error) (time.Duration, bool) {
	var se *SendError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		return se.RetryAfter, true
	}
	return 0, false
}

// permanentStatus reports whether an HTTP status means the request will never
// succeed as it is: a client error, except a timeout (408), too early (425)
// and too many requests (429).
func permanentStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return code >= 400 && code < 500
}

// statusError is the SendError for an HTTP failure status.
func statusError(code int, retryAfter time.Duration, err error) *SendError {
	return &SendError{Permanent: permanentStatus(code), RetryAfter: retryAfter, Status: code, Err: err}
}

// parseRetryAfter reads a Retry-After header: delay seconds (Slack and
// Discord send whole or fractional seconds) or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		return secondsDuration(secs)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, false
	}
	return 0, false
}

// secondsDuration converts a count of seconds from a platform into a
// duration, refusing nonsense (negative, NaN, beyond a day).
func secondsDuration(secs float64) (time.Duration, bool) {
	if math.IsNaN(secs) || secs <= 0 || secs > 24*3600 {
		return 0, false
	}
	return time.Duration(math.Ceil(secs * float64(time.Second))), true
}

// redacted replaces secrets in error text.
const redacted = "[redacted]"

// slackTokenRE matches Slack tokens (bot, user, app-level, config).
var slackTokenRE = regexp.MustCompile(`xox[a-z]-[0-9A-Za-z-]+|xapp-[0-9A-Za-z-]+`)

// scrub returns an error with err's message minus every secret and Slack
// token. It deliberately does not wrap err, whose chain may hold requests
// carrying credentials (discordgo's RESTError holds the request and its
// Authorization header); only context cancellation stays detectable.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: scrubText(err.Error(), secrets...), cause: contextCause(err)}
}

// scrubText removes every secret (longest first, so a URL goes before its
// path) and every Slack token from s.
func scrubText(s string, secrets ...string) string {
	ordered := make([]string, 0, len(secrets))
	for _, sec := range secrets {
		if len(sec) >= 4 { // shorter strings would blank out ordinary words
			ordered = append(ordered, sec)
		}
	}
	for i := 1; i < len(ordered); i++ {
		for j := i; j > 0 && len(ordered[j]) > len(ordered[j-1]); j-- {
			ordered[j], ordered[j-1] = ordered[j-1], ordered[j]
		}
	}
	for _, sec := range ordered {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	return slackTokenRE.ReplaceAllString(s, redacted)
}

func contextCause(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	return nil
}

type scrubbedError struct {
	msg   string
	cause error
}

// Error returns the scrubbed message.
func (e *scrubbedError) Error() string { return e.msg }

// Unwrap exposes only a context cancellation, never the original chain.
func (e *scrubbedError) Unwrap() error { return e.cause }

// safeCode keeps an error code from a response only when it looks like one
// (lower-case letters, digits, underscores; Slack's "channel_not_found"), so
// a response that echoes a token or anything else back cannot put it into
// our error text.
func safeCode(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return "unexpected_response"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return "unexpected_response"
		}
	}
	return s
}

// snippet is a short, single-line piece of a response body for an error
// message, with secrets removed.
func snippet(body string, secrets ...string) string {
	return fitText(cleanLine(scrubText(body, secrets...)), plain, 200)
}
