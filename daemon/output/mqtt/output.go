package mqtt

import (
	"context"
	"sync"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// Output is the MQTT output: it feeds snapshots to a Publisher, which owns
// the connection and coalesces to the latest value per topic while the
// broker is away.
type Output struct {
	p     *Publisher
	users []string
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
	o.p.SetUsers(o.users)
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
	for _, i := range output.Changed(o.last, s) {
		u := s.Users[i]
		o.p.Update(UserState{
			User: u.Key, Name: u.Name, Presence: u.Presence, Signal: u.Signal,
			Since: u.Since, Stale: u.State == mapping.Stale,
		})
	}
	msg := s.Health.Remedy
	if msg == "" {
		msg = s.Health.Err
	}
	o.p.SetHealth(Health{State: HealthState(output.HealthName(s.Health.State)), Message: msg})
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
	return []output.Status{os}
}
