package chat

import (
	"fmt"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/internal/news"
)

// maxReplyParts is the most messages one reply is sent as. Slack accepts
// five posts to a response_url; Discord would take more follow-ups, but a
// reply longer than this is a question better asked more narrowly.
const maxReplyParts = 5

// slackResponse is a Slack command response: the HTTP answer, a Socket Mode
// acknowledgement payload, or a post to response_url.
type slackResponse struct {
	ResponseType string        `json:"response_type"` // "ephemeral" or "in_channel"
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
	UnfurlLinks  *bool         `json:"unfurl_links,omitempty"`
	UnfurlMedia  *bool         `json:"unfurl_media,omitempty"`
}

// cappedParts keeps at most maxReplyParts parts of a rendered reply: when
// there are more, the last kept part is a notice saying how many were left
// out, so nothing is dropped silently.
func cappedParts[T any](parts []T, notice func(left int) T) []T {
	if len(parts) <= maxReplyParts {
		return parts
	}
	left := len(parts) - (maxReplyParts - 1)
	return append(parts[:maxReplyParts-1:maxReplyParts-1], notice(left))
}

// leftOut is the notice that ends a reply cut at maxReplyParts.
func leftOut(left int) news.Message {
	return news.Message{Kind: news.KindReply, Title: "Reply shortened",
		Intro: fmt.Sprintf("%d more parts of this reply were left out. Ask more narrowly (one topic, a stricter query) to see everything.", left)}
}

// slackReply renders a reply as Slack responses, one per part, within
// Slack's limits, visible only to the asker unless Public.
func (r Renderer) slackReply(rep Reply) []slackResponse {
	kind := "ephemeral"
	if rep.Public {
		kind = "in_channel"
	}
	conv := func(p SlackPayload) slackResponse {
		s := slackResponse{ResponseType: kind, Text: p.Text, Blocks: p.Blocks}
		if p.NoUnfurl && rep.Public {
			off := false
			s.UnfurlLinks, s.UnfurlMedia = &off, &off
		}
		return s
	}
	var out []slackResponse
	for _, p := range r.Slack(rep.Message) {
		out = append(out, conv(p))
	}
	return cappedParts(out, func(left int) slackResponse { return conv(r.Slack(leftOut(left))[0]) })
}

// discordReplyData is the message of an interaction response, an edit of
// the original response, or a follow-up. allowed_mentions is always
// {"parse": []}: nothing in a reply can ping.
type discordReplyData struct {
	Content         string                    `json:"content"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds"`
	Flags           discordgo.MessageFlags    `json:"flags,omitempty"`
	AllowedMentions allowedMentions           `json:"allowed_mentions"`
}

// discordReply renders a reply as Discord messages, one per part, within
// Discord's limits; private ones carry the ephemeral flag (64).
func (r Renderer) discordReply(rep Reply) []discordReplyData {
	var flags discordgo.MessageFlags
	if !rep.Public {
		flags = discordgo.MessageFlagsEphemeral
	}
	conv := func(p DiscordPayload) discordReplyData {
		embeds := p.Embeds
		if embeds == nil {
			embeds = []*discordgo.MessageEmbed{} // an edit must clear, not keep, embeds
		}
		return discordReplyData{Content: p.Content, Embeds: embeds, Flags: flags, AllowedMentions: noMentions()}
	}
	var out []discordReplyData
	for _, p := range r.Discord(rep.Message) {
		out = append(out, conv(p))
	}
	return cappedParts(out, func(left int) discordReplyData { return conv(r.Discord(leftOut(left))[0]) })
}
