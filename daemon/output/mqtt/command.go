package mqtt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	// Label is the door-sign text given with the command; "" for the
	// default (the colour's name, or the rule's label).
	Label string
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

// squash lower-cases s and drops "_", "-" and spaces, so that "Auto" and
// "a-u-t-o" are the same command word (mapping.NormalizeWord).
func squash(s string) string { return mapping.NormalizeWord(s) }

// reasons maps the field a *mapping.FieldError names to the stable reason
// key published with a rejected command.
var reasons = map[string]string{
	"status": "unknown_command", "words": "unknown_command", "color": "invalid_color",
	"effect": "invalid_effect", "for": "invalid_duration", "label": "invalid_label",
}

// overrideErr wraps an error of the shared override grammar as a
// *CommandError with the reason for the field it names.
func overrideErr(err error) error {
	reason := "invalid_json"
	if fe, ok := errors.AsType[*mapping.FieldError](err); ok {
		if r, ok := reasons[fe.Field]; ok {
			reason = r
		}
	}
	return &CommandError{Reason: reason, Err: err}
}

func setCommand(o mapping.Override) Command {
	return Command{Kind: CommandSet, Availability: o.Availability, Activity: o.Activity, Color: o.Color, HasColor: o.HasColor, Effect: o.Effect, Label: o.Label, For: o.For}
}

// ParseCommand parses a payload from the command topic. It accepts:
//
//   - bare words: "clear" or "auto", "pause", "resume", or a presence name in
//     any case with or without separators ("busy", "do_not_disturb",
//     "InAMeeting");
//   - JSON: {"status":"busy","for":"30m"}, {"color":"#ff0000","for":"1h"},
//     {"color":"red","effect":"blink","label":"On air"},
//     {"command":"pause","for":"15m"}, {"command":"clear"}.
//
// Words and JSON are read by the same grammar as `onair set` and the
// control API (mapping.ParseOverride, mapping.OverrideText): "busy 30m",
// "red blink", "do not disturb"; "for" is "90s", "1h30m", "2d" or a number
// of seconds, at most MaxCommandDuration (mapping.MaxOverride).
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
	o, err := mapping.ParseOverride(s)
	if err != nil {
		return Command{}, overrideErr(err)
	}
	return setCommand(o), nil
}

// jsonCommand is a JSON command: "command" says which, and a set command
// is an override in the shared grammar (mapping.OverrideText).
type jsonCommand struct {
	Command *string `json:"command"`
	mapping.OverrideText
}

func parseJSONCommand(b []byte) (Command, error) {
	var j jsonCommand
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		if fe, ok := errors.AsType[*mapping.FieldError](err); ok {
			return Command{}, overrideErr(fe)
		}
		return Command{}, cmdErr("invalid_json", "invalid JSON command: %v", err)
	}
	if dec.More() {
		return Command{}, cmdErr("invalid_json", "invalid JSON command: data after the object")
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
		t := j.OverrideText
		if t.Status != "" || t.Color != "" || t.Effect != "" || t.Label != "" {
			return Command{}, cmdErr("invalid_json", "%s takes no status, color, effect or label", kind)
		}
		if t.For != "" && kind != CommandPause {
			return Command{}, cmdErr("invalid_duration", "%s takes no \"for\"", kind)
		}
		d, err := mapping.ParseDuration(string(t.For))
		if err != nil {
			return Command{}, &CommandError{Reason: "invalid_duration", Err: err}
		}
		return Command{Kind: kind, For: d}, nil
	}
	o, err := j.OverrideText.Parse()
	if err != nil {
		return Command{}, overrideErr(err)
	}
	return setCommand(o), nil
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
