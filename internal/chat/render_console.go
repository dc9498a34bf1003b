package chat

import (
	"strings"

	"github.com/feedwatch/feedwatch/internal/news"
)

// Console renders m as plain text for a terminal: a title line, the intro,
// each section with its entries (title, link, feed and age, summary, notes)
// and the footer. A terminal has no limits, so nothing is split, and text is
// cut only past sizes no real feed sends (see clip); feed text is cleaned of
// control characters so that it cannot move the cursor or recolour the
// screen.
func (r Renderer) Console(m news.Message) string {
	var b strings.Builder
	title := messageTitle(m) + partLabel(m)
	b.WriteString(title)
	b.WriteByte('\n')
	b.WriteString(strings.Repeat("=", min(textLen(title), 72)))
	b.WriteByte('\n')
	if pings := consoleMentions(m.Ping); pings != "" {
		b.WriteString("Pings: ")
		b.WriteString(pings)
		b.WriteByte('\n')
	}
	if intro := introText(m); intro != "" {
		b.WriteString(intro)
		b.WriteByte('\n')
	}
	for _, s := range m.Sections {
		b.WriteString("\n## ")
		b.WriteString(heading(s))
		b.WriteByte('\n')
		for _, e := range s.Entries {
			v := viewEntry(e, r.when)
			b.WriteString("  • ")
			b.WriteString(v.title)
			b.WriteByte('\n')
			if v.url != "" {
				b.WriteString("    ")
				b.WriteString(v.url)
				b.WriteByte('\n')
			}
			if meta := v.meta(v.feed); meta != "" {
				b.WriteString("    ")
				b.WriteString(meta)
				b.WriteByte('\n')
			}
			if v.summary != "" {
				b.WriteString("    › ")
				b.WriteString(v.summary)
				b.WriteByte('\n')
			}
			for _, n := range v.notes {
				b.WriteString("    ↳ ")
				b.WriteString(n)
				b.WriteByte('\n')
			}
		}
	}
	if footer := footerText(m); footer != "" {
		b.WriteByte('\n')
		b.WriteString(footer)
		b.WriteByte('\n')
	}
	return b.String()
}
