package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/daemon/output/lights"
	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
	"github.com/onair-dev/onair/devices/hid"
	"github.com/onair-dev/onair/devices/hotplug"
	"github.com/onair-dev/onair/mapping"
)

// Lights the tests plug in. Paths are libusb-style; the fake backend does
// not care.
var (
	kuandoOmega = devices.Info{VID: 0x27BB, PID: 0x3BCD, Product: "BUSYLIGHT OMEGA", Serial: "K1", Interface: 0, Path: "1-1:1.0", Bus: devices.HID}
	luxaforFlag = devices.Info{VID: 0x04D8, PID: 0xF372, Product: "LUXAFOR FLAG", Serial: "L1", Interface: 0, Path: "1-2:1.0", Bus: devices.HID}
	luxaforMute = devices.Info{VID: 0x04D8, PID: 0xF372, Product: "LUXAFOR MUTE", Interface: 0, Path: "1-3:1.0", Bus: devices.HID}
	blynclight  = devices.Info{VID: 0x2C0D, PID: 0x0001, Product: "Blynclight", Interface: 0, Path: "1-4:1.0", Bus: devices.HID}
	eposUI20    = devices.Info{VID: 0x1395, PID: 0x0074, Product: "EPOS UI 20 BL", Interface: 3, Path: "1-5:1.3", Bus: devices.HID}
	kuandoBoot  = devices.Info{VID: 0x27BB, PID: 0x3BC0, Product: "BUSYLIGHT BOOTLOADER", Interface: 0, Path: "1-6:1.0", Bus: devices.HID}
	mouse       = devices.Info{VID: 0x046D, PID: 0xC077, Product: "USB Optical Mouse", Interface: 0, Path: "1-7:1.0", Bus: devices.HID}
)

// fakeUSB is a lights.Backend whose bus the test controls. Every path has a
// fakeLight that outlives opens, like the physical light.
type fakeUSB struct {
	mu      sync.Mutex
	goos    string
	infos   []devices.Info
	openErr map[string]error // by path
	lights  map[string]*fakeLight
	enums   []time.Time
	opens   int
	// hp tells the lights output about plug-ins and pull-outs, as the
	// kernel's uevents do.
	hp hotplug.Fake
}

var (
	_ lights.Backend    = (*fakeUSB)(nil)
	_ devices.Transport = (*fakeTransport)(nil)
)

func newFakeUSB(infos ...devices.Info) *fakeUSB {
	return &fakeUSB{infos: infos, openErr: map[string]error{}, lights: map[string]*fakeLight{}}
}

func (f *fakeUSB) GOOS() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.goos == "" {
		return "linux"
	}
	return f.goos
}

func (f *fakeUSB) Enumerate() ([]devices.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enums = append(f.enums, time.Now())
	return append([]devices.Info(nil), f.infos...), nil
}

func (f *fakeUSB) Open(info devices.Info) (devices.Transport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens++
	if err := f.openErr[info.Path]; err != nil {
		return nil, err
	}
	l := f.lightLocked(info.Path)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.opens++
	return &fakeTransport{l: l, gen: l.gen}, nil
}

func (f *fakeUSB) lightLocked(path string) *fakeLight {
	l := f.lights[path]
	if l == nil {
		l = &fakeLight{}
		f.lights[path] = l
	}
	return l
}

// light returns the fake light at path (created if never opened).
func (f *fakeUSB) light(path string) *fakeLight {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lightLocked(path)
}

func (f *fakeUSB) plug(info devices.Info) {
	f.mu.Lock()
	f.infos = append(f.infos, info)
	f.mu.Unlock()
	f.event(hotplug.Add, info)
}

func (f *fakeUSB) unplug(path string) {
	f.mu.Lock()
	var gone *devices.Info
	for i, info := range f.infos {
		if info.Path == path {
			gone = &info
			f.infos = append(f.infos[:i], f.infos[i+1:]...)
			break
		}
	}
	f.mu.Unlock()
	if gone != nil {
		f.event(hotplug.Remove, *gone)
	}
}

// replug pulls the light at info.Path out and plugs it back at the same
// path between two enumerations: its old handles fail from now on, and the
// kernel says so with a remove and an add.
func (f *fakeUSB) replug(info devices.Info) {
	f.light(info.Path).replug()
	f.event(hotplug.Remove, info)
	f.event(hotplug.Add, info)
}

// event sends a hot-plug event for info, if the lights output watches.
func (f *fakeUSB) event(a hotplug.Action, info devices.Info) {
	_ = f.hp.Send(hotplug.Event{Action: a, Subsystem: "usb", HasID: true, VID: info.VID, PID: info.PID, Path: info.Path})
}

func (f *fakeUSB) setOpenErr(path string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.openErr[path] = err
}

func (f *fakeUSB) enumTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.enums...)
}

func (f *fakeUSB) openCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opens
}

// fakeLight is one physical light: every op written to it with its time,
// how often it was opened and closed, a switch that makes writes fail and
// queued input reports.
type fakeLight struct {
	mu            sync.Mutex
	ops           []timedOp
	fail          error
	reads         [][]byte
	opens, closes int
	written       chan struct{} // if set, gets a value per op (benchmarks)
	// gen counts re-plugs: a handle opened before one is dead, as a real
	// USB handle is once its device went away, even if it came back.
	gen int
}

// replug pulls the light out and plugs it back at the same path between
// two enumerations: old handles fail from now on.
func (l *fakeLight) replug() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gen++
}

var errNoDevice = errors.New("no such device (it may have been disconnected)")

type timedOp struct {
	at time.Time
	op devicestest.Op
}

func (l *fakeLight) add(k devicestest.Kind, p []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	l.ops = append(l.ops, timedOp{time.Now(), devicestest.Op{Kind: k, Data: bytes.Clone(p)}})
	if l.written != nil {
		l.written <- struct{}{}
	}
	return nil
}

func (l *fakeLight) setFail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

func (l *fakeLight) press(report []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads = append(l.reads, report)
}

func (l *fakeLight) timed() []timedOp {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]timedOp(nil), l.ops...)
}

func (l *fakeLight) writes() []devicestest.Op {
	var ops []devicestest.Op
	for _, t := range l.timed() {
		ops = append(ops, t.op)
	}
	return ops
}

func (l *fakeLight) openClose() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.opens, l.closes
}

// fakeTransport is one open handle of a fakeLight.
type fakeTransport struct {
	l      *fakeLight
	gen    int
	mu     sync.Mutex
	closed bool
}

var errFakeClosed = errors.New("fake transport closed")

func (t *fakeTransport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

func (t *fakeTransport) gone() bool {
	t.l.mu.Lock()
	defer t.l.mu.Unlock()
	return t.gen != t.l.gen
}

func (t *fakeTransport) Write(p []byte) (int, error) {
	if t.isClosed() {
		return 0, errFakeClosed
	}
	if t.gone() {
		return 0, errNoDevice
	}
	if err := t.l.add(devicestest.Write, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (t *fakeTransport) SendFeatureReport(p []byte) (int, error) {
	if t.isClosed() {
		return 0, errFakeClosed
	}
	if t.gone() {
		return 0, errNoDevice
	}
	if err := t.l.add(devicestest.Feature, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (t *fakeTransport) ReadTimeout(p []byte, _ time.Duration) (int, error) {
	if t.isClosed() {
		return 0, errFakeClosed
	}
	if t.gone() {
		return 0, errNoDevice
	}
	t.l.mu.Lock()
	defer t.l.mu.Unlock()
	if len(t.l.reads) == 0 {
		return 0, nil
	}
	n := copy(p, t.l.reads[0])
	t.l.reads = t.l.reads[1:]
	return n, nil
}

func (t *fakeTransport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.closed = true
		t.l.mu.Lock()
		t.l.closes++
		t.l.mu.Unlock()
	}
	return nil
}

// want returns the reports the driver encoders produce for what f does to
// a light like info: the expected bytes come from package devices, never
// from hand-copied values.
func want(t testing.TB, info devices.Info, f func(d *devices.Device) error) []devicestest.Op {
	t.Helper()
	rec := &devicestest.Record{}
	d, err := devices.Open(info, rec, &devices.Options{GOOS: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f(d); err != nil {
		t.Fatal(err)
	}
	return rec.Ops()
}

func set(s devices.State) func(d *devices.Device) error {
	return func(d *devices.Device) error { return d.Set(s) }
}

func solid(c mapping.Color) devices.State { return devices.State{Color: c.NRGBA()} }

var stateOff = devices.State{Effect: devices.Off}

func sameOps(a, b []devicestest.Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Kind != b[i].Kind || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

func opsString(ops []devicestest.Op) string {
	var b strings.Builder
	for _, op := range ops {
		fmt.Fprintf(&b, "\n  %s", op)
	}
	return b.String()
}

// startLights runs a daemon with src, the fake USB bus and no other output
// inside the current synctest bubble. It returns the daemon, its logs and a
// stop function that cancels it and waits for Run.
func startLights(t *testing.T, cfg string, src presenceSource, usb *fakeUSB, level slog.Level) (*Daemon, *syncBuffer, func()) {
	t.Helper()
	return startLightsWith(t, cfg, src, usb, level)
}

func startLightsWith(t *testing.T, cfg string, src presenceSource, usb lights.Backend, level slog.Level) (*Daemon, *syncBuffer, func()) {
	t.Helper()
	c, err := config.Parse([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	opts := Options{Config: c, NoControl: true, Logger: log, source: src, lights: usb}
	if f, ok := usb.(*fakeUSB); ok {
		opts.lightsOpts = func(o *lights.Options) { o.Watch = f.hp.Watch }
	}
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stopped := false
	return d, logs, func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func busy() *scriptSource {
	src := &scriptSource{}
	src.set(mapping.AvailabilityBusy, mapping.ActivityInAMeeting)
	return src
}

// lightStatus returns the status of the light named name.
func lightStatus(d *Daemon, name string) (output.Status, bool) {
	for _, s := range d.Outputs() {
		if s.Name == name {
			return s, true
		}
	}
	return output.Status{}, false
}

func TestLightsHotPlug(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB()
		src := busy()
		d, logs, stop := startLights(t, "version: 1\n", src, usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()
		red := want(t, luxaforFlag, set(solid(mapping.Red)))

		// Appears half-way through what used to be an enumeration period.
		time.Sleep(500 * time.Millisecond)
		usb.plug(luxaforFlag)
		plugged := time.Now()
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()
		l := usb.light(luxaforFlag.Path)
		got := l.timed()
		if len(got) != 1 || !sameOps([]devicestest.Op{got[0].op}, red) {
			t.Fatalf("after plug-in: %d ops%s\nwant%s", len(got), opsString(l.writes()), opsString(red))
		}
		// The hot-plug event is the cue: the light shows the signal once
		// the burst of events has settled, not at the next scan.
		if lat := got[0].at.Sub(plugged); lat > hotplug.Settle {
			t.Errorf("plug-in to write %v, want within the settle time %v", lat, hotplug.Settle)
		}
		if at := lastBefore(usb.enumTimes(), got[0].at); !got[0].at.Equal(at) {
			t.Errorf("write at %v, %v after the enumeration that found the light; want at once", got[0].at, got[0].at.Sub(at))
		}
		t.Logf("plug-in → write %v (enumeration → write %v)", got[0].at.Sub(plugged), got[0].at.Sub(lastBefore(usb.enumTimes(), got[0].at)))
		if st, ok := lightStatus(d, "Luxafor Flag"); !ok || st.State != "connected" || st.Signal != "#ff0000 100% solid" || !strings.Contains(st.Detail, "1-2:1.0") {
			t.Errorf("status = %+v, want connected, red, with the path", d.Outputs())
		}

		// Disappears: the light is closed and leaves the status.
		usb.unplug(luxaforFlag.Path)
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()
		if o, c := l.openClose(); o != 1 || c != 1 {
			t.Errorf("after unplug: opened %d, closed %d; want 1, 1", o, c)
		}
		if _, ok := lightStatus(d, "Luxafor Flag"); ok {
			t.Errorf("unplugged light still in status: %+v", d.Outputs())
		}
		if n := len(l.timed()); n != 1 {
			t.Errorf("unplugged light written to: %s", opsString(l.writes()))
		}

		// Reappears: the current signal is written again within one period.
		time.Sleep(300 * time.Millisecond)
		usb.plug(luxaforFlag)
		replugged := time.Now()
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()
		got = l.timed()
		if len(got) != 2 || !sameOps([]devicestest.Op{got[1].op}, red) {
			t.Fatalf("after re-plug: ops%s\nwant the signal again%s", opsString(l.writes()), opsString(red))
		}
		if lat := got[1].at.Sub(replugged); lat > hotplug.Settle {
			t.Errorf("re-plug to write %v, want ≤ %v", lat, hotplug.Settle)
		}
		logText := logs.String()
		for msg, n := range map[string]int{"light connected": 2, "light disconnected": 1} {
			if c := strings.Count(logText, "msg=\""+msg+"\""); c != n {
				t.Errorf("%q logged %d times, want %d:\n%s", msg, c, n, logText)
			}
		}
		stop()
		if o, c := l.openClose(); o != 2 || c != 2 {
			t.Errorf("after stop: opened %d, closed %d", o, c)
		}
	})
}

func lastBefore(ts []time.Time, at time.Time) time.Time {
	var last time.Time
	for _, t := range ts {
		if !t.After(at) {
			last = t
		}
	}
	return last
}

// TestLightsQuickReplugBetweenEnumerations: a light pulled out and plugged
// back at the same path between two enumerations is never missing from a
// list, so only its dead handle tells. The probe notices it and the
// current signal is back within a second, not at the next keep-alive (the
// USB/IP bench caught this: 5.8 s).
func TestLightsQuickReplugBetweenEnumerations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega, luxaforMute)
		src := busy()
		_, _, stop := startLights(t, "version: 1\n", src, usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()
		red := want(t, kuandoOmega, set(solid(mapping.Red)))
		k := usb.light(kuandoOmega.Path)
		if got := k.writes(); !sameOps(got, red) {
			t.Fatalf("first signal:%s\nwant%s", opsString(got), opsString(red))
		}

		time.Sleep(lights.EnumerateInterval / 4)
		usb.replug(kuandoOmega)
		replugged := time.Now()
		time.Sleep(time.Second)
		synctest.Wait()
		got := k.timed()
		if len(got) != 2 || !sameOps([]devicestest.Op{got[1].op}, red) {
			t.Fatalf("after a quick re-plug: ops%s\nwant the signal again", opsString(k.writes()))
		}
		lat := got[1].at.Sub(replugged)
		if lat > lights.ProbeInterval+lights.MinRescanGap {
			t.Errorf("re-plug → signal %v, want ≤ %v", lat, lights.ProbeInterval+lights.MinRescanGap)
		}
		t.Logf("quick re-plug → signal re-written after %v", lat)
		if o, c := k.openClose(); o != 2 || c != 1 {
			t.Errorf("opened %d, closed %d; want 2, 1", o, c)
		}
		// The Luxafor Mute has a button: it is read, not probed, and was
		// left alone.
		if o, _ := usb.light(luxaforMute.Path).openClose(); o != 1 {
			t.Errorf("Luxafor Mute opened %d times, want 1", o)
		}
	})
}

// watchingUSB is a fakeUSB that, like the real backend on Linux, can tell
// whether the bus changed since the last enumeration.
type watchingUSB struct {
	*fakeUSB
	dirty atomic.Bool
}

func (w *watchingUSB) Enumerate() ([]devices.Info, error) {
	w.dirty.Store(false)
	return w.fakeUSB.Enumerate()
}

func (w *watchingUSB) Changed() bool { return w.dirty.Load() }

func (w *watchingUSB) plug(info devices.Info) {
	w.fakeUSB.plug(info)
	w.dirty.Store(true)
}

// TestLightsScanOnlyWhenTheBusChanged: with a backend that can tell, the
// periodic scan is skipped while nothing changed, yet a light that could
// not be opened is still retried every period.
func TestLightsScanOnlyWhenTheBusChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := &watchingUSB{fakeUSB: newFakeUSB(kuandoOmega)}
		_, _, stop := startLightsWith(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()
		time.Sleep(10 * lights.EnumerateInterval)
		synctest.Wait()
		if n := len(usb.enumTimes()); n != 1 {
			t.Fatalf("%d enumerations in 10 periods with an unchanged bus, want 1 (at start)", n)
		}

		usb.setOpenErr(luxaforFlag.Path, hid.ErrPermission)
		usb.plug(luxaforFlag)
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()
		if n := len(usb.enumTimes()); n != 2 {
			t.Fatalf("%d enumerations after a plug-in, want 2", n)
		}
		// The Luxafor could not be opened: retried every period although
		// the bus stays the same, and opened once the rule is in place.
		time.Sleep(3 * lights.EnumerateInterval)
		synctest.Wait()
		if n := len(usb.enumTimes()); n != 5 {
			t.Fatalf("%d enumerations while a light waits for permission, want 5", n)
		}
		usb.setOpenErr(luxaforFlag.Path, nil)
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()
		if o, _ := usb.light(luxaforFlag.Path).openClose(); o != 1 {
			t.Fatalf("Luxafor opened %d times after the permission fix, want 1", o)
		}
		before := len(usb.enumTimes())
		time.Sleep(5 * lights.EnumerateInterval)
		synctest.Wait()
		if n := len(usb.enumTimes()) - before; n != 0 {
			t.Errorf("%d enumerations once every light is open and the bus is quiet, want 0", n)
		}
	})
}

func TestLightsKeepAliveCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega, luxaforFlag)
		_, _, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		t0 := time.Now()
		time.Sleep(60 * time.Second)
		synctest.Wait()

		setRed := want(t, kuandoOmega, set(solid(mapping.Red)))
		keepAlive := want(t, kuandoOmega, (*devices.Device).KeepAlive)
		k := usb.light(kuandoOmega.Path).timed()
		if len(k) == 0 || !sameOps([]devicestest.Op{k[0].op}, setRed) || !k[0].at.Equal(t0) {
			t.Fatalf("kuando: first op %v, want the red set at start", k)
		}
		alives := 0
		prev := t0
		for i, op := range k[1:] {
			if !sameOps([]devicestest.Op{op.op}, keepAlive) {
				t.Errorf("kuando op %d = %s, want keep-alive %s", i+1, op.op, keepAlive[0])
			}
			if gap := op.at.Sub(prev); gap > 10*time.Second {
				t.Errorf("kuando: %v without a report before op %d; want ≤ 10s", gap, i+1)
			}
			prev = op.at
			alives++
		}
		if end := time.Since(prev); end > 10*time.Second {
			t.Errorf("kuando: silent for the last %v", end)
		}
		if alives != 6 {
			t.Errorf("kuando: %d keep-alives in 60 s, want 6 (every 10 s)", alives)
		}

		// Luxafor needs none: exactly one write for one presence.
		if lux := usb.light(luxaforFlag.Path).writes(); !sameOps(lux, want(t, luxaforFlag, set(solid(mapping.Red)))) {
			t.Errorf("luxafor: ops in 60 s:%s\nwant the one red set", opsString(lux))
		}
	})
}

func TestLightsSoftwareBlinkAndHardwareEffects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(luxaforFlag, blynclight, kuandoOmega)
		d, _, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()
		red := mapping.Red
		if err := d.SetOverride(output.Override{Color: &red, Effect: mapping.Blink}, 0); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		start := time.Now()
		time.Sleep(2 * time.Second)
		synctest.Wait()

		// Luxafor: no hardware blink, so frames from State.At at 20 fps.
		blink := devices.State{Color: red.NRGBA(), Effect: devices.Blink}
		lux := usb.light(luxaforFlag.Path).timed()[1:] // after the solid red of the presence
		var frames int
		for i, op := range lux {
			if op.at.Before(start) {
				t.Fatalf("luxafor op %d before the override", i)
			}
			elapsed := op.at.Sub(start)
			w := want(t, luxaforFlag, func(d *devices.Device) error { return d.Frame(blink.At(elapsed)) })
			if !sameOps([]devicestest.Op{op.op}, w) {
				t.Errorf("luxafor frame at %v = %s, want %s", elapsed, op.op, w[0])
			}
			if i > 0 {
				frames++
			}
		}
		fps := float64(frames) / 2
		t.Logf("software blink: %d frames in 2 s = %.1f frames/s", frames, fps)
		if fps < 20 {
			t.Errorf("software blink at %.1f frames/s, want ≥ 20", fps)
		}
		offFrame := want(t, luxaforFlag, set(stateOff))
		dark := 0
		for _, op := range lux {
			if sameOps([]devicestest.Op{op.op}, offFrame) {
				dark++
			}
		}
		if dark != 20 {
			t.Errorf("%d dark frames in 2 s of a 1 s blink, want 20 (half)", dark)
		}

		// Embrava and Kuando blink in hardware: one report, no frames.
		for _, info := range []devices.Info{blynclight, kuandoOmega} {
			ops := usb.light(info.Path).writes()
			w := want(t, info, set(blink))
			if len(ops) != 2 || !sameOps(ops[1:], w) {
				t.Errorf("%s: ops after the override:%s\nwant one hardware blink%s", info.Product, opsString(ops[1:]), opsString(w))
			}
		}
	})
}

func TestLightsPulseInHardwareOnKuando(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega)
		src := &scriptSource{}
		src.set(mapping.AvailabilityBusy, mapping.ActivityPresenting)
		_, _, stop := startLights(t, "version: 1\n", src, usb, slog.LevelInfo)
		defer stop()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		pulse := want(t, kuandoOmega, set(devices.State{Color: mapping.Red.NRGBA(), Effect: devices.Pulse}))
		if ops := usb.light(kuandoOmega.Path).writes(); !sameOps(ops, pulse) {
			t.Errorf("ops in 5 s:%s\nwant one hardware pulse%s", opsString(ops), opsString(pulse))
		}
	})
}

func TestLightsWriteErrorClosesAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(luxaforFlag)
		src := busy()
		d, logs, stop := startLights(t, "version: 1\n", src, usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()
		l := usb.light(luxaforFlag.Path)

		l.setFail(errors.New("hidapi: write failed"))
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		time.Sleep(config.DefaultInterval + config.DefaultInterval/10)
		synctest.Wait()
		if o, c := l.openClose(); o != c {
			t.Fatalf("after a write error: opened %d, closed %d; want it closed", o, c)
		}
		st, _ := lightStatus(d, "Luxafor Flag")
		if st.State != "error" || !strings.Contains(st.Detail, "write failed") {
			t.Errorf("status = %+v, want error with the write error", st)
		}
		// Still broken for a few enumerations: reopened each time, logged once.
		time.Sleep(3 * lights.EnumerateInterval)
		synctest.Wait()
		if n := strings.Count(logs.String(), `msg="light failed; closed until it is found again"`); n != 1 {
			t.Errorf("failure logged %d times, want once:\n%s", n, logs.String())
		}

		l.setFail(nil)
		fixed := time.Now()
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()
		got := l.timed()
		green := want(t, luxaforFlag, set(solid(mapping.Green)))
		if len(got) < 2 || !sameOps([]devicestest.Op{got[len(got)-1].op}, green) {
			t.Fatalf("after recovery: ops%s\nwant green%s", opsString(l.writes()), opsString(green))
		}
		if lat := got[len(got)-1].at.Sub(fixed); lat > lights.EnumerateInterval {
			t.Errorf("recovered after %v, want within %v", lat, lights.EnumerateInterval)
		}
		if st, _ := lightStatus(d, "Luxafor Flag"); st.State != "connected" || st.Signal != "#00ff00 100% solid" {
			t.Errorf("status after recovery = %+v", st)
		}
		if o, c := l.openClose(); o != c+1 {
			t.Errorf("opened %d, closed %d: want exactly one open handle", o, c)
		}
	})
}

const twoUsersConfig = `version: 1
graph:
  users:
    - id: Bob@example.com
lights:
  - name: mine
    vendor: kuando
    brightness: 50
  - name: bobs
    vendor: LUXAFOR
    model: flag
    user: bob@example.com
    brightness: 80
    rules:
      - availability: [Busy]
        color: "#0000ff"
        brightness: 50
`

func TestLightsFollowDifferentUsers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega, luxaforFlag, luxaforMute)
		src := &scriptSource{ps: []mapping.Presence{
			{User: config.Me, Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityAvailable},
			{User: "Bob@example.com", Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy},
		}}
		d, _, stop := startLights(t, twoUsersConfig, src, usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()

		// Kuando: my green at 50 %.
		k := want(t, kuandoOmega, set(devices.State{Color: color.NRGBA{0, 128, 0, 0xff}}))
		if ops := usb.light(kuandoOmega.Path).writes(); !sameOps(ops, k) {
			t.Errorf("kuando:%s\nwant%s", opsString(ops), opsString(k))
		}
		// Luxafor Flag: Bob's own rule, blue at 50 % of 80 % = 40 %.
		l := want(t, luxaforFlag, set(devices.State{Color: color.NRGBA{0, 0, 102, 0xff}}))
		if ops := usb.light(luxaforFlag.Path).writes(); !sameOps(ops, l) {
			t.Errorf("luxafor:%s\nwant%s", opsString(ops), opsString(l))
		}
		// The Mute matches no entry (model flag): not opened.
		if o, _ := usb.light(luxaforMute.Path).openClose(); o != 0 {
			t.Errorf("unmatched light opened %d times", o)
		}
		want := map[string]string{"mine": "connected #00ff00 50% solid", "bobs": "connected #0000ff 40% solid", "Luxafor Mute": "ignored "}
		for name, w := range want {
			st, ok := lightStatus(d, name)
			if got := st.State + " " + st.Signal; !ok || got != w {
				t.Errorf("status of %s = %q, want %q (all: %+v)", name, got, w, d.Outputs())
			}
		}
	})
}

func TestLightsExitAction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega, luxaforFlag)
		cfg := "version: 1\nlights:\n  - vendor: kuando\n  - vendor: luxafor\n    exit_action: keep\n"
		_, _, stop := startLights(t, cfg, busy(), usb, slog.LevelInfo)
		synctest.Wait()
		stop()
		k := usb.light(kuandoOmega.Path).writes()
		w := append(want(t, kuandoOmega, set(solid(mapping.Red))), want(t, kuandoOmega, set(stateOff))...)
		if !sameOps(k, w) {
			t.Errorf("kuando (exit off):%s\nwant red then off%s", opsString(k), opsString(w))
		}
		l := usb.light(luxaforFlag.Path).writes()
		if w := want(t, luxaforFlag, set(solid(mapping.Red))); !sameOps(l, w) {
			t.Errorf("luxafor (exit keep):%s\nwant red only%s", opsString(l), opsString(w))
		}
		for _, p := range []string{kuandoOmega.Path, luxaforFlag.Path} {
			if o, c := usb.light(p).openClose(); o != 1 || c != 1 {
				t.Errorf("%s: opened %d, closed %d after Run returned", p, o, c)
			}
		}
	})
}

func TestLightsKeepEffectLeavesLightAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega, luxaforFlag)
		cfg := "version: 1\nmapping:\n  rules:\n    - availability: [Busy]\n      effect: keep\n"
		d, _, stop := startLights(t, cfg, busy(), usb, slog.LevelInfo)
		time.Sleep(30 * time.Second)
		synctest.Wait()
		stop()
		for _, p := range []string{kuandoOmega.Path, luxaforFlag.Path} {
			if ops := usb.light(p).writes(); len(ops) != 0 {
				t.Errorf("%s written while keep, and on exit:%s", p, opsString(ops))
			}
		}
		if st, _ := lightStatus(d, "Kuando Busylight Omega"); st.Signal != "keep" {
			t.Errorf("status = %+v, want signal keep", st)
		}
	})
}

func TestLightsResendAfterResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(luxaforFlag)
		d, _, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		time.Sleep(time.Second)
		synctest.Wait()
		enums := len(usb.enumTimes())
		// What the loop does when it sees the wall clock jump.
		d.mu.Lock()
		d.resend = true
		d.mu.Unlock()
		d.poke()
		synctest.Wait()
		red := want(t, luxaforFlag, set(solid(mapping.Red)))
		if ops := usb.light(luxaforFlag.Path).writes(); !sameOps(ops, append(red, red...)) {
			t.Errorf("ops:%s\nwant red, then red again after the resume", opsString(ops))
		}
		if n := len(usb.enumTimes()); n != enums+1 {
			t.Errorf("%d enumerations at resume, want 1", n-enums)
		}
	})
}

func TestLightsUnsupportedListedWithReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoBoot, eposUI20, mouse, luxaforFlag)
		usb.goos = "windows"
		d, logs, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		time.Sleep(3 * lights.EnumerateInterval)
		synctest.Wait()
		if n := usb.openCount(); n != 1 {
			t.Errorf("%d opens, want 1 (the Luxafor only)", n)
		}
		for name, why := range map[string]string{
			"Kuando Busylight bootloader": "bootloader",
			"EPOS UI 20 BL USB busylight": "windows",
		} {
			st, ok := lightStatus(d, name)
			if !ok || st.State != "unsupported" || !strings.Contains(st.Detail, why) || !strings.Contains(st.Detail, "unsupported") {
				t.Errorf("status of %s = %+v, want unsupported naming %q (all: %+v)", name, st, why, d.Outputs())
			}
		}
		if n := strings.Count(logs.String(), `msg="light not supported"`); n != 2 {
			t.Errorf("'light not supported' logged %d times in 3 enumerations, want 2 (once per light)", n)
		}
		for _, s := range d.Outputs() {
			if strings.Contains(s.Detail, "046D") {
				t.Errorf("non-light in status: %+v", s)
			}
		}
	})
}

func TestLightsPermissionDeniedShowsRemedyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega)
		usb.setOpenErr(kuandoOmega.Path, &hid.OpenError{Info: kuandoOmega, Driver: &devices.Kuando, GOOS: "linux", Node: "/dev/bus/usb/001/004", Err: hid.ErrPermission})
		d, logs, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		st, _ := lightStatus(d, "Kuando Busylight Omega")
		if st.State != "error" || !strings.Contains(st.Detail, "permission denied") || !strings.Contains(st.Detail, "udevadm control --reload") {
			t.Errorf("status = %+v, want the permission error with the udev remedy", st)
		}
		if n := usb.openCount(); n < 5 {
			t.Errorf("%d open attempts in 10 s, want one per enumeration", n)
		}
		logText := logs.String()
		if n := strings.Count(logText, `msg="cannot open light"`); n != 1 {
			t.Errorf("open failure logged %d times in 10 s, want once:\n%s", n, logText)
		}
		if !strings.Contains(logText, "level=WARN") || !strings.Contains(logText, "udevadm trigger") {
			t.Errorf("log lacks a WARN with the remedy:\n%s", logText)
		}

		// The user installs the rule: the next enumeration opens the light.
		usb.setOpenErr(kuandoOmega.Path, nil)
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()
		if ops := usb.light(kuandoOmega.Path).writes(); !sameOps(ops, want(t, kuandoOmega, set(solid(mapping.Red)))) {
			t.Errorf("after the fix:%s", opsString(ops))
		}
	})
}

func TestLightsInUseOnMacOSNamesApp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(luxaforFlag)
		usb.goos = "darwin"
		usb.setOpenErr(luxaforFlag.Path, &hid.OpenError{Info: luxaforFlag, Driver: &devices.Luxafor, GOOS: "darwin", Err: fmt.Errorf("%w (hidapi: failed to open device)", hid.ErrInUse)})
		d, _, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()
		st, _ := lightStatus(d, "Luxafor Flag")
		if st.State != "error" || !strings.Contains(st.Detail, "quit Luxafor app") {
			t.Errorf("status = %+v, want the in-use error naming the Luxafor app", st)
		}
	})
}

func TestLightsNoLightLoggedOnceKeepsLooking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB()
		d, logs, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		const msg = `msg="no USB light found; still looking"`
		if n := strings.Count(logs.String(), msg); n != 1 {
			t.Errorf("logged %d times in 10 s, want once:\n%s", n, logs.String())
		}
		if !strings.Contains(logs.String(), "level=INFO "+msg) {
			t.Errorf("not logged at INFO:\n%s", logs.String())
		}
		if n := len(usb.enumTimes()); n != 1 {
			t.Errorf("%d enumerations in 10 s without a USB event, want 1 (at start)", n)
		}
		if st, ok := lightStatus(d, "usb"); !ok || st.State != "searching" {
			t.Errorf("status = %+v, want searching", d.Outputs())
		}
		usb.plug(kuandoOmega)
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()
		if _, ok := lightStatus(d, "usb"); ok {
			t.Errorf("searching note stays with a light attached: %+v", d.Outputs())
		}
		usb.unplug(kuandoOmega.Path)
		time.Sleep(2 * lights.EnumerateInterval)
		synctest.Wait()
		if n := strings.Count(logs.String(), msg); n != 2 {
			t.Errorf("logged %d times after the light went away again, want 2", n)
		}
	})
}

func TestLightsDisabledEntryIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega, luxaforFlag)
		cfg := "version: 1\nlights:\n  - name: off\n    vendor: kuando\n    disabled: true\n  - name: all\n"
		d, _, stop := startLights(t, cfg, busy(), usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()
		if o, _ := usb.light(kuandoOmega.Path).openClose(); o != 0 {
			t.Errorf("disabled light opened")
		}
		if st, _ := lightStatus(d, "off"); st.State != "disabled" {
			t.Errorf("status = %+v", d.Outputs())
		}
		if st, _ := lightStatus(d, "all"); st.State != "connected" {
			t.Errorf("status = %+v", d.Outputs())
		}
	})
}

func TestLightsButtonTogglesPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(luxaforMute)
		d, _, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()
		l := usb.light(luxaforMute.Path)
		l.press([]byte{0x83, 0x00, 0, 0, 0, 0, 0, 0}) // button down (devices/PROTOCOLS.md#luxafor-input)
		l.press([]byte{0x83, 0x01, 0, 0, 0, 0, 0, 0}) // button up
		time.Sleep(time.Second)
		synctest.Wait()
		if !d.Snapshot().Paused {
			t.Fatal("a press did not pause")
		}
		l.press([]byte{0x83, 0x00, 0, 0, 0, 0, 0, 0})
		time.Sleep(time.Second)
		synctest.Wait()
		if d.Snapshot().Paused {
			t.Fatal("a second press did not resume")
		}
		red := want(t, luxaforMute, set(solid(mapping.Red)))
		off := want(t, luxaforMute, set(stateOff))
		w := append(append(append([]devicestest.Op(nil), red...), off...), red...)
		if ops := l.writes(); !sameOps(ops, w) {
			t.Errorf("ops:%s\nwant red, off (paused), red (resumed)%s", opsString(ops), opsString(w))
		}
	})
}

func TestLightsDebugTracesReports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega)
		_, logs, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelDebug)
		defer stop()
		synctest.Wait()
		w := want(t, kuandoOmega, set(solid(mapping.Red)))
		line := fmt.Sprintf("msg=usb component=lights light=\"Kuando Busylight Omega\" op=write len=%d data=%x", len(w[0].Data), w[0].Data)
		if !strings.Contains(logs.String(), line) {
			t.Errorf("debug log lacks %q:\n%s", line, logs.String())
		}
	})
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega)
		_, logs, stop := startLights(t, "version: 1\n", busy(), usb, slog.LevelInfo)
		defer stop()
		synctest.Wait()
		if strings.Contains(logs.String(), "msg=usb") {
			t.Errorf("reports traced at info level:\n%s", logs.String())
		}
	})
}

// BenchmarkLightsWritesPerChange runs the daemon with three lights on the
// fake bus (real time, no synctest) and changes the signal b.N times
// through the override path. It reports the reports written per change per
// light (exactly 1: no keep-alive or effect frames are involved) and, as
// ns/op, the time from SetOverride to the last of the three writes.
func BenchmarkLightsWritesPerChange(b *testing.B) {
	infos := []devices.Info{luxaforFlag, blynclight, kuandoOmega}
	usb := newFakeUSB(infos...)
	for _, info := range infos {
		usb.light(info.Path).written = make(chan struct{}, 1024)
	}
	c, err := config.Parse([]byte("version: 1\n"))
	if err != nil {
		b.Fatal(err)
	}
	src := busy()
	d, err := New(Options{Config: c, NoControl: true, source: src, lights: usb})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	waitAll := func() {
		for _, info := range infos {
			<-usb.light(info.Path).written
		}
	}
	waitAll() // the first signal
	keepAlive := want(b, kuandoOmega, (*devices.Device).KeepAlive)[0]
	count := func() int { // every report but Kuando's keep-alive (due every 10 s)
		n := 0
		for _, info := range infos {
			for _, op := range usb.light(info.Path).writes() {
				if !bytes.Equal(op.Data, keepAlive.Data) {
					n++
				}
			}
		}
		return n
	}
	before := count()
	colors := []mapping.Color{mapping.Green, mapping.Blue}
	n := 0
	for i := 0; b.Loop(); i++ {
		col := colors[i%2]
		if err := d.SetOverride(output.Override{Color: &col}, 0); err != nil {
			b.Fatal(err)
		}
		waitAll()
		n++
	}
	b.StopTimer()
	cancel()
	<-done
	// Less the exit action: one "off" per light.
	writes := count() - before - len(infos)
	b.ReportMetric(float64(writes)/float64(n*len(infos)), "writes/change/light")
}
