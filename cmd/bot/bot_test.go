package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These are acceptance tests: they build the real binary once and run it the
// way a user or a script does, following SPEC.md's "Command line": flags,
// environment, exit status, stdout and stderr, signals. Feeds and chat
// platforms are httptest servers on loopback.

// testVersion is stamped into the binary under test.
const testVersion = "v0.0.0-acceptance"

var (
	// binPath is the binary built by TestMain.
	binPath string
	// buildFlags are extra `go build` flags (race_test.go adds -race when the
	// tests themselves run under the race detector).
	buildFlags []string
)

func TestMain(m *testing.M) { os.Exit(buildAndRun(m)) }

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "feedwatch-acceptance-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "temp dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "feedwatch")
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-ldflags=-X main.version="+testVersion, "-o", binPath, ".")
	build := exec.Command(goCommand(), args...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(args, " "), err, out)
		return 1
	}
	return m.Run()
}

// goCommand finds the go tool that runs these tests.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}

// userEnv is the environment of a user's shell: the test's own minus
// anything feedwatch or the test configs read, plus vars.
func userEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "FEEDWATCH_"), strings.HasPrefix(name, "FW_TEST_"),
			strings.HasPrefix(name, "SLACK_"), strings.HasPrefix(name, "DISCORD_"):
			continue
		}
		env = append(env, kv)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// result is what one finished command left behind.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// commandTimeout bounds any one-shot command; the tests' own deadlines are
// tighter where the SPEC promises speed.
const commandTimeout = 2 * time.Minute

// feedwatch runs the binary to completion with args and the environment
// vars, and returns its exit status and output.
func feedwatch(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = userEnv(vars)
	cmd.Dir = "." // testdata/… paths are relative, as a user would type them
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		r.code = exit.ExitCode()
	default:
		t.Fatalf("feedwatch %s: %v\nstderr:\n%s", strings.Join(args, " "), err, r.stderr)
	}
	// Secrets never reach the terminal, whatever the command.
	for _, secret := range []string{slackToken, discordToken} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("feedwatch %s printed a secret token", strings.Join(args, " "))
		}
	}
	return r
}

// hasErrorLine reports whether one line of stderr starts with prefix and
// mentions every one of want: SPEC's "one clear line each, naming the file,
// line or feed concerned".
func hasErrorLine(stderr, prefix string, want ...string) bool {
	for _, l := range strings.Split(stderr, "\n") {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		all := true
		for _, w := range want {
			all = all && strings.Contains(l, w)
		}
		if all {
			return true
		}
	}
	return false
}

// fixture is a newsroom: the feed server, the chat platforms, and the
// environment testdata/pipeline.yaml reads.
type fixture struct {
	feeds *feedServer
	chat  *chatServer
	vars  map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{feeds: newFeedServer(t), chat: newChatServer(t)}
	f.vars = map[string]string{
		"FW_TEST_DB":          filepath.Join(t.TempDir(), "feedwatch.db"),
		"FW_TEST_FEEDS":       f.feeds.URL(),
		"FW_TEST_SLACK_API":   f.chat.URL() + "/slack/api/",
		"FW_TEST_DISCORD_API": f.chat.URL() + "/discord/api/v10",
		"SLACK_BOT_TOKEN":     slackToken,
		"DISCORD_BOT_TOKEN":   discordToken,
	}
	return f
}

// with returns the fixture's environment plus more.
func (f *fixture) with(more map[string]string) map[string]string {
	out := make(map[string]string, len(f.vars)+len(more))
	for k, v := range f.vars {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

const pipelineConfig = "testdata/pipeline.yaml"

// The channel ids of testdata/pipeline.yaml.
const (
	newsroom     = "C0NEWSROOM"         // Slack, instant: talks, guarantees
	warRoom      = "112233445566778899" // Discord, instant: talks, oil-buyers
	morningBrief = "C0BRIEF"            // Slack, digest of everything
)

// allItems is every item the feeds start with.
var allItems = []item{talksReady, guarantees, football, weather, hostile, oilBuyers, talksEcho, fisheries}

// wantInstant is what each instant channel must be alerted of after the
// first poll: every matching item, once per story, and nothing else.
var wantInstant = map[string][]item{
	newsroom: {talksReady, guarantees, hostile},
	warRoom:  {talksReady, hostile, oilBuyers},
}

// checkAlerted checks that channel got exactly the stories of want: each
// link in exactly one message, every other item's link in none.
func checkAlerted(t *testing.T, cs *chatServer, channel string, want []item, others []item) {
	t.Helper()
	posts := cs.to(channel)
	for _, it := range want {
		n := 0
		for _, p := range posts {
			if strings.Contains(p.Raw, it.url()) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("channel %s: %d messages carry %s (%q), want 1", channel, n, it.url(), it.Title)
		}
	}
	for _, it := range others {
		if containsItem(want, it) || sameStory(want, it) {
			continue
		}
		for _, p := range posts {
			if strings.Contains(p.Raw, it.url()) || strings.Contains(readable(p.Raw), it.Title) {
				t.Errorf("channel %s was alerted of %q, which it does not follow", channel, it.Title)
			}
		}
	}
}

func containsItem(list []item, it item) bool {
	for _, x := range list {
		if x.ID == it.ID {
			return true
		}
	}
	return false
}

// sameStory reports whether it is a story of list told by another feed.
func sameStory(list []item, it item) bool {
	for _, x := range list {
		if x.url() == it.url() {
			return true
		}
	}
	return false
}

// checkNeutralized checks that the hostile item's text reached chat inert:
// no ping, no masked link whose label hides where it goes. (A bare URL in
// Slack's plain-text fallback stays visible as what it is, so it is not a
// forged link.)
func checkNeutralized(t *testing.T, cs *chatServer) {
	t.Helper()
	for _, ch := range []string{newsroom, warRoom, morningBrief} {
		for _, p := range cs.to(ch) {
			if !strings.Contains(readable(p.Raw), "Putin agrees to peace talks") {
				continue
			}
			var bad []string
			switch p.Platform {
			case "slack":
				bad = []string{"<!channel>", "<!here>", "<@U012ABCDEF>", "<http://evil.example", "|official statement>"}
			case "discord":
				bad = []string{"@everyone", "<@U012ABCDEF>", "](http://evil.example", "](<http://evil.example"}
			}
			for _, b := range bad {
				if strings.Contains(p.Raw, b) {
					t.Errorf("%s message to %s carries %q from feed text:\n%s", p.Platform, ch, b, p.Raw)
				}
			}
		}
	}
}

func TestVersionAndUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // a prefix
		wantStderr string // a substring
	}{
		{name: "version", args: []string{"version"}, wantCode: 0, wantStdout: "feedwatch " + testVersion},
		{name: "--version", args: []string{"--version"}, wantCode: 0, wantStdout: "feedwatch " + testVersion},
		{name: "no command", args: nil, wantCode: 2, wantStderr: "Usage:"},
		{name: "unknown command", args: []string{"serve"}, wantCode: 2, wantStderr: `unknown command "serve"`},
		{name: "no config", args: []string{"once"}, wantCode: 2, wantStderr: "FEEDWATCH_CONFIG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // read-only commands
			r := feedwatch(t, nil, tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			if !strings.HasPrefix(r.stdout, tt.wantStdout) {
				t.Errorf("stdout = %q, want it to start with %q", r.stdout, tt.wantStdout)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.wantStderr)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	f := newFixture(t)
	exampleEnv := map[string]string{
		"SLACK_BOT_TOKEN": slackToken, "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
		"DISCORD_BOT_TOKEN": discordToken, "DISCORD_PUBLIC_KEY": strings.Repeat("ab", 32),
	}
	// problem is one line `feedwatch check` must print: FILE:LINE: message,
	// the message containing every one of want.
	type problem struct {
		line int
		want []string
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantOK   bool
		file     string    // the file problems name
		problems []problem // exactly these lines on stderr, in order
		stderr   string    // or a substring of stderr
	}{
		{name: "valid", args: []string{"check", "-c", pipelineConfig}, env: f.vars, wantOK: true},
		{name: "--config", args: []string{"check", "--config", pipelineConfig}, env: f.vars, wantOK: true},
		{name: "FEEDWATCH_CONFIG", args: []string{"check"}, env: f.with(map[string]string{"FEEDWATCH_CONFIG": pipelineConfig}), wantOK: true},
		{name: "-c wins over FEEDWATCH_CONFIG", args: []string{"check", "-c", pipelineConfig},
			env: f.with(map[string]string{"FEEDWATCH_CONFIG": "testdata/broken.yaml"}), wantOK: true},
		{name: "the shipped example", args: []string{"check", "-c", "../../config/example.yaml"}, env: exampleEnv, wantOK: true},
		{name: "the shipped demo config", args: []string{"check", "-c", "../../config/demo.yaml"},
			env: map[string]string{"FEEDWATCH_DEMO_URL": "http://127.0.0.1:9"}, wantOK: true},
		{
			name: "every mistake at once", args: []string{"check", "-c", "testdata/broken.yaml"}, wantCode: 1,
			file: "testdata/broken.yaml",
			problems: []problem{
				{4, []string{"FW_TEST_UNSET_DIR", "not set"}},
				{6, []string{`unknown key "alow_private"`, `"allow_private"`}},
				{12, []string{`feed "wire"`, `invalid schedule "every 5 minutes"`}},
				{15, []string{`topic "talks"`, "column 22"}},
				{16, []string{`topic "talks"`, "already used", "line 14"}},
				{22, []string{`unknown channel "newsrom"`, `"newsroom"`}},
				{24, []string{"schedule is required for a digest"}},
				{27, []string{`unknown topic "talk"`}},
			},
		},
		{
			name: "FEEDWATCH_CONFIG names a broken file", args: []string{"check"}, wantCode: 1,
			env: map[string]string{"FEEDWATCH_CONFIG": "testdata/broken.yaml"}, stderr: "testdata/broken.yaml:6: fetch: unknown key",
		},
		{
			name: "unset secret in the example", args: []string{"check", "-c", "../../config/example.yaml"}, wantCode: 1,
			env:    map[string]string{"DISCORD_BOT_TOKEN": discordToken, "DISCORD_PUBLIC_KEY": strings.Repeat("ab", 32), "SLACK_SIGNING_SECRET": "x"},
			stderr: "SLACK_BOT_TOKEN is not set",
		},
		{name: "missing file", args: []string{"check", "-c", "testdata/missing.yaml"}, wantCode: 1, stderr: "testdata/missing.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // check reads the config only
			r := feedwatch(t, tt.env, tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if tt.wantOK {
				if r.stdout != "ok\n" || r.stderr != "" {
					t.Errorf("stdout %q, stderr %q; want \"ok\" and nothing on stderr", r.stdout, r.stderr)
				}
				return
			}
			if strings.Contains(r.stdout, "ok") {
				t.Errorf("stdout of an invalid config = %q", r.stdout)
			}
			if tt.stderr != "" && !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.stderr)
			}
			if tt.problems == nil {
				return
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != len(tt.problems) {
				t.Errorf("%d lines on stderr, want %d:\n%s", len(lines), len(tt.problems), r.stderr)
			}
			for i, p := range tt.problems {
				if i >= len(lines) {
					break
				}
				prefix := fmt.Sprintf("%s:%d: ", tt.file, p.line)
				if !strings.HasPrefix(lines[i], prefix) {
					t.Errorf("problem %d = %q, want it to start with %q", i+1, lines[i], prefix)
				}
				for _, w := range p.want {
					if !strings.Contains(lines[i], w) {
						t.Errorf("problem %d = %q, want it to mention %s", i+1, lines[i], w)
					}
				}
			}
		})
	}
}

func TestOnce(t *testing.T) {
	f := newFixture(t)
	once := func(args ...string) {
		t.Helper()
		r := feedwatch(t, f.vars, append([]string{"once", "-c", pipelineConfig}, args...)...)
		if r.code != 0 {
			t.Fatalf("feedwatch once %v: exit status %d\nstderr:\n%s", args, r.code, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("once printed to stdout (no console channel is configured):\n%s", r.stdout)
		}
		// A run where everything worked is quiet, as a cron job wants it.
		if r.stderr != "" {
			t.Errorf("once printed to stderr although all went well:\n%s", r.stderr)
		}
	}

	once()
	for ch, want := range wantInstant {
		checkAlerted(t, f.chat, ch, want, allItems)
		// One poll's alerts for a channel are one message, not one per item.
		if n := len(f.chat.to(ch)); n != 1 {
			t.Errorf("channel %s got %d messages from one poll, want 1", ch, n)
		}
	}
	if n := len(f.chat.to(morningBrief)); n != 0 {
		t.Errorf("the digest channel got %d messages without --digest", n)
	}
	checkNeutralized(t, f.chat)
	posted := f.chat.count()

	// Run again: conditional requests, nothing new, nothing repeated.
	once()
	if n := f.chat.count(); n != posted {
		t.Errorf("a second once sent %d more messages, want none", n-posted)
	}
	for _, path := range []string{kyivWirePath, euroDeskPath} {
		if req, nm := f.feeds.stats(path); req != 2 || nm != 1 {
			t.Errorf("%s: %d requests, %d answered 304; want 2 and 1 (a conditional GET on the second run)", path, req, nm)
		}
	}

	// --digest: the morning brief holds every match so far, grouped by
	// topic, newest first, one story with its two sources.
	once("--digest")
	briefs := f.chat.to(morningBrief)
	if len(briefs) != 1 {
		t.Fatalf("digest channel got %d messages, want 1", len(briefs))
	}
	if n := f.chat.count(); n != posted+1 {
		t.Errorf("once --digest sent %d messages, want only the digest", n-posted)
	}
	digest := briefs[0].Raw
	checkAlerted(t, f.chat, morningBrief, []item{talksReady, guarantees, hostile, oilBuyers}, allItems)
	for _, w := range []string{"talks", "guarantees", "oil-buyers", "2 sources"} {
		if !strings.Contains(digest, w) {
			t.Errorf("digest lacks %q:\n%s", w, digest)
		}
	}
	// Within talks, the hostile item (10:00) is newer than the ready story
	// (09:00 and 09:30).
	if i, j := strings.Index(digest, hostile.url()), strings.Index(digest, talksReady.url()); i < 0 || j < 0 || i > j {
		t.Errorf("digest order: %s at %d, %s at %d; want newest first", hostile.url(), i, talksReady.url(), j)
	}
	checkNeutralized(t, f.chat)

	// Nothing new since the last digest: no empty digest is sent.
	once("--digest")
	if n := f.chat.count(); n != posted+1 {
		t.Errorf("an empty digest or a repeated alert was sent (%d more messages)", n-posted-1)
	}
}

func TestOnceBurstIsGroupedAndSplitWithinLimits(t *testing.T) {
	f := newFixture(t)
	// 120 long items on the talks, a minute apart. Their headlines share
	// only "peace talks Putin", so that none counts as another's story
	// (nearly identical headlines within a day are one story in a digest).
	const n = 120
	burst := make([]item, n)
	for i := range burst {
		var words []string
		for j := range 24 {
			words = append(words, fmt.Sprintf("n%03dw%02d", i, j))
		}
		burst[i] = item{ID: fmt.Sprintf("live-%03d", i),
			Title:     fmt.Sprintf("Peace talks with Putin: %s", strings.Join(words, " ")),
			Link:      fmt.Sprintf("https://kyivwire.example/live/%03d", i),
			Summary:   strings.Repeat("Negotiators worked through the night. ", 20),
			Published: at(0, 0).Add(time.Duration(i) * time.Minute)}
	}
	f.feeds.replace(kyivWirePath, burst...)
	f.feeds.replace(euroDeskPath)

	// each checks that every item is in exactly one of posts, and returns
	// the order in which the posts carry them.
	each := func(ch string, posts []post) []int {
		t.Helper()
		var order []int
		for i, it := range burst {
			count := 0
			for _, p := range posts {
				if strings.Contains(p.Raw, it.url()) {
					count++
				}
			}
			if count != 1 {
				t.Errorf("%s: item %d is in %d messages, want 1", ch, i, count)
			}
		}
		for _, p := range posts {
			var found []int
			for i, it := range burst {
				if at := strings.Index(p.Raw, it.url()); at >= 0 {
					found = append(found, i)
				}
			}
			slices.SortFunc(found, func(a, b int) int {
				return strings.Index(p.Raw, burst[a].url()) - strings.Index(p.Raw, burst[b].url())
			})
			order = append(order, found...)
		}
		return order
	}

	if r := feedwatch(t, f.vars, "once", "-c", pipelineConfig); r.code != 0 {
		t.Fatalf("once: exit status %d\n%s", r.code, r.stderr)
	}
	for _, ch := range []string{newsroom, warRoom} {
		posts := f.chat.to(ch)
		// "A burst of a hundred matches is a handful of messages."
		if len(posts) == 0 || len(posts) > n/10 {
			t.Errorf("%s: %d messages for %d matches, want a handful", ch, len(posts), n)
		}
		each(ch, posts)
	}
	// Some 30,000 characters of headlines cannot fit Discord's 6,000 per
	// message: split, not cut.
	if got := len(f.chat.to(warRoom)); got < 5 {
		t.Errorf("war-room got the burst in %d messages; 120 long headlines need at least 5 on Discord", got)
	}

	if r := feedwatch(t, f.vars, "once", "-c", pipelineConfig, "--digest"); r.code != 0 {
		t.Fatalf("once --digest: exit status %d\n%s", r.code, r.stderr)
	}
	// Every message was checked against the platform's limits as it arrived
	// (chatServer); the digest is complete and newest first across however
	// many parts it needed.
	parts := f.chat.to(morningBrief)
	order := each(morningBrief, parts)
	if !slices.IsSortedFunc(order, func(a, b int) int { return b - a }) {
		t.Errorf("digest order across parts is not newest first: %v", order)
	}
}

func TestOnceDeliveryFailures(t *testing.T) {
	tests := []struct {
		name    string
		channel string
		faults  []fault
		// wantCode is once's exit status; wantStderr what its error names.
		wantCode   int
		wantStderr []string
		// wantAttempts is how many posts the channel saw; delivered says
		// whether its alert finally got through.
		wantAttempts int
		delivered    bool
		minTook      time.Duration
	}{
		{
			name: "Slack rate limit is waited out", channel: newsroom, faults: []fault{rateLimited},
			wantAttempts: 2, delivered: true, minTook: time.Second,
		},
		{
			name: "Discord rate limit is waited out", channel: warRoom, faults: []fault{rateLimited},
			wantAttempts: 2, delivered: true, minTook: time.Second,
		},
		{
			name: "unknown Slack channel fails the run", channel: newsroom, faults: []fault{unknownChannel},
			wantCode: 1, wantStderr: []string{"newsroom", "channel_not_found"}, wantAttempts: 1,
		},
		{
			name: "unknown Discord channel fails the run", channel: warRoom, faults: []fault{unknownChannel},
			wantCode: 1, wantStderr: []string{"war-room", "Unknown Channel"}, wantAttempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each case has its own servers and database
			f := newFixture(t)
			f.chat.inject(tt.channel, tt.faults...)
			r := feedwatch(t, f.vars, "once", "-c", pipelineConfig)
			if r.code != tt.wantCode {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			if tt.wantStderr != nil && !hasErrorLine(r.stderr, "feedwatch once: ", tt.wantStderr...) {
				t.Errorf("stderr lacks a `feedwatch once:` line naming %q:\n%s", tt.wantStderr, r.stderr)
			}
			if r.took < tt.minTook {
				t.Errorf("once took %v, less than the Retry-After (%v)", r.took, tt.minTook)
			}
			if n := f.chat.attemptsTo(tt.channel); n != tt.wantAttempts {
				t.Errorf("%d posts to %s, want %d", n, tt.channel, tt.wantAttempts)
			}
			if got := len(f.chat.to(tt.channel)) == 1; got != tt.delivered {
				t.Errorf("alert delivered to %s: %v, want %v", tt.channel, got, tt.delivered)
			}
			// The other channel is not held up by this one.
			for ch, want := range wantInstant {
				if ch != tt.channel {
					checkAlerted(t, f.chat, ch, want, allItems)
				}
			}

			// A second run sends nothing: what was delivered is not repeated,
			// and what failed for good is not retried.
			attempts := f.chat.attemptsTo(tt.channel)
			posted := f.chat.count()
			if r := feedwatch(t, f.vars, "once", "-c", pipelineConfig); r.code != 0 {
				t.Errorf("second run: exit status %d\nstderr:\n%s", r.code, r.stderr)
			}
			if f.chat.attemptsTo(tt.channel) != attempts || f.chat.count() != posted {
				t.Errorf("second run posted again: %d attempts to %s (was %d), %d messages (was %d)",
					f.chat.attemptsTo(tt.channel), tt.channel, attempts, f.chat.count(), posted)
			}
		})
	}
}

func TestOnceRefusesPrivateAddressesByDefault(t *testing.T) {
	f := newFixture(t)
	r := feedwatch(t, f.vars, "once", "-c", "testdata/private.yaml")
	if r.code != 1 {
		t.Errorf("exit status %d, want 1\nstderr:\n%s", r.code, r.stderr)
	}
	if !hasErrorLine(r.stderr, "feedwatch once: ", "loopback-wire", "non-public address") {
		t.Errorf("stderr lacks a `feedwatch once:` line naming the feed and the refused address:\n%s", r.stderr)
	}
	if n := f.feeds.totalRequests(); n != 0 {
		t.Errorf("the feed server got %d requests; the private address must be refused before connecting", n)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing (no item could be fetched)", r.stdout)
	}
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	if r := feedwatch(t, f.vars, "once", "-c", pipelineConfig); r.code != 0 {
		t.Fatalf("once: exit status %d\n%s", r.code, r.stderr)
	}
	// An entry is the title, then feed · age · link; the age of an old item
	// is its date.
	entry := func(n int, it item, feed string) *regexp.Regexp {
		return regexp.MustCompile(fmt.Sprintf(`(?m)^\s*%d\. %s\n\s+%s · (just now|\d+[mhd] ago|\d{1,2} [A-Z][a-z]{2} \d{4}) · %s$`,
			n, regexp.QuoteMeta(it.Title), feed, regexp.QuoteMeta(it.url())))
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     []*regexp.Regexp // on stdout
		stderr   string
	}{
		{
			name: "phrase and word", args: []string{"search", "-c", pipelineConfig, `"russian oil" china`},
			want: []*regexp.Regexp{entry(1, oilBuyers, "euro-desk")},
		},
		{
			name: "newest first", args: []string{"search", "-c", pipelineConfig, `title:"security guarantees" OR fisheries`},
			want: []*regexp.Regexp{entry(1, guarantees, "kyiv-wire"), entry(2, fisheries, "euro-desk")},
		},
		{
			name: "flags after the query", args: []string{"search", "heat wave", "-c", pipelineConfig},
			want: []*regexp.Regexp{entry(1, weather, "kyiv-wire")},
		},
		{
			name: "config from FEEDWATCH_CONFIG", args: []string{"search", "feed:euro-desk fisheries"},
			env:  map[string]string{"FEEDWATCH_CONFIG": pipelineConfig},
			want: []*regexp.Regexp{entry(1, fisheries, "euro-desk")},
		},
		{
			name: "no match", args: []string{"search", "-c", pipelineConfig, "ceasefire"},
			want: []*regexp.Regexp{regexp.MustCompile(`^No stored items match ceasefire\.\n$`)},
		},
		{
			name: "a query that does not parse", args: []string{"search", "-c", pipelineConfig, "(putin"},
			wantCode: 1, stderr: "column",
		},
		{name: "no query", args: []string{"search", "-c", pipelineConfig}, wantCode: 2, stderr: "missing QUERY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := feedwatch(t, f.with(tt.env), tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit status %d, want %d\nstderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			for _, re := range tt.want {
				if !re.MatchString(r.stdout) {
					t.Errorf("stdout does not match %s:\n%s", re, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.stderr)
			}
		})
	}
}

func TestDemo(t *testing.T) {
	r := feedwatch(t, nil, "demo")
	if r.code != 0 {
		t.Fatalf("demo: exit status %d\nstderr:\n%s", r.code, r.stderr)
	}
	// "Within seconds": generous for a loaded machine and the race detector.
	if r.took > 20*time.Second {
		t.Errorf("demo took %v, want a few seconds", r.took)
	}
	for _, w := range []string{"Digest", "peace-talks", "https://", "feedwatch search"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("demo output lacks %q:\n%s", w, r.stdout)
		}
	}
	if strings.Contains(r.stderr, "level=ERROR") {
		t.Errorf("demo logged errors:\n%s", r.stderr)
	}
}

// daemon is a running `feedwatch run`.
type daemon struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	code           int // valid once done is closed
}

// syncBuffer is a bytes.Buffer safe to read while the process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startDaemon(t *testing.T, vars map[string]string) *daemon {
	t.Helper()
	return startDaemonWith(t, pipelineConfig, vars)
}

// startDaemonWith starts `feedwatch run -c config` with the environment
// vars; the test's cleanup kills it if it is still running.
func startDaemonWith(t *testing.T, config string, vars map[string]string) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(binPath, "run", "-c", config),
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	d.cmd.Env = userEnv(vars)
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start feedwatch run: %v", err)
	}
	go func() {
		_ = d.cmd.Wait()
		d.code = d.cmd.ProcessState.ExitCode()
		close(d.done)
	}()
	t.Cleanup(func() {
		if !d.exited() {
			_ = d.cmd.Process.Kill()
			<-d.done
		}
		if t.Failed() {
			t.Logf("feedwatch run stderr:\n%s", d.stderr)
		}
	})
	return d
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
	}
	return false
}

// shutdownLimit is how long feedwatch may take to stop after SIGTERM.
const shutdownLimit = 15 * time.Second

// terminate sends sig and waits for a clean exit.
func (d *daemon) terminate(t *testing.T, sig os.Signal) {
	t.Helper()
	start := time.Now()
	d.signal(t, sig)
	d.awaitExit(t, start)
}

func (d *daemon) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// awaitExit waits for a clean exit, at most shutdownLimit after since.
func (d *daemon) awaitExit(t *testing.T, since time.Time) {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(time.Until(since.Add(shutdownLimit))):
		t.Fatalf("feedwatch run still running %v after the stop signal", shutdownLimit)
	}
	if d.code != 0 {
		t.Fatalf("feedwatch run exit status %d after the stop signal, want 0", d.code)
	}
	for _, secret := range []string{slackToken, discordToken} {
		if strings.Contains(d.stderr.String()+d.stdout.String(), secret) {
			t.Errorf("feedwatch run logged a secret token")
		}
	}
}

// waitFor polls cond until it holds, failing the test at the deadline or if
// the daemon exits first.
func waitFor(t *testing.T, d *daemon, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if d != nil && d.exited() {
			t.Fatalf("feedwatch run exited (status %d) while waiting for %s", d.code, what)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		<-tick.C
	}
}

// httpGet returns the status and body of a GET, or an error if the server
// does not answer.
func httpGet(url string) (int, string, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// alerted reports whether every channel has received a message with the
// link of it.
func alerted(cs *chatServer, it item, channels ...string) func() bool {
	return func() bool {
		for _, ch := range channels {
			found := false
			for _, p := range cs.to(ch) {
				if strings.Contains(p.Raw, it.url()) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
}

func TestRunDaemon(t *testing.T) {
	f := newFixture(t)
	addr := freeAddr(t)
	vars := f.with(map[string]string{"FW_TEST_LISTEN": addr})
	base := "http://" + addr
	const startup = 30 * time.Second

	// First start: health, the first poll's alerts, metrics, scheduled
	// conditional polls, an item published while it runs.
	d := startDaemon(t, vars)
	waitFor(t, d, startup, "GET /healthz to answer 200", func() bool {
		code, body, err := httpGet(base + "/healthz")
		return err == nil && code == http.StatusOK && strings.TrimSpace(body) == "ok"
	})
	waitFor(t, d, startup, "the first poll's alerts in newsroom and war-room", func() bool {
		for ch, items := range wantInstant {
			for _, it := range items {
				if !alerted(f.chat, it, ch)() {
					return false
				}
			}
		}
		return true
	})
	for ch, want := range wantInstant {
		checkAlerted(t, f.chat, ch, want, allItems)
	}
	checkNeutralized(t, f.chat)

	// The fake platforms record a post before answering it, and the bot
	// counts a message sent once it has the answer: wait for the count.
	var metrics string
	sentCounted := regexp.MustCompile(`(?m)^feedwatch_messages_sent_total\{channel="newsroom"\} [1-9]\d*$`)
	waitFor(t, d, startup, "GET /metrics to count the alerts sent", func() bool {
		code, body, err := httpGet(base + "/metrics")
		metrics = body
		return err == nil && code == http.StatusOK && sentCounted.MatchString(body) && strings.Contains(body, "\nfeedwatch_queue_depth 0\n")
	})
	for _, w := range []string{
		`(?m)^feedwatch_polls_total\{result="ok"\} [1-9]\d*$`,
		`(?m)^feedwatch_items_total\{feed="kyiv-wire"\} 5$`,
		`(?m)^feedwatch_items_total\{feed="euro-desk"\} 3$`,
		`(?m)^feedwatch_matches_total\{topic="talks"\} [1-9]\d*$`,
		`(?m)^feedwatch_messages_sent_total\{channel="newsroom"\} [1-9]\d*$`,
		`(?m)^feedwatch_queue_depth 0$`,
	} {
		if !regexp.MustCompile(w).MatchString(metrics) {
			t.Errorf("/metrics does not match %s:\n%s", w, metrics)
		}
	}

	// SPEC: on Discord, the application command `feedwatch`.
	waitFor(t, d, startup, "the Discord application command to be registered", func() bool {
		return slices.Contains(f.chat.registered("1234567890"), "feedwatch")
	})

	// The schedule (@every 1s) polls again, conditionally.
	waitFor(t, d, startup, "a scheduled conditional poll (304) of both feeds", func() bool {
		_, a := f.feeds.stats(kyivWirePath)
		_, b := f.feeds.stats(euroDeskPath)
		return a > 0 && b > 0
	})
	f.feeds.publish(kyivWirePath, talksVenue)
	waitFor(t, d, startup, "the alert for an item published while running", alerted(f.chat, talksVenue, newsroom, warRoom))

	// SIGTERM while a Slack post is in flight and another waits behind it:
	// the post in flight finishes and is recorded as sent, the process exits
	// 0, and the waiting one stays queued for the next start.
	held := f.chat.holdSlack()
	f.feeds.publish(euroDeskPath, talksConfirmed)
	select {
	case <-held:
	case <-time.After(startup):
		t.Fatal("no Slack post arrived for the new item")
	}
	f.feeds.publish(kyivWirePath, talksQueued)
	// Discord is not held: once it has the later item, the newsroom's
	// message for it is queued behind the held one.
	waitFor(t, d, startup, "war-room's alerts while newsroom is held", func() bool {
		return alerted(f.chat, talksConfirmed, warRoom)() && alerted(f.chat, talksQueued, warRoom)()
	})
	sigterm := time.Now()
	d.signal(t, syscall.SIGTERM)
	waitFor(t, d, shutdownLimit, "the daemon to start stopping (log or closed listener)", func() bool {
		if strings.Contains(d.stderr.String(), "stopping") {
			return true
		}
		_, _, err := httpGet(base + "/healthz")
		return err != nil
	})
	if d.exited() {
		t.Fatal("feedwatch run exited with a Slack post still in flight")
	}
	f.chat.release()
	d.awaitExit(t, sigterm)
	if n := f.chat.abortedPosts(); n != 0 {
		t.Errorf("%d Slack posts were abandoned at shutdown, want the in-flight post finished", n)
	}
	if !alerted(f.chat, talksConfirmed, newsroom)() {
		t.Error("the Slack post in flight at SIGTERM was not completed")
	}
	if alerted(f.chat, talksQueued, newsroom)() {
		t.Error("a queued message was sent after SIGTERM; only the one in flight should finish")
	}
	if d.stdout.String() != "" {
		t.Errorf("run printed to stdout (logs belong on stderr):\n%s", d.stdout.String())
	}

	// Restart on the same database: nothing is sent twice; what was queued
	// goes out first, then what is new.
	before := map[string]int{newsroom: len(f.chat.to(newsroom)), warRoom: len(f.chat.to(warRoom))}
	_, nmBefore := f.feeds.stats(kyivWirePath)
	d2 := startDaemon(t, vars)
	waitFor(t, d2, startup, "GET /healthz after restart", func() bool {
		code, _, err := httpGet(base + "/healthz")
		return err == nil && code == http.StatusOK
	})
	waitFor(t, d2, startup, "a conditional poll after restart", func() bool {
		_, nm := f.feeds.stats(kyivWirePath)
		return nm > nmBefore
	})
	f.feeds.publish(kyivWirePath, talksAfterRestart)
	waitFor(t, d2, startup, "the queued alert and the one for an item published after restart", func() bool {
		return alerted(f.chat, talksAfterRestart, newsroom, warRoom)() && alerted(f.chat, talksQueued, newsroom)()
	})
	d2.terminate(t, os.Interrupt) // Ctrl-C stops it as cleanly as SIGTERM

	later := []item{talksVenue, talksConfirmed, talksQueued, talksAfterRestart}
	everything := slices.Concat(allItems, later)
	checkAlerted(t, f.chat, newsroom, slices.Concat(wantInstant[newsroom], later), everything)
	checkAlerted(t, f.chat, warRoom, slices.Concat(wantInstant[warRoom], later), everything)
	// After the restart: newsroom the queued message, then the new one, in
	// that order; war-room only the new one.
	for ch, want := range map[string][]item{newsroom: {talksQueued, talksAfterRestart}, warRoom: {talksAfterRestart}} {
		posts := f.chat.to(ch)[before[ch]:]
		if len(posts) != len(want) {
			t.Errorf("channel %s got %d messages after restart, want %d", ch, len(posts), len(want))
			continue
		}
		for i, it := range want {
			if !strings.Contains(posts[i].Raw, it.url()) {
				t.Errorf("channel %s: message %d after restart is not the one for %q", ch, i+1, it.Title)
			}
		}
	}
}

func TestRunFailsWhenItCannotListen(t *testing.T) {
	f := newFixture(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	r := feedwatch(t, f.with(map[string]string{"FW_TEST_LISTEN": addr}), "run", "-c", pipelineConfig)
	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	if !hasErrorLine(r.stderr, "feedwatch run: ", addr) {
		t.Errorf("stderr lacks a `feedwatch run:` line naming %s:\n%s", addr, r.stderr)
	}
	if n := f.chat.count(); n != 0 {
		t.Errorf("%d messages sent by a daemon that could not start", n)
	}
}
