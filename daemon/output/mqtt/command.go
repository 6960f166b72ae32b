package mqtt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onair-dev/onair/mapping"
)

// CommandKind says what a Command asks for.
type CommandKind string

// Command kinds.
const (
	// CommandSet overrides the presence, the colour or the effect.
	CommandSet CommandKind = "set"
	// CommandClear ends an override (the select's "auto").
	CommandClear CommandKind = "clear"
	// CommandPause darkens every output (the daemon's pause) until resumed
	// or For has passed.
	CommandPause CommandKind = "pause"
	// CommandResume ends a pause.
	CommandResume CommandKind = "resume"
)

// Command is a parsed message from the command topic.
type Command struct {
	Kind CommandKind
	// Availability and Activity are the overriding presence of a set
	// command, in canonical spelling. A word that names both (busy, away)
	// sets both; a word that is only an activity also sets the availability
	// Teams pairs it with (in_a_meeting → Busy, presenting → DoNotDisturb);
	// a word that is only an availability leaves Activity empty.
	Availability mapping.Availability
	Activity     mapping.Activity
	// Color is the overriding colour when HasColor is true.
	Color    mapping.Color
	HasColor bool
	// Effect is the overriding effect; empty when not given.
	Effect mapping.Effect
	// For is how long a set or pause lasts; 0 means until cleared/resumed.
	For time.Duration
}

// Override converts a set command into the Override to show on the HA
// select, ending For after now.
func (c Command) Override(now time.Time) Override {
	o := Override{
		Active:       c.Kind == CommandSet,
		Availability: c.Availability,
		Activity:     c.Activity,
		Color:        c.Color,
		HasColor:     c.HasColor,
		Effect:       c.Effect,
	}
	if o.Active && c.For > 0 {
		o.Until = now.Add(c.For)
	}
	return o
}

// CommandError is why a command payload was rejected. Reason is a short
// stable key ("invalid_json", "unknown_command", "invalid_color",
// "invalid_duration", "invalid_effect", "oversize", "empty", "callback"),
// used for log rate limiting and published with the message.
type CommandError struct {
	Reason string
	Err    error
}

func (e *CommandError) Error() string { return e.Err.Error() }
func (e *CommandError) Unwrap() error { return e.Err }

func cmdErr(reason, format string, args ...any) error {
	return &CommandError{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// OverrideOptions are the options of the Home Assistant override select, in
// display order. Each is also a bare-word command: "auto" clears the
// override, the others set that presence. "custom" is only shown, for
// overrides made elsewhere (a colour, another activity); choosing it is
// rejected.
var OverrideOptions = []string{
	"auto", "available", "busy", "in_a_meeting", "do_not_disturb",
	"be_right_back", "away", "offline", OverrideCustom,
}

// OverrideCustom is the select option shown for an override that is none of
// the presets.
const OverrideCustom = "custom"

// Teams' own pairing of activity-only values with an availability (Graph,
// "Manage presence state"), used when a command names only the activity.
var impliedAvailability = map[mapping.Activity]mapping.Availability{
	mapping.ActivityInACall:                 mapping.Busy,
	mapping.ActivityInAConferenceCall:       mapping.Busy,
	mapping.ActivityInAMeeting:              mapping.Busy,
	mapping.ActivityPresenting:              mapping.DoNotDisturb,
	mapping.ActivityUrgentInterruptionsOnly: mapping.DoNotDisturb,
	mapping.ActivityInactive:                mapping.Away,
	mapping.ActivityOffWork:                 mapping.Offline,
	mapping.ActivityOutOfOffice:             mapping.Offline,
	mapping.ActivityAvailableInactive:       mapping.Available,
}

// squash lower-cases s and drops "_", "-" and spaces, so that
// "do_not_disturb", "Do Not Disturb" and "DoNotDisturb" compare equal.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r == '_' || r == '-' || r == ' ' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// parseStatus fills c from a presence word; it reports whether the word is
// known.
func parseStatus(word string, c *Command) bool {
	w := squash(word)
	if w == "" {
		return false
	}
	found := false
	for _, a := range mapping.Availabilities {
		if strings.ToLower(string(a)) == w {
			c.Availability, found = a, true
		}
	}
	for _, a := range mapping.Activities {
		if strings.ToLower(string(a)) == w {
			c.Activity, found = a, true
			// Graph's current docs also list some of these as
			// availabilities (InAMeeting); an override uses the classic
			// pairing, which every rule table understands.
			if av, ok := impliedAvailability[a]; ok {
				c.Availability = av
			}
		}
	}
	return found
}

// ParseCommand parses a payload from the command topic. It accepts:
//
//   - bare words: "clear" or "auto", "pause", "resume", or a presence name in
//     any case with or without separators ("busy", "do_not_disturb",
//     "InAMeeting");
//   - JSON: {"status":"busy","for":"30m"}, {"color":"#ff0000","for":"1h"},
//     {"effect":"blink"}, {"command":"pause","for":"15m"}, {"command":"clear"}.
//     "status", "color" and "effect" may be combined; "for" is a Go duration
//     ("90s", "1h30m") or a number of seconds, at most MaxCommandDuration.
//
// Unknown JSON keys, an unknown word, a bad colour or duration, invalid UTF-8
// and payloads over MaxCommandSize are rejected with a *CommandError.
func ParseCommand(payload []byte) (Command, error) {
	if len(payload) > MaxCommandSize {
		return Command{}, cmdErr("oversize", "command is %d bytes, more than the limit of %d", len(payload), MaxCommandSize)
	}
	if !utf8.Valid(payload) {
		return Command{}, cmdErr("invalid_utf8", "command is not valid UTF-8")
	}
	s := strings.TrimSpace(string(payload))
	if s == "" {
		return Command{}, cmdErr("empty", "empty command")
	}
	if strings.HasPrefix(s, "{") {
		return parseJSONCommand([]byte(s))
	}
	return parseWord(s)
}

func parseWord(s string) (Command, error) {
	switch w := squash(s); w {
	case "clear", "auto":
		return Command{Kind: CommandClear}, nil
	case "pause":
		return Command{Kind: CommandPause}, nil
	case "resume":
		return Command{Kind: CommandResume}, nil
	case OverrideCustom:
		return Command{}, cmdErr("unknown_command", "%q only shows an override set elsewhere; choose a presence or auto", s)
	}
	c := Command{Kind: CommandSet}
	if parseStatus(s, &c) {
		return c, nil
	}
	return Command{}, cmdErr("unknown_command", "unknown command %q: want clear, pause, resume, a presence such as busy, or JSON", truncate(s, 40))
}

type jsonCommand struct {
	Command *string          `json:"command"`
	Status  *string          `json:"status"`
	Color   *string          `json:"color"`
	Effect  *string          `json:"effect"`
	For     *json.RawMessage `json:"for"`
}

func parseJSONCommand(b []byte) (Command, error) {
	var j jsonCommand
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Command{}, cmdErr("invalid_json", "invalid JSON command: %v", err)
	}
	if dec.More() {
		return Command{}, cmdErr("invalid_json", "invalid JSON command: data after the object")
	}
	var d time.Duration
	if j.For != nil {
		var err error
		if d, err = parseFor(*j.For); err != nil {
			return Command{}, err
		}
	}
	kind := CommandSet
	if j.Command != nil {
		switch squash(*j.Command) {
		case "set":
		case "clear", "auto":
			kind = CommandClear
		case "pause":
			kind = CommandPause
		case "resume":
			kind = CommandResume
		default:
			return Command{}, cmdErr("unknown_command", "unknown command %q: want set, clear, pause or resume", truncate(*j.Command, 40))
		}
	}
	if kind != CommandSet {
		if j.Status != nil || j.Color != nil || j.Effect != nil {
			return Command{}, cmdErr("invalid_json", "%s takes no status, color or effect", kind)
		}
		if j.For != nil && kind != CommandPause {
			return Command{}, cmdErr("invalid_duration", "%s takes no \"for\"", kind)
		}
		return Command{Kind: kind, For: d}, nil
	}
	c := Command{Kind: CommandSet, For: d}
	if j.Status != nil && !parseStatus(*j.Status, &c) {
		return Command{}, cmdErr("unknown_command", "unknown status %q: want an availability or activity such as busy or in_a_meeting", truncate(*j.Status, 40))
	}
	if j.Color != nil {
		col, err := mapping.ParseColor(*j.Color)
		if err != nil {
			return Command{}, &CommandError{Reason: "invalid_color", Err: err}
		}
		c.Color, c.HasColor = col, true
	}
	if j.Effect != nil {
		if strings.TrimSpace(*j.Effect) == "" {
			return Command{}, cmdErr("invalid_effect", "empty effect")
		}
		e, err := mapping.ParseEffect(*j.Effect)
		if err != nil {
			return Command{}, &CommandError{Reason: "invalid_effect", Err: err}
		}
		c.Effect = e
	}
	if c.Availability == "" && c.Activity == "" && !c.HasColor && c.Effect == "" {
		return Command{}, cmdErr("invalid_json", "set command needs status, color or effect")
	}
	return c, nil
}

func parseFor(raw json.RawMessage) (time.Duration, error) {
	var d time.Duration
	var s string
	var n float64
	switch {
	case json.Unmarshal(raw, &s) == nil:
		v, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return 0, cmdErr("invalid_duration", "invalid \"for\" %q: want a duration such as 30m or 1h30m", truncate(s, 40))
		}
		d = v
	case json.Unmarshal(raw, &n) == nil:
		if math.IsNaN(n) || n > MaxCommandDuration.Seconds() || n <= 0 {
			return 0, cmdErr("invalid_duration", "invalid \"for\" %v: want seconds from 1 to %d", n, int(MaxCommandDuration.Seconds()))
		}
		d = time.Duration(n * float64(time.Second))
	default:
		return 0, cmdErr("invalid_duration", "invalid \"for\": want a duration string or a number of seconds")
	}
	if d <= 0 || d > MaxCommandDuration {
		return 0, cmdErr("invalid_duration", "invalid \"for\" %s: want more than 0 and at most %s", d, MaxCommandDuration)
	}
	return d, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// reasonOf returns the CommandError reason of err, or "callback".
func reasonOf(err error) string {
	if ce, ok := errors.AsType[*CommandError](err); ok {
		return ce.Reason
	}
	return "callback"
}
