package chat

import "unicode/utf16"

// Slack limits (Block Kit reference and chat.postMessage documentation).
const (
	// SlackMaxBlocks is the most blocks one message may carry.
	SlackMaxBlocks = 50
	// SlackSectionTextMax is the longest text of a section block.
	SlackSectionTextMax = 3000
	// SlackHeaderTextMax is the longest plain text of a header block.
	SlackHeaderTextMax = 150
	// SlackContextTextMax is the longest text of one context block element.
	SlackContextTextMax = 3000
	// SlackFallbackTextMax is where Slack recommends truncating the top-level
	// text; the fallback is kept within it.
	SlackFallbackTextMax = 4000
	// SlackTextHardMax is where Slack truncates the top-level text itself.
	SlackTextHardMax = 40000
)

// Discord limits (message and embed documentation; the OpenAPI description
// allows 4000 content characters, but only for senders with Nitro, so bots use
// the documented 2000).
const (
	// DiscordContentMax is the longest message content.
	DiscordContentMax = 2000
	// DiscordMaxEmbeds is the most embeds one message may carry.
	DiscordMaxEmbeds = 10
	// DiscordEmbedTitleMax is the longest embed title.
	DiscordEmbedTitleMax = 256
	// DiscordEmbedDescriptionMax is the longest embed description.
	DiscordEmbedDescriptionMax = 4096
	// DiscordMaxFields is the most fields one embed may carry.
	DiscordMaxFields = 25
	// DiscordFieldNameMax is the longest embed field name.
	DiscordFieldNameMax = 256
	// DiscordFieldValueMax is the longest embed field value.
	DiscordFieldValueMax = 1024
	// DiscordFooterTextMax is the longest embed footer text.
	DiscordFooterTextMax = 2048
	// DiscordAuthorNameMax is the longest embed author name.
	DiscordAuthorNameMax = 256
	// DiscordEmbedsTotalMax is the most characters all embeds of one message
	// may hold together (titles, descriptions, field names and values, footer
	// texts, author names).
	DiscordEmbedsTotalMax = 6000
	// DiscordNonceMax is the longest nonce string.
	DiscordNonceMax = 25
)

// MaxURLLen is the longest link SafeURL accepts: Discord refuses longer embed
// URLs, and a longer link would eat most of a Slack section on its own.
const MaxURLLen = 2048

// Caps feedwatch puts on single pieces of text so that one entry always fits
// an otherwise empty block or embed; text beyond them is cut with "…".
const (
	maxTitleLen   = 300  // an entry title, escaped
	maxFeedLen    = 80   // a feed name, escaped
	maxSummaryLen = 300  // an entry summary, escaped
	maxNoteLen    = 300  // one note line, escaped
	maxHeadingLen = 150  // a section heading, escaped
	maxIntroLen   = 1500 // the intro (Discord content; Slack has a block of its own)
	discordFooter = 1024 // the footer of a Discord message, reserved in every part
)

// textLen counts text the way the platforms count it, conservatively: UTF-16
// code units. Discord counts code points and Slack characters; a code point
// outside the Basic Multilingual Plane is two units here, so a text that fits
// by this count fits by theirs.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++ // cannot happen for runes from a range loop; count one to be safe
		}
	}
	return n
}
