package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

func TestSendErrorHelpers(t *testing.T) {
	base := &SendError{Permanent: true, RetryAfter: 3 * time.Second, Status: 403, Err: errors.New("HTTP 403")}
	tests := []struct {
		name      string
		err       error
		permanent bool
		retry     time.Duration
	}{
		{"direct", base, true, 3 * time.Second},
		{"wrapped", fmt.Errorf("send: %w", base), true, 3 * time.Second},
		{"transient", &SendError{Err: errors.New("x")}, false, 0},
		{"plain error", errors.New("x"), false, 0},
		{"nil", nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tt.permanent)
			}
			d, ok := RetryAfter(tt.err)
			if d != tt.retry || ok != (tt.retry > 0) {
				t.Errorf("RetryAfter = %v, %v; want %v", d, ok, tt.retry)
			}
		})
	}
	if (&SendError{}).Error() == "" {
		t.Error("empty SendError has no message")
	}
}

func TestPermanentStatus(t *testing.T) {
	tests := []struct {
		code int
		want bool
	}{
		{400, true}, {401, true}, {403, true}, {404, true}, {410, true}, {413, true},
		{408, false}, {425, false}, {429, false}, {500, false}, {502, false}, {503, false}, {302, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			if got := permanentStatus(tt.code); got != tt.want {
				t.Errorf("permanentStatus(%d) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := fixedNow
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{" 2 ", 2 * time.Second, true},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, false},
		{"0", 0, false},
		{"-3", 0, false},
		{"NaN", 0, false},
		{"999999999", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSafeCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"channel_not_found", "channel_not_found"},
		{" invalid_auth\n", "invalid_auth"},
		{"xoxb-1-2-3", "unexpected_response"},
		{"<html>", "unexpected_response"},
		{strings.Repeat("a", 65), "unexpected_response"},
		{"", "unexpected_response"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := safeCode(tt.in); got != tt.want {
				t.Errorf("safeCode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestConsoleWritesWholeMessages(t *testing.T) {
	var mu sync.Mutex
	var buf strings.Builder
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})
	c := NewConsole(w, testRenderer(t))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			m := news.Message{Kind: news.KindAlert, Title: fmt.Sprintf("message-%02d", i), Sections: []news.Section{{Topic: "t",
				Entries: []news.Entry{{Title: "\x1b[2Jclear screen", URL: "https://example.org/x"}}}}}
			if err := c.Send(context.Background(), news.OutboxMessage{ID: int64(i), Message: m}); err != nil {
				t.Errorf("Send: %v", err)
			}
		})
	}
	wg.Wait()
	out := buf.String()
	if strings.Contains(out, "\x1b") {
		t.Fatal("a terminal escape from feed text reached the console")
	}
	want := testRenderer(t).Console(news.Message{Kind: news.KindAlert, Title: "message-07", Sections: []news.Section{{Topic: "t",
		Entries: []news.Entry{{Title: "\x1b[2Jclear screen", URL: "https://example.org/x"}}}}})
	if !strings.Contains(out, want) {
		t.Fatalf("message-07 is not written whole:\n%s", out)
	}
	if n := strings.Count(out, "message-"); n != 20 {
		t.Fatalf("%d messages written, want 20", n)
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := c.Send(ctx, news.OutboxMessage{Message: alertMessage()})
		if !errors.Is(err, context.Canceled) || IsPermanent(err) {
			t.Fatalf("Send on a canceled context: %v", err)
		}
	})
	t.Run("write error", func(t *testing.T) {
		bad := NewConsole(writerFunc(func([]byte) (int, error) { return 0, errors.New("disk full") }), testRenderer(t))
		if err := bad.Send(context.Background(), news.OutboxMessage{Message: alertMessage()}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("Send to a failing writer: %v", err)
		}
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestPlatformValid(t *testing.T) {
	for _, p := range []Platform{PlatformSlack, PlatformSlackWebhook, PlatformDiscord, PlatformDiscordWebhook, PlatformConsole} {
		if !p.Valid() {
			t.Errorf("%s not valid", p)
		}
	}
	if Platform("irc").Valid() {
		t.Error("irc valid")
	}
}
