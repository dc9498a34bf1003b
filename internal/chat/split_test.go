package chat

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// bigMessage has n entries spread over a few topics, each with a long title,
// a distinct URL, a summary and notes: the shape of a burst after an outage.
func bigMessage(n int, titleLen int) news.Message {
	m := news.Message{Kind: news.KindDigest, Title: "Digest", Intro: "A big one.", Footer: "feedwatch · test"}
	topics := []string{"ukraine-talks", "sanctions", "energy", "elections"}
	for i, tp := range topics {
		m.Sections = append(m.Sections, news.Section{Topic: tp, Title: strings.ToUpper(tp[:1]) + tp[1:]})
		_ = i
	}
	for i := range n {
		s := &m.Sections[i%len(topics)]
		title := fmt.Sprintf("entry-%05d ", i) + strings.Repeat("Zelensky* & <Putin> _talks_ ", titleLen/28+1)
		s.Entries = append(s.Entries, news.Entry{
			Title:     title[:titleLen],
			URL:       fmt.Sprintf("https://example.org/e/%05d?q=%s", i, strings.Repeat("a", i%200)),
			Feed:      "feed-" + fmt.Sprint(i%7),
			Published: fixedNow.Add(-time.Duration(i) * time.Minute),
			Sources:   i % 4,
			Summary:   strings.Repeat("summary text ", i%40),
			Notes:     []string{"a note about a deadline"},
		})
	}
	return m
}

// flatten lists the entries of parts in order.
func flatten(parts []news.Message) []news.Entry {
	var out []news.Entry
	for _, p := range parts {
		for _, s := range p.Sections {
			out = append(out, s.Entries...)
		}
	}
	return out
}

// linkRE finds the targets of Slack (<url|) and Discord ](url)) links in
// JSON-encoded payloads.
var linkRE = regexp.MustCompile(`\\u003c(https?://[^|\\]+)\||\]\((https?://[^)\s]+)\)`)

// checkSplit asserts Split's promises for platform p on m: entries kept in
// order, exactly once; parts numbered; intro first, footer last; every
// rendered part within every limit, and each entry's link in exactly one.
func checkSplit(t testing.TB, r Renderer, p Platform, m news.Message) []news.Message {
	t.Helper()
	parts := Split(p, m)
	var want []news.Entry
	for _, s := range m.Sections {
		want = append(want, s.Entries...)
	}
	got := flatten(parts)
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries across parts, want %d", p, len(got), len(want))
	}
	for i := range got {
		if got[i].URL != want[i].URL || got[i].Title != want[i].Title {
			t.Fatalf("%s: entry %d is %q, want %q", p, i, got[i].Title, want[i].Title)
		}
	}
	if len(parts) > 1 {
		for i, pm := range parts {
			if pm.Part != i+1 || pm.Parts != len(parts) {
				t.Fatalf("%s: part %d numbered %d/%d", p, i, pm.Part, pm.Parts)
			}
			if (pm.Intro != "") != (i == 0 && m.Intro != "") || (pm.Footer != "") != (i == len(parts)-1 && m.Footer != "") {
				t.Fatalf("%s: part %d has intro %q footer %q", p, i, pm.Intro, pm.Footer)
			}
		}
	}
	var rendered []string
	for _, pm := range parts {
		switch {
		case p.isSlack():
			ps := r.slackPart(pm)
			if len(ps) != 1 {
				t.Fatalf("%s: a part rendered as %d messages", p, len(ps))
			}
			if probs := slackProblems(ps[0]); len(probs) > 0 {
				t.Fatalf("%s part %d/%d: %v", p, pm.Part, pm.Parts, probs)
			}
			rendered = append(rendered, string(mustMarshal(t, ps[0].Blocks)))
		case p.isDiscord():
			ps := r.discordPart(pm)
			if len(ps) != 1 {
				t.Fatalf("%s: a part rendered as %d messages", p, len(ps))
			}
			if probs := discordProblems(ps[0]); len(probs) > 0 {
				t.Fatalf("%s part %d/%d: %v", p, pm.Part, pm.Parts, probs)
			}
			rendered = append(rendered, string(mustMarshal(t, ps[0])))
		}
	}
	if label := partLabel(parts[0]); len(parts) > 1 && !strings.Contains(rendered[0], label) {
		t.Fatalf("%s: first part does not show %q", p, label)
	}
	links := map[string]int{}
	for _, m := range linkRE.FindAllStringSubmatch(strings.Join(rendered, "\n"), -1) {
		links[m[1]+m[2]]++
	}
	for _, e := range want {
		u := SafeURL(e.URL)
		if u == "" {
			continue
		}
		if c := links[u]; c != 1 {
			t.Fatalf("%s: link %s appears %d times across parts", p, u, c)
		}
	}
	return parts
}

func TestSplitKeepsEveryEntryWithinLimits(t *testing.T) {
	r := testRenderer(t)
	tests := []struct {
		name     string
		entries  int
		titleLen int
	}{
		{"one", 1, 40},
		{"100 long titles", 100, 280},
		{"1000 long titles", 1000, 290},
		{"1000 short titles", 1000, 20},
	}
	for _, tt := range tests {
		for _, p := range []Platform{PlatformSlack, PlatformDiscord} {
			t.Run(fmt.Sprintf("%s/%s", tt.name, p), func(t *testing.T) {
				m := bigMessage(tt.entries, tt.titleLen)
				parts := checkSplit(t, r, p, m)
				if tt.entries == 1 && len(parts) != 1 {
					t.Fatalf("one entry split into %d parts", len(parts))
				}
				t.Logf("%d entries -> %d parts", tt.entries, len(parts))
			})
		}
	}
}

// Webhooks take the same messages as the APIs, so they split the same way.
func TestSplitWebhooksLikeTheirAPIs(t *testing.T) {
	m := bigMessage(300, 200)
	pairs := [][2]Platform{{PlatformSlackWebhook, PlatformSlack}, {PlatformDiscordWebhook, PlatformDiscord}}
	for _, p := range pairs {
		t.Run(string(p[0]), func(t *testing.T) {
			a, b := Split(p[0], m), Split(p[1], m)
			if mustMarshalString(t, a) != mustMarshalString(t, b) {
				t.Fatalf("%s splits differently from %s", p[0], p[1])
			}
		})
	}
}

// A burst of a hundred alerts is a handful of messages, not a hundred.
func TestSplitGroupsABurstIntoAFewMessages(t *testing.T) {
	m := bigMessage(100, 80)
	for _, p := range []Platform{PlatformSlack, PlatformDiscord} {
		t.Run(string(p), func(t *testing.T) {
			if n := len(Split(p, m)); n > 10 {
				t.Fatalf("100 alerts went out as %d messages", n)
			}
		})
	}
}

func TestSplitLeavesFittingMessagesAlone(t *testing.T) {
	m := alertMessage()
	for _, p := range []Platform{PlatformSlack, PlatformDiscord, PlatformConsole} {
		t.Run(string(p), func(t *testing.T) {
			parts := Split(p, m)
			if len(parts) != 1 || parts[0].Parts != 0 || len(flatten(parts)) != 3 {
				t.Fatalf("Split changed a message that fits: %+v", parts)
			}
		})
	}
	t.Run("console never splits", func(t *testing.T) {
		if n := len(Split(PlatformConsole, bigMessage(1000, 290))); n != 1 {
			t.Fatalf("console split into %d", n)
		}
	})
}

// oversizedMessage has one entry, and every other text, far over any limit.
func oversizedMessage() news.Message {
	huge := strings.Repeat("<@U123> & *bold* ", 2000)
	return news.Message{Kind: news.KindAlert, Title: strings.Repeat("T", 500), Intro: strings.Repeat("i", 9000),
		Footer: strings.Repeat("f", 9000),
		Sections: []news.Section{{Topic: strings.Repeat("t", 900), Entries: []news.Entry{{
			Title: huge, URL: "https://example.org/" + strings.Repeat("p", 2000), Feed: huge, Summary: huge,
			Notes: []string{huge, huge, huge, huge},
		}}}},
	}
}

// One monstrous entry is cut, not dropped, and still fits.
func TestSplitCutsAnOversizedEntry(t *testing.T) {
	r := testRenderer(t)
	m := oversizedMessage()
	for _, p := range []Platform{PlatformSlack, PlatformDiscord} {
		t.Run(string(p), func(t *testing.T) {
			parts := checkSplit(t, r, p, m)
			if len(parts) != 1 {
				t.Fatalf("one entry became %d parts", len(parts))
			}
		})
	}
	if !strings.Contains(mustMarshalString(t, r.Slack(m)), ellipsis) {
		t.Fatal("the cut entry does not say it was cut")
	}
}

// Sections without entries keep their heading; empty messages still render.
func TestSplitEmptySectionsAndMessages(t *testing.T) {
	r := testRenderer(t)
	tests := []struct {
		name string
		m    news.Message
	}{
		{"no sections", news.Message{Kind: news.KindNotice, Intro: "Nothing new."}},
		{"empty section", news.Message{Kind: news.KindDigest, Sections: []news.Section{{Topic: "quiet"}}}},
		{"many empty sections", func() news.Message {
			m := news.Message{Kind: news.KindDigest, Footer: "end"}
			for i := range 60 {
				m.Sections = append(m.Sections, news.Section{Topic: fmt.Sprintf("topic-%d", i)})
			}
			return m
		}()},
	}
	for _, tt := range tests {
		for _, p := range []Platform{PlatformSlack, PlatformDiscord} {
			t.Run(tt.name+"/"+string(p), func(t *testing.T) {
				parts := checkSplit(t, r, p, tt.m)
				n := 0
				for _, pm := range parts {
					n += len(pm.Sections)
				}
				if n != len(tt.m.Sections) {
					t.Fatalf("%d sections across parts, want %d", n, len(tt.m.Sections))
				}
			})
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("Putin & Zelensky <agree>", "https://example.org/a?b=(c)", "feed", "summary", "note", uint16(3), uint8(2))
	f.Add("<!channel> @everyone [x](http://evil)", "javascript:alert(1)", "<@U1>", "\x1b[31mred", "", uint16(400), uint8(1))
	f.Add(strings.Repeat("😀", 3000), "http://[::1]:80/"+strings.Repeat("%", 3000), strings.Repeat("_", 500), "", strings.Repeat("\n", 100), uint16(60), uint8(7))
	r := Renderer{Loc: time.UTC, Now: func() time.Time { return fixedNow }}
	f.Fuzz(func(t *testing.T, title, link, feed, summary, note string, n uint16, sections uint8) {
		count := int(n % 700)
		secs := int(sections%9) + 1
		m := news.Message{Kind: news.KindDigest, Title: title, Intro: summary, Footer: note}
		for i := range secs {
			m.Sections = append(m.Sections, news.Section{Topic: feed + fmt.Sprint(i), Title: title})
		}
		for i := range count {
			s := &m.Sections[i%secs]
			s.Entries = append(s.Entries, news.Entry{
				Title: title + fmt.Sprint(i), URL: link, Feed: feed, Summary: summary,
				Notes: []string{note}, Published: fixedNow.Add(-time.Duration(i) * time.Hour), Sources: i,
			})
		}
		for _, p := range []Platform{PlatformSlack, PlatformDiscord} {
			parts := Split(p, m)
			if got := len(flatten(parts)); got != count {
				t.Fatalf("%s: %d entries across parts, want %d", p, got, count)
			}
			for _, pm := range parts {
				if p.isSlack() {
					for _, sp := range r.slackPart(pm) {
						if probs := slackProblems(sp); len(probs) > 0 {
							t.Fatalf("%s: %v", p, probs)
						}
					}
				} else {
					for _, dp := range r.discordPart(pm) {
						if probs := discordProblems(dp); len(probs) > 0 {
							t.Fatalf("%s: %v", p, probs)
						}
					}
				}
			}
		}
	})
}
