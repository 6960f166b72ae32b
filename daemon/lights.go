package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/mapping"
)

// lightBackend finds and opens USB lights. The real one (usbBackend) uses
// devices/hid and devices/serial; tests use a fake.
type lightBackend interface {
	// Enumerate lists the known lights now attached. It may return lights
	// together with an error when one bus could not be enumerated.
	Enumerate() ([]devices.Info, error)
	// Open opens a light from Enumerate.
	Open(info devices.Info) (devices.Transport, error)
}

// changeWatcher is an optional lightBackend capability: Changed reports
// whether the bus may have changed since the last Enumerate. The periodic
// scan is skipped when it has not, and no light is waiting for a retry.
type changeWatcher interface {
	Changed() bool
}

// goosReporter is an optional lightBackend capability: the OS whose support
// rules apply to its lights (runtime.GOOS when absent).
type goosReporter interface {
	GOOS() string
}

// enumerateInterval is how often the lights output looks for lights that
// were plugged in or pulled out.
const enumerateInterval = 2 * time.Second

// errLightGone cancels a light's goroutine when the light has disappeared
// from the bus: there is nothing to turn off.
var errLightGone = errors.New("light disconnected")

// addLights adds the USB lights output.
func (d *Daemon) addLights() error {
	backend := d.opts.lights
	if backend == nil {
		backend = &usbBackend{}
	}
	o, err := newLightsOutput(lightsOptions{
		backend: backend,
		entries: d.set.lights,
		users:   d.userKeys(),
		rules:   d.set.rules,
		log:     d.log.With("component", "lights"),
		press:   d.lightButton,
	})
	if err != nil {
		return err
	}
	d.addOutput(o)
	return nil
}

// lightButton is called when the button of a light (Luxafor Mute, MuteMe)
// is pressed: it toggles the pause, so one press darkens every output and
// the next one brings the signal back.
func (d *Daemon) lightButton(light string) {
	d.mu.Lock()
	paused := d.paused
	d.mu.Unlock()
	if paused {
		d.log.Info("light button pressed: resuming", "light", light)
		d.Resume()
		return
	}
	d.log.Info("light button pressed: pausing until the next press or onair resume", "light", light)
	d.Pause(0)
}

type lightsOptions struct {
	backend lightBackend
	entries []lightSettings
	users   []string // watched user keys, to resolve entries' users
	rules   mapping.Rules
	log     *slog.Logger
	press   func(light string)
}

// lightsOutput is the USB lights output. Its Run goroutine enumerates every
// enumerateInterval, opens lights that appeared and matches them to the
// lights: entries; each open light is driven by a goroutine of its own
// (light.run) that Run starts and joins.
type lightsOutput struct {
	backend lightBackend
	goos    string
	entries []lightSettings // users resolved to keys, rules defaulted
	rules   mapping.Rules
	log     *slog.Logger
	press   func(light string)
	trace   bool // wrap transports in usbTrace (debug logging)

	// rescan asks Run to enumerate now: a light failed, and it may be
	// back already (pulled out and plugged in again).
	rescan chan struct{}

	// Owned by the Run goroutine.
	lastScan time.Time
	last     *Snapshot
	records  map[string]*lightRecord
	closing  map[string]*lightSlot // slots of vanished lights whose goroutine has not exited yet
	noLight  bool                  // "no USB light found" was logged for the current absence
	enumErr  string                // the last enumeration error logged

	mu     sync.Mutex // guards order, status, note and lightRecord.logged
	order  []string   // record keys in first-seen order, for Status
	status map[string]*OutputStatus
	note   *OutputStatus // output-wide note: searching, enumeration error
}

// lightRecord is one light seen by enumeration.
type lightRecord struct {
	key    string
	info   devices.Info
	name   string
	logged string     // the condition last logged for it; guarded by mu
	slot   *lightSlot // nil when not open
	seen   bool       // listed by the latest enumeration
	// openFailed is set while the light could not be opened; such a
	// light is retried every enumerateInterval.
	openFailed bool
}

// lightSlot is an open light and its goroutine.
type lightSlot struct {
	mb     *mailbox
	cancel context.CancelCauseFunc
	done   chan struct{}
}

func newLightsOutput(o lightsOptions) (*lightsOutput, error) {
	out := &lightsOutput{
		backend: o.backend,
		goos:    runtime.GOOS,
		rules:   o.rules,
		log:     o.log,
		press:   o.press,
		records: map[string]*lightRecord{},
		closing: map[string]*lightSlot{},
		rescan:  make(chan struct{}, 1),
		status:  map[string]*OutputStatus{},
	}
	if g, ok := o.backend.(goosReporter); ok {
		out.goos = g.GOOS()
	}
	out.trace = out.log.Enabled(context.Background(), slog.LevelDebug)
	for _, e := range o.entries {
		user, ok := resolveUser(e.user, o.users)
		if !ok {
			return nil, fmt.Errorf("light %q: user %q is not watched", e.name, e.user)
		}
		e.user = user
		if e.rules == nil {
			e.rules = o.rules
		}
		out.entries = append(out.entries, e)
	}
	return out, nil
}

// resolveUser returns the watched user key that u names (case-insensitively).
func resolveUser(u string, keys []string) (string, bool) {
	for _, k := range keys {
		if strings.EqualFold(k, u) {
			return k, true
		}
	}
	return "", false
}

// Name implements output.
func (o *lightsOutput) Name() string { return "lights" }

// Run implements output. It returns after every light goroutine has run its
// exit action and exited.
func (o *lightsOutput) Run(ctx context.Context, mb *mailbox) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(enumerateInterval)
	defer tick.Stop()
	var fast *time.Ticker // scanning quickly after a failure; nil otherwise
	var fastUntil time.Time
	defer func() {
		if fast != nil {
			fast.Stop()
		}
	}()
	o.enumerate(ctx, &wg)
	for {
		select {
		case <-ctx.Done():
			// Light goroutines run on contexts derived from ctx: they see
			// the cancellation too, run their exit action and exit.
			return nil
		case s := <-mb.C():
			o.last = s
			for _, r := range o.records {
				if r.slot != nil {
					r.slot.mb.put(s)
				}
			}
			if s.Resend {
				// After sleep/resume lights may have been re-plugged or
				// reset: look again now.
				o.enumerate(ctx, &wg)
			}
		case <-tick.C:
			if w, ok := o.backend.(changeWatcher); ok && !w.Changed() && !o.needsRetry() {
				continue
			}
			o.enumerate(ctx, &wg)
		case <-o.rescan:
			// A light failed: look for it now, then every fastScan for a
			// while, since a re-plugged light takes a moment to come back.
			// At most one early scan per minRescanGap, so a light that
			// fails right after every open cannot spin the loop.
			if time.Since(o.lastScan) >= minRescanGap {
				o.enumerate(ctx, &wg)
			}
			if fast == nil {
				fast = time.NewTicker(fastScan)
			} else {
				fast.Reset(fastScan)
			}
			fastUntil = time.Now().Add(fastScanFor)
		case now := <-fastC(fast):
			if now.After(fastUntil) {
				fast.Stop()
				fast = nil
				continue
			}
			o.enumerate(ctx, &wg)
		}
	}
}

// needsRetry reports whether a periodic scan must run even though the bus
// did not change: a light could not be opened (the udev rule may have been
// installed since), an earlier enumeration failed, or a vanished light's
// goroutine was still closing it.
func (o *lightsOutput) needsRetry() bool {
	if o.enumErr != "" || len(o.closing) > 0 {
		return true
	}
	for _, r := range o.records {
		if r.seen && (r.openFailed || (r.slot != nil && isDone(r.slot.done))) {
			return true
		}
	}
	return false
}

// After a light fails, the output scans every fastScan for fastScanFor.
const (
	minRescanGap = 200 * time.Millisecond
	fastScan     = 250 * time.Millisecond
	fastScanFor  = 3 * time.Second
)

func fastC(t *time.Ticker) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

// requestRescan asks Run to enumerate soon; it never blocks.
func (o *lightsOutput) requestRescan() {
	select {
	case o.rescan <- struct{}{}:
	default:
	}
}

// lightKey identifies a light across enumerations.
func lightKey(info devices.Info) string {
	return fmt.Sprintf("%s %04x:%04x %s", info.Bus, info.VID, info.PID, info.Path)
}

// enumerate lists the lights, opens new ones and lets go of vanished ones.
func (o *lightsOutput) enumerate(ctx context.Context, wg *sync.WaitGroup) {
	o.lastScan = time.Now()
	infos, err := o.backend.Enumerate()
	o.noteEnumError(err)

	// Forget goroutines that ended (write error, light pulled out); their
	// light is opened again below if it is attached.
	for key, slot := range o.closing {
		if isDone(slot.done) {
			delete(o.closing, key)
		}
	}
	for _, r := range o.records {
		r.seen = false
		if r.slot != nil && isDone(r.slot.done) {
			r.slot = nil
		}
	}
	found := 0
	for _, info := range infos {
		key := lightKey(info)
		r := o.records[key]
		if r != nil && r.seen {
			continue // listed twice
		}
		driver, err := devices.Lookup(info)
		if err != nil {
			continue // not a light (the real backend lists only lights)
		}
		found++
		if r == nil {
			r = &lightRecord{key: key, info: info}
			o.records[key] = r
		}
		r.seen = true
		if r.slot != nil {
			continue // open and running
		}
		if _, ok := o.closing[key]; ok {
			continue // pulled out and plugged in again; its old goroutine is still closing it
		}
		if err := driver.Supported(info, o.goos); err != nil {
			r.name = driver.Vendor + " " + driver.Model(info)
			o.setStatus(r, true, "unsupported", detail(info, err.Error()), "")
			o.transition(r, slog.LevelInfo, "unsupported", "light not supported", "reason", err.Error())
			continue
		}
		entry, ok := o.match(info, driver)
		r.name = entry.name
		switch {
		case !ok:
			o.setStatus(r, true, "ignored", detail(info, "matches no lights: entry"), "")
			o.transition(r, slog.LevelInfo, "ignored", "light matches no lights: entry; ignored")
			continue
		case entry.disabled:
			o.setStatus(r, true, "disabled", detail(info, "disabled in the config"), "")
			o.transition(r, slog.LevelInfo, "disabled", "light disabled in the config; ignored")
			continue
		}
		o.open(ctx, wg, r, entry)
	}

	// Let go of lights that are gone. Their goroutines only close them;
	// until a goroutine has exited, its light is not opened again.
	for key, r := range o.records {
		if r.seen {
			continue
		}
		if r.slot != nil {
			r.slot.cancel(errLightGone)
			o.closing[key] = r.slot
		}
		o.mu.Lock()
		was := r.logged
		o.mu.Unlock()
		if was == "connected" || strings.HasPrefix(was, "failed") {
			o.log.Info("light disconnected", o.attrs(r)...)
		}
		o.removeStatus(key)
		delete(o.records, key)
	}
	o.noteFound(found)
}

// open opens r's light and starts its goroutine.
func (o *lightsOutput) open(ctx context.Context, wg *sync.WaitGroup, r *lightRecord, entry lightSettings) {
	t, err := o.backend.Open(r.info)
	if err == nil && t == nil {
		err = errors.New("open returned no transport")
	}
	r.openFailed = err != nil
	if err != nil {
		// The message of hid.OpenError and serial's errors says what to do
		// (udev rule, quit the vendor app); show it as it is.
		o.setStatus(r, true, "error", err.Error(), "")
		o.transition(r, slog.LevelWarn, "open failed: "+err.Error(), "cannot open light", "err", err)
		return
	}
	if o.trace {
		t = &usbTrace{t: t, log: o.log, light: r.name}
	}
	dev, err := devices.Open(r.info, t, &devices.Options{GOOS: o.goos})
	r.openFailed = err != nil
	if err != nil {
		o.setStatus(r, true, "error", err.Error(), "")
		o.transition(r, slog.LevelWarn, "open failed: "+err.Error(), "cannot open light", "err", err)
		return
	}
	o.setStatus(r, true, "connected", detail(r.info, ""), "")
	lctx, cancel := context.WithCancelCause(ctx)
	slot := &lightSlot{mb: newMailbox(), cancel: cancel, done: make(chan struct{})}
	r.slot = slot
	if o.last != nil {
		// A new or re-plugged light shows the current signal at once.
		resend := *o.last
		resend.Resend = true
		slot.mb.put(&resend)
	}
	l := &light{o: o, rec: r, dev: dev, entry: entry}
	wg.Go(func() {
		l.run(lctx, slot.mb)
		cancel(nil)
		close(slot.done)
		if l.failed {
			o.requestRescan()
		}
	})
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// match returns the first lights: entry that matches the light, or the
// default (every light follows "me" under the global rules) when there
// are no entries. ok is false when entries exist and none matches.
func (o *lightsOutput) match(info devices.Info, d *devices.Driver) (lightSettings, bool) {
	model := d.Model(info)
	if len(o.entries) == 0 {
		return lightSettings{
			name: strings.TrimSpace(d.Vendor + " " + model), user: Me, brightness: 100,
			rules: o.rules, exitOff: true,
		}, true
	}
	for _, e := range o.entries {
		if e.matches(info, d, model) {
			return e, true
		}
	}
	return lightSettings{name: strings.TrimSpace(d.Vendor + " " + model)}, false
}

// matches reports whether the entry selects the light: vendor and model are
// case-insensitive substrings (of the vendor name or driver name, of the
// model name or product string), serial and path must be equal. An entry
// with no match fields matches every light.
func (e lightSettings) matches(info devices.Info, d *devices.Driver, model string) bool {
	has := func(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) }
	if e.vendor != "" && !has(d.Vendor, e.vendor) && !has(d.Name, e.vendor) {
		return false
	}
	if e.model != "" && !has(model, e.model) && !has(info.Product, e.model) {
		return false
	}
	if e.serial != "" && e.serial != info.Serial {
		return false
	}
	if e.path != "" && e.path != info.Path {
		return false
	}
	return true
}

// detail is the status detail of a light: where it is, and why not when
// it cannot be used.
func detail(info devices.Info, why string) string {
	s := fmt.Sprintf("%04X:%04X %s", info.VID, info.PID, info.Path)
	if info.Serial != "" {
		s += " serial " + info.Serial
	}
	if why != "" {
		s += ": " + why
	}
	return s
}

// attrs are the log attributes that identify a light.
func (o *lightsOutput) attrs(r *lightRecord, more ...any) []any {
	d, _ := devices.Lookup(r.info)
	device := fmt.Sprintf("%04X:%04X", r.info.VID, r.info.PID)
	if d != nil {
		device = strings.TrimSpace(d.Vendor + " " + d.Model(r.info))
	}
	return append([]any{"light", r.name, "device", device, "vid", fmt.Sprintf("%04x", r.info.VID),
		"pid", fmt.Sprintf("%04x", r.info.PID), "path", r.info.Path}, more...)
}

// transition logs msg when the light's condition differs from the one last
// logged for it, so a light that fails the same way every enumeration is
// logged once.
func (o *lightsOutput) transition(r *lightRecord, level slog.Level, cond, msg string, args ...any) {
	o.mu.Lock()
	same := r.logged == cond
	r.logged = cond
	o.mu.Unlock()
	if !same {
		o.log.Log(context.Background(), level, msg, o.attrs(r, args...)...)
	}
}

// noteEnumError logs an enumeration error when it changes (a build without
// cgo fails the same way every time) and shows it in status.
func (o *lightsOutput) noteEnumError(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg == o.enumErr {
		return
	}
	o.enumErr = msg
	if err != nil {
		o.log.Warn("cannot look for USB lights", "err", err)
	} else {
		o.log.Info("looking for USB lights works again")
	}
}

// noteFound logs "no USB light found" once per absence and keeps the
// output-wide status note current.
func (o *lightsOutput) noteFound(found int) {
	if found == 0 && !o.noLight {
		o.log.Info("no USB light found; still looking")
	}
	o.noLight = found == 0
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.enumErr != "":
		o.note = &OutputStatus{Name: "usb", Kind: "usb", State: "error", Detail: o.enumErr}
	case found == 0:
		o.note = &OutputStatus{Name: "usb", Kind: "usb", State: "searching", Detail: "no USB light found; still looking"}
	default:
		o.note = nil
	}
}

// setStatus sets the status of r, adding it when create is set (the Run
// goroutine); a light goroutine only updates the status of a light that is
// still listed.
func (o *lightsOutput) setStatus(r *lightRecord, create bool, state, detail, signal string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	st, ok := o.status[r.key]
	if !ok && !create {
		return
	}
	if !ok {
		st = &OutputStatus{Kind: "usb"}
		o.status[r.key] = st
		o.order = append(o.order, r.key)
	}
	st.Name, st.State, st.Detail, st.Signal = r.name, state, detail, signal
}

// setSignal records what a light shows now.
func (o *lightsOutput) setSignal(r *lightRecord, signal string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if st, ok := o.status[r.key]; ok {
		st.Signal = signal
	}
}

func (o *lightsOutput) removeStatus(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.status, key)
	for i, k := range o.order {
		if k == key {
			o.order = append(o.order[:i], o.order[i+1:]...)
			break
		}
	}
}

// Status implements statuser: one entry per light seen, in the order they
// were first seen, then the output-wide note (no light found, enumeration
// error) if there is one.
func (o *lightsOutput) Status() []OutputStatus {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []OutputStatus
	for _, k := range o.order {
		out = append(out, *o.status[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if o.note != nil {
		out = append(out, *o.note)
	}
	if len(out) == 0 {
		// Before the first enumeration.
		out = append(out, OutputStatus{Name: "usb", Kind: "usb", State: "starting"})
	}
	return out
}
