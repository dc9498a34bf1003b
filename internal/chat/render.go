package chat

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Renderer holds what rendering needs besides the message: the zone in which
// dates are shown and the clock against which ages ("3h ago") are measured.
// The zero value shows UTC and uses the system clock; tests set both so that
// output is byte-for-byte reproducible.
type Renderer struct {
	Loc *time.Location
	Now func() time.Time
	// Actions returns the buttons a queued message carries (a deadline
	// offer's "Track deadline"); nil = none. Notifiers that can show
	// buttons (Slack API and webhooks, Discord API) ask it.
	Actions func(news.OutboxMessage) []Action
}

func (r Renderer) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r Renderer) loc() *time.Location {
	if r.Loc != nil {
		return r.Loc
	}
	return time.UTC
}

// maxWhenLen is the longest text when can return ("02 Jan 2006"). Split,
// which has no clock, measures every entry with a placeholder this long, so
// a part it makes still fits once rendered with the real, shorter, age.
const maxWhenLen = 11

// worstWhen stands in for an entry's age when measuring without a clock.
func worstWhen(time.Time) string { return strings.Repeat("0", maxWhenLen) }

// when says how old an item is (see Age).
func (r Renderer) when(t time.Time) string { return r.Age(t) }

// Age says how old an item is: minutes or hours for the last two days, which
// is what a reader of alerts cares about, then the date in the configured
// zone; "" for a zero or nonsense time.
func (r Renderer) Age(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := r.now().Sub(t)
	switch {
	case d < time.Minute: // includes small clock skew into the future
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h ago"
	}
	lt := t.In(r.loc())
	if y := lt.Year(); y < 1 || y > 9999 {
		return "" // nonsense date from a feed: better unsaid than too long
	}
	return lt.Format("2 Jan 2006")
}

// partLabel is " (part i/n)" for a part of a split message, else "".
func partLabel(m news.Message) string {
	if m.Parts <= 1 {
		return ""
	}
	return fmt.Sprintf(" (part %d/%d)", m.Part, m.Parts)
}

// messageTitle is the title to show: the message's, else one for its kind.
func messageTitle(m news.Message) string {
	if t := cleanLine(clip(m.Title, clipBytes)); t != "" {
		return t
	}
	switch m.Kind {
	case news.KindAlert:
		return "New matches"
	case news.KindDigest:
		return "Digest"
	case news.KindReminder:
		return "Deadline reminder"
	case news.KindNotice:
		return "Notice"
	}
	return "feedwatch"
}

// heading names a section: its title, with the topic when the title does not
// already say it, so that every alert names its topic.
func heading(s news.Section) string {
	title, topic := cleanLine(clip(s.Title, clipBytes)), cleanLine(clip(s.Topic, clipBytes))
	switch {
	case title == "" && topic == "":
		return "Items"
	case title == "":
		return topic
	case topic == "" || strings.Contains(strings.ToLower(title), strings.ToLower(topic)):
		return title
	}
	return title + " (" + topic + ")"
}

// entryView is an entry with its untrusted text cleaned and its link checked.
type entryView struct {
	title   string
	url     string
	feed    string
	when    string
	sources int
	summary string
	notes   []string
}

// clipBytes bounds each piece of text before cleaning (see clip): several
// times what any display cap lets through, even in 4-byte characters. Intros
// and footers, which may hold a whole help text, get sixteen times as much.
const clipBytes = 2 << 10

// introText and footerText are the message's intro and footer, cleaned.
func introText(m news.Message) string  { return cleanText(clip(m.Intro, 16*clipBytes)) }
func footerText(m news.Message) string { return cleanText(clip(m.Footer, 16*clipBytes)) }

func viewEntry(e news.Entry, when func(time.Time) string) entryView {
	v := entryView{
		title:   cleanLine(clip(e.Title, clipBytes)),
		url:     SafeURL(e.URL),
		feed:    cleanLine(clip(e.Feed, clipBytes)),
		when:    when(e.Published),
		sources: e.Sources,
		summary: cleanLine(clip(e.Summary, clipBytes)),
	}
	if v.title == "" {
		v.title = "(untitled)"
	}
	for _, n := range e.Notes {
		if n = cleanLine(clip(n, clipBytes)); n != "" {
			v.notes = append(v.notes, n)
		}
	}
	return v
}

// meta is what is known of the item besides its title: the feed (as given,
// already escaped by the caller), the age, and how many feeds carried the
// story when more than one did.
func (v entryView) meta(feed string) string {
	var parts []string
	if feed != "" {
		parts = append(parts, feed)
	}
	if v.when != "" {
		parts = append(parts, v.when)
	}
	if v.sources > 1 {
		parts = append(parts, strconv.Itoa(v.sources)+" sources")
	}
	return strings.Join(parts, " · ")
}

// style is what differs between the markup languages when an entry is laid
// out: escaping, link syntax and the most units one entry may take.
type style struct {
	esc      func(string) string
	link     func(url, title string) string
	entryMax int
}

// entry renders one entry: a bullet line with the link and what is known of
// the item, then the summary and notes, each on a line that starts with a
// fixed glyph so that no feed text ever begins a line (where markdown would
// read it as a heading, list or quote). Text past entryMax is cut with "…";
// the link line always fits because every piece of it is capped.
func (st style) entry(v entryView) string {
	var b strings.Builder
	b.WriteString("• ")
	b.WriteString(st.link(v.url, v.title))
	if meta := v.meta(fitText(v.feed, st.esc, maxFeedLen)); meta != "" {
		b.WriteString(" — ")
		b.WriteString(meta)
	}
	used := textLen(b.String())
	type tail struct {
		prefix, text string
		max          int
	}
	var tails []tail
	if v.summary != "" {
		tails = append(tails, tail{"\n› ", v.summary, maxSummaryLen})
	}
	for _, n := range v.notes {
		tails = append(tails, tail{"\n↳ ", n, maxNoteLen})
	}
	for _, t := range tails {
		room := st.entryMax - used - textLen(t.prefix)
		if room < 1 {
			break
		}
		s := fitText(t.text, st.esc, t.max)
		cut := textLen(s) > room
		if cut {
			s = fitText(t.text, st.esc, room) // ends in "…": the entry was cut here
		}
		b.WriteString(t.prefix)
		b.WriteString(s)
		used += textLen(t.prefix) + textLen(s)
		if cut {
			break
		}
	}
	return b.String()
}

// slackStyle lays entries out in Slack mrkdwn: `<url|title>` links. A title
// without a safe link is shown as escaped text.
var slackStyle = style{
	esc: EscapeSlack,
	link: func(u, title string) string {
		label := fitText(title, slackLabel, maxTitleLen)
		if u == "" {
			return label
		}
		return "<" + u + "|" + label + ">"
	},
	// Room for the section heading line in the same block.
	entryMax: SlackSectionTextMax - (maxHeadingLen + 2) - 1,
}

// discordStyle lays entries out in Discord markdown: `[title](url)` links.
var discordStyle = style{
	esc: EscapeDiscord,
	link: func(u, title string) string {
		label := fitText(title, discordLabel, maxTitleLen)
		if u == "" {
			return label
		}
		return "[" + label + "](" + u + ")"
	},
	entryMax: DiscordEmbedDescriptionMax,
}
