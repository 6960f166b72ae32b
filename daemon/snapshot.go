package daemon

import (
	"time"

	"github.com/onair-dev/onair/mapping"
)

// Snapshot is everything the outputs need at one moment. The daemon hands
// each output the latest Snapshot through a one-slot mailbox; outputs never
// see a queue of stale ones. A Snapshot is never modified once published.
type Snapshot struct {
	// Seq increases with every published snapshot.
	Seq uint64
	// Time is when the snapshot was made.
	Time time.Time
	// Users are the watched users in config order; Users[0] is "me".
	Users []UserView
	// Health is the daemon's own condition.
	Health Health
	// Override is the manual override in force, if any.
	Override *Override
	// Paused reports whether the signal is paused; PausedUntil is zero for
	// "until resumed".
	Paused      bool
	PausedUntil time.Time
	// Resend asks outputs to write everything again even if unchanged,
	// after a sleep/resume or a re-enumeration.
	Resend bool
}

// UserView is one watched user's presence and the daemon state that applies
// to it.
type UserView struct {
	Key  string
	Name string
	// Presence is the latest presence applied; zero before the first poll.
	Presence mapping.Presence
	// State is the daemon state for this user (login required, stale,
	// off-hours, error) or Normal.
	State mapping.State
	// Since is when Presence (availability or activity) last changed.
	Since time.Time
	// Signal is the user's signal under the global rules, with override and
	// pause applied.
	Signal mapping.Signal
	// Err is why the last poll did not get this user, "" when it did.
	Err string
}

// Override replaces the presence-derived signal until it expires or is
// cleared.
type Override struct {
	// User is whose signal is overridden ("me" by default).
	User string `json:"user"`
	// Availability/Activity pretend a presence, which then goes through the
	// rules; or Color/Effect set the signal directly.
	Availability mapping.Availability `json:"availability,omitempty"`
	Activity     mapping.Activity     `json:"activity,omitempty"`
	Color        *mapping.Color       `json:"color,omitempty"`
	Effect       mapping.Effect       `json:"effect,omitempty"`
	// Label is the door-sign text while the override lasts.
	Label string `json:"label,omitempty"`
	// Until is when it ends; zero means until cleared.
	Until time.Time `json:"until,omitzero"`
	// Source says who set it: cli, mqtt, api.
	Source string `json:"source,omitempty"`
}

// Health is the daemon's own condition, for status and the HA health sensor.
type Health struct {
	// State is Normal ("ok"), LoginRequired, Stale or Error.
	State mapping.State
	// Err is the last error, "" when the last poll succeeded.
	Err string
	// Remedy tells the user what to do about State, if anything.
	Remedy      string
	LastPoll    time.Time
	LastSuccess time.Time
	LastError   time.Time
}

// User returns the view of the user with key k, and whether there is one.
func (s *Snapshot) User(k string) (UserView, bool) {
	for _, u := range s.Users {
		if u.Key == k {
			return u, true
		}
	}
	return UserView{}, false
}

// pausedSignal is what every output shows while paused: dark, with a label
// that says why.
var pausedSignal = mapping.Signal{Effect: mapping.Off, Rule: "paused", Label: "Paused"}

// SignalFor decides the signal for user under rules: pause first, then a
// manual override, then the rules on the user's presence and state.
func (s *Snapshot) SignalFor(user string, rules mapping.Rules) mapping.Signal {
	u, ok := s.User(user)
	if !ok {
		u.Key = user
	}
	return s.signalOf(u, rules)
}

func (s *Snapshot) signalOf(u UserView, rules mapping.Rules) mapping.Signal {
	if s.Paused {
		return pausedSignal
	}
	user := u.Key
	in := mapping.Input{Presence: u.Presence, State: u.State}
	if u.Presence.User == "" {
		in.Presence.User = user
	}
	if o := s.Override; o != nil && o.User == user {
		if o.Color != nil {
			e := o.Effect
			if e == "" {
				e = mapping.Solid
			}
			label := o.Label
			if label == "" {
				label = "Busy"
			}
			return mapping.Signal{Color: *o.Color, Brightness: 100, Effect: e, Label: label, Rule: "override"}
		}
		in.State = mapping.Normal
		if o.Availability != "" {
			in.Presence.Availability = o.Availability
			in.Presence.Activity = mapping.Activity(o.Availability)
		}
		if o.Activity != "" {
			in.Presence.Activity = o.Activity
		}
		sig, _ := rules.Match(in)
		sig.Rule = "override(" + sig.Rule + ")"
		if o.Label != "" {
			sig.Label = o.Label
		}
		return sig
	}
	sig, _ := rules.Match(in)
	return sig
}
