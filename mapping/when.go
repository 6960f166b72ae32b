package mapping

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxOverride is the longest an override or a pause may last when given a
// duration: a week. Longer is almost certainly a typo (100000h), and "until
// cleared" (no duration) covers the rest. Every interface (CLI, control API,
// MQTT) checks against this one bound through ParseDuration.
const MaxOverride = 7 * 24 * time.Hour

// ParseDuration reads how long an override or pause lasts. It accepts
//
//   - a Go duration: "90s", "30m", "1h30m";
//   - whole days in front of one: "2d", "1d12h" (a day is 24 hours);
//   - a bare number of seconds, as MQTT payloads send it: "90", "1.5".
//
// Case and surrounding space are ignored. The empty string is 0, which
// callers read as "until cleared". Anything else must be more than 0 and at
// most MaxOverride.
func ParseDuration(s string) (time.Duration, error) {
	in := s
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, nil
	}
	d, ok := parseDuration(s)
	if !ok {
		return 0, fmt.Errorf("invalid duration %q: use a number with a unit, such as 90s, 30m, 1h30m or 2d, or a number of seconds", in)
	}
	if d <= 0 {
		return 0, fmt.Errorf("invalid duration %q: must be more than 0 (leave it out to last until cleared)", in)
	}
	if d > MaxOverride {
		return 0, fmt.Errorf("invalid duration %q: at most %s (%s); leave it out to last until cleared", in, FormatDuration(MaxOverride), MaxOverride)
	}
	return d, nil
}

func parseDuration(s string) (time.Duration, bool) {
	if isDecimal(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || f > MaxOverride.Seconds()+1 {
			// Digits alone fail only by being out of range: too long.
			return MaxOverride + time.Second, true
		}
		return time.Duration(math.Round(f * float64(time.Second))), true
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || s[:i] == "" || s[0] == '+' {
			return 0, false
		}
		if n > int(MaxOverride/(24*time.Hour))+1 {
			return MaxOverride + time.Second, true
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, true
		}
		if s[0] == '-' || s[0] == '+' {
			return 0, false
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, false
	}
	if days > 0 && d > math.MaxInt64-days {
		return MaxOverride + time.Second, true
	}
	return days + d, true
}

// isDecimal reports whether s is digits with at most one '.', the only
// bare-number form accepted (no sign, exponent, hex or NaN).
func isDecimal(s string) bool {
	dot := false
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// FormatDuration returns d the way a person says it, to two units at most,
// rounded down: "45s", "42m", "5h 3m", "1d 23h". Negative durations are
// shown by their size.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	const day = 24 * time.Hour
	switch {
	case d >= day:
		return twoUnits(int64(d/day), "d", int64(d%day/time.Hour), "h")
	case d >= time.Hour:
		return twoUnits(int64(d/time.Hour), "h", int64(d%time.Hour/time.Minute), "m")
	case d >= time.Minute:
		return twoUnits(int64(d/time.Minute), "m", int64(d%time.Minute/time.Second), "s")
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

func twoUnits(a int64, ua string, b int64, ub string) string {
	s := strconv.FormatInt(a, 10) + ua
	if b > 0 {
		s += " " + strconv.FormatInt(b, 10) + ub
	}
	return s
}

// FormatUntil returns instant t for a person reading it at now, in t's
// location: the clock time alone when t is on the same day ("16:51"), and
// otherwise the day and how far away it is, so that a time tomorrow never
// reads as one already past: "Wed 10:51 (in 1d 23h)", or with the date when
// it is more than six days away ("Mon 14 Dec 10:51 (in 8d 2h)", and the
// year when that differs: "Fri 1 Jan 2027 09:00 (in 30d 21h)"). A past
// instant reads "Mon 09:00 (2d 1h ago)". The zero time is "never".
func FormatUntil(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	now = now.In(t.Location())
	y1, m1, d1 := now.Date()
	y2, m2, d2 := t.Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return t.Format("15:04")
	}
	days := math.Abs(float64(dayNumber(t) - dayNumber(now)))
	var when string
	switch {
	case days <= 6:
		when = t.Format("Mon 15:04")
	case y1 == y2:
		when = t.Format("Mon 2 Jan 15:04")
	default:
		when = t.Format("Mon 2 Jan 2006 15:04")
	}
	if t.After(now) {
		return when + " (in " + FormatDuration(t.Sub(now)) + ")"
	}
	return when + " (" + FormatDuration(now.Sub(t)) + " ago)"
}

// dayNumber counts calendar days, so that 23:59 and 00:01 are one day apart
// whatever the hours between them.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}
