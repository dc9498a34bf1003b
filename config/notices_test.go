package config

import (
	"slices"
	"testing"
)

// noticesBase is a config with two channels, to which each case appends
// its notices line.
const noticesBase = `channels:
  - name: newsroom
    console: true
  - name: ops
    console: true
`

func TestNotices(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		vars     map[string]string
		want     string   // cfg.Notices when valid
		problems []string // exactly these when invalid
	}{
		{name: "left out: no notices", doc: noticesBase},
		{name: "a configured channel", doc: noticesBase + "notices: ops\n", want: "ops"},
		{name: "written before the channels", doc: "notices: ops\n" + noticesBase, want: "ops"},
		{name: "from the environment", doc: noticesBase + "notices: ${NOTICES}\n", vars: map[string]string{"NOTICES": "newsroom"}, want: "newsroom"},
		{name: "empty default: no notices", doc: noticesBase + "notices: ${NOTICES:-}\n"},
		{name: "null: no notices", doc: noticesBase + "notices:\n"},
		{
			name:     "unknown channel, with a suggestion",
			doc:      noticesBase + "notices: opps\n",
			problems: []string{`test.yaml:6: notices: unknown channel "opps" (did you mean "ops"?)`},
		},
		{
			name:     "a list is not a channel",
			doc:      noticesBase + "notices: [ops]\n",
			problems: []string{`test.yaml:6: notices: expected a single value, found a list`},
		},
		{
			name:     "misspelt key",
			doc:      noticesBase + "notice: ops\n",
			problems: []string{`test.yaml:6: unknown key "notice" (did you mean "notices"?)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.doc, tt.vars)
			if tt.problems != nil {
				if err == nil {
					t.Fatalf("loaded; want problems %q", tt.problems)
				}
				if got := problems(t, err); !slices.Equal(got, tt.problems) {
					t.Errorf("problems\n%q\nwant\n%q", got, tt.problems)
				}
				return
			}
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if cfg.Notices != tt.want {
				t.Errorf("Notices = %q, want %q", cfg.Notices, tt.want)
			}
		})
	}
}
