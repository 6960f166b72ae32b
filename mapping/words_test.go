package mapping

import (
	"strings"
	"testing"
)

func TestNormalizeWord(t *testing.T) {
	for in, want := range map[string]string{
		"DoNotDisturb": "donotdisturb", "do_not_disturb": "donotdisturb", "do-not-disturb": "donotdisturb",
		" Do Not\tDisturb ": "donotdisturb", "": "", "#FF0000": "#ff0000", "Übung": "Übung",
	} {
		if got := NormalizeWord(in); got != want {
			t.Errorf("NormalizeWord(%q) = %q, want %q", in, got, want)
		}
		for _, other := range []string{want, strings.ToUpper(in), in + "_"} {
			if sameWord(in, other) != (NormalizeWord(in) == NormalizeWord(other)) {
				t.Errorf("sameWord(%q, %q) disagrees with NormalizeWord", in, other)
			}
		}
	}
}

func TestParseAvailabilitySpellings(t *testing.T) {
	tests := []struct {
		in   string
		want Availability
		ok   bool
	}{
		{"DoNotDisturb", AvailabilityDoNotDisturb, true},
		{"doNotDisturb", AvailabilityDoNotDisturb, true},
		{"do_not_disturb", AvailabilityDoNotDisturb, true},
		{"do-not-disturb", AvailabilityDoNotDisturb, true},
		{"dnd", AvailabilityDoNotDisturb, true},
		{"free", AvailabilityAvailable, true},
		{"brb", AvailabilityBeRightBack, true},
		{"meeting", AvailabilityInAMeeting, true}, // a value of the current Graph list
		{"be_right_back", AvailabilityBeRightBack, true},
		{"Sleepy", "Sleepy", false},
		{" sleepy ", "sleepy", false},
		{"d_n_d", AvailabilityDoNotDisturb, true},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseAvailability(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseAvailability(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if a, ok := ParseActivity("in_a_meeting"); !ok || a != ActivityInAMeeting {
		t.Errorf("ParseActivity(in_a_meeting) = %q, %v", a, ok)
	}
	if !Availability("do_not_disturb").Is(AvailabilityDoNotDisturb) || Availability("busy").Is(AvailabilityDoNotDisturb) {
		t.Error("Availability.Is does not follow the accepted spellings")
	}
	if !Activity("in-a-meeting").Is(ActivityInAMeeting) {
		t.Error("Activity.Is does not follow the accepted spellings")
	}
}

// Every activity is an availability too or has a Teams pairing, so that an
// override word always names a whole presence.
func TestEveryActivityPairs(t *testing.T) {
	for _, a := range Activities {
		av, act, ok := ParsePresence(string(a))
		if !ok || av == "" || act != a {
			t.Errorf("ParsePresence(%q) = %q/%q %v", a, av, act, ok)
		}
	}
	for short, long := range ShortWords() {
		if _, _, ok := ParsePresence(short); !ok {
			t.Errorf("short word %q (%s) is no presence", short, long)
		}
		if _, err := ParseColor(short); err == nil {
			t.Errorf("short word %q is also a colour", short)
		}
	}
	// No presence word is also a colour name: the word order in
	// ParseOverride would hide the colour.
	for _, n := range ColorNames() {
		if _, _, ok := ParsePresence(n); ok {
			t.Errorf("colour %q is also a presence", n)
		}
	}
}

func TestStateText(t *testing.T) {
	for _, s := range append([]State{StateNormal}, States...) {
		got, err := ParseState(s.String())
		if err != nil || got != s {
			t.Errorf("ParseState(%q) = %q, %v", s.String(), got, err)
		}
		b, _ := s.MarshalText()
		var back State
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("text round trip of %q = %q, %v", s, back, err)
		}
	}
	for in, want := range map[string]State{
		"login-required": StateLoginRequired, "login_required": StateLoginRequired, "LoginRequired": StateLoginRequired,
		"Login Required": StateLoginRequired, "off_hours": StateOffHours, "OK": StateNormal, "normal": StateNormal, "STALE": StateStale,
	} {
		if got, err := ParseState(in); err != nil || got != want {
			t.Errorf("ParseState(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if StateLoginRequired.String() != "login-required" || StateNormal.String() != "ok" {
		t.Errorf("String: %q %q", StateLoginRequired, StateNormal)
	}
	for _, bad := range []string{"", "sleepy", "login"} {
		if _, err := ParseState(bad); err == nil || !strings.Contains(err.Error(), "want one of ok, login-required") {
			t.Errorf("ParseState(%q) = %v", bad, err)
		}
	}
	var s State
	if err := s.UnmarshalText([]byte("nope")); err == nil {
		t.Error("UnmarshalText accepted nope")
	}
}

func TestColorName(t *testing.T) {
	for _, n := range ColorNames() {
		name, ok := ColorName(MustColor(n))
		want := n
		if n == "black" {
			want = "off"
		}
		if !ok || name != want {
			t.Errorf("ColorName(%s) = %q, %v", n, name, ok)
		}
	}
	if _, ok := ColorName(Color{1, 2, 3}); ok {
		t.Error("ColorName named #010203")
	}
}
