package chat

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/internal/news"
)

// SlackPayload is one Slack message: the plain text fallback (shown in
// notifications and by clients without Block Kit) and the blocks. NoUnfurl
// asks Slack not to expand link previews, which would bury a list of links.
type SlackPayload struct {
	Text     string        `json:"text"`
	Blocks   []slack.Block `json:"blocks"`
	NoUnfurl bool          `json:"-"`
}

// slackHeading is a section heading as the bold first line of its block.
func slackHeading(s news.Section) string {
	return "*" + fitText(heading(s), EscapeSlack, maxHeadingLen) + "*"
}

// mrkdwn is a section or context text that Slack shows as written: verbatim
// stops Slack from linking bare URLs, channel names and mentions on its own,
// so only the links we wrote are links.
func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

// Slack renders m as Slack messages, split as Split(PlatformSlack, m) does,
// each within Slack's limits.
func (r Renderer) Slack(m news.Message) []SlackPayload {
	var out []SlackPayload
	for _, part := range Split(PlatformSlack, m) {
		out = append(out, r.slackPart(part)...)
	}
	return out
}

// slackPart renders one part. The layout is measured again with real ages,
// which are never longer than Split assumed, so it yields one payload; were it
// ever to yield more, they are all returned rather than anything dropped.
func (r Renderer) slackPart(m news.Message) []SlackPayload {
	spec, secs, _ := layoutFor(PlatformSlack, m, r.when)
	packed := pack(spec, secs)
	title := messageTitle(m)
	label := partLabel(m)
	intro, footer := introText(m), footerText(m)
	out := make([]SlackPayload, 0, len(packed))
	for i, pp := range packed {
		blocks := []slack.Block{
			slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType,
				fitText(title, plain, SlackHeaderTextMax-textLen(label))+label, true, false)),
		}
		mention := ""
		if i == 0 && m.Part <= 1 {
			mention = slackMentions(m.Ping)
		}
		if mention != "" {
			// Built from checked ids only (see slackMentions), so not escaped.
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(mention), nil, nil))
		}
		if i == 0 && intro != "" {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(fitText(intro, EscapeSlack, SlackSectionTextMax)), nil, nil))
		}
		var titles []string
		fallbackLen := 0 // raw length so far: the fallback is cut at 4000 anyway
		for ri, run := range pp.runs {
			if ri > 0 {
				blocks = append(blocks, slack.NewDividerBlock())
			}
			sec := secs[run.section]
			var ts []string
			for ci, c := range run.containers {
				var lines []string
				if ci == 0 {
					lines = append(lines, run.heading)
				}
				for _, ei := range c {
					lines = append(lines, sec.entries[ei])
					if fallbackLen <= SlackFallbackTextMax {
						tt := defangURLs(cleanLine(clip(m.Sections[run.section].Entries[ei].Title, SlackFallbackTextMax)))
						ts = append(ts, tt)
						fallbackLen += len(tt) + 2
					}
				}
				blocks = append(blocks, slack.NewSectionBlock(mrkdwn(strings.Join(lines, "\n")), nil, nil))
			}
			titles = append(titles, heading(m.Sections[run.section])+": "+strings.Join(ts, "; "))
		}
		if i == len(packed)-1 && footer != "" {
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fitText(footer, EscapeSlack, SlackContextTextMax))))
		}
		fallback := title + label
		if len(titles) > 0 {
			fallback += " — " + strings.Join(titles, " | ")
		} else if intro != "" {
			fallback += " — " + cleanLine(intro)
		}
		text := fitText(fallback, EscapeSlack, SlackFallbackTextMax)
		if mention != "" {
			// The fallback is what notifications show: the ping goes there too.
			text = mention + " " + fitText(fallback, EscapeSlack, SlackFallbackTextMax-textLen(mention)-1)
		}
		out = append(out, SlackPayload{
			Text:     text,
			Blocks:   blocks,
			NoUnfurl: noUnfurl(m),
		})
	}
	return out
}

// noUnfurl reports whether link previews should be off: always for digests
// and for any message with more than one link, where previews would bury the
// list; a single alert may show its preview.
func noUnfurl(m news.Message) bool {
	if m.Kind == news.KindDigest {
		return true
	}
	n := 0
	for _, s := range m.Sections {
		n += len(s.Entries)
	}
	return n != 1
}
