package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// secretQuery is appended to request URLs of failing fetches: it must never
// show up in an error.
const secretQuery = "?token=SECRET-TOKEN"

var fixedNow = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

// testFetcher returns a Fetcher allowed to reach loopback test servers.
func testFetcher(t *testing.T, o FetchOptions) *Fetcher {
	t.Helper()
	o.AllowPrivate = true
	if o.Now == nil {
		o.Now = func() time.Time { return fixedNow }
	}
	f := NewFetcher(o)
	t.Cleanup(f.Close)
	return f
}

func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error leaks the URL query: %v", err)
	}
}

func TestFetchRequestHeaders(t *testing.T) {
	tests := []struct {
		name             string
		req              Request
		wantIfNoneMatch  string
		wantIfModifiedSn string
	}{
		{name: "first fetch sends no validators", req: Request{}},
		{name: "etag only", req: Request{ETag: `"abc"`}, wantIfNoneMatch: `"abc"`},
		{name: "last-modified only", req: Request{LastModified: "Mon, 01 Sep 2025 10:00:00 GMT"}, wantIfModifiedSn: "Mon, 01 Sep 2025 10:00:00 GMT"},
		{name: "both validators", req: Request{ETag: `W/"x1"`, LastModified: "Sun, 31 Aug 2025 09:00:00 GMT"}, wantIfNoneMatch: `W/"x1"`, wantIfModifiedSn: "Sun, 31 Aug 2025 09:00:00 GMT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Clone()
				w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
				w.Header().Set("ETag", `"new"`)
				w.Header().Set("Last-Modified", "Mon, 01 Sep 2025 11:00:00 GMT")
				fmt.Fprint(w, "<rss/>")
			}))
			defer srv.Close()
			f := testFetcher(t, FetchOptions{UserAgent: "feedwatch-test/1.0"})
			tc.req.URL = srv.URL + "/feed"
			resp, err := f.Fetch(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			checks := map[string]string{
				"User-Agent":        "feedwatch-test/1.0",
				"Accept-Encoding":   "gzip",
				"If-None-Match":     tc.wantIfNoneMatch,
				"If-Modified-Since": tc.wantIfModifiedSn,
			}
			for h, want := range checks {
				if v := got.Get(h); v != want {
					t.Errorf("header %s = %q, want %q", h, v, want)
				}
			}
			if a := got.Get("Accept"); !strings.Contains(a, "application/rss+xml") || !strings.Contains(a, "application/atom+xml") || !strings.Contains(a, "application/feed+json") {
				t.Errorf("Accept = %q, want the feed media types", a)
			}
			want := Response{Body: []byte("<rss/>"), ETag: `"new"`, LastModified: "Mon, 01 Sep 2025 11:00:00 GMT",
				ContentType: "application/rss+xml; charset=utf-8", FinalURL: srv.URL + "/feed"}
			if resp.NotModified || !bytes.Equal(resp.Body, want.Body) || resp.ETag != want.ETag ||
				resp.LastModified != want.LastModified || resp.ContentType != want.ContentType || resp.FinalURL != want.FinalURL {
				t.Errorf("response = %+v, want %+v", *resp, want)
			}
		})
	}
}

func TestFetchNotModified(t *testing.T) {
	tests := []struct {
		name     string
		respETag string // sent with the 304, "" = none
		wantETag string
	}{
		{name: "304 without validators keeps the request's", wantETag: `"v1"`},
		{name: "304 with a new etag returns it", respETag: `"v2"`, wantETag: `"v2"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("If-None-Match") != `"v1"` {
					t.Errorf("If-None-Match = %q", r.Header.Get("If-None-Match"))
				}
				if tc.respETag != "" {
					w.Header().Set("ETag", tc.respETag)
				}
				w.WriteHeader(http.StatusNotModified)
			}))
			defer srv.Close()
			f := testFetcher(t, FetchOptions{})
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL, ETag: `"v1"`, LastModified: "Mon, 01 Sep 2025 10:00:00 GMT"})
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if !resp.NotModified || resp.Body != nil {
				t.Fatalf("NotModified = %v, body = %q; want 304 and no body", resp.NotModified, resp.Body)
			}
			if resp.ETag != tc.wantETag || resp.LastModified != "Mon, 01 Sep 2025 10:00:00 GMT" {
				t.Errorf("validators = %q, %q", resp.ETag, resp.LastModified)
			}
		})
	}
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetchBodyCap(t *testing.T) {
	const limit = 64 << 10
	small := bytes.Repeat([]byte("<item>feed</item>"), 100)
	huge := bytes.Repeat([]byte("a"), 1<<20) // inflates to 16 times the cap
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    []byte // nil: want ErrTooLarge
	}{
		{
			name: "gzip body within the cap is decompressed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gzipped(t, small))
			},
			want: small,
		},
		{
			name: "gzip body that inflates past the cap",
			handler: func(w http.ResponseWriter, r *http.Request) {
				gz := gzipped(t, huge)
				if len(gz) >= limit {
					t.Errorf("compressed body is %d bytes; the test needs it under the cap", len(gz))
				}
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gz)
			},
		},
		{
			name: "announced length past the cap",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(limit+1))
				w.Write(bytes.Repeat([]byte("b"), limit+1))
			},
		},
		{
			name: "chunked body past the cap",
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 4 {
					w.Write(bytes.Repeat([]byte("c"), limit/2))
					w.(http.Flusher).Flush()
				}
			},
		},
		{
			name: "body of exactly the cap",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write(bytes.Repeat([]byte("d"), limit))
			},
			want: bytes.Repeat([]byte("d"), limit),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			f := testFetcher(t, FetchOptions{MaxBody: limit})
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + secretQuery})
			assertNoSecret(t, err)
			if tc.want == nil {
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("err = %v, want ErrTooLarge", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if !bytes.Equal(resp.Body, tc.want) {
				t.Errorf("body is %d bytes, want %d", len(resp.Body), len(tc.want))
			}
		})
	}
}

func TestFetchTimeout(t *testing.T) {
	tests := []struct {
		name        string
		sendHeaders bool
	}{
		{name: "headers sent then body stalls", sendHeaders: true},
		{name: "no headers at all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.sendHeaders {
					w.Header().Set("Content-Type", "application/rss+xml")
					w.WriteHeader(http.StatusOK)
					fmt.Fprint(w, "<rss>")
					w.(http.Flusher).Flush()
				}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			defer srv.Close()
			defer close(release)
			f := testFetcher(t, FetchOptions{Timeout: 100 * time.Millisecond})
			_, err := f.Fetch(context.Background(), Request{URL: srv.URL + secretQuery})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want a deadline error", err)
			}
			if !strings.Contains(err.Error(), "timed out") {
				t.Errorf("err = %v, want it to say it timed out", err)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestFetchParentContextCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("request sent although the context was cancelled")
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := testFetcher(t, FetchOptions{}).Fetch(ctx, Request{URL: srv.URL})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestFetchRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/loop/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/b", http.StatusFound) })
	mux.HandleFunc("/loop/b", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop/a", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			fmt.Fprint(w, "arrived")
			return
		}
		http.Redirect(w, r, "/chain/"+strconv.Itoa(n-1), http.StatusFound)
	})
	mux.HandleFunc("/ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.org/feed", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name      string
		path      string
		wantErr   error
		wantFinal string
	}{
		{name: "three redirects are followed", path: "/chain/3", wantFinal: "/chain/0"},
		{name: "ten redirects are followed", path: "/chain/10", wantFinal: "/chain/0"},
		{name: "eleven redirects are too many", path: "/chain/11", wantErr: ErrTooManyRedirects},
		{name: "a loop is an error", path: "/loop/a", wantErr: ErrRedirectLoop},
		{name: "redirect to another scheme", path: "/ftp", wantErr: ErrUnsupportedScheme},
	}
	f := testFetcher(t, FetchOptions{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + tc.path + secretQuery})
			assertNoSecret(t, err)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if resp.FinalURL != srv.URL+tc.wantFinal || string(resp.Body) != "arrived" {
				t.Errorf("final URL %q body %q", resp.FinalURL, resp.Body)
			}
		})
	}
}

func TestFetchPrivateAddressGuard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<rss/>")
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	tests := []struct {
		name         string
		allowPrivate bool
		url          string
		wantInError  string // "" = success expected
	}{
		{name: "loopback refused by default", url: srv.URL + "/feed" + secretQuery, wantInError: "127.0.0.1"},
		{name: "a name resolving to loopback is refused after DNS", url: "http://localhost:" + port + "/feed" + secretQuery, wantInError: "localhost resolves to"},
		{name: "loopback allowed with AllowPrivate", allowPrivate: true, url: srv.URL + "/feed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFetcher(FetchOptions{AllowPrivate: tc.allowPrivate})
			defer f.Close()
			resp, err := f.Fetch(context.Background(), Request{URL: tc.url})
			if tc.wantInError == "" {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if string(resp.Body) != "<rss/>" {
					t.Errorf("body = %q", resp.Body)
				}
				return
			}
			if !errors.Is(err, ErrPrivateAddress) {
				t.Fatalf("err = %v, want ErrPrivateAddress", err)
			}
			if !strings.Contains(err.Error(), tc.wantInError) {
				t.Errorf("err = %v, want it to name %q", err, tc.wantInError)
			}
			assertNoSecret(t, err)
		})
	}
}

// TestFetchGuardAppliesToRedirects proves the dial-time check sees every hop:
// the policy admits only the test server's address, and the server redirects
// to another loopback address (127.0.0.2), which stands for any private one.
// The refusal happens before connect(2), so nothing is sent there.
func TestFetchGuardAppliesToRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, port, _ := net.SplitHostPort(r.Host)
		http.Redirect(w, r, "http://127.0.0.2:"+port+"/internal"+secretQuery, http.StatusFound)
	}))
	defer srv.Close()
	allowed := netip.MustParseAddr("127.0.0.1")
	var checked atomic.Int32
	f := newFetcher(FetchOptions{}, func(a netip.Addr) bool {
		checked.Add(1)
		return a == allowed
	})
	defer f.Close()
	_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/feed"})
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("err = %v, want ErrPrivateAddress", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.2") {
		t.Errorf("err = %v, want it to name the refused host", err)
	}
	assertNoSecret(t, err)
	if checked.Load() < 2 {
		t.Errorf("address policy consulted %d times, want once per hop", checked.Load())
	}
}

func TestFetchStatusErrors(t *testing.T) {
	httpDate := fixedNow.Add(90 * time.Second).Format(http.TimeFormat)
	tests := []struct {
		name       string
		code       int
		retryAfter string
		wantRetry  time.Time
	}{
		{name: "429 with seconds", code: 429, retryAfter: "120", wantRetry: fixedNow.Add(120 * time.Second)},
		{name: "503 with an HTTP date", code: 503, retryAfter: httpDate, wantRetry: fixedNow.Add(90 * time.Second)},
		{name: "429 with seconds beyond the cap", code: 429, retryAfter: "99999999", wantRetry: fixedNow.Add(MaxRetryAfter)},
		{name: "503 without Retry-After", code: 503},
		{name: "429 with garbage Retry-After", code: 429, retryAfter: "soon"},
		{name: "500 ignores Retry-After", code: 500, retryAfter: "60"},
		{name: "404", code: 404},
		{name: "410 gone", code: 410},
		{name: "300 without a Location", code: 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.code)
				fmt.Fprint(w, "nope")
			}))
			defer srv.Close()
			_, err := testFetcher(t, FetchOptions{}).Fetch(context.Background(), Request{URL: srv.URL + secretQuery})
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *StatusError", err)
			}
			if se.Code != tc.code {
				t.Errorf("Code = %d, want %d", se.Code, tc.code)
			}
			if !se.RetryAfter.Equal(tc.wantRetry) {
				t.Errorf("RetryAfter = %v, want %v", se.RetryAfter, tc.wantRetry)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tc.code)) {
				t.Errorf("err = %v, want the status in it", err)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestFetchRejectsBadURLs(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		wantErr error
	}{
		{name: "ftp", url: "ftp://example.org/feed", wantErr: ErrUnsupportedScheme},
		{name: "file", url: "file:///etc/passwd", wantErr: ErrUnsupportedScheme},
		{name: "javascript", url: "javascript:alert(1)", wantErr: ErrUnsupportedScheme},
		{name: "no host", url: "http:///feed"},
		{name: "unparsable", url: "http://[::1"},
	}
	f := testFetcher(t, FetchOptions{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), Request{URL: tc.url})
			if err == nil {
				t.Fatal("want an error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestFetchReusesConnections(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<rss/>")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	f := testFetcher(t, FetchOptions{})
	for i := range 5 {
		if _, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/feed" + strconv.Itoa(i)}); err != nil {
			t.Fatalf("Fetch %d: %v", i, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 sequential fetches, want 1 (keep-alive)", n)
	}
}

func TestStatusErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  StatusError
		want string
	}{
		{name: "plain", err: StatusError{Code: 404}, want: "unexpected HTTP status 404 Not Found"},
		{name: "with retry", err: StatusError{Code: 429, RetryAfter: fixedNow}, want: "unexpected HTTP status 429 Too Many Requests (retry after 2025-09-01T12:00:00Z)"},
		{name: "unknown code", err: StatusError{Code: 599}, want: "unexpected HTTP status 599"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}
