package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/app"
	"github.com/feedwatch/feedwatch/internal/demo"
)

func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) (*app.App, error) {
	return app.New(ctx, app.Options{Config: cfg, Logger: log, Stdout: stdout, Version: version})
}

func runDaemon(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout, stderr io.Writer) int {
	a, err := newApp(ctx, cfg, log, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "feedwatch run: %v\n", err)
		return 1
	}
	defer a.Close()
	if err := a.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "feedwatch run: %v\n", err)
		return 1
	}
	return 0
}

func runOnce(ctx context.Context, cfg *config.Config, digest bool, log *slog.Logger, stdout, stderr io.Writer) int {
	a, err := newApp(ctx, cfg, log, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "feedwatch once: %v\n", err)
		return 1
	}
	defer a.Close()
	if err := a.Once(ctx, digest); err != nil {
		printJoined(stderr, "feedwatch once", err)
		return 1
	}
	return 0
}

func runSearch(ctx context.Context, cfg *config.Config, q string, log *slog.Logger, stdout, stderr io.Writer) int {
	a, err := newApp(ctx, cfg, log, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "feedwatch search: %v\n", err)
		return 1
	}
	defer a.Close()
	text, err := a.SearchText(ctx, q)
	if err != nil {
		fmt.Fprintf(stderr, "feedwatch search: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, text)
	return 0
}

// printJoined prints each line of an error (joined errors print one per
// line) behind prefix.
func printJoined(w io.Writer, prefix string, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if line != "" {
			fmt.Fprintf(w, "%s: %s\n", prefix, line)
		}
	}
}

// runDemo serves the bundled sample feeds on loopback, loads the demo config
// against them with a throwaway database, and runs one poll with digests,
// printing everything to the terminal.
func runDemo(ctx context.Context, stdout, stderr io.Writer) int {
	log := newLogger(stderr, slog.LevelWarn)
	base, stopServer, err := demo.Serve(ctx, time.Now)
	if err != nil {
		fmt.Fprintf(stderr, "feedwatch demo: %v\n", err)
		return 1
	}
	defer stopServer()
	dir, err := os.MkdirTemp("", "feedwatch-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "feedwatch demo: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)

	demoEnv := map[string]string{
		"FEEDWATCH_DEMO_URL": base,
		"FEEDWATCH_DEMO_DB":  filepath.Join(dir, "demo.db"),
		"FEEDWATCH_DEMO_DUE": time.Now().Add(50 * time.Hour).Truncate(time.Hour).Format(time.RFC3339),
	}
	env := func(name string) (string, bool) {
		if v, ok := demoEnv[name]; ok {
			return v, true
		}
		return os.LookupEnv(name)
	}
	cfg, err := config.LoadBytes("demo.yaml", config.DemoConfig, config.Options{Version: version, Getenv: env, CheckQuery: checkQuery})
	if err != nil {
		printConfigError(stderr, err)
		return 1
	}

	a, err := newApp(ctx, cfg, log, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "feedwatch demo: %v\n", err)
		return 1
	}
	defer a.Close()

	fmt.Fprintf(stdout, "feedwatch demo: %d sample feeds served at %s, %d topics watched.\n", len(a.Feeds()), base, len(cfg.Topics))
	fmt.Fprintln(stdout, "Polling every feed once; instant alerts and a digest follow.")
	fmt.Fprintln(stdout)
	if err := a.Once(ctx, true); err != nil {
		printJoined(stderr, "feedwatch demo", err)
		return 1
	}
	fmt.Fprintln(stdout)
	for _, q := range []string{`ceasefire`, `"security guarantees" OR "Article 5"`} {
		text, err := a.SearchText(ctx, q)
		if err != nil {
			fmt.Fprintf(stderr, "feedwatch demo: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "$ feedwatch search -c config.yaml '%s'\n%s\n", q, text)
	}
	fmt.Fprintln(stdout, "Next: copy config/example.yaml, add your feeds, topics and a Slack or Discord channel, then `feedwatch check -c FILE` and `feedwatch run -c FILE`.")
	return 0
}
