// Package chat turns platform-neutral news.Message values into what Slack,
// Discord and a terminal accept, within each platform's limits and with every
// piece of feed text escaped, and sends them through small Notifier
// implementations whose errors say whether a retry can help.
package chat

// Platform names a kind of chat destination. The values are the config keys
// of a channel (`slack`, `slack_webhook`, `discord`, `discord_webhook`,
// `console`), so a channel's platform can be named without a lookup table.
type Platform string

// The platforms feedwatch can post to.
const (
	PlatformSlack          Platform = "slack"
	PlatformSlackWebhook   Platform = "slack_webhook"
	PlatformDiscord        Platform = "discord"
	PlatformDiscordWebhook Platform = "discord_webhook"
	PlatformConsole        Platform = "console"
)

// Valid reports whether p is one of the known platforms.
func (p Platform) Valid() bool {
	switch p {
	case PlatformSlack, PlatformSlackWebhook, PlatformDiscord, PlatformDiscordWebhook, PlatformConsole:
		return true
	}
	return false
}

// isSlack reports whether p renders Block Kit.
func (p Platform) isSlack() bool { return p == PlatformSlack || p == PlatformSlackWebhook }

// isDiscord reports whether p renders Discord content and embeds.
func (p Platform) isDiscord() bool { return p == PlatformDiscord || p == PlatformDiscordWebhook }
