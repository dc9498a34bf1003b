package chat

import (
	"fmt"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// slackProblems lists every way p breaks a Slack limit.
func slackProblems(p SlackPayload) []string {
	var out []string
	if len(p.Blocks) > SlackMaxBlocks {
		out = append(out, fmt.Sprintf("%d blocks > %d", len(p.Blocks), SlackMaxBlocks))
	}
	if n := textLen(p.Text); n > SlackFallbackTextMax || n == 0 {
		out = append(out, fmt.Sprintf("fallback text length %d", n))
	}
	for i, b := range p.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if n := textLen(b.Text.Text); n > SlackHeaderTextMax || n == 0 {
				out = append(out, fmt.Sprintf("block %d: header length %d", i, n))
			}
		case *slack.SectionBlock:
			if n := textLen(b.Text.Text); n > SlackSectionTextMax || n == 0 {
				out = append(out, fmt.Sprintf("block %d: section length %d", i, n))
			}
		case *slack.ContextBlock:
			if len(b.ContextElements.Elements) > 10 {
				out = append(out, fmt.Sprintf("block %d: %d context elements", i, len(b.ContextElements.Elements)))
			}
			for _, e := range b.ContextElements.Elements {
				if tb, ok := e.(*slack.TextBlockObject); ok && textLen(tb.Text) > SlackContextTextMax {
					out = append(out, fmt.Sprintf("block %d: context text length %d", i, textLen(tb.Text)))
				}
			}
		case *slack.DividerBlock:
		default:
			out = append(out, fmt.Sprintf("block %d: unexpected type %T", i, b))
		}
	}
	return out
}

// discordProblems lists every way p breaks a Discord limit.
func discordProblems(p DiscordPayload) []string {
	var out []string
	if n := textLen(p.Content); n > DiscordContentMax {
		out = append(out, fmt.Sprintf("content length %d", n))
	}
	if p.Content == "" && len(p.Embeds) == 0 {
		out = append(out, "empty message")
	}
	if len(p.Embeds) > DiscordMaxEmbeds {
		out = append(out, fmt.Sprintf("%d embeds", len(p.Embeds)))
	}
	total := 0
	for i, e := range p.Embeds {
		check := func(what string, s string, max int) {
			n := textLen(s)
			total += n
			if n > max {
				out = append(out, fmt.Sprintf("embed %d: %s length %d > %d", i, what, n, max))
			}
		}
		check("title", e.Title, DiscordEmbedTitleMax)
		check("description", e.Description, DiscordEmbedDescriptionMax)
		if e.Footer != nil {
			check("footer", e.Footer.Text, DiscordFooterTextMax)
		}
		if e.Author != nil {
			check("author", e.Author.Name, DiscordAuthorNameMax)
		}
		if len(e.Fields) > DiscordMaxFields {
			out = append(out, fmt.Sprintf("embed %d: %d fields", i, len(e.Fields)))
		}
		for _, f := range e.Fields {
			check("field name", f.Name, DiscordFieldNameMax)
			check("field value", f.Value, DiscordFieldValueMax)
		}
		if e.Title == "" && e.Description == "" {
			out = append(out, fmt.Sprintf("embed %d: empty", i))
		}
	}
	if total > DiscordEmbedsTotalMax {
		out = append(out, fmt.Sprintf("embeds total %d > %d", total, DiscordEmbedsTotalMax))
	}
	return out
}

func TestTextLenCountsUTF16Units(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"Kyïv", 4},
		{"😀", 2}, // outside the BMP: two units, one code point
		{"a\u200bb", 3},
		{"\xff", 1}, // invalid UTF-8 goes out as one U+FFFD
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			if got := textLen(tt.in); got != tt.want {
				t.Errorf("textLen(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// The worst-case age used by Split must be at least as long as any real one.
func TestWhenNeverLongerThanWorstCase(t *testing.T) {
	r := testRenderer(t)
	tests := []struct {
		name string
		pub  time.Time
		want string
	}{
		{"future", fixedNow.Add(time.Hour), "just now"},
		{"now", fixedNow, "just now"},
		{"seconds", fixedNow.Add(-59 * time.Second), "just now"},
		{"minutes", fixedNow.Add(-59 * time.Minute), "59m ago"},
		{"hours", fixedNow.Add(-47*time.Hour - 59*time.Minute), "47h ago"},
		{"two days", fixedNow.Add(-48 * time.Hour), "30 Aug 2025"},
		{"date in zone", time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC), "1 Jan 2025"},
		{"year one", time.Date(1, 1, 1, 12, 0, 0, 0, time.UTC), "1 Jan 0001"},
		{"far future", time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), "just now"},
		{"before year one", time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"unknown", time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.when(tt.pub)
			if got != tt.want {
				t.Errorf("when(%v) = %q, want %q", tt.pub, got, tt.want)
			}
			if textLen(got) > maxWhenLen {
				t.Errorf("when(%v) = %q is longer than Split assumes (%d)", tt.pub, got, maxWhenLen)
			}
		})
	}
	if got := textLen(worstWhen(fixedNow)); got != maxWhenLen {
		t.Fatalf("worstWhen length %d, want %d", got, maxWhenLen)
	}
}

// The caps must leave room for the longest possible first line of an entry.
func TestEntryCapsLeaveRoomForTheLinkLine(t *testing.T) {
	// "• <url|title> — feed · age · N sources" (Discord's "[title](url)" is as long).
	longest := textLen("• ") + 2 + MaxURLLen + 2 + maxTitleLen + textLen(" — ") + maxFeedLen +
		2*textLen(" · ") + maxWhenLen + textLen("9223372036854775807 sources")
	tests := []struct {
		name string
		st   style
	}{{"slack", slackStyle}, {"discord", discordStyle}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if longest >= tt.st.entryMax {
				t.Fatalf("longest link line %d does not fit the entry cap %d", longest, tt.st.entryMax)
			}
		})
	}
	// A Discord part must hold a heading, the biggest entry and the footer.
	if DiscordEmbedTitleMax+discordStyle.entryMax+discordFooter > DiscordEmbedsTotalMax {
		t.Fatal("a single Discord entry with heading and footer can exceed the embed total")
	}
	if maxHeadingLen+2+1+slackStyle.entryMax > SlackSectionTextMax {
		t.Fatal("a single Slack entry with its heading can exceed a section block")
	}
}
