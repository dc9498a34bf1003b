package chat

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/feedwatch/feedwatch/internal/news"
)

// TestReplyPartsWithinLimits renders replies from tiny to enormous: each
// part is within the platform's limits, there are at most maxReplyParts,
// and a cut reply ends with a notice saying so.
func TestReplyPartsWithinLimits(t *testing.T) {
	r := testRenderer(t)
	for _, n := range []int{0, 1, 10, 300, 3000} {
		m := longDigest(n)
		m.Kind = news.KindReply
		for _, public := range []bool{false, true} {
			rep := Reply{Message: m, Public: public}
			name := fmt.Sprintf("%d entries/public=%v", n, public)
			t.Run("slack/"+name, func(t *testing.T) {
				full := len(r.Slack(m))
				parts := r.slackReply(rep)
				checkCap(t, full, len(parts))
				for i, p := range parts {
					if probs := slackProblems(SlackPayload{Text: p.Text, Blocks: p.Blocks}); len(probs) > 0 {
						t.Errorf("part %d: %v", i+1, probs)
					}
					want := "ephemeral"
					if public {
						want = "in_channel"
					}
					if p.ResponseType != want {
						t.Errorf("part %d: response_type %q, want %q", i+1, p.ResponseType, want)
					}
				}
				if full > maxReplyParts && !strings.Contains(parts[len(parts)-1].Text, strconv.Itoa(full-maxReplyParts+1)+" more parts") {
					t.Errorf("last part %q does not say what was left out", parts[len(parts)-1].Text)
				}
			})
			t.Run("discord/"+name, func(t *testing.T) {
				full := len(r.Discord(m))
				parts := r.discordReply(rep)
				checkCap(t, full, len(parts))
				for i, p := range parts {
					if probs := discordProblems(DiscordPayload{Content: p.Content, Embeds: p.Embeds}); len(probs) > 0 {
						t.Errorf("part %d: %v", i+1, probs)
					}
					want := discordgo.MessageFlagsEphemeral
					if public {
						want = 0
					}
					if p.Flags != want || p.AllowedMentions.Parse == nil || len(p.AllowedMentions.Parse) != 0 {
						t.Errorf("part %d: flags %d, allowed_mentions %+v", i+1, p.Flags, p.AllowedMentions)
					}
				}
				if full > maxReplyParts && !strings.Contains(parts[len(parts)-1].Content, "Reply shortened") {
					t.Errorf("last part %q does not say what was left out", parts[len(parts)-1].Content)
				}
			})
		}
	}
}

// checkCap checks the number of parts sent for a reply of full parts.
func checkCap(t *testing.T, full, got int) {
	t.Helper()
	if want := min(full, maxReplyParts); got != want {
		t.Errorf("%d parts sent of %d, want %d", got, full, want)
	}
}
