package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onair-dev/onair/daemon/backoff"
	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/daemon/output/lights"
	"github.com/onair-dev/onair/mapping"
)

// Options configures a Daemon. Config is required; everything else has a
// usable zero value.
type Options struct {
	// Config is the loaded config; DefaultConfig when there is no file.
	Config *config.Config
	// Paths locate the token cache and control socket.
	Paths config.Paths
	// Demo plays a scripted working day instead of polling Graph: no
	// account, no network.
	Demo bool
	// Logger receives the daemon's logs. Default: discard.
	Logger *slog.Logger
	// Terminal, when non-nil, gets the terminal light: one line per change.
	Terminal io.Writer
	// TerminalColor draws a coloured swatch (the writer is a terminal).
	TerminalColor bool
	// HTTPClient is used for sign-in and Graph. Default: a client with
	// sensible timeouts.
	HTTPClient *http.Client
	// NoControl skips the local control API (tests, one-shot runs).
	NoControl bool
	// NoLights skips USB lights.
	NoLights bool
	// Version is reported in status and MQTT discovery.
	Version string

	// source replaces the presence source (tests).
	source presenceSource
	// outputs are extra outputs (tests).
	outputs []output.Output
	// lights replaces the USB backend of the lights output (tests).
	lights lights.Backend
	// lightsOpts adjusts the lights output's options (tests: a hot-plug
	// watcher to go with the test backend).
	lightsOpts func(*lights.Options)
	// calendar replaces the free/busy source (tests).
	calendar scheduleSource
}

// presenceSource yields the current presence of every watched user.
type presenceSource interface {
	// Poll returns the presences it got. The slice is the caller's until
	// the next Poll, which may reuse its array: the daemon polls one at a
	// time and copies what it keeps.
	Poll(ctx context.Context) ([]mapping.Presence, error)
}

// Daemon polls presence and drives the outputs. Create it with New and
// start it with Run.
type Daemon struct {
	opts   Options
	set    *config.Settings
	log    *slog.Logger
	source presenceSource
	outs   []*outputSlot
	// account describes the sign-in for status; nil in demo mode.
	account func(context.Context) (string, error)
	// office is the app-only source (office.go); calendar reads free/busy
	// and calWarned is its last problem logged (calendar.go); calMu makes
	// one round at a time, so a problem is logged once however rounds
	// overlap.
	office    *officeSource
	calendar  scheduleSource
	calMu     sync.Mutex
	calWarned string

	pollNow chan struct{}
	changed chan struct{}
	// wakes counts the loop's wake-ups (tests: an idle daemon wakes for
	// its polls, not on a tick).
	wakes   atomic.Int64
	reloads chan reloadRequest

	// outCtx and outWG run the outputs (Run sets them); a reload starts
	// and stops outputs under them.
	outCtx context.Context
	outWG  *sync.WaitGroup

	// mu guards st and the publishing state below.
	mu sync.Mutex
	st *state
	// seq numbers the published snapshots; last is the latest one, to
	// publish only what changed; resend makes the next one a resend.
	seq    uint64
	last   *output.Snapshot
	resend bool
	// nextDue is the earliest time the snapshot changes without a poll or
	// a command (an override or pause ends, a user turns stale); zero
	// when nothing is pending. The loop sleeps until it (or the next poll,
	// or a schedule edge).
	nextDue time.Time
	started time.Time
	// defNodeID and formerNodeID are the default MQTT node ID and the one
	// it replaces (nodeid.go), chosen once (nodeIDDone).
	defNodeID, formerNodeID string
	nodeIDDone              bool
	// conds are the conditions shown in status and MQTT health, by name
	// (config, storage, mqtt, graph); see output.Health.Conditions.
	conds map[string]string
}

// New validates opts and builds the daemon. It starts nothing: no
// goroutines, network or device I/O until Run.
func New(opts Options) (*Daemon, error) {
	if opts.Config == nil {
		return nil, errors.New("daemon: no config")
	}
	set, err := opts.Config.Compile()
	if err != nil {
		return nil, err
	}
	if err := opts.Config.ResolveSecrets(set); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = defaultHTTPClient()
	}
	d := &Daemon{
		opts:    opts,
		set:     set,
		log:     opts.Logger,
		pollNow: make(chan struct{}, 1),
		changed: make(chan struct{}, 1),
		reloads: make(chan reloadRequest),
	}
	if opts.Demo {
		// The demo plays a scripted day for every watched user (so a
		// config with colleagues, lights and signs works as it is), and
		// polls often enough to see each step.
		d.set.Interval = time.Second
	}
	d.st = newState(set.Users, set.Rules, set.Schedule, d.set.Interval, d.log)
	switch {
	case opts.source != nil:
		d.source = opts.source
	case opts.Demo:
		d.source = newDemoSource(d.userKeys())
	case d.set.App != nil:
		src, account, err := newOfficeSource(d.set, opts, d.log.With("component", "graph"))
		if err != nil {
			return nil, err
		}
		d.source, d.account, d.office, d.calendar = src, account, src, src.g
	default:
		src, account, err := newGraphSource(d.set, opts, d.log.With("component", "graph"))
		if err != nil {
			return nil, err
		}
		d.source, d.account = src, account
	}
	// A reload may replace the source while a poll is in flight.
	d.source = &swapSource{inner: d.source}
	if opts.calendar != nil {
		d.calendar = opts.calendar
	}
	for _, w := range d.set.Warnings {
		d.log.Warn(w)
	}
	if err := d.addOutputs(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Daemon) userKeys() []string { return keysOf(d.settings().Users) }

// settings returns the settings in force; a reload replaces them (under
// d.mu, on the loop goroutine).
func (d *Daemon) settings() *config.Settings {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.set
}

// Interval returns the poll interval.
func (d *Daemon) Interval() time.Duration { return d.settings().Interval }

// Run polls and drives the outputs until ctx is done, then runs every
// output's exit action and returns once every goroutine it started has
// exited. It returns nil on a normal shutdown.
func (d *Daemon) Run(ctx context.Context) error {
	d.mu.Lock()
	d.started = time.Now()
	d.mu.Unlock()

	var ctl *controlServer
	if !d.opts.NoControl && d.opts.Paths.Socket != "" {
		var err error
		ctl, err = d.listenControl()
		if err != nil {
			return err
		}
	}

	outCtx, stopOutputs := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	d.outCtx, d.outWG = outCtx, &wg
	for _, o := range d.outs {
		d.startSlot(o)
	}
	if ctl != nil {
		wg.Go(func() { ctl.serve(ctx) })
	}
	d.runOffice(ctx, &wg)

	d.loop(ctx)

	// Shutdown: outputs run their exit action (lights off, MQTT offline)
	// on a context that is not yet cancelled, bounded by output.ExitTimeout.
	stopOutputs()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(output.ExitTimeout):
		d.log.Warn("outputs did not stop in time", "timeout", output.ExitTimeout)
		<-done
	}
	return nil
}

// loop polls presence and re-evaluates the signal until ctx is done.
//
// It sleeps until the next thing that is due: the next poll, or the time the
// signal changes without one (an override or pause ends, a user turns stale,
// a working-hours edge; see wakeAt). An idle daemon thus wakes once per poll
// interval, not every second.
func (d *Daemon) loop(ctx context.Context) {
	poll := time.NewTimer(0) // first poll at once
	defer poll.Stop()
	due := time.NewTimer(time.Hour)
	due.Stop()
	defer due.Stop()
	lastWake := time.Now()
	failures := 0

	// A poll runs on its own goroutine so that a slow Graph (timeouts are
	// 20 s) never delays an override, a pause or a due change. At most one
	// is in flight; a poll asked for meanwhile follows right after it.
	type result struct {
		ps  []mapping.Presence
		err error
	}
	// One long-lived poller rather than a goroutine per poll: a new
	// goroutine starts with a small stack that Graph, TLS and MSAL grow
	// again, by copying, at every poll.
	results := make(chan result, 1)
	start := make(chan struct{}, 1)
	go func() {
		for range start {
			ps, err := d.source.Poll(ctx)
			results <- result{ps, err}
		}
	}()
	defer close(start)
	inflight, again := false, false
	defer func() {
		if inflight {
			<-results // Poll honours ctx: this is prompt
		}
	}()
	pollSoon := func() {
		if inflight {
			again = true
		} else {
			poll.Reset(0)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.pollNow:
			pollSoon()
		case <-d.changed:
			d.publish(time.Now())
		case now := <-due.C:
			d.publish(now)
		case r := <-d.reloads:
			r.reply <- d.applyReload(r.cfg, r.set)
		case <-poll.C:
			if inflight {
				again = true
				break
			}
			inflight = true
			start <- struct{}{}
		case r := <-results:
			inflight = false
			if ctx.Err() != nil {
				return
			}
			next := d.handlePoll(time.Now(), r.ps, r.err, &failures)
			d.publish(time.Now())
			if again {
				again, next = false, 0
			}
			poll.Reset(next)
		}
		d.wakes.Add(1)
		// Whatever woke the loop: a wall clock that ran ahead of the
		// monotonic clock since the last wake-up means the machine slept
		// (the monotonic clock stops while it is suspended, and so do the
		// timers). Poll now and re-send everything. Without a tick this is
		// noticed at the first timer after the resume: at most one poll
		// interval late.
		now := time.Now()
		if gap := sleptFor(now.Round(0).Sub(lastWake.Round(0)), now.Sub(lastWake)); gap > 0 {
			d.log.Info("resumed from sleep", "gap", gap.Round(time.Second))
			d.resumed()
			pollSoon()
		}
		lastWake = now
		if at := d.wakeAt(now); at.IsZero() {
			due.Stop()
		} else {
			due.Reset(max(at.Sub(now), 0))
		}
	}
}

// wakeAt returns when the loop must next publish without a poll or a
// command: the snapshot's next due time, or the next minute when there is
// a working-hours schedule (its edges are on whole minutes); zero when
// nothing is due. A resend asked for is due at once.
func (d *Daemon) wakeAt(now time.Time) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.resend {
		return now
	}
	at := d.nextDue
	if d.set.Schedule != nil {
		edge := now.Truncate(time.Minute).Add(time.Minute)
		if at.IsZero() || edge.Before(at) {
			at = edge
		}
	}
	return at
}

// sleepThreshold is how far the wall clock must run ahead of the monotonic
// clock between two ticks to count as a sleep: the monotonic clock stops
// while the machine is suspended, the wall clock does not.
const sleepThreshold = 5 * time.Second

// sleptFor returns how long the machine slept between two ticks, given the
// wall-clock and monotonic time that passed; 0 when it did not.
func sleptFor(wall, mono time.Duration) time.Duration {
	if gap := wall - mono; gap > sleepThreshold {
		return gap
	}
	return 0
}

// resumed makes the next snapshot a resend: every output writes everything
// again (lights may have been reset or re-plugged while asleep).
func (d *Daemon) resumed() {
	d.mu.Lock()
	d.resend = true
	d.mu.Unlock()
	d.poke()
}

// defaultHTTPClient is the client for sign-in and Graph when Options has
// none: http.DefaultTransport's settings (proxy from the environment,
// HTTP/2), with a write buffer that holds a whole presence batch request
// (650 object IDs are 25 KB, plus a bearer token of 1–3 KB). A request
// then leaves in one write, and net/http takes no 32 KB copy buffer for it,
// which it does for each body that spills over the default 4 KB buffer
// (17 per poll of 10,000 users).
func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.WriteBufferSize = 32 << 10
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// pollOnce polls the source and returns how long to wait for the next poll
// (benchmarks; the loop polls on a goroutine of its own).
func (d *Daemon) pollOnce(ctx context.Context, failures *int) time.Duration {
	ps, err := d.source.Poll(ctx)
	return d.handlePoll(time.Now(), ps, err, failures)
}

// handlePoll applies a poll's outcome and returns how long to wait for the
// next poll.
func (d *Daemon) handlePoll(now time.Time, ps []mapping.Presence, err error, failures *int) time.Duration {
	d.noteConditions(now, err)
	var partial *partialError
	if errors.As(err, &partial) {
		// The signed-in user's presence came back: apply it and mark the
		// colleagues who failed.
		*failures = 0
		c := classify(err)
		d.mu.Lock()
		d.st.apply(now, ps)
		d.st.partialFail(now, partial, c)
		d.mu.Unlock()
		if c.retryAfter > 0 {
			return c.retryAfter
		}
		return backoff.Jitter(d.set.Interval)
	}
	if err == nil {
		*failures = 0
		d.mu.Lock()
		d.st.apply(now, ps)
		d.mu.Unlock()
		return backoff.Jitter(d.set.Interval)
	}
	*failures++
	c := classify(err)
	d.mu.Lock()
	d.st.fail(now, err, c)
	d.mu.Unlock()
	switch {
	case c.retryAfter > 0:
		// Graph said when: honour it exactly, no jitter.
		return c.retryAfter
	case c.state == mapping.StateLoginRequired:
		// Cheap when nobody is signed in (the cache is a local file); a
		// successful `onair login` also pokes the daemon through the
		// control API, so this is only the fallback.
		return min(backoff.Delay(d.set.Interval, maxBackoff, *failures), time.Minute)
	}
	return backoff.Delay(d.set.Interval, maxBackoff, *failures)
}

// maxBackoff caps the exponential backoff after errors.
const maxBackoff = 5 * time.Minute

// publish computes the snapshot and hands it to every output if anything
// an output shows has changed (or a resend was asked for). When nothing
// changed since the last snapshot (a poll that brought the same presence
// for everybody) it builds none.
func (d *Daemon) publish(now time.Time) {
	d.mu.Lock()
	d.st.expire(now)
	resend := d.resend
	conds := d.conditionsLocked()
	if !resend && d.last != nil && slices.Equal(conds, d.last.Conditions) && d.st.quiet(now, d.nextDue) {
		d.nextDue = d.st.due(now)
		d.mu.Unlock()
		return
	}
	s, next, changed := d.st.build(now)
	s.Conditions = conds
	d.st.remember(now, s)
	d.nextDue = next
	d.resend = false
	if !resend && d.last != nil && !changed && sameGlobal(d.last, s) {
		d.mu.Unlock()
		return
	}
	if d.last == nil || d.last.Health.State != s.Health.State {
		d.log.Info("health", "state", s.Health.State.String())
	}
	d.seq++
	s.Seq = d.seq
	s.Resend = resend
	d.last = s
	d.mu.Unlock()
	for _, o := range d.outs {
		o.mb.Put(s)
	}
}

// poke asks the loop to re-evaluate soon (after a control command).
func (d *Daemon) poke() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// SetOverride sets a manual override. Duration 0 means until cleared.
func (d *Daemon) SetOverride(o output.Override, dur time.Duration) error {
	if o.User == "" {
		o.User = config.Me
	}
	if o.Color == nil && o.Availability == "" && o.Activity == "" {
		return errors.New("override needs an availability, an activity or a colour")
	}
	if dur < 0 {
		return fmt.Errorf("invalid duration %s: must be positive", dur)
	}
	d.mu.Lock()
	if d.st.byKey[o.User] == nil {
		d.mu.Unlock()
		return fmt.Errorf("user %q is not watched (watched: %v)", o.User, d.userKeys())
	}
	if dur > 0 {
		o.Until = time.Now().Add(dur)
	}
	d.st.setOverride(&o)
	d.mu.Unlock()
	// A command over MQTT is routine (a flood of them must not flood the
	// log); one from the CLI or a light is worth a line.
	level := slog.LevelInfo
	if o.Source == "mqtt" {
		level = slog.LevelDebug
	}
	d.log.Log(context.Background(), level, "override set", "user", o.User, "availability", string(o.Availability), "activity", string(o.Activity), "color", colorAttr(o.Color), "label", o.Label, "until", untilAttr(time.Now(), o.Until), "source", o.Source)
	d.poke()
	return nil
}

// untilAttr is an end time as a person reads it in a log line: "15:04"
// today, else with its day and how far away it is ("Mon 2 Jan 09:00 (in
// 3d)", mapping.FormatUntil); "until cleared" when t is zero.
func untilAttr(now, t time.Time) string {
	if t.IsZero() {
		return "until cleared"
	}
	return mapping.FormatUntil(now, t.Local())
}

func colorAttr(c *mapping.Color) string {
	if c == nil {
		return ""
	}
	return c.String()
}

// ClearOverride removes the manual override. It reports whether there was one.
func (d *Daemon) ClearOverride() bool {
	d.mu.Lock()
	had := d.st.setOverride(nil)
	d.mu.Unlock()
	if had {
		d.log.Info("override cleared")
	}
	d.poke()
	return had
}

// Pause turns every output's signal off for dur (0: until Resume).
func (d *Daemon) Pause(dur time.Duration) {
	var till time.Time
	if dur > 0 {
		till = time.Now().Add(dur)
	}
	d.mu.Lock()
	was := d.st.paused
	d.st.pause(till)
	d.mu.Unlock()
	if was {
		d.log.Debug("paused", "until", untilAttr(time.Now(), till))
	} else {
		d.log.Info("paused", "until", untilAttr(time.Now(), till))
	}
	d.poke()
}

// Resume ends a pause.
func (d *Daemon) Resume() {
	d.mu.Lock()
	was := d.st.paused
	d.st.resume()
	d.mu.Unlock()
	if was {
		d.log.Info("resumed")
	}
	d.poke()
}

// PollNow asks for a poll at once (after `onair login`, or from the API).
func (d *Daemon) PollNow() {
	select {
	case d.pollNow <- struct{}{}:
	default:
	}
}

// Snapshot returns the current state, including changes (an override just
// set) that the loop has not yet published.
func (d *Daemon) Snapshot() *output.Snapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, _ := d.st.snapshot(time.Now())
	s.Conditions = d.conditionsLocked()
	s.Seq = d.seq
	return s
}
