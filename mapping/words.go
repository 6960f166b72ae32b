package mapping

import "strings"

// The spellings onair accepts wherever a user gives a presence value. A user
// meets the same value spelt several ways: Graph writes "DoNotDisturb" (and
// has written "doNotDisturb"), MQTT and Home Assistant publish
// "do_not_disturb", the docs and rule names use "do-not-disturb", and people
// type "dnd". All of them are read the same way everywhere: case, spaces,
// '-' and '_' are ignored (NormalizeWord), and a few short words stand for
// the Graph value they abbreviate (shortWords).

// NormalizeWord returns s in the form onair compares words in: ASCII
// lower case, without spaces, tabs, '-' or '_'. "Do Not Disturb",
// "do_not_disturb", "do-not-disturb" and "DoNotDisturb" all become
// "donotdisturb".
func NormalizeWord(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isSeparator(c):
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isSeparator(c byte) bool { return c == ' ' || c == '\t' || c == '-' || c == '_' }

// sameWord reports whether NormalizeWord(a) == NormalizeWord(b) without
// allocating; rules call it for every Graph value they match.
func sameWord(a, b string) bool {
	i, j := 0, 0
	for {
		for i < len(a) && isSeparator(a[i]) {
			i++
		}
		for j < len(b) && isSeparator(b[j]) {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		x, y := a[i], b[j]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
		i++
		j++
	}
}

// shortWords are the abbreviations people type, keyed by NormalizeWord, and
// the Graph value each stands for. Words that already are Graph values
// (busy, away, available, offline, presenting) need no entry.
var shortWords = map[string]string{
	"dnd":        "DoNotDisturb",
	"free":       "Available",
	"brb":        "BeRightBack",
	"meeting":    "InAMeeting",
	"call":       "InACall",
	"conference": "InAConferenceCall",
	"focus":      "Focusing",
	"ooo":        "OutOfOffice",
	"unknown":    "PresenceUnknown",
}

// ShortWords returns the accepted abbreviations and the Graph value each
// stands for, for help texts.
func ShortWords() map[string]string {
	m := make(map[string]string, len(shortWords))
	for k, v := range shortWords {
		m[k] = v
	}
	return m
}

// expand returns the Graph value s abbreviates, or s.
func expand(s string) string {
	if len(s) <= 12 { // the longest short word; skips the map for Graph values
		if v, ok := shortWords[NormalizeWord(s)]; ok {
			return v
		}
	}
	return s
}

// lookup finds s in list: an exact case-insensitive match first (what Graph
// sends, without allocating), then any accepted spelling.
func lookup[T ~string](list []T, s string) (T, bool) {
	s = strings.TrimSpace(s)
	for _, v := range list {
		if strings.EqualFold(s, string(v)) {
			return v, true
		}
	}
	s = expand(s)
	for _, v := range list {
		if sameWord(s, string(v)) {
			return v, true
		}
	}
	return "", false
}

// impliedAvailability is the availability Teams pairs with an activity that
// is not itself an availability, from Graph's "Manage presence state" and
// presence resource docs: a meeting or call is Busy, presenting is Do not
// disturb, and so on. ParsePresence uses it so that "meeting" means what
// Graph would report during a meeting: Busy/InAMeeting.
var impliedAvailability = map[Activity]Availability{
	ActivityInACall:                 AvailabilityBusy,
	ActivityInAConferenceCall:       AvailabilityBusy,
	ActivityInAMeeting:              AvailabilityBusy,
	ActivityPresenting:              AvailabilityDoNotDisturb,
	ActivityUrgentInterruptionsOnly: AvailabilityDoNotDisturb,
	ActivityInactive:                AvailabilityAway,
	ActivityOffWork:                 AvailabilityOffline,
	ActivityOutOfOffice:             AvailabilityOffline,
	ActivityAvailableInactive:       AvailabilityAvailable,
}

// ParsePresence reads one presence word, in any accepted spelling, as the
// availability and activity Graph would report for it:
//
//   - a value that is both (busy, away, dnd, available, offline…) sets both:
//     dnd → DoNotDisturb/DoNotDisturb;
//   - an activity sets the availability Teams pairs it with: meeting,
//     InAMeeting, in_a_meeting → Busy/InAMeeting; presenting →
//     DoNotDisturb/Presenting; ooo → Offline/OutOfOffice;
//   - an availability with no activity of its own (AvailableIdle, BusyIdle)
//     leaves the activity empty.
//
// ok is false when word is no presence at all.
func ParsePresence(word string) (Availability, Activity, bool) {
	if act, ok := ParseActivity(word); ok {
		if av, ok := impliedAvailability[act]; ok {
			return av, act, true
		}
		if av, ok := ParseAvailability(string(act)); ok {
			return av, act, true
		}
		// Every activity is either paired above or also an availability;
		// presence_test.go checks that.
		return "", act, true
	}
	if av, ok := ParseAvailability(word); ok {
		return av, "", true
	}
	return "", "", false
}
