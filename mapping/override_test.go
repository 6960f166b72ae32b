package mapping

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseOverride(t *testing.T) {
	tests := []struct {
		words []string
		want  Override
		err   string
	}{
		{[]string{"busy"}, Override{Availability: AvailabilityBusy, Activity: ActivityBusy}, ""},
		{[]string{"meeting", "30m"}, Override{Availability: AvailabilityBusy, Activity: ActivityInAMeeting, For: 30 * time.Minute}, ""},
		{[]string{"meeting", "for", "30m"}, Override{Availability: AvailabilityBusy, Activity: ActivityInAMeeting, For: 30 * time.Minute}, ""},
		{[]string{"do not disturb"}, Override{Availability: AvailabilityDoNotDisturb, Activity: ActivityDoNotDisturb}, ""},
		{[]string{"be", "right", "back", "1h"}, Override{Availability: AvailabilityBeRightBack, Activity: ActivityBeRightBack, For: time.Hour}, ""},
		{[]string{"red", "blink", "for", "1h"}, Override{Color: Red, HasColor: true, Effect: Blink, For: time.Hour}, ""},
		{[]string{"red", "1h", "pulse"}, Override{Color: Red, HasColor: true, Effect: Pulse, For: time.Hour}, ""},
		{[]string{"rgb(255,", "0,", "0)"}, Override{Color: Red, HasColor: true}, ""},
		{[]string{"RED"}, Override{Color: Red, HasColor: true}, ""},
		{[]string{"red", "off"}, Override{Color: Red, HasColor: true, Effect: Off}, ""},
		{[]string{"off"}, Override{HasColor: true, Effect: Off}, ""},
		{[]string{"black"}, Override{HasColor: true, Effect: Off}, ""},
		{[]string{"off", "off"}, Override{HasColor: true, Effect: Off}, ""},

		{nil, Override{}, "nothing to set"},
		{[]string{"", " "}, Override{}, "nothing to set"},
		{[]string{"sleepy"}, Override{}, `"sleepy" is not a presence or a colour: give a presence`},
		{[]string{"busy", "blink"}, Override{}, "an effect goes with a colour"},
		{[]string{"red", "keep"}, Override{}, `effect "keep" is for rules`},
		{[]string{"off", "blink"}, Override{}, "off shows no light"},
		{[]string{"busy", "soon"}, Override{}, `unexpected "soon" after "busy"`},
		{[]string{"busy", "30m", "1h"}, Override{}, `unexpected "1h"`},
		{[]string{"busy", "for", "30m", "for", "1h"}, Override{}, "duration given twice"},
		{[]string{"busy", "100000h"}, Override{}, `invalid duration "100000h": at most 7d`},
		{[]string{"busy", "for", "soon"}, Override{}, `invalid duration "soon"`},
		{[]string{"busy", "for"}, Override{}, `unexpected "for"`},
		{[]string{"red", "blink", "pulse"}, Override{}, `unexpected "pulse"`},
	}
	for _, tt := range tests {
		got, err := ParseOverride(tt.words...)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseOverride(%q) = %+v, %v; want error containing %q", tt.words, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseOverride(%q) = %+v, %v; want %+v", tt.words, got, err, tt.want)
		}
	}
}

func TestOverrideText(t *testing.T) {
	tests := []struct {
		json string
		want Override
		err  string
	}{
		{`{"status":"in_a_meeting","for":"30m"}`, Override{Availability: AvailabilityBusy, Activity: ActivityInAMeeting, For: 30 * time.Minute}, ""},
		{`{"status":"busy","for":90}`, Override{Availability: AvailabilityBusy, Activity: ActivityBusy, For: 90 * time.Second}, ""},
		{`{"status":"busy","for":1.5}`, Override{Availability: AvailabilityBusy, Activity: ActivityBusy, For: 1500 * time.Millisecond}, ""},
		{`{"status":"busy","color":"red","effect":"blink"}`, Override{Availability: AvailabilityBusy, Activity: ActivityBusy, Color: Red, HasColor: true, Effect: Blink}, ""},
		{`{"color":"#0f0","label":" Come in "}`, Override{Color: Green, HasColor: true, Label: "Come in"}, ""},
		{`{"status":"red","color":"blue"}`, Override{}, "two colours"},
		{`{"effect":"blink"}`, Override{}, "an effect goes with a colour"},
		{`{"effect":"strobe"}`, Override{}, `invalid effect "strobe"`},
		{`{"effect":" "}`, Override{}, "nothing to set"},
		{`{"color":"#ggg"}`, Override{}, `invalid colour "#ggg"`},
		{`{"status":"busy","for":-1}`, Override{}, "invalid duration"},
		{`{"status":"busy","for":1e9}`, Override{}, "invalid duration"},
		{`{"status":"busy","label":"` + strings.Repeat("x", MaxLabel+1) + `"}`, Override{}, "more than 64"},
		{`{"status":"busy","label":"a\u0007b"}`, Override{}, "control character"},
		{`{"status":"busy","effect":"sparkle"}`, Override{}, `invalid effect "sparkle"`},
	}
	for _, tt := range tests {
		var text OverrideText
		if err := json.Unmarshal([]byte(tt.json), &text); err != nil {
			t.Fatalf("%s: %v", tt.json, err)
		}
		got, err := text.Parse()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %+v, %v; want error containing %q", tt.json, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.json, got, err, tt.want)
		}
	}
	var text OverrideText
	err := json.Unmarshal([]byte(`{"for":true}`), &text)
	if fe, ok := errors.AsType[*FieldError](err); !ok || fe.Field != "for" {
		t.Errorf(`"for": true: error %#v, want a FieldError for "for"`, err)
	}
}

func TestOverrideStringAndLabel(t *testing.T) {
	tests := []struct {
		words       []string
		str, label  string
		signalLabel string
	}{
		{[]string{"meeting"}, "Busy/InAMeeting", "", "In a meeting"},
		{[]string{"dnd"}, "DoNotDisturb", "", "Do not disturb"},
		{[]string{"AvailableIdle"}, "AvailableIdle", "", "Available idle"},
		{[]string{"green"}, "green", "Green", "Green"},
		{[]string{"off"}, "off", "Off", "Off"},
		{[]string{"#ff8800", "blink"}, "#ff8800 blink", "#ff8800", "#ff8800"},
	}
	for _, tt := range tests {
		o, err := ParseOverride(tt.words...)
		if err != nil {
			t.Fatal(err)
		}
		if o.String() != tt.str || o.DefaultLabel() != tt.label {
			t.Errorf("%q: String %q, DefaultLabel %q; want %q, %q", tt.words, o.String(), o.DefaultLabel(), tt.str, tt.label)
		}
		sig := o.Apply(DefaultRules(), Input{Presence: Presence{User: "me", Availability: AvailabilityAvailable, Activity: ActivityAvailable}, State: StateStale})
		if sig.Label != tt.signalLabel {
			t.Errorf("%q: signal label %q, want %q", tt.words, sig.Label, tt.signalLabel)
		}
		if !o.HasColor && !strings.HasPrefix(sig.Rule, "override(") {
			t.Errorf("%q: rule %q", tt.words, sig.Rule)
		}
	}
	o, _ := ParseOverride("meeting")
	sig := o.Apply(DefaultRules(), Input{})
	if sig.Color != Red || sig.Rule != "override(in-a-meeting)" {
		t.Errorf("meeting override = %+v", sig)
	}
	if o, _ = o.WithLabel("On air"); o.Apply(DefaultRules(), Input{}).Label != "On air" {
		t.Error("label not applied")
	}
	if _, err := o.WithFor("1h"); err != nil {
		t.Error(err)
	}
	o.For = time.Minute
	if _, err := o.WithFor("1h"); err == nil {
		t.Error("second duration accepted")
	}
	r, _ := ParseOverride("red", "blink")
	if _, err := r.WithEffect("pulse"); err == nil {
		t.Error("second effect accepted")
	}
}

// FuzzParseOverride: ParseOverride never panics; what it accepts is a
// valid override that survives the trip through its text form (what the
// CLI sends the daemon) unchanged.
func FuzzParseOverride(f *testing.F) {
	for _, s := range []string{"busy", "meeting 30m", "red blink for 1h", "do not disturb", "off", "#f80 pulse 90",
		"rgb(1, 2, 3) 2d", "busy 100000h", "dnd for -1s", "in_a_meeting 1.5", "\xff", "black off 7d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOverride(strings.Split(s, " ")...)
		if err != nil {
			if o != (Override{}) {
				t.Fatalf("error %v with a non-zero override %+v", err, o)
			}
			return
		}
		if o.For < 0 || o.For > MaxOverride {
			t.Fatalf("%q: For %v out of range", s, o.For)
		}
		if !o.HasColor && o.Availability == "" && o.Activity == "" {
			t.Fatalf("%q: empty override accepted", s)
		}
		if o.Effect != "" && !o.HasColor {
			t.Fatalf("%q: effect without colour", s)
		}
		if !utf8.ValidString(o.String()) && utf8.ValidString(s) {
			t.Fatalf("%q: invalid String %q", s, o.String())
		}
		text := o.Text()
		b, err := json.Marshal(text)
		if err != nil {
			t.Fatal(err)
		}
		var back OverrideText
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		again, err := back.Parse()
		if err != nil || again != o {
			t.Fatalf("%q: %+v → %s → %+v, %v", s, o, b, again, err)
		}
	})
}

// TestFieldError: every rejection names the field that is wrong, so that
// MQTT can keep its stable error keys.
func TestFieldError(t *testing.T) {
	tests := []struct {
		text  OverrideText
		field string
	}{
		{OverrideText{}, "status"},
		{OverrideText{Status: "sleepy"}, "status"},
		{OverrideText{Color: "#ggg"}, "color"},
		{OverrideText{Status: "red", Color: "blue"}, "color"},
		{OverrideText{Status: "busy", Effect: "blink"}, "effect"},
		{OverrideText{Effect: "blink"}, "effect"},
		{OverrideText{Color: "red", Effect: "sparkle"}, "effect"},
		{OverrideText{Status: "busy", For: "soon"}, "for"},
		{OverrideText{Status: "busy", Label: "\x00"}, "label"},
	}
	for _, tt := range tests {
		_, err := tt.text.Parse()
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != tt.field || fe.Unwrap() == nil || fe.Error() == "" {
			t.Errorf("%+v: error %#v, want a FieldError for %q", tt.text, err, tt.field)
		}
	}
	for words, f := range map[string]string{"": "status", "sleepy": "status", "busy soon": "words", "busy for 1h for 2h": "for", "busy blink": "effect", "busy 9d": "for"} {
		_, err := ParseOverride(words)
		if fe, ok := err.(*FieldError); !ok || fe.Field != f {
			t.Errorf("ParseOverride(%q): error %#v, want a FieldError for %q", words, err, f)
		}
	}
}
