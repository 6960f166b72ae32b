package daemon

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// scriptSource is a presence source whose answers the test sets; it records
// when it was polled.
type scriptSource struct {
	mu    sync.Mutex
	ps    []mapping.Presence
	err   error
	errs  []error // consumed first, one per poll
	polls []time.Time
}

func (s *scriptSource) Poll(ctx context.Context) ([]mapping.Presence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls = append(s.polls, time.Now())
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		if err != nil {
			return nil, err
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	out := make([]mapping.Presence, len(s.ps))
	copy(out, s.ps)
	return out, nil
}

func (s *scriptSource) set(avail mapping.Availability, act mapping.Activity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ps = []mapping.Presence{{User: config.Me, Availability: avail, Activity: act}}
	s.err = nil
}

func (s *scriptSource) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *scriptSource) pollTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.polls...)
}

// recorder is an output that keeps every snapshot it is handed, and notes
// when its exit action ran.
type recorder struct {
	mu     sync.Mutex
	snaps  []*output.Snapshot
	exited time.Time
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) Status() []output.Status {
	return []output.Status{{Name: "recorder", Kind: "recorder", State: "running"}}
}

func (r *recorder) Run(ctx context.Context, mb *output.Mailbox) error {
	for {
		select {
		case <-ctx.Done():
			r.mu.Lock()
			r.exited = time.Now()
			r.mu.Unlock()
			return nil
		case s := <-mb.C():
			r.mu.Lock()
			r.snaps = append(r.snaps, s)
			r.mu.Unlock()
		}
	}
}

func (r *recorder) last() *output.Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.snaps) == 0 {
		return nil
	}
	return r.snaps[len(r.snaps)-1]
}

func (r *recorder) signal() mapping.Signal {
	s := r.last()
	if s == nil {
		return mapping.Signal{}
	}
	return s.Users[0].Signal
}

// start runs a daemon with src and a recorder inside the current synctest
// bubble; the returned stop cancels it and waits for Run to return.
func start(t *testing.T, cfg string, src presenceSource) (*Daemon, *recorder, func()) {
	t.Helper()
	c, err := config.Parse([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	d, err := New(Options{Config: c, NoControl: true, NoLights: true, source: src, outputs: []output.Output{rec}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return d, rec, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestFirstPollAtOnceAndChangeWithinInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{}
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		t0 := time.Now()
		_, rec, stop := start(t, "version: 1\n", src)
		defer stop()
		synctest.Wait()
		if p := src.pollTimes(); len(p) != 1 || !p[0].Equal(t0) {
			t.Fatalf("polls at start = %v, want one at once", p)
		}
		if got := rec.signal(); got.Color != mapping.Green || got.Rule != "available" {
			t.Fatalf("first signal = %+v, want green from rule available", got)
		}

		src.set(mapping.AvailabilityBusy, mapping.ActivityInAMeeting)
		time.Sleep(config.DefaultInterval + config.DefaultInterval/10) // one interval plus the largest jitter
		synctest.Wait()
		if got := rec.signal(); got.Color != mapping.Red || got.Rule != "in-a-meeting" {
			t.Fatalf("signal after change = %+v, want red from in-a-meeting", got)
		}
		if n := len(src.pollTimes()); n != 2 {
			t.Errorf("polls = %d, want 2", n)
		}
	})
}

func TestRetryAfterHonouredExactly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{errs: []error{&graph.ThrottledError{RetryAfter: 7 * time.Second, Status: 429, Err: &graph.APIError{Op: "get presence of me", Status: 429, Code: "TooManyRequests"}}}}
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		t0 := time.Now()
		_, _, stop := start(t, "version: 1\ngraph:\n  interval: 2s\n", src)
		defer stop()
		time.Sleep(7*time.Second - time.Millisecond)
		synctest.Wait()
		if n := len(src.pollTimes()); n != 1 {
			t.Fatalf("%d polls before Retry-After ran out, want 1", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		p := src.pollTimes()
		if len(p) != 2 || p[1].Sub(t0) != 7*time.Second {
			t.Fatalf("second poll at %v, want exactly 7s after the 429", p[len(p)-1].Sub(t0))
		}
	})
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{}
		src.fail(&graph.TransientError{Status: 502, Err: errors.New("bad gateway")})
		_, _, stop := start(t, "version: 1\n", src)
		defer stop()
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		p := src.pollTimes()
		var gaps []time.Duration
		for i := 1; i < len(p); i++ {
			gaps = append(gaps, p[i].Sub(p[i-1]))
		}
		if len(gaps) < 6 {
			t.Fatalf("only %d polls in 30 minutes", len(p))
		}
		for i, g := range gaps {
			if g < 9*time.Second {
				t.Errorf("gap %d = %v: shorter than the interval, a tight loop", i, g)
			}
			if g > maxBackoff+maxBackoff/10 {
				t.Errorf("gap %d = %v exceeds the cap %v", i, g, maxBackoff)
			}
		}
		if gaps[3] < 2*gaps[0] {
			t.Errorf("backoff does not grow: %v", gaps)
		}
		if last := gaps[len(gaps)-1]; last < maxBackoff*9/10 {
			t.Errorf("backoff did not reach the cap after 30 minutes: %v", gaps)
		}
	})
}

func TestStaleAfterPresenceStopsRefreshing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{}
		src.set(mapping.AvailabilityBusy, mapping.ActivityInACall)
		_, rec, stop := start(t, "version: 1\n", src)
		defer stop()
		synctest.Wait()
		src.fail(&graph.TransientError{Err: errors.New("connection refused")})
		// Transient failures keep the last presence until max(3×10s, 60s).
		time.Sleep(59 * time.Second)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "in-a-call" {
			t.Fatalf("signal after 59s of failures = %q, want the last presence kept", got.Rule)
		}
		time.Sleep(3 * time.Second)
		synctest.Wait()
		s := rec.last()
		if got := s.Users[0].Signal; got.Rule != "stale" || got.Effect != mapping.Pulse {
			t.Fatalf("signal after 62s of failures = %+v, want stale pulse", got)
		}
		if s.Health.State != mapping.StateStale {
			t.Errorf("health = %q, want stale", s.Health.State)
		}
		// Recovery.
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		time.Sleep(maxBackoff + time.Minute)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "available" {
			t.Errorf("signal after recovery = %q, want available", got.Rule)
		}
	})
}

func TestLoginRequiredIsAStateAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{}
		src.fail(auth.ErrLoginRequired)
		d, rec, stop := start(t, "version: 1\n", src)
		defer stop()
		synctest.Wait()
		s := rec.last()
		if got := s.Users[0].Signal; got.Rule != "login-required" || got.Color != mapping.Blue || got.Effect != mapping.Blink {
			t.Fatalf("signal = %+v, want blue blink login-required", got)
		}
		if s.Health.Remedy == "" || !strings.Contains(s.Health.Remedy, "onair login") {
			t.Errorf("remedy = %q, want it to say `onair login`", s.Health.Remedy)
		}
		// The retry cadence while signed out stays bounded: at most once a
		// minute after backing off.
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		p := src.pollTimes()
		if gap := p[len(p)-1].Sub(p[len(p)-2]); gap > time.Minute+6*time.Second {
			t.Errorf("retry gap while signed out = %v, want at most a minute", gap)
		}
		// `onair login` succeeds and pokes the daemon.
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		d.PollNow()
		synctest.Wait()
		if got := rec.signal(); got.Rule != "available" {
			t.Fatalf("after login, signal = %q, want available", got.Rule)
		}
	})
}

func TestOverrideAndPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{}
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		d, rec, stop := start(t, "version: 1\n", src)
		defer stop()
		synctest.Wait()

		o, dur, err := ParseOverride(OverrideRequest{Status: "dnd", For: "30m"})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.SetOverride(o, dur); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := rec.signal(); got.Color != mapping.Purple || got.Rule != "override(do-not-disturb)" {
			t.Fatalf("override signal = %+v", got)
		}
		time.Sleep(30*time.Minute + time.Second)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "available" {
			t.Fatalf("after expiry signal = %q, want available", got.Rule)
		}

		red := mapping.Red
		if err := d.SetOverride(output.Override{Color: &red, Effect: mapping.Blink, Label: "Recording"}, 0); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := rec.signal(); got.Color != mapping.Red || got.Effect != mapping.Blink || got.Label != "Recording" {
			t.Fatalf("colour override = %+v", got)
		}
		d.Pause(time.Hour)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "paused" || got.Effect != mapping.Off {
			t.Fatalf("paused signal = %+v", got)
		}
		d.Resume()
		synctest.Wait()
		if got := rec.signal(); got.Rule != "override" {
			t.Fatalf("after resume = %q, want the override back", got.Rule)
		}
		if !d.ClearOverride() {
			t.Error("ClearOverride reported no override")
		}
		synctest.Wait()
		if got := rec.signal(); got.Rule != "available" {
			t.Fatalf("after clear = %q", got.Rule)
		}
		if err := d.SetOverride(output.Override{User: "nobody@example.com", Availability: mapping.AvailabilityBusy}, 0); err == nil {
			t.Error("override for an unwatched user accepted")
		}
	})
}

func TestOffHours(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock starts at 2000-01-01 00:00 UTC, a Saturday.
		src := &scriptSource{}
		src.set(mapping.AvailabilityBusy, mapping.ActivityInAMeeting)
		_, rec, stop := start(t, "version: 1\nschedule:\n  days: mon-fri\n  from: '08:00'\n  to: '18:00'\n  time_zone: UTC\n", src)
		defer stop()
		synctest.Wait()
		if got := rec.signal(); got.Rule != "off-hours" || got.Effect != mapping.Off {
			t.Fatalf("Saturday signal = %+v, want off-hours", got)
		}
		time.Sleep(48*time.Hour + 8*time.Hour + time.Second) // Monday 08:00:01
		synctest.Wait()
		if got := rec.signal(); got.Rule != "in-a-meeting" {
			t.Fatalf("Monday 08:00 signal = %q, want in-a-meeting", got.Rule)
		}
	})
}

func TestShutdownRunsExitActionsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{}
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		_, rec, stop := start(t, "version: 1\n", src)
		synctest.Wait()
		t0 := time.Now()
		stop()
		if rec.exited.IsZero() || rec.exited.Sub(t0) > output.ExitTimeout {
			t.Fatalf("exit action ran at %v after stop, want within %v", rec.exited.Sub(t0), output.ExitTimeout)
		}
	})
}

func TestOutOfOrderSequenceDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{ps: []mapping.Presence{{User: config.Me, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy, Sequence: "0000000002"}}}
		_, rec, stop := start(t, "version: 1\n", src)
		defer stop()
		synctest.Wait()
		src.mu.Lock()
		src.ps = []mapping.Presence{{User: config.Me, Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityAvailable, Sequence: "0000000001"}}
		src.mu.Unlock()
		time.Sleep(12 * time.Second)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "in-a-meeting" {
			t.Fatalf("older sequence applied: signal %q", got.Rule)
		}
		// Still older on the next polls: Graph restarted its numbering.
		// Follow it after maxSequenceDrops rather than freeze.
		time.Sleep(time.Duration(maxSequenceDrops) * 12 * time.Second)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "available" {
			t.Fatalf("after %d older responses in a row: signal %q, want the new numbering followed", maxSequenceDrops, got.Rule)
		}
	})
}

func presenceOf(user, activity string) mapping.Presence {
	a, _ := mapping.ParseActivity(activity)
	avail := mapping.AvailabilityAvailable
	if a == mapping.ActivityInAMeeting {
		avail = mapping.AvailabilityBusy
	}
	return mapping.Presence{User: user, Availability: avail, Activity: a}
}

func TestSleptFor(t *testing.T) {
	tests := []struct {
		wall, mono, want time.Duration
	}{
		{time.Second, time.Second, 0},                           // awake
		{time.Second + 4*time.Second, time.Second, 0},           // NTP step, not a sleep
		{2 * time.Hour, time.Second, 2*time.Hour - time.Second}, // suspended for two hours
		{-time.Hour, time.Second, 0},                            // clock set back
	}
	for _, tt := range tests {
		if got := sleptFor(tt.wall, tt.mono); got != tt.want {
			t.Errorf("sleptFor(%v, %v) = %v, want %v", tt.wall, tt.mono, got, tt.want)
		}
	}
}

func TestResumeResendsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{}
		src.set(mapping.AvailabilityBusy, mapping.ActivityInAMeeting)
		d, rec, stop := start(t, "version: 1\n", src)
		defer stop()
		synctest.Wait()
		n := len(rec.snaps)
		// Unchanged presence: nothing is published on the next ticks...
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if len(rec.snaps) != n {
			t.Fatalf("%d snapshots published without a change", len(rec.snaps)-n)
		}
		// ...until the machine wakes up: then the same signal again, as a
		// resend.
		d.resumed()
		time.Sleep(time.Second)
		synctest.Wait()
		s := rec.last()
		if len(rec.snaps) != n+1 || !s.Resend || s.Users[0].Signal.Rule != "in-a-meeting" {
			t.Fatalf("after resume: %d new snapshots, last %+v; want one resend", len(rec.snaps)-n, s)
		}
	})
}

// hangingSource answers the first poll, then blocks every later one until
// release is closed (or the poll's context ends), like a Graph request that
// waits for its timeout.
type hangingSource struct {
	scriptSource
	release chan struct{}
	calls   atomic.Int32
}

func (h *hangingSource) Poll(ctx context.Context) ([]mapping.Presence, error) {
	if h.calls.Add(1) > 1 {
		select {
		case <-h.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return h.scriptSource.Poll(ctx)
}

func TestSlowPollDoesNotDelayCommands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &hangingSource{release: make(chan struct{})}
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		d, rec, stop := start(t, "version: 1\n", src)
		defer stop()
		synctest.Wait()
		time.Sleep(config.DefaultInterval + config.DefaultInterval/10) // the second poll is now hanging
		synctest.Wait()
		if n := src.calls.Load(); n != 2 {
			t.Fatalf("polls = %d, want the second one in flight", n)
		}
		red := mapping.Red
		if err := d.SetOverride(output.Override{Color: &red}, 0); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := rec.signal(); got.Rule != "override" {
			t.Fatalf("signal while a poll hangs = %q, want the override at once", got.Rule)
		}
		d.Pause(0)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "paused" {
			t.Fatalf("signal while a poll hangs = %q, want paused at once", got.Rule)
		}
		// A poll asked for while one is in flight follows right after it.
		d.PollNow()
		close(src.release)
		synctest.Wait()
		if n := src.calls.Load(); n != 3 {
			t.Errorf("polls after release = %d, want 3 (the queued one ran at once)", n)
		}
	})
}

func TestStatusDoesNotSwallowAnExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scriptSource{}
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		d, rec, stop := start(t, "version: 1\ngraph:\n  interval: 5m\n", src)
		defer stop()
		synctest.Wait()
		if err := d.SetOverride(output.Override{Availability: mapping.AvailabilityBusy}, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		time.Sleep(30*time.Second + 500*time.Millisecond)
		if st := d.Status(t.Context()); st.Override != nil {
			t.Errorf("status shows an expired override: %+v", st.Override)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "available" {
			t.Fatalf("signal a second after expiry (status asked in between) = %q, want available", got.Rule)
		}
	})
}

func TestDemoPlaysEveryWatchedUser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := config.Parse([]byte("version: 1\ngraph:\n  users: [lee@contoso.com]\nlights:\n  - user: lee@contoso.com\n"))
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		d, err := New(Options{Config: c, Demo: true, NoControl: true, NoLights: true, outputs: []output.Output{rec}})
		if err != nil {
			t.Fatalf("a config with a colleague's light in demo mode: %v", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		seen := map[string]map[string]bool{config.Me: {}, "lee@contoso.com": {}}
		for range 20 {
			time.Sleep(time.Second)
			synctest.Wait()
			for _, u := range rec.last().Users {
				seen[u.Key][u.Signal.Rule] = true
			}
		}
		for user, rules := range seen {
			if len(rules) < 3 {
				t.Errorf("%s showed %d different rules in 20 s of demo, want at least 3: %v", user, len(rules), rules)
			}
		}
		s := rec.last()
		if s.Users[0].Presence.Activity == s.Users[1].Presence.Activity {
			t.Errorf("colleague plays the same step as me: %s", s.Users[0].Presence.Activity)
		}
	})
}

// TestIdleLoopWakesForPollsOnly: with nothing changing, the loop wakes for
// its polls (the timer, then the answer) and for nothing else: no tick.
// With a schedule it also wakes once a minute for the working-hours edge.
func TestIdleLoopWakesForPollsOnly(t *testing.T) {
	for _, tc := range []struct {
		name, cfg   string
		extraPerMin int
	}{
		{"no schedule", "version: 1\n", 0},
		{"schedule", "version: 1\nschedule: {days: mon-sun, from: \"00:00\", to: \"23:59\", time_zone: UTC}\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := &scriptSource{}
				src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
				d, rec, stop := start(t, tc.cfg, src)
				defer stop()
				synctest.Wait()
				counts := func() (int, int) {
					src.mu.Lock()
					defer src.mu.Unlock()
					rec.mu.Lock()
					defer rec.mu.Unlock()
					return len(src.polls), len(rec.snaps)
				}
				p0, s0 := counts()
				w0 := d.wakes.Load()
				time.Sleep(10 * time.Minute)
				synctest.Wait()
				p1, s1 := counts()
				wakes, polls := d.wakes.Load()-w0, p1-p0
				if polls < 50 {
					t.Fatalf("%d polls in 10 minutes at a 10 s interval", polls)
				}
				if max := int64(2*polls + 10*tc.extraPerMin + 1); wakes > max {
					t.Errorf("%d wake-ups for %d polls in 10 minutes, want ≤ %d", wakes, polls, max)
				}
				if n := s1 - s0; n != 0 {
					t.Errorf("%d snapshots published while nothing changed", n)
				}
				t.Logf("%d wake-ups in 600 s (%.2f/s) for %d polls", wakes, float64(wakes)/600, polls)
			})
		})
	}
}
