package chat

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSlackManifest(t *testing.T) {
	tests := []struct {
		name    string
		opts    ManifestOptions
		golden  string // file under testdata/commands, "" = none
		wantURL string // "" = no url (Socket Mode)
		wantErr string
	}{
		{"base URL gets the path", ManifestOptions{Command: "/news", RequestURL: "https://bot.example.org"}, "manifest_url.yaml", "https://bot.example.org/slack/commands", ""},
		{"full URL kept", ManifestOptions{RequestURL: "https://bot.example.org/feedwatch/slack/commands"}, "", "https://bot.example.org/feedwatch/slack/commands", ""},
		{"no URL: placeholder", ManifestOptions{}, "manifest_placeholder.yaml", ManifestURLPlaceholder, ""},
		{"socket mode", ManifestOptions{Command: "/feedwatch", SocketMode: true, RequestURL: "https://ignored.example"}, "manifest_socket.yaml", "", ""},
		{"json", ManifestOptions{RequestURL: "https://bot.example.org", JSON: true}, "manifest_url.json", "https://bot.example.org/slack/commands", ""},
		{"http refused", ManifestOptions{RequestURL: "http://bot.example.org"}, "", "", "only to https"},
		{"not a URL", ManifestOptions{RequestURL: "bot.example.org"}, "", "", "absolute http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := SlackManifest(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var m slackManifest
			if tt.opts.JSON {
				err = json.Unmarshal(out, &m)
			} else {
				err = yaml.Unmarshal(out, &m)
			}
			if err != nil {
				t.Fatalf("manifest does not parse back: %v\n%s", err, out)
			}
			cmds := m.Features.SlashCommands
			wantCmd := tt.opts.Command
			if wantCmd == "" {
				wantCmd = "/feedwatch"
			}
			if len(cmds) != 1 || cmds[0].Command != wantCmd || cmds[0].URL != tt.wantURL || cmds[0].ShouldEscape {
				t.Errorf("slash commands %+v, want %s at %q", cmds, wantCmd, tt.wantURL)
			}
			if strings.Join(m.OAuthConfig.Scopes.Bot, ",") != "chat:write,chat:write.public,commands" {
				t.Errorf("bot scopes %v", m.OAuthConfig.Scopes.Bot)
			}
			if m.Settings.SocketModeEnabled != tt.opts.SocketMode || m.DisplayInformation.Name != "feedwatch" {
				t.Errorf("settings %+v, name %q", m.Settings, m.DisplayInformation.Name)
			}
			if tt.golden != "" {
				golden(t, "commands/"+tt.golden, out)
			}
		})
	}
}
