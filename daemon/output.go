package daemon

import (
	"context"
)

// output shows snapshots somewhere: USB lights, MQTT, the terminal.
type output interface {
	// Name identifies the output in status and logs.
	Name() string
	// Run shows every snapshot it receives from mb until ctx is done, then
	// runs its exit action (bounded by exitTimeout) and returns.
	Run(ctx context.Context, mb *mailbox) error
}

// statuser is an output that can describe itself for `onair status`.
type statuser interface {
	Status() []OutputStatus
}

// OutputStatus describes one output (or one light of the USB output).
type OutputStatus struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
	// Signal is what it shows now, "#ff0000 100% solid".
	Signal string `json:"signal,omitempty"`
}

// mailbox is a one-slot mailbox: put replaces any value not yet taken, so a
// slow output only ever sees the latest snapshot.
type mailbox struct {
	c chan *Snapshot
}

func newMailbox() *mailbox { return &mailbox{c: make(chan *Snapshot, 1)} }

// put stores s, replacing an untaken value. Only the daemon loop calls it,
// so the drain-then-send cannot race with another put.
func (m *mailbox) put(s *Snapshot) {
	select {
	case m.c <- s:
		return
	default:
	}
	select {
	case old := <-m.c:
		if old.Resend {
			// Keep a pending resend request when replacing.
			c := *s
			c.Resend = true
			s = &c
		}
	default:
	}
	m.c <- s
}

// C returns the channel the output receives on.
func (m *mailbox) C() <-chan *Snapshot { return m.c }

type outputSlot struct {
	out output
	mb  *mailbox
}

func (d *Daemon) addOutput(o output) {
	d.outs = append(d.outs, &outputSlot{out: o, mb: newMailbox()})
}

// Outputs returns the status of every output.
func (d *Daemon) Outputs() []OutputStatus {
	var out []OutputStatus
	for _, o := range d.outs {
		if s, ok := o.out.(statuser); ok {
			out = append(out, s.Status()...)
			continue
		}
		out = append(out, OutputStatus{Name: o.out.Name(), Kind: o.out.Name(), State: "running"})
	}
	return out
}
