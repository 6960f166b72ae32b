package mqtt

import (
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

func TestUntilLabel(t *testing.T) {
	now := time.Date(2026, 12, 1, 13, 50, 0, 0, time.UTC)
	busy := mapping.Presence{Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting}
	free := mapping.Presence{Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityAvailable}
	end := now.Add(40 * time.Minute)
	for _, tt := range []struct {
		name string
		u    output.UserView
		want string
	}{
		{"busy with a calendar block", output.UserView{Presence: busy, BusyUntil: end, Signal: mapping.Signal{Label: "In a meeting", Rule: "in-a-meeting"}}, "In a meeting · until 14:30"},
		{"no calendar", output.UserView{Presence: busy, Signal: mapping.Signal{Label: "In a meeting", Rule: "in-a-meeting"}}, "In a meeting"},
		{"left the meeting early", output.UserView{Presence: free, BusyUntil: end, Signal: mapping.Signal{Label: "Available", Rule: "available"}}, "Available"},
		{"override", output.UserView{Presence: busy, BusyUntil: end, Signal: mapping.Signal{Label: "Busy", Rule: "override"}}, "Busy"},
		{"paused", output.UserView{Presence: busy, BusyUntil: end, Signal: mapping.Signal{Label: "Paused", Rule: "paused"}}, "Paused"},
		{"stale", output.UserView{Presence: busy, BusyUntil: end, State: mapping.StateStale, Signal: mapping.Signal{Label: "Status unknown", Rule: "stale"}}, "Status unknown"},
		{"block over", output.UserView{Presence: busy, BusyUntil: now, Signal: mapping.Signal{Label: "In a meeting", Rule: "in-a-meeting"}}, "In a meeting"},
	} {
		if got := untilLabel(now, tt.u); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
