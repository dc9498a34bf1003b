package chat

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// reply is what a fake platform server answers.
type reply struct {
	status int
	header map[string]string
	body   string
}

// seenRequest is one request a fake server received.
type seenRequest struct {
	method, path, rawQuery string
	header                 http.Header
	body                   []byte
}

// fakeServer is an httptest server that records requests and answers each
// with the next scripted reply (the last one repeats).
type fakeServer struct {
	*httptest.Server
	mu      sync.Mutex
	replies []reply
	seen    []seenRequest
}

func newFakeServer(t *testing.T, replies ...reply) *fakeServer {
	t.Helper()
	f := &fakeServer{replies: replies}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, header: r.Header.Clone(), body: body})
		rep := f.replies[min(len(f.seen), len(f.replies))-1]
		f.mu.Unlock()
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(f.Close)
	return f
}

// setReplies replaces the script (for replies that depend on the URL).
func (f *fakeServer) setReplies(replies ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies = replies
}

func (f *fakeServer) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// closedURL is the address of a server that is no longer listening.
func closedURL(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL
	s.Close()
	return u
}

// wantClass is the expected classification of a send error.
type wantClass struct {
	permanent  bool
	retryAfter float64 // seconds; 0 = none
	status     int
}

func checkClass(t *testing.T, err error, want wantClass) {
	t.Helper()
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	var se *SendError
	if !asSendError(err, &se) {
		t.Fatalf("error %v is not a *SendError", err)
	}
	if IsPermanent(err) != want.permanent {
		t.Errorf("IsPermanent(%v) = %v, want %v", err, IsPermanent(err), want.permanent)
	}
	ra, ok := RetryAfter(err)
	if ok != (want.retryAfter > 0) || ra.Seconds() != want.retryAfter {
		t.Errorf("RetryAfter(%v) = %v, %v; want %vs", err, ra, ok, want.retryAfter)
	}
	if se.Status != want.status {
		t.Errorf("Status = %d, want %d (%v)", se.Status, want.status, err)
	}
}

func asSendError(err error, target **SendError) bool { return errors.As(err, target) }
