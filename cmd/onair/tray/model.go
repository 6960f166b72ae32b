package tray

import (
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"
	"unicode"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/mapping"
)

// Slot is one fixed entry of the tray menu. The menu always has every slot,
// in this order; Build only changes labels and flags, because StatusNotifier
// hosts cache the dbusmenu layout and fyne.io/systray cannot reorder items.
type Slot int

// The menu slots, top to bottom. The first three are information lines (who,
// what and since, and a note about overrides, pauses or problems); the
// others are actions.
const (
	SlotWho Slot = iota
	SlotWhat
	SlotNote
	SlotBusy30
	SlotBusy1h
	SlotDND30
	SlotDND1h
	SlotAvailable30
	SlotAvailable1h
	SlotClear
	SlotPause
	SlotResume
	SlotOpenBoard
	SlotSignIn
	SlotQuit
	numSlots
)

// SeparatorBefore reports whether the menu has a separator line above s.
func SeparatorBefore(s Slot) bool {
	switch s {
	case SlotBusy30, SlotPause, SlotOpenBoard, SlotQuit:
		return true
	}
	return false
}

// Checkable reports whether s is drawn with a check box.
func Checkable(s Slot) bool { return s == SlotPause }

// IsAction reports whether clicking s does something.
func IsAction(s Slot) bool { return s >= SlotBusy30 && s < numSlots }

// Labels of the action slots. They are fixed, so that tests and users can
// find an entry by its text.
var actionLabels = [numSlots]string{
	SlotBusy30:      "Busy for 30 min",
	SlotBusy1h:      "Busy for 1 h",
	SlotDND30:       "Do not disturb for 30 min",
	SlotDND1h:       "Do not disturb for 1 h",
	SlotAvailable30: "Available for 30 min",
	SlotAvailable1h: "Available for 1 h",
	SlotClear:       "Clear override",
	SlotPause:       "Pause",
	SlotResume:      "Resume",
	SlotOpenBoard:   "Open board",
	SlotSignIn:      "Sign in…",
	SlotQuit:        "Quit",
}

// Label returns the fixed label of an action slot ("" for information
// lines, whose text comes from the status).
func Label(s Slot) string {
	if s < 0 || s >= numSlots {
		return ""
	}
	return actionLabels[s]
}

// IconKind says which icon the tray shows.
type IconKind int

const (
	// IconSignal is a disc in the signal colour.
	IconSignal IconKind = iota
	// IconOff is an empty ring: the signal is off (paused, or a rule
	// turns the light off).
	IconOff
	// IconUnreachable is a grey disc with a slash: no daemon answers.
	IconUnreachable
	// IconSignedOut is a grey disc with a keyhole: the daemon needs a
	// sign-in.
	IconSignedOut
)

func (k IconKind) String() string {
	switch k {
	case IconSignal:
		return "signal"
	case IconOff:
		return "off"
	case IconUnreachable:
		return "unreachable"
	case IconSignedOut:
		return "signed-out"
	}
	return fmt.Sprintf("IconKind(%d)", int(k))
}

// Item is how one menu slot looks.
type Item struct {
	Label   string
	Visible bool
	Enabled bool
	Checked bool
}

// Model is everything the tray shows for one status.
type Model struct {
	Icon IconKind
	// Color is the signal colour, for IconSignal.
	Color   color.NRGBA
	Tooltip string
	Items   [numSlots]Item
}

// Input is what Build needs.
type Input struct {
	// Status is the daemon's status; ignored when Err is set.
	Status daemon.Status
	// Err is why the status could not be fetched (daemon not running,
	// permission denied).
	Err error
	// ActionErr is why the last menu action failed, nil if it did not.
	ActionErr error
	// BoardURL is the presence board's address from the command line;
	// empty means the first web output's address in Status, if any.
	BoardURL string
	// CanSignIn reports whether the tray can start a sign-in.
	CanSignIn bool
	// Now formats "since" times, in Now's location.
	Now time.Time
}

// Build decides the icon, tooltip and menu for in. It is a pure function.
func Build(in Input) Model {
	var m Model
	for s := range numSlots {
		m.Items[s] = Item{Label: actionLabels[s], Visible: true, Enabled: true}
	}
	if in.Err != nil {
		m.Icon = IconUnreachable
		who := "onair is not reachable"
		if errors.Is(in.Err, daemon.ErrNotRunning) {
			who = "onair is not running"
		}
		m.Items[SlotWho] = info(who)
		m.Items[SlotWhat] = info(firstLine(in.Err.Error()))
		m.Items[SlotNote] = Item{}
		for s := SlotBusy30; s < SlotQuit; s++ {
			m.Items[s].Enabled = false
		}
		m.Items[SlotOpenBoard].Visible = in.BoardURL != ""
		m.Items[SlotSignIn].Visible = false
		m.Tooltip = "onair: " + who
		return m
	}
	st := in.Status
	signedOut := healthIs(st.Health.State, mapping.StateLoginRequired)
	var me daemon.UserStatus
	if len(st.Users) > 0 {
		me = st.Users[0]
	}
	switch {
	case signedOut:
		m.Icon = IconSignedOut
	case st.Paused || me.Effect == string(mapping.Off) || me.Color == "":
		m.Icon = IconOff
	default:
		c, err := mapping.ParseColor(me.Color)
		if err != nil {
			m.Icon = IconOff
			break
		}
		m.Icon, m.Color = IconSignal, color.NRGBA{R: c.R, G: c.G, B: c.B, A: 0xff}
	}

	who := me.Name
	if who == "" {
		who = me.User
	}
	if who == "" {
		who = "no user watched"
	}
	m.Items[SlotWho] = info(who)
	what := presence(me, in.Now)
	m.Items[SlotWhat] = info(what)
	note := noteFor(st, signedOut, in.Now)
	if in.ActionErr != nil {
		note = "Failed: " + firstLine(in.ActionErr.Error())
	}
	m.Items[SlotNote] = info(note)
	m.Items[SlotNote].Visible = note != ""

	m.Items[SlotClear].Enabled = st.Override != nil
	m.Items[SlotPause].Enabled = !st.Paused
	m.Items[SlotPause].Checked = st.Paused
	m.Items[SlotResume].Enabled = st.Paused
	board := in.BoardURL
	if board == "" {
		board = BoardURL(st)
	}
	m.Items[SlotOpenBoard].Visible = board != ""
	m.Items[SlotSignIn].Visible = signedOut
	m.Items[SlotSignIn].Enabled = signedOut && in.CanSignIn

	m.Tooltip = "onair: " + who + " — " + what
	if note != "" {
		m.Tooltip += "\n" + note
	}
	return m
}

// BoardURL returns the address of the first web output that reports one in
// its detail ("http://…"), or "".
func BoardURL(st daemon.Status) string {
	for _, o := range st.Outputs {
		if o.Kind != "web" {
			continue
		}
		for f := range strings.FieldsSeq(o.Detail) {
			if strings.HasPrefix(f, "http://") || strings.HasPrefix(f, "https://") {
				return strings.TrimRight(f, ",;)")
			}
		}
	}
	return ""
}

func info(label string) Item { return Item{Label: label, Visible: true} }

// presence is the "what, since when" line: "Busy, in a meeting since 10:42".
func presence(u daemon.UserStatus, now time.Time) string {
	var what string
	switch {
	case u.Availability == "" && u.Error != "":
		what = "Unknown: " + firstLine(u.Error)
	case u.Availability == "":
		what = "No presence yet"
	default:
		what = words(u.Availability)
		if act := words(u.Activity); u.Activity != "" && !strings.EqualFold(act, what) {
			what += ", " + strings.ToLower(act[:1]) + act[1:]
		}
	}
	if u.StatusMessage != "" {
		what += " (“" + u.StatusMessage + "”)"
	}
	if !u.Since.IsZero() {
		what += " since " + clock(u.Since, now)
	}
	return what
}

// noteFor is the third line: the override, the pause or a problem.
func noteFor(st daemon.Status, signedOut bool, now time.Time) string {
	switch {
	case signedOut:
		return "Signed out: choose Sign in… or run `onair login`"
	case st.Paused && st.PausedUntil.IsZero():
		return "Paused until resumed"
	case st.Paused:
		return "Paused until " + clock(st.PausedUntil, now)
	case st.Override != nil:
		o := st.Override
		what := words(string(o.Availability))
		if o.Activity != "" {
			what = words(string(o.Activity))
		}
		if o.Color != nil {
			what = o.Color.String()
		}
		until := "until cleared"
		if !o.Until.IsZero() {
			until = "until " + clock(o.Until, now)
		}
		return "Override: " + what + " " + until
	case st.Health.State != "" && !healthIs(st.Health.State, mapping.StateNormal):
		msg := "Problem (" + st.Health.State + ")"
		if st.Health.Error != "" {
			msg += ": " + firstLine(st.Health.Error)
		}
		return msg
	}
	return ""
}

// clock formats t as a time of day in now's location, with the weekday when
// it is not today.
func clock(t, now time.Time) string {
	t = t.In(now.Location())
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return t.Format("15:04")
	}
	return t.Format("Mon 15:04")
}

// words turns a Graph value such as "DoNotDisturb" or "InAMeeting" into
// "Do not disturb" or "In a meeting".
func words(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	const max = 120
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

// healthIs reports whether the daemon's health text names state s, in any
// of the spellings mapping accepts (login-required, login_required).
func healthIs(text string, s mapping.State) bool {
	got, err := mapping.ParseState(text)
	return err == nil && got == s
}
