package feeds

import (
	"hash/fnv"
	"time"
)

// Schedule tells when a job runs next, after t; the zero time means never.
// It is robfig/cron's Schedule interface, declared here so that spreading
// polls needs no scheduler.
type Schedule interface {
	Next(t time.Time) time.Time
}

// MaxSpread bounds how late Spread moves a firing of a cron schedule: a
// schedule written as a time of day ("0 8 * * 1-5") says when, and a few
// minutes late keeps its meaning where hours would not. Ten minutes spread
// three thousand feeds to five polls a second.
const MaxSpread = 10 * time.Minute

// Spread returns s with every firing moved later by an offset fixed by key
// (a feed's name): a fraction of the time until the schedule's next firing,
// taken from a hash of key, and at most MaxSpread. Feeds that share a
// schedule thus poll at different moments of each period instead of all in
// the same second, at the same moments after every restart, and still once
// per period and in order. For robfig/cron's @every schedules, which count
// from when the scheduler started, use SpreadEvery.
func Spread(s Schedule, key string) Schedule {
	return spread{base: s, frac: fraction(key)}
}

type spread struct {
	base Schedule
	frac float64 // of the window, in [0, 1)
}

// Next finds the first base firing whose moved time is after t. No firing
// moves by more than MaxSpread, so those at or before t-MaxSpread cannot be
// it, and each moved firing stays before the next base firing, so the moved
// times are in the base's order.
func (s spread) Next(t time.Time) time.Time {
	for at := s.base.Next(t.Add(-MaxSpread)); !at.IsZero(); {
		next := s.base.Next(at)
		window := MaxSpread
		if !next.IsZero() {
			window = min(window, next.Sub(at))
		}
		if moved := at.Add(offset(s.frac, window)); moved.After(t) {
			return moved
		}
		at = next
	}
	return time.Time{}
}

// SpreadEvery returns a schedule firing every period (a whole number of
// seconds, at least one, as robfig/cron's @every has) at a phase of the clock
// fixed by key: at Unix time phase + k×period, the phase being a fraction
// of the period taken from a hash of key. An @every schedule counts from when
// the scheduler started, so without this every feed that shares one would
// be polled in the same second, period after period.
func SpreadEvery(period time.Duration, key string) Schedule {
	period = max(period.Truncate(time.Second), time.Second)
	return every{period: period, phase: offset(fraction(key), period)}
}

type every struct {
	period, phase time.Duration
}

// Next returns the first time after t that is phase past a multiple of the
// period since the Unix epoch, in t's location.
func (e every) Next(t time.Time) time.Time {
	since := t.UnixNano() - int64(e.phase)
	p := int64(e.period)
	k := since / p
	if since < 0 && since%p != 0 {
		k-- // floor, for times before the epoch
	}
	return time.Unix(0, (k+1)*p+int64(e.phase)).In(t.Location())
}

// fraction maps key to [0, 1) evenly: FNV-1a, whose high bits barely change
// between names that differ in their last letters (feed-0001, feed-0002), so
// mixed by SplitMix64's finalizer, then its top 53 bits.
func fraction(key string) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	x := h.Sum64()
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// offset is frac of window, to the millisecond.
func offset(frac float64, window time.Duration) time.Duration {
	return time.Duration(frac * float64(window)).Truncate(time.Millisecond)
}
