package daemon

import (
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// t0 is a Monday, 10:00 UTC: inside any mon-fri office hours.
var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// act is one thing that happens to the state at t0+at.
type act struct {
	at time.Duration
	do func(s *state, now time.Time)
}

func polled(ps ...mapping.Presence) func(*state, time.Time) {
	return func(s *state, now time.Time) { s.apply(now, ps) }
}

func failed(err error) func(*state, time.Time) {
	return func(s *state, now time.Time) { s.fail(now, err, classify(err)) }
}

func partly(failedUser string, ps ...mapping.Presence) func(*state, time.Time) {
	return func(s *state, now time.Time) {
		e := &partialError{failed: map[string]error{failedUser: errors.New("timeout")}}
		s.apply(now, ps)
		s.partialFail(now, e, classify(e))
	}
}

func overridden(o output.Override, d time.Duration) func(*state, time.Time) {
	return func(s *state, now time.Time) {
		o.Until = now.Add(d)
		s.setOverride(&o)
	}
}

func paused(d time.Duration) func(*state, time.Time) {
	return func(s *state, now time.Time) { s.pause(now.Add(d)) }
}

func expired() func(*state, time.Time) { return (*state).expire }

func seq(p mapping.Presence, n string) mapping.Presence { p.Sequence = n; return p }

const bob = "bob@example.com"

// TestStateTable drives the state with polls, failures and commands at
// made-up times and checks the snapshot: no loop, no goroutine, no clock.
func TestStateTable(t *testing.T) {
	busy := presenceOf(config.Me, "InAMeeting")
	free := presenceOf(config.Me, "Available")
	bobBusy := presenceOf(bob, "InAMeeting")
	tests := []struct {
		name   string
		sched  string // schedule section, "" for none
		acts   []act
		at     time.Duration // when the snapshot is taken
		health mapping.State
		states []mapping.State // me, bob
		rules  []string        // the signal's rule for me, bob
		next   time.Duration   // 0: nothing pending
		hasErr bool            // Health.Err set
	}{
		{
			name: "before the first poll", at: 0,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"offline", "offline"},
		},
		{
			name: "polled", acts: []act{{0, polled(busy, bobBusy)}}, at: 10 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"in-a-meeting", "in-a-meeting"}, next: time.Minute + time.Nanosecond,
		},
		{
			name: "stale after a minute without a refresh", acts: []act{{0, polled(busy, bobBusy)}}, at: 61 * time.Second,
			health: mapping.StateStale, states: []mapping.State{mapping.StateStale, mapping.StateStale},
			rules: []string{"stale", "stale"},
		},
		{
			name: "a transient failure keeps the last presence", acts: []act{{0, polled(busy, bobBusy)}, {30 * time.Second, failed(errors.New("connection reset"))}}, at: 40 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"in-a-meeting", "in-a-meeting"}, next: time.Minute + time.Nanosecond, hasErr: true,
		},
		{
			name: "a failure before any success is an error", acts: []act{{0, failed(errors.New("no route to host"))}}, at: time.Second,
			health: mapping.StateError, states: []mapping.State{mapping.StateError, mapping.StateError},
			rules: []string{"error", "error"}, hasErr: true,
		},
		{
			name: "login required", acts: []act{{0, polled(busy, bobBusy)}, {10 * time.Second, failed(auth.ErrLoginRequired)}}, at: 11 * time.Second,
			health: mapping.StateLoginRequired, states: []mapping.State{mapping.StateLoginRequired, mapping.StateLoginRequired},
			rules: []string{"login-required", "login-required"}, next: time.Minute + time.Nanosecond, hasErr: true,
		},
		{
			name: "a colleague never polled is an error, me is fine", acts: []act{{0, partly(bob, busy)}}, at: time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateError},
			rules: []string{"in-a-meeting", "error"}, next: time.Minute + time.Nanosecond, hasErr: true,
		},
		{
			name: "a colleague keeps the last presence until stale", acts: []act{{0, polled(busy, bobBusy)}, {50 * time.Second, partly(bob, busy)}}, at: 55 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"in-a-meeting", "in-a-meeting"}, next: time.Minute + time.Nanosecond, hasErr: true,
		},
		{
			name: "then turns to an error", acts: []act{{0, polled(busy, bobBusy)}, {50 * time.Second, partly(bob, busy)}}, at: 61 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateError},
			rules: []string{"in-a-meeting", "error"}, next: 110*time.Second + time.Nanosecond, hasErr: true,
		},
		{
			name: "override in force", acts: []act{{0, polled(free, bobBusy)}, {0, overridden(output.Override{User: config.Me, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy}, 5*time.Minute)}}, at: 30 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"override(in-a-meeting)", "in-a-meeting"}, next: time.Minute + time.Nanosecond,
		},
		{
			name: "override over: snapshot leaves it out", acts: []act{{0, overridden(output.Override{User: config.Me, Availability: mapping.AvailabilityBusy}, 5*time.Second)}, {10 * time.Second, polled(free, bobBusy)}}, at: 10 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"available", "in-a-meeting"}, next: 70*time.Second + time.Nanosecond,
		},
		{
			name: "paused", acts: []act{{0, polled(busy, bobBusy)}, {0, paused(20 * time.Second)}}, at: 10 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"paused", "paused"}, next: 20 * time.Second,
		},
		{
			name: "pause over", acts: []act{{0, polled(busy, bobBusy)}, {0, paused(20 * time.Second)}, {30 * time.Second, expired()}}, at: 30 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"in-a-meeting", "in-a-meeting"}, next: time.Minute + time.Nanosecond,
		},
		{
			name: "an older sequence number is dropped", acts: []act{{0, polled(seq(busy, "2"), bobBusy)}, {10 * time.Second, polled(seq(free, "1"), bobBusy)}}, at: 10 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"in-a-meeting", "in-a-meeting"}, next: time.Minute + time.Nanosecond,
		},
		{
			name: "three in a row are followed", acts: []act{
				{0, polled(seq(busy, "5"), bobBusy)}, {10 * time.Second, polled(seq(free, "1"), bobBusy)},
				{20 * time.Second, polled(seq(free, "2"), bobBusy)}, {30 * time.Second, polled(seq(free, "3"), bobBusy)},
			}, at: 30 * time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateNormal, mapping.StateNormal},
			rules: []string{"available", "in-a-meeting"}, next: 90*time.Second + time.Nanosecond,
		},
		{
			name: "off hours", sched: "schedule: {days: sat-sun, from: \"09:00\", to: \"17:00\", time_zone: UTC}\n",
			acts: []act{{0, polled(busy, bobBusy)}}, at: time.Second,
			health: mapping.StateNormal, states: []mapping.State{mapping.StateOffHours, mapping.StateOffHours},
			rules: []string{"off-hours", "off-hours"}, next: time.Minute + time.Nanosecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testState(t, tt.sched)
			for _, a := range tt.acts {
				a.do(s, t0.Add(a.at))
			}
			before := *s
			snap, next := s.snapshot(t0.Add(tt.at))
			if s.override != before.override || s.paused != before.paused || s.health != before.health {
				t.Error("snapshot changed the state")
			}
			if snap.Health.State != tt.health {
				t.Errorf("health = %s, want %s", snap.Health.State, tt.health)
			}
			if (snap.Health.Err != "") != tt.hasErr {
				t.Errorf("health error = %q, want one: %v", snap.Health.Err, tt.hasErr)
			}
			for i, u := range snap.Users {
				if u.State != tt.states[i] || u.Signal.Rule != tt.rules[i] {
					t.Errorf("%s: state %s rule %s, want %s %s", u.Key, u.State, u.Signal.Rule, tt.states[i], tt.rules[i])
				}
			}
			want := time.Time{}
			if tt.next != 0 {
				want = t0.Add(tt.next)
			}
			if !next.Equal(want) {
				t.Errorf("next due = %v, want %v", next.Sub(t0), tt.next)
			}
		})
	}
}

// TestSameShownComparesWhatOutputsShow: polls that bring the same presence
// (with a new observation time and sequence number) change nothing shown;
// a change of presence, of a user's error or of the pause does.
func TestSameShownComparesWhatOutputsShow(t *testing.T) {
	s := testState(t, "")
	busy := presenceOf(config.Me, "InAMeeting")
	s.apply(t0, []mapping.Presence{seq(busy, "1")})
	a, _ := s.snapshot(t0)
	s.apply(t0.Add(10*time.Second), []mapping.Presence{seq(busy, "2")})
	b, _ := s.snapshot(t0.Add(10 * time.Second))
	if !sameShown(a, b) {
		t.Errorf("a poll with the same presence changed the view:\n%+v\n%+v", a.Users[0], b.Users[0])
	}
	if len(output.Changed(a, b)) != 0 {
		t.Errorf("output.Changed reports %v for the same presence", output.Changed(a, b))
	}
	changes := map[string]func(*state, time.Time){
		"presence": polled(presenceOf(config.Me, "Available")),
		"user error": func(s *state, now time.Time) {
			e := &partialError{failed: map[string]error{bob: errors.New("timeout")}}
			s.partialFail(now, e, classify(e))
		},
		"pause": paused(time.Hour),
	}
	for name, change := range changes {
		c := testState(t, "")
		c.apply(t0, []mapping.Presence{seq(busy, "1")})
		before, _ := c.snapshot(t0)
		change(c, t0.Add(time.Second))
		after, _ := c.snapshot(t0.Add(time.Second))
		if sameShown(before, after) {
			t.Errorf("%s: sameShown says nothing changed", name)
		}
	}
}

func testState(t *testing.T, sched string) *state {
	t.Helper()
	c, err := config.Parse([]byte("version: 1\ngraph:\n  users: [" + bob + "]\n" + sched))
	if err != nil {
		t.Fatal(err)
	}
	set, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return newState(set.Users, set.Rules, set.Schedule, set.Interval, slog.New(slog.DiscardHandler))
}

// TestIncrementalSnapshots: a poll that brings the same presence leaves the
// state quiet (no snapshot needed); a change to one user rebuilds that
// user's view and takes the others from the remembered snapshot; a user
// turning stale, a pause and an override are noticed without a poll.
func TestIncrementalSnapshots(t *testing.T) {
	s := testState(t, "")
	busy, bobBusy := presenceOf(config.Me, "InAMeeting"), presenceOf(bob, "InAMeeting")
	s.apply(t0, []mapping.Presence{seq(busy, "1"), seq(bobBusy, "1")})
	if s.quiet(t0, time.Time{}) {
		t.Fatal("quiet before any snapshot")
	}
	first, due, changed := s.build(t0)
	if !changed {
		t.Error("first build reports no change")
	}
	s.remember(t0, first)

	at := t0.Add(10 * time.Second)
	s.apply(at, []mapping.Presence{seq(busy, "2"), seq(bobBusy, "2")})
	if !s.quiet(at, due) {
		t.Error("a poll with the same presence is not quiet")
	}
	if next := s.due(at); !next.Equal(at.Add(s.stale + time.Nanosecond)) {
		t.Errorf("due after the poll = %v, want the stale deadline moved on", next.Sub(t0))
	}

	at = at.Add(10 * time.Second)
	s.apply(at, []mapping.Presence{seq(busy, "3"), seq(presenceOf(bob, "Available"), "3")})
	if s.quiet(at, due) {
		t.Error("a change is quiet")
	}
	snap, _, changed := s.build(at)
	if !changed || snap.Users[0] != first.Users[0] || snap.Users[1].Signal.Rule != "available" {
		t.Errorf("after bob's change: changed %v, me %+v (want as before), bob rule %q", changed, snap.Users[0], snap.Users[1].Signal.Rule)
	}
	fresh := *s
	fresh.views = nil
	full, _, _ := fresh.build(at)
	if !sameShown(full, snap) {
		t.Errorf("incremental snapshot differs from a full one:\n%+v\n%+v", snap.Users, full.Users)
	}
	s.remember(at, snap)

	// Stale: nobody polled for longer than the stale time.
	late := at.Add(s.stale + time.Second)
	if s.quiet(late, s.due(at)) {
		t.Error("quiet past the stale deadline")
	}
	stale, _, changed := s.build(late)
	if !changed || stale.Users[1].State != mapping.StateStale {
		t.Errorf("past the stale deadline: changed %v, bob %s", changed, stale.Users[1].State)
	}
	s.remember(late, stale)
	s.pause(time.Time{})
	if s.quiet(late, time.Time{}) {
		t.Error("quiet after a pause")
	}
	paused, _, _ := s.build(late)
	if paused.Users[0].Signal.Rule != "paused" {
		t.Errorf("paused: rule %q", paused.Users[0].Signal.Rule)
	}
}

// The users of an answer are found in any order: in the watched order
// (every poll) by position, in another or with someone left out through
// the map.
func TestApplyFindsUsersInAnyOrder(t *testing.T) {
	set, err := usersConfig(t, 7).Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range [][]int{
		{0, 1, 2, 3, 4, 5, 6}, // me first, then graph.users
		{6, 5, 4, 3, 2, 1, 0},
		{0, 6, 1},    // most left out, one far ahead
		{3, 0, 2, 1}, // behind the last found
	} {
		s := newState(set.Users, set.Rules, set.Schedule, set.Interval, slog.New(slog.DiscardHandler))
		var ps []mapping.Presence
		for _, i := range order {
			ps = append(ps, seq(presenceOf(s.users[i].key, "InAMeeting"), "1"))
		}
		s.apply(t0, ps)
		for i, u := range s.users {
			want := slices.Contains(order, i)
			if u.have != want || (want && u.presence.Activity != mapping.ActivityInAMeeting) {
				t.Errorf("order %v: user %d (%s) have %v %+v, want have %v", order, i, u.key, u.have, u.presence, want)
			}
		}
	}
}
