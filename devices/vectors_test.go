package devices_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"image/color"
	"strings"
	"testing"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
)

// vector is one byte-exact test: open info, run do (Set(state) when nil), and
// expect exactly want on the transport.
type vector struct {
	name  string
	info  devices.Info
	state devices.State
	do    func(d *devices.Device) error
	want  []devicestest.Op
}

// tested records the drivers that have vector tables. It is filled during
// package variable initialisation (by vectors), before any test runs, so
// registry_test.go can check that every driver has vectors.
var tested = map[string]bool{}

// vectors registers driver's table.
func vectors(driver string, vs []vector) []vector {
	tested[driver] = true
	return vs
}

func runVectors(t *testing.T, vs []vector) {
	t.Helper()
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			p := &devicestest.Playback{Ops: v.want}
			d, err := devices.Open(v.info, p, &devices.Options{GOOS: "linux"})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			do := v.do
			if do == nil {
				do = func(d *devices.Device) error { return d.Set(v.state) }
			}
			if err := do(d); err != nil {
				t.Fatalf("%v", err)
			}
			if err := d.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		})
	}
}

// b builds a byte slice from hex strings ("00 FF 22") and byte slices.
func b(parts ...any) []byte {
	var out []byte
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			raw, err := hex.DecodeString(strings.ReplaceAll(p, " ", ""))
			if err != nil {
				panic(fmt.Sprintf("bad hex %q: %v", p, err))
			}
			out = append(out, raw...)
		case []byte:
			out = append(out, p...)
		default:
			panic(fmt.Sprintf("b: unsupported %T", p))
		}
	}
	return out
}

// zeros returns n zero bytes.
func zeros(n int) []byte { return make([]byte, n) }

// rep returns s (hex) repeated n times.
func rep(s string, n int) []byte {
	var out []byte
	for range n {
		out = append(out, b(s)...)
	}
	return out
}

func write(data []byte) devicestest.Op { return devicestest.Op{Kind: devicestest.Write, Data: data} }
func feature(data []byte) devicestest.Op {
	return devicestest.Op{Kind: devicestest.Feature, Data: data}
}
func read(data []byte) devicestest.Op { return devicestest.Op{Kind: devicestest.Read, Data: data} }

func ops(o ...devicestest.Op) []devicestest.Op { return o }

func rgb(r, g, b uint8) color.NRGBA { return color.NRGBA{R: r, G: g, B: b, A: 0xff} }

var (
	red    = rgb(0xFF, 0, 0)
	green  = rgb(0, 0xFF, 0)
	blue   = rgb(0, 0, 0xFF)
	white  = rgb(0xFF, 0xFF, 0xFF)
	yellow = rgb(0xFF, 0xFF, 0)
)

func solid(c color.NRGBA) devices.State { return devices.State{Color: c} }

var off = devices.State{Effect: devices.Off}

func hidInfo(vid, pid uint16, product string) devices.Info {
	return devices.Info{VID: vid, PID: pid, Product: product, Bus: devices.HID, Interface: 0, Path: "test"}
}

// inputCase is one ReadInput expectation.
type inputCase struct {
	name string
	read []byte
	want devices.Button
}

func runInputs(t *testing.T, info devices.Info, cases []inputCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &devicestest.Playback{Ops: ops(read(c.read))}
			d, err := devices.Open(info, p, &devices.Options{GOOS: "linux"})
			if err != nil {
				t.Fatal(err)
			}
			in, err := d.ReadInput(0)
			if err != nil {
				t.Fatal(err)
			}
			if in.Button != c.want {
				t.Errorf("ReadInput(% X) = %v, want %v", c.read, in.Button, c.want)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// wantErr asserts err wraps target.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// all returns the first non-nil error.
func all(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// newRecord sets s on a light reached through a Record and returns the ops.
func newRecord(t *testing.T, info devices.Info, s devices.State) []devicestest.Op {
	t.Helper()
	rec := &devicestest.Record{}
	d, err := devices.Open(info, rec, &devices.Options{GOOS: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(s); err != nil {
		t.Fatal(err)
	}
	return rec.Ops()
}
