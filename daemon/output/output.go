// Package output holds what every output of the daemon shares: the Snapshot
// the daemon publishes, the one-slot Mailbox that carries it, and the small
// Output interface each output package (lights, mqtt, terminal, web,
// webhook) implements.
//
// The daemon is the only composition root: it builds each output from the
// config and hands it snapshots. Output packages import this package,
// mapping and their own libraries; they never import the daemon or each
// other.
package output

import (
	"context"
	"time"

	"github.com/onair-dev/onair/mapping"
)

// Output shows snapshots somewhere: USB lights, MQTT, the terminal, a web
// page, an HTTP endpoint.
type Output interface {
	// Name identifies the output in status and logs ("lights", "mqtt").
	Name() string
	// Run shows every snapshot it receives from mb until ctx is done, then
	// runs its exit action (bounded, a second or two) and returns.
	Run(ctx context.Context, mb *Mailbox) error
	// Status describes the output (or each light of it) for `onair status`.
	Status() []Status
}

// Status describes one output, or one part of it (a light, a sign).
type Status struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
	// Signal is what it shows now, "#ff0000 100% solid".
	Signal string `json:"signal,omitempty"`
}

// Snapshot is everything the outputs need at one moment. A Snapshot is
// never modified once published; outputs may keep a pointer to the last one
// they showed and compare it with the next (see Changed).
type Snapshot struct {
	// Seq increases with every published snapshot.
	Seq uint64
	// Time is when the snapshot was made.
	Time time.Time
	// Users are the watched users in config order; Users[0] is "me" in the
	// delegated sign-in mode.
	Users []UserView
	// Health is the daemon's own condition.
	Health Health
	// Override is the manual override in force, if any.
	Override *Override
	// Paused reports whether the signal is paused; PausedUntil is zero for
	// "until resumed".
	Paused      bool
	PausedUntil time.Time
	// Conditions are local problems that do not stop presence from
	// flowing, one line each naming what failed and what to do: a config
	// reload that failed, a token cache that cannot be written, a second
	// daemon with the same MQTT client ID, polling held back by Graph's
	// Retry-After. Empty when there are none.
	Conditions []string
	// Resend asks outputs to write everything again even if unchanged,
	// after a sleep/resume or a re-enumeration.
	Resend bool
}

// UserView is one watched user's presence and the daemon state that applies
// to it. It is comparable: two views that are == show the same thing, so an
// output that compares views cannot miss a field added later.
type UserView struct {
	Key  string
	Name string
	// Presence is the latest presence applied (what Teams says); zero
	// before the first poll. Its Time and Sequence are left zero: they
	// change with every poll, and a view holds only what is shown, so
	// that == says "changed" only when something shown changed. Since
	// says when the presence last changed.
	Presence mapping.Presence
	// State is the daemon state for this user (login required, stale,
	// off-hours, error) or Normal.
	State mapping.State
	// Since is when the shown signal (or presence) last changed.
	Since time.Time
	// Signal is the user's effective signal under the global rules, with
	// override and pause applied: what the light shows.
	Signal mapping.Signal
	// Busy is whether Signal means busy (Snapshot.Shown decides it): the
	// shown presence, after override and pause, is busy, or a colour
	// override shows red or purple. Presence stays what Teams says.
	Busy bool
	// BusyUntil is the end of the calendar busy block the user is in now,
	// NextBusy the start of the next one; zero when unknown or none.
	BusyUntil time.Time
	NextBusy  time.Time
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
	// Source says who set it: cli, mqtt, api, tray.
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

// Changed returns the indexes into cur.Users of the users whose view differs
// from prev (all of them when prev is nil, cur.Resend is set, or the user
// list changed shape). Outputs use it to do work only for what changed.
func Changed(prev, cur *Snapshot) []int {
	var idx []int
	if prev == nil || cur.Resend || len(prev.Users) != len(cur.Users) {
		idx = make([]int, len(cur.Users))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	for i := range cur.Users {
		if prev.Users[i] != cur.Users[i] {
			idx = append(idx, i)
		}
	}
	return idx
}

// Mailbox is a one-slot mailbox: Put replaces any value not yet taken, so a
// slow output only ever sees the latest snapshot.
type Mailbox struct {
	c chan *Snapshot
}

// NewMailbox returns an empty mailbox.
func NewMailbox() *Mailbox { return &Mailbox{c: make(chan *Snapshot, 1)} }

// Put stores s, replacing an untaken value. Only one goroutine (the daemon
// loop) may call Put, so the drain-then-send cannot race with another Put.
// A pending Resend survives the replacement.
func (m *Mailbox) Put(s *Snapshot) {
	select {
	case m.c <- s:
		return
	default:
	}
	select {
	case old := <-m.c:
		if old.Resend && !s.Resend {
			c := *s
			c.Resend = true
			s = &c
		}
	default:
	}
	m.c <- s
}

// C returns the channel the output receives on.
func (m *Mailbox) C() <-chan *Snapshot { return m.c }

// pausedSignal is what every output shows while paused: dark, with a label
// that says why.
var pausedSignal = mapping.Signal{Effect: mapping.Off, Rule: "paused", Label: "Paused"}

// OverrideOf is the daemon's record of the override mo, set by user's
// request from source. A colour override without a label gets its colour's
// name (mapping.Override.DefaultLabel), so that every sign says what the
// light shows.
func OverrideOf(mo mapping.Override, user, source string) Override {
	o := Override{User: user, Source: source, Availability: mo.Availability, Activity: mo.Activity, Effect: mo.Effect, Label: mo.DefaultLabel()}
	if mo.HasColor {
		c := mo.Color
		o.Color = &c
	}
	return o
}

// Mapping returns o in the shared vocabulary, without its duration.
func (o *Override) Mapping() mapping.Override {
	mo := mapping.Override{Availability: o.Availability, Activity: o.Activity, Effect: o.Effect, Label: o.Label}
	if o.Color != nil {
		mo.Color, mo.HasColor = *o.Color, true
	}
	return mo
}

// SignalFor decides the signal for user under rules: pause first, then a
// manual override, then the rules on the user's presence and state.
func (s *Snapshot) SignalFor(user string, rules mapping.Rules) mapping.Signal {
	u, ok := s.User(user)
	if !ok {
		u.Key = user
	}
	return s.SignalOf(u, rules)
}

// SignalOf decides the signal for the view u under rules, as SignalFor.
func (s *Snapshot) SignalOf(u UserView, rules mapping.Rules) mapping.Signal {
	sig, _ := s.Shown(u, rules)
	return sig
}

// Shown decides what every output shows for the view u under rules: the
// effective signal (pause first, then a manual override through
// mapping.Override.Apply, then the rules on the user's presence and state)
// and whether that means busy (see Busy). It is the one place the effective
// signal is decided; the daemon stores both in the view.
func (s *Snapshot) Shown(u UserView, rules mapping.Rules) (sig mapping.Signal, busy bool) {
	if s.Paused {
		return pausedSignal, false
	}
	in := mapping.Input{Presence: u.Presence, State: u.State, Now: s.Time, NextBusy: u.NextBusy}
	if u.Presence.User == "" {
		in.Presence.User = u.Key
	}
	if o := s.Override; o != nil && o.User == u.Key {
		mo := o.Mapping()
		sig = mo.Apply(rules, in)
		if mo.HasColor {
			return sig, !sig.Dark() && BusyColor(sig.Color)
		}
		p := in.Presence
		p.Availability, p.Activity = mo.Availability, mo.Activity
		return sig, !sig.Dark() && Busy(p)
	}
	sig, _ = rules.Match(in)
	return sig, in.State == mapping.StateNormal && !sig.Dark() && Busy(u.Presence)
}

// Busy reports whether p means "do not walk in": busy or do-not-disturb
// availability, or a call, meeting, presentation or focus time.
func Busy(p mapping.Presence) bool {
	for _, a := range []mapping.Availability{
		mapping.AvailabilityBusy, mapping.AvailabilityBusyIdle, mapping.AvailabilityDoNotDisturb, mapping.AvailabilityFocusing,
		mapping.AvailabilityInACall, mapping.AvailabilityInAMeeting, mapping.AvailabilityPresenting,
	} {
		if p.Availability.Is(a) {
			return true
		}
	}
	for _, a := range []mapping.Activity{
		mapping.ActivityBusy, mapping.ActivityDoNotDisturb, mapping.ActivityFocusing,
		mapping.ActivityInACall, mapping.ActivityInAConferenceCall, mapping.ActivityInAMeeting,
		mapping.ActivityPresenting, mapping.ActivityUrgentInterruptionsOnly,
	} {
		if p.Activity.Is(a) {
			return true
		}
	}
	return false
}

// BusyColor reports whether a colour override means busy: a red or purple
// light, the colours the default rules give busy and do-not-disturb
// (mapping.DefaultRules). It goes by hue, so "#cc0000", magenta and pink
// count too: saturated (the largest channel at least twice the smallest)
// with a hue from 260° (violet) round to 10° (red; orange, at 15°, is not).
func BusyColor(c mapping.Color) bool {
	r, g, b := float64(c.R), float64(c.G), float64(c.B)
	hi, lo := max(r, g, b), min(r, g, b)
	if hi == 0 || hi < 2*lo {
		return false
	}
	var h float64
	switch hi {
	case r:
		h = 60 * (g - b) / (hi - lo)
	case g:
		h = 60 * (2 + (b-r)/(hi-lo))
	default:
		h = 60 * (4 + (r-g)/(hi-lo))
	}
	if h < 0 {
		h += 360
	}
	return h >= 260 || h <= 10
}

// ExitTimeout bounds every output's exit action (lights off, MQTT
// offline): the daemon waits this long for the outputs after ctx is done.
const ExitTimeout = 2 * time.Second
