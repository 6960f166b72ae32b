package mapping

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// State is a condition of the daemon itself that rules can match besides
// Graph presence. The empty State is normal operation.
type State string

// Daemon states.
const (
	// StateNormal is the empty state: presence is fresh and within working hours.
	StateNormal State = ""
	// StateLoginRequired means nobody is signed in, or the sign-in was revoked.
	StateLoginRequired State = "login-required"
	// StateStale means presence could not be refreshed for a while.
	StateStale State = "stale"
	// StateOffHours means the working-hours schedule says "not now".
	StateOffHours State = "off-hours"
	// StateError means the daemon cannot get presence for another reason.
	StateError State = "error"
)

// States lists the daemon states a rule may name.
var States = []State{StateLoginRequired, StateStale, StateOffHours, StateError}

// ParseState parses a daemon state in any accepted spelling: case, spaces,
// '-' and '_' are ignored, so "login-required" (the canonical spelling,
// which String returns and config rules use), "login_required" (as MQTT
// and Home Assistant have published it) and "LoginRequired" are the same.
// "ok" and "normal" are the Normal state.
func ParseState(s string) (State, error) {
	switch n := NormalizeWord(s); n {
	case "ok", "normal":
		return StateNormal, nil
	default:
		for _, v := range States {
			if n == NormalizeWord(string(v)) {
				return v, nil
			}
		}
	}
	return "", fmt.Errorf("invalid state %q (want one of ok, login-required, stale, off-hours, error)", s)
}

// String returns the canonical text of s, used by status, logs and every
// other place a state is shown: "ok" for Normal, otherwise "login-required",
// "stale", "off-hours" or "error". ParseState reads it back.
func (s State) String() string {
	if s == StateNormal {
		return "ok"
	}
	return string(s)
}

// MarshalText implements encoding.TextMarshaler with String.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseState.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Rule turns matching presence into a signal. Every non-empty condition must
// hold; within one condition any listed value may match.
type Rule struct {
	// Name identifies the rule in status output and logs.
	Name string
	// Users restricts the rule to these users (the keys of Presence.User).
	Users []string
	// States makes the rule match only in these daemon states. A rule with
	// no States matches only in the Normal state.
	States []State
	// Availability and Activity list the values the rule matches, compared
	// case-insensitively. PresenceUnknown also matches any value that Graph
	// does not document.
	Availability []Availability
	Activity     []Activity
	// NextMeetingWithin, when positive, makes the rule match only while the
	// user's next calendar busy block starts within it (a pre-warning
	// before a meeting): 0 < Input.NextBusy − Input.Now ≤ NextMeetingWithin.
	NextMeetingWithin time.Duration
	// Signal is what the rule shows. Signal.Rule is set to Name on a match.
	Signal Signal
}

// Input is what the rules decide on.
type Input struct {
	Presence Presence
	State    State
	// Now and NextBusy (the start of the user's next calendar busy block,
	// zero when none is known) are for NextMeetingWithin.
	Now      time.Time
	NextBusy time.Time
}

// Rules is an ordered rule list: the first rule that matches wins.
type Rules []Rule

// NoMatch is the signal when no rule matches: the light goes dark and status
// names the reason.
var NoMatch = Signal{Effect: Off, Rule: "no-rule-matched"}

// Match returns the signal of the first rule that matches in, and whether
// one did. Without a match it returns NoMatch.
func (rs Rules) Match(in Input) (Signal, bool) {
	k := in.key()
	for i := range rs {
		if rs[i].matches(in, k) {
			s := rs[i].Signal
			s.Rule = rs[i].Name
			if s.Label == "" {
				s.Label = Label(in)
			}
			return s, true
		}
	}
	return NoMatch, false
}

// matchKey is an Input's presence in canonical spelling, with values Graph
// does not document replaced by PresenceUnknown. Match computes it once for
// all rules instead of once per rule.
type matchKey struct {
	availability Availability
	activity     Activity
}

func (in Input) key() matchKey {
	a, ok := ParseAvailability(string(in.Presence.Availability))
	if !ok || a == "" {
		a = AvailabilityPresenceUnknown
	}
	act, ok := ParseActivity(string(in.Presence.Activity))
	if !ok || act == "" {
		act = ActivityPresenceUnknown
	}
	return matchKey{a, act}
}

// Matches reports whether r matches in.
func (r *Rule) Matches(in Input) bool { return r.matches(in, in.key()) }

func (r *Rule) matches(in Input, k matchKey) bool {
	if len(r.States) == 0 {
		if in.State != StateNormal {
			return false
		}
	} else if !containsState(r.States, in.State) {
		return false
	}
	if len(r.Users) > 0 && !containsValue(r.Users, in.Presence.User) {
		return false
	}
	if len(r.Availability) > 0 && !containsValue(r.Availability, k.availability) {
		return false
	}
	if len(r.Activity) > 0 && !containsValue(r.Activity, k.activity) {
		return false
	}
	if r.NextMeetingWithin > 0 {
		if in.NextBusy.IsZero() || in.Now.IsZero() {
			return false
		}
		if d := in.NextBusy.Sub(in.Now); d <= 0 || d > r.NextMeetingWithin {
			return false
		}
	}
	return true
}

func containsState(list []State, s State) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// containsValue reports whether list holds v, ignoring case.
func containsValue[T ~string](list []T, v T) bool {
	for _, x := range list {
		if strings.EqualFold(string(x), string(v)) {
			return true
		}
	}
	return false
}

// Label returns the default door-sign text for in: the daemon state when
// there is one, otherwise the activity (or availability) in words, e.g.
// "In a meeting".
func Label(in Input) string {
	switch in.State {
	case StateLoginRequired:
		return "Sign-in needed"
	case StateStale:
		return "Status unknown"
	case StateOffHours:
		return "Off hours"
	case StateError:
		return "Status unavailable"
	}
	if act, ok := ParseActivity(string(in.Presence.Activity)); ok && act != ActivityPresenceUnknown {
		return Words(string(act))
	}
	if av, ok := ParseAvailability(string(in.Presence.Availability)); ok {
		return Words(string(av))
	}
	return "Unknown"
}

// Words turns a Graph value into words: "InAMeeting" → "In a meeting",
// "doNotDisturb" → "Do not disturb", "OffWork" → "Off work".
func Words(v string) string {
	var b strings.Builder
	rs := []rune(v)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		if i == 0 {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
