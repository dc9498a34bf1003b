package chat

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixedNow is the clock of every rendering test.
var fixedNow = time.Date(2025, 9, 1, 9, 0, 0, 0, time.UTC)

func testRenderer(t testing.TB) Renderer {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	return Renderer{Loc: loc, Now: func() time.Time { return fixedNow }}
}

func alertMessage() news.Message {
	return news.Message{
		Kind:  news.KindAlert,
		Title: "New matches",
		Sections: []news.Section{
			{Topic: "ukraine-talks", Title: "Ukraine talks", Entries: []news.Entry{
				{
					Title:     "Putin & Zelensky <agree> to *talks* in [Istanbul]",
					URL:       "https://example.org/news/talks?id=1&ref=(rss)",
					Feed:      "kyiv-independent",
					Published: fixedNow.Add(-3 * time.Hour),
					Sources:   3,
					Summary:   "Officials said the meeting could happen\nas soon as next week.",
					Notes:     []string{"concerns deadline sept-2-ultimatum (due in 1d 14h)"},
				},
				{
					Title:     "Kremlin comments on talks",
					URL:       "javascript:alert(1)",
					Feed:      "wire",
					Published: fixedNow.Add(-25 * time.Minute),
				},
			}},
			{Topic: "sanctions", Entries: []news.Entry{
				{
					Title:     "EU prepares 19th sanctions package",
					URL:       "https://example.com/eu sanctions",
					Feed:      "eu-observer",
					Published: fixedNow.Add(-5 * 24 * time.Hour),
				},
			}},
		},
	}
}

func digestMessage() news.Message {
	return news.Message{
		Kind:   news.KindDigest,
		Title:  "Morning digest",
		Intro:  "4 stories in 2 topics since yesterday 08:00.",
		Footer: "feedwatch digest · newsroom",
		Sections: []news.Section{
			{Topic: "ukraine-talks", Title: "Ukraine talks", Entries: []news.Entry{
				{Title: "Talks set for Friday", URL: "https://example.org/1", Feed: "kyiv-independent", Published: fixedNow.Add(-1 * time.Hour), Sources: 4},
				{Title: "Envoy arrives in Kyiv", URL: "https://example.org/2", Feed: "wire", Published: fixedNow.Add(-7 * time.Hour)},
				{Title: "Analysis: what a ceasefire would take", URL: "https://example.org/3", Feed: "analysis", Published: fixedNow.Add(-30 * time.Hour), Sources: 2},
			}},
			{Topic: "energy", Title: "Energy", Entries: []news.Entry{
				{Title: "Gas prices fall 3%", URL: "https://example.net/gas", Feed: "markets", Published: fixedNow.Add(-2 * time.Hour)},
			}},
		},
	}
}

// longDigest is big enough to be split on Discord.
func longDigest(n int) news.Message {
	m := news.Message{Kind: news.KindDigest, Title: "Weekly digest", Intro: "Everything from the week.", Footer: "feedwatch"}
	s := news.Section{Topic: "long-reads", Title: "Long reads"}
	for i := range n {
		s.Entries = append(s.Entries, news.Entry{
			Title:     strings.Repeat("Very long headline about the situation ", 6) + string(rune('A'+i%26)),
			URL:       "https://example.org/story/" + strings.Repeat("x", 40) + "/" + string(rune('a'+i%26)),
			Feed:      "feed",
			Published: fixedNow.Add(-time.Duration(i) * time.Hour),
		})
	}
	m.Sections = []news.Section{s}
	return m
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file; run go test -update and review the diff\n--- got ---\n%s", name, got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // golden files meant to be read: show <, > and & as they are
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b.Bytes()
}

func TestRenderGolden(t *testing.T) {
	r := testRenderer(t)
	msgs := map[string]news.Message{
		"alert":        alertMessage(),
		"digest":       digestMessage(),
		"digest_split": longDigest(30),
	}
	for name, m := range msgs {
		t.Run(name+"/slack", func(t *testing.T) {
			golden(t, name+".slack.json", mustJSON(t, r.Slack(m)))
		})
		t.Run(name+"/discord", func(t *testing.T) {
			golden(t, name+".discord.json", mustJSON(t, r.Discord(m)))
		})
		t.Run(name+"/console", func(t *testing.T) {
			var b strings.Builder
			for _, p := range Split(PlatformDiscord, m) { // show part labels too
				b.WriteString(r.Console(p))
				b.WriteString("\n")
			}
			golden(t, name+".console.txt", []byte(b.String()))
		})
	}
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func mustMarshalString(t testing.TB, v any) string { return string(mustMarshal(t, v)) }
