package e2e_test

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
	"github.com/onair-dev/onair/devices/usbip"
	"github.com/onair-dev/onair/devices/usbip/e2e"
	"github.com/onair-dev/onair/mapping"
)

// light is one emulated light the suite drives: an emulator profile and the
// interface the registry says the driver listens on.
type light struct {
	profile string
	iface   int
}

// lights covers every HID driver of the registry once, plus the variants that
// change the wire format (Luxafor Mute's button).
var lights = []light{
	{"kuando-omega", 0},
	{"luxafor-flag", 0},
	{"luxafor-mute", 0},
	{"blynclight", 0},
	{"plantronics-status-indicator", 0},
	{"blyncusb10-0001", 1},
	{"blyncusb20", 1},
	{"blink1-mk3", 0},
	{"blinkstick-square", 0},
	{"epos-ui20bl", 0},
	{"muteme-original", 0},
}

// summary collects per light which scenarios ran and how they ended, for
// the table .ci/e2e.sh prints.
type summary struct {
	mu    sync.Mutex
	rows  []string
	cells map[string]map[string]string
	cols  []string
}

func (s *summary) add(row, col, result string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cells == nil {
		s.cells = map[string]map[string]string{}
	}
	if s.cells[row] == nil {
		s.cells[row] = map[string]string{}
		s.rows = append(s.rows, row)
	}
	if !slices.Contains(s.cols, col) {
		s.cols = append(s.cols, col)
	}
	s.cells[row][col] = result
}

func (s *summary) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	// One table per group of rows with the same scenarios (the lights,
	// then the daemon), each with only its own columns.
	for i := 0; i < len(s.rows); {
		cols := s.colsLocked(s.rows[i])
		j := i + 1
		for j < len(s.rows) && slices.Equal(s.colsLocked(s.rows[j]), cols) {
			j++
		}
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%-42s", "light")
		for _, c := range cols {
			fmt.Fprintf(&b, " %-10s", c)
		}
		b.WriteString("\n")
		for _, r := range s.rows[i:j] {
			fmt.Fprintf(&b, "%-42s", r)
			for _, c := range cols {
				fmt.Fprintf(&b, " %-10s", s.cells[r][c])
			}
			b.WriteString("\n")
		}
		i = j
	}
	return b.String()
}

// colsLocked returns the scenarios recorded for row, in first-seen order.
func (s *summary) colsLocked(row string) []string {
	var cols []string
	for _, c := range s.cols {
		if _, ok := s.cells[row][c]; ok {
			cols = append(cols, c)
		}
	}
	return cols
}

// scenario runs f as subtest name of a light and records the outcome.
func (s *summary) scenario(t *testing.T, row, name string, f func(t *testing.T)) bool {
	t.Helper()
	result := "pass"
	ok := t.Run(name, func(t *testing.T) {
		defer func() {
			switch {
			case t.Skipped():
				result = "n/a"
			case t.Failed():
				result = "FAIL"
			}
		}()
		f(t)
	})
	s.add(row, name, result)
	return ok
}

// TestE2E boots one guest and runs every scenario against the real
// devices/hid transport and devices drivers, comparing the bytes the
// emulator received with what the same drivers encode on the host.
func TestE2E(t *testing.T) {
	names := []string{}
	for _, l := range lights {
		names = append(names, l.profile)
	}
	start := time.Now()
	b := startBench(t, names)
	var sum summary
	defer func() {
		b.timing("whole suite", start)
		out := sum.String() + "\ntimings: " + strings.Join(b.timings, ", ") + "\n"
		t.Log("summary:\n" + out)
		if f := os.Getenv("ONAIR_E2E_SUMMARY"); f != "" {
			if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
				t.Error(err)
			}
		}
	}()
	for _, l := range lights {
		t.Run(l.profile, func(t *testing.T) { runLight(t, b, &sum, l) })
	}
	t.Run("daemon", func(t *testing.T) { runDaemon(t, b, &sum) })
}

// ctx5 is the deadline for the emulator to see what the guest reported done.
func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// hostOps runs do against a recording transport on the host: the reports the
// drivers encode for info, computed by the same code the guest runs.
func hostOps(t *testing.T, info devices.Info, do func(*devices.Device) error) []devicestest.Op {
	t.Helper()
	rec := &devicestest.Record{}
	d, err := devices.Open(info, rec, &devices.Options{GOOS: "linux"})
	if err != nil {
		t.Fatalf("host open: %v", err)
	}
	defer d.Close()
	if err := do(d); err != nil {
		t.Fatalf("host encode: %v", err)
	}
	return rec.Ops()
}

// wire turns transport operations into what must arrive at the device, by
// hidapi's rule on Linux (libusb backend, devices/PROTOCOLS.md#report-ids-per-os):
// byte 0 is the report ID; a 00 is stripped, any other ID stays in the
// data; output reports go to the interrupt OUT endpoint if the interface has
// one, else SET_REPORT(Output); feature reports always SET_REPORT(Feature).
func wire(in *usbip.Interface, ops []devicestest.Op) []usbip.Record {
	numbered := false
	for _, rs := range [][]usbip.Report{in.Input, in.Output, in.Feature} {
		for _, r := range rs {
			numbered = numbered || r.ID != 0
		}
	}
	var out []usbip.Record
	for _, op := range ops {
		if op.Kind == devicestest.Read || len(op.Data) == 0 {
			continue
		}
		id := op.Data[0]
		data := op.Data
		if id == 0 {
			data = data[1:]
		}
		r := usbip.Record{Interface: in.Number, ReportID: id, Data: data}
		switch {
		case op.Kind == devicestest.Feature:
			r.Kind, r.Type = usbip.SetReport, usbip.FeatureReport
		case in.OutEndpoint != 0:
			r.Kind, r.Type = usbip.InterruptOut, usbip.OutputReport
			if !numbered {
				r.ReportID = 0
			}
		default:
			r.Kind, r.Type = usbip.SetReport, usbip.OutputReport
		}
		out = append(out, r)
	}
	return out
}

func sameRecords(got, want []usbip.Record) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || g.Interface != w.Interface || g.Type != w.Type || g.ReportID != w.ReportID || string(g.Data) != string(w.Data) {
			return false
		}
	}
	return true
}

func formatRecords(rs []usbip.Record) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "\n\t%s (%d bytes)", r, len(r.Data))
	}
	if len(rs) == 0 {
		b.WriteString("\n\t(none)")
	}
	return b.String()
}

// session is one light attached to the guest.
type session struct {
	b      *bench
	dev    *usbip.Device
	p      usbip.Profile
	in     *usbip.Interface
	iface  int
	info   devices.Info // as the guest enumerated it
	handle int
}

func (s *session) req(op string) e2e.Request {
	return e2e.Request{Op: op, VID: s.p.VendorID, PID: s.p.ProductID, Product: s.p.Product, Interface: &s.iface, Handle: s.handle}
}

// attach imports the device into the guest and waits for enumeration.
func (s *session) attach(t *testing.T) {
	t.Helper()
	s.b.must(t, e2e.Request{Op: e2e.OpAttach, BusID: s.dev.BusID()})
	r := s.req(e2e.OpWait)
	r.Present, r.TimeoutMS = true, 10000
	resp := s.b.must(t, r)
	d := resp.Devices[0]
	s.info = devices.Info{VID: d.VID, PID: d.PID, Product: d.Product, Manufacturer: d.Manufacturer,
		Serial: d.Serial, Interface: d.Interface, Path: d.Path, Bus: devices.HID, Release: d.Release}
}

func (s *session) open(t *testing.T) {
	t.Helper()
	s.handle = s.b.must(t, s.req(e2e.OpOpen)).Handle
}

func (s *session) waitGone(t *testing.T) {
	t.Helper()
	r := s.req(e2e.OpWait)
	r.Present, r.TimeoutMS = false, 10000
	s.b.must(t, r)
}

// check runs req in the guest and do on the host encoder, and compares the
// reports the emulator received with the encoded ones.
func (s *session) check(t *testing.T, req e2e.Request, do func(*devices.Device) error) {
	t.Helper()
	want := wire(s.in, hostOps(t, s.info, do))
	s.dev.ClearRecords()
	s.b.must(t, req)
	got, err := s.dev.WaitRecords(ctx5(t), len(want))
	if err != nil || !sameRecords(got, want) {
		t.Fatalf("%s: wire differs from the driver's encoding (%v)\ngot:%s\nwant:%s", req.Op, err, formatRecords(got), formatRecords(want))
	}
	if len(want) == 0 {
		t.Logf("%s sends nothing on this light (checked)", req.Op)
	}
}

func (s *session) setReq(c color.NRGBA, e devices.Effect, period time.Duration) e2e.Request {
	r := s.req(e2e.OpSet)
	r.Color = [3]uint8{c.R, c.G, c.B}
	r.Effect = e.String()
	r.PeriodMS = int(period / time.Millisecond)
	return r
}

func (s *session) checkSet(t *testing.T, c color.NRGBA, e devices.Effect, period time.Duration) {
	t.Helper()
	st := devices.State{Color: c, Effect: e, Period: period}
	s.check(t, s.setReq(c, e, period), func(d *devices.Device) error { return d.Set(st) })
}

var (
	orange = color.NRGBA{R: 255, G: 64, A: 255}
	green  = color.NRGBA{G: 255, A: 255}
	red    = color.NRGBA{R: 255, A: 255}
	blue   = color.NRGBA{B: 255, A: 255}
	purple = color.NRGBA{R: 160, B: 255, A: 255}
)

func runLight(t *testing.T, b *bench, sum *summary, l light) {
	dev := b.devices[l.profile]
	p := dev.Profile()
	s := &session{b: b, dev: dev, p: p, in: p.Interface(uint8(l.iface)), iface: l.iface}
	row := fmt.Sprintf("%s (%s)", l.profile, p.ID())
	sc := func(name string, f func(t *testing.T)) bool { return sum.scenario(t, row, name, f) }
	defer func() {
		// Leave the bus clean for the next light.
		dev.Unplug()
		r := s.req(e2e.OpWait)
		r.Present, r.TimeoutMS = false, 10000
		b.do(t, r)
		dev.Plug()
	}()

	if !sc("enumerate", func(t *testing.T) {
		s.attach(t)
		i := s.info
		if i.Manufacturer != p.Manufacturer || i.Product != p.Product || i.Serial != p.Serial || i.Release != p.Release || i.Interface != l.iface {
			t.Errorf("guest enumerated %+v, want the profile's strings, release %#04x, interface %d", i, p.Release, l.iface)
		}
		if _, err := devices.Lookup(i); err != nil {
			t.Errorf("devices.Lookup(%v): %v", i, err)
		}
	}) {
		return
	}
	if !sc("open", func(t *testing.T) { s.open(t) }) {
		return
	}
	sc("colour", func(t *testing.T) { s.checkSet(t, orange, devices.Solid, 0) })
	sc("green", func(t *testing.T) { s.checkSet(t, green, devices.Solid, 0) })
	sc("blink", func(t *testing.T) { s.checkSet(t, red, devices.Blink, time.Second) })
	sc("pulse", func(t *testing.T) { s.checkSet(t, blue, devices.Pulse, 2*time.Second) })
	sc("frame", func(t *testing.T) {
		r := s.req(e2e.OpFrame)
		r.Color = [3]uint8{purple.R, purple.G, purple.B}
		s.check(t, r, func(d *devices.Device) error { return d.Frame(purple) })
	})
	sc("keepalive", func(t *testing.T) {
		if hostDriver(t, s.info).KeepAlivePeriod() == 0 {
			t.Skip("light needs no keep-alive")
		}
		s.check(t, s.req(e2e.OpKeepAlive), func(d *devices.Device) error { return d.KeepAlive() })
	})
	sc("off", func(t *testing.T) { s.checkSet(t, color.NRGBA{}, devices.Off, 0) })
	sc("input", func(t *testing.T) {
		if !hostDriver(t, s.info).HasInput(s.info) {
			t.Skip("light has no input")
		}
		if p.SampleInput == nil {
			t.Fatal("driver reads input but the profile has no sample input")
		}
		// What the host decoder makes of the same bytes.
		rec := &devicestest.Record{Reads: [][]byte{p.SampleInput}}
		hd, err := devices.Open(s.info, rec, &devices.Options{GOOS: "linux"})
		if err != nil {
			t.Fatal(err)
		}
		want, err := hd.ReadInput(time.Second)
		if err != nil || want.Button == devices.ButtonNone {
			t.Fatalf("host decode of % x: %v, %v", p.SampleInput, want, err)
		}
		// Nothing queued: the read times out with no event, no hang.
		r := s.req(e2e.OpRead)
		r.TimeoutMS = 200
		if resp := b.must(t, r); resp.Button != devices.ButtonNone.String() {
			t.Errorf("read with nothing queued: %q", resp.Button)
		}
		dev.QueueInput(p.SampleInput)
		r.TimeoutMS = 2000
		if resp := b.must(t, r); resp.Button != want.Button.String() {
			t.Errorf("guest read %q, host decodes %q", resp.Button, want.Button)
		}
	})
	sc("stall", func(t *testing.T) {
		dev.StallReports(1)
		resp := b.do(t, s.setReq(red, devices.Solid, 0))
		if resp.Error == "" || resp.Error == e2e.ErrHang {
			t.Fatalf("write to a stalling device: error %q, want a prompt error", resp.Error)
		}
		t.Logf("stalled write failed after %d ms: %s", resp.ElapsedMS, resp.Error)
		// The light recovers without a re-plug.
		s.checkSet(t, red, devices.Solid, 0)
	})
	sc("close", func(t *testing.T) {
		b.must(t, s.req(e2e.OpClose))
		if !dev.Attached() {
			t.Error("device detached by Close")
		}
	})
	sc("vanish", func(t *testing.T) {
		s.open(t)
		dev.VanishOnWrite()
		resp := b.do(t, s.setReq(green, devices.Solid, 0))
		if resp.Error == "" || resp.Error == e2e.ErrHang {
			t.Fatalf("write to a vanishing device: error %q, want a prompt error", resp.Error)
		}
		t.Logf("write failed after %d ms: %s", resp.ElapsedMS, resp.Error)
		if err := dev.WaitDetached(ctx5(t)); err != nil {
			t.Fatal(err)
		}
		s.waitGone(t)
		b.do(t, s.req(e2e.OpClose)) // the stale handle; its error does not matter
		// Re-plug: the guest imports it anew and the light works again.
		dev.Plug()
		s.attach(t)
		s.open(t)
		s.checkSet(t, green, devices.Solid, 0)
		b.must(t, s.req(e2e.OpClose))
	})
}

func hostDriver(t *testing.T, info devices.Info) *devices.Driver {
	t.Helper()
	d, err := devices.Lookup(info)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// signalOps returns the encodings a light may receive from the daemon with
// the default mapping: one Set per default-rule signal (keyed by rule name),
// and the keep-alive. Lights used here do blink and pulse in hardware, so
// every signal is exactly one Set and nothing is rendered in software.
func signalOps(t *testing.T, s *session) (signals map[string][]usbip.Record, keepAlive []usbip.Record) {
	t.Helper()
	signals = map[string][]usbip.Record{}
	for _, r := range mapping.DefaultRules() {
		e, err := devices.ParseEffect(string(r.Signal.Effect))
		if err != nil {
			t.Fatalf("rule %s: %v", r.Name, err)
		}
		if !hostDriver(t, s.info).HardwareEffect(e) {
			t.Fatalf("%s renders %s in software; pick a light that does it in hardware", s.p.Name, e)
		}
		st := devices.State{Color: r.Signal.Scaled(), Effect: e}
		signals[r.Name] = wire(s.in, hostOps(t, s.info, func(d *devices.Device) error { return d.Set(st) }))
	}
	keepAlive = wire(s.in, hostOps(t, s.info, func(d *devices.Device) error { return d.KeepAlive() }))
	return signals, keepAlive
}

// classify names what recs[0:] starts with: a rule's signal or the
// keep-alive, and how many records that takes; "" when nothing matches.
func classify(recs []usbip.Record, signals map[string][]usbip.Record, keepAlive []usbip.Record) (string, int) {
	if len(keepAlive) > 0 && len(recs) >= len(keepAlive) && sameRecords(recs[:len(keepAlive)], keepAlive) {
		return "keep-alive", len(keepAlive)
	}
	for name, want := range signals {
		if len(recs) >= len(want) && len(want) > 0 && sameRecords(recs[:len(want)], want) {
			return name, len(want)
		}
	}
	return "", 0
}

// daemonLight is one light the daemon drives during the daemon scenarios.
type daemonLight struct {
	*session
	signals   map[string][]usbip.Record
	keepAlive []usbip.Record
}

// check verifies that everything the light received is a default-rule
// signal or a keep-alive, and returns the names in order.
func (l *daemonLight) check(t *testing.T, recs []usbip.Record) []string {
	t.Helper()
	var names []string
	for i := 0; i < len(recs); {
		name, n := classify(recs[i:], l.signals, l.keepAlive)
		if name == "" {
			t.Fatalf("%s received a report that is no default signal or keep-alive:%s", l.p.Name, formatRecords(recs[i:i+1]))
		}
		names = append(names, name)
		i += n
	}
	return names
}

// waitSignal waits until the light has received a default-rule signal (not
// just a keep-alive) since the last ClearRecords, and returns when it
// arrived.
func (l *daemonLight) waitSignal(t *testing.T, within time.Duration) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for n := 1; ; n++ {
		recs, err := l.dev.WaitRecords(ctx, n)
		if err != nil {
			t.Fatalf("%s: no signal within %v: %v (got %v)", l.p.Name, within, err, l.check(t, recs))
		}
		names := l.check(t, recs)
		for i, name := range names {
			if name != "keep-alive" {
				// Time of the record that completed this signal.
				k := 0
				for _, nm := range names[:i+1] {
					if nm == "keep-alive" {
						k += len(l.keepAlive)
					} else {
						k += len(l.signals[nm])
					}
				}
				return recs[k-1].Time
			}
		}
	}
}

func runDaemon(t *testing.T, b *bench, sum *summary) {
	const row = "daemon (onair run --demo)"
	// Two lights of different vendors, both with hardware blink and pulse.
	var ls []*daemonLight
	ok := sum.scenario(t, row, "attach", func(t *testing.T) {
		if b.daemon == "" {
			// A failure under ONAIR_REQUIRE_E2E=1: CI must not pass
			// without the daemon scenarios.
			requireE2E(t, fmt.Errorf("daemon scenarios need a static build of ./cmd/onair that drives USB lights: %w", b.daemonErr))
		}
		for _, l := range []light{{"kuando-omega", 0}, {"muteme-original", 0}} {
			dev := b.devices[l.profile]
			p := dev.Profile()
			s := &session{b: b, dev: dev, p: p, in: p.Interface(uint8(l.iface)), iface: l.iface}
			s.attach(t)
			dl := &daemonLight{session: s}
			dl.signals, dl.keepAlive = signalOps(t, s)
			ls = append(ls, dl)
			dev.ClearRecords()
		}
	})
	if !ok || len(ls) == 0 {
		for _, n := range []string{"demo", "two-lights", "replug", "stop"} {
			sum.add(row, n, "n/a")
		}
		return
	}
	started := false
	defer func() {
		if started {
			b.do(t, e2e.Request{Op: e2e.OpStop, TimeoutMS: 10000})
		}
		for _, l := range ls {
			l.dev.Unplug()
			l.waitGone(t)
			l.dev.Plug()
		}
	}()
	sum.scenario(t, row, "demo", func(t *testing.T) {
		b.must(t, e2e.Request{Op: e2e.OpStart, Args: []string{b.daemon, "run", "--demo", "--quiet"},
			Env: []string{"HOME=/tmp/onair-home", "XDG_RUNTIME_DIR=/tmp/onair-run"}})
		started = true
		at := ls[0].waitSignal(t, 20*time.Second)
		t.Logf("%s: first signal %v after start", ls[0].p.Name, at.Format(time.StampMilli))
	})
	sum.scenario(t, row, "two-lights", func(t *testing.T) {
		for _, l := range ls[1:] {
			l.waitSignal(t, 20*time.Second)
		}
	})
	sum.scenario(t, row, "replug", func(t *testing.T) {
		l := ls[0]
		l.dev.Unplug()
		l.waitGone(t)
		l.dev.Plug()
		l.dev.ClearRecords()
		n := l.dev.Imports()
		b.must(t, e2e.Request{Op: e2e.OpAttach, BusID: l.dev.BusID()})
		if err := l.dev.WaitImported(ctx5(t), n+1); err != nil {
			t.Fatal(err)
		}
		imported := time.Now()
		at := l.waitSignal(t, 10*time.Second)
		if d := at.Sub(imported); d > 3*time.Second {
			t.Errorf("current signal re-written %v after re-plug, want within 3 s", d.Round(time.Millisecond))
		} else {
			t.Logf("current signal re-written %v after re-plug", d.Round(time.Millisecond))
		}
	})
	sum.scenario(t, row, "stop", func(t *testing.T) {
		for _, l := range ls {
			l.dev.ClearRecords()
		}
		resp := b.must(t, e2e.Request{Op: e2e.OpStop, TimeoutMS: 10000})
		started = false
		if resp.Exit != "exit status 0" {
			t.Errorf("daemon exited with %q after SIGTERM, want status 0", resp.Exit)
		}
		// Shutdown turns the lights off: every light runs its exit action,
		// off by default (lights[].exit_action in configs/onair.example.yaml).
		for _, l := range ls {
			names := l.check(t, l.dev.Records())
			if len(names) == 0 || names[len(names)-1] != "offline" && names[len(names)-1] != "off-hours" {
				t.Errorf("%s: last reports before exit %v, want the light off", l.p.Name, names)
			}
		}
	})
}
