package demo

import (
	"bytes"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

func TestCatalogue(t *testing.T) {
	name := regexp.MustCompile(`^[a-z0-9-]+$`)
	xmlEncoding := regexp.MustCompile(`^<\?xml [^>]*encoding="([^"]+)"`)
	feeds := Feeds()
	if len(feeds) < 4 || len(feeds) > 5 {
		t.Errorf("%d sample feeds, want 4 or 5", len(feeds))
	}
	paths := make([]string, len(feeds))
	for i, f := range feeds {
		paths[i] = f.Path
	}
	if !slices.Equal(paths, Paths()) {
		t.Errorf("Paths() = %v, Feeds() paths = %v", Paths(), paths)
	}
	seen := map[string]bool{}
	for i, f := range feeds {
		t.Run(f.Name, func(t *testing.T) {
			if !name.MatchString(f.Name) {
				t.Errorf("name %q is not a valid feed name", f.Name)
			}
			if !strings.HasPrefix(f.Path, "/") || strings.ContainsAny(f.Path[1:], "/?#") {
				t.Errorf("path %q: want one segment after the base URL", f.Path)
			}
			if seen[f.Name] || seen[f.Path] {
				t.Errorf("name %q or path %q used twice", f.Name, f.Path)
			}
			seen[f.Name], seen[f.Path] = true, true
			raw, err := samples[i].raw()
			if err != nil {
				t.Fatal(err)
			}
			// The charset the server announces must be the one the file is
			// written in, or a client that trusts the header misreads it.
			m := xmlEncoding.FindSubmatch(raw)
			ct := samples[i].contentType
			switch samples[i].format {
			case formatJSON:
				if m != nil || strings.Contains(ct, "charset") && !strings.Contains(ct, "utf-8") {
					t.Errorf("JSON sample: declaration %q, Content-Type %q", m, ct)
				}
			default:
				if m == nil {
					t.Fatalf("XML sample without an encoding declaration")
				}
				if want := "charset=" + strings.ToLower(string(m[1])); !strings.HasSuffix(ct, want) {
					t.Errorf("Content-Type %q, file declares %s", ct, m[1])
				}
			}
		})
	}
}

// TestSampleStories pins what the demo is meant to show, so an edit to the
// files cannot quietly take a scene out of it.
func TestSampleStories(t *testing.T) {
	parsed := map[string]*gofeed.Feed{}
	for _, s := range samples {
		raw, err := s.raw()
		if err != nil {
			t.Fatal(err)
		}
		parsed[s.name] = parseFeed(t, s.name, raw)
	}
	find := func(feed string, pred func(*gofeed.Item) bool) []*gofeed.Item {
		var out []*gofeed.Item
		for _, it := range parsed[feed].Items {
			if pred(it) {
				out = append(out, it)
			}
		}
		return out
	}
	contains := func(it *gofeed.Item, words ...string) bool {
		text := strings.ToLower(itemText(it))
		for _, w := range words {
			if !strings.Contains(text, strings.ToLower(w)) {
				return false
			}
		}
		return true
	}

	t.Run("every feed has 8 to 15 items", func(t *testing.T) {
		for name, f := range parsed {
			if n := len(f.Items); n < 8 || n > 15 {
				t.Errorf("%s: %d items", name, n)
			}
		}
	})
	t.Run("one story carried by two outlets", func(t *testing.T) {
		// The Atom desk syndicates a Ledger story under a tracking link and
		// a near-identical title: the digest should show "2 sources".
		var pairs int
		for _, a := range parsed["kyiv-ledger"].Items {
			for _, b := range parsed["euro-policy-desk"].Items {
				if a.Link != b.Link && withoutTracking(t, a.Link) == withoutTracking(t, b.Link) {
					pairs++
					if !contains(b, "peace talks", "Putin", "Zelensky") {
						t.Errorf("syndicated copy %q does not carry the topic's words", b.Title)
					}
				}
			}
		}
		if pairs != 1 {
			t.Errorf("%d stories shared under a utm-tagged link, want 1", pairs)
		}
	})
	t.Run("football item uses peace-talks wording", func(t *testing.T) {
		got := find("lakeside-gazette", func(it *gofeed.Item) bool {
			return contains(it, "peace talks", "Zelensky", "football")
		})
		if len(got) != 1 {
			t.Errorf("%d football items matching the talks query, want 1 for -football to exclude", len(got))
		}
	})
	t.Run("rss items with and without GUIDs", func(t *testing.T) {
		for _, s := range samples {
			if s.format != formatRSS {
				continue
			}
			with := find(s.name, func(it *gofeed.Item) bool { return it.GUID != "" })
			if len(with) == 0 || len(with) == len(parsed[s.name].Items) {
				t.Errorf("%s: %d of %d items have a GUID, want some but not all", s.name, len(with), len(parsed[s.name].Items))
			}
		}
	})
	t.Run("html in descriptions", func(t *testing.T) {
		html := find("kyiv-ledger", func(it *gofeed.Item) bool {
			return strings.Contains(it.Description, "<p>") && strings.Contains(it.Description, "<a href=")
		})
		if len(html) == 0 {
			t.Error("no Kyiv Ledger item carries HTML with a link")
		}
	})
	t.Run("deadline, ceasefire, guarantees and oil buyers all covered", func(t *testing.T) {
		for _, words := range [][]string{
			{"deadline", "Putin"}, {"ceasefire"}, {"Article 5-like"},
			{"India", "Russian", "oil"}, {"China"}, {"Turkey"}, {"Kremlin"},
		} {
			n := 0
			for name := range parsed {
				n += len(find(name, func(it *gofeed.Item) bool { return contains(it, words...) }))
			}
			if n == 0 {
				t.Errorf("no item mentions all of %q", words)
			}
		}
	})
}

// withoutTracking drops utm_* parameters, as the canonical link does.
func withoutTracking(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("item link %q: %v", link, err)
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "utm_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func TestISOFileIsLatin1(t *testing.T) {
	raw, err := sampleByName(t, "rheinufer-abendblatt").raw()
	if err != nil {
		t.Fatal(err)
	}
	// "Außenminister" in ISO-8859-1: ß is the single byte 0xDF.
	if !bytes.Contains(raw, []byte("Au\xdfenminister")) {
		t.Error("file does not hold ISO-8859-1 bytes for ß")
	}
	if bytes.Contains(raw, []byte("Au\xc3\x9fenminister")) {
		t.Error("file holds UTF-8 bytes although it declares ISO-8859-1")
	}
}

func sampleByName(t *testing.T, name string) sample {
	t.Helper()
	for _, s := range samples {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no sample %q", name)
	return sample{}
}
