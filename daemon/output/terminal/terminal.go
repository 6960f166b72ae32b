// Package terminal is the terminal light: one line per change per user,
// with a coloured swatch when the writer is a terminal.
package terminal

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// Options configures the terminal output.
type Options struct {
	// W receives one line per change.
	W io.Writer
	// Color draws a coloured swatch (W is a terminal).
	Color bool
}

// Output is the terminal light.
type Output struct {
	w     io.Writer
	color bool

	mu   sync.Mutex
	last map[string]string
	now  string
}

var _ output.Output = (*Output)(nil)

// New returns the terminal output.
func New(o Options) *Output {
	return &Output{w: o.W, color: o.Color, last: map[string]string{}}
}

// Name implements output.Output.
func (t *Output) Name() string { return "terminal" }

// Run implements output.Output.
func (t *Output) Run(ctx context.Context, mb *output.Mailbox) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-mb.C():
			t.show(s)
		}
	}
}

func (t *Output) show(s *output.Snapshot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, u := range s.Users {
		sig := u.Signal
		line := t.line(s, u, sig)
		key := line[strings.IndexByte(line, ' ')+1:] // without the time
		if t.last[u.Key] == key && !s.Resend {
			continue
		}
		t.last[u.Key] = key
		t.now = sig.String()
		fmt.Fprintln(t.w, line)
	}
}

// line formats one change: time, swatch, user, presence, signal and rule.
func (t *Output) line(s *output.Snapshot, u output.UserView, sig mapping.Signal) string {
	presence := string(u.Presence.Availability) + "/" + string(u.Presence.Activity)
	if u.Presence.Availability == "" {
		presence = "-"
	}
	if u.State != mapping.StateNormal {
		presence += " [" + string(u.State) + "]"
	}
	if s.Paused {
		presence += " [paused]"
	}
	c := sig.Scaled()
	swatch := fmt.Sprintf("[#%02x%02x%02x]", c.R, c.G, c.B)
	if sig.Effect == mapping.Off || sig.Effect == mapping.Keep {
		swatch = "[  off  ]"
	}
	if t.color && sig.Effect != mapping.Off && sig.Effect != mapping.Keep {
		swatch = fmt.Sprintf("\x1b[48;2;%d;%d;%dm       \x1b[0m", c.R, c.G, c.B)
	}
	if sig.Effect == mapping.Keep {
		swatch = "[ keep  ]"
	}
	return fmt.Sprintf("%s %s %-12s %-32s %s %-5s %-18q rule=%s",
		s.Time.Format("15:04:05"), swatch, u.Name, presence, sig.Color, sig.Effect, sig.Label, sig.Rule)
}

// Status implements output.Output.
func (t *Output) Status() []output.Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return []output.Status{{Name: "terminal", Kind: "terminal", State: "running", Signal: t.now}}
}
