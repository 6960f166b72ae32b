package mapping

import (
	"testing"
	"time"
)

func TestDefaultRules(t *testing.T) {
	tests := []struct {
		avail  Availability
		act    Activity
		state  State
		rule   string
		color  Color
		effect Effect
		label  string
	}{
		{"DoNotDisturb", "Presenting", "", "presenting", Red, Pulse, "Presenting"},
		{"Busy", "InACall", "", "in-a-call", Red, Solid, "In a call"},
		{"busy", "inAConferenceCall", "", "in-a-call", Red, Solid, "In a conference call"},
		{"Busy", "InAMeeting", "", "in-a-meeting", Red, Solid, "In a meeting"},
		{"BUSY", "BUSY", "", "in-a-meeting", Red, Solid, "Busy"},
		{"Busy", "SomethingNew", "", "busy", Red, Solid, "Busy"},
		{"DoNotDisturb", "DoNotDisturb", "", "do-not-disturb", Purple, Solid, "Do not disturb"},
		{"doNotDisturb", "UrgentInterruptionsOnly", "", "do-not-disturb", Purple, Solid, "Urgent interruptions only"},
		{"focusing", "", "", "do-not-disturb", Purple, Solid, "Focusing"},
		{"Away", "Away", "", "away", Yellow, Solid, "Away"},
		{"BeRightBack", "BeRightBack", "", "away", Yellow, Solid, "Be right back"},
		{"AvailableIdle", "Available", "", "away", Yellow, Solid, "Available"},
		{"Available", "Inactive", "", "away", Yellow, Solid, "Inactive"},
		{"Available", "Available", "", "available", Green, Solid, "Available"},
		{"available", "", "", "available", Green, Solid, "Available"},
		{"Offline", "OffWork", "", "offline", Color{}, Off, "Off work"},
		{"Available", "OutOfOffice", "", "offline", Color{}, Off, "Out of office"},
		{"Offline", "Offline", "", "offline", Color{}, Off, "Offline"},
		{"PresenceUnknown", "PresenceUnknown", "", "offline", Color{}, Off, "Presence unknown"},
		{"Teleported", "Quantum", "", "offline", Color{}, Off, "Unknown"},
		{"presenting", "", "", "presenting", Red, Pulse, "Presenting"},
		{"inAMeeting", "", "", "in-a-meeting", Red, Solid, "In a meeting"},
		{"inACall", "", "", "in-a-call", Red, Solid, "In a call"},
		{"outOfOffice", "outOfOffice", "", "offline", Color{}, Off, "Out of office"},
		{"Available", "AvailableInactive", "", "away", Yellow, Solid, "Available inactive"},
		{"Available", "Available", StateLoginRequired, "login-required", Blue, Blink, "Sign-in needed"},
		{"Busy", "InAMeeting", StateStale, "stale", White, Pulse, "Status unknown"},
		{"Busy", "InAMeeting", StateOffHours, "off-hours", Color{}, Off, "Off hours"},
		{"", "", StateError, "error", Orange, Blink, "Status unavailable"},
	}
	rules := DefaultRules()
	for _, tt := range tests {
		t.Run(string(tt.avail)+"/"+string(tt.act)+"/"+string(tt.state), func(t *testing.T) {
			got, ok := rules.Match(Input{Presence: Presence{User: "me", Availability: tt.avail, Activity: tt.act}, State: tt.state})
			if !ok {
				t.Fatalf("no rule matched")
			}
			if got.Rule != tt.rule || got.Color != tt.color || got.Effect != tt.effect || got.Label != tt.label {
				t.Errorf("got rule %q %v %s %q, want rule %q %v %s %q", got.Rule, got.Color, got.Effect, got.Label, tt.rule, tt.color, tt.effect, tt.label)
			}
		})
	}
}

func TestRulesFirstMatchAndUsers(t *testing.T) {
	rules := Rules{
		{Name: "boss-busy", Users: []string{"boss@example.com"}, Availability: []Availability{AvailabilityBusy}, Signal: Signal{Color: Purple, Brightness: 100, Effect: Blink, Label: "Do not enter"}},
		{Name: "busy", Availability: []Availability{AvailabilityBusy}, Signal: Signal{Color: Red, Brightness: 50, Effect: Solid}},
		{Name: "both", Availability: []Availability{AvailabilityAvailable}, Activity: []Activity{ActivityOutOfOffice}, Signal: Signal{Color: Yellow, Brightness: 100}},
	}
	tests := []struct {
		name string
		in   Input
		want string
		ok   bool
	}{
		{"user-specific rule first", Input{Presence: Presence{User: "BOSS@example.com", Availability: "busy"}}, "boss-busy", true},
		{"other user falls through", Input{Presence: Presence{User: "me", Availability: "Busy"}}, "busy", true},
		{"both conditions must hold", Input{Presence: Presence{User: "me", Availability: "Available", Activity: "Available"}}, NoMatch.Rule, false},
		{"both conditions hold", Input{Presence: Presence{User: "me", Availability: "Available", Activity: "OutOfOffice"}}, "both", true},
		{"presence rules ignore states", Input{Presence: Presence{User: "me", Availability: "Busy"}, State: StateStale}, NoMatch.Rule, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := rules.Match(tt.in)
			if ok != tt.ok || got.Rule != tt.want {
				t.Errorf("Match = %q, %v; want %q, %v", got.Rule, ok, tt.want, tt.ok)
			}
		})
	}
	if got, _ := rules.Match(Input{Presence: Presence{User: "boss@example.com", Availability: "Busy"}}); got.Label != "Do not enter" {
		t.Errorf("configured label = %q, want %q", got.Label, "Do not enter")
	}
}

func TestParseAvailabilityActivity(t *testing.T) {
	for _, in := range []string{"doNotDisturb", "DONOTDISTURB", " DoNotDisturb "} {
		if a, ok := ParseAvailability(in); !ok || a != AvailabilityDoNotDisturb {
			t.Errorf("ParseAvailability(%q) = %q, %v", in, a, ok)
		}
	}
	if a, ok := ParseAvailability("Teleported"); ok || a != "Teleported" {
		t.Errorf("unknown availability = %q, %v; want verbatim and not ok", a, ok)
	}
	if a, ok := ParseActivity("inAMeeting"); !ok || a != ActivityInAMeeting {
		t.Errorf("ParseActivity(inAMeeting) = %q, %v", a, ok)
	}
}

func TestParseStateAndEffect(t *testing.T) {
	if s, err := ParseState("LOGIN_REQUIRED"); err != nil || s != StateLoginRequired {
		t.Errorf("ParseState = %q, %v", s, err)
	}
	if _, err := ParseState("sleepy"); err == nil {
		t.Error("ParseState(sleepy) did not fail")
	}
	if e, err := ParseEffect(""); err != nil || e != Solid {
		t.Errorf("ParseEffect(\"\") = %q, %v; want solid", e, err)
	}
	if _, err := ParseEffect("strobe"); err == nil {
		t.Error("ParseEffect(strobe) did not fail")
	}
}

func TestPresenceNewer(t *testing.T) {
	old := Presence{Sequence: "638400000000000002"}
	if (Presence{Sequence: "638400000000000001"}).Newer(old) {
		t.Error("older sequence accepted")
	}
	if !(Presence{Sequence: "638400000000000003"}).Newer(old) {
		t.Error("newer sequence rejected")
	}
	if !(Presence{}).Newer(old) {
		t.Error("presence without sequence rejected")
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string]string{"InAMeeting": "In a meeting", "doNotDisturb": "Do not disturb", "Busy": "Busy", "": ""} {
		if got := Words(in); got != want {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkMatchDefault(b *testing.B) {
	rules := DefaultRules()
	in := Input{Presence: Presence{User: "me", Availability: "Available", Activity: "Available"}}
	b.ReportAllocs()
	for b.Loop() {
		rules.Match(in)
	}
}

func TestNextMeetingWithin(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	r := Rule{Name: "soon", NextMeetingWithin: 2 * time.Minute, Signal: Signal{Color: Orange, Brightness: 100}}
	for _, tt := range []struct {
		name string
		next time.Time
		want bool
	}{
		{"no meeting known", time.Time{}, false},
		{"in 3 minutes", now.Add(3 * time.Minute), false},
		{"in exactly 2 minutes", now.Add(2 * time.Minute), true},
		{"in 1 second", now.Add(time.Second), true},
		{"starting now", now, false},
		{"started", now.Add(-time.Minute), false},
	} {
		in := Input{Presence: Presence{Availability: AvailabilityAvailable}, Now: now, NextBusy: tt.next}
		if got := r.Matches(in); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
	if r.Matches(Input{Presence: Presence{Availability: AvailabilityAvailable}, NextBusy: now.Add(time.Minute)}) {
		t.Error("matched without Now")
	}
}
