package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// SlackCommandsPath is where feedwatch serves Slack slash commands.
const SlackCommandsPath = "/slack/commands"

// ManifestURLPlaceholder stands for the request URL in a manifest made
// without one; Slack refuses it, which is the point: it must be replaced.
const ManifestURLPlaceholder = "https://YOUR-FEEDWATCH-HOST" + SlackCommandsPath

// SlackBotScopes are the bot token scopes feedwatch needs: posting
// (chat:write), posting to public channels it was not invited to
// (chat:write.public) and the slash command (commands).
var SlackBotScopes = []string{"chat:write", "chat:write.public", "commands"}

// ManifestOptions describe the Slack app to create.
type ManifestOptions struct {
	Name    string // display name; "" = feedwatch
	Command string // the slash command, "/feedwatch" when empty
	// RequestURL is where Slack sends slash commands: a base URL
	// ("https://bot.example.org") gets SlackCommandsPath appended; "" puts
	// ManifestURLPlaceholder. Ignored in Socket Mode.
	RequestURL string
	SocketMode bool // slack.app_token is set: no request URL at all
	JSON       bool // JSON instead of YAML
}

// slackManifest is the part of Slack's app manifest schema feedwatch fills.
// Field order is the order Slack's own examples use.
type slackManifest struct {
	DisplayInformation struct {
		Name        string `json:"name" yaml:"name"`
		Description string `json:"description" yaml:"description"`
	} `json:"display_information" yaml:"display_information"`
	Features struct {
		BotUser struct {
			DisplayName  string `json:"display_name" yaml:"display_name"`
			AlwaysOnline bool   `json:"always_online" yaml:"always_online"`
		} `json:"bot_user" yaml:"bot_user"`
		SlashCommands []manifestCommand `json:"slash_commands" yaml:"slash_commands"`
	} `json:"features" yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `json:"bot" yaml:"bot"`
		} `json:"scopes" yaml:"scopes"`
	} `json:"oauth_config" yaml:"oauth_config"`
	Settings struct {
		OrgDeployEnabled     bool `json:"org_deploy_enabled" yaml:"org_deploy_enabled"`
		SocketModeEnabled    bool `json:"socket_mode_enabled" yaml:"socket_mode_enabled"`
		TokenRotationEnabled bool `json:"token_rotation_enabled" yaml:"token_rotation_enabled"`
	} `json:"settings" yaml:"settings"`
}

type manifestCommand struct {
	Command      string `json:"command" yaml:"command"`
	URL          string `json:"url,omitempty" yaml:"url,omitempty"`
	Description  string `json:"description" yaml:"description"`
	UsageHint    string `json:"usage_hint" yaml:"usage_hint"`
	ShouldEscape bool   `json:"should_escape" yaml:"should_escape"`
}

// SlackManifest returns a Slack app manifest for feedwatch, ready to paste
// into "Create New App → From an app manifest": the bot user, its scopes,
// and the slash command with its request URL, or Socket Mode.
func SlackManifest(o ManifestOptions) ([]byte, error) {
	name := o.Name
	if name == "" {
		name = "feedwatch"
	}
	command := o.Command
	if command == "" {
		command = "/" + DiscordCommandName
	}
	var m slackManifest
	m.DisplayInformation.Name = name
	m.DisplayInformation.Description = "News monitoring: alerts, digests, deadlines and lookups from your feeds"
	m.Features.BotUser.DisplayName = name
	m.Features.BotUser.AlwaysOnline = true
	cmd := manifestCommand{
		Command:     command,
		Description: "Search the news feedwatch keeps, watch topics, track deadlines",
		UsageHint:   "search QUERY | topics | feeds | deadlines | digest | test QUERY | status | help",
		// Text arrives as typed: feedwatch parses quotes and URLs itself.
		ShouldEscape: false,
	}
	if !o.SocketMode {
		u, err := requestURL(o.RequestURL)
		if err != nil {
			return nil, err
		}
		cmd.URL = u
	}
	m.Features.SlashCommands = []manifestCommand{cmd}
	m.OAuthConfig.Scopes.Bot = append([]string(nil), SlackBotScopes...)
	m.Settings.SocketModeEnabled = o.SocketMode
	if o.JSON {
		out, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("slack manifest: %w", err)
		}
		return append(out, '\n'), nil
	}
	var b bytes.Buffer
	b.WriteString("# Slack app manifest for feedwatch. Create the app at https://api.slack.com/apps\n")
	b.WriteString("# (Create New App → From an app manifest), install it, then put its bot token\n")
	b.WriteString("# and signing secret in slack.token and slack.signing_secret.\n")
	if o.SocketMode {
		b.WriteString("# Socket Mode: also create an app-level token with connections:write for slack.app_token.\n")
	} else if o.RequestURL == "" {
		b.WriteString("# Replace the request URL below with where feedwatch's server.listen is reachable.\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("slack manifest: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("slack manifest: %w", err)
	}
	return b.Bytes(), nil
}

// requestURL is the slash command URL for a given base or full URL.
func requestURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ManifestURLPlaceholder, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("slack manifest: the request URL must be an absolute http(s) URL")
	}
	if u.Scheme != "https" {
		return "", errors.New("slack manifest: Slack sends slash commands only to https URLs")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = SlackCommandsPath
	}
	return u.String(), nil
}
