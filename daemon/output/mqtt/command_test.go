package mqtt

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onair-dev/onair/mapping"
)

func TestParseCommand(t *testing.T) {
	red := mapping.MustColor("red")
	tests := []struct {
		in   string
		want Command
	}{
		{"clear", Command{Kind: CommandClear}},
		{" Auto\n", Command{Kind: CommandClear}},
		{"pause", Command{Kind: CommandPause}},
		{"RESUME", Command{Kind: CommandResume}},
		{"busy", Command{Kind: CommandSet, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy}},
		{"do_not_disturb", Command{Kind: CommandSet, Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityDoNotDisturb}},
		{"Do Not Disturb", Command{Kind: CommandSet, Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityDoNotDisturb}},
		{"in_a_meeting", Command{Kind: CommandSet, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting}},
		{"Presenting", Command{Kind: CommandSet, Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityPresenting}},
		{"focusing", Command{Kind: CommandSet, Availability: mapping.AvailabilityFocusing, Activity: mapping.ActivityFocusing}},
		{"busy_idle", Command{Kind: CommandSet, Availability: mapping.AvailabilityBusyIdle}},
		{`{"status":"busy","for":"30m"}`, Command{Kind: CommandSet, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy, For: 30 * time.Minute}},
		{`{"status":"InACall","for":90}`, Command{Kind: CommandSet, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInACall, For: 90 * time.Second}},
		{`{"color":"#ff0000","for":"1h"}`, Command{Kind: CommandSet, Color: red, HasColor: true, For: time.Hour}},
		{`{"color":"red","effect":"blink"}`, Command{Kind: CommandSet, Color: red, HasColor: true, Effect: mapping.Blink}},
		{`{"color":"red","effect":"pulse","label":"On air"}`, Command{Kind: CommandSet, Color: red, HasColor: true, Effect: mapping.Pulse, Label: "On air"}},
		{"red blink 10m", Command{Kind: CommandSet, Color: red, HasColor: true, Effect: mapping.Blink, For: 10 * time.Minute}},
		{"do not disturb 2d", Command{Kind: CommandSet, Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityDoNotDisturb, For: 48 * time.Hour}},
		{`{"command":"pause","for":"15m"}`, Command{Kind: CommandPause, For: 15 * time.Minute}},
		{`{"command":"clear"}`, Command{Kind: CommandClear}},
		{`{"command":"resume"}`, Command{Kind: CommandResume}},
		{`{"command":"set","status":"away"}`, Command{Kind: CommandSet, Availability: mapping.AvailabilityAway, Activity: mapping.ActivityAway}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCommand([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseCommand(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseCommand(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// badCommands are rejected with the given reason.
var badCommands = []struct{ in, reason string }{
	{"", "empty"},
	{"   ", "empty"},
	{"explode", "unknown_command"},
	{"custom", "unknown_command"},
	{"{", "invalid_json"},
	{`{"status":"busy"} trailing`, "invalid_json"},
	{`{"status":"busy","colour":"red"}`, "invalid_json"},
	{`{}`, "unknown_command"}, // nothing to set: the status is missing
	{`{"status":"napping"}`, "unknown_command"},
	{`{"command":"reboot"}`, "unknown_command"},
	{`{"color":"#ggg"}`, "invalid_color"},
	{`{"color":"rgb(1,2)"}`, "invalid_color"},
	{`{"effect":"strobe"}`, "invalid_effect"},
	{`{"effect":""}`, "unknown_command"},
	{`{"effect":"pulse"}`, "invalid_effect"}, // an effect goes with a colour
	{`{"color":"red","label":"` + strings.Repeat("x", mapping.MaxLabel+1) + `"}`, "invalid_label"},
	{"busy for soon", "invalid_duration"},
	{"busy 9999h", "invalid_duration"},
	{`{"status":"busy","for":"soon"}`, "invalid_duration"},
	{`{"status":"busy","for":"-5m"}`, "invalid_duration"},
	{`{"status":"busy","for":"0s"}`, "invalid_duration"},
	{`{"status":"busy","for":"9999h"}`, "invalid_duration"},
	{`{"status":"busy","for":1e12}`, "invalid_duration"},
	{`{"status":"busy","for":true}`, "invalid_duration"},
	{`{"command":"clear","for":"1h"}`, "invalid_duration"},
	{`{"command":"pause","status":"busy"}`, "invalid_json"},
	{"busy\xff", "invalid_utf8"},
	{strings.Repeat("a", MaxCommandSize+1), "oversize"},
}

func TestParseCommandRejects(t *testing.T) {
	for _, tt := range badCommands {
		t.Run(truncate(tt.in, 30), func(t *testing.T) {
			got, err := ParseCommand([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseCommand(%q) = %+v, want error", tt.in, got)
			}
			var ce *CommandError
			if !errors.As(err, &ce) || ce.Reason != tt.reason {
				t.Fatalf("ParseCommand(%q) error = %v (%T), want reason %q", tt.in, err, err, tt.reason)
			}
			if got != (Command{}) {
				t.Errorf("rejected command returned a value: %+v", got)
			}
		})
	}
}

// TestOverrideOptionsParse checks that the HA select and the parser agree:
// every option but "custom" is a command, and each preset shows as itself.
func TestOverrideOptionsParse(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, opt := range OverrideOptions {
		c, err := ParseCommand([]byte(opt))
		if opt == OverrideCustom {
			if err == nil {
				t.Errorf("%q parsed, want rejection", opt)
			}
			continue
		}
		if err != nil {
			t.Fatalf("select option %q does not parse: %v", opt, err)
		}
		if got := c.Override(now).Option(); got != opt {
			t.Errorf("option %q round-trips to %q", opt, got)
		}
	}
	o := Command{Kind: CommandSet, Color: mapping.MustColor("red"), HasColor: true, For: time.Hour}.Override(now)
	if o.Option() != OverrideCustom || !o.Until.Equal(now.Add(time.Hour)) {
		t.Errorf("colour override = %+v (%s)", o, o.Option())
	}
	if got := (Command{Kind: CommandSet, Activity: mapping.ActivityPresenting, Availability: mapping.AvailabilityDoNotDisturb}).Override(now).Option(); got != "do_not_disturb" {
		t.Errorf("presenting shows as %q", got)
	}
	if !slices.Contains(OverrideOptions, "auto") {
		t.Error("no auto option")
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"clear", "busy", `{"status":"busy","for":"30m"}`, `{"color":"#ff0000","for":"1h"}`, `{"command":"pause","for":"15m"}`, `{"color":"red","effect":"blink"}`, `{"for":1.5e3,"status":"away"}`} {
		f.Add([]byte(s))
	}
	for _, b := range badCommands {
		f.Add([]byte(b.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if err != nil {
			var ce *CommandError
			if !errors.As(err, &ce) || ce.Reason == "" {
				t.Fatalf("error without reason: %v", err)
			}
			if c != (Command{}) {
				t.Fatalf("error with a value: %+v", c)
			}
			return
		}
		switch c.Kind {
		case CommandSet:
			if c.Availability == "" && c.Activity == "" && !c.HasColor && c.Effect == "" {
				t.Fatalf("empty set command from %q", b)
			}
		case CommandClear, CommandResume:
			if c.For != 0 {
				t.Fatalf("%s with duration from %q", c.Kind, b)
			}
		case CommandPause:
		default:
			t.Fatalf("unknown kind %q from %q", c.Kind, b)
		}
		if c.For < 0 || c.For > MaxCommandDuration {
			t.Fatalf("duration %v out of range from %q", c.For, b)
		}
		if c.Availability != "" && !c.Availability.Known() {
			t.Fatalf("unknown availability %q from %q", c.Availability, b)
		}
		if c.Activity != "" && !c.Activity.Known() {
			t.Fatalf("unknown activity %q from %q", c.Activity, b)
		}
	})
}
