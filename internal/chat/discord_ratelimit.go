package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// globalGate holds back every request of a Discord session while Discord's
// global rate limit is in force. A 429 for the global limit (header
// X-RateLimit-Global or X-RateLimit-Scope: global, or "global": true in the
// body) says no request of this bot may reach Discord before retry_after;
// the outbox then waits per channel, but another channel's sender, unaware,
// would call at once and be refused again (and Discord bans bots that keep
// doing so). discordgo only honours a global limit when Discord also sends
// X-RateLimit-Reset-After, and then sleeps without a context; so the gate
// lives in the session's transport and answers in Discord's place until the
// time, with a 429 of the same shape, which the dispatcher turns into a
// wait like any other rate limit. Nil is a gate that never closes.
type globalGate struct {
	now   func() time.Time
	mu    sync.Mutex
	until time.Time
}

func newGlobalGate() *globalGate { return &globalGate{now: time.Now} }

// remaining is how long requests must still be held back; 0 lets them go.
func (g *globalGate) remaining() time.Duration {
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if d := g.until.Sub(g.now()); d > 0 {
		return d
	}
	return 0
}

// observe closes the gate when resp is a 429 for the global limit. The body
// is read to learn so, and put back for discordgo.
func (g *globalGate) observe(resp *http.Response) {
	if g == nil || resp.StatusCode != http.StatusTooManyRequests {
		return
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	var js struct {
		RetryAfter *float64 `json:"retry_after"`
		Global     bool     `json:"global"`
	}
	_ = json.Unmarshal(body, &js)
	h := resp.Header
	global := js.Global || strings.EqualFold(h.Get("X-RateLimit-Scope"), "global") ||
		(h.Get("X-RateLimit-Global") != "" && !strings.EqualFold(h.Get("X-RateLimit-Global"), "false"))
	if !global {
		return
	}
	var wait time.Duration
	ok := false
	if js.RetryAfter != nil {
		wait, ok = secondsDuration(*js.RetryAfter)
	}
	if !ok {
		wait, ok = parseRetryAfter(h.Get("Retry-After"), g.now())
	}
	if !ok {
		wait = time.Second // a global limit without its time: a second's pause is the least
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := g.now().Add(wait); until.After(g.until) {
		g.until = until
	}
}

// globalRefusal is the answer to a request held back by the gate, wait
// before it opens: a global 429 as Discord words it, its retry_after rounded
// up to the millisecond (discordgo reads it to the millisecond, and rounding
// down would bring the retry back a moment too early).
func globalRefusal(req *http.Request, wait time.Duration) *http.Response {
	if req.Body != nil {
		req.Body.Close() // a RoundTripper closes the body even when it does not send it
	}
	ms := (wait + time.Millisecond - 1) / time.Millisecond
	body := fmt.Sprintf(`{"message":"global rate limit in force: request not sent","retry_after":%d.%03d,"global":true}`, ms/1000, ms%1000)
	return &http.Response{
		Status:     "429 Too Many Requests",
		StatusCode: http.StatusTooManyRequests,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":       {"application/json"},
			"Retry-After":        {strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10)},
			"X-Ratelimit-Global": {"true"},
			"X-Ratelimit-Scope":  {"global"},
		},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
