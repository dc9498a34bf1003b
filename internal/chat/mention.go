package chat

import (
	"regexp"
	"strings"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Mentions are the one place where feedwatch pings anyone. They come only
// from news.Message.Ping, which the bot sets from the config (a deadline's
// `mention:`), never from feed text; every id is checked against its
// platform's form before it is written into mention syntax, and Discord is
// told to resolve exactly these ids and nothing else.

var (
	slackMentionID   = regexp.MustCompile(`^[UWS][A-Z0-9]{2,20}$`)
	discordMentionID = regexp.MustCompile(`^[0-9]{15,21}$`)
)

// slackMentions is the mention text of a message's Slack ids: `<@U…>` for
// users, `<!subteam^S…>` for user groups. Ids of another form are dropped.
func slackMentions(p *news.Ping) string {
	if p == nil {
		return ""
	}
	var out []string
	for _, id := range p.Slack {
		switch {
		case !slackMentionID.MatchString(id):
		case id[0] == 'S':
			out = append(out, "<!subteam^"+id+">")
		default:
			out = append(out, "<@"+id+">")
		}
	}
	return strings.Join(out, " ")
}

// discordPingIDs are a message's valid Discord ids.
func discordPingIDs(p *news.Ping) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, id := range p.Discord {
		if discordMentionID.MatchString(id) {
			out = append(out, id)
		}
	}
	return out
}

// discordMentions is the mention text and allowed_mentions of a message's
// Discord ids. Discord's mention syntax differs for users (`<@id>`) and
// roles (`<@&id>`) but an id does not say which it is: isRole answers when
// the guild's roles are known (nil = treat every id as a user's). Either way
// allowed_mentions names each id as both a user and a role, which Discord
// accepts, so that a ping is never silently dropped for guessing wrong, and
// it names nothing else ("parse" stays empty).
func discordMentions(p *news.Ping, isRole func(id string) bool) (string, allowedMentions) {
	ids := discordPingIDs(p)
	am := noMentions()
	if len(ids) == 0 {
		return "", am
	}
	var out []string
	for _, id := range ids {
		if isRole != nil && isRole(id) {
			out = append(out, "<@&"+id+">")
		} else {
			out = append(out, "<@"+id+">")
		}
	}
	am.Users = ids
	am.Roles = ids
	return strings.Join(out, " "), am
}

// consoleMentions names whom a message pings, for a terminal.
func consoleMentions(p *news.Ping) string {
	if p == nil {
		return ""
	}
	var out []string
	for _, id := range p.Slack {
		out = append(out, "@"+cleanLine(id)+" (Slack)")
	}
	for _, id := range p.Discord {
		out = append(out, "@"+cleanLine(id)+" (Discord)")
	}
	return strings.Join(out, ", ")
}
