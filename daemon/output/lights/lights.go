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
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/devices"
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
// whether the bus may have changed since the last Enumerate. The periodic
// scan is skipped when it has not, and no light is waiting for a retry.
type changeWatcher interface {
	Changed() bool
}

// goosReporter is an optional Backend capability: the OS whose support
// rules apply to its lights (runtime.GOOS when absent).
type goosReporter interface {
	GOOS() string
}

// EnumerateInterval is how often the lights output looks for lights that
// were plugged in or pulled out.
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

// Output is the USB lights output. Its Run goroutine enumerates every
// EnumerateInterval, opens lights that appeared and matches them to the
// lights: entries; each open light is driven by a goroutine of its own
// (light.run) that Run starts and joins.
type Output struct {
	backend Backend
	goos    string
	entries []Entry // users resolved to keys, rules defaulted
	rules   mapping.Rules
	log     *slog.Logger
	press   func(light string)
	me      string // Users[0], whom a light follows when there are no entries
	trace   bool   // wrap transports in usbTrace (debug logging)

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
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// New builds the lights output. It opens nothing until Run.
func New(o Options) (*Output, error) {
	if o.Backend == nil {
		o.Backend = &usbBackend{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Press == nil {
		o.Press = func(string) {}
	}
	out := &Output{
		backend: o.Backend,
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

// Run implements output.Output. It returns after every light goroutine has run its
// exit action and exited.
func (o *Output) Run(ctx context.Context, mb *output.Mailbox) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(EnumerateInterval)
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
					r.slot.mb.Put(s)
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

func fastC(t *time.Ticker) <-chan time.Time {
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
	slot := &lightSlot{mb: output.NewMailbox(), cancel: cancel, done: make(chan struct{})}
	r.slot = slot
	if o.last != nil {
		// A new or re-plugged light shows the current signal at once.
		resend := *o.last
		resend.Resend = true
		slot.mb.Put(&resend)
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
