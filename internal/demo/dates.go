package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// newestLead is how long before the demo starts the newest sample item appears
// to have been published: recent enough to be alerted under any max_age, old
// enough not to look like it comes from the future on a slightly skewed clock.
const newestLead = 3 * time.Minute

// datePatterns finds the date values of each format. Group 1 is the value
// itself, so everything around it (and every byte of a non-UTF-8 document) is
// copied through untouched.
var datePatterns = map[format]*regexp.Regexp{
	formatRSS:  regexp.MustCompile(`<(?:pubDate|lastBuildDate|dc:date)>\s*([^<]*?)\s*</(?:pubDate|lastBuildDate|dc:date)>`),
	formatAtom: regexp.MustCompile(`<(?:updated|published)>\s*([^<]*?)\s*</(?:updated|published)>`),
	formatJSON: regexp.MustCompile(`"(?:date_published|date_modified)"\s*:\s*"([^"]*)"`),
}

// rfc822Date matches the RSS date forms seen in the wild: RFC 1123 with an
// optional weekday, optional seconds and a numeric or named zone.
// Groups: 1 weekday, 2 day, 3 seconds, 4 zone.
var rfc822Date = regexp.MustCompile(`^((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(:\d{2})? ([+-]\d{4}|[A-Z]{1,3})$`)

// rfc3339Date matches Atom and JSON Feed dates. Groups: 1 fraction, 2 zone.
var rfc3339Date = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$`)

// rfc822Zones are the named zones RFC 822 defines (military letters aside).
// Go's time.Parse would read an unknown abbreviation as UTC, moving the
// instant by hours, so names are resolved here instead.
var rfc822Zones = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
	"MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}

// stamp is a date as written in a feed, with enough of its spelling kept to
// write a moved date the same way: same zone, same optional parts, a weekday
// that agrees with the new day.
type stamp struct {
	t      time.Time
	layout string         // Go layout for everything before the zone
	loc    *time.Location // the zone it was written in
	zone   string         // the zone exactly as written
	sep    string         // between the layout and the zone
}

// format writes t the way the stamp was written.
func (s stamp) format(t time.Time) string {
	return t.In(s.loc).Format(s.layout) + s.sep + s.zone
}

// parseStamp reads an RFC 822/1123 or RFC 3339 date.
func parseStamp(v string) (stamp, error) {
	if m := rfc822Date.FindStringSubmatch(v); m != nil {
		return parseRFC822(v, m)
	}
	if m := rfc3339Date.FindStringSubmatch(v); m != nil {
		return parseRFC3339(v, m)
	}
	return stamp{}, errors.New("neither an RFC 1123 nor an RFC 3339 date")
}

func parseRFC822(v string, m []string) (stamp, error) {
	weekday, day, seconds, zone := m[1], m[2], m[3], m[4]
	s := stamp{zone: zone, sep: " "}
	if weekday != "" {
		s.layout = "Mon, "
	}
	if len(day) == 2 {
		s.layout += "02"
	} else {
		s.layout += "2"
	}
	s.layout += " Jan 2006 15:04"
	if seconds != "" {
		s.layout += ":05"
	}
	if zone[0] == '+' || zone[0] == '-' {
		off, err := zoneOffset(zone[0], zone[1:3], zone[3:5])
		if err != nil {
			return stamp{}, err
		}
		s.loc = time.FixedZone("", off)
	} else {
		hours, ok := rfc822Zones[zone]
		if !ok {
			return stamp{}, fmt.Errorf("unknown time zone %q", zone)
		}
		s.loc = time.FixedZone(zone, hours*3600)
	}
	return s.parse(v[:len(v)-len(zone)-len(s.sep)])
}

func parseRFC3339(v string, m []string) (stamp, error) {
	fraction, zone := m[1], m[2]
	s := stamp{layout: "2006-01-02T15:04:05", zone: zone}
	if fraction != "" {
		s.layout += "." + string(bytes.Repeat([]byte{'0'}, len(fraction)-1))
	}
	if zone == "Z" {
		s.loc = time.UTC
	} else {
		off, err := zoneOffset(zone[0], zone[1:3], zone[4:6])
		if err != nil {
			return stamp{}, err
		}
		s.loc = time.FixedZone("", off)
	}
	return s.parse(v[:len(v)-len(zone)])
}

// parse reads the part of a date before its zone with the stamp's layout and
// location, which also rejects impossible days and hours.
func (s stamp) parse(local string) (stamp, error) {
	t, err := time.ParseInLocation(s.layout, local, s.loc)
	if err != nil {
		return stamp{}, err
	}
	s.t = t
	return s, nil
}

// zoneOffset turns a written zone offset into seconds east of UTC.
func zoneOffset(sign byte, hh, mm string) (int, error) {
	h, errH := strconv.Atoi(hh)
	m, errM := strconv.Atoi(mm)
	if errH != nil || errM != nil || h > 23 || m > 59 {
		return 0, fmt.Errorf("bad zone offset %c%s%s", sign, hh, mm)
	}
	off := h*3600 + m*60
	if sign == '-' {
		off = -off
	}
	return off, nil
}

// mapDates calls fn on every date of doc, in document order, and returns doc
// with each date replaced by what fn returns. Empty date elements are left as
// they are; a date that does not parse is an error, since a sample that kept
// its 2025 date would silently never be alerted.
func mapDates(doc []byte, f format, fn func(stamp) string) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(doc))
	last := 0
	for _, m := range datePatterns[f].FindAllSubmatchIndex(doc, -1) {
		start, end := m[2], m[3]
		if start == end {
			continue
		}
		st, err := parseStamp(string(doc[start:end]))
		if err != nil {
			return nil, fmt.Errorf("date %q at byte %d: %w", doc[start:end], start, err)
		}
		out.Write(doc[last:start])
		out.WriteString(fn(st))
		last = end
	}
	out.Write(doc[last:])
	return out.Bytes(), nil
}

// servedFeed is a sample ready to serve: dates moved, validators computed
// once so that repeated polls get 304s.
type servedFeed struct {
	sample
	body    []byte
	etag    string
	modTime time.Time // the newest date in the feed, after the move
}

// render moves every date of every sample by one offset, chosen so that the
// newest date of all samples lands newestLead before now. One offset for all
// feeds keeps the order of stories across feeds as written; whole seconds keep
// the spacing exact in formats without fractions.
func render(now time.Time) ([]servedFeed, error) {
	raws := make([][]byte, len(samples))
	var newest time.Time
	for i, s := range samples {
		b, err := s.raw()
		if err != nil {
			return nil, err
		}
		raws[i] = b
		_, err = mapDates(b, s.format, func(st stamp) string {
			if st.t.After(newest) {
				newest = st.t
			}
			return ""
		})
		if err != nil {
			return nil, fmt.Errorf("sample feed %s: %w", s.name, err)
		}
	}
	if newest.IsZero() {
		return nil, errors.New("sample feeds carry no dates")
	}
	offset := now.Add(-newestLead).Sub(newest).Truncate(time.Second)

	out := make([]servedFeed, len(samples))
	for i, s := range samples {
		var modTime time.Time
		body, err := mapDates(raws[i], s.format, func(st stamp) string {
			t := st.t.Add(offset)
			if t.After(modTime) {
				modTime = t
			}
			return st.format(t)
		})
		if err != nil {
			return nil, fmt.Errorf("sample feed %s: %w", s.name, err)
		}
		if modTime.IsZero() {
			modTime = now
		}
		sum := sha256.Sum256(body)
		out[i] = servedFeed{
			sample:  s,
			body:    body,
			etag:    `"` + hex.EncodeToString(sum[:12]) + `"`,
			modTime: modTime,
		}
	}
	return out, nil
}
