package feeds

import (
	"testing"
)

func TestDropIllegalChars(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "clean document untouched", in: "<a>tab\tlf\ncr\r &#9;&#10;&#13;&#x41;&#8217;&amp;</a>", want: ""},
		{name: "raw controls dropped", in: "<a>x\x00y\x01z\x1b[31m\x1f</a>", want: "<a>xyz[31m</a>"},
		{name: "DEL is allowed", in: "<a>x\x7fy</a>", want: ""},
		{name: "decimal control references dropped", in: "<a>x&#0;y&#1;z&#27;&#31;</a>", want: "<a>xyz</a>"},
		{name: "hex control references dropped", in: "<a>x&#x1b;y&#X1F;z&#x0001;</a>", want: "<a>xyz</a>"},
		{name: "references outside Unicode's allowed ranges dropped", in: "<a>&#xD800;&#xFFFE;&#xFFFF;&#x110000;&#99999999999999999999;ok</a>", want: "<a>ok</a>"},
		{name: "incomplete references left alone", in: "<a>&#1 &#x; &#;&#</a>", want: ""},
		{name: "multibyte text kept", in: "<a>Київ\x02 — ok</a>", want: "<a>Київ — ok</a>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dropped := dropIllegalChars([]byte(tt.in))
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if string(got) != want || dropped != (tt.want != "") {
				t.Errorf("dropIllegalChars(%q) = %q, %v; want %q, %v", tt.in, got, dropped, want, tt.want != "")
			}
		})
	}
}

// TestParseControlCharacters: a feed with control characters, raw or as
// references, which XML forbids, still yields its items, cleaned.
func TestParseControlCharacters(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{name: "raw escape sequence in RSS", doc: `<rss version="2.0"><channel><item><guid>1</guid><title>Cease` + "\x1b[31m" + `fire</title></item></channel></rss>`, want: "Cease[31mfire"},
		{name: "character reference in Atom", doc: `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>a&#x1;b&#8;c</title></entry></feed>`, want: "abc"},
		{name: "raw control in a JSON string", doc: `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"x` + "\x01" + `y"}]}`, want: "xy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := ParseItems("c", []byte(tt.doc), "", "https://example.org/", parseNow)
			if err != nil {
				t.Fatalf("ParseItems: %v", err)
			}
			if len(items) != 1 || items[0].Title != tt.want {
				t.Errorf("items %+v, want one titled %q", items, tt.want)
			}
		})
	}
	t.Run("a document broken otherwise is still an error", func(t *testing.T) {
		if _, err := ParseItems("c", []byte("<rss version=\"2.0\"><channel><item>\x01<title>x</chan"), "", "", parseNow); err == nil {
			t.Error("no error for a truncated document")
		}
	})
}
