package alerts

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file finds deadlines named in news text: "by Monday", "the August 8
// deadline", "expire on Sept. 30", "extended the deadline to Aug. 1",
// "within the next 50 days". It is a focused extractor rather than a general
// date parser: a date counts only when deadline language binds it (a cue
// word right before it, a deadline noun next to it, or a condition such as
// "unless" around "on DATE"), dates without a year or with only a weekday are
// resolved against the item's publication date, and a weekday the text
// states is checked against the date it names. See
// testdata/dates/sentences.json for the real sentences it is measured on,
// and the package test for how it compares with general date libraries.

// Date is a calendar day, free of time zones: what a text names.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the calendar day t falls on in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// String is the ISO form, 2025-09-02.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Weekday is the day of the week the date falls on.
func (d Date) Weekday() time.Weekday { return d.at(time.UTC).Weekday() }

// at is midnight of the date in loc.
func (d Date) at(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// addDays moves the date by n days (calendar arithmetic, no time zone).
func (d Date) addDays(n int) Date { return DateOf(d.at(time.UTC).AddDate(0, 0, n), time.UTC) }

// valid reports whether the fields name a real day (not 31 September).
func (d Date) valid() bool {
	return d.Year > 0 && d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && DateOf(d.at(time.UTC), time.UTC) == d
}

// FoundDate is a deadline date found in a text.
type FoundDate struct {
	Date Date
	// Clock is the time of day the text gives ("11:59 p.m.", "noon"), when
	// HasClock; "midnight" after a day means its end, 23:59.
	Clock    time.Duration
	HasClock bool
	// Said is the weekday the text states next to the date, when HasSaid.
	Said    time.Weekday
	HasSaid bool
	// Moved is set when the text gives the date as a new one: "extended to",
	// "postponed until", "the new deadline".
	Moved bool
	// Text is the date expression as written.
	Text string
}

// Mismatch reports whether the text states a weekday the date does not fall on.
func (f FoundDate) Mismatch() bool { return f.HasSaid && f.Said != f.Date.Weekday() }

// Note is the line an alert carries for the date: "Deadline mentioned:
// 2025-09-02 (the text says Monday; it is a Tuesday)".
func (f FoundDate) Note() string {
	s := "Deadline mentioned: " + f.Date.String()
	if f.HasClock {
		s += fmt.Sprintf(" %02d:%02d", int(f.Clock/time.Hour), int(f.Clock%time.Hour/time.Minute))
	}
	if f.Mismatch() {
		s += fmt.Sprintf(" (the text says %s; it is a %s)", f.Said, f.Date.Weekday())
	}
	return s
}

// Due is when the deadline falls in loc: the stated time of day, else the
// end of the day (23:59), which is what "by September 2" means.
func (f FoundDate) Due(loc *time.Location) time.Time {
	clock := 23*time.Hour + 59*time.Minute
	if f.HasClock {
		clock = f.Clock
	}
	return f.Date.at(loc).Add(clock)
}

// FindDeadlines returns the deadline dates text names, in the order they
// appear, each once. Dates without a year, weekdays and relative
// expressions ("tomorrow", "within two weeks", "end of August") are resolved
// against published as seen in loc (nil = UTC): the calendar the readers
// and the feed share.
func FindDeadlines(text string, published time.Time, loc *time.Location) []FoundDate {
	if loc == nil {
		loc = time.UTC
	}
	pub := published.In(loc)
	var out []FoundDate
	seen := map[Date]int{}
	for _, s := range sentences(text) {
		for _, f := range findInSentence(s, pub) {
			if i, ok := seen[f.Date]; ok {
				// The same date named twice: keep what either mention adds.
				prev := &out[i]
				prev.Moved = prev.Moved || f.Moved
				if !prev.HasClock && f.HasClock {
					prev.Clock, prev.HasClock = f.Clock, true
				}
				if !prev.HasSaid && f.HasSaid {
					prev.Said, prev.HasSaid = f.Said, true
				}
				continue
			}
			seen[f.Date] = len(out)
			out = append(out, f)
		}
	}
	return out
}

// Regular expression pieces. Month and weekday names take the forms news
// uses: full names and the AP abbreviations with or without a period.
const (
	reMonth   = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`
	reWeekday = `(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon\.|tue\.|tues\.|wed\.|thu\.|thurs\.|fri\.|sat\.|sun\.)`
	reNumWord = `(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|twenty|thirty|forty|forty-five|fifty|sixty|ninety)`
	// reZone is what may follow a time of day: "local time", "Moscow
	// time", "(2100 GMT)", "ET".
	reZone  = `(?:\s*(?:\w+\s+time|gmt|utc|et|edt|est|ct|cdt|cst|pt|pdt|pst|bst|cet|cest|eet|eest|msk|\([^)]{1,24}\)))*`
	reClock = `(?:\d{1,2}(?::\d{2})?\s*[ap]\.?\s?m\.?|(?:[01]?\d|2[0-3]):[0-5]\d|noon|midday|midnight|\d{1,2}\s+o['’]clock)`
)

var (
	// reExplicit is a calendar date, optionally after a weekday: "Monday,
	// September 2", "Sept. 2", "2nd of September 2025", "Friday 8 August",
	// "2025-09-02".
	reExplicit = regexp.MustCompile(`(?i)\b(?:(?P<wd>` + reWeekday + `)\.?,?\s+(?:the\s+)?)?(?:` +
		`(?P<m1>` + reMonth + `)\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y1>\d{4})\b)?` +
		`|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>` + reMonth + `)\b\.?(?:,?\s+(?P<y2>\d{4})\b)?` +
		`|(?P<y3>\d{4})-(?P<mo3>\d{2})-(?P<d3>\d{2})\b)`)
	// reRelative is a date relative to the publication: "today", "tonight",
	// "tomorrow", "end of the month", "end of August", "within two weeks",
	// "10 days from today", "in 12 days".
	reRelative = regexp.MustCompile(`(?i)\b(?:(?P<rel>today|tonight|tomorrow|this\s+(?:morning|afternoon|evening))\b` +
		`|end[\s-]+of[\s-]+(?:the\s+)?(?P<eu>week|month|year)\b` +
		`|end[\s-]+of[\s-]+(?P<em>` + reMonth + `)\b\.?(?:\s+(?P<ey>\d{4})\b)?` +
		`|(?P<within>within)\s+(?:the\s+(?:next|coming)\s+)?(?P<n1>` + reNumWord + `)\s+(?P<u1>hours?|days?|weeks?|months?)\b` +
		`|(?P<n2>` + reNumWord + `)\s+(?P<u2>hours?|days?|weeks?|months?)\s+from\s+(?:today|now)\b` +
		`|\bin\s+(?P<n3>` + reNumWord + `)\s+(?P<u3>days?|weeks?)\b)`)
	// reWeekdayAlone is a weekday on its own: "by Friday", "next Monday".
	reWeekdayAlone = regexp.MustCompile(`(?i)\b(?:(?P<mod>next|this|last)\s+)?(?P<wd>` + reWeekday + `)`)
	reClockRE      = regexp.MustCompile(`(?i)\b(?:(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?\s*(?P<ap>[ap])\.?\s?m\.?|(?P<h24>[01]?\d|2[0-3]):(?P<mi24>[0-5]\d)|(?P<noon>noon|midday)|(?P<mid>midnight)|(?P<ho>\d{1,2})\s+o['’]clock)`)

	// rePrefixCue ends right before a date that it makes a deadline: "by",
	// "until", "no later than", "expire on", "due", "deadline of", "as early
	// as", with an article or a time of day allowed in between ("by midday
	// Saturday", "expire at midnight on Tuesday").
	rePrefixCue = regexp.MustCompile(`(?i)\b(?P<cue>by|until|till|before|no\s+later\s+than|not\s+later\s+than|due(?:\s+(?:on|by))?|expir(?:e|es|ed|ing|y)(?:\s+(?:on|at|by))?|lapses?(?:\s+on)?|runs?\s+out(?:\s+on)?|ends?(?:\s+(?:on|at))?|as\s+early\s+as|deadlines?(?:\s+(?:of|on|is|was|for))?|ultimatum(?:\s+(?:of|on|expires|ends))?|cut-?off(?:\s+(?:of|on|is))?)\s*(?:,\s*)?(?:the\s+)?(?:` + reClock + reZone + `\s*(?:,\s*)?(?:on\s+)?(?:the\s+)?)?$`)
	// reMoveTo ends right before the new date after a move verb: "to", "until".
	reMoveTo = regexp.MustCompile(`(?i)\b(?:to|until|till|into)\s+(?:the\s+)?(?:` + reClock + reZone + `\s*(?:on\s+)?)?$`)
	// reMoveVerb says a deadline changed.
	reMoveVerb = regexp.MustCompile(`(?i)\b(?:extend(?:s|ed|ing)?|extension|postpon(?:e|es|ed|ing)|delay(?:s|ed|ing)?|push(?:es|ed|ing)?\s+(?:it\s+|the\s+deadline\s+)?back|mov(?:e|es|ed|ing)|shift(?:s|ed|ing)?|reschedul(?:e|es|ed|ing)|brought\s+forward|new\s+deadline|new\s+date)\b`)
	// reNoun is a deadline noun; "new" before it makes the date a moved one.
	reNoun = regexp.MustCompile(`(?i)\b(?P<new>new\s+)?(?:deadlines?|ultimatum|cut-?off|x-date|due\s+date|expiration\s+date|expiry\s+date|target\s+date|last\s+day)\b|\bnew\s+date\b`)
	// reNounAfter is what may stand between a deadline noun and its date:
	// "deadline of", "deadline on", "deadline falls on", "deadline: ".
	reNounAfter = regexp.MustCompile(`(?i)^\s*[:,]?\s*(?:(?:is|was|falls|set|of|on|for|at|to\s+be)\s+){0,3}(?:the\s+)?$`)
	// reReporting ends right before a date that dates the report rather than
	// the deadline: "said on Monday", "announced Tuesday", "On July 14,".
	reReporting = regexp.MustCompile(`(?i)(?:^\s*on|\b(?:said|says|announced|announces|told|warned|stated|declared|confirmed|reiterated|signed|added|wrote|posted|reported|tweeted|noted|explained|revealed|insisted|argued|replied|agreed|met|spoke)\s+(?:\w+\s+)?(?:on\s+)?|\breporters\s+on)\s*$`)
	// reCondition makes "on DATE" a deadline when what happens on it is
	// still to come (reModal): "he might impose sanctions on August 9
	// unless", "what would happen on Friday 8 August if Russia does not".
	reCondition = regexp.MustCompile(`(?i)\bunless\b|\bif\b.*\b(?:not|n't|no|fails?)\b|\bor\s+(?:else|face)\b`)
	reModal     = regexp.MustCompile(`(?i)\b(?:will|would|might|could|may|shall|must)\b|'ll\b`)
	// rePastCue ends right before a weekday of a deadline told in the past
	// tense: "was set to expire", "was due to expire on", "expired at 10pm on".
	rePastCue  = regexp.MustCompile(`(?i)(?:\b(?:was|were|had\s+been)\s+(?:set|due|scheduled)\s+to\s+\w+|\b(?:expired|ended|lapsed))\b[^.;]{0,48}$`)
	reOnBefore = regexp.MustCompile(`(?i)\bon\s+$`)
	// reCopula ends the words between a deadline noun and its date when the
	// sentence says what the deadline is: "the last day to submit the form
	// is June 30", "the deadline with the Big Three is 11:59 p.m. tonight".
	reCopula = regexp.MustCompile(`(?i)\b(?:is|was|will\s+be|falls\s+on|remains)\s+(?:now\s+)?(?:the\s+)?(?:` + reClock + reZone + `\s*)?$`)
	// reClauseBreak between a date and a deadline noun starts another
	// clause: "opened Oct. 1, and the last day ...".
	reClauseBreak = regexp.MustCompile(`(?i)\b(?:and|but|or|while|when|whereas)\b`)
	// reVerbish marks a verb between a date and a deadline noun ("on July 7
	// extended the deadline"): the date is then not the deadline's.
	reVerbish = regexp.MustCompile(`(?i)\b\w+(?:ed|ing)\b`)
	reWordRE  = regexp.MustCompile(`[\p{L}\p{N}]+`)
	reSpaceRE = regexp.MustCompile(`\s+`)
)

// mention is one date expression in a sentence.
type mention struct {
	start, end int
	date       Date
	clock      time.Duration
	hasClock   bool
	said       time.Weekday
	hasSaid    bool
	text       string
	within     bool // "within N days": a cue of its own
}

// binding is how a mention became a deadline.
type binding int

const (
	unbound binding = iota
	weak            // "by DATE": dropped when a deadline noun names another date
	strong
)

func findInSentence(s string, pub time.Time) []FoundDate {
	ms := mentions(s, pub)
	if len(ms) == 0 {
		return nil
	}
	bound := make([]binding, len(ms))
	moved := make([]bool, len(ms))
	movePos := -1
	if loc := reMoveVerb.FindStringIndex(s); loc != nil {
		movePos = loc[0]
	}
	conditional := reCondition.MatchString(s)
	for i, m := range ms {
		before := s[:m.start]
		switch {
		case m.within:
			bound[i] = strong
		case movePos >= 0 && movePos < m.start && reMoveTo.MatchString(before):
			bound[i], moved[i] = strong, true
		default:
			if c := rePrefixCue.FindStringSubmatch(before); c != nil {
				cue := strings.ToLower(reSpaceRE.ReplaceAllString(c[rePrefixCue.SubexpIndex("cue")], " "))
				if cue == "by" {
					bound[i] = weak
				} else {
					bound[i] = strong
				}
			} else if conditional && reOnBefore.MatchString(before) && reModal.MatchString(before) && !reporting(s, m) {
				bound[i] = strong
			}
		}
	}
	nounBound := false
	for _, nm := range reNoun.FindAllStringSubmatchIndex(s, -1) {
		isNew := nm[2] >= 0 || strings.HasPrefix(strings.ToLower(s[nm[0]:nm[1]]), "new")
		i := bindNoun(s, ms, bound, moved, nm[0], nm[1])
		if i < 0 {
			continue
		}
		if bound[i] != strong || !moved[i] {
			moved[i] = moved[i] || (isNew && movePos >= 0)
		}
		bound[i] = strong
		nounBound = true
	}
	var out []FoundDate
	for i, m := range ms {
		if bound[i] == unbound || (bound[i] == weak && nounBound) {
			continue
		}
		out = append(out, FoundDate{Date: m.date, Clock: m.clock, HasClock: m.hasClock,
			Said: m.said, HasSaid: m.hasSaid, Moved: moved[i], Text: m.text})
	}
	return out
}

// maxNounDistance is how many words may stand between a deadline noun and
// the date it binds when nothing closer says which date it is.
const maxNounDistance = 16

// bindNoun finds the date a deadline noun at [ns, ne) is about, in order of
// confidence: a date right before it ("the August 8 deadline", "September 2
// is the deadline"), one right after it ("deadline on Friday") or after what
// the deadline "is" ("the last day to submit the form is June 30"), a date
// cue of its own already binds ("extended the deadline by 90 days to
// September 17", "the deadline ... could be as early as June 1"; the noun
// then adds nothing), else the nearest date that does not date the
// report itself. It returns -1 when the noun binds nothing new.
func bindNoun(s string, ms []mention, bound []binding, moved []bool, ns, ne int) int {
	best, bestDist := -1, 0
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if m.end > ns {
			continue
		}
		gap := s[m.end:ns]
		if wordCount(gap) <= 2 && !reVerbish.MatchString(gap) && !reClauseBreak.MatchString(gap) && !reporting(s, m) {
			return i
		}
	}
	for i, m := range ms {
		if m.start >= ne && (reNounAfter.MatchString(s[ne:m.start]) ||
			(reCopula.MatchString(s[ne:m.start]) && wordCount(s[ne:m.start]) <= maxNounDistance)) {
			return i
		}
	}
	for i, m := range ms {
		if m.start >= ne && bound[i] == strong {
			return -1
		}
	}
	for i, m := range ms {
		if reporting(s, m) {
			continue
		}
		var d int
		if m.end <= ns {
			d = wordCount(s[m.end:ns]) + 1 // ties go to the date after the noun
		} else {
			d = wordCount(s[ne:m.start])
		}
		if d <= maxNounDistance && (best < 0 || d < bestDist) {
			best, bestDist = i, d
		}
	}
	return best
}

// reporting reports whether m dates the report ("said on Monday") rather
// than a deadline.
func reporting(s string, m mention) bool { return reReporting.MatchString(s[:m.start]) }

func wordCount(s string) int { return len(reWordRE.FindAllStringIndex(s, -1)) }

// mentions finds every date expression in s and resolves it against pub.
func mentions(s string, pub time.Time) []mention {
	if !mayMention(s) {
		return nil
	}
	today := DateOf(pub, pub.Location())
	var ms []mention
	taken := func(a, b int) bool {
		for _, m := range ms {
			if a < m.end && b > m.start {
				return true
			}
		}
		return false
	}
	for _, g := range reExplicit.FindAllStringSubmatchIndex(s, -1) {
		m, ok := explicitMention(s, g, today)
		if ok {
			ms = append(ms, m)
		}
	}
	for _, g := range reRelative.FindAllStringSubmatchIndex(s, -1) {
		if taken(g[0], g[1]) {
			continue
		}
		if m, ok := relativeMention(s, g, pub); ok {
			ms = append(ms, m)
		}
	}
	for _, g := range reWeekdayAlone.FindAllStringSubmatchIndex(s, -1) {
		if taken(g[0], g[1]) {
			continue
		}
		wd, _ := weekdayOf(sub(s, g, reWeekdayAlone, "wd"))
		mod := strings.ToLower(sub(s, g, reWeekdayAlone, "mod"))
		if mod == "" && rePastCue.MatchString(s[:g[0]]) {
			mod = "past"
		}
		d := nextWeekday(today, wd, mod)
		ms = append(ms, mention{start: g[0], end: g[1], date: d, said: wd, hasSaid: true, text: s[g[0]:g[1]]})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].start < ms[j].start })
	for i := range ms {
		attachClock(s, &ms[i])
	}
	return ms
}

func explicitMention(s string, g []int, today Date) (mention, bool) {
	re := reExplicit
	m := mention{start: g[0], end: g[1], text: s[g[0]:g[1]]}
	var d Date
	year := 0
	switch {
	case sub(s, g, re, "m1") != "":
		month := sub(s, g, re, "m1")
		if !monthWord(month) {
			return m, false
		}
		d.Month = monthOf(month)
		d.Day, _ = strconv.Atoi(sub(s, g, re, "d1"))
		year, _ = strconv.Atoi(sub(s, g, re, "y1"))
	case sub(s, g, re, "m2") != "":
		month := sub(s, g, re, "m2")
		if !monthWord(month) {
			return m, false
		}
		d.Month = monthOf(month)
		d.Day, _ = strconv.Atoi(sub(s, g, re, "d2"))
		year, _ = strconv.Atoi(sub(s, g, re, "y2"))
	default:
		year, _ = strconv.Atoi(sub(s, g, re, "y3"))
		mo, _ := strconv.Atoi(sub(s, g, re, "mo3"))
		d.Month = time.Month(mo)
		d.Day, _ = strconv.Atoi(sub(s, g, re, "d3"))
	}
	if year != 0 {
		d.Year = year
	} else {
		d = resolveYear(d, today, strings.Contains(strings.ToLower(s[g[1]:min(len(s), g[1]+12)]), "next year"))
	}
	if !d.valid() {
		return m, false
	}
	m.date = d
	if wd := sub(s, g, re, "wd"); wd != "" {
		m.said, m.hasSaid = weekdayOf(wd)
	}
	return m, true
}

// monthWord rejects month words that are usually something else: "may"
// and "march" in lower case are a verb far more often than a month, and
// "mar", "jun" and the like without a period are rare as months.
func monthWord(w string) bool {
	switch w {
	case "may", "march", "mar", "sep", "jan", "jun", "jul", "aug", "oct", "nov", "dec", "feb", "apr":
		return false
	}
	return true
}

// resolveYear gives a month and day without a year the year that puts it in
// the window news uses: from three months before publication ("the July 9
// deadline" in an August story) to nine months after ("until 31 January"
// in an October story is next year's). nextYear forces the year after.
func resolveYear(d Date, today Date, nextYear bool) Date {
	if nextYear {
		d.Year = today.Year + 1
		return d
	}
	lo := today.addDays(-90)
	for _, y := range []int{today.Year - 1, today.Year, today.Year + 1} {
		c := Date{y, d.Month, d.Day}
		if !c.valid() {
			continue
		}
		if !c.at(time.UTC).Before(lo.at(time.UTC)) && c.at(time.UTC).Before(lo.at(time.UTC).AddDate(1, 0, 0)) {
			return c
		}
	}
	d.Year = today.Year
	return d
}

func relativeMention(s string, g []int, pub time.Time) (mention, bool) {
	re := reRelative
	today := DateOf(pub, pub.Location())
	m := mention{start: g[0], end: g[1], text: s[g[0]:g[1]]}
	switch {
	case sub(s, g, re, "rel") != "":
		if strings.EqualFold(sub(s, g, re, "rel"), "tomorrow") {
			m.date = today.addDays(1)
		} else {
			m.date = today
		}
	case sub(s, g, re, "eu") != "":
		switch strings.ToLower(sub(s, g, re, "eu")) {
		case "week": // the Sunday ending the week
			m.date = today.addDays((7 - int(today.Weekday())) % 7)
		case "month":
			m.date = lastOfMonth(today.Year, today.Month)
		default:
			m.date = Date{today.Year, time.December, 31}
		}
	case sub(s, g, re, "em") != "":
		month := monthOf(sub(s, g, re, "em"))
		y, _ := strconv.Atoi(sub(s, g, re, "ey"))
		if y == 0 {
			y = resolveYear(Date{Month: month, Day: 1}, today, false).Year
		}
		m.date = lastOfMonth(y, month)
	default:
		n, unit := sub(s, g, re, "n1"), sub(s, g, re, "u1")
		m.within = n != ""
		if n == "" {
			n, unit = sub(s, g, re, "n2"), sub(s, g, re, "u2")
		}
		if n == "" {
			n, unit = sub(s, g, re, "n3"), sub(s, g, re, "u3")
		}
		k, ok := numberOf(n)
		if !ok {
			return m, false
		}
		switch strings.TrimSuffix(strings.ToLower(unit), "s") {
		case "hour":
			m.date = DateOf(pub.Add(time.Duration(k)*time.Hour), pub.Location())
		case "day":
			m.date = today.addDays(k)
		case "week":
			m.date = today.addDays(7 * k)
		default:
			m.date = DateOf(today.at(time.UTC).AddDate(0, k, 0), time.UTC)
		}
	}
	return m, m.date.valid()
}

func lastOfMonth(y int, mo time.Month) Date {
	return DateOf(time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC), time.UTC)
}

// nextWeekday resolves a weekday named in a story published on today: the
// coming one, today included ("strike at 11:59 p.m. Thursday" in a Thursday
// story); "next" skips today, "last" looks back a week, and "past" (a
// deadline told in the past tense: "was due to expire on Monday") is the
// latest one, today included.
func nextWeekday(today Date, wd time.Weekday, mod string) Date {
	delta := (int(wd) - int(today.Weekday()) + 7) % 7
	switch mod {
	case "next":
		if delta == 0 {
			delta = 7
		}
	case "last":
		delta -= 7
		if delta == 0 {
			delta = -7
		}
	case "past":
		if delta > 0 {
			delta -= 7
		}
	}
	return today.addDays(delta)
}

// attachClock looks for a time of day just before or after the date:
// "11:59 p.m. Thursday", "Saturday noon", "Friday at 10:00 a.m.", "at
// midnight on Tuesday".
func attachClock(s string, m *mention) {
	window := 28
	lo := max(0, m.start-window)
	hi := min(len(s), m.end+window)
	var best []int
	bestGap := len(s)
	for _, g := range reClockRE.FindAllStringSubmatchIndex(s[lo:hi], -1) {
		a, b := g[0]+lo, g[1]+lo
		var gap string
		switch {
		case b <= m.start:
			gap = s[b:m.start]
		case a >= m.end:
			gap = s[m.end:a]
		default:
			continue
		}
		if !clockGap(gap) || len(gap) >= bestGap {
			continue
		}
		best, bestGap = g, len(gap)
		for k := range best {
			if best[k] >= 0 {
				best[k] += lo
			}
		}
	}
	if best == nil {
		return
	}
	re := reClockRE
	var h, mi int
	switch {
	case sub(s, best, re, "noon") != "":
		h = 12
	case sub(s, best, re, "mid") != "":
		h, mi = 23, 59
	case sub(s, best, re, "ho") != "":
		h, _ = strconv.Atoi(sub(s, best, re, "ho"))
	case sub(s, best, re, "h24") != "":
		h, _ = strconv.Atoi(sub(s, best, re, "h24"))
		mi, _ = strconv.Atoi(sub(s, best, re, "mi24"))
	default:
		h, _ = strconv.Atoi(sub(s, best, re, "h"))
		mi, _ = strconv.Atoi(sub(s, best, re, "mi"))
		pm := strings.EqualFold(sub(s, best, re, "ap"), "p")
		switch {
		case h < 1 || h > 12:
			return
		case pm && h != 12:
			h += 12
		case !pm && h == 12:
			h = 0
		}
	}
	if h > 23 || mi > 59 {
		return
	}
	m.clock, m.hasClock = time.Duration(h)*time.Hour+time.Duration(mi)*time.Minute, true
}

// clockGap reports whether the text between a time of day and a date ties
// them together: spaces, commas, "at", "on", "the", or a parenthesised zone
// such as "(Israel Time)".
func clockGap(gap string) bool {
	g := strings.ToLower(gap)
	if i := strings.Index(g, "("); i >= 0 {
		if j := strings.Index(g[i:], ")"); j >= 0 && j < 24 {
			g = g[:i] + g[i+j+1:]
		}
	}
	for _, w := range strings.FieldsFunc(g, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
		switch w {
		case "at", "on", "the":
		default:
			return false
		}
	}
	return true
}

// sub returns the named group of match g in s, or "".
func sub(s string, g []int, re *regexp.Regexp, name string) string {
	i := re.SubexpIndex(name)
	if i < 0 || g[2*i] < 0 {
		return ""
	}
	return s[g[2*i]:g[2*i+1]]
}

func monthOf(w string) time.Month {
	w = strings.ToLower(strings.TrimSuffix(w, "."))
	for m := time.January; m <= time.December; m++ {
		if strings.HasPrefix(strings.ToLower(m.String()), w[:min(3, len(w))]) {
			return m
		}
	}
	return 0
}

func weekdayOf(w string) (time.Weekday, bool) {
	w = strings.ToLower(strings.TrimSuffix(w, "."))
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.HasPrefix(strings.ToLower(d.String()), w[:min(3, len(w))]) {
			return d, true
		}
	}
	return 0, false
}

var numberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
	"twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
}

func numberOf(w string) (int, bool) {
	if n, err := strconv.Atoi(w); err == nil {
		return n, n > 0
	}
	n, ok := numberWords[strings.ToLower(w)]
	return n, ok
}

// abbreviations end in a period without ending a sentence.
var abbreviations = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"mon": true, "tue": true, "tues": true, "wed": true, "thu": true, "thurs": true, "fri": true, "sat": true, "sun": true,
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "sen": true, "rep": true, "gov": true, "gen": true,
	"no": true, "vs": true, "inc": true, "co": true, "corp": true, "ltd": true, "jr": true,
}

// sentences splits text at sentence ends, not at the periods of "Sept. 2",
// "U.S." or "a.m.".
func sentences(text string) []string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "’", "'"), "‘", "'")
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '.' && c != '!' && c != '?' && c != '\n' {
			continue
		}
		j := i + 1
		for j < len(text) && strings.IndexByte(`"')]”`, text[j]) >= 0 {
			j++
		}
		if c != '\n' && (j >= len(text) || text[j] != ' ') {
			continue
		}
		if c == '.' && !sentenceEnd(text[start:i]) {
			continue
		}
		if s := strings.TrimSpace(text[start:j]); s != "" {
			out = append(out, s)
		}
		start = j
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// sentenceEnd reports whether a period after before ends a sentence: not
// after an abbreviation, an initial or a dotted form like "U.S" or "a.m".
func sentenceEnd(before string) bool {
	k := strings.LastIndexAny(before, " (\"'")
	w := before[k+1:]
	if w == "" || strings.Contains(w, ".") || len([]rune(w)) == 1 {
		return false
	}
	return !abbreviations[strings.ToLower(w)]
}

// mayMention reports whether a sentence could hold a date the mention
// patterns (reExplicit, reRelative, reWeekdayAlone) find, from its words
// alone: most sentences of the news have none of the words they need, and
// the patterns cost far more than this look at the words. Every calendar
// date has a digit; every relative one has "today", "tonight", "tomorrow",
// "morning" (and the like, after "this"), "end" or a unit ("days", "weeks",
// ...); a weekday is a word
// starting with its name, or its abbreviation. Words are what \b delimits:
// runs of ASCII letters, digits and '_'. The Kelvin sign and the long s fold
// to k and s under (?i), so a sentence with either is left to the patterns.
func mayMention(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			if strings.HasPrefix(s[i:], "\u212a") || strings.HasPrefix(s[i:], "\u017f") {
				return true
			}
			i++
			continue
		}
		if !isWordByte(c) {
			i++
			continue
		}
		j := i
		var buf [16]byte
		n := 0
		for ; j < len(s) && isWordByte(s[j]); j++ {
			b := s[j]
			if '0' <= b && b <= '9' {
				return true
			}
			if n < len(buf) {
				buf[n] = b | 0x20 // lower case; '_' never matters
				n++
			}
		}
		if j-i <= len(buf) && mentionWord(string(buf[:n])) {
			return true
		}
		if j-i > len(buf) && weekdayPrefixed(string(buf[:n])) {
			return true
		}
		i = j
	}
	return false
}

// mentionWord reports whether a lower-case word can start or complete a
// date mention (see mayMention).
func mentionWord(w string) bool {
	switch w {
	case "today", "tonight", "tomorrow", "morning", "afternoon", "evening", "end",
		"hour", "hours", "day", "days", "week", "weeks", "month", "months",
		"mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun":
		return true
	}
	return weekdayPrefixed(w)
}

// weekdayPrefixed reports whether a lower-case word starts with a weekday's
// full name: reWeekdayAlone needs no word boundary after it.
func weekdayPrefixed(w string) bool {
	for _, d := range [...]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		if strings.HasPrefix(w, d) {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}
