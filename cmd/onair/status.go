package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/mapping"
)

func cmdStatus(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "status", "[--json]")
	asJSON := fs.Bool("json", false, "print the status as JSON (stable keys)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "status") {
		return exitUsage
	}
	// The service line comes first, so it shows when the daemon is down.
	svcOut := e.stdout
	if *asJSON {
		svcOut = e.stderr
	}
	fmt.Fprintln(svcOut, serviceStatusLine(e))
	st, err := daemon.NewClient(e.paths().Socket).Status(ctx)
	if err != nil {
		if *asJSON {
			// --json always prints JSON, so that a script can tell "down"
			// from "broken" without parsing stderr.
			writeJSON(e.stdout, statusError{Error: err.Error(), Running: !errors.Is(err, daemon.ErrNotRunning)})
		}
		return fail(e, err)
	}
	if *asJSON {
		writeJSON(e.stdout, st)
		return exitOK
	}
	printStatus(e.stdout, st, time.Now())
	return exitOK
}

// statusError is what status --json prints when it gets no status.
// Running is false when no daemon answers, true when one answered with an
// error.
type statusError struct {
	Error   string `json:"error"`
	Running bool   `json:"running"`
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return mapping.FormatDuration(now.Sub(t)) + " ago"
}

// stateText shows a daemon state in its one canonical spelling
// (mapping.State.String), whichever spelling the daemon sent.
func stateText(s string) string {
	if st, err := mapping.ParseState(s); err == nil {
		return st.String()
	}
	return s
}

// printStatus prints a human-readable status.
func printStatus(w io.Writer, st daemon.Status, now time.Time) {
	fmt.Fprintf(w, "onair %s (%s mode), polling every %s\n", st.Version, st.Mode, st.Interval)
	if st.Account != "" {
		fmt.Fprintf(w, "account:   %s\n", st.Account)
	}
	fmt.Fprintf(w, "health:    %s\n", stateText(st.Health.State))
	if st.Health.Error != "" {
		fmt.Fprintf(w, "error:     %s (%s)\n", st.Health.Error, ago(st.Health.LastError, now))
	}
	if st.Health.Remedy != "" {
		fmt.Fprintf(w, "to fix:    %s\n", st.Health.Remedy)
	}
	for _, c := range st.Health.Conditions {
		fmt.Fprintf(w, "attention: %s\n", c)
	}
	fmt.Fprintf(w, "last poll: %s, last success %s\n", ago(st.Health.LastPoll, now), ago(st.Health.LastSuccess, now))
	hours := "inside working hours"
	if !st.Working {
		hours = "outside working hours"
	}
	fmt.Fprintf(w, "schedule:  %s (%s)\n", st.Schedule, hours)
	switch {
	case st.Paused && st.PausedUntil.IsZero():
		fmt.Fprintln(w, "paused:    until onair resume")
	case st.Paused:
		fmt.Fprintf(w, "paused:    until %s\n", mapping.FormatUntil(now, st.PausedUntil.In(now.Location())))
	}
	if o := st.Override; o != nil {
		mo := mapping.Override{Availability: o.Availability, Activity: o.Activity, Effect: o.Effect, Label: o.Label}
		if o.Color != nil {
			mo.Color, mo.HasColor = *o.Color, true
		}
		until := "until onair clear"
		if !o.Until.IsZero() {
			until = "until " + mapping.FormatUntil(now, o.Until.In(now.Location()))
		}
		fmt.Fprintf(w, "override:  %s for %s, %s (set by %s)\n", mo, o.User, until, o.Source)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tPRESENCE\tSTATE\tSIGNAL\tLABEL\tRULE\tSINCE")
	for _, u := range st.Users {
		presence := u.Availability + "/" + u.Activity
		if u.Availability == "" {
			presence = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %d%% %s\t%s\t%s\t%s\n", u.Name, presence, stateText(u.State), u.Color, u.Brightness, u.Effect, u.Label, u.Rule, ago(u.Since, now))
	}
	tw.Flush()
	printCalendar(w, st, now)
	if len(st.Outputs) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "OUTPUT\tKIND\tSTATE\tSIGNAL\tDETAIL")
		for _, o := range st.Outputs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Name, o.Kind, o.State, orDash(o.Signal), strings.ReplaceAll(o.Detail, "\n", " "))
		}
		tw.Flush()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printCalendar lists what the calendar says (calendar.enabled): who is
// busy until when, and who has a meeting coming.
func printCalendar(w io.Writer, st daemon.Status, now time.Time) {
	var lines []string
	for _, u := range st.Users {
		var parts []string
		if !u.BusyUntil.IsZero() {
			parts = append(parts, "busy until "+mapping.FormatUntil(now, u.BusyUntil.In(now.Location())))
		}
		if !u.NextBusy.IsZero() {
			parts = append(parts, "next meeting "+mapping.FormatUntil(now, u.NextBusy.In(now.Location())))
		}
		if len(parts) > 0 {
			lines = append(lines, fmt.Sprintf("  %s: %s", u.Name, strings.Join(parts, ", ")))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "calendar:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}
