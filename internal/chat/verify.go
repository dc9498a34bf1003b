package chat

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"
)

// VerifyWindow is how far a signed request's timestamp may be from now,
// either way: older is a replay, newer a forgery or a broken clock.
const VerifyWindow = 5 * time.Minute

// Body caps of the two endpoints: far above anything the platforms send,
// far below what could hurt.
const (
	// SlackMaxBody caps a slash command request (a form of a few hundred
	// bytes; the text is at most a few thousand).
	SlackMaxBody = 64 << 10
	// DiscordMaxBody caps an interaction (JSON with the member, resolved
	// users and roles).
	DiscordMaxBody = 1 << 20
)

// Verification failures. None of them says more than this to the caller.
var (
	errTooLarge   = errors.New("request body too large")
	errSignature  = errors.New("bad signature")
	errStale      = errors.New("timestamp outside the replay window")
	errReplayed   = errors.New("request already seen")
	errNoHeaders  = errors.New("missing signature headers")
	errBadRequest = errors.New("malformed request")
)

// readBody reads a request body of at most max bytes; a larger one is
// errTooLarge, with nothing read past the cap.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, fmt.Errorf("%w: read body: %v", errBadRequest, err)
	}
	return body, nil
}

// checkTimestamp checks a Unix-seconds timestamp header against the window.
func checkTimestamp(value string, now time.Time) error {
	sec, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return errNoHeaders
	}
	if d := now.Sub(time.Unix(sec, 0)); d > VerifyWindow || d < -VerifyWindow {
		return errStale
	}
	return nil
}

// verifySlack checks Slack's v0 signature of body with slack-go's verifier
// (which also rejects timestamps more than five minutes from the system
// clock, in either direction) and the window against now, the handler's
// clock, which is the system clock outside tests.
func verifySlack(header http.Header, body []byte, secret string, now time.Time) error {
	if secret == "" {
		return errSignature
	}
	if header.Get("X-Slack-Signature") == "" || header.Get("X-Slack-Request-Timestamp") == "" {
		return errNoHeaders
	}
	sv, err := slack.NewSecretsVerifier(header, secret)
	if err != nil {
		if errors.Is(err, slack.ErrExpiredTimestamp) {
			return errStale
		}
		return errSignature
	}
	if err := checkTimestamp(header.Get("X-Slack-Request-Timestamp"), now); err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return errSignature
	}
	if err := sv.Ensure(); err != nil {
		return errSignature
	}
	return nil
}

// verifyDiscord checks Discord's Ed25519 signature of body with discordgo
// and that the signed timestamp is within the window of now: Discord signs
// the timestamp but discordgo does not look at it, so without this check a
// captured interaction could be replayed forever.
func verifyDiscord(r *http.Request, body []byte, key ed25519.PublicKey, now time.Time) error {
	if len(key) != ed25519.PublicKeySize {
		return errSignature
	}
	if r.Header.Get("X-Signature-Ed25519") == "" || r.Header.Get("X-Signature-Timestamp") == "" {
		return errNoHeaders
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !discordgo.VerifyInteraction(r, key) {
		return errSignature
	}
	return checkTimestamp(r.Header.Get("X-Signature-Timestamp"), now)
}

// SignSlack signs body as Slack signs a request at ts: it returns the
// X-Slack-Signature ("v0=" and the hex HMAC-SHA256 of "v0:ts:body" keyed with
// the signing secret) and X-Slack-Request-Timestamp values. feedwatch only
// verifies; this is for tests and acceptance tools that play Slack.
func SignSlack(secret string, ts time.Time, body []byte) (signature, timestamp string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil)), timestamp
}

// SignDiscord signs body as Discord signs an interaction at ts: it returns
// the X-Signature-Ed25519 (hex Ed25519 signature of timestamp then body) and
// X-Signature-Timestamp values. For tests and acceptance tools that play
// Discord.
func SignDiscord(key ed25519.PrivateKey, ts time.Time, body []byte) (signature, timestamp string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	return hex.EncodeToString(ed25519.Sign(key, append([]byte(timestamp), body...))), timestamp
}

// ParseDiscordPublicKey decodes the hex Ed25519 key of a Discord application.
func ParseDiscordPublicKey(hexKey string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(hexKey)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("discord public key: must be 64 hexadecimal characters")
	}
	return ed25519.PublicKey(b), nil
}

// replayGuardMax bounds the signatures remembered: far more than the
// commands a team sends in ten minutes, and entries are only added for
// correctly signed requests, so an attacker cannot fill it.
const replayGuardMax = 100_000

// replayGuard remembers the signatures of accepted requests for twice the
// window, so that a captured request sent again while its timestamp is still
// fresh is refused. Slack and Discord never send the same request twice
// (each carries a unique trigger or interaction id), so nothing legitimate
// is refused. With several replicas a replay could reach another one; each
// remembers what it saw.
type replayGuard struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	order []replayEntry // in insertion order, so expiry is from the front
}

type replayEntry struct {
	key     string
	expires time.Time
}

// first records key and reports whether it was not seen before. Keys are
// signatures in hex, which both platforms' verifiers decode whatever the
// case of its letters: a replay with the signature upper-cased is the same
// request, so keys are compared in lower case.
func (g *replayGuard) first(key string, now time.Time) bool {
	key = strings.ToLower(key)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]time.Time{}
	}
	for len(g.order) > 0 && (len(g.order) >= replayGuardMax || !g.order[0].expires.After(now)) {
		delete(g.seen, g.order[0].key)
		g.order = g.order[1:]
	}
	if exp, ok := g.seen[key]; ok && exp.After(now) {
		return false
	}
	exp := now.Add(2 * VerifyWindow)
	g.seen[key] = exp
	g.order = append(g.order, replayEntry{key, exp})
	return true
}

// statusOf is the HTTP status a verification failure is answered with:
// 413 for a body over the cap, 400 for one that could not be read, 401 for
// everything about signatures.
func statusOf(err error) int {
	switch {
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	default:
		return http.StatusUnauthorized
	}
}
