package daemon

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/onair-dev/onair/mapping"
)

// terminal is the terminal light: one line per change per user with a
// coloured swatch when the writer is a terminal, plain text otherwise.
type terminal struct {
	w     io.Writer
	color bool
	users []string
	rules mapping.Rules

	mu   sync.Mutex
	last map[string]string
	now  string
}

func newTerminal(w io.Writer, color bool, users []string, rules mapping.Rules) *terminal {
	return &terminal{w: w, color: color, users: users, rules: rules, last: map[string]string{}}
}

// Name implements output.
func (t *terminal) Name() string { return "terminal" }

// Run implements output.
func (t *terminal) Run(ctx context.Context, mb *mailbox) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-mb.C():
			t.show(s)
		}
	}
}

func (t *terminal) show(s *Snapshot) {
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
func (t *terminal) line(s *Snapshot, u UserView, sig mapping.Signal) string {
	presence := string(u.Presence.Availability) + "/" + string(u.Presence.Activity)
	if u.Presence.Availability == "" {
		presence = "-"
	}
	if u.State != mapping.Normal {
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

// Status implements statuser.
func (t *terminal) Status() []OutputStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	return []OutputStatus{{Name: "terminal", Kind: "terminal", State: "running", Signal: t.now}}
}
