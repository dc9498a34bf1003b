// Command feedwatch is a news-monitoring bot for team chat: it polls RSS,
// Atom and JSON feeds, matches new items against watched topics and posts
// alerts and digests to Slack and Discord. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/feedwatch/feedwatch/config"
	"github.com/feedwatch/feedwatch/internal/alerts/query"
	"github.com/feedwatch/feedwatch/internal/chat"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `feedwatch: news monitoring for team chat

Usage:
  feedwatch run -c FILE              the daemon: polls, digests, reminders, HTTP
  feedwatch once -c FILE [--digest]  poll every feed once, deliver alerts (and digests), exit
  feedwatch check -c FILE            validate the config
  feedwatch search -c FILE QUERY     search stored items
  feedwatch slack-manifest -c FILE [--url URL] [--json]
                                     print a Slack app manifest (slash command, scopes)
  feedwatch demo                     a self-contained demo on loopback, no account needed
  feedwatch version                  version and build info

-c may also come from FEEDWATCH_CONFIG. FEEDWATCH_LOG_LEVEL sets the log level
(debug, info, warn, error).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	case "demo":
		return runDemo(ctx, stdout, stderr)
	case "run", "once", "check", "search", "slack-manifest":
	default:
		fmt.Fprintf(stderr, "feedwatch: unknown command %q\n\n%s", cmd, usage)
		return 2
	}

	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("c", os.Getenv("FEEDWATCH_CONFIG"), "config file (or FEEDWATCH_CONFIG)")
	fs.StringVar(cfgPath, "config", *cfgPath, "config file (same as -c)")
	digest := false
	if cmd == "once" {
		fs.BoolVar(&digest, "digest", false, "also send every digest subscription now")
	}
	var manifestURL string
	var manifestJSON bool
	if cmd == "slack-manifest" {
		fs.StringVar(&manifestURL, "url", "", "public https URL of feedwatch's server (or of /slack/commands)")
		fs.BoolVar(&manifestJSON, "json", false, "print JSON instead of YAML")
	}
	pos, err := parseInterleaved(fs, rest)
	if err != nil {
		return 2
	}
	if *cfgPath == "" {
		fmt.Fprintf(stderr, "feedwatch %s: no config file: pass -c FILE or set FEEDWATCH_CONFIG\n", cmd)
		return 2
	}
	if cmd != "search" && len(pos) > 0 {
		fmt.Fprintf(stderr, "feedwatch %s: unexpected arguments: %s\n", cmd, strings.Join(pos, " "))
		return 2
	}

	level := slog.LevelInfo
	if cmd != "run" {
		level = slog.LevelWarn
	}
	log := newLogger(stderr, level)

	cfg, err := loadConfig(*cfgPath)
	if cmd == "check" {
		if err != nil {
			printConfigError(stderr, err)
			return 1
		}
		fmt.Fprintln(stdout, "ok")
		return 0
	}
	if err != nil {
		printConfigError(stderr, err)
		return 1
	}

	switch cmd {
	case "run":
		return runDaemon(ctx, cfg, log, stdout, stderr)
	case "once":
		return runOnce(ctx, cfg, digest, log, stdout, stderr)
	case "slack-manifest":
		return runSlackManifest(cfg, manifestURL, manifestJSON, stdout, stderr)
	default: // search
		if len(pos) == 0 {
			fmt.Fprintln(stderr, "feedwatch search: missing QUERY")
			return 2
		}
		return runSearch(ctx, cfg, strings.Join(pos, " "), log, stdout, stderr)
	}
}

// parseInterleaved parses flags that may stand before, between or after
// positional arguments (feedwatch search QUERY -c FILE), and returns the
// positional ones. "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// runSlackManifest prints the Slack app manifest for cfg: Socket Mode when
// slack.app_token is set, else the slash command's request URL.
func runSlackManifest(cfg *config.Config, requestURL string, asJSON bool, stdout, stderr io.Writer) int {
	socket := cfg.Slack.AppToken != ""
	if socket && requestURL != "" {
		fmt.Fprintln(stderr, "feedwatch slack-manifest: slack.app_token is set, so the app uses Socket Mode and --url is not needed")
	}
	out, err := chat.SlackManifest(chat.ManifestOptions{
		Command:    cfg.Slack.Command,
		RequestURL: requestURL,
		SocketMode: socket,
		JSON:       asJSON,
	})
	if err != nil {
		fmt.Fprintf(stderr, "feedwatch slack-manifest: %v\n", err)
		return 1
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "feedwatch slack-manifest: %v\n", err)
		return 1
	}
	return 0
}

func loadConfig(path string) (*config.Config, error) {
	return config.Load(path, config.Options{
		Version:    version,
		CheckQuery: checkQuery,
	})
}

func checkQuery(q string) error {
	_, err := query.Parse(q)
	return err
}

// printConfigError prints each config problem on its own line.
func printConfigError(w io.Writer, err error) {
	var ps config.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(w, p.String())
		}
		return
	}
	fmt.Fprintf(w, "feedwatch: %v\n", err)
}

func newLogger(w io.Writer, def slog.Level) *slog.Logger {
	level := def
	if v := os.Getenv("FEEDWATCH_LOG_LEVEL"); v != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err == nil {
			level = l
		}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func versionString() string {
	s := "feedwatch " + version
	if bi, ok := debug.ReadBuildInfo(); ok {
		s += " (" + bi.GoVersion
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "vcs.revision":
				s += ", commit " + kv.Value
			case "vcs.time":
				s += ", built from " + kv.Value
			case "vcs.modified":
				if kv.Value == "true" {
					s += ", modified"
				}
			}
		}
		s += ")"
	}
	return s
}
