package output

import (
	"testing"

	"github.com/onair-dev/onair/mapping"
)

// TestShownBusy: busy follows the effective signal, decided in one place.
func TestShownBusy(t *testing.T) {
	rules := mapping.DefaultRules()
	free := UserView{Key: "me", Presence: mapping.Presence{Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityAvailable}}
	meeting := UserView{Key: "me", Presence: mapping.Presence{Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting}}
	red, green, purple, orange := mapping.Red, mapping.Green, mapping.Purple, mapping.Orange
	tests := []struct {
		name string
		snap Snapshot
		u    UserView
		rule string
		busy bool
	}{
		{"Teams free", Snapshot{}, free, "available", false},
		{"Teams in a meeting", Snapshot{}, meeting, "in-a-meeting", true},
		{"stale meeting is not busy", Snapshot{}, UserView{Key: "me", Presence: meeting.Presence, State: mapping.StateStale}, "stale", false},
		{"off hours", Snapshot{}, UserView{Key: "me", Presence: meeting.Presence, State: mapping.StateOffHours}, "off-hours", false},
		{"override busy over free", Snapshot{Override: &Override{User: "me", Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy}}, free, "override(in-a-meeting)", true},
		{"override dnd", Snapshot{Override: &Override{User: "me", Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityDoNotDisturb}}, free, "override(do-not-disturb)", true},
		{"override free over meeting", Snapshot{Override: &Override{User: "me", Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityAvailable}}, meeting, "override(available)", false},
		{"override for someone else", Snapshot{Override: &Override{User: "bob", Availability: mapping.AvailabilityBusy}}, free, "available", false},
		{"red override", Snapshot{Override: &Override{User: "me", Color: &red}}, free, "override", true},
		{"purple override", Snapshot{Override: &Override{User: "me", Color: &purple}}, free, "override", true},
		{"green override over meeting", Snapshot{Override: &Override{User: "me", Color: &green}}, meeting, "override", false},
		{"orange is not busy", Snapshot{Override: &Override{User: "me", Color: &orange}}, free, "override", false},
		{"red but off", Snapshot{Override: &Override{User: "me", Color: &red, Effect: mapping.Off}}, free, "override", false},
		{"paused meeting", Snapshot{Paused: true}, meeting, "paused", false},
	}
	for _, tt := range tests {
		sig, busy := tt.snap.Shown(tt.u, rules)
		if sig.Rule != tt.rule || busy != tt.busy {
			t.Errorf("%s: rule %s busy %v, want %s %v", tt.name, sig.Rule, busy, tt.rule, tt.busy)
		}
	}
}

func TestBusyColor(t *testing.T) {
	for s, want := range map[string]bool{
		"red": true, "#cc0000": true, "#dc143c": true, "pink": true, "#a000ff": true, "magenta": true,
		"orange": false, "yellow": false, "green": false, "blue": false, "white": false, "off": false, "#403030": false,
	} {
		c, err := mapping.ParseColor(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := BusyColor(c); got != want {
			t.Errorf("BusyColor(%s %s) = %v, want %v", s, c, got, want)
		}
	}
}
