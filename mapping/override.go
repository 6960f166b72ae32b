package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Override is a manual override as every interface reads it: `onair set`,
// the control API, the MQTT command topic. It either pretends a presence,
// which then goes through the rules like one from Graph, or shows a colour
// directly.
type Override struct {
	// Availability and Activity are the pretended presence, in canonical
	// spelling, paired as Graph would report them (ParsePresence).
	Availability Availability
	Activity     Activity
	// Color is shown directly when HasColor is set; it wins over a
	// presence for the signal.
	Color    Color
	HasColor bool
	// Effect goes with a colour: solid (the default), blink, pulse or off.
	Effect Effect
	// Label is the door-sign text; empty means the default (DefaultLabel).
	Label string
	// For is how long the override lasts, at most MaxOverride; 0 means
	// until cleared.
	For time.Duration
}

// MaxLabel is the longest label accepted, in characters: a door sign shows
// a few words.
const MaxLabel = 64

const setHint = "give a presence (busy, available, away, dnd, meeting, call, presenting, brb, offline) or a colour (red, green, off, #ff0000)"

// ParseOverride reads an override from words as a person types them
// (errors are *FieldError):
//
//	<presence|colour> [effect] [[for] duration]
//
// The presence or colour comes first and may span several words ("do not
// disturb", "rgb(255, 0, 0)"); effect is solid, blink, pulse or off and goes
// only with a colour; the duration is anything ParseDuration reads ("30m",
// "2d", "90"). Examples: "busy", "meeting 30m", "red blink for 1h",
// "do_not_disturb". A colour override gets its colour's name as label.
func ParseOverride(words ...string) (Override, error) {
	var fields []string
	for _, w := range words {
		fields = append(fields, strings.Fields(w)...)
	}
	if len(fields) == 0 {
		return Override{}, field("status", errors.New("nothing to set: "+setHint))
	}
	// The longest leading run of words that names a presence or colour.
	var o Override
	n := len(fields)
	for ; n > 0; n-- {
		if err := o.setStatus(strings.Join(fields[:n], " ")); err == nil {
			break
		}
	}
	if n == 0 {
		return Override{}, o.setStatus(fields[0])
	}
	var effect, dur string
	for i := n; i < len(fields); i++ {
		w := fields[i]
		if strings.EqualFold(w, "for") && i+1 < len(fields) {
			i++
			w = fields[i]
			if dur != "" {
				return Override{}, field("for", fmt.Errorf("duration given twice (%q and %q)", dur, w))
			}
			dur = w
			continue
		}
		if _, err := ParseEffect(w); err == nil && effect == "" {
			effect = w
			continue
		}
		if dur == "" {
			if _, err := ParseDuration(w); err == nil || looksLikeDuration(w) {
				dur = w
				continue
			}
		}
		return Override{}, field("words", fmt.Errorf("unexpected %q after %q: want an effect (solid, blink, pulse, off) or a duration (30m, 1h30m, 2d)", w, strings.Join(fields[:n], " ")))
	}
	if err := o.setEffect(effect); err != nil {
		return Override{}, err
	}
	if err := o.setFor(dur); err != nil {
		return Override{}, err
	}
	return o, nil
}

// looksLikeDuration reports whether w starts with a digit, so that "100000h"
// is reported as a bad duration rather than as an unexpected word.
func looksLikeDuration(w string) bool {
	return w != "" && (w[0] >= '0' && w[0] <= '9' || w[0] == '-' || w[0] == '+' || w[0] == '.')
}

// FieldError is why an override was rejected, and which part of it was
// wrong: "status" (the presence or colour word), "color", "effect", "for",
// "label", or "words" for a word ParseOverride cannot place. Interfaces
// with stable error keys (MQTT) map Field to theirs.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// field wraps a non-nil err as a *FieldError.
func field(name string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*FieldError); ok {
		return err
	}
	return &FieldError{Field: name, Err: err}
}

// setStatus reads one presence word or colour into o.
func (o *Override) setStatus(s string) error { return field("status", o.readStatus(s)) }

func (o *Override) readStatus(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("nothing to set: " + setHint)
	}
	if av, act, ok := ParsePresence(s); ok {
		o.Availability, o.Activity = av, act
		return nil
	}
	if c, err := ParseColor(s); err == nil {
		o.setColor(c)
		return nil
	}
	return fmt.Errorf("%q is not a presence or a colour: %s", clip(s, 40), setHint)
}

func (o *Override) setColor(c Color) {
	o.Color, o.HasColor = c, true
	if c == (Color{}) {
		// "off" and "black": a dark light, said plainly.
		o.Effect = Off
	}
}

func (o *Override) setEffect(s string) error { return field("effect", o.readEffect(s)) }

func (o *Override) readEffect(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	e, err := ParseEffect(s)
	if err != nil {
		return err
	}
	if e == Keep {
		return errors.New(`effect "keep" is for rules; an override shows solid, blink, pulse or off`)
	}
	if o.HasColor && o.Color == (Color{}) && e != Off {
		return fmt.Errorf("off shows no light, so it takes no effect %q; give a colour (onair set red --effect %s)", e, e)
	}
	if !o.HasColor {
		return errors.New("an effect goes with a colour (onair set red --effect blink); a presence takes its effect from the rules")
	}
	o.Effect = e
	return nil
}

func (o *Override) setFor(s string) error {
	d, err := ParseDuration(s)
	if err != nil {
		return field("for", err)
	}
	o.For = d
	return nil
}

func (o *Override) setLabel(s string) error { return field("label", o.readLabel(s)) }

func (o *Override) readLabel(s string) error {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxLabel {
		return fmt.Errorf("label is %d characters, more than %d", utf8.RuneCountInString(s), MaxLabel)
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return fmt.Errorf("label %q has a control character or invalid UTF-8", clip(s, 40))
		}
	}
	o.Label = s
	return nil
}

// WithEffect returns o with the effect s (as ParseOverride reads it: only
// with a colour, not "keep").
func (o Override) WithEffect(s string) (Override, error) {
	if o.Effect != "" && !(o.Color == (Color{}) && o.Effect == Off) {
		return o, field("effect", fmt.Errorf("effect given twice (%s and %s)", o.Effect, s))
	}
	err := o.setEffect(s)
	return o, err
}

// WithFor returns o lasting for the duration s (as ParseDuration reads it).
func (o Override) WithFor(s string) (Override, error) {
	if o.For != 0 {
		return o, field("for", fmt.Errorf("duration given twice (%s and %q)", o.For, s))
	}
	err := o.setFor(s)
	return o, err
}

// WithLabel returns o with label set, checked as OverrideText checks it:
// at most MaxLabel characters, no control characters.
func (o Override) WithLabel(label string) (Override, error) {
	err := o.setLabel(label)
	return o, err
}

// OverrideText is an override as structured interfaces send it: the
// control API's request body and the JSON form of an MQTT command. Every
// field is text in the same grammar as ParseOverride.
type OverrideText struct {
	// Status is a presence word or a colour: "busy", "in_a_meeting", "dnd",
	// "red", "#ff0000".
	Status string `json:"status,omitempty"`
	// Color is a colour; it may not be given together with a colour Status.
	Color  string `json:"color,omitempty"`
	Effect string `json:"effect,omitempty"`
	Label  string `json:"label,omitempty"`
	// For is a duration as ParseDuration reads it ("30m", "2d", "90"); in
	// JSON also a number of seconds. Empty means until cleared.
	For DurationText `json:"for,omitempty"`
}

// DurationText is a duration as text. In JSON it is a string ("30m") or a
// number of seconds (90), which MQTT payloads often send.
type DurationText string

// UnmarshalJSON accepts a JSON string or number; anything else is a
// *FieldError for "for".
func (d *DurationText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*d = DurationText(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return field("for", errors.New(`"for" must be a duration such as "30m" or a number of seconds`))
	}
	*d = DurationText(n.String())
	return nil
}

// Parse checks t and returns the override it describes. Errors are
// *FieldError naming the field that is wrong. A presence Status
// and a Color may be combined: the colour is shown and the presence is
// reported (the MQTT select shows it).
func (t OverrideText) Parse() (Override, error) {
	var o Override
	if strings.TrimSpace(t.Status) == "" && strings.TrimSpace(t.Color) == "" {
		if err := o.setEffect(t.Effect); err != nil {
			return Override{}, err // {"effect":"blink"}: says what is missing
		}
		return o, field("status", errors.New("nothing to set: "+setHint))
	}
	if strings.TrimSpace(t.Status) != "" {
		if err := o.setStatus(t.Status); err != nil {
			return Override{}, err
		}
	}
	if strings.TrimSpace(t.Color) != "" {
		if o.HasColor {
			return Override{}, field("color", fmt.Errorf("two colours: status %q is a colour already; give it once", clip(t.Status, 40)))
		}
		c, err := ParseColor(t.Color)
		if err != nil {
			return Override{}, field("color", err)
		}
		o.setColor(c)
	}
	if err := o.setEffect(t.Effect); err != nil {
		return Override{}, err
	}
	if err := o.setLabel(t.Label); err != nil {
		return Override{}, err
	}
	if err := o.setFor(string(t.For)); err != nil {
		return Override{}, err
	}
	return o, nil
}

// Text returns o in the form OverrideText.Parse reads back to o: canonical
// spellings, the colour as #rrggbb and the duration as a Go duration.
func (o Override) Text() OverrideText {
	var t OverrideText
	switch {
	case o.Activity != "":
		t.Status = string(o.Activity)
	case o.Availability != "":
		t.Status = string(o.Availability)
	}
	if o.HasColor {
		t.Color = o.Color.String()
		if o.Effect != "" && !(o.Color == (Color{}) && o.Effect == Off) {
			t.Effect = string(o.Effect)
		}
	}
	t.Label = o.Label
	if o.For > 0 {
		t.For = DurationText(o.For.String())
	}
	return t
}

// String describes what o shows, for status and logs: "Busy/InAMeeting",
// "DoNotDisturb", "green", "#ff8800 blink", "off".
func (o Override) String() string {
	var parts []string
	if o.HasColor {
		name, ok := ColorName(o.Color)
		if !ok {
			name = o.Color.String()
		}
		parts = append(parts, name)
		if o.Effect != "" && o.Effect != Solid && name != "off" {
			parts = append(parts, string(o.Effect))
		}
	}
	switch {
	case o.Availability != "" && o.Activity != "" && string(o.Availability) != string(o.Activity):
		parts = append(parts, string(o.Availability)+"/"+string(o.Activity))
	case o.Activity != "":
		parts = append(parts, string(o.Activity))
	case o.Availability != "":
		parts = append(parts, string(o.Availability))
	}
	return strings.Join(parts, " ")
}

// DefaultLabel is the door-sign text of o: its Label if set; for a colour
// the colour's name ("Green", "Off") or, for another colour, its #rrggbb;
// for a presence "", meaning the matching rule's label, as for Graph
// presence.
func (o Override) DefaultLabel() string {
	if o.Label != "" {
		return o.Label
	}
	if !o.HasColor {
		return ""
	}
	if o.Color == (Color{}) || o.Effect == Off {
		return "Off"
	}
	if name, ok := ColorName(o.Color); ok {
		return Words(name)
	}
	return o.Color.String()
}

// Apply returns the signal o shows for a user whose presence and state are
// in: a colour directly (Rule "override"), or the pretended presence through
// rules in the Normal state (Rule "override(<rule>)").
func (o Override) Apply(rules Rules, in Input) Signal {
	if o.HasColor {
		e := o.Effect
		if e == "" {
			e = Solid
		}
		return Signal{Color: o.Color, Brightness: 100, Effect: e, Label: o.DefaultLabel(), Rule: "override"}
	}
	in.State = StateNormal
	in.Presence.Availability, in.Presence.Activity = o.Availability, o.Activity
	sig, _ := rules.Match(in)
	sig.Rule = "override(" + sig.Rule + ")"
	if o.Label != "" {
		sig.Label = o.Label
	}
	return sig
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
