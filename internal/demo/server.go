package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// shutdownGrace bounds how long stop waits for requests in flight before it
// closes their connections: a demo must quit promptly on Ctrl-C.
const shutdownGrace = 5 * time.Second

// Option adjusts Serve.
type Option func(*options)

type options struct {
	logger *slog.Logger
}

// WithLogger sends the server's own errors (a failed accept, a request that
// could not be read) to logger rather than to slog.Default().
func WithLogger(logger *slog.Logger) Option {
	return func(o *options) {
		if logger != nil {
			o.logger = logger
		}
	}
}

// Serve starts an HTTP server on a free loopback port that serves the sample
// feeds at Paths(), with every date moved so that the newest item was
// published a few minutes before now(). The dates are moved once, here, so
// each feed keeps one ETag and Last-Modified for the life of the server and a
// repeated conditional poll gets 304 Not Modified, as from a real feed.
//
// baseURL has no trailing slash ("http://127.0.0.1:PORT"); append a path to
// get a feed URL. stop shuts the server down, waits for its goroutines and
// may be called more than once; cancelling ctx shuts it down too, but only
// stop waits.
func Serve(ctx context.Context, now func() time.Time, opts ...Option) (baseURL string, stop func(), err error) {
	s, err := start(ctx, now, opts...)
	if err != nil {
		return "", nil, err
	}
	return s.baseURL, s.stop, nil
}

// server is a running demo feed server.
type server struct {
	baseURL string
	done    chan struct{} // closed when http.Server.Serve has returned
	wg      sync.WaitGroup
	stop    func()
}

func start(ctx context.Context, now func() time.Time, opts ...Option) (*server, error) {
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if now == nil {
		now = time.Now
	}
	feeds, err := render(now())
	if err != nil {
		return nil, fmt.Errorf("demo feeds: %w", err)
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo feed server: listen on loopback: %w", err)
	}
	addr := ln.Addr().String()
	logger := o.logger.With("addr", addr)

	srv := &http.Server{
		Handler:           newHandler(feeds, logger),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s := &server{baseURL: "http://" + addr, done: make(chan struct{})}

	var once sync.Once
	shutdown := func() {
		once.Do(func() {
			// The parent may already be cancelled (that is one way to get
			// here), yet requests in flight still deserve the grace period.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				logger.Warn("demo feed server: graceful shutdown cut short", "err", err)
				if err := srv.Close(); err != nil {
					logger.Warn("demo feed server: close", "err", err)
				}
			}
		})
	}
	s.stop = func() {
		shutdown()
		s.wg.Wait()
	}

	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		defer close(s.done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("demo feed server stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			shutdown()
		case <-s.done:
		}
	}()
	return s, nil
}

// newHandler answers GET and HEAD for each feed path, and lists the feeds at
// "/" so that someone who opens the base URL in a browser sees what is there.
func newHandler(feeds []servedFeed, logger *slog.Logger) http.Handler {
	byPath := make(map[string]*servedFeed, len(feeds))
	var index strings.Builder
	index.WriteString("feedwatch demo: sample feeds (fictional outlets)\n\n")
	for i := range feeds {
		f := &feeds[i]
		byPath[f.path] = f
		fmt.Fprintf(&index, "%-22s %s\n", f.name, f.path)
	}
	indexText := index.String()

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			if r.Method == http.MethodHead {
				return
			}
			if _, err := io.WriteString(w, indexText); err != nil {
				logger.Debug("demo feed server: write index", "err", err)
			}
			return
		}
		f, ok := byPath[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("ETag", f.etag)
		// Pollers should revalidate every time; the demo answers with 304.
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "", f.modTime, bytes.NewReader(f.body))
	})
}
