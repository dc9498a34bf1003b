package feeds_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedwatch/feedwatch/internal/alerts"
	"github.com/feedwatch/feedwatch/internal/chat"
	"github.com/feedwatch/feedwatch/internal/feeds"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

// The benchmarks of this file measure the whole poll of a desk's feeds, as
// the daemon runs it (Poller.PollAll, then Router.RouteNew, on a SQLite file),
// against floors measured the same way on the same documents: fetching them,
// fetching and decoding them with encoding/xml, and fetching and parsing them
// with gofeed. Run them with
//
//	go test -run '^$' -bench BenchmarkPoll -benchtime 3x -count 3 ./internal/feeds/
//
// The feeds are served by a child process (the test binary itself, see
// TestMain), so that the memory and CPU reported are feedwatch's alone.

// benchCorpus is the desk the benchmarks poll: 3000 feeds of 20 items from
// 100 sites, watched by 300 topics.
var benchCorpus = corpusSpec{Feeds: 3000, Items: 20, Sites: 100, Topics: 300, Seed: 1}

// benchConcurrency is the poll concurrency, fetch.concurrency's default.
const benchConcurrency = 16

// serveEnv, set to a corpusSpec, makes the test binary serve that corpus
// instead of running tests (see serveCorpus).
const serveEnv = "FEEDWATCH_BENCH_SERVE"

// TestMain runs the tests, or serves a corpus when started as the
// benchmarks' feed server.
func TestMain(m *testing.M) {
	if spec := os.Getenv(serveEnv); spec != "" {
		if err := serveCorpus(spec, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "feed server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveCorpus generates the corpus spec names, serves it on one loopback
// listener per site, writes "listening BYTES URL..." to out and serves until
// in reaches its end (the parent closed it, or died).
func serveCorpus(spec string, in io.Reader, out io.Writer) error {
	s, err := parseCorpusSpec(spec)
	if err != nil {
		return err
	}
	c := genCorpus(s, true)
	c.feeds = nil // only the documents are served
	debug.FreeOSMemory()
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	bases := make([]string, 0, s.Sites)
	for range s.Sites {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			srv.Close()
			return fmt.Errorf("listen: %w", err)
		}
		go func() { _ = srv.Serve(ln) }()
		bases = append(bases, "http://"+ln.Addr().String())
	}
	if _, err := fmt.Fprintf(out, "listening %d %s\n", c.bytes, strings.Join(bases, " ")); err != nil {
		srv.Close()
		return err
	}
	_, _ = io.Copy(io.Discard, in)
	return srv.Close()
}

// feedServer is a child process serving a corpus.
type feedServer struct {
	pid   int
	bases []string // one base URL per site
	bytes int64    // total size of the documents
}

// startFeedServer starts the test binary as a feed server for spec and
// stops it when tb ends.
func startFeedServer(tb testing.TB, spec corpusSpec) *feedServer {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+spec.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start feed server: %v", err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			tb.Errorf("feed server: %v", err)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("feed server: %v", err)
	}
	fields := strings.Fields(line)
	if len(fields) != 2+spec.Sites || fields[0] != "listening" {
		tb.Fatalf("feed server said %q", line)
	}
	size, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		tb.Fatalf("feed server said %q", line)
	}
	return &feedServer{pid: cmd.Process.Pid, bases: fields[2:], bytes: size}
}

// meter measures operations: wall time, CPU time of this process and of the
// feed server, the peak resident set of this process during each and what
// it was when each started (the binary, and what earlier operations left
// mapped), and the peak of the memory the Go runtime holds (the rest of the
// resident set is mostly SQLite's own allocations, its page caches first).
type meter struct {
	server               int
	ops                  int
	wall, cpu, serverCPU time.Duration
	cpuOK, peakOK        bool
	peak, goPeak, start  int64
}

// goMemory samples the memory the Go runtime holds from the system (heap,
// stacks and runtime structures, less what it has released) every few
// milliseconds until stop is closed, and returns the peak.
func goMemory(stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
		var peak int64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			peak = max(peak, int64(samples[0].Value.Uint64()-samples[1].Value.Uint64()))
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// measure runs op once, with b's timer running during op only, and
// accounts for it. The heap is collected and returned to the system first,
// so that the garbage of what came before does not count towards op's peak.
func (m *meter) measure(b *testing.B, op func()) time.Duration {
	debug.FreeOSMemory()
	m.peakOK = resetPeakRSS()
	if rss, ok := currentRSS(); ok {
		m.start = max(m.start, rss)
	}
	cpu0, ok0 := processCPU(0)
	srv0, ok1 := processCPU(m.server)
	stop := make(chan struct{})
	goPeak := goMemory(stop)
	b.StartTimer()
	start := time.Now()
	op()
	wall := time.Since(start)
	b.StopTimer()
	close(stop)
	m.goPeak = max(m.goPeak, <-goPeak)
	cpu1, ok2 := processCPU(0)
	srv1, ok3 := processCPU(m.server)
	m.ops++
	m.wall += wall
	m.cpuOK = ok0 && ok1 && ok2 && ok3
	m.cpu += cpu1 - cpu0
	m.serverCPU += srv1 - srv0
	if p, ok := peakRSS(); ok && m.peakOK {
		m.peak = max(m.peak, p)
	}
	return wall
}

// report adds the measurements to b's results, with items processed per
// operation.
func (m *meter) report(b *testing.B, items int) {
	if m.ops == 0 {
		return
	}
	n := float64(m.ops)
	if items > 0 {
		b.ReportMetric(float64(items)*n/m.wall.Seconds(), "items/s")
	}
	if m.cpuOK {
		b.ReportMetric(m.cpu.Seconds()/n, "cpu-s/op")
		b.ReportMetric(m.serverCPU.Seconds()/n, "server-cpu-s/op")
		if items > 0 && m.cpu > 0 {
			b.ReportMetric(float64(items)*n/m.cpu.Seconds(), "items/cpu-s")
		}
	}
	if m.peakOK {
		b.ReportMetric(float64(m.peak)/(1<<20), "peak-rss-MB")
		b.ReportMetric(float64(m.start)/(1<<20), "start-rss-MB")
	}
	b.ReportMetric(float64(m.goPeak)/(1<<20), "peak-go-MB")
}

// floorClient is a plain net/http client with the Poller's connection
// limits: the floor pays for HTTP and nothing else.
func floorClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: feeds.DefaultMaxConnsPerHost,
		MaxConnsPerHost:     feeds.DefaultMaxConnsPerHost,
	}}
}

// floor fetches every URL with workers requests at once and hands each body
// to decode, which returns how many entries it found. It returns the total
// of entries and bytes.
func floor(ctx context.Context, hc *http.Client, urls []string, workers int, decode func([]byte) (int, error)) (int, int64, error) {
	var next, items, size atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(urls)) {
					return
				}
				body, err := get(ctx, hc, urls[i])
				if err == nil {
					var n int
					n, err = decode(body)
					items.Add(int64(n))
				}
				if err != nil {
					errs[w] = fmt.Errorf("%s: %w", urls[i], err)
					return
				}
				size.Add(int64(len(body)))
			}
		})
	}
	wg.Wait()
	return int(items.Load()), size.Load(), errors.Join(errs...)
}

// get reads one document.
func get(ctx context.Context, hc *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

// Decoders of the floors.
var (
	// discardBody only counts: the floor of the network alone.
	discardBody = func([]byte) (int, error) { return 0, nil }
	// xmlTokens reads every token with encoding/xml, the floor of any XML
	// feed parser, counting items and entries.
	xmlTokens = func(body []byte) (int, error) {
		d := xml.NewDecoder(bytes.NewReader(body))
		n := 0
		for {
			tok, err := d.Token()
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			if se, ok := tok.(xml.StartElement); ok && (se.Name.Local == "item" || se.Name.Local == "entry") {
				n++
			}
		}
	}
	// gofeedParse parses with gofeed as the Poller does, without anything
	// after it.
	gofeedParse = func(body []byte) (int, error) {
		f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		return len(f.Items), nil
	}
)

// benchRules are the desk's topics with three subscriptions: every topic
// instantly to one channel, every topic in a digest, and a tenth of the
// topics instantly to a team channel.
func benchRules(tb testing.TB, topics []news.Topic) *alerts.Rules {
	tb.Helper()
	var team []string
	for i, t := range topics {
		if i%10 == 0 {
			team = append(team, t.Name)
		}
	}
	rules, err := alerts.NewRules(topics, []news.Subscription{
		{Channel: "desk", Mode: news.ModeInstant},
		{Channel: "morning", Mode: news.ModeDigest, Schedule: "0 8 * * *"},
		{Channel: "team", Topics: team, Mode: news.ModeInstant},
	}, nil)
	if err != nil {
		tb.Fatalf("rules: %v", err)
	}
	return rules
}

// pipeline is what the daemon runs on every poll: the Poller on a SQLite
// store, then the Router.
type pipeline struct {
	store  *sqlite.Store
	poller *feeds.Poller
	router *alerts.Router
	feeds  []news.Feed
}

// pollClock is the pipeline's clock: an hour after the corpus was written,
// so that every item is recent.
func pollClock() time.Time { return corpusNow.Add(time.Hour) }

// newPipeline opens a store at path with the feeds defined.
func newPipeline(tb testing.TB, path string, feedList []news.Feed, rules *alerts.Rules) *pipeline {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.SyncFeeds(ctx, feedList); err != nil {
		tb.Fatal(err)
	}
	// Wired as the daemon wires them (internal/app): the poller asks the
	// router which items it wants.
	router := alerts.NewRouter(alerts.RouterOptions{
		Store: st,
		Rules: rules,
		Split: func(_ string, m news.Message) []news.Message { return chat.Split(chat.PlatformSlack, m) },
		Now:   pollClock,
	})
	return &pipeline{
		store: st,
		poller: feeds.NewPoller(feeds.PollerOptions{
			Store:       st,
			Fetcher:     feeds.NewFetcher(feeds.FetchOptions{AllowPrivate: true, Now: pollClock}),
			Now:         pollClock,
			Concurrency: benchConcurrency,
			Watched:     router.Wants,
		}),
		router: router,
		feeds:  feedList,
	}
}

// pollStats sums up one run of the pipeline.
type pollStats struct {
	fetched, fresh, notModified int
	queued                      int
	route                       time.Duration // of the run's time, routing
	indexLag                    time.Duration // of the run's time, waiting for the full-text index after routing
}

// run polls every feed and routes what is new.
func (p *pipeline) run(ctx context.Context) (pollStats, error) {
	var s pollStats
	results, err := p.poller.PollAll(ctx, p.feeds)
	for _, r := range results {
		s.fetched += r.Fetched
		s.fresh += r.New
		if r.NotModified {
			s.notModified++
		}
	}
	if err != nil {
		return s, err
	}
	start := time.Now()
	s.queued, err = p.router.RouteNew(ctx)
	s.route = time.Since(start)
	if err != nil {
		return s, err
	}
	// The full-text index is written beside the poll, on its own
	// connection; a poll is only counted done once it covers the poll's
	// items too, so that its cost is never left out of the figures.
	start = time.Now()
	err = p.store.WaitIndexed(ctx)
	s.indexLag = time.Since(start)
	return s, err
}

// expectedMatches counts, per topic, the generated items that match it,
// from the text the generator wrote (not from what the pipeline parsed).
func expectedMatches(c *corpus, rules *alerts.Rules) map[string]int {
	want := make(map[string]int)
	var buf []int
	for _, f := range c.feeds {
		for _, it := range f.items {
			m, idx := rules.Match(news.Item{Feed: f.name, Title: it.title, Summary: it.summary, Categories: it.categories}, buf)
			buf = idx
			for _, t := range m.Topics {
				want[t]++
			}
		}
	}
	return want
}

// checkMatches compares the matches the store recorded with want.
func checkMatches(tb testing.TB, st *sqlite.Store, topics []news.Topic, want map[string]int) {
	tb.Helper()
	total := 0
	for _, t := range topics {
		got, err := st.CountMatches(context.Background(), t.Name, time.Time{})
		if err != nil {
			tb.Fatal(err)
		}
		if got != want[t.Name] {
			tb.Errorf("topic %s (%s): %d items matched, want %d", t.Name, t.Query, got, want[t.Name])
		}
		total += got
	}
	if total == 0 {
		tb.Errorf("no item matched any of %d topics", len(topics))
	}
}

// BenchmarkPoll polls 3000 generated feeds of 20 items:
//
//   - floor=fetch, floor=fetch+xml, floor=fetch+gofeed: fetching every
//     document with 16 requests at once, then nothing, a bare encoding/xml
//     token loop, or a gofeed parse;
//   - first: the first poll of a new store, every item new, stored, indexed
//     for search, matched against 300 topics and routed to three
//     subscriptions; each run also measures the fetch+gofeed floor just
//     before, and reports the ratio to it (x-floor);
//   - repeat: the next poll, every feed answering 304.
//
// Each reports items/s, CPU seconds of this process and of the feed server,
// items per CPU-second (steadier than wall time on a busy machine) and the
// peak resident set of this process.
func BenchmarkPoll(b *testing.B) {
	srv := startFeedServer(b, benchCorpus)
	meta := genCorpus(benchCorpus, false)
	feedList := meta.newsFeeds(srv.bases)
	urls := make([]string, len(feedList))
	for i, f := range feedList {
		urls[i] = f.URL
	}
	rules := benchRules(b, meta.topics)
	want := expectedMatches(meta, rules)
	topics := meta.topics
	wantItems := benchCorpus.Feeds * benchCorpus.Items
	meta = nil // the generated text is not needed any more: keep it out of the peak
	ctx := context.Background()
	b.Logf("corpus: %d feeds from %d sites, %d items, %.1f MB; %d topics",
		benchCorpus.Feeds, benchCorpus.Sites, wantItems, float64(srv.bytes)/1e6, len(topics))

	for _, fl := range []struct {
		name   string
		decode func([]byte) (int, error)
		items  int
	}{
		{"floor=fetch", discardBody, 0},
		{"floor=fetch+xml", xmlTokens, wantItems},
		{"floor=fetch+gofeed", gofeedParse, wantItems},
	} {
		b.Run(fl.name, func(b *testing.B) {
			hc := floorClient()
			defer hc.CloseIdleConnections()
			m := &meter{server: srv.pid}
			b.SetBytes(srv.bytes)
			b.StopTimer()
			for range b.N {
				var err error
				var items int
				var size int64
				m.measure(b, func() { items, size, err = floor(ctx, hc, urls, benchConcurrency, fl.decode) })
				if err != nil {
					b.Fatal(err)
				}
				if items != fl.items || size != srv.bytes {
					b.Fatalf("floor read %d items in %d bytes, want %d in %d", items, size, fl.items, srv.bytes)
				}
			}
			m.report(b, fl.items)
		})
	}

	b.Run("first", func(b *testing.B) {
		hc := floorClient()
		defer hc.CloseIdleConnections()
		m := &meter{server: srv.pid}
		var floors, route, lag time.Duration
		b.SetBytes(srv.bytes)
		b.StopTimer()
		for i := range b.N {
			start := time.Now()
			if _, _, err := floor(ctx, hc, urls, benchConcurrency, gofeedParse); err != nil {
				b.Fatal(err)
			}
			floors += time.Since(start)
			hc.CloseIdleConnections()
			p := newPipeline(b, filepath.Join(b.TempDir(), "feedwatch.db"), feedList, rules)

			var st pollStats
			var err error
			m.measure(b, func() { st, err = p.run(ctx) })
			route += st.route
			lag += st.indexLag
			if err != nil {
				b.Fatal(err)
			}
			if st.fetched != wantItems || st.fresh != wantItems {
				b.Fatalf("first poll fetched %d items, stored %d, want %d", st.fetched, st.fresh, wantItems)
			}
			if i == 0 {
				checkMatches(b, p.store, topics, want)
			}
			if err := p.store.Close(); err != nil {
				b.Fatal(err)
			}
		}
		m.report(b, wantItems)
		b.ReportMetric(route.Seconds()/float64(b.N), "route-s/op")
		b.ReportMetric(lag.Seconds()/float64(b.N), "index-lag-s/op")
		b.ReportMetric(floors.Seconds()/float64(b.N), "floor-s/op")
		b.ReportMetric(m.wall.Seconds()/floors.Seconds(), "x-floor")
	})

	b.Run("repeat", func(b *testing.B) {
		b.StopTimer()
		p := newPipeline(b, filepath.Join(b.TempDir(), "feedwatch.db"), feedList, rules)
		defer p.store.Close()
		if _, err := p.run(ctx); err != nil {
			b.Fatal(err)
		}
		m := &meter{server: srv.pid}
		for range b.N {
			var st pollStats
			var err error
			m.measure(b, func() { st, err = p.run(ctx) })
			if err != nil {
				b.Fatal(err)
			}
			if st.notModified != len(feedList) || st.fresh != 0 || st.queued != 0 {
				b.Fatalf("repeat poll: %+v, want every feed not modified", st)
			}
		}
		m.report(b, 0)
		b.ReportMetric(float64(len(feedList))*float64(m.ops)/m.wall.Seconds(), "feeds/s")
	})
}
