// Package lights is the USB lights output: it finds lights (hot-plug), opens
// them through devices/hid and devices/serial, and drives each with a
// goroutine of its own that renders the signal of the user it follows.
package lights

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/hotplug"
	"github.com/onair-dev/onair/mapping"
)

// Backend finds and opens USB lights. The real one (usbBackend) uses
// devices/hid and devices/serial; tests use a fake.
type Backend interface {
	// Enumerate lists the known lights now attached. It may return lights
	// together with an error when one bus could not be enumerated.
	Enumerate() ([]devices.Info, error)
	// Open opens a light from Enumerate.
	Open(info devices.Info) (devices.Transport, error)
}

// changeWatcher is an optional Backend capability: Changed reports
// whether the bus may have changed since the last Enumerate. Without
// hot-plug notifications the output asks it every EnumerateInterval and
// enumerates only when it says so (or a light is waiting for a retry).
type changeWatcher interface {
	Changed() bool
}

// goosReporter is an optional Backend capability: the OS whose support
// rules apply to its lights (runtime.GOOS when absent).
type goosReporter interface {
	GOOS() string
}

// EnumerateInterval is how often the lights output retries a light it could
// not open, and, without hot-plug notifications, how often it asks a
// backend that can tell cheaply (Linux sysfs) whether the bus changed.
// With notifications (devices/hotplug) it enumerates when a relevant event
// arrives, after hotplug.Settle, and every hotplug.Safety as a safety net;
// without either, every hotplug.Slow.
const EnumerateInterval = 2 * time.Second

// errLightGone cancels a light's goroutine when the light has disappeared
// from the bus: there is nothing to turn off.
var errLightGone = errors.New("light disconnected")

// Options configures the lights output.
type Options struct {
	// Backend finds and opens lights. Default: USB (devices/hid and
	// devices/serial).
	Backend Backend
	// Entries are the lights: entries of the config, in order. Empty: every
	// light follows Users[0] under Rules.
	Entries []Entry
	// Users are the watched user keys in config order; entries name one of
	// them (case-insensitively).
	Users []string
	// Rules are the global rules, for entries without rules of their own.
	Rules mapping.Rules
	// Logger receives the output's logs. Default: discard.
	Logger *slog.Logger
	// Press, if set, is called with the light's name when the button of a
	// light (Luxafor Mute, MuteMe) is pressed.
	Press func(light string)
	// Watch tells the output when the USB bus changed. Default: with the
	// real USB backend, hotplug.Watch; with a Backend of a test, none (the
	// output then falls back as without notifications).
	Watch hotplug.WatchFunc
}

// Entry selects lights and says what they show. Every non-empty match field
// (Vendor, Model, Serial, Path) must match; an entry with none matches every
// light.
type Entry struct {
	Name                        string
	Vendor, Model, Serial, Path string
	// User is whose presence the light shows.
	User string
	// Brightness scales every signal, 0–100 percent.
	Brightness int
	// Rules replace the global rules for this light; nil: the global rules.
	Rules mapping.Rules
	// ExitOff turns the light off when onair stops (else it keeps its
	// last signal).
	ExitOff bool
	// Disabled ignores matching lights.
	Disabled bool
}

// Output is the USB lights output. Its Run goroutine enumerates when the bus
// changed (see Run), opens lights that appeared and matches them to the
// lights: entries; each open light is driven by a goroutine of its own
// (light.run) that Run starts and joins.
type Output struct {
	backend Backend
	watch   hotplug.WatchFunc // nil: no notifications
	changes changeWatcher     // nil: the backend cannot tell cheaply
	goos    string
	entries []Entry // users resolved to keys, rules defaulted
	rules   mapping.Rules
	log     *slog.Logger
	press   func(light string)
	me      string // Users[0], whom a light follows when there are no entries
	trace   bool   // wrap transports in usbTrace (debug logging)
	// watching is set while hot-plug notifications arrive; a light opened
	// meanwhile is probed on events rather than every ProbeInterval.
	watching atomic.Bool

	// rescan asks Run to enumerate now: a light failed, and it may be
	// back already (pulled out and plugged in again).
	rescan chan struct{}

	// Owned by the Run goroutine.
	lastScan time.Time
	last     *output.Snapshot
	records  map[string]*lightRecord
	closing  map[string]*lightSlot // slots of vanished lights whose goroutine has not exited yet
	noLight  bool                  // "no USB light found" was logged for the current absence
	enumErr  string                // the last enumeration error logged

	mu     sync.Mutex // guards order, status, note and lightRecord.logged
	order  []string   // record keys in first-seen order, for Status
	status map[string]*output.Status
	note   *output.Status // output-wide note: searching, enumeration error
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
	// light is retried every EnumerateInterval.
	openFailed bool
}

// lightSlot is an open light and its goroutine.
type lightSlot struct {
	mb     *output.Mailbox
	probe  chan struct{} // 1-slot: check now that the light is still there
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// New builds the lights output. It opens nothing until Run.
func New(o Options) (*Output, error) {
	var changes changeWatcher
	if o.Backend == nil {
		o.Backend = &usbBackend{}
		if o.Watch == nil {
			o.Watch = hotplug.Watch
		}
		if busFingerprint() != "" {
			changes = o.Backend.(changeWatcher)
		}
	} else if cw, ok := o.Backend.(changeWatcher); ok {
		changes = cw
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Press == nil {
		o.Press = func(string) {}
	}
	out := &Output{
		backend: o.Backend,
		watch:   o.Watch,
		changes: changes,
		goos:    runtime.GOOS,
		rules:   o.Rules,
		log:     o.Logger,
		press:   o.Press,
		records: map[string]*lightRecord{},
		closing: map[string]*lightSlot{},
		rescan:  make(chan struct{}, 1),
		status:  map[string]*output.Status{},
	}
	if len(o.Users) > 0 {
		out.me = o.Users[0]
	}
	if g, ok := o.Backend.(goosReporter); ok {
		out.goos = g.GOOS()
	}
	out.trace = out.log.Enabled(context.Background(), slog.LevelDebug)
	for _, e := range o.Entries {
		user, ok := resolveUser(e.User, o.Users)
		if !ok {
			return nil, fmt.Errorf("light %q: user %q is not watched", e.Name, e.User)
		}
		e.User = user
		if e.Rules == nil {
			e.Rules = o.Rules
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

// Name implements output.Output.
func (o *Output) Name() string { return "lights" }

// Run implements output.Output. It returns after every light goroutine has
// run its exit action and exited.
//
// Between snapshots it sleeps: it enumerates when a relevant hot-plug event
// has settled, every hotplug.Safety as a safety net (hotplug.Slow without
// notifications), and polls on EnumerateInterval only while it must (a
// light waits for a retry, or there are no notifications and the backend
// can tell cheaply whether the bus changed). An idle daemon with no light
// attached thus enumerates every five minutes, not every two seconds.
func (o *Output) Run(ctx context.Context, mb *output.Mailbox) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	events := o.startWatch(wctx)
	o.watching.Store(events != nil)
	// rescanEvery is the safety net's period: wide while notifications
	// come, a minute while they do not.
	rescanEvery := func() time.Duration {
		if events != nil {
			return hotplug.Safety
		}
		return hotplug.Slow
	}
	slow := time.NewTimer(rescanEvery())
	defer slow.Stop()
	settle := time.NewTimer(hotplug.Settle)
	settle.Stop()
	defer settle.Stop()
	var poll *time.Ticker // EnumerateInterval; nil while not needed
	defer func() {
		if poll != nil {
			poll.Stop()
		}
	}()
	var fast *time.Ticker // scanning quickly after a failure; nil otherwise
	var fastUntil time.Time
	defer func() {
		if fast != nil {
			fast.Stop()
		}
	}()
	o.enumerate(ctx, &wg)
	for {
		switch need := o.needsRetry() || (events == nil && o.changes != nil); {
		case need && poll == nil:
			poll = time.NewTicker(EnumerateInterval)
		case !need && poll != nil:
			poll.Stop()
			poll = nil
		}
		select {
		case <-ctx.Done():
			// Light goroutines run on contexts derived from ctx: they see
			// the cancellation too, run their exit action and exit.
			return nil
		case s := <-mb.C():
			o.last = s
			for _, r := range o.records {
				if r.slot != nil {
					r.slot.mb.Put(s)
				}
			}
			if s.Resend {
				// After sleep/resume lights may have been re-plugged or
				// reset: look again now.
				o.enumerate(ctx, &wg)
			}
		case e, ok := <-events:
			if !ok {
				events = nil
				o.watching.Store(false)
				slow.Reset(hotplug.Slow)
				if ctx.Err() == nil {
					o.log.Warn("USB hot-plug notifications stopped; looking for lights every minute", "every", hotplug.Slow)
				}
				continue
			}
			if hotplug.Relevant(e) {
				// One plug-in is a burst of events: enumerate once, when
				// it has settled. A light pulled out and plugged back at
				// the same path is never missing from a list; its dead
				// handle tells, so the open lights check theirs too.
				settle.Reset(hotplug.Settle)
			}
		case <-settle.C:
			o.enumerate(ctx, &wg)
			o.probeAll()
		case <-slow.C:
			if events == nil && o.watch != nil {
				events = o.startWatch(wctx)
				o.watching.Store(events != nil)
			}
			o.enumerate(ctx, &wg)
			slow.Reset(rescanEvery())
		case <-tickC(poll):
			if o.changes != nil && !o.changes.Changed() && !o.needsRetry() {
				continue
			}
			o.enumerate(ctx, &wg)
		case <-o.rescan:
			// A light failed: look for it now, then every fastScan for a
			// while, since a re-plugged light takes a moment to come back.
			// At most one early scan per MinRescanGap, so a light that
			// fails right after every open cannot spin the loop.
			if time.Since(o.lastScan) >= MinRescanGap {
				o.enumerate(ctx, &wg)
			}
			if fast == nil {
				fast = time.NewTicker(fastScan)
			} else {
				fast.Reset(fastScan)
			}
			fastUntil = time.Now().Add(fastScanFor)
		case now := <-tickC(fast):
			if now.After(fastUntil) {
				fast.Stop()
				fast = nil
				continue
			}
			o.enumerate(ctx, &wg)
		}
	}
}

// startWatch subscribes to hot-plug notifications; nil (a channel that
// never delivers) when there is no watcher or it cannot start, in which
// case the output falls back to polling.
func (o *Output) startWatch(ctx context.Context) <-chan hotplug.Event {
	if o.watch == nil {
		return nil
	}
	events, err := o.watch(ctx)
	if err != nil {
		how := "looking for lights every minute"
		if o.changes != nil {
			how = "checking the USB bus every " + EnumerateInterval.String()
		}
		o.log.Info("USB hot-plug notifications unavailable; "+how, "err", err)
		return nil
	}
	return events
}

// probeAll asks every open light to check that its handle still works.
func (o *Output) probeAll() {
	for _, r := range o.records {
		if r.slot != nil {
			select {
			case r.slot.probe <- struct{}{}:
			default:
			}
		}
	}
}

// needsRetry reports whether a periodic scan must run even though the bus
// did not change: a light could not be opened (the udev rule may have been
// installed since), an earlier enumeration failed, or a vanished light's
// goroutine was still closing it.
func (o *Output) needsRetry() bool {
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
	MinRescanGap = 200 * time.Millisecond
	fastScan     = 250 * time.Millisecond
	fastScanFor  = 3 * time.Second
)

func tickC(t *time.Ticker) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

// requestRescan asks Run to enumerate soon; it never blocks.
func (o *Output) requestRescan() {
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
func (o *Output) enumerate(ctx context.Context, wg *sync.WaitGroup) {
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
		r.name = entry.Name
		switch {
		case !ok:
			o.setStatus(r, true, "ignored", detail(info, "matches no lights: entry"), "")
			o.transition(r, slog.LevelInfo, "ignored", "light matches no lights: entry; ignored")
			continue
		case entry.Disabled:
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
func (o *Output) open(ctx context.Context, wg *sync.WaitGroup, r *lightRecord, entry Entry) {
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
	slot := &lightSlot{mb: output.NewMailbox(), probe: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	r.slot = slot
	if o.last != nil {
		// A new or re-plugged light shows the current signal at once.
		resend := *o.last
		resend.Resend = true
		slot.mb.Put(&resend)
	}
	l := &light{o: o, rec: r, dev: dev, entry: entry}
	wg.Go(func() {
		l.run(lctx, slot.mb, slot.probe)
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
// default (every light follows Users[0] under the global rules) when there
// are no entries. ok is false when entries exist and none matches.
func (o *Output) match(info devices.Info, d *devices.Driver) (Entry, bool) {
	model := d.Model(info)
	if len(o.entries) == 0 {
		return Entry{
			Name: strings.TrimSpace(d.Vendor + " " + model), User: o.me, Brightness: 100,
			Rules: o.rules, ExitOff: true,
		}, true
	}
	for _, e := range o.entries {
		if e.matches(info, d, model) {
			return e, true
		}
	}
	return Entry{Name: strings.TrimSpace(d.Vendor + " " + model)}, false
}

// matches reports whether the entry selects the light: vendor and model are
// case-insensitive substrings (of the vendor name or driver name, of the
// model name or product string), serial and path must be equal. An entry
// with no match fields matches every light.
func (e Entry) matches(info devices.Info, d *devices.Driver, model string) bool {
	has := func(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) }
	if e.Vendor != "" && !has(d.Vendor, e.Vendor) && !has(d.Name, e.Vendor) {
		return false
	}
	if e.Model != "" && !has(model, e.Model) && !has(info.Product, e.Model) {
		return false
	}
	if e.Serial != "" && e.Serial != info.Serial {
		return false
	}
	if e.Path != "" && e.Path != info.Path {
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
func (o *Output) attrs(r *lightRecord, more ...any) []any {
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
func (o *Output) transition(r *lightRecord, level slog.Level, cond, msg string, args ...any) {
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
func (o *Output) noteEnumError(err error) {
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
func (o *Output) noteFound(found int) {
	if found == 0 && !o.noLight {
		o.log.Info("no USB light found; still looking")
	}
	o.noLight = found == 0
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.enumErr != "":
		o.note = &output.Status{Name: "usb", Kind: "usb", State: "error", Detail: o.enumErr}
	case found == 0:
		o.note = &output.Status{Name: "usb", Kind: "usb", State: "searching", Detail: "no USB light found; still looking"}
	default:
		o.note = nil
	}
}

// setStatus sets the status of r, adding it when create is set (the Run
// goroutine); a light goroutine only updates the status of a light that is
// still listed.
func (o *Output) setStatus(r *lightRecord, create bool, state, detail, signal string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	st, ok := o.status[r.key]
	if !ok && !create {
		return
	}
	if !ok {
		st = &output.Status{Kind: "usb"}
		o.status[r.key] = st
		o.order = append(o.order, r.key)
	}
	st.Name, st.State, st.Detail, st.Signal = r.name, state, detail, signal
}

// setSignal records what a light shows now.
func (o *Output) setSignal(r *lightRecord, signal string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if st, ok := o.status[r.key]; ok {
		st.Signal = signal
	}
}

func (o *Output) removeStatus(key string) {
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

// Status implements output.Output: one entry per light seen, in the order they
// were first seen, then the output-wide note (no light found, enumeration
// error) if there is one.
func (o *Output) Status() []output.Status {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []output.Status
	for _, k := range o.order {
		out = append(out, *o.status[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if o.note != nil {
		out = append(out, *o.note)
	}
	if len(out) == 0 {
		// Before the first enumeration.
		out = append(out, output.Status{Name: "usb", Kind: "usb", State: "starting"})
	}
	return out
}
