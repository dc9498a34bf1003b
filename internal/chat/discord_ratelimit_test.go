package chat

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestGlobalGate(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   time.Duration // how long the gate stays closed
	}{
		{name: "global in headers and body", status: 429, header: map[string]string{"X-RateLimit-Global": "true", "Retry-After": "7"},
			body: `{"retry_after":6.5,"global":true}`, want: 6500 * time.Millisecond},
		{name: "global scope header, Retry-After only", status: 429, header: map[string]string{"X-RateLimit-Scope": "global", "Retry-After": "3"}, want: 3 * time.Second},
		{name: "global in the body only", status: 429, body: `{"retry_after":2,"global":true}`, want: 2 * time.Second},
		{name: "global without a time", status: 429, header: map[string]string{"X-RateLimit-Global": "true"}, want: time.Second},
		{name: "global false", status: 429, header: map[string]string{"X-RateLimit-Global": "false", "Retry-After": "5"}, body: `{"retry_after":5}`},
		{name: "shared scope", status: 429, header: map[string]string{"X-RateLimit-Scope": "shared", "Retry-After": "5"}, body: `{"retry_after":5,"global":false}`},
		{name: "route limit", status: 429, header: map[string]string{"X-RateLimit-Scope": "user", "Retry-After": "5"}, body: `{"retry_after":5,"global":false}`},
		{name: "not a 429", status: 500, header: map[string]string{"X-RateLimit-Global": "true", "Retry-After": "5"}},
	}
	now := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &globalGate{now: func() time.Time { return now }}
			w := httptest.NewRecorder()
			for k, v := range tt.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(tt.status)
			io.WriteString(w, tt.body)
			resp := w.Result()
			g.observe(resp)
			if got := g.remaining(); got != tt.want {
				t.Errorf("gate closed for %v, want %v", got, tt.want)
			}
			if b, _ := io.ReadAll(resp.Body); string(b) != tt.body {
				t.Errorf("body after observe = %q, want it intact for discordgo", b)
			}
		})
	}
	t.Run("refusal reads as Discord's global 429", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "https://discord.com/api/v10/channels/1/messages", strings.NewReader("{}"))
		resp := globalRefusal(req, 1500*time.Microsecond)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 429 || resp.Header.Get("X-RateLimit-Global") != "true" || resp.Header.Get("Retry-After") != "1" ||
			!strings.Contains(string(b), `"retry_after":0.002`) {
			t.Errorf("refusal %d %v %s", resp.StatusCode, resp.Header, b)
		}
	})
	t.Run("nil gate is open", func(t *testing.T) {
		var g *globalGate
		g.observe(&http.Response{StatusCode: 429, Header: http.Header{"X-Ratelimit-Global": {"true"}}, Body: http.NoBody})
		if g.remaining() != 0 {
			t.Error("nil gate closed")
		}
	})
}
