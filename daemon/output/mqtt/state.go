package mqtt

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onair-dev/onair/mapping"
)

// UserState is one watched user's presence and the signal the daemon shows
// for it (after mapping, schedule and override).
type UserState struct {
	// User is the key from the config: "me" or a UPN / object ID. Topics use
	// Slug(User).
	User string
	// Name is the display name, used as the Home Assistant device name.
	// Empty means User.
	Name     string
	Presence mapping.Presence
	Signal   mapping.Signal
	// Since is when the current availability/activity began.
	Since time.Time
	// Stale reports that presence could not be refreshed for a while.
	Stale bool
	// Busy is whether the effective signal means busy, during an override
	// or pause too (output.Snapshot.Shown decides it). Presence stays what
	// Teams says.
	Busy bool
	// BusyUntil ends the calendar busy block the user is in, NextBusy
	// starts the next one; zero when unknown or none.
	BusyUntil, NextBusy time.Time
}

// HealthState is the daemon's health as Home Assistant shows it.
type HealthState string

// Health states, the options of the health enum sensor.
const (
	HealthOK            HealthState = "ok"
	HealthLoginRequired HealthState = "login-required"
	HealthStale         HealthState = "stale"
	HealthError         HealthState = "error"
)

// HealthStates lists every HealthState.
var HealthStates = []HealthState{HealthOK, HealthLoginRequired, HealthStale, HealthError}

// Health is the daemon's health with a human-readable message ("run onair
// login").
type Health struct {
	State   HealthState
	Message string
}

// Override is the daemon's current manual override, shown by the HA select.
type Override struct {
	// Active reports whether an override is in force; false shows "auto".
	Active       bool
	Availability mapping.Availability
	Activity     mapping.Activity
	Color        mapping.Color
	HasColor     bool
	Effect       mapping.Effect
	// Until is when the override ends; zero means until cleared.
	Until time.Time
}

// Option returns the select option that shows o: "auto", a preset from
// OverrideOptions, or "custom".
func (o Override) Option() string {
	if !o.Active {
		return "auto"
	}
	if o.HasColor {
		return OverrideCustom
	}
	for _, cand := range []string{ActivityState(o.Activity), AvailabilityState(o.Availability)} {
		for _, opt := range OverrideOptions[1 : len(OverrideOptions)-1] {
			if cand == opt {
				return opt
			}
		}
	}
	return OverrideCustom
}

// statePayload is the retained JSON on <prefix>/<node>/<user>/state. Its
// top level is what onair shows (the effective signal, after override and
// pause): "busy", the colour, the label and the rule. "teams" is what
// Teams says, which an override does not change.
type statePayload struct {
	User       string       `json:"user"`
	Name       string       `json:"name"`
	Busy       bool         `json:"busy"`
	Color      string       `json:"color"`
	ShownColor string       `json:"shown_color"` // what the light shows: #000000 when dark
	Brightness int          `json:"brightness"`
	Effect     string       `json:"effect"`
	Label      string       `json:"label"`
	Rule       string       `json:"rule"`
	Teams      teamsPayload `json:"teams"`
	Since      string       `json:"since,omitempty"`
	Stale      bool         `json:"stale"`
	// Until ends the calendar busy block the user is in, NextBusy starts
	// the next one (RFC 3339; absent when unknown or none).
	Until    string `json:"until,omitempty"`
	NextBusy string `json:"next_busy,omitempty"`
}

// teamsPayload is the presence Graph reports, as the Teams availability
// and activity sensors show it.
type teamsPayload struct {
	Availability  string `json:"availability"`
	Activity      string `json:"activity"`
	StatusMessage string `json:"status_message"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func effectOf(s mapping.Signal) mapping.Effect {
	if s.Effect == "" {
		return mapping.Solid
	}
	return s.Effect
}

// shownColor is the colour a bare-string consumer should show: the signal
// colour, or black when the signal is dark.
func shownColor(s mapping.Signal) string {
	if s.Effect == mapping.Off || s.Brightness <= 0 {
		return mapping.Color{}.String()
	}
	return s.Color.String()
}

// userMessages returns the retained per-user topics and payloads: the JSON
// state, and with plain set the plain topics too.
func (t topics) userMessages(slug string, u UserState, plain bool) []outMsg {
	name := u.Name
	if name == "" {
		name = u.User
	}
	since := u.Since
	if since.IsZero() {
		since = u.Presence.Time
	}
	sp := statePayload{
		User:       u.User,
		Name:       name,
		Busy:       u.Busy,
		Color:      u.Signal.Color.String(),
		ShownColor: shownColor(u.Signal),
		Brightness: u.Signal.Brightness,
		Effect:     string(effectOf(u.Signal)),
		Label:      u.Signal.Label,
		Rule:       u.Signal.Rule,
		Teams: teamsPayload{
			Availability:  AvailabilityState(u.Presence.Availability),
			Activity:      ActivityState(u.Presence.Activity),
			StatusMessage: u.Presence.StatusMessage,
		},
		Since:    rfc3339(since),
		Stale:    u.Stale,
		Until:    rfc3339(u.BusyUntil),
		NextBusy: rfc3339(u.NextBusy),
	}
	js, _ := json.Marshal(sp) // cannot fail: strings, ints and bools only
	state := outMsg{topic: t.user(slug, "state"), payload: js, retain: true, kind: kindState}
	if !plain {
		return []outMsg{state}
	}
	return []outMsg{
		state,
		{topic: t.user(slug, "availability"), payload: []byte(sp.Teams.Availability), retain: true, kind: kindState},
		{topic: t.user(slug, "activity"), payload: []byte(sp.Teams.Activity), retain: true, kind: kindState},
		{topic: t.user(slug, "color"), payload: []byte(sp.ShownColor), retain: true, kind: kindState},
		{topic: t.user(slug, "label"), payload: []byte(u.Signal.Label), retain: true, kind: kindState},
	}
}

// signPayload is the retained JSON of a json-format sign: the effective
// signal, whether it means busy, and Teams' presence. Online is true while
// onair runs; the exit state a clean stop leaves says false, and after a
// crash the status topic's "offline" (the MQTT will) says it.
type signPayload struct {
	Color        string `json:"color"`
	Brightness   int    `json:"brightness"`
	Effect       string `json:"effect"`
	Label        string `json:"label"`
	Availability string `json:"availability"`
	Activity     string `json:"activity"`
	Busy         bool   `json:"busy"`
	Online       bool   `json:"online"`
	Until        string `json:"until,omitempty"`
	NextBusy     string `json:"next_busy,omitempty"`
}

// WLED effect IDs (FX_MODE_* in WLED's FX.h): 0 Solid, 1 Blink, 2 Breathe.
var wledFX = map[mapping.Effect]int{mapping.Solid: 0, mapping.Blink: 1, mapping.Pulse: 2}

// DefaultSignExit is what a sign shows after onair stops cleanly, unless
// its config says otherwise: dark, labelled "Offline", so that no sign
// keeps saying "Busy" for somebody whose onair is gone.
var DefaultSignExit = mapping.Signal{Effect: mapping.Off, Label: "Offline", Rule: "exit"}

// exitMessages returns the exit state of every sign: its Exit signal (or
// DefaultSignExit), not busy, "online": false. Signs with ExitKeep are
// left as they are. The publisher sends these on a clean stop, before
// "offline" on the status topic. After a crash there is no clean stop: the
// broker publishes the will ("offline" on the status topic, retained)
// instead, and the signs keep their last payload, which says "online":
// true; a consumer that must not trust a stale sign watches the status
// topic too.
func exitMessages(signs map[string][]Sign) []outMsg {
	slugs := make([]string, 0, len(signs))
	for slug := range signs {
		slugs = append(slugs, slug)
	}
	sort.Strings(slugs)
	var out []outMsg
	for _, slug := range slugs {
		for _, s := range signs[slug] {
			if s.ExitKeep {
				continue
			}
			sig := DefaultSignExit
			if s.Exit != nil {
				sig = *s.Exit
			}
			if sig.Effect == mapping.Keep {
				continue
			}
			out = append(out, signPayloads(s, UserState{User: s.User, Signal: sig}, false)...)
		}
	}
	return out
}

// signMessages returns what sign s shows for u while onair runs. A signal
// with the Keep effect leaves the sign as it is (no messages).
func signMessages(s Sign, u UserState) []outMsg { return signPayloads(s, u, true) }

func signPayloads(s Sign, u UserState, online bool) []outMsg {
	sig := u.Signal
	eff := effectOf(sig)
	if eff == mapping.Keep {
		return nil
	}
	switch s.Format {
	case SignText:
		return []outMsg{{topic: s.Topic, payload: []byte(sig.Label), retain: true, kind: kindSign}}
	case SignWLED:
		// WLED MQTT API: <topic> takes "ON", "OFF", "T" or 0–255 brightness;
		// <topic>/col takes "#RRGGBB"; <topic>/api takes the JSON API.
		bri := "OFF"
		if !sig.Dark() {
			b := max(1, min(255, (sig.Brightness*255+50)/100))
			bri = strconv.Itoa(b)
		}
		col := strings.ToUpper(sig.Color.String())
		fx := wledFX[eff]
		api, _ := json.Marshal(map[string]any{"seg": []map[string]int{{"fx": fx}}})
		return []outMsg{
			{topic: s.Topic + "/col", payload: []byte(col), retain: true, kind: kindSign},
			{topic: s.Topic + "/api", payload: api, retain: true, kind: kindSign},
			{topic: s.Topic, payload: []byte(bri), retain: true, kind: kindSign},
		}
	default:
		js, _ := json.Marshal(signPayload{
			Color:        shownColor(sig),
			Brightness:   sig.Brightness,
			Effect:       string(eff),
			Label:        sig.Label,
			Availability: AvailabilityState(u.Presence.Availability),
			Activity:     ActivityState(u.Presence.Activity),
			Busy:         u.Busy,
			Online:       online,
			Until:        rfc3339(u.BusyUntil),
			NextBusy:     rfc3339(u.NextBusy),
		})
		return []outMsg{{topic: s.Topic, payload: js, retain: true, kind: kindSign}}
	}
}

type healthPayload struct {
	State   HealthState `json:"state"`
	Message string      `json:"message"`
}

type overridePayload struct {
	Option       string `json:"option"`
	Availability string `json:"availability,omitempty"`
	Activity     string `json:"activity,omitempty"`
	Color        string `json:"color,omitempty"`
	Effect       string `json:"effect,omitempty"`
	Until        string `json:"until,omitempty"`
}

func overrideJSON(o Override) []byte {
	p := overridePayload{Option: o.Option()}
	if o.Active {
		if o.Availability != "" {
			p.Availability = AvailabilityState(o.Availability)
		}
		if o.Activity != "" {
			p.Activity = ActivityState(o.Activity)
		}
		if o.HasColor {
			p.Color = o.Color.String()
		}
		p.Effect = string(o.Effect)
		p.Until = rfc3339(o.Until)
	}
	js, _ := json.Marshal(p)
	return js
}

type pausedPayload struct {
	Paused bool   `json:"paused"`
	Until  string `json:"until,omitempty"`
}
