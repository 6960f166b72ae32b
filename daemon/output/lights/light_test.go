package lights

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
	"github.com/onair-dev/onair/mapping"
)

// Lights the tests plug in. Paths are libusb-style; the fake backend does
// not care.
var (
	kuandoOmega = devices.Info{VID: 0x27BB, PID: 0x3BCD, Product: "BUSYLIGHT OMEGA", Serial: "K1", Interface: 0, Path: "1-1:1.0", Bus: devices.HID}
	luxaforFlag = devices.Info{VID: 0x04D8, PID: 0xF372, Product: "LUXAFOR FLAG", Serial: "L1", Interface: 0, Path: "1-2:1.0", Bus: devices.HID}
	luxaforMute = devices.Info{VID: 0x04D8, PID: 0xF372, Product: "LUXAFOR MUTE", Interface: 0, Path: "1-3:1.0", Bus: devices.HID}
)

// nopBackend finds no light.
type nopBackend struct{}

func (nopBackend) Enumerate() ([]devices.Info, error)           { return nil, nil }
func (nopBackend) Open(devices.Info) (devices.Transport, error) { return nil, nil }

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

func TestLightEntryMatches(t *testing.T) {
	tests := []struct {
		entry Entry
		info  devices.Info
		want  bool
	}{
		{Entry{}, kuandoOmega, true},
		{Entry{Vendor: "kuando"}, kuandoOmega, true},
		{Entry{Vendor: "KUAN"}, kuandoOmega, true},
		{Entry{Vendor: "luxafor"}, kuandoOmega, false},
		{Entry{Vendor: "plantronics"}, devices.Info{VID: 0x047F, PID: 0xD005}, true},
		{Entry{Vendor: "poly"}, devices.Info{VID: 0x047F, PID: 0xD005}, true},
		{Entry{Model: "omega"}, kuandoOmega, true},
		{Entry{Model: "alpha"}, kuandoOmega, false},
		{Entry{Model: "mute"}, luxaforMute, true},
		{Entry{Model: "mute"}, luxaforFlag, false},
		{Entry{Serial: "K1"}, kuandoOmega, true},
		{Entry{Serial: "k1"}, kuandoOmega, false}, // exact
		{Entry{Serial: "K"}, kuandoOmega, false},
		{Entry{Path: "1-1:1.0"}, kuandoOmega, true},
		{Entry{Path: "1-1"}, kuandoOmega, false},
		{Entry{Vendor: "kuando", Serial: "K2"}, kuandoOmega, false},
	}
	for _, tt := range tests {
		d, err := devices.Lookup(tt.info)
		if err != nil {
			t.Fatal(err)
		}
		if got := tt.entry.matches(tt.info, d, d.Model(tt.info)); got != tt.want {
			t.Errorf("%+v matches %s = %v, want %v", tt.entry, tt.info, got, tt.want)
		}
	}

	// First matching entry wins; no entries means every light follows me.
	o, err := New(Options{
		Backend: nopBackend{}, Users: []string{"me", "bob@example.com"}, Rules: mapping.DefaultRules(),
		Entries: []Entry{
			{Name: "a", Vendor: "luxafor", User: "BOB@example.com", Brightness: 10},
			{Name: "b", User: "me", Brightness: 20},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for info, name := range map[devices.Info]string{luxaforFlag: "a", kuandoOmega: "b"} {
		d, _ := devices.Lookup(info)
		e, ok := o.match(info, d)
		if !ok || e.Name != name {
			t.Errorf("match(%s) = %q, %v; want %q", info, e.Name, ok, name)
		}
		if name == "a" && e.User != "bob@example.com" {
			t.Errorf("user not resolved to the watched key: %q", e.User)
		}
		if e.Rules == nil {
			t.Errorf("entry %s: rules not defaulted to the global rules", name)
		}
	}
	o.entries = nil
	d, _ := devices.Lookup(kuandoOmega)
	if e, ok := o.match(kuandoOmega, d); !ok || e.User != "me" || e.Brightness != 100 || !e.ExitOff || e.Name != "Kuando Busylight Omega" {
		t.Errorf("default entry = %+v, %v", e, ok)
	}
}

func TestLightColorCombinesBrightness(t *testing.T) {
	tests := []struct {
		sig        mapping.Signal
		brightness int
		want       color.NRGBA
	}{
		{mapping.Signal{Color: mapping.Red, Brightness: 100, Effect: mapping.Solid}, 100, color.NRGBA{255, 0, 0, 255}},
		{mapping.Signal{Color: mapping.Red, Brightness: 50, Effect: mapping.Solid}, 100, color.NRGBA{128, 0, 0, 255}},
		{mapping.Signal{Color: mapping.Red, Brightness: 100, Effect: mapping.Solid}, 50, color.NRGBA{128, 0, 0, 255}},
		// 255 × 50 % × 50 % = 63.75: one rounding, not two.
		{mapping.Signal{Color: mapping.Red, Brightness: 50, Effect: mapping.Solid}, 50, color.NRGBA{64, 0, 0, 255}},
		// 255 × 30 % × 30 % = 22.95 → 23; scaling twice gives 77 → 23.1 → 23,
		// and 0.3 × 0.3 as an integer percent (9 %) would give 23 too;
		// 255 × 15 % × 15 % = 5.7375 → 6, where 2 % (15×15/100) gives 5.
		{mapping.Signal{Color: mapping.Red, Brightness: 15, Effect: mapping.Solid}, 15, color.NRGBA{6, 0, 0, 255}},
		{mapping.Signal{Color: mapping.Yellow, Brightness: 20, Effect: mapping.Pulse}, 50, color.NRGBA{26, 16, 0, 255}},
		{mapping.Signal{Color: mapping.Red, Brightness: 100, Effect: mapping.Off}, 50, color.NRGBA{0, 0, 0, 255}},
		{mapping.Signal{Color: mapping.Red, Brightness: 100, Effect: mapping.Solid}, 0, color.NRGBA{0, 0, 0, 255}},
	}
	for _, tt := range tests {
		got := lightColor(tt.sig, tt.brightness)
		if got != tt.want {
			t.Errorf("lightColor(%v, %d%%) = %v, want %v", tt.sig, tt.brightness, got, tt.want)
		}
		if tt.brightness == 100 && got != tt.sig.Scaled() {
			t.Errorf("at light brightness 100 %% got %v, Scaled() = %v", got, tt.sig.Scaled())
		}
	}
}

func TestShowLightRendersSoftwareEffect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &devicestest.Record{}
		dev, err := devices.Open(luxaforFlag, rec, nil)
		if err != nil {
			t.Fatal(err)
		}
		pulse := devices.State{Color: mapping.Blue.NRGBA(), Effect: devices.Pulse}
		if err := Show(t.Context(), dev, pulse, time.Second); err != nil {
			t.Fatal(err)
		}
		var w []devicestest.Op
		for i := 0; i < 20; i++ {
			elapsed := time.Duration(i) * devices.FrameInterval
			w = append(w, want(t, luxaforFlag, func(d *devices.Device) error { return d.Frame(pulse.At(elapsed)) })...)
		}
		// The frame at exactly 1 s races the end timer; accept it or not.
		if ops := rec.Ops(); !sameOps(ops, w) && !(len(ops) == 21 && sameOps(ops[:20], w)) {
			t.Errorf("ops:%s\nwant 20 pulse frames%s", opsString(ops), opsString(w))
		}
		if err := Show(t.Context(), nil, pulse, 0); err == nil {
			t.Error("Show(nil device) succeeded")
		}
	})
}

// BenchmarkLightsSoftwarePulse3 renders one software pulse frame on each of
// three lights that cannot pulse by themselves (Luxafor, BlinkStick,
// blink(1)) through a transport that discards. At 20 frames/s, the CPU the
// daemon spends on them is ns/op × 20 / 1e9 of one core (reported as
// cpu-%); the USB write itself (cgo, kernel) is not included.
func BenchmarkLightsSoftwarePulse3(b *testing.B) {
	infos := []devices.Info{
		luxaforFlag,
		{VID: 0x20A0, PID: 0x41E5, Product: "BlinkStick", Path: "1-8:1.0", Bus: devices.HID, Interface: 0},
		{VID: 0x27B8, PID: 0x01ED, Product: "blink(1) mk3", Path: "1-9:1.0", Bus: devices.HID, Interface: 0},
	}
	var rs []*renderer
	for _, info := range infos {
		dev, err := devices.Open(info, discard{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if dev.HardwareEffect(devices.Pulse) {
			b.Fatalf("%s pulses in hardware", dev)
		}
		r := newRenderer(dev)
		if err := r.set(devices.State{Color: mapping.Red.NRGBA(), Effect: devices.Pulse}); err != nil {
			b.Fatal(err)
		}
		defer r.stop()
		rs = append(rs, r)
	}
	start := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := start.Add(time.Duration(i) * devices.FrameInterval)
		for _, r := range rs {
			if err := r.frame(now); err != nil {
				b.Fatal(err)
			}
		}
	}
	perFrame := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perFrame*20/1e9*100, "cpu-%")
}

// discard is a transport that accepts every report.
type discard struct{}

func (discard) Write(p []byte) (int, error)                    { return len(p), nil }
func (discard) SendFeatureReport(p []byte) (int, error)        { return len(p), nil }
func (discard) ReadTimeout([]byte, time.Duration) (int, error) { return 0, nil }
func (discard) Close() error                                   { return nil }
