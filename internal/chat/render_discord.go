package chat

import (
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/feedwatch/feedwatch/internal/news"
)

// DiscordPayload is one Discord message: short content (the bold title, the
// intro) and one embed per section run, entries as markdown links in the
// description. It carries no allowed_mentions: every sender adds
// {"parse": []} itself, so nothing rendered can ping.
type DiscordPayload struct {
	Content string                    `json:"content,omitempty"`
	Embeds  []*discordgo.MessageEmbed `json:"embeds,omitempty"`
}

// discordHeading is a section heading as an embed title. Whether Discord
// renders markdown in embed titles has varied (and backslashes would then
// show), so the heading is defused rather than escaped: it cannot mention or
// link, and it is bot text (topic names and titles), not feed text.
func discordHeading(s news.Section) string {
	return fitText(heading(s), defuse, DiscordEmbedTitleMax)
}

// discordFooterText is the footer as Discord shows it under the last embed.
// Embed footers render no markdown and no mentions, so it is defused rather
// than escaped (backslashes would show), and capped low enough that it leaves room for entries in every
// part (it is reserved in each).
func discordFooterText(footer string) string {
	return fitText(cleanLine(clip(footer, 16*clipBytes)), defuse, discordFooter)
}

// kindColor gives each kind of message its own embed stripe.
func kindColor(k news.Kind) int {
	switch k {
	case news.KindAlert:
		return 0xE67E22
	case news.KindDigest:
		return 0x3498DB
	case news.KindReminder:
		return 0xE74C3C
	case news.KindReply:
		return 0x2ECC71
	}
	return 0x95A5A6
}

// Discord renders m as Discord messages, split as Split(PlatformDiscord, m)
// does, each within Discord's limits.
func (r Renderer) Discord(m news.Message) []DiscordPayload {
	var out []DiscordPayload
	for _, part := range Split(PlatformDiscord, m) {
		out = append(out, r.discordPart(part)...)
	}
	return out
}

// discordPart renders one part (see slackPart on why it returns a slice).
func (r Renderer) discordPart(m news.Message) []DiscordPayload {
	spec, secs, _ := layoutFor(PlatformDiscord, m, r.when)
	packed := pack(spec, secs)
	label := partLabel(m)
	head := "**" + fitText(messageTitle(m), EscapeDiscord, DiscordEmbedTitleMax) + "**" + label
	intro, footer := introText(m), discordFooterText(m.Footer)
	color := kindColor(m.Kind)
	out := make([]DiscordPayload, 0, len(packed))
	for i, pp := range packed {
		last := i == len(packed)-1
		var embeds []*discordgo.MessageEmbed
		for _, run := range pp.runs {
			sec := secs[run.section]
			for ci, c := range run.containers {
				e := &discordgo.MessageEmbed{Color: color}
				if ci == 0 {
					e.Title = run.heading
				}
				lines := make([]string, len(c))
				for k, ei := range c {
					lines[k] = sec.entries[ei]
				}
				e.Description = strings.Join(lines, "\n")
				embeds = append(embeds, e)
			}
		}
		content := head
		if i == 0 && intro != "" {
			content += "\n" + fitText(intro, EscapeDiscord, min(maxIntroLen, DiscordContentMax-textLen(content)-1))
		}
		if last && footer != "" {
			if len(embeds) > 0 {
				embeds[len(embeds)-1].Footer = &discordgo.MessageEmbedFooter{Text: footer}
			} else if room := DiscordContentMax - textLen(content) - 1; room > 0 {
				content += "\n" + fitText(footer, EscapeDiscord, room)
			}
		}
		out = append(out, DiscordPayload{Content: content, Embeds: embeds})
	}
	return out
}
