package mapping

// Default colours.
var (
	Red    = Color{255, 0, 0}
	Green  = Color{0, 255, 0}
	Blue   = Color{0, 0, 255}
	Yellow = Color{255, 160, 0}
	Purple = Color{160, 0, 255}
	Orange = Color{255, 64, 0}
	White  = Color{255, 255, 255}
)

func sig(c Color, e Effect) Signal { return Signal{Color: c, Brightness: 100, Effect: e} }

// DefaultRules is the mapping used when the config has none. Daemon states
// come first, then activity (which is more specific), then availability.
// Nothing maps to white: on a door a white light reads as "on".
func DefaultRules() Rules {
	return Rules{
		{Name: "login-required", States: []State{StateLoginRequired}, Signal: sig(Blue, Blink)},
		{Name: "stale", States: []State{StateStale}, Signal: Signal{Color: White, Brightness: 20, Effect: Pulse}},
		{Name: "error", States: []State{StateError}, Signal: sig(Orange, Blink)},
		{Name: "off-hours", States: []State{StateOffHours}, Signal: sig(Color{}, Off)},

		{Name: "presenting", Activity: []Activity{ActivityPresenting}, Signal: sig(Red, Pulse)},
		{Name: "in-a-call", Activity: []Activity{ActivityInACall, ActivityInAConferenceCall}, Signal: sig(Red, Solid)},
		{Name: "in-a-meeting", Activity: []Activity{ActivityInAMeeting, ActivityBusy}, Signal: sig(Red, Solid)},
		{Name: "do-not-disturb", Activity: []Activity{ActivityDoNotDisturb, ActivityUrgentInterruptionsOnly, ActivityFocusing}, Signal: sig(Purple, Solid)},
		{Name: "away", Activity: []Activity{ActivityAway, ActivityBeRightBack, ActivityInactive, ActivityAvailableInactive}, Signal: sig(Yellow, Solid)},
		{Name: "offline", Activity: []Activity{ActivityOffline, ActivityOffWork, ActivityOutOfOffice}, Signal: sig(Color{}, Off)},

		{Name: "presenting", Availability: []Availability{AvailabilityPresenting}, Signal: sig(Red, Pulse)},
		{Name: "in-a-call", Availability: []Availability{AvailabilityInACall}, Signal: sig(Red, Solid)},
		{Name: "in-a-meeting", Availability: []Availability{AvailabilityInAMeeting}, Signal: sig(Red, Solid)},
		{Name: "busy", Availability: []Availability{AvailabilityBusy}, Signal: sig(Red, Solid)},
		{Name: "do-not-disturb", Availability: []Availability{AvailabilityDoNotDisturb, AvailabilityFocusing}, Signal: sig(Purple, Solid)},
		{Name: "away", Availability: []Availability{AvailabilityAway, AvailabilityBeRightBack, AvailabilityAvailableIdle, AvailabilityBusyIdle}, Signal: sig(Yellow, Solid)},
		{Name: "available", Availability: []Availability{AvailabilityAvailable}, Signal: sig(Green, Solid)},
		{Name: "offline", Availability: []Availability{AvailabilityOffline, AvailabilityOutOfOffice, AvailabilityPresenceUnknown}, Signal: sig(Color{}, Off)},
	}
}
