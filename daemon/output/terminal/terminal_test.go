package terminal

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

func TestTerminalLines(t *testing.T) {
	var buf bytes.Buffer
	term := New(Options{W: &buf})
	s := &output.Snapshot{Time: time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC), Users: []output.UserView{{Key: "me", Name: "me",
		Presence: mapping.Presence{Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting}}}}
	s.Users[0].Signal = s.SignalFor("me", mapping.DefaultRules())
	term.show(s)
	term.show(s) // unchanged: no second line
	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("got %d lines, want 1:\n%s", strings.Count(out, "\n"), out)
	}
	for _, want := range []string{"09:30:00", "[#ff0000]", "Busy/InAMeeting", "solid", `"In a meeting"`, "rule=in-a-meeting"} {
		if !strings.Contains(out, want) {
			t.Errorf("line %q lacks %q", out, want)
		}
	}
	buf.Reset()
	colored := New(Options{W: &buf, Color: true})
	colored.show(s)
	if !strings.Contains(buf.String(), "\x1b[48;2;255;0;0m") {
		t.Errorf("colour terminal line lacks a red swatch: %q", buf.String())
	}
}
