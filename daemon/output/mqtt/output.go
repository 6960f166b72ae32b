package mqtt

import (
	"context"
	"slices"
	"sync"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// Output is the MQTT output: it feeds snapshots to a Publisher, which owns
// the connection and coalesces to the latest value per topic while the
// broker is away.
type Output struct {
	p *Publisher

	mu    sync.Mutex
	users []string         // SetUsers may change them
	last  *output.Snapshot // the last snapshot shown; only Run's goroutine uses it
}

var _ output.Output = (*Output)(nil)

// NewOutput builds the MQTT output from opts; users are the watched user
// keys in config order, announced (with discovery) before the first
// snapshot.
func NewOutput(opts Options, users []string) (*Output, error) {
	p, err := New(opts)
	if err != nil {
		return nil, err
	}
	return &Output{p: p, users: users}, nil
}

// Name implements output.Output.
func (o *Output) Name() string { return "mqtt" }

// Run implements output.Output. The publisher publishes "offline" on
// shutdown.
func (o *Output) Run(ctx context.Context, mb *output.Mailbox) error {
	o.mu.Lock()
	o.p.SetUsers(o.users)
	o.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { o.p.Run(ctx) })
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-mb.C():
			o.show(s)
		}
	}
}

// show publishes what changed since the last snapshot shown: the users whose
// view differs (output.Changed; every user on a resend), and the daemon's
// health, override and pause (unchanged payloads are not sent again).
func (o *Output) show(s *output.Snapshot) {
	// The watched users change when a group's members do: leavers lose
	// their retained topics and discovery (SetUsers), joiners get theirs.
	if keys := userKeys(s); !slices.Equal(keys, o.users) {
		o.users = keys
		o.p.SetUsers(keys)
	}
	// Only users whose view changed are encoded again, and those with a
	// busy block, whose "until" label reads against the clock.
	changed := output.Changed(o.last, s)
	for i, u := range s.Users {
		if len(changed) > 0 && changed[0] == i {
			changed = changed[1:]
		} else if u.BusyUntil.IsZero() {
			continue
		}
		sig := u.Signal
		sig.Label = untilLabel(s.Time, u)
		o.p.Update(UserState{
			User: u.Key, Name: u.Name, Presence: u.Presence, Signal: sig,
			Since: u.Since, Stale: u.State == mapping.StateStale, Busy: u.Busy,
			BusyUntil: u.BusyUntil, NextBusy: u.NextBusy,
		})
	}
	msg := s.Health.Remedy
	if msg == "" {
		msg = s.Health.Err
	}
	// Local conditions (a failed config reload, an unwritable token
	// cache, a twin daemon on the broker) ride along: presence still
	// flows, but someone should look.
	for _, c := range s.Conditions {
		if msg != "" {
			msg += "; "
		}
		msg += c
	}
	o.p.SetHealth(Health{State: HealthState(s.Health.State.String()), Message: msg})
	ov := Override{}
	if s.Override != nil {
		ov = Override{Active: true, Availability: s.Override.Availability, Activity: s.Override.Activity, Effect: s.Override.Effect, Until: s.Override.Until}
		if s.Override.Color != nil {
			ov.Color, ov.HasColor = *s.Override.Color, true
		}
	}
	o.p.SetOverride(ov)
	o.p.SetPaused(s.Paused, s.PausedUntil)
	o.last = s
}

func userKeys(s *output.Snapshot) []string {
	keys := make([]string, len(s.Users))
	for i, u := range s.Users {
		keys[i] = u.Key
	}
	return keys
}

// Status implements output.Output.
func (o *Output) Status() []output.Status {
	st := o.p.Status()
	os := output.Status{Name: "mqtt", Kind: "mqtt", State: "connected", Detail: st.Broker}
	if !st.Connected {
		os.State = "disconnected"
	}
	if st.LastError != nil {
		os.State = "error"
		if st.Connected {
			os.State = "connected"
		}
		os.Detail = st.Broker + ": " + st.LastError.Error()
	}
	if st.Twin != "" {
		os.State = "conflict"
		os.Detail = st.Broker + ": " + st.Twin
	}
	return []output.Status{os}
}
