package chat

import (
	"context"
	"errors"

	"github.com/slack-go/slack"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Editor is a Notifier that can keep one message up to date in place: a
// deadline's pinned countdown. The Slack API, the Discord API and Discord
// webhooks can; Slack webhooks and the console cannot, and get a new post
// each time instead.
type Editor interface {
	Notifier
	// Post sends m and returns a reference to the message it created (a
	// Slack ts, a Discord message id) for Edit. A message of several parts
	// is referenced by its first.
	Post(ctx context.Context, m news.OutboxMessage) (ref string, err error)
	// Edit replaces the message ref with m (its first part). When that
	// message no longer exists the error wraps ErrMessageGone.
	Edit(ctx context.Context, ref string, m news.OutboxMessage) error
}

// ErrMessageGone is wrapped by Editor.Edit when the message to edit was
// deleted: the caller posts a new one instead.
var ErrMessageGone = errors.New("the message to edit no longer exists")

// Action is a button under a message; pressing it sends ID to the
// interactions endpoint (Slack action_id and value, Discord custom_id).
type Action struct {
	ID    string // at most 100 characters (Discord's custom_id limit)
	Label string
}

// maxActionID and maxActionLabel are Discord's limits, the tighter of the two
// platforms'.
const (
	maxActionID    = 100
	maxActionLabel = 80
)

// actionsOf returns the valid actions of a queued message.
func (r Renderer) actionsOf(m news.OutboxMessage) []Action {
	if r.Actions == nil {
		return nil
	}
	var out []Action
	for _, a := range r.Actions(m) {
		if a.ID == "" || len(a.ID) > maxActionID || a.Label == "" {
			continue
		}
		a.Label = fitText(cleanLine(a.Label), plain, maxActionLabel)
		out = append(out, a)
	}
	return out
}

// slackActionBlock is a message's buttons as a Block Kit actions block.
func slackActionBlock(actions []Action) slack.Block {
	els := make([]slack.BlockElement, 0, len(actions))
	for _, a := range actions {
		b := slack.NewButtonBlockElement(a.ID, a.ID, slack.NewTextBlockObject(slack.PlainTextType, a.Label, false, false))
		b.Style = slack.StylePrimary
		els = append(els, b)
	}
	return slack.NewActionBlock("feedwatch_actions", els...)
}

// withSlackActions adds the actions block to the last payload, where the
// message ends (a payload already at Slack's block limit gets none rather
// than be refused).
func withSlackActions(ps []SlackPayload, actions []Action) []SlackPayload {
	if len(actions) == 0 || len(ps) == 0 || len(ps[len(ps)-1].Blocks) >= SlackMaxBlocks {
		return ps
	}
	last := &ps[len(ps)-1]
	last.Blocks = append(append([]slack.Block(nil), last.Blocks...), slackActionBlock(actions))
	return ps
}

// discordComponent is a message component: an action row (type 1) holding
// buttons (type 2, style 1 = primary).
type discordComponent struct {
	Type       int                `json:"type"`
	Style      int                `json:"style,omitempty"`
	Label      string             `json:"label,omitempty"`
	CustomID   string             `json:"custom_id,omitempty"`
	Components []discordComponent `json:"components,omitempty"`
}

// discordActionRows is a message's buttons as one action row (Discord
// allows five buttons a row).
func discordActionRows(actions []Action) []discordComponent {
	if len(actions) == 0 {
		return nil
	}
	row := discordComponent{Type: 1}
	for i, a := range actions {
		if i == 5 {
			break
		}
		row.Components = append(row.Components, discordComponent{Type: 2, Style: 1, Label: a.Label, CustomID: a.ID})
	}
	return []discordComponent{row}
}
