package daemon

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// state is what the daemon knows, as a value: the presence of every watched
// user, its own health, and the override and pause in force. Polls and
// commands change it (apply, fail, partialFail, setOverride, pause, …);
// snapshot reads it without changing it. It does no I/O and starts
// nothing, so plain table tests drive it with made-up times (state_test.go).
// The daemon loop owns it, under Daemon.mu.
type state struct {
	rules    mapping.Rules
	schedule *config.Schedule
	// stale is how long presence may go unrefreshed before the stale
	// state.
	stale time.Duration
	log   *slog.Logger

	users     []*userState
	byKey     map[string]*userState
	health    output.Health
	override  *output.Override
	paused    bool
	pauseTill time.Time
	// cal is free/busy by user key and notice a warning shown as the
	// remedy while healthy (calendar.go, office.go).
	cal    map[string]calEntry
	notice string
	// The views of the last snapshot remembered (remember), so that a poll
	// in which nobody's presence changed costs no rule match and no
	// snapshot, and one in which a few did costs a rule match for those
	// few. views is shared with that snapshot and never written to; key is
	// what every view depends on besides the user's own fields; dirty
	// counts users whose own fields changed since.
	views []output.UserView
	key   viewKey
	dirty int
}

// viewKey is what every user's view depends on besides the user: when it
// changes, every view is built again.
type viewKey struct {
	working     bool
	health      mapping.State
	lastError   bool // a poll has failed before (a user never polled shows an error)
	override    *output.Override
	paused      bool
	pauseTill   time.Time
	overrideEnd bool // the override's time has come (snapshot leaves it out before expire)
	// rules and stale identify the rules and stale time the views were
	// built with, so that replacing them (a config reload) rebuilds every
	// view.
	rules *mapping.Rule
	nrule int
	stale time.Duration
	// notice is shown as the health remedy (withNotice); err and remedy
	// are the health's, which a snapshot shows too.
	notice, err, remedy string
}

type userState struct {
	key, name string
	presence  mapping.Presence
	have      bool
	updated   time.Time // when presence was last refreshed
	since     time.Time // when availability/activity last changed
	err       string    // why the last poll did not get this user; "" if it did
	errKey    string    // failureKey of that error, to log each failure once
	drops     int       // out-of-order responses dropped in a row
	// dirty: something shown changed since the remembered view; old: the
	// remembered view is stale.
	dirty, old bool
}

// touch marks u's remembered view out of date.
func (s *state) touch(u *userState) {
	if !u.dirty {
		u.dirty = true
		s.dirty++
	}
}

// intern returns the package mapping constant spelled exactly as v, so that
// thousands of users share one copy of "Available"; v itself when there is
// none (another spelling, or a value Graph does not document).
func intern[T ~string](v T, parse func(string) (T, bool)) T {
	if c, ok := parse(string(v)); ok && c == v {
		return c
	}
	return v
}

// shown is the part of a presence that outputs show: without the
// observation time and sequence number, which change with every poll.
func shown(p mapping.Presence) mapping.Presence {
	p.Time, p.Sequence = time.Time{}, ""
	return p
}

// maxSequenceDrops is how many responses in a row may carry an older
// sequenceNumber before the daemon takes the new numbering.
const maxSequenceDrops = 3

// staleAfter is how long presence may go unrefreshed before the stale state:
// max(3 intervals, 60 s).
func staleAfter(interval time.Duration) time.Duration { return max(3*interval, 60*time.Second) }

func newState(users []config.User, rules mapping.Rules, schedule *config.Schedule, interval time.Duration, log *slog.Logger) *state {
	s := &state{rules: rules, schedule: schedule, stale: staleAfter(interval), log: log, byKey: map[string]*userState{}}
	for _, u := range users {
		us := &userState{key: u.Key, name: u.Name}
		s.users = append(s.users, us)
		s.byKey[us.key] = us
	}
	return s
}

// apply records a successful poll.
func (s *state) apply(now time.Time, ps []mapping.Presence) {
	if s.health.State != mapping.StateNormal {
		s.log.Info("presence available again", "previous", s.health.State.String())
	}
	s.health = output.Health{State: mapping.StateNormal, LastPoll: now, LastSuccess: now, LastError: s.health.LastError}
	next := 0
	for _, p := range ps {
		u := s.lookup(p.User, &next)
		if u == nil {
			continue
		}
		if u.have && !p.Newer(u.presence) {
			// An older sequenceNumber is a late response: drop it. Several
			// in a row mean Graph restarted its numbering; follow it
			// rather than freeze the user until a restart.
			if u.drops++; u.drops < maxSequenceDrops {
				s.log.Debug("dropped out-of-order presence", "user", u.key, "sequence", p.Sequence, "applied", u.presence.Sequence)
				continue
			}
			s.log.Warn("presence sequence went backwards repeatedly; following it", "user", u.key, "sequence", p.Sequence, "applied", u.presence.Sequence)
		}
		u.drops = 0
		// Most polls bring what the user already has: then keep the
		// strings already held (the decoder allocated new ones), and skip
		// the checks below.
		same := u.have && p.Availability == u.presence.Availability && p.Activity == u.presence.Activity
		if same {
			p.Availability, p.Activity = u.presence.Availability, u.presence.Activity
		} else {
			p.Availability, p.Activity = intern(p.Availability, mapping.ParseAvailability), intern(p.Activity, mapping.ParseActivity)
			if !p.Availability.Known() || !p.Activity.Known() {
				if !u.have || p.Availability != u.presence.Availability || p.Activity != u.presence.Activity {
					s.log.Warn("unknown presence value from Graph, treated as PresenceUnknown", "user", u.key, "availability", string(p.Availability), "activity", string(p.Activity))
				}
			}
		}
		if u.have && p.StatusMessage == u.presence.StatusMessage {
			p.StatusMessage = u.presence.StatusMessage
		}
		if p.User == u.key {
			p.User = u.key
		}
		if !same && (!u.have || !p.Availability.Is(u.presence.Availability) || !p.Activity.Is(u.presence.Activity)) {
			u.since = now
			// With many colleagues watched, a line each would flood the
			// log: the first user's changes are logged at INFO, the rest
			// at DEBUG.
			level := slog.LevelDebug
			if u == s.users[0] {
				level = slog.LevelInfo
			}
			s.log.Log(context.Background(), level, "presence changed", "user", u.key, "availability", string(p.Availability), "activity", string(p.Activity))
		}
		if p.Time.IsZero() {
			p.Time = now
		}
		if !u.have || u.err != "" || shown(p) != shown(u.presence) {
			s.touch(u)
		}
		u.presence, u.have, u.updated, u.err, u.errKey = p, true, now, "", ""
	}
}

// lookup returns the user keyed key, or nil. It tries the few users from
// *next on first, and moves *next past the one it finds: a poll's answers
// come in the users' order, so 10,000 of them cost no hashing.
func (s *state) lookup(key string, next *int) *userState {
	for i := *next; i < len(s.users) && i < *next+4; i++ {
		if s.users[i].key == key {
			*next = i + 1
			return s.users[i]
		}
	}
	return s.byKey[key]
}

// partialFail records the colleagues a poll could not get. Each user's
// failure is logged when it changes (see failureKey), not on every poll: an
// unknown user in graph.users warns once, not every interval.
func (s *state) partialFail(now time.Time, e *partialError, c failure) {
	s.health.Err, s.health.Remedy, s.health.LastError = e.Error(), c.remedy, now
	for key, err := range e.failed {
		u := s.byKey[key]
		if u == nil {
			continue
		}
		if k := failureKey(err); k != u.errKey {
			u.errKey = k
			s.log.Warn("watched user could not be polled", "user", key, "err", err, "remedy", classify(err).remedy)
		}
		if msg := err.Error(); msg != u.err {
			u.err = msg
			s.touch(u)
		}
	}
}

// fail records a failed poll.
func (s *state) fail(now time.Time, err error, c failure) {
	prev := s.health
	s.health.LastPoll, s.health.LastError = now, now
	s.health.Err = err.Error()
	s.health.Remedy = c.remedy
	switch {
	case c.state == mapping.StateLoginRequired || c.state == mapping.StateError:
		s.health.State = c.state
	case !s.health.LastSuccess.IsZero():
		// Transient: keep the last good presence; snapshot turns it
		// stale once it is old enough.
		s.health.State = mapping.StateNormal
	default:
		s.health.State = mapping.StateError
	}
	if prev.State != s.health.State || prev.Err != s.health.Err {
		s.log.Warn("presence poll failed", "err", err, "state", s.health.State.String(), "remedy", c.remedy)
	}
}

// setOverride replaces the override; nil clears it. It reports whether
// there was one.
func (s *state) setOverride(o *output.Override) (had bool) {
	had = s.override != nil
	s.override = o
	return had
}

// pause pauses until till (zero: until resume); resume ends a pause.
func (s *state) pause(till time.Time) { s.paused, s.pauseTill = true, till }
func (s *state) resume()              { s.paused, s.pauseTill = false, time.Time{} }

// expire ends an override or a pause whose time has come. snapshot already
// leaves them out; expire makes it so for good, and logs it once.
func (s *state) expire(now time.Time) {
	if o := s.override; o != nil && !o.Until.IsZero() && !now.Before(o.Until) {
		s.log.Info("override expired", "user", o.User, "override", o.Mapping().String(), "set_until", mapping.FormatUntil(now, o.Until.Local()))
		s.override = nil
	}
	if s.paused && !s.pauseTill.IsZero() && !now.Before(s.pauseTill) {
		s.log.Info("pause ended")
		s.resume()
	}
}

// working reports whether now is inside the schedule's working hours.
func (s *state) working(now time.Time) bool { return s.schedule.Working(now) }

// snapshot returns what the outputs show at now, and next: the earliest
// time it changes without a poll or a command (an override or pause ends,
// a user turns stale), zero when nothing is pending. It changes nothing.
func (s *state) snapshot(now time.Time) (snap *output.Snapshot, next time.Time) {
	snap, next, _ = s.build(now)
	return snap, next
}

// viewKey returns the key of views built at now.
func (s *state) viewKey(now time.Time) viewKey {
	k := viewKey{working: s.working(now), health: s.health.State, lastError: !s.health.LastError.IsZero(),
		override: s.override, paused: s.paused, pauseTill: s.pauseTill,
		nrule: len(s.rules), stale: s.stale, notice: s.notice, err: s.health.Err, remedy: s.health.Remedy}
	if len(s.rules) > 0 {
		k.rules = &s.rules[0]
	}
	if o := s.override; o != nil && !o.Until.IsZero() && !now.Before(o.Until) {
		k.overrideEnd = true
	}
	if k.paused && !k.pauseTill.IsZero() && !now.Before(k.pauseTill) {
		k.paused, k.pauseTill = false, time.Time{}
	}
	return k
}

// quiet reports whether a snapshot at now would show what the remembered
// one shows, without building it: nothing changed since remember, and due
// (the remembered snapshot's next) has not come.
func (s *state) quiet(now time.Time, due time.Time) bool {
	return s.views != nil && len(s.cal) == 0 && s.dirty == 0 && (due.IsZero() || now.Before(due)) && s.viewKey(now) == s.key
}

// due returns what snapshot(now) returns as next, without building the
// snapshot: after a poll that changed nothing the users' stale deadlines
// moved on, and the loop need not wake at the old ones.
func (s *state) due(now time.Time) (next time.Time) {
	later := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if s.override != nil {
		later(s.override.Until)
	}
	if s.paused {
		later(s.pauseTill)
	}
	for _, u := range s.users {
		if u.have {
			later(u.updated.Add(s.stale + time.Nanosecond))
		}
	}
	return next
}

// build is snapshot, and reports whether any user's view differs from the
// remembered one. Views of users whose fields did not change are taken from
// the remembered snapshot when nothing they all depend on changed either.
func (s *state) build(now time.Time) (snap *output.Snapshot, next time.Time, changed bool) {
	override, paused, pauseTill := s.override, s.paused, s.pauseTill
	if o := override; o != nil && !o.Until.IsZero() && !now.Before(o.Until) {
		override = nil
	}
	if paused && !pauseTill.IsZero() && !now.Before(pauseTill) {
		paused, pauseTill = false, time.Time{}
	}
	snap = &output.Snapshot{Time: now, Health: s.health, Paused: paused, PausedUntil: pauseTill}
	later := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if override != nil {
		o := *override
		snap.Override = &o
		later(o.Until)
	}
	later(pauseTill)
	working := s.working(now)
	key := s.viewKey(now)
	// Calendar fields change with the clock (calendarView), not with a
	// poll: with a calendar every view is built.
	reuse := s.views != nil && len(s.cal) == 0 && key == s.key && len(s.views) == len(s.users)
	changed = !reuse
	snap.Users = make([]output.UserView, len(s.users))
	for i, u := range s.users {
		old := u.have && now.Sub(u.updated) > s.stale
		if u.have {
			later(u.updated.Add(s.stale + time.Nanosecond))
		}
		if reuse && !u.dirty && old == u.old {
			snap.Users[i] = s.views[i]
			continue
		}
		// The view holds what outputs show: the observation time and
		// sequence number of the presence change with every poll and
		// are left out, so that two views compare equal unless
		// something shown changed (Since says when presence did).
		v := output.UserView{Key: u.key, Name: u.name, Presence: shown(u.presence), Since: u.since, Err: u.err}
		s.calendarView(now, &v, later)
		switch {
		case !working:
			v.State = mapping.StateOffHours
		case s.health.State == mapping.StateLoginRequired:
			v.State = mapping.StateLoginRequired
		case u.err != "" && (!u.have || old):
			v.State = mapping.StateError
		case s.health.State == mapping.StateError && (!u.have || old):
			v.State = mapping.StateError
		case old:
			v.State = mapping.StateStale
		case !u.have && !s.health.LastError.IsZero():
			v.State = mapping.StateError
		}
		v.Signal, v.Busy = snap.Shown(v, s.rules)
		snap.Users[i] = v
		if reuse && v != s.views[i] {
			changed = true
		}
	}
	if snap.Health.State == mapping.StateNormal && len(snap.Users) > 0 && snap.Users[0].State == mapping.StateStale {
		snap.Health.State = mapping.StateStale
		snap.Health.Remedy = "presence has not been refreshed for " + mapping.FormatDuration(s.stale) + "; check the network and `onair status`"
	}
	s.withNotice(snap)
	return snap, next, changed
}

// forget drops the remembered views: the users or their calendar changed
// (reconfigure, setUsers, setCalendar), so the next snapshot builds every
// view.
func (s *state) forget() { s.views = nil }

// remember makes snap, built by build at now, the snapshot later ones
// reuse views from.
func (s *state) remember(now time.Time, snap *output.Snapshot) {
	s.views, s.key, s.dirty = snap.Users, s.viewKey(now), 0
	for _, u := range s.users {
		u.dirty = false
		u.old = u.have && now.Sub(u.updated) > s.stale
	}
}

// sameShown reports whether a and b show the same on every output. Views
// are compared with ==, so a field added to UserView is compared too; of
// Health only the condition counts, not the poll times; an override is the
// same one when its fields are equal (its colour is shared, not copied,
// between the snapshots of one override).
func sameShown(a, b *output.Snapshot) bool {
	return slices.Equal(a.Users, b.Users) && sameGlobal(a, b)
}

// sameGlobal is sameShown without the users: the override, the pause and
// the health condition.
func sameGlobal(a, b *output.Snapshot) bool {
	if (a.Override == nil) != (b.Override == nil) || (a.Override != nil && *a.Override != *b.Override) {
		return false
	}
	return a.Paused == b.Paused && a.PausedUntil.Equal(b.PausedUntil) &&
		a.Health.State == b.Health.State && a.Health.Err == b.Health.Err && a.Health.Remedy == b.Health.Remedy &&
		slices.Equal(a.Conditions, b.Conditions)
}
