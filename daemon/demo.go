package daemon

import (
	"context"
	"strconv"
	"time"

	"github.com/onair-dev/onair/mapping"
)

// demoStep is one stretch of the scripted day.
type demoStep struct {
	availability mapping.Availability
	activity     mapping.Activity
	message      string
}

// demoDay is a compressed working day: each step lasts demoStepLength.
var demoDay = []demoStep{
	{mapping.AvailabilityAvailable, mapping.ActivityAvailable, ""},
	{mapping.AvailabilityBusy, mapping.ActivityInAMeeting, "Stand-up"},
	{mapping.AvailabilityAvailable, mapping.ActivityAvailable, ""},
	{mapping.AvailabilityDoNotDisturb, mapping.ActivityPresenting, "Quarterly review"},
	{mapping.AvailabilityBusy, mapping.ActivityInACall, ""},
	{mapping.AvailabilityAway, mapping.ActivityAway, "Lunch"},
	{mapping.AvailabilityBeRightBack, mapping.ActivityBeRightBack, ""},
	{mapping.AvailabilityDoNotDisturb, mapping.ActivityFocusing, "Focus time"},
	{mapping.AvailabilityBusy, mapping.ActivityBusy, ""},
	{mapping.AvailabilityAvailableIdle, mapping.ActivityInactive, ""},
	{mapping.AvailabilityAvailable, mapping.ActivityAvailable, ""},
	{mapping.AvailabilityOffline, mapping.ActivityOffWork, "See you tomorrow"},
}

// demoStepLength is how long each demo presence lasts.
const demoStepLength = 4 * time.Second

// demoSource plays demoDay in a loop for every user, starting at the first
// poll; each colleague is a few steps ahead of the one before. It needs no
// account and no network.
type demoSource struct {
	users []string
	start time.Time
}

func newDemoSource(users []string) *demoSource { return &demoSource{users: users} }

// demoOffset is how many steps each colleague is ahead of the previous one.
const demoOffset = 5

// Poll implements presenceSource.
func (s *demoSource) Poll(ctx context.Context) ([]mapping.Presence, error) {
	now := time.Now()
	if s.start.IsZero() {
		s.start = now
	}
	n := int(now.Sub(s.start) / demoStepLength)
	out := make([]mapping.Presence, len(s.users))
	for i, u := range s.users {
		step := demoDay[(n+i*demoOffset)%len(demoDay)]
		out[i] = mapping.Presence{
			User:          u,
			Availability:  step.availability,
			Activity:      step.activity,
			StatusMessage: step.message,
			Sequence:      strconv.Itoa(1_000_000 + n),
			Time:          now,
		}
	}
	return out, nil
}
