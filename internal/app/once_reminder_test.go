package app_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/app"
)

// A team that runs `feedwatch once` from cron instead of the daemon still
// gets its deadline reminders: each run queues what fell due since the
// previous one, once.
func TestOnceSendsDueReminders(t *testing.T) {
	t0 := time.Date(2025, 9, 2, 10, 0, 0, 0, time.UTC)
	_, fsrv := newFeedServer(t, map[string]string{"/wire.xml": rss()})
	yaml := fmt.Sprintf(`
storage: {dsn: %q}
fetch: {allow_private: true}
feeds: [{name: wire, url: %q}]
channels: [{name: terminal, console: true}]
deadlines:
  - name: sept-2-ultimatum
    title: Deadline for Putin to agree to talks
    due: %s
    query: 'deadline Putin'
    remind: [55m, 0s]
    channels: [terminal]
`, filepath.Join(t.TempDir(), "fw.db"), fsrv.URL+"/wire.xml", t0.Add(time.Hour).Format(time.RFC3339))
	cfg, err := config.LoadBytes("test.yaml", []byte(yaml), config.Options{CheckQuery: func(q string) error {
		_, err := query.Parse(q)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	run := func(now time.Time) string {
		t.Helper()
		var out bytes.Buffer
		a, err := app.New(context.Background(), app.Options{Config: cfg, Stdout: &out, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.Once(context.Background(), false); err != nil {
			t.Fatalf("once at %v: %v", now, err)
		}
		return out.String()
	}
	if out := run(t0); strings.Contains(out, "Deadline for Putin") {
		t.Fatalf("first run (tracking starts, nothing due yet) printed a reminder:\n%s", out)
	}
	out := run(t0.Add(10 * time.Minute)) // the 55m reminder fell due at t0+5m
	if strings.Count(out, "Deadline for Putin to agree to talks") != 1 {
		t.Fatalf("second run printed, want one reminder:\n%s", out)
	}
	if out := run(t0.Add(20 * time.Minute)); strings.Contains(out, "Deadline for Putin") {
		t.Fatalf("third run repeated the reminder:\n%s", out)
	}
	if out := run(t0.Add(61 * time.Minute)); strings.Count(out, "Deadline for Putin to agree to talks") != 1 {
		t.Fatalf("run at due printed, want the at-due reminder:\n%s", out)
	}
}
