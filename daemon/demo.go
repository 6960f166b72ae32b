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
	{mapping.Available, mapping.ActivityAvailable, ""},
	{mapping.Busy, mapping.ActivityInAMeeting, "Stand-up"},
	{mapping.Available, mapping.ActivityAvailable, ""},
	{mapping.DoNotDisturb, mapping.ActivityPresenting, "Quarterly review"},
	{mapping.Busy, mapping.ActivityInACall, ""},
	{mapping.Away, mapping.ActivityAway, "Lunch"},
	{mapping.BeRightBack, mapping.ActivityBeRightBack, ""},
	{mapping.DoNotDisturb, mapping.ActivityFocusing, "Focus time"},
	{mapping.Busy, mapping.ActivityBusy, ""},
	{mapping.AvailableIdle, mapping.ActivityInactive, ""},
	{mapping.Available, mapping.ActivityAvailable, ""},
	{mapping.Offline, mapping.ActivityOffWork, "See you tomorrow"},
}

// demoStepLength is how long each demo presence lasts.
const demoStepLength = 4 * time.Second

// demoSource plays demoDay in a loop, starting at the first poll. It needs
// no account and no network.
type demoSource struct {
	start time.Time
}

func newDemoSource() *demoSource { return &demoSource{} }

// Poll implements presenceSource.
func (s *demoSource) Poll(ctx context.Context) ([]mapping.Presence, error) {
	now := time.Now()
	if s.start.IsZero() {
		s.start = now
	}
	n := int(now.Sub(s.start) / demoStepLength)
	step := demoDay[n%len(demoDay)]
	return []mapping.Presence{{
		User:          Me,
		Availability:  step.availability,
		Activity:      step.activity,
		StatusMessage: step.message,
		Sequence:      strconv.Itoa(1_000_000 + n),
		Time:          now,
	}}, nil
}
