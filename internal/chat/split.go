package chat

import (
	"time"

	"github.com/feedwatch/feedwatch/internal/news"
)

// A message is laid out in parts; a part holds runs (the entries of one
// section that fall in that part), and a run holds containers (Slack section
// blocks, Discord embeds), each within the platform's text limit. Split and
// the renderers share this one layout, so what Split promises to fit is
// exactly what the renderer then builds.

// packSpec describes a platform's limits to the packer.
type packSpec struct {
	containerMax  int  // units of text per container
	headingInText bool // the heading is the first line of the run's first container (Slack), else a title beside it (Discord)
	maxBlocks     int  // containers plus separators per part
	introBlocks   int  // blocks the intro takes in the first part
	separator     int  // blocks between two runs of a part (Slack dividers)
	totalMax      int  // units of headings and text per part; 0 = unlimited
}

// packSection is a section ready to pack: its rendered heading and entries.
type packSection struct {
	heading string
	entries []string
}

type packedRun struct {
	section    int
	heading    string
	containers [][]int // indexes into the section's entries
}

type packedPart struct{ runs []packedRun }

// pack fills parts greedily, in order: entries go into the current container
// while it has room, then into a new container of the same run, then into a
// new part, where the section's heading is repeated. Nothing is ever dropped:
// every entry fits an empty part by construction (styles cap each entry), and
// should one not, it is placed in a part of its own rather than lost.
func pack(spec packSpec, secs []packSection) []packedPart {
	var (
		parts               []packedPart
		cur                 packedPart
		blocks, total, fill int
	)
	budget := func() int {
		if len(parts) == 0 {
			return spec.maxBlocks - spec.introBlocks
		}
		return spec.maxBlocks
	}
	within := func(n int) bool { return spec.totalMax == 0 || n <= spec.totalMax }
	flush := func() {
		parts = append(parts, cur)
		cur = packedPart{}
		blocks, total, fill = 0, 0, 0
	}
	// openRun starts a run of section si carrying its heading and, when
	// n >= 0, a first entry of n units; force skips the checks (fresh part).
	openRun := func(si int, h string, n int, force bool) bool {
		need := 1
		if len(cur.runs) > 0 {
			need += spec.separator
		}
		hl := textLen(h)
		f, t := 0, hl
		if spec.headingInText {
			f = hl
		}
		if n >= 0 {
			if spec.headingInText {
				f, t = f+1+n, t+1+n
			} else {
				f, t = n, t+n
			}
		}
		if !force && (blocks+need > budget() || f > spec.containerMax || !within(total+t)) {
			return false
		}
		blocks += need
		total += t
		fill = f
		run := packedRun{section: si, heading: h, containers: [][]int{{}}}
		cur.runs = append(cur.runs, run)
		return true
	}
	startRun := func(si int, h string, n int) {
		if openRun(si, h, n, false) {
			return
		}
		if len(cur.runs) > 0 {
			flush()
		}
		if !openRun(si, h, n, false) {
			openRun(si, h, n, true)
		}
	}
	for si, s := range secs {
		if len(s.entries) == 0 {
			startRun(si, s.heading, -1)
			continue
		}
		open := false
		for ei, e := range s.entries {
			n := textLen(e)
			if open {
				run := &cur.runs[len(cur.runs)-1]
				last := len(run.containers) - 1
				if fill+1+n <= spec.containerMax && within(total+1+n) {
					run.containers[last] = append(run.containers[last], ei)
					fill += 1 + n
					total += 1 + n
					continue
				}
				if blocks+1 <= budget() && n <= spec.containerMax && within(total+n) {
					run.containers = append(run.containers, []int{ei})
					blocks++
					fill = n
					total += n
					continue
				}
			}
			startRun(si, s.heading, n)
			run := &cur.runs[len(cur.runs)-1]
			run.containers[0] = append(run.containers[0], ei)
			open = true
		}
	}
	if len(cur.runs) > 0 || len(parts) == 0 {
		flush()
	}
	return parts
}

// layoutFor prepares m for packing on p, measuring ages with when. It
// reports false for platforms without limits (the console).
func layoutFor(p Platform, m news.Message, when func(time.Time) string) (packSpec, []packSection, bool) {
	var (
		st   style
		spec packSpec
		head func(news.Section) string
	)
	switch {
	case p.isSlack():
		st = slackStyle
		head = slackHeading
		spec = packSpec{
			containerMax:  SlackSectionTextMax,
			headingInText: true,
			maxBlocks:     SlackMaxBlocks - 1, // the header block
			separator:     1,
		}
		if introText(m) != "" {
			spec.introBlocks = 1
		}
		if footerText(m) != "" {
			spec.maxBlocks-- // a context block, reserved in every part
		}
	case p.isDiscord():
		st = discordStyle
		head = discordHeading
		spec = packSpec{
			containerMax: DiscordEmbedDescriptionMax,
			maxBlocks:    DiscordMaxEmbeds,
			totalMax:     DiscordEmbedsTotalMax - textLen(discordFooterText(m.Footer)),
		}
	default:
		return packSpec{}, nil, false
	}
	secs := make([]packSection, len(m.Sections))
	for i, s := range m.Sections {
		ps := packSection{heading: head(s), entries: make([]string, len(s.Entries))}
		for j, e := range s.Entries {
			ps.entries[j] = st.entry(viewEntry(e, when))
		}
		secs[i] = ps
	}
	return spec, secs, true
}

// Split divides m into parts that each render within p's limits, in order,
// every entry in exactly one part; a section that spans parts appears in each
// with its heading. The intro goes with the first part, the footer with the
// last; Part and Parts are set when there is more than one part. A message
// that fits, and any message for the console, comes back unchanged as the
// only part. An entry too long for any block on its own is cut with "…" when
// rendered; entries are never dropped.
func Split(p Platform, m news.Message) []news.Message {
	spec, secs, ok := layoutFor(p, m, worstWhen)
	if !ok {
		return []news.Message{m}
	}
	packed := pack(spec, secs)
	if len(packed) <= 1 {
		return []news.Message{m}
	}
	return partsOf(m, packed)
}

// partsOf turns a layout back into messages.
func partsOf(m news.Message, packed []packedPart) []news.Message {
	out := make([]news.Message, len(packed))
	for i, pp := range packed {
		pm := news.Message{Kind: m.Kind, Title: m.Title, Part: i + 1, Parts: len(packed)}
		if i == 0 {
			// Mentions ping once, with the start of the message.
			pm.Intro, pm.Ping = m.Intro, m.Ping
		}
		if i == len(packed)-1 {
			pm.Footer = m.Footer
		}
		for _, run := range pp.runs {
			s := m.Sections[run.section]
			ns := news.Section{Topic: s.Topic, Title: s.Title}
			for _, c := range run.containers {
				for _, ei := range c {
					ns.Entries = append(ns.Entries, s.Entries[ei])
				}
			}
			pm.Sections = append(pm.Sections, ns)
		}
		out[i] = pm
	}
	return out
}
