package main

import (
	"context"
	"fmt"
	"github.com/feedwatch/feedwatch/internal/store/postgres/pgtest"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// envPostgres names the PostgreSQL server the replica tests run against;
// .ci/run starts one.
const envPostgres = "FEEDWATCH_TEST_POSTGRES"

// replicaLease is the replicas' storage.lease: short, so that a takeover
// shows within the test.
const replicaLease = 3 * time.Second

// replicaConfig is testdata/pipeline.yaml's newsroom on PostgreSQL, with a
// digest every 10 s (at :00, :10 … on every replica's clock alike) and a
// deadline whose only reminder falls due while the test runs.
const replicaConfig = `timezone: Europe/Kyiv
storage:
  driver: postgres
  dsn: ${FW_TEST_PG}
  lease: %[1]s
fetch: {timeout: 5s, concurrency: 4, allow_private: true}
slack: {token: "${SLACK_BOT_TOKEN}", api_url: "${FW_TEST_SLACK_API}"}
discord: {token: "${DISCORD_BOT_TOKEN}", application_id: "1234567890", api_url: "${FW_TEST_DISCORD_API}"}
defaults: {schedule: "@every 1s", max_age: 0}
feeds:
  - {name: kyiv-wire, url: "${FW_TEST_FEEDS}/kyiv-wire.xml"}
  - {name: euro-desk, url: "${FW_TEST_FEEDS}/euro-desk.atom"}
topics:
  - {name: talks, query: '"peace talks" (Putin OR Zelensky*) -football'}
  - {name: guarantees, query: '"security guarantees" OR "Article 5"'}
  - {name: oil-buyers, query: '"Russian oil" (India OR China OR Turkey)'}
channels:
  - {name: newsroom, slack: C0NEWSROOM}
  - {name: war-room, discord: "112233445566778899"}
  - {name: morning-brief, slack: C0BRIEF}
subscriptions:
  - {channel: newsroom, topics: [talks, guarantees], mode: instant}
  - {channel: war-room, topics: [talks, oil-buyers], mode: instant}
  - {channel: morning-brief, mode: digest, schedule: "*/10 * * * * *"}
deadlines:
  - name: drill
    title: Replica drill deadline
    due: %[2]s
    query: 'zzzneverzzz'
    remind: [0s]
    channels: [newsroom, war-room]
    countdown: posts
`

// drillTitle is the deadline's title, which its reminder carries.
const drillTitle = "Replica drill deadline"

// freshSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose search_path is that schema; it skips without a server.
func freshSchema(t *testing.T) string { return pgtest.FreshSchema(t, "fwreplica") }

// leaseHolder returns the holder of the lease called name, "" when none.
func leaseHolder(t *testing.T, dsn, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer conn.Close(ctx)
	var holder string
	err = conn.QueryRow(ctx, "SELECT holder FROM leases WHERE name = $1 AND until > now()", name).Scan(&holder)
	if err != nil && err != pgx.ErrNoRows {
		t.Fatalf("read lease %s: %v", name, err)
	}
	return holder
}

// replicaSetup is a newsroom served by replicas on one fresh schema.
type replicaSetup struct {
	*fixture
	dsn, config string
}

func newReplicaSetup(t *testing.T, due time.Time) *replicaSetup {
	t.Helper()
	s := &replicaSetup{fixture: newFixture(t), dsn: freshSchema(t)}
	s.vars["FW_TEST_PG"] = s.dsn
	s.config = filepath.Join(t.TempDir(), "replicas.yaml")
	doc := fmt.Sprintf(replicaConfig, replicaLease, due.UTC().Format(time.RFC3339))
	if err := os.WriteFile(s.config, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// start starts one `feedwatch run` replica.
func (s *replicaSetup) start(t *testing.T) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(binPath, "run", "-c", s.config),
		stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	d.cmd.Env = userEnv(s.vars)
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
			t.Logf("replica %d stderr:\n%s", d.cmd.Process.Pid, d.stderr)
		}
	})
	return d
}

// holderPid is the pid in a replica id (host-pid-random).
func holderPid(holder string) int {
	parts := strings.Split(holder, "-")
	if len(parts) < 3 {
		return 0
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	return pid
}

// mentions counts the posts to channel that carry s; Discord posts are
// counted once per nonce, as Discord itself (enforce_nonce) would accept a
// resent one only once.
func mentions(cs *chatServer, channel, s string) int {
	n := 0
	nonces := map[string]bool{}
	for _, p := range cs.to(channel) {
		if !strings.Contains(readable(p.Raw), s) {
			continue
		}
		if nonce, _ := p.Fields["nonce"].(string); p.Platform == "discord" && nonce != "" {
			if nonces[nonce] {
				continue
			}
			nonces[nonce] = true
		}
		n++
	}
	return n
}

// checkOnce checks that every item of want is in exactly one post to
// channel; a Slack message may be repeated once in all (slackRepeats) when
// a replica was killed while sending it.
func checkOnce(t *testing.T, cs *chatServer, channel string, want []item, slackRepeats *int) {
	t.Helper()
	for _, it := range want {
		n := mentions(cs, channel, it.url())
		if n == 2 && channel != warRoom && *slackRepeats == 0 {
			*slackRepeats++
			t.Logf("channel %s: %q sent twice (a replica was killed while sending it)", channel, it.Title)
			continue
		}
		if n != 1 {
			t.Errorf("channel %s: %d messages carry %q, want 1", channel, n, it.Title)
		}
	}
}

// TestReplicasShareTheWork runs three replicas on one database, kills the one
// sending the newsroom's queue with SIGKILL in the middle of a send, and checks that every alert,
// the digests and the deadline reminder arrive once, and that the others
// take its work over within the lease.
func TestReplicasShareTheWork(t *testing.T) {
	due := time.Now().Add(25 * time.Second).Truncate(time.Second)
	s := newReplicaSetup(t, due)
	var replicas []*daemon
	for range 3 {
		replicas = append(replicas, s.start(t))
	}
	anyUp := func() *daemon {
		for _, d := range replicas {
			if !d.exited() {
				return d
			}
		}
		return nil
	}
	waitFor(t, anyUp(), 30*time.Second, "the first alerts", func() bool {
		return alerted(s.chat, talksReady, newsroom, warRoom)() && alerted(s.chat, guarantees, newsroom)() &&
			alerted(s.chat, hostile, newsroom, warRoom)() && alerted(s.chat, oilBuyers, warRoom)()
	})

	// Hold Slack while a new alert goes out, kill the replica sending it
	// (it holds the newsroom's send lease) in the middle of the send, then
	// let Slack answer again: the survivors must take the channel over once
	// the lease runs out, and poll, route and send what is published next.
	held := s.chat.holdSlack()
	s.feeds.publish(kyivWirePath, talksVenue)
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("no Slack post of the new alert")
	}
	var victim *daemon
	waitFor(t, anyUp(), 5*time.Second, "the newsroom's sender", func() bool {
		pid := holderPid(leaseHolder(t, s.dsn, "send:newsroom"))
		for _, d := range replicas {
			if d.cmd.Process.Pid == pid {
				victim = d
			}
		}
		return victim != nil
	})
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	killed := time.Now()
	s.chat.release()
	s.feeds.publish(euroDeskPath, talksConfirmed)
	waitFor(t, anyUp(), 30*time.Second, "alerts after the kill", func() bool {
		return alerted(s.chat, talksVenue, newsroom, warRoom)() && alerted(s.chat, talksConfirmed, newsroom, warRoom)()
	})
	took := time.Since(killed)
	t.Logf("newsroom's queue taken over and sent %v after the kill (lease %v)", took.Round(time.Millisecond), replicaLease)
	// Within the lease, plus a recheck and a poll period.
	if limit := replicaLease + 3*time.Second; took > limit {
		t.Errorf("takeover took %v, want at most %v", took, limit)
	}

	waitFor(t, anyUp(), time.Until(due)+20*time.Second, "the reminder", func() bool {
		return mentions(s.chat, newsroom, drillTitle) > 0 && mentions(s.chat, warRoom, drillTitle) > 0
	})
	waitFor(t, anyUp(), 30*time.Second, "the digests", func() bool {
		return mentions(s.chat, morningBrief, talksConfirmed.url()) > 0 && mentions(s.chat, morningBrief, oilBuyers.url()) > 0
	})
	// Leave time for any duplicate to show: two digest periods and more.
	time.Sleep(12 * time.Second)

	repeats := 0
	checkOnce(t, s.chat, newsroom, []item{talksReady, guarantees, hostile, talksVenue, talksConfirmed}, &repeats)
	checkOnce(t, s.chat, warRoom, []item{talksReady, hostile, oilBuyers, talksVenue, talksConfirmed}, &repeats)
	for _, ch := range []string{newsroom, warRoom} {
		if n := mentions(s.chat, ch, drillTitle); n != 1 {
			t.Errorf("channel %s: %d reminders of the drill deadline, want 1", ch, n)
		}
	}
	// Each story in one digest: the digests of every period went out once.
	checkOnce(t, s.chat, morningBrief, []item{talksReady, guarantees, hostile, oilBuyers, talksVenue, talksConfirmed}, &repeats)
	for _, d := range replicas {
		if d != victim && d.exited() {
			t.Errorf("replica %d exited (status %d)", d.cmd.Process.Pid, d.code)
		}
	}
}

// throughputConfig is a newsroom of many slow feeds whose every item
// matches one topic, alerted in one Slack channel.
const throughputConfig = `storage:
  driver: postgres
  dsn: ${FW_TEST_PG}
  lease: 30s
fetch: {timeout: 10s, concurrency: %[2]d, allow_private: true}
slack: {token: "${SLACK_BOT_TOKEN}", api_url: "${FW_TEST_SLACK_API}"}
defaults: {schedule: "@every 1h", max_age: 0}
feeds:
%[1]s
topics:
  - {name: drill, query: 'drill'}
channels:
  - {name: newsroom, slack: C0NEWSROOM}
subscriptions:
  - {channel: newsroom, topics: [drill], mode: instant}
`

// Throughput: feeds × items, each feed answering after feedLatency.
const (
	throughputFeeds       = 48
	throughputItems       = 5
	throughputLatency     = 300 * time.Millisecond
	throughputConcurrency = 2
)

// TestReplicaThroughput measures how long one and three replicas take from
// start to deliver every item of many slow feeds once: the replicas share
// the polls, so three should be faster. The times are logged (the note on
// replicas quotes them); what is checked is that every item arrives once.
func TestReplicaThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: starts replicas on many slow feeds")
	}
	var items [throughputFeeds][]item
	for f := range throughputFeeds {
		for i := range throughputItems {
			items[f] = append(items[f], item{ID: fmt.Sprintf("f%d-%d", f, i),
				Title: fmt.Sprintf("Drill report %d from desk %d", i, f),
				Link:  fmt.Sprintf("https://drill.example/%d/%d", f, i), Published: at(9, i)})
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var f int
		if _, err := fmt.Sscanf(r.URL.Path, "/feed%d.xml", &f); err != nil || f < 0 || f >= throughputFeeds {
			http.NotFound(w, r)
			return
		}
		select {
		case <-time.After(throughputLatency):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, rssDoc(items[f]))
	}))
	t.Cleanup(srv.Close)
	var feeds strings.Builder
	for f := range throughputFeeds {
		fmt.Fprintf(&feeds, "  - {name: desk-%d, url: %q}\n", f, fmt.Sprintf("%s/feed%d.xml", srv.URL, f))
	}
	doc := fmt.Sprintf(throughputConfig, feeds.String(), throughputConcurrency)

	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d replicas", n), func(t *testing.T) {
			s := &replicaSetup{fixture: newFixture(t), dsn: freshSchema(t)}
			s.vars["FW_TEST_PG"] = s.dsn
			s.config = filepath.Join(t.TempDir(), "throughput.yaml")
			if err := os.WriteFile(s.config, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			var first *daemon
			for i := range n {
				d := s.start(t)
				if i == 0 {
					first = d
				}
			}
			all := func() bool {
				for f := range throughputFeeds {
					for _, it := range items[f] {
						if mentions(s.chat, newsroom, it.url()) == 0 {
							return false
						}
					}
				}
				return true
			}
			waitFor(t, first, 2*time.Minute, "every item", all)
			took := time.Since(start)
			total := throughputFeeds * throughputItems
			t.Logf("%d replica(s): %d feeds (%v each), %d items delivered in %v: %.0f items/s",
				n, throughputFeeds, throughputLatency, total, took.Round(10*time.Millisecond), float64(total)/took.Seconds())
			repeats := 0
			for f := range throughputFeeds {
				checkOnce(t, s.chat, newsroom, items[f], &repeats)
			}
			if repeats > 0 {
				t.Errorf("%d repeated messages without a kill", repeats)
			}
		})
	}
}
