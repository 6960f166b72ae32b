package tray

import (
	"context"
	"fmt"

	"github.com/onair-dev/onair/daemon"
)

// Client is the part of the daemon's control API the tray uses;
// *daemon.Client implements it. It is wider than one method because the
// menu drives every override verb, but each method is one control API call.
type Client interface {
	Status(ctx context.Context) (daemon.Status, error)
	SetOverride(ctx context.Context, r daemon.OverrideRequest) (daemon.Status, error)
	ClearOverride(ctx context.Context) (daemon.Status, error)
	Pause(ctx context.Context, dur string) (daemon.Status, error)
	Resume(ctx context.Context) (daemon.Status, error)
}

// Source is what the tray tells the daemon set an override, as `onair
// status` and MQTT show it.
const Source = "tray"

// overrides are the quick overrides: the status word and duration sent,
// exactly as `onair set busy --for 30m` would.
var overrides = map[Slot]struct{ status, dur string }{
	SlotBusy30:      {"Busy", "30m"},
	SlotBusy1h:      {"Busy", "1h"},
	SlotDND30:       {"DoNotDisturb", "30m"},
	SlotDND1h:       {"DoNotDisturb", "1h"},
	SlotAvailable30: {"Available", "30m"},
	SlotAvailable1h: {"Available", "1h"},
}

// Do carries out the daemon action of slot s and returns the daemon's
// status afterwards. Slots that are not daemon actions (information lines,
// Open board, Sign in…, Quit) are an error: the caller handles those.
func Do(ctx context.Context, c Client, s Slot) (daemon.Status, error) {
	if o, ok := overrides[s]; ok {
		return c.SetOverride(ctx, daemon.OverrideRequest{Status: o.status, For: o.dur, Source: Source})
	}
	switch s {
	case SlotClear:
		return c.ClearOverride(ctx)
	case SlotPause:
		return c.Pause(ctx, "")
	case SlotResume:
		return c.Resume(ctx)
	}
	return daemon.Status{}, fmt.Errorf("tray: %q is not a daemon action", Label(s))
}
