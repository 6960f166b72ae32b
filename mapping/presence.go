package mapping

import (
	"strings"
	"time"
)

// Availability is a user's base presence as Graph reports it ("Busy").
//
// Values are compared case-insensitively: Graph has returned both PascalCase
// ("DoNotDisturb") and camelCase ("doNotDisturb") over the years. An unknown
// value is kept verbatim so that it can be logged and matched by a rule, and
// the default rules treat it as PresenceUnknown.
type Availability string

// Activity is the supplemental presence Graph reports ("InAMeeting").
// Compared case-insensitively, like Availability.
type Activity string

// Availability values documented by Graph (v1.0, both the classic and the
// current list).
const (
	AvailabilityAvailable       Availability = "Available"
	AvailabilityAvailableIdle   Availability = "AvailableIdle"
	AvailabilityAway            Availability = "Away"
	AvailabilityBeRightBack     Availability = "BeRightBack"
	AvailabilityBusy            Availability = "Busy"
	AvailabilityBusyIdle        Availability = "BusyIdle"
	AvailabilityDoNotDisturb    Availability = "DoNotDisturb"
	AvailabilityFocusing        Availability = "Focusing"
	AvailabilityOffline         Availability = "Offline"
	AvailabilityPresenceUnknown Availability = "PresenceUnknown"
	// The current v1.0 resource page also lists these as availability
	// values (camelCase there); older responses carry them as activities.
	AvailabilityInACall     Availability = "InACall"
	AvailabilityInAMeeting  Availability = "InAMeeting"
	AvailabilityPresenting  Availability = "Presenting"
	AvailabilityOutOfOffice Availability = "OutOfOffice"
)

// Activity values documented by Graph (v1.0 and beta).
const (
	ActivityAvailable               Activity = "Available"
	ActivityAvailableInactive       Activity = "AvailableInactive"
	ActivityAway                    Activity = "Away"
	ActivityBeRightBack             Activity = "BeRightBack"
	ActivityBusy                    Activity = "Busy"
	ActivityDoNotDisturb            Activity = "DoNotDisturb"
	ActivityFocusing                Activity = "Focusing"
	ActivityInACall                 Activity = "InACall"
	ActivityInAConferenceCall       Activity = "InAConferenceCall"
	ActivityInactive                Activity = "Inactive"
	ActivityInAMeeting              Activity = "InAMeeting"
	ActivityOffline                 Activity = "Offline"
	ActivityOffWork                 Activity = "OffWork"
	ActivityOutOfOffice             Activity = "OutOfOffice"
	ActivityPresenceUnknown         Activity = "PresenceUnknown"
	ActivityPresenting              Activity = "Presenting"
	ActivityUrgentInterruptionsOnly Activity = "UrgentInterruptionsOnly"
)

// Availabilities lists every known availability in canonical spelling.
var Availabilities = []Availability{
	AvailabilityAvailable, AvailabilityAvailableIdle, AvailabilityAway, AvailabilityBeRightBack, AvailabilityBusy, AvailabilityBusyIdle,
	AvailabilityDoNotDisturb, AvailabilityFocusing, AvailabilityOffline, AvailabilityPresenceUnknown,
	AvailabilityInACall, AvailabilityInAMeeting, AvailabilityPresenting,
	AvailabilityOutOfOffice,
}

// Activities lists every known activity in canonical spelling.
var Activities = []Activity{
	ActivityAvailable, ActivityAvailableInactive, ActivityAway, ActivityBeRightBack, ActivityBusy,
	ActivityDoNotDisturb, ActivityFocusing, ActivityInACall,
	ActivityInAConferenceCall, ActivityInactive, ActivityInAMeeting,
	ActivityOffline, ActivityOffWork, ActivityOutOfOffice,
	ActivityPresenceUnknown, ActivityPresenting,
	ActivityUrgentInterruptionsOnly,
}

// ParseAvailability returns the canonical spelling of s when it is a known
// availability in any accepted spelling: case, spaces, '-' and '_' are
// ignored ("DoNotDisturb", "doNotDisturb", "do_not_disturb",
// "do-not-disturb") and the short words dnd, free, brb, focus… stand for
// the value they abbreviate (see NormalizeWord and ShortWords). Otherwise it
// returns s verbatim. ok reports whether s was known.
func ParseAvailability(s string) (a Availability, ok bool) {
	if v, ok := lookup(Availabilities, s); ok {
		return v, true
	}
	return Availability(strings.TrimSpace(s)), false
}

// ParseActivity returns the canonical spelling of s when it is a known
// activity in any accepted spelling (as for ParseAvailability: "meeting",
// "in_a_meeting" and "inAMeeting" are all InAMeeting), and s verbatim
// otherwise. ok reports whether s was known.
func ParseActivity(s string) (a Activity, ok bool) {
	if v, ok := lookup(Activities, s); ok {
		return v, true
	}
	return Activity(strings.TrimSpace(s)), false
}

// Known reports whether a is one of the documented availabilities.
func (a Availability) Known() bool { _, ok := ParseAvailability(string(a)); return ok }

// Known reports whether a is one of the documented activities.
func (a Activity) Known() bool { _, ok := ParseActivity(string(a)); return ok }

// Is reports whether a and b name the same availability in any accepted
// spelling ("do_not_disturb" is DoNotDisturb).
func (a Availability) Is(b Availability) bool {
	if strings.EqualFold(string(a), string(b)) {
		return true
	}
	x, ok1 := ParseAvailability(string(a))
	y, ok2 := ParseAvailability(string(b))
	return ok1 && ok2 && x == y
}

// Is reports whether a and b name the same activity in any accepted
// spelling.
func (a Activity) Is(b Activity) bool {
	if strings.EqualFold(string(a), string(b)) {
		return true
	}
	x, ok1 := ParseActivity(string(a))
	y, ok2 := ParseActivity(string(b))
	return ok1 && ok2 && x == y
}

// Presence is one user's presence at one moment.
type Presence struct {
	// User is the watched user's key: "me" for the signed-in user, otherwise
	// the UPN or object ID from the config.
	User         string
	Availability Availability
	Activity     Activity
	// StatusMessage is the user's Teams status message, if any.
	StatusMessage string
	// OutOfOffice reports whether an out-of-office window is active.
	OutOfOffice bool
	// Sequence is Graph's sequenceNumber: lexicographically ordered, used to
	// drop responses older than the one already applied. Empty when unknown.
	Sequence string
	// Time is when the presence was observed.
	Time time.Time
}

// Newer reports whether p may replace old: true unless both carry a sequence
// number and p's sorts before old's. Equal sequence numbers are allowed, so a
// re-delivered presence refreshes the observation time.
func (p Presence) Newer(old Presence) bool {
	if p.Sequence == "" || old.Sequence == "" {
		return true
	}
	// Graph documents sequenceNumber as lexicographically sortable.
	return p.Sequence >= old.Sequence
}
