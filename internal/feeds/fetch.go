package feeds

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by NewFetcher to zero FetchOptions fields.
const (
	DefaultTimeout         = 20 * time.Second
	DefaultMaxBody         = 10 << 20 // 10 MiB
	DefaultUserAgent       = "feedwatch (+https://github.com/feedwatch/feedwatch)"
	DefaultMaxConnsPerHost = 2
	maxRedirects           = 10
	acceptHeader           = "application/rss+xml, application/atom+xml, application/feed+json, " +
		"application/rdf+xml;q=0.9, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)

// Errors wrapped by Fetch so callers can tell failures apart with errors.Is.
var (
	// ErrTooLarge: the response body, after decompression, exceeded MaxBody.
	ErrTooLarge = errors.New("response body too large")
	// ErrTooManyRedirects: more than 10 redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrRedirectLoop: a redirect led back to a URL already visited.
	ErrRedirectLoop = errors.New("redirect loop")
	// ErrUnsupportedScheme: the URL (or a redirect) is not http or https.
	ErrUnsupportedScheme = errors.New("unsupported URL scheme")
)

// FetchOptions configure a Fetcher. Zero fields take the Default* values.
type FetchOptions struct {
	// Timeout bounds one whole request: connecting, TLS, headers and body.
	Timeout time.Duration
	// MaxBody caps the decompressed body; a larger one fails with ErrTooLarge.
	MaxBody int64
	// UserAgent is sent with every request.
	UserAgent string
	// AllowPrivate lets feeds live on loopback, private and link-local
	// addresses (a feed on the local network); off, such connections are
	// refused with ErrPrivateAddress.
	AllowPrivate bool
	// MaxConnsPerHost limits connections to one host at once, so polling many
	// feeds of one site does not hammer it.
	MaxConnsPerHost int
	// Now is the clock used to turn Retry-After into a time; nil = time.Now.
	Now func() time.Time
}

// Request is one conditional feed fetch: ETag and LastModified are the
// validators of the previous successful fetch ("" when none).
type Request struct {
	URL          string
	ETag         string
	LastModified string
}

// Response is the outcome of a successful fetch. When NotModified is set the
// server answered 304, Body is nil and ETag and LastModified are the
// validators to keep (the server's if it sent new ones, else the request's).
type Response struct {
	NotModified  bool
	Body         []byte
	ETag         string
	LastModified string
	ContentType  string
	// FinalURL is where the feed was found after redirects; relative links in
	// it resolve against this URL.
	FinalURL string
}

// StatusError is the error of a fetch answered with a status other than 2xx
// or 304.
type StatusError struct {
	Code int
	// RetryAfter is when the server asked to be contacted again (429 and 503
	// only); zero if it did not say.
	RetryAfter time.Time
}

// Error implements error.
func (e *StatusError) Error() string {
	msg := "unexpected HTTP status " + strconv.Itoa(e.Code)
	if t := http.StatusText(e.Code); t != "" {
		msg += " " + t
	}
	if !e.RetryAfter.IsZero() {
		msg += " (retry after " + e.RetryAfter.UTC().Format(time.RFC3339) + ")"
	}
	return msg
}

// Fetcher fetches feeds over HTTP. It is safe for concurrent use and shares
// one connection pool across all feeds, so keep one per process.
type Fetcher struct {
	client    *http.Client
	transport *http.Transport
	timeout   time.Duration
	maxBody   int64
	userAgent string
	now       func() time.Time
}

// NewFetcher returns a Fetcher with a tuned transport: connections are kept
// alive and reused, at most MaxConnsPerHost go to one host at once, TLS
// handshakes and response headers are bounded, and unless AllowPrivate every
// connection, redirects included, is checked against non-public addresses.
func NewFetcher(o FetchOptions) *Fetcher {
	allow := isPublicAddr
	if o.AllowPrivate {
		allow = func(netip.Addr) bool { return true }
	}
	return newFetcher(o, allow)
}

// newFetcher lets tests substitute the address policy, to prove that the
// guard sees every redirect hop without reaching beyond loopback.
func newFetcher(o FetchOptions, allow func(netip.Addr) bool) *Fetcher {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dialer := &net.Dialer{Timeout: min(o.Timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		// No proxy from the environment: the address guard would then judge
		// the proxy instead of the feed's host.
		Proxy:                  nil,
		DialContext:            guardedDialContext(dialer, allow),
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    min(o.Timeout, 10*time.Second),
		ResponseHeaderTimeout:  o.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    o.MaxConnsPerHost,
		MaxConnsPerHost:        o.MaxConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Fetcher{
		client:    &http.Client{Transport: tr, CheckRedirect: checkRedirect},
		transport: tr,
		timeout:   o.Timeout,
		maxBody:   o.MaxBody,
		userAgent: o.UserAgent,
		now:       o.Now,
	}
}

// Close releases idle connections. The Fetcher stays usable.
func (f *Fetcher) Close() {
	f.transport.CloseIdleConnections()
}

// checkRedirect allows at most maxRedirects hops over http(s) and refuses a
// hop back to a URL already visited, which would only loop until the limit.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if !httpScheme(req.URL.Scheme) {
		return fmt.Errorf("%w %q in redirect", ErrUnsupportedScheme, req.URL.Scheme)
	}
	if len(via) > maxRedirects { // via holds one request per redirect so far
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, maxRedirects)
	}
	next := req.URL.String()
	for _, prev := range via {
		if prev.URL.String() == next {
			return fmt.Errorf("%w at %s", ErrRedirectLoop, redactURL(req.URL))
		}
	}
	return nil
}

// Fetch performs one conditional GET of req.URL. It returns NotModified on a
// 304, the decompressed body on a 2xx, and an error otherwise: a *StatusError
// for other statuses, or one wrapping ErrTooLarge, ErrPrivateAddress,
// ErrTooManyRedirects, ErrRedirectLoop, ErrUnsupportedScheme or the context's
// error. Errors name the host only, never the URL's path or query.
func (f *Fetcher) Fetch(ctx context.Context, req Request) (*Response, error) {
	u, err := url.Parse(strings.TrimSpace(req.URL))
	if err != nil {
		return nil, errors.New("fetch: invalid URL")
	}
	if !httpScheme(u.Scheme) {
		return nil, fmt.Errorf("fetch %s: %w %q", redactURL(u), ErrUnsupportedScheme, u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("fetch: URL has no host")
	}
	where := redactURL(u)

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", where, err)
	}
	hreq.Header.Set("User-Agent", f.userAgent)
	hreq.Header.Set("Accept", acceptHeader)
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}
	// Accept-Encoding is left to the transport: it then asks for gzip and
	// decompresses transparently, so the size cap below counts inflated bytes.

	resp, err := f.client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", where, f.describe(ctx, err))
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotModified:
		drain(resp.Body)
		return &Response{
			NotModified:  true,
			ETag:         firstNonEmpty(resp.Header.Get("ETag"), req.ETag),
			LastModified: firstNonEmpty(resp.Header.Get("Last-Modified"), req.LastModified),
			ContentType:  resp.Header.Get("Content-Type"),
			FinalURL:     resp.Request.URL.String(),
		}, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		drain(resp.Body)
		se := &StatusError{Code: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			if t, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), f.now()); ok {
				se.RetryAfter = t
			}
		}
		return nil, fmt.Errorf("fetch %s: %w", where, se)
	}

	// The transport clears ContentLength when it decompresses, so this early
	// refusal only applies to bodies whose length is already their real size.
	if resp.ContentLength > f.maxBody {
		return nil, fmt.Errorf("fetch %s: %w: %d bytes announced, limit %d", where, ErrTooLarge, resp.ContentLength, f.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: read body: %w", where, f.describe(ctx, err))
	}
	if int64(len(body)) > f.maxBody {
		return nil, fmt.Errorf("fetch %s: %w: more than %d bytes", where, ErrTooLarge, f.maxBody)
	}
	return &Response{
		Body:         body,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		ContentType:  resp.Header.Get("Content-Type"),
		FinalURL:     resp.Request.URL.String(),
	}, nil
}

// describe turns a transport error into one that is safe to show and says
// what happened: *url.Error embeds the full URL (query included), so it is
// unwrapped, and a deadline is reported as the request timeout it is.
func (f *Fetcher) describe(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return fmt.Errorf("request timed out: %w", ctxErr)
		}
		return ctxErr
	}
	// The transport's own limits (ResponseHeaderTimeout equals the request
	// timeout) can fire a moment before the context's deadline.
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("request timed out: %w", err)
	}
	return err
}

// drain reads a little of an unwanted body so the connection can be reused;
// a large one is not worth reading and the connection is simply closed.
func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
}

// redactURL names a URL by scheme and host only: paths and queries of feed
// URLs can carry access tokens, and errors end up in logs and chat.
func redactURL(u *url.URL) string {
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}

func httpScheme(s string) bool {
	s = strings.ToLower(s)
	return s == "http" || s == "https"
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
