package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/mapping"
)

const setUsage = `<presence|colour> [effect] [duration] [--for DURATION] [--effect EFFECT] [--label TEXT] [--user UPN]

A presence is any spelling of a Teams presence: busy, available (free), away,
brb, dnd (DoNotDisturb, do_not_disturb, do-not-disturb), meeting (InAMeeting),
call, presenting, focus, offline, ooo. It shows as Teams would report it:
meeting is Busy/InAMeeting. A colour is a name (red, green, off…), #RGB,
#RRGGBB or rgb(r,g,b); its label is its name unless --label says otherwise.
A duration is 30m, 1h30m, 2d or a number of seconds, at most 7d; without one
the override lasts until onair clear.

Examples:
  onair set busy --for 30m
  onair set meeting 1h
  onair set red blink for 10m
  onair set green --label "Come in"

Flags:`

// parseSet reads `onair set` arguments (after flag parsing) into an
// override, with the grammar every interface shares (mapping.ParseOverride).
func parseSet(words []string, effect, dur, label string) (mapping.Override, error) {
	o, err := mapping.ParseOverride(words...)
	if err == nil && effect != "" {
		o, err = o.WithEffect(effect)
	}
	if err == nil && dur != "" {
		o, err = o.WithFor(dur)
	}
	if err == nil && label != "" {
		o, err = o.WithLabel(label)
	}
	return o, err
}

// overrideRequest is what the control API is sent for o. The fields keep
// the wire format of POST /v1/override: Status is the canonical Graph value
// or, for a colour, #rrggbb; For is a Go duration; Label is the colour's
// name for a colour override, so that the light and door sign never show a
// label that does not fit.
func overrideRequest(o mapping.Override, user string) daemon.OverrideRequest {
	t := o.Text()
	r := daemon.OverrideRequest{Status: t.Status, Effect: t.Effect, Label: o.DefaultLabel(), User: user, For: string(t.For), Source: "cli"}
	if o.HasColor {
		r.Status = t.Color
		if o.Effect != "" {
			r.Effect = string(o.Effect)
		}
	}
	return r
}

func cmdSet(ctx context.Context, e *env, args []string) int {
	req, _, code, ok := parseSetArgs(e, args)
	if !ok {
		return code
	}
	st, err := daemon.NewClient(e.paths().Socket).SetOverride(ctx, req)
	if err != nil {
		return fail(e, err)
	}
	printOverride(e, st)
	return exitOK
}

// parseSetArgs reads `onair set` arguments into the override and the
// request for the daemon. It checks everything locally, so that a typo is a
// usage error even with no daemon running; when ok is false it has printed
// why and code is the exit code.
func parseSetArgs(e *env, args []string) (daemon.OverrideRequest, mapping.Override, int, bool) {
	fs := newFlags(e, "set", setUsage)
	dur := fs.String("for", "", "how long: a `duration` such as 30m, 1h30m, 2d or seconds, at most 7d (default: until onair clear)")
	effect := fs.String("effect", "", "`effect` of a colour: solid, blink, pulse or off (default solid)")
	label := fs.String("label", "", "door-sign `text` while the override lasts (default: the colour's name, or the rule's label)")
	user := fs.String("user", "", "whose signal to override: a watched `user` (default: you)")
	if code, ok := parseFlags(fs, reorder(args)); !ok {
		return daemon.OverrideRequest{}, mapping.Override{}, code, false
	}
	o, err := parseSet(fs.Args(), *effect, *dur, *label)
	if err != nil {
		fmt.Fprintf(e.stderr, "onair set: %v (onair set -h for more)\n", err)
		return daemon.OverrideRequest{}, mapping.Override{}, exitUsage, false
	}
	return overrideRequest(o, *user), o, 0, true
}

// reorder moves flags after the positional arguments to the front, so that
// `onair set busy --for 30m` works with the standard flag package.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && len(a) > 1 && !isNumber(a):
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

// isNumber reports whether a is a negative number or duration ("-5m"), a
// positional value rather than a flag.
func isNumber(a string) bool {
	return len(a) > 1 && a[0] == '-' && (a[1] >= '0' && a[1] <= '9' || a[1] == '.')
}

func isBoolFlag(a string) bool {
	a = strings.TrimLeft(a, "-")
	return a == "json" || a == "h" || a == "help"
}

func printOverride(e *env, st daemon.Status) {
	now := time.Now()
	for _, u := range st.Users {
		if st.Override != nil && u.User != st.Override.User {
			continue
		}
		fmt.Fprintf(e.stdout, "%s: %s %d%% %s %q (rule %s)", u.Name, u.Color, u.Brightness, u.Effect, u.Label, u.Rule)
		if st.Override != nil && !st.Override.Until.IsZero() {
			fmt.Fprintf(e.stdout, " until %s", mapping.FormatUntil(now, st.Override.Until.Local()))
		}
		fmt.Fprintln(e.stdout)
		if st.Override == nil {
			break
		}
	}
}

func cmdClear(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "clear", "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "clear") {
		return exitUsage
	}
	st, err := daemon.NewClient(e.paths().Socket).ClearOverride(ctx)
	if err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.stdout, "Override cleared.")
	printOverride(e, st)
	return exitOK
}

func cmdPause(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "pause", "[DURATION | --for DURATION]")
	dur := fs.String("for", "", "how long: a `duration` such as 30m, 1h30m, 2d or seconds, at most 7d (default: until onair resume)")
	if code, ok := parseFlags(fs, reorder(args)); !ok {
		return code
	}
	switch {
	case fs.NArg() == 1 && *dur == "":
		*dur = fs.Arg(0) // onair pause 30m
	case fs.NArg() > 0:
		fmt.Fprintln(e.stderr, "onair pause: give the duration once: onair pause 30m, or onair pause --for 30m")
		return exitUsage
	}
	d, err := mapping.ParseDuration(*dur)
	if err != nil {
		fmt.Fprintf(e.stderr, "onair pause: %v\n", err)
		return exitUsage
	}
	wire := "" // the control API reads a Go duration; "" is until resumed
	if d > 0 {
		wire = d.String()
	}
	st, err := daemon.NewClient(e.paths().Socket).Pause(ctx, wire)
	if err != nil {
		return fail(e, err)
	}
	switch {
	case d == 0:
		fmt.Fprintln(e.stdout, "Paused until onair resume.")
	case !st.PausedUntil.IsZero():
		fmt.Fprintf(e.stdout, "Paused until %s.\n", mapping.FormatUntil(time.Now(), st.PausedUntil.Local()))
	default:
		fmt.Fprintf(e.stdout, "Paused for %s.\n", mapping.FormatDuration(d))
	}
	return exitOK
}

func cmdResume(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "resume", "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "resume") {
		return exitUsage
	}
	st, err := daemon.NewClient(e.paths().Socket).Resume(ctx)
	if err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.stdout, "Resumed.")
	printOverride(e, st)
	return exitOK
}
