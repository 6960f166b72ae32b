package devices_test

import (
	"testing"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
)

var eposInfo = hidInfo(0x1395, 0x0074, "EPOS UI 20 BL")

var eposVectors = vectors("epos", []vector{
	// PROTOCOLS.md#epos "red both LEDs": 01 12 02 FF 00 00 FF 00 00 01 + 00×54.
	{name: "red", info: eposInfo, state: solid(red),
		want: ops(write(b("01 12 02 FF 00 00 FF 00 00 01", zeros(54))))},
	// PROTOCOLS.md#epos "off": ON byte 00.
	{name: "off", info: eposInfo, state: off,
		want: ops(write(b("01 12 02 00 00 00 00 00 00 00", zeros(54))))},
	// PROTOCOLS.md#epos brightness: scaled RGB on both LEDs.
	{name: "half-bright green", info: eposInfo, state: solid(rgb(0, 0x80, 0)),
		want: ops(write(b("01 12 02 00 80 00 00 80 00 01", zeros(54))))},
	// PROTOCOLS.md#epos: no hardware effects; a blink's second half is a black frame.
	{name: "blink is software", info: eposInfo,
		do: func(d *devices.Device) error {
			s := devices.State{Color: red, Effect: devices.Blink}
			return all(d.Set(s), d.Frame(s.At(devices.DefaultBlinkPeriod/2)))
		},
		want: ops(
			write(b("01 12 02 FF 00 00 FF 00 00 01", zeros(54))),
			write(b("01 12 02 00 00 00 00 00 00 00", zeros(54))),
		)},
})

func TestEPOSVectors(t *testing.T) { runVectors(t, eposVectors) }

func TestEPOSUnsupportedOnWindows(t *testing.T) {
	// PROTOCOLS.md#report-ids-per-os: numbered output report 1 is not expressible with karalabe's
	// Write on Windows. Open must refuse without writing anything.
	p := &devicestest.Playback{}
	_, err := devices.Open(eposInfo, p, &devices.Options{GOOS: "windows"})
	wantErr(t, err, devices.ErrUnsupported)
	for _, goos := range []string{"linux", "darwin"} {
		if err := devices.EPOS.Supported(eposInfo, goos); err != nil {
			t.Errorf("Supported(%s) = %v, want nil", goos, err)
		}
	}
}
