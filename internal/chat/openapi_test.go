package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Discord publishes an OpenAPI description of its HTTP API. The schemas of
// what we send are kept in testdata (so the test runs anywhere) and, where
// the full description is at hand, checked against it.

// fullDiscordSpec is where the full description lives in the workspace;
// FEEDWATCH_DISCORD_OPENAPI overrides it.
func fullDiscordSpec() string {
	if p := os.Getenv("FEEDWATCH_DISCORD_OPENAPI"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "specs", "discord-openapi.json")
}

const discordSchemasFile = "discord-openapi-schemas.json"

// sentProperties are the properties of the request bodies we send; the
// extracted schemas keep only these, so sending anything else fails below.
var sentProperties = map[string][]string{
	"MessageCreateRequest":          {"content", "embeds", "allowed_mentions", "nonce", "enforce_nonce"},
	"IncomingWebhookRequestPartial": {"content", "embeds", "allowed_mentions"},
}

// schema is the part of JSON Schema the Discord description uses for these
// bodies.
type schema struct {
	Type       any                `json:"type,omitempty"`
	Ref        string             `json:"$ref,omitempty"`
	OneOf      []*schema          `json:"oneOf,omitempty"`
	Properties map[string]*schema `json:"properties,omitempty"`
	Items      *schema            `json:"items,omitempty"`
	MaxLength  *int               `json:"maxLength,omitempty"`
	MinLength  *int               `json:"minLength,omitempty"`
	MaxItems   *int               `json:"maxItems,omitempty"`
	Required   []string           `json:"required,omitempty"`
	Enum       []any              `json:"enum,omitempty"`
	Format     string             `json:"format,omitempty"`
	Minimum    *float64           `json:"minimum,omitempty"`
	Maximum    *float64           `json:"maximum,omitempty"`
}

// extractSchemas takes from the full description the two request bodies
// (trimmed to sentProperties) and every schema they reference.
func extractSchemas(t *testing.T, full []byte) map[string]*schema {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]*schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(full, &doc); err != nil {
		t.Fatalf("parse Discord OpenAPI description: %v", err)
	}
	all := doc.Components.Schemas
	out := map[string]*schema{}
	var visit func(s *schema)
	visit = func(s *schema) {
		if s == nil {
			return
		}
		if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
			if _, done := out[name]; !done {
				ref := all[name]
				if ref == nil {
					t.Fatalf("schema %s not found", name)
				}
				out[name] = ref
				visit(ref)
			}
		}
		for _, o := range s.OneOf {
			visit(o)
		}
		for _, p := range s.Properties {
			visit(p)
		}
		visit(s.Items)
	}
	for root, props := range sentProperties {
		src := all[root]
		if src == nil {
			t.Fatalf("schema %s not found", root)
		}
		trimmed := *src
		trimmed.Properties = map[string]*schema{}
		for _, p := range props {
			if src.Properties[p] == nil {
				t.Fatalf("%s has no property %s", root, p)
			}
			trimmed.Properties[p] = src.Properties[p]
		}
		out[root] = &trimmed
		visit(&trimmed)
	}
	return out
}

func loadSchemas(t *testing.T) map[string]*schema {
	t.Helper()
	path := filepath.Join("testdata", discordSchemasFile)
	if full, err := os.ReadFile(fullDiscordSpec()); err == nil {
		extracted := extractSchemas(t, full)
		b, err := json.MarshalIndent(extracted, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		if *update {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if kept, err := os.ReadFile(path); err != nil || !bytes.Equal(kept, b) {
			t.Fatalf("testdata/%s is not what %s says (run go test -update): %v", discordSchemasFile, fullDiscordSpec(), err)
		}
	} else {
		t.Logf("full Discord description not found (%v); using testdata/%s", err, discordSchemasFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read schemas: %v", err)
	}
	var out map[string]*schema
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("parse schemas: %v", err)
	}
	return out
}

// validate checks v (decoded JSON) against s, reporting each violation of
// maxLength (in characters, counted conservatively), maxItems, required and
// unknown properties.
func validate(schemas map[string]*schema, s *schema, v any, path string) []string {
	if s == nil || v == nil {
		return nil
	}
	if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
		return validate(schemas, schemas[name], v, path)
	}
	if len(s.OneOf) > 0 {
		var best []string
		for i, o := range s.OneOf {
			if o.Type == "null" {
				continue
			}
			probs := validate(schemas, o, v, path)
			if len(probs) == 0 {
				return nil
			}
			if i == 0 || best == nil || len(probs) < len(best) {
				best = probs
			}
		}
		return best
	}
	if !typeMatches(s.Type, v) {
		return []string{fmt.Sprintf("%s: %T is not of type %v", path, v, s.Type)}
	}
	var out []string
	switch v := v.(type) {
	case string:
		if s.MaxLength != nil && textLen(v) > *s.MaxLength {
			out = append(out, fmt.Sprintf("%s: length %d > maxLength %d", path, textLen(v), *s.MaxLength))
		}
		if s.MinLength != nil && textLen(v) < *s.MinLength {
			out = append(out, fmt.Sprintf("%s: length %d < minLength %d", path, textLen(v), *s.MinLength))
		}
	case []any:
		if s.MaxItems != nil && len(v) > *s.MaxItems {
			out = append(out, fmt.Sprintf("%s: %d items > maxItems %d", path, len(v), *s.MaxItems))
		}
		for i, item := range v {
			out = append(out, validate(schemas, s.Items, item, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := v[r]; !ok {
				out = append(out, fmt.Sprintf("%s: missing %s", path, r))
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps := s.Properties[k]
			if ps == nil {
				out = append(out, fmt.Sprintf("%s: property %q not in the schema", path, k))
				continue
			}
			out = append(out, validate(schemas, ps, v[k], path+"."+k)...)
		}
	}
	return out
}

// typeMatches reports whether decoded JSON v is of the schema type t (a
// name, a list of names, or unset).
func typeMatches(t any, v any) bool {
	var names []string
	switch t := t.(type) {
	case nil:
		return true
	case string:
		names = []string{t}
	case []any:
		for _, n := range t {
			if s, ok := n.(string); ok {
				names = append(names, s)
			}
		}
	}
	for _, n := range names {
		switch v := v.(type) {
		case nil:
			if n == "null" {
				return true
			}
		case string:
			if n == "string" {
				return true
			}
		case bool:
			if n == "boolean" {
				return true
			}
		case float64:
			if n == "number" || n == "integer" && v == float64(int64(v)) {
				return true
			}
		case []any:
			if n == "array" {
				return true
			}
		case map[string]any:
			if n == "object" {
				return true
			}
		}
	}
	return false
}

func TestDiscordPayloadsMatchOpenAPI(t *testing.T) {
	schemas := loadSchemas(t)
	maxLen := func(schemaName, prop string) int {
		p := schemas[schemaName].Properties[prop]
		if p.MaxLength == nil {
			for _, o := range p.OneOf {
				if o.MaxLength != nil {
					return *o.MaxLength
				}
			}
			t.Fatalf("%s.%s has no maxLength", schemaName, prop)
		}
		return *p.MaxLength
	}
	maxItems := func(schemaName, prop string) int {
		p := schemas[schemaName].Properties[prop]
		if p.MaxItems == nil {
			t.Fatalf("%s.%s has no maxItems", schemaName, prop)
		}
		return *p.MaxItems
	}
	t.Run("our limits are within the schema's", func(t *testing.T) {
		checks := []struct {
			name      string
			ours, its int
		}{
			{"content", DiscordContentMax, maxLen("MessageCreateRequest", "content")},
			{"webhook content", DiscordContentMax, maxLen("IncomingWebhookRequestPartial", "content")},
			{"embeds", DiscordMaxEmbeds, maxItems("MessageCreateRequest", "embeds")},
			{"webhook embeds", DiscordMaxEmbeds, maxItems("IncomingWebhookRequestPartial", "embeds")},
			{"nonce", DiscordNonceMax, maxLen("MessageCreateRequest", "nonce")},
			{"embed title", DiscordEmbedTitleMax, maxLen("RichEmbed", "title")},
			{"embed description", DiscordEmbedDescriptionMax, maxLen("RichEmbed", "description")},
			{"embed url", MaxURLLen, maxLen("RichEmbed", "url")},
			{"fields", DiscordMaxFields, maxItems("RichEmbed", "fields")},
			{"field name", DiscordFieldNameMax, maxLen("RichEmbedField", "name")},
			{"field value", DiscordFieldValueMax, maxLen("RichEmbedField", "value")},
			{"footer", DiscordFooterTextMax, maxLen("RichEmbedFooter", "text")},
			{"author", DiscordAuthorNameMax, maxLen("RichEmbedAuthor", "name")},
		}
		for _, c := range checks {
			if c.ours > c.its {
				t.Errorf("%s: our limit %d exceeds the schema's %d", c.name, c.ours, c.its)
			}
		}
	})
	r := testRenderer(t)
	msgs := map[string]news.Message{
		"alert":      alertMessage(),
		"digest":     digestMessage(),
		"1000":       bigMessage(1000, 290),
		"oversized":  oversizedMessage(),
		"hostile":    hostileMessage("<@&123> @everyone [x](http://evil) ||"),
		"no entries": {Kind: news.KindNotice, Intro: strings.Repeat("long intro ", 500), Footer: strings.Repeat("f", 3000)},
	}
	names := make([]string, 0, len(msgs))
	for n := range msgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		m := msgs[name]
		t.Run(name, func(t *testing.T) {
			parts := r.Discord(m)
			for i, p := range parts {
				bodies := map[string]any{
					"MessageCreateRequest": discordCreateMessage{Content: p.Content, Embeds: p.Embeds, AllowedMentions: noMentions(),
						Nonce: discordNonce(1<<62, i+1, len(parts)), EnforceNonce: true},
					"IncomingWebhookRequestPartial": discordWebhookBody{Content: p.Content, Embeds: p.Embeds, AllowedMentions: noMentions()},
				}
				for schemaName, body := range bodies {
					var v any
					if err := json.Unmarshal(mustMarshal(t, body), &v); err != nil {
						t.Fatal(err)
					}
					if probs := validate(schemas, schemas[schemaName], v, schemaName); len(probs) > 0 {
						t.Errorf("part %d/%d against %s: %v", i+1, len(parts), schemaName, probs)
					}
				}
				// The schema cannot say it: the 6000-character total.
				if probs := discordProblems(p); len(probs) > 0 {
					t.Errorf("part %d/%d: %v", i+1, len(parts), probs)
				}
			}
		})
	}
}

// The validator itself must catch what it is meant to catch.
func TestOpenAPIValidatorCatchesViolations(t *testing.T) {
	schemas := loadSchemas(t)
	bad := map[string]any{
		"content": strings.Repeat("x", 4001),
		"embeds":  []any{map[string]any{"title": strings.Repeat("t", 257)}},
		"nonce":   strings.Repeat("n", 26),
		"tts":     true,
	}
	probs := validate(schemas, schemas["MessageCreateRequest"], bad, "body")
	for _, want := range []string{"body.content", "body.embeds[0].title", "body.nonce", `"tts"`} {
		if !strings.Contains(strings.Join(probs, "\n"), want) {
			t.Errorf("no violation reported for %s in %v", want, probs)
		}
	}
}
