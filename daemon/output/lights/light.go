package lights

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"log/slog"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/mapping"
)

// inputInterval is how often a light with a button is asked for a press.
// The read does not wait (the HID library queues input reports), so the
// light's goroutine never blocks on it.
const inputInterval = 100 * time.Millisecond

// ProbeInterval is how often a light without a button is checked for being
// unplugged (Device.Probe; no bus traffic) when there are no hot-plug
// notifications. With the rescan that a failure triggers, a light pulled out
// and plugged back shows the signal again well within a second of
// reappearing, instead of at its next write. With notifications the output
// asks for a probe after each relevant event instead (Output.probeAll), so a
// light that shows a steady colour causes no wake-ups at all.
const ProbeInterval = 250 * time.Millisecond

// light is one open light, driven by its own goroutine (run).
type light struct {
	o     *Output
	rec   *lightRecord
	dev   *devices.Device
	entry Entry
	// failed is set when run returned because the light failed; the
	// goroutine then asks for a rescan once it has let go of the light.
	failed bool
}

// run shows every snapshot from mb on the light until ctx is done, then runs
// the exit action unless the light is gone. It returns early, closing the
// light, when a write fails; the next enumeration opens it again.
func (l *light) run(ctx context.Context, mb *output.Mailbox, probeNow <-chan struct{}) {
	defer l.dev.Close()
	r := newRenderer(l.dev)
	defer r.stop()
	var input, probe <-chan time.Time
	if l.dev.HasInput() {
		t := time.NewTicker(inputInterval)
		defer t.Stop()
		input = t.C
	} else if l.rec.info.Bus == devices.HID && !l.o.watching.Load() {
		t := time.NewTicker(ProbeInterval)
		defer t.Stop()
		probe = t.C
	}
	keep := false      // the signal is "keep": the light is left alone
	connected := false // "light connected" was logged
	for {
		var err error
		select {
		case <-ctx.Done():
			if context.Cause(ctx) != errLightGone && !keep && r.have {
				l.exit(ctx)
			}
			return
		case s := <-mb.C():
			var st devices.State
			var sig mapping.Signal
			st, sig, keep = l.state(s)
			if keep {
				r.pause()
				l.o.setSignal(l.rec, "keep")
			} else {
				if !r.have || st != r.cur || s.Resend {
					err = r.set(st)
				}
				if err == nil {
					l.o.setSignal(l.rec, sig.String())
				}
			}
			if err == nil && !connected {
				connected = true
				l.o.setStatus(l.rec, false, "connected", detail(l.rec.info, ""), statusSignal(sig, keep))
				l.o.transition(l.rec, slog.LevelInfo, "connected", "light connected", "user", l.entry.User)
			}
		case now := <-r.frames():
			err = r.frame(now)
		case <-r.keepAlives():
			err = r.keepAlive()
		case <-input:
			err = l.readInput()
		case <-probe:
			err = l.dev.Probe()
		case <-probeNow:
			err = l.dev.Probe()
		}
		if err != nil {
			l.o.setStatus(l.rec, false, "error", detail(l.rec.info, err.Error()), "")
			l.o.transition(l.rec, slog.LevelWarn, "failed: "+err.Error(), "light failed; closed until it is found again", "err", err)
			l.failed = true
			return
		}
	}
}

func statusSignal(sig mapping.Signal, keep bool) string {
	if keep {
		return "keep"
	}
	return sig.String()
}

// state returns what the light shows for snapshot s under its entry's user,
// rules and brightness. keep is true for the "keep" effect: leave the light
// as it is. sig is the signal with the combined brightness, for status.
func (l *light) state(s *output.Snapshot) (st devices.State, sig mapping.Signal, keep bool) {
	sig = s.SignalFor(l.entry.User, l.entry.Rules)
	c := lightColor(sig, l.entry.Brightness)
	sig.Brightness = (sig.Brightness*l.entry.Brightness + 50) / 100
	switch sig.Effect {
	case mapping.Keep:
		return devices.State{}, sig, true
	case mapping.Off:
		return devices.State{Effect: devices.Off}, sig, false
	}
	if c.R == 0 && c.G == 0 && c.B == 0 {
		// Brightness 0 or a black colour: dark, without rendering frames
		// of black.
		return devices.State{Effect: devices.Off}, sig, false
	}
	e := devices.Solid
	switch sig.Effect {
	case mapping.Blink:
		e = devices.Blink
	case mapping.Pulse:
		e = devices.Pulse
	}
	return devices.State{Color: c, Effect: e}, sig, false
}

// lightColor returns the colour a light emits: the signal's colour scaled by
// the rule's brightness (Signal.Scaled) and by the light's own brightness
// (percent). Both factors are applied in one rounding step.
func lightColor(sig mapping.Signal, brightness int) color.NRGBA {
	if brightness >= 100 {
		return sig.Scaled()
	}
	if sig.Effect == mapping.Off {
		return color.NRGBA{A: 0xff}
	}
	rb := max(0, min(100, sig.Brightness))
	lb := max(0, brightness)
	f := func(v uint8) uint8 { return uint8((int(v)*rb*lb + 5000) / 10000) }
	return color.NRGBA{R: f(sig.Color.R), G: f(sig.Color.G), B: f(sig.Color.B), A: 0xff}
}

// readInput asks the light for a button event, without waiting.
func (l *light) readInput() error {
	in, err := l.dev.ReadInput(0)
	if err != nil {
		return err
	}
	if in.Button == devices.ButtonNone {
		return nil
	}
	l.o.log.Debug("light button", l.o.attrs(l.rec, "button", in.Button.String())...)
	if in.Button == devices.ButtonDown && l.o.press != nil {
		l.o.press(l.rec.name)
	}
	return nil
}

// exit runs the light's exit action (off, unless the entry says keep) on a
// context that outlives ctx by at most output.ExitTimeout.
func (l *light) exit(ctx context.Context) {
	if !l.entry.ExitOff {
		return
	}
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), output.ExitTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- l.dev.Set(devices.State{Effect: devices.Off}) }()
	var err error
	select {
	case err = <-done:
	case <-xctx.Done():
		// A USB write has its own timeout in the HID library; say that
		// this one is slow, then wait for it so that no goroutine
		// outlives Run.
		l.o.log.Warn("light is slow to turn off", l.o.attrs(l.rec, "timeout", output.ExitTimeout)...)
		err = <-done
	}
	if err != nil {
		l.o.log.Warn("cannot turn light off", l.o.attrs(l.rec, "err", err)...)
		return
	}
	l.o.setSignal(l.rec, "off (onair stopped)")
}

// renderer drives one device: the state it shows, the software frames of an
// effect the light cannot do by itself, and the keep-alive of a light that
// needs one. It is used by one goroutine.
type renderer struct {
	dev       *devices.Device
	cur       devices.State
	have      bool // cur has been shown
	start     time.Time
	ticker    *time.Ticker // frames; nil unless rendering in software
	keepTimer *time.Timer  // nil until the first write, or without keep-alive
}

func newRenderer(dev *devices.Device) *renderer { return &renderer{dev: dev} }

// set shows s and starts or stops software frames as s needs.
func (r *renderer) set(s devices.State) error {
	if err := r.dev.Set(s); err != nil {
		return err
	}
	r.cur, r.have, r.start = s, true, time.Now()
	if r.dev.HardwareEffect(s.Effect) {
		r.pause()
	} else if r.ticker == nil {
		r.ticker = time.NewTicker(devices.FrameInterval)
	} else {
		r.ticker.Reset(devices.FrameInterval)
	}
	r.wrote()
	return nil
}

// pause stops software frames.
func (r *renderer) pause() {
	if r.ticker != nil {
		r.ticker.Stop()
		r.ticker = nil
	}
}

// stop stops every timer.
func (r *renderer) stop() {
	r.pause()
	if r.keepTimer != nil {
		r.keepTimer.Stop()
	}
}

// frame shows the software effect's frame at now.
func (r *renderer) frame(now time.Time) error {
	if err := r.dev.Frame(r.cur.At(now.Sub(r.start))); err != nil {
		return err
	}
	r.wrote()
	return nil
}

func (r *renderer) keepAlive() error {
	if err := r.dev.KeepAlive(); err != nil {
		return err
	}
	r.wrote()
	return nil
}

// wrote restarts the keep-alive countdown: any report keeps a Kuando lit,
// so a keep-alive is due only after KeepAlivePeriod without one.
func (r *renderer) wrote() {
	p := r.dev.KeepAlivePeriod()
	switch {
	case p <= 0:
	case r.keepTimer == nil:
		r.keepTimer = time.NewTimer(p)
	default:
		r.keepTimer.Reset(p)
	}
}

func (r *renderer) frames() <-chan time.Time {
	if r.ticker == nil {
		return nil
	}
	return r.ticker.C
}

func (r *renderer) keepAlives() <-chan time.Time {
	if r.keepTimer == nil {
		return nil
	}
	return r.keepTimer.C
}

// Show makes dev show s for d: it sets s, renders the frames of an
// effect the light cannot do by itself and sends keep-alives as the light
// needs, until d has passed or ctx is done. It leaves the light showing s.
// `onair lights test` uses it; with d ≤ 0 it only sets s.
func Show(ctx context.Context, dev *devices.Device, s devices.State, d time.Duration) error {
	if dev == nil {
		return errors.New("show light: no device")
	}
	r := newRenderer(dev)
	defer r.stop()
	if err := r.set(s); err != nil {
		return fmt.Errorf("show %s: %w", s.Effect, err)
	}
	if d <= 0 {
		return nil
	}
	end := time.NewTimer(d)
	defer end.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-end.C:
			return nil
		case now := <-r.frames():
			err = r.frame(now)
		case <-r.keepAlives():
			err = r.keepAlive()
		}
		if err != nil {
			return err
		}
	}
}
