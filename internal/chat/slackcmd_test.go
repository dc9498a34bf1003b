package chat

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// slackAnswer is the part of a Slack response the tests look at.
type slackAnswer struct {
	ResponseType string            `json:"response_type"`
	Text         string            `json:"text"`
	Blocks       []json.RawMessage `json:"blocks"`
}

// commandCases are every subcommand, typed on Slack and sent as Discord
// options, with what the backend must receive.
var commandCases = []struct {
	slack string
	path  string
	args  map[string]string
}{
	{`search "peace talks" Putin`, CmdSearch, map[string]string{ArgQuery: `"peace talks" Putin`}},
	{"topics", CmdTopics, map[string]string{}},
	{"feeds", CmdFeeds, map[string]string{}},
	{"deadlines", CmdDeadlines, map[string]string{}},
	{"digest", CmdDigest, map[string]string{}},
	{"digest ukraine-talks", CmdDigest, map[string]string{ArgTopic: "ukraine-talks"}},
	{"test ceasefire OR truce", CmdTest, map[string]string{ArgQuery: "ceasefire OR truce"}},
	{"status", CmdStatus, map[string]string{}},
	{"watch kyiv-news kyiv OR kiev", CmdWatch, map[string]string{ArgName: "kyiv-news", ArgQuery: "kyiv OR kiev"}},
	{"unwatch kyiv-news", CmdUnwatch, map[string]string{ArgName: "kyiv-news"}},
	{"mute ukraine-talks 2h", CmdMute, map[string]string{ArgTopic: "ukraine-talks", ArgDuration: "2h"}},
	{"unmute ukraine-talks", CmdUnmute, map[string]string{ArgTopic: "ukraine-talks"}},
	{`deadline add talks "2025-09-02 18:00" "Talks deadline" Putin`, CmdDeadlineAdd,
		map[string]string{ArgName: "talks", ArgDue: "2025-09-02 18:00", ArgTitle: "Talks deadline", ArgQuery: "Putin"}},
	{"deadline remove talks", CmdDeadlineRemove, map[string]string{ArgName: "talks"}},
	{"feed add kyiv https://example.org/rss", CmdFeedAdd, map[string]string{ArgName: "kyiv", ArgURL: "https://example.org/rss"}},
	{"feed remove kyiv", CmdFeedRemove, map[string]string{ArgName: "kyiv"}},
}

func TestSlackEverySubcommand(t *testing.T) {
	for _, tc := range commandCases {
		spec, _ := specOf(tc.path)
		for _, user := range []string{slackAdmin, slackUser} {
			t.Run(tc.slack+"/"+user, func(t *testing.T) {
				b := &fakeBackend{}
				s := newTestSlack(t, b, nil)
				w := httptest.NewRecorder()
				s.ServeHTTP(w, slackRequest(testSlackSecret, time.Now(), slackForm(tc.slack, user, "https://hooks.slack.test/r").Encode()))
				if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
					t.Fatalf("status %d, type %q", w.Code, w.Header().Get("Content-Type"))
				}
				ans := decode[slackAnswer](t, w.Body.Bytes())
				reqs := b.requests()
				if spec.admin && user != slackAdmin {
					if len(reqs) != 0 || ans.ResponseType != "ephemeral" || !strings.Contains(ans.Text, "Only admins") {
						t.Fatalf("non-admin: backend ran %d times, answer %+v", len(reqs), ans)
					}
					return
				}
				if len(reqs) != 1 {
					t.Fatalf("backend ran %d times", len(reqs))
				}
				got := reqs[0]
				if got.Command.Path != tc.path || !maps.Equal(got.Command.Args, tc.args) {
					t.Errorf("backend got %q %v, want %q %v", got.Command.Path, got.Command.Args, tc.path, tc.args)
				}
				if got.Platform != PlatformSlack || got.UserID != user || got.Channel != "newsroom" || got.ChannelID != slackChannelID {
					t.Errorf("request %+v", got)
				}
				want := "ephemeral"
				if spec.admin {
					want = "in_channel" // the outcome of a change is shown to the channel
				}
				if ans.ResponseType != want || !strings.Contains(ans.Text, "ran "+tc.path) || len(ans.Blocks) == 0 {
					t.Errorf("answer %+v, want %s with the reply", ans, want)
				}
			})
		}
	}
}

func TestSlackUsageOnMalformedInput(t *testing.T) {
	for _, text := range []string{"frobnicate", "watch only-a-name", "mute x", "deadline", "unwatch a b c"} {
		t.Run(text, func(t *testing.T) {
			b := &fakeBackend{}
			s := newTestSlack(t, b, nil)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, slackRequest(testSlackSecret, time.Now(), slackForm(text, slackAdmin, "https://hooks.slack.test/r").Encode()))
			ans := decode[slackAnswer](t, w.Body.Bytes())
			if w.Code != http.StatusOK || ans.ResponseType != "ephemeral" || !strings.HasPrefix(ans.Text, "Usage") || len(b.requests()) != 0 {
				t.Errorf("%d %+v, backend ran %d times", w.Code, ans, len(b.requests()))
			}
		})
	}
}

func TestSlackSSLCheck(t *testing.T) {
	b := &fakeBackend{}
	s := newTestSlack(t, b, nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, slackRequest(testSlackSecret, time.Now(), url.Values{"ssl_check": {"1"}, "token": {"x"}}.Encode()))
	if w.Code != http.StatusOK || w.Body.Len() != 0 || len(b.requests()) != 0 {
		t.Errorf("ssl_check answered %d %q", w.Code, w.Body)
	}
}

// markupStrings collects every string of decoded Slack JSON that Slack reads
// as markup: all but plain_text objects (header blocks), where "<!channel>"
// is shown as written.
func markupStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, markupStrings(e)...)
		}
		return out
	case map[string]any:
		if x["type"] == "plain_text" {
			return nil
		}
		var out []string
		for _, e := range x {
			out = append(out, markupStrings(e)...)
		}
		return out
	}
	return nil
}

// TestSlackReplyEscaped puts hostile feed text in a reply: what reaches
// Slack can neither ping nor link anywhere but the entries' own links.
func TestSlackReplyEscaped(t *testing.T) {
	for _, h := range hostile {
		t.Run(h, func(t *testing.T) {
			m := hostileMessage(h)
			m.Kind = news.KindReply
			b := &fakeBackend{answer: func(Request) (Reply, error) { return Reply{Message: m}, nil }}
			s := newTestSlack(t, b, nil)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, slackRequest(testSlackSecret, time.Now(), slackForm("search x", slackUser, "https://hooks.slack.test/r").Encode()))
			for _, str := range markupStrings(decode[any](t, w.Body.Bytes())) {
				for _, bad := range []string{"<!", "<@", "<#", "<http://evil"} {
					if strings.Contains(str, bad) {
						t.Fatalf("%q reaches Slack in %q", bad, str)
					}
				}
			}
		})
	}
}

// TestSlackSlowReply checks the 3-second rule on fake time: a slow command
// is acknowledged with an empty 200 within the budget and its reply posted
// to response_url when ready.
func TestSlackSlowReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{}
		b := &fakeBackend{delay: 7 * time.Second}
		s := newTestSlack(t, b, &http.Client{Transport: tr})
		const responseURL = "https://hooks.slack.test/commands/T1/123/secret-part"
		start := time.Now()
		w := httptest.NewRecorder()
		s.ServeHTTP(w, slackRequest(testSlackSecret, time.Now(), slackForm("search kyiv", slackUser, responseURL).Encode()))
		if took := time.Since(start); took != DefaultAckAfter || took >= 3*time.Second {
			t.Errorf("answered after %v, want %v", took, DefaultAckAfter)
		}
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Errorf("acknowledgement %d %q, want an empty 200", w.Code, w.Body)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		calls := tr.seen()
		if len(calls) != 1 || calls[0].Method != http.MethodPost || calls[0].URL != responseURL {
			t.Fatalf("response_url calls %+v", calls)
		}
		ans := decode[slackAnswer](t, calls[0].Body)
		if ans.ResponseType != "ephemeral" || !strings.Contains(ans.Text, "ran search") {
			t.Errorf("late reply %+v", ans)
		}
	})
}

// TestSlackLongReply checks that a reply of many parts goes to
// response_url in order, at most five posts, the last saying what was left
// out.
func TestSlackLongReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{}
		long := longDigest(3000)
		long.Kind = news.KindReply
		if n := len(testRenderer(t).Slack(long)); n <= maxReplyParts {
			t.Fatalf("the long reply renders as %d parts; make it longer", n)
		}
		b := &fakeBackend{answer: func(Request) (Reply, error) { return Reply{Message: long}, nil }}
		s := newTestSlack(t, b, &http.Client{Transport: tr})
		w := httptest.NewRecorder()
		s.ServeHTTP(w, slackRequest(testSlackSecret, time.Now(), slackForm("digest", slackUser, "https://hooks.slack.test/r").Encode()))
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Fatalf("answer %d %q, want an empty 200", w.Code, w.Body)
		}
		synctest.Wait()
		calls := tr.seen()
		if len(calls) != maxReplyParts {
			t.Fatalf("%d posts, want %d", len(calls), maxReplyParts)
		}
		for i, c := range calls[:maxReplyParts-1] {
			if ans := decode[slackAnswer](t, c.Body); !strings.Contains(ans.Text, fmt.Sprintf("(part %d/", i+1)) {
				t.Errorf("post %d is %q", i+1, ans.Text[:min(60, len(ans.Text))])
			}
		}
		if last := decode[slackAnswer](t, calls[maxReplyParts-1].Body); !strings.Contains(last.Text, "Reply shortened") {
			t.Errorf("last post %q, want the notice", last.Text)
		}
	})
}

func TestSlackResponseURLFailureIsLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{status: func(int, *http.Request) (int, string) { return http.StatusNotFound, "expired_url" }}
		b := &fakeBackend{delay: 5 * time.Second}
		s := newTestSlack(t, b, &http.Client{Transport: tr})
		w := httptest.NewRecorder()
		s.ServeHTTP(w, slackRequest(testSlackSecret, time.Now(), slackForm("status", slackUser, "https://hooks.slack.test/r").Encode()))
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if n := len(tr.seen()); n != 1 {
			t.Errorf("%d posts, want 1 (no retry loop on a refused response_url)", n)
		}
	})
}
