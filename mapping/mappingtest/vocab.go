// Package mappingtest holds the cases every onair interface must read the
// same way: `onair set`, the control API, the MQTT command topic and config
// rules. mapping's own tests run them through mapping's parsers; the daemon,
// MQTT and CLI tests feed the same inputs through theirs and compare with
// the same expected results, so that the interfaces cannot drift apart.
package mappingtest

import (
	"time"

	"github.com/onair-dev/onair/mapping"
)

// PresenceCase is one presence and every spelling a user may meet it in:
// Graph's PascalCase and camelCase, MQTT/Home Assistant snake_case, kebab
// case, words with spaces, upper case and the short word.
type PresenceCase struct {
	Spellings []string
	// Availability and Activity are what an override with any of the
	// spellings pretends (mapping.ParsePresence).
	Availability mapping.Availability
	Activity     mapping.Activity
	// RuleField is where a config rule that should match this presence
	// names it: "activity" when Activity is set, else "availability". A
	// rule `<RuleField>: [<spelling>]` must match the override's presence.
	RuleField string
}

// PresenceCases lists every presence word onair accepts.
var PresenceCases = []PresenceCase{
	{[]string{"busy", "Busy", "BUSY", " busy "}, mapping.AvailabilityBusy, mapping.ActivityBusy, "activity"},
	{[]string{"available", "Available", "free", "FREE"}, mapping.AvailabilityAvailable, mapping.ActivityAvailable, "activity"},
	{[]string{"away", "Away"}, mapping.AvailabilityAway, mapping.ActivityAway, "activity"},
	{[]string{"brb", "BeRightBack", "beRightBack", "be_right_back", "be-right-back", "be right back"}, mapping.AvailabilityBeRightBack, mapping.ActivityBeRightBack, "activity"},
	{[]string{"dnd", "DND", "DoNotDisturb", "doNotDisturb", "do_not_disturb", "do-not-disturb", "Do Not Disturb", "DO_NOT_DISTURB"}, mapping.AvailabilityDoNotDisturb, mapping.ActivityDoNotDisturb, "activity"},
	{[]string{"meeting", "Meeting", "InAMeeting", "inAMeeting", "in_a_meeting", "in-a-meeting", "In a meeting"}, mapping.AvailabilityBusy, mapping.ActivityInAMeeting, "activity"},
	{[]string{"call", "InACall", "inACall", "in_a_call", "in-a-call"}, mapping.AvailabilityBusy, mapping.ActivityInACall, "activity"},
	{[]string{"conference", "InAConferenceCall", "in_a_conference_call"}, mapping.AvailabilityBusy, mapping.ActivityInAConferenceCall, "activity"},
	{[]string{"presenting", "Presenting", "PRESENTING"}, mapping.AvailabilityDoNotDisturb, mapping.ActivityPresenting, "activity"},
	{[]string{"focus", "Focusing", "focusing"}, mapping.AvailabilityFocusing, mapping.ActivityFocusing, "activity"},
	{[]string{"UrgentInterruptionsOnly", "urgent_interruptions_only"}, mapping.AvailabilityDoNotDisturb, mapping.ActivityUrgentInterruptionsOnly, "activity"},
	{[]string{"offline", "Offline", "OFFLINE"}, mapping.AvailabilityOffline, mapping.ActivityOffline, "activity"},
	{[]string{"OffWork", "off_work", "off-work"}, mapping.AvailabilityOffline, mapping.ActivityOffWork, "activity"},
	{[]string{"ooo", "OutOfOffice", "out_of_office", "out-of-office"}, mapping.AvailabilityOffline, mapping.ActivityOutOfOffice, "activity"},
	{[]string{"Inactive", "inactive"}, mapping.AvailabilityAway, mapping.ActivityInactive, "activity"},
	{[]string{"AvailableInactive", "available_inactive"}, mapping.AvailabilityAvailable, mapping.ActivityAvailableInactive, "activity"},
	{[]string{"AvailableIdle", "available_idle", "available-idle"}, mapping.AvailabilityAvailableIdle, "", "availability"},
	{[]string{"BusyIdle", "busy_idle"}, mapping.AvailabilityBusyIdle, "", "availability"},
	{[]string{"unknown", "PresenceUnknown", "presence_unknown"}, mapping.AvailabilityPresenceUnknown, mapping.ActivityPresenceUnknown, "activity"},
}

// OverrideCase is one override as a person types it and as JSON sends it.
type OverrideCase struct {
	// Name describes the case.
	Name string
	// Words are the arguments after `onair set`.
	Words []string
	// JSON is the same override as the control API body or an MQTT JSON
	// command; "" when the case has no JSON form.
	JSON string
	// Want is the override every interface must produce, with its label
	// (WantLabel) as the light, door sign and status show it.
	Want      mapping.Override
	WantLabel string
	// Err, when set, is part of the error every interface must give; Want
	// is then ignored.
	Err string
}

// OverrideCases are the cross-interface override cases.
var OverrideCases = []OverrideCase{
	{Name: "short word", Words: []string{"dnd"}, JSON: `{"status":"dnd"}`,
		Want: mapping.Override{Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityDoNotDisturb}},
	{Name: "snake case from Home Assistant", Words: []string{"do_not_disturb"}, JSON: `{"status":"do_not_disturb"}`,
		Want: mapping.Override{Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityDoNotDisturb}},
	{Name: "activity pairs with its availability", Words: []string{"InAMeeting"}, JSON: `{"status":"InAMeeting"}`,
		Want: mapping.Override{Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting}},
	{Name: "kebab with duration", Words: []string{"in-a-meeting", "--for", "30m"}, JSON: `{"status":"in-a-meeting","for":"30m"}`,
		Want: mapping.Override{Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting, For: 30 * time.Minute}},
	{Name: "several words", Words: []string{"do", "not", "disturb", "for", "1h"}, JSON: `{"status":"do not disturb","for":"1h"}`,
		Want: mapping.Override{Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityDoNotDisturb, For: time.Hour}},
	{Name: "bare seconds", Words: []string{"busy", "90"}, JSON: `{"status":"busy","for":90}`,
		Want: mapping.Override{Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy, For: 90 * time.Second}},
	{Name: "days", Words: []string{"away", "2d"}, JSON: `{"status":"away","for":"2d"}`,
		Want: mapping.Override{Availability: mapping.AvailabilityAway, Activity: mapping.ActivityAway, For: 48 * time.Hour}},
	{Name: "a week is the limit", Words: []string{"busy", "168h"}, JSON: `{"status":"busy","for":604800}`,
		Want: mapping.Override{Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy, For: mapping.MaxOverride}},
	{Name: "colour gets its name as label", Words: []string{"green"}, JSON: `{"color":"green"}`,
		Want: mapping.Override{Color: mapping.Green, HasColor: true}, WantLabel: "Green"},
	{Name: "colour as status", Words: []string{"red"}, JSON: `{"status":"red"}`,
		Want: mapping.Override{Color: mapping.Red, HasColor: true}, WantLabel: "Red"},
	{Name: "off is a dark light labelled Off", Words: []string{"off"}, JSON: `{"color":"off"}`,
		Want: mapping.Override{HasColor: true, Effect: mapping.Off}, WantLabel: "Off"},
	{Name: "colour with effect", Words: []string{"#ff8800", "--effect", "blink"}, JSON: `{"color":"#ff8800","effect":"blink"}`,
		Want: mapping.Override{Color: mapping.Color{R: 0xff, G: 0x88}, HasColor: true, Effect: mapping.Blink}, WantLabel: "#ff8800"},
	{Name: "label", Words: []string{"red", "--label", "On air"}, JSON: `{"color":"red","label":"On air"}`,
		Want: mapping.Override{Color: mapping.Red, HasColor: true, Label: "On air"}, WantLabel: "On air"},

	{Name: "unknown word", Words: []string{"sleepy"}, JSON: `{"status":"sleepy"}`, Err: `"sleepy" is not a presence or a colour`},
	{Name: "effect without colour", Words: []string{"busy", "--effect", "blink"}, JSON: `{"status":"busy","effect":"blink"}`, Err: "an effect goes with a colour"},
	{Name: "too long", Words: []string{"busy", "--for", "100000h"}, JSON: `{"status":"busy","for":"100000h"}`, Err: `invalid duration "100000h": at most 7d`},
	{Name: "too many seconds", Words: []string{"busy", "604801"}, JSON: `{"status":"busy","for":604801}`, Err: "at most 7d"},
	{Name: "zero", Words: []string{"busy", "--for", "0s"}, JSON: `{"status":"busy","for":"0s"}`, Err: "must be more than 0"},
	{Name: "negative", Words: []string{"busy", "--for", "-5m"}, JSON: `{"status":"busy","for":"-5m"}`, Err: "must be more than 0"},
	{Name: "not a duration", Words: []string{"busy", "--for", "soon"}, JSON: `{"status":"busy","for":"soon"}`, Err: `invalid duration "soon"`},
	{Name: "nothing", Words: nil, JSON: `{}`, Err: "nothing to set"},
}
