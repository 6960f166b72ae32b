package daemon

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// The calendar: one getSchedule round (20 addresses a request) for every
// watched user each calendar.interval, not each poll: meetings are booked
// minutes or days ahead, presence changes by the second. It fills
// UserView.BusyUntil and NextBusy, which the outputs show as "until 14:30"
// and rules match with next_meeting_within.

// scheduleSource reads free/busy; *graph.Client is one.
type scheduleSource interface {
	GetSchedule(ctx context.Context, users []string, start, end time.Time) (map[string]graph.Schedule, error)
}

// calendarWindow is how far ahead free/busy is read: a working day.
const calendarWindow = 12 * time.Hour

// calEntry is one user's free/busy as last read.
type calEntry struct{ busyUntil, nextBusy time.Time }

func (d *Daemon) calendarLoop(ctx context.Context) {
	for {
		d.refreshCalendar(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.set.Calendar.Interval):
		}
	}
}

// refreshCalendar reads every watched user's free/busy once. Without the
// permission (or with any other failure) it says so in the log once per
// distinct problem, and presence goes on without "until".
func (d *Daemon) refreshCalendar(ctx context.Context, now time.Time) {
	d.calMu.Lock()
	defer d.calMu.Unlock()
	d.mu.Lock()
	keys := make([]string, 0, len(d.st.users))
	for _, u := range d.st.users {
		keys = append(keys, u.key)
	}
	d.mu.Unlock()
	var addrs []string
	byAddr := map[string]string{}
	for _, k := range keys {
		a := ""
		if d.office != nil {
			a = d.office.address(k)
		}
		if a == "" && strings.Contains(k, "@") {
			a = k
		}
		if a == "" {
			continue // "me" in delegated mode, or an object ID not yet looked up
		}
		addrs = append(addrs, a)
		byAddr[a] = k
	}
	if len(addrs) == 0 {
		return
	}
	got, err := d.calendar.GetSchedule(ctx, addrs, now, now.Add(calendarWindow))
	if ctx.Err() != nil {
		return
	}
	entries := map[string]calEntry{}
	var userErrs int
	for a, s := range got {
		k, ok := byAddr[a]
		if !ok {
			continue
		}
		if s.Err != nil {
			userErrs++
			d.log.Debug("calendar: no free/busy for user", "user", k, "err", s.Err)
			continue
		}
		entries[k] = calEntry{busyUntil: s.BusyUntil, nextBusy: s.NextBusy}
	}
	// The same problem is logged once: its kind is the key, as messages
	// carry a request ID that differs every time.
	kind := ""
	switch {
	case err == nil:
	case errors.Is(err, graph.ErrForbidden):
		kind = "forbidden"
	case errors.Is(err, graph.ErrThrottled), errors.Is(err, graph.ErrTransient):
		kind = "unavailable"
	default:
		kind = "failed"
	}
	if kind != d.calWarned {
		switch kind {
		case "":
			d.log.Info("calendar available again")
		case "forbidden":
			d.log.Warn("calendar unavailable: the app may not read calendars; ask an admin to grant the Microsoft Graph application permission Calendars.ReadBasic with admin consent. Presence works without it; \"busy until\" and next_meeting_within rules need it", "err", err)
		default:
			d.log.Warn("calendar unavailable", "err", err)
		}
		d.calWarned = kind
	}
	d.mu.Lock()
	d.st.setCalendar(entries, err == nil)
	d.mu.Unlock()
	d.poke()
}

// setCalendar records free/busy read; complete replaces what was known
// (users missing from entries have no calendar information), otherwise
// the entries are added to it.
func (s *state) setCalendar(entries map[string]calEntry, complete bool) {
	s.forget()
	if complete || s.cal == nil {
		s.cal = map[string]calEntry{}
	}
	for k, e := range entries {
		s.cal[k] = e
	}
}

// calendarView fills v's BusyUntil and NextBusy at now, and tells later
// when they or a next_meeting_within rule change what is shown.
func (s *state) calendarView(now time.Time, v *output.UserView, later func(time.Time)) {
	c, ok := s.cal[v.Key]
	if !ok {
		return
	}
	if c.busyUntil.After(now) {
		v.BusyUntil = c.busyUntil
		later(c.busyUntil)
	}
	if c.nextBusy.After(now) {
		v.NextBusy = c.nextBusy
		later(c.nextBusy)
		for _, r := range s.rules {
			if r.NextMeetingWithin > 0 {
				later(c.nextBusy.Add(-r.NextMeetingWithin))
			}
		}
	}
}

// withNotice shows a warning (the certificate expires soon) as the remedy
// of a healthy daemon: status prints it under "to fix", MQTT health
// carries it as its message.
func (s *state) withNotice(snap *output.Snapshot) {
	if s.notice != "" && snap.Health.State == mapping.StateNormal && snap.Health.Remedy == "" {
		snap.Health.Remedy = s.notice
	}
}
