package tray

import (
	"errors"
	"fmt"
	"image/color"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

var now = time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC)

func status(mod func(*daemon.Status)) daemon.Status {
	var st daemon.Status
	st.Health.State = "ok"
	st.Users = []daemon.UserStatus{{
		User: "me", Name: "Ann Example", Availability: "Busy", Activity: "InAMeeting",
		State: "ok", Since: now.Add(-18 * time.Minute), Color: "#ff0000", Brightness: 100, Effect: "solid", Label: "Busy", Rule: "in-a-meeting",
	}}
	if mod != nil {
		mod(&st)
	}
	return st
}

// flags is the compact view of a menu the table compares: one string per
// slot, "" when hidden, else the label with "[off]" when disabled and
// "[x]" when checked.
func flags(m Model) []string {
	out := make([]string, numSlots)
	for s, it := range m.Items {
		if !it.Visible {
			continue
		}
		out[s] = it.Label
		if !it.Enabled {
			out[s] += " [off]"
		}
		if it.Checked {
			out[s] += " [x]"
		}
	}
	return out
}

// menu returns the expected flags: the information lines, then the action
// slots in order with changes applied.
func menu(who, what, note string, change map[Slot]string) []string {
	out := []string{who + " [off]", what + " [off]", note}
	if note != "" {
		out[2] += " [off]"
	}
	for s := SlotBusy30; s < numSlots; s++ {
		l := actionLabels[s]
		if c, ok := change[s]; ok {
			l = c
		}
		out = append(out, l)
	}
	return out
}

func TestBuild(t *testing.T) {
	red := color.NRGBA{0xff, 0, 0, 0xff}
	defaults := map[Slot]string{SlotClear: "Clear override [off]", SlotResume: "Resume [off]", SlotOpenBoard: "", SlotSignIn: ""}
	with := func(extra map[Slot]string) map[Slot]string {
		m := map[Slot]string{}
		for k, v := range defaults {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	until := now.Add(30 * time.Minute)
	purple := mapping.Color{R: 0x80, B: 0x80}
	tests := []struct {
		name        string
		in          Input
		wantIcon    IconKind
		wantColor   color.NRGBA
		wantMenu    []string
		wantTooltip string
	}{
		{
			name:        "in a meeting",
			in:          Input{Status: status(nil), Now: now},
			wantIcon:    IconSignal,
			wantColor:   red,
			wantMenu:    menu("Ann Example", "Busy, in a meeting since 10:42", "", defaults),
			wantTooltip: "onair: Ann Example — Busy, in a meeting since 10:42",
		},
		{
			name: "override for 30 min can be cleared",
			in: Input{Now: now, Status: status(func(st *daemon.Status) {
				st.Override = &output.Override{User: "me", Availability: mapping.AvailabilityDoNotDisturb, Until: until, Source: "tray"}
				st.Users[0].Color, st.Users[0].Availability, st.Users[0].Activity = "#800080", "DoNotDisturb", "DoNotDisturb"
			})},
			wantIcon:    IconSignal,
			wantColor:   color.NRGBA{0x80, 0, 0x80, 0xff},
			wantMenu:    menu("Ann Example", "Do not disturb since 10:42", "Override: Do not disturb until 11:30", with(map[Slot]string{SlotClear: "Clear override"})),
			wantTooltip: "onair: Ann Example — Do not disturb since 10:42\nOverride: Do not disturb until 11:30",
		},
		{
			name: "colour override until cleared",
			in: Input{Now: now, Status: status(func(st *daemon.Status) {
				st.Override = &output.Override{User: "me", Color: &purple}
				st.Users[0].Color = "#800080"
			})},
			wantIcon:    IconSignal,
			wantColor:   color.NRGBA{0x80, 0, 0x80, 0xff},
			wantMenu:    menu("Ann Example", "Busy, in a meeting since 10:42", "Override: #800080 until cleared", with(map[Slot]string{SlotClear: "Clear override"})),
			wantTooltip: "onair: Ann Example — Busy, in a meeting since 10:42\nOverride: #800080 until cleared",
		},
		{
			name: "paused until resumed: ring, pause checked, resume enabled",
			in: Input{Now: now, Status: status(func(st *daemon.Status) {
				st.Paused = true
				st.Users[0].Effect, st.Users[0].Color = "off", "#000000"
			})},
			wantIcon:    IconOff,
			wantMenu:    menu("Ann Example", "Busy, in a meeting since 10:42", "Paused until resumed", with(map[Slot]string{SlotPause: "Pause [off] [x]", SlotResume: "Resume"})),
			wantTooltip: "onair: Ann Example — Busy, in a meeting since 10:42\nPaused until resumed",
		},
		{
			name: "paused until tomorrow shows the weekday",
			in: Input{Now: now, Status: status(func(st *daemon.Status) {
				st.Paused, st.PausedUntil = true, now.Add(24*time.Hour)
			})},
			wantIcon:    IconOff,
			wantMenu:    menu("Ann Example", "Busy, in a meeting since 10:42", "Paused until Tue 11:00", with(map[Slot]string{SlotPause: "Pause [off] [x]", SlotResume: "Resume"})),
			wantTooltip: "onair: Ann Example — Busy, in a meeting since 10:42\nPaused until Tue 11:00",
		},
		{
			name: "signed out offers Sign in…",
			in: Input{Now: now, CanSignIn: true, Status: status(func(st *daemon.Status) {
				st.Health.State = "login_required"
				st.Users[0] = daemon.UserStatus{User: "me", Name: "me", State: "login_required", Color: "#0000ff", Effect: "blink"}
			})},
			wantIcon:    IconSignedOut,
			wantMenu:    menu("me", "No presence yet", "Signed out: choose Sign in… or run `onair login`", with(map[Slot]string{SlotSignIn: "Sign in…"})),
			wantTooltip: "onair: me — No presence yet\nSigned out: choose Sign in… or run `onair login`",
		},
		{
			name: "signed out while a sign-in runs",
			in: Input{Now: now, Status: status(func(st *daemon.Status) {
				st.Health.State = "login_required"
			})},
			wantIcon:    IconSignedOut,
			wantMenu:    menu("Ann Example", "Busy, in a meeting since 10:42", "Signed out: choose Sign in… or run `onair login`", with(map[Slot]string{SlotSignIn: "Sign in… [off]"})),
			wantTooltip: "onair: Ann Example — Busy, in a meeting since 10:42\nSigned out: choose Sign in… or run `onair login`",
		},
		{
			name: "stale with a status message and a web board",
			in: Input{Now: now, Status: status(func(st *daemon.Status) {
				st.Health.State, st.Health.Error = "stale", "get presence: 503 Service Unavailable"
				st.Users[0].StatusMessage = "Back at 2"
				st.Users[0].Since = now.Add(-25 * time.Hour)
				st.Outputs = []output.Status{{Name: "lights", Kind: "lights"}, {Name: "board", Kind: "web", Detail: "serving http://127.0.0.1:8077/board"}}
			})},
			wantIcon:    IconSignal,
			wantColor:   red,
			wantMenu:    menu("Ann Example", "Busy, in a meeting (“Back at 2”) since Sun 10:00", "Problem (stale): get presence: 503 Service Unavailable", with(map[Slot]string{SlotOpenBoard: "Open board"})),
			wantTooltip: "onair: Ann Example — Busy, in a meeting (“Back at 2”) since Sun 10:00\nProblem (stale): get presence: 503 Service Unavailable",
		},
		{
			name:        "a failed action is shown",
			in:          Input{Now: now, Status: status(nil), ActionErr: errors.New("control API: 500 Internal Server Error"), BoardURL: "https://board.example/"},
			wantIcon:    IconSignal,
			wantColor:   red,
			wantMenu:    menu("Ann Example", "Busy, in a meeting since 10:42", "Failed: control API: 500 Internal Server Error", with(map[Slot]string{SlotOpenBoard: "Open board"})),
			wantTooltip: "onair: Ann Example — Busy, in a meeting since 10:42\nFailed: control API: 500 Internal Server Error",
		},
		{
			name: "a rule that turns the light off",
			in: Input{Now: now, Status: status(func(st *daemon.Status) {
				st.Users[0].Availability, st.Users[0].Activity, st.Users[0].Effect, st.Users[0].Color = "Offline", "OffWork", "off", "#000000"
			})},
			wantIcon:    IconOff,
			wantMenu:    menu("Ann Example", "Offline, off work since 10:42", "", defaults),
			wantTooltip: "onair: Ann Example — Offline, off work since 10:42",
		},
		{
			name:        "daemon not running: everything but Quit is disabled",
			in:          Input{Now: now, Err: fmt.Errorf("%w (no daemon at /run/user/1000/onair/onair.sock): start it with `onair run` or `onair service start`", daemon.ErrNotRunning)},
			wantIcon:    IconUnreachable,
			wantMenu:    unreachableMenu("onair is not running", "onair is not running (no daemon at /run/user/1000/onair/onair.sock): start it with `onair run` or `onair service start`"),
			wantTooltip: "onair: onair is not running",
		},
		{
			name:        "daemon refuses: permission denied",
			in:          Input{Now: now, Err: errors.New("cannot reach the daemon at /run/onair/onair.sock: permission denied")},
			wantIcon:    IconUnreachable,
			wantMenu:    unreachableMenu("onair is not reachable", "cannot reach the daemon at /run/onair/onair.sock: permission denied"),
			wantTooltip: "onair: onair is not reachable",
		},
		{
			name:        "no users",
			in:          Input{Now: now, Status: daemon.Status{Health: status(nil).Health}},
			wantIcon:    IconOff,
			wantMenu:    menu("no user watched", "No presence yet", "", defaults),
			wantTooltip: "onair: no user watched — No presence yet",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Build(tt.in)
			if m.Icon != tt.wantIcon || m.Color != tt.wantColor {
				t.Errorf("icon = %v %v, want %v %v", m.Icon, m.Color, tt.wantIcon, tt.wantColor)
			}
			if diff := cmp.Diff(tt.wantMenu, flags(m)); diff != "" {
				t.Errorf("menu (-want +got):\n%s", diff)
			}
			if m.Tooltip != tt.wantTooltip {
				t.Errorf("tooltip = %q, want %q", m.Tooltip, tt.wantTooltip)
			}
		})
	}
}

func unreachableMenu(who, what string) []string {
	out := []string{who + " [off]", what + " [off]", ""}
	for s := SlotBusy30; s < SlotQuit; s++ {
		out = append(out, actionLabels[s]+" [off]")
	}
	out[SlotOpenBoard], out[SlotSignIn] = "", ""
	return append(out, "Quit")
}

func TestWords(t *testing.T) {
	for in, want := range map[string]string{
		"DoNotDisturb": "Do not disturb", "InAMeeting": "In a meeting", "Busy": "Busy", "": "",
		"UrgentInterruptionsOnly": "Urgent interruptions only", "PresenceUnknown": "Presence unknown",
	} {
		if got := words(in); got != want {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}
