package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/onair-dev/onair/daemon"
)

func cmdSet(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "set", "<availability|activity|colour> [--for 30m] [--effect blink] [--label TEXT] [--user UPN]")
	dur := fs.String("for", "", "how long, e.g. 30m or 1h30m (default: until `onair clear`)")
	effect := fs.String("effect", "", "with a colour: solid, blink or pulse")
	label := fs.String("label", "", "door-sign text while the override lasts")
	user := fs.String("user", "", "whose signal to override (default: you)")
	if code, ok := parseFlags(fs, reorder(args)); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "onair set: give exactly one availability, activity or colour, e.g. `onair set busy --for 30m`")
		return exitUsage
	}
	req := daemon.OverrideRequest{Status: fs.Arg(0), Effect: *effect, Label: *label, User: *user, For: *dur, Source: "cli"}
	// Check locally first so that a typo is a usage error even with no
	// daemon running.
	if _, _, err := daemon.ParseOverride(req); err != nil {
		fmt.Fprintf(e.stderr, "onair set: %v\n", err)
		return exitUsage
	}
	st, err := daemon.NewClient(e.paths().Socket).SetOverride(ctx, req)
	if err != nil {
		return fail(e, err)
	}
	printOverride(e, st)
	return exitOK
}

// reorder moves flags after the positional argument to the front, so that
// `onair set busy --for 30m` works with the standard flag package.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && len(a) > 1:
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

func isBoolFlag(a string) bool {
	a = strings.TrimLeft(a, "-")
	return a == "json" || a == "h" || a == "help"
}

func printOverride(e *env, st daemon.Status) {
	for _, u := range st.Users {
		if st.Override != nil && u.User != st.Override.User {
			continue
		}
		fmt.Fprintf(e.stdout, "%s: %s %d%% %s %q (rule %s)\n", u.Name, u.Color, u.Brightness, u.Effect, u.Label, u.Rule)
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
	fs := newFlags(e, "pause", "[--for D | D]")
	dur := fs.String("for", "", "how long, e.g. 1h (default: until `onair resume`)")
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
	if _, err := daemon.ParseFor(*dur); err != nil {
		fmt.Fprintf(e.stderr, "onair pause: %v\n", err)
		return exitUsage
	}
	if _, err := daemon.NewClient(e.paths().Socket).Pause(ctx, *dur); err != nil {
		return fail(e, err)
	}
	if *dur == "" {
		fmt.Fprintln(e.stdout, "Paused until `onair resume`.")
	} else {
		fmt.Fprintf(e.stdout, "Paused for %s.\n", *dur)
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
