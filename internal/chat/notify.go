package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Notifier sends one queued message to one chat destination. A message too
// big for the platform is split and its parts sent in order; should a later
// part fail, a retry sends the earlier ones again (on the Discord API the
// nonce suppresses those doubles for a few minutes), so callers should Split
// before queueing and queue each part on its own. Errors are *SendError
// values (see IsPermanent and RetryAfter).
type Notifier interface {
	Send(ctx context.Context, m news.OutboxMessage) error
}

// defaultHTTPTimeout bounds a request when no HTTP client is given; the
// context bounds it as well.
const defaultHTTPTimeout = 30 * time.Second

// maxResponse is as much of a response body as is read: enough for any
// error JSON, little enough that a hostile endpoint cannot exhaust memory.
const maxResponse = 64 << 10

func httpClient(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return &http.Client{Timeout: defaultHTTPTimeout}
}

// webhook posts JSON to a secret URL and classifies the outcome. name ("slack
// webhook") is what errors call it: the URL never appears in them.
type webhook struct {
	hc      *http.Client
	name    string
	url     string
	secrets []string // the URL and its parts, scrubbed from any error text
	now     func() time.Time
	// describe turns a failure response body into an error text and a
	// requested delay; it must not echo the body unfiltered.
	describe func(body []byte) (string, time.Duration)
}

// newWebhook prepares a webhook for raw, the configured URL, every part of
// which is treated as secret.
func newWebhook(hc *http.Client, name, raw string, now func() time.Time,
	describe func([]byte) (string, time.Duration)) webhook {
	secrets := []string{raw}
	if u, err := url.Parse(raw); err == nil {
		secrets = append(secrets, u.String(), u.Path, u.EscapedPath(), u.RawQuery)
		for _, seg := range strings.Split(u.Path, "/") {
			if len(seg) >= 16 { // ids and tokens; short segments ("api", "services") are not secret
				secrets = append(secrets, seg)
			}
		}
	}
	// A webhook that redirects is misconfigured, and following the redirect
	// would turn the POST into a GET whose 200 looks like success.
	c := *httpClient(hc)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return webhook{hc: &c, name: name, url: raw, secrets: secrets, now: now, describe: describe}
}

// post sends body to target (the configured URL, perhaps with query
// parameters added) and returns nil on a 2xx answer, else a *SendError that
// does not show the URL.
func (w webhook) post(ctx context.Context, target string, body any) error {
	_, err := w.do(ctx, http.MethodPost, target, body)
	return err
}

// do sends body to target with method and returns the answer's body on a
// 2xx answer, else a *SendError that does not show the URL.
func (w webhook) do(ctx context.Context, method, target string, body any) ([]byte, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &SendError{Permanent: true, Err: fmt.Errorf("%s: the configured URL is not a valid http(s) URL", w.name)}
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, &SendError{Permanent: true, Err: fmt.Errorf("%s: encode payload: %w", w.name, err)}
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(data))
	if err != nil {
		return nil, &SendError{Permanent: true, Err: fmt.Errorf("%s: build request: %w", w.name, scrub(err, w.secrets...))}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.hc.Do(req)
	if err != nil {
		return nil, &SendError{Err: fmt.Errorf("%s: %w", w.name, transportError(err, w.secrets...))}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return raw, nil
	}
	msg, retry := w.describe(raw)
	if retry == 0 && resp.StatusCode == http.StatusTooManyRequests {
		retry, _ = parseRetryAfter(resp.Header.Get("Retry-After"), w.now())
	}
	text := fmt.Sprintf("%s: HTTP %d", w.name, resp.StatusCode)
	if msg = scrubText(msg, w.secrets...); msg != "" {
		text += ": " + msg
	}
	se := statusError(resp.StatusCode, retry, errors.New(text))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		se.Permanent = true // see newWebhook: the configured URL is wrong
	}
	return nil, se
}

// transportError describes a failed round trip without its URL: *url.Error
// names the whole request URL, and for a webhook that is the secret.
func transportError(err error, secrets ...string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return scrub(fmt.Errorf("%s request: %w", ue.Op, ue.Err), secrets...)
	}
	return scrub(err, secrets...)
}

// Console prints messages to a terminal (or any writer) as plain text. Writes
// are serialized so that messages from several channels never interleave.
type Console struct {
	mu sync.Mutex
	w  io.Writer
	r  Renderer
}

// NewConsole returns a Console writing to w.
func NewConsole(w io.Writer, r Renderer) *Console { return &Console{w: w, r: r} }

// Send writes m and a blank line after it.
func (c *Console) Send(ctx context.Context, m news.OutboxMessage) error {
	if err := ctx.Err(); err != nil {
		return &SendError{Err: fmt.Errorf("console: %w", err)}
	}
	text := c.r.Console(m.Message) + "\n"
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, text); err != nil {
		return &SendError{Err: fmt.Errorf("console: write: %w", err)}
	}
	return nil
}
