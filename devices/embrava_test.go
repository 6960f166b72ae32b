package devices_test

import (
	"image/color"
	"testing"
	"time"

	"github.com/onair-dev/onair/devices"
)

var blynclight = hidInfo(0x2C0D, 0x0001, "Blynclight")

func blink(c color.NRGBA, period time.Duration) devices.State {
	return devices.State{Color: c, Effect: devices.Blink, Period: period}
}

var embravaVectors = vectors("embrava", []vector{
	// PROTOCOLS.md#embrava-report "steady red" — R, B, G order, control 00, then FF 22.
	{name: "steady red", info: blynclight, state: solid(red),
		want: ops(write(b("00 FF 00 00 00 00 00 FF 22")))},
	// PROTOCOLS.md#embrava-report "steady green" (green is the third byte).
	{name: "steady green", info: blynclight, state: solid(green),
		want: ops(write(b("00 00 00 FF 00 00 00 FF 22")))},
	// PROTOCOLS.md#embrava-report "steady blue" (blue is the second byte).
	{name: "steady blue", info: hidInfo(0x2C0D, 0x0010, ""), state: solid(blue),
		want: ops(write(b("00 00 FF 00 00 00 00 FF 22")))},
	// PROTOCOLS.md#embrava-report "steady yellow".
	{name: "steady yellow mini", info: hidInfo(0x0E53, 0x2517, ""), state: solid(yellow),
		want: ops(write(b("00 FF 00 FF 00 00 00 FF 22")))},
	// PROTOCOLS.md#embrava-report "off": off bit 01.
	{name: "off", info: blynclight, state: off,
		want: ops(write(b("00 00 00 00 01 00 00 FF 22")))},
	// PROTOCOLS.md#embrava-report brightness: the scaled colour is sent as PWM values.
	{name: "half-bright red", info: blynclight, state: solid(rgb(0x80, 0, 0)),
		want: ops(write(b("00 80 00 00 00 00 00 FF 22")))},
	// PROTOCOLS.md#embrava-report "flash red, slow / medium / fast": control 0C / 14 / 24.
	{name: "flash slow", info: blynclight, state: blink(red, 2*time.Second),
		want: ops(write(b("00 FF 00 00 0C 00 00 FF 22")))},
	{name: "flash medium (default period)", info: blynclight, state: blink(red, 0),
		want: ops(write(b("00 FF 00 00 14 00 00 FF 22")))},
	{name: "flash fast", info: blynclight, state: blink(red, 400*time.Millisecond),
		want: ops(write(b("00 FF 00 00 24 00 00 FF 22")))},
	// PROTOCOLS.md#embrava-report: no hardware pulse; Set sends the first software frame.
	{name: "pulse is software", info: blynclight, state: devices.State{Color: red, Effect: devices.Pulse},
		want: ops(write(b("00 FF 00 00 00 00 00 FF 22")))},
})

var plantronicsVectors = vectors("plantronics", []vector{
	// PROTOCOLS.md#plantronics: BLFH #434 test script, "on", green 80.
	{name: "green 80", info: hidInfo(0x047F, 0xD005, "Plantronics Status Indicator"), state: solid(rgb(0, 0x80, 0)),
		want: ops(write(b("00 00 00 80 00 00 00 FF 22")))},
	// PROTOCOLS.md#plantronics: off.
	{name: "off", info: hidInfo(0x047F, 0xD005, ""), state: off,
		want: ops(write(b("00 00 00 00 01 00 00 FF 22")))},
})

func blync(pid uint16) devices.Info {
	i := hidInfo(0x1130, pid, "")
	i.Interface = 1
	return i
}

var blyncUSB10Vectors = vectors("blyncusb10", []vector{
	// PROTOCOLS.md#early-blync BLYNCUSB10 red: buffer(00 55 53 42 43 00 40 02 EF).
	{name: "red", info: blync(0x0001), state: solid(red),
		want: ops(write(b("00 55 53 42 43 00 40 02 EF")))},
	// PROTOCOLS.md#early-blync palette: F off.
	{name: "off", info: blync(0x0002), state: off,
		want: ops(write(b("00 55 53 42 43 00 40 02 FF")))},
	// PROTOCOLS.md#early-blync palette: purple (A0 00 FF) quantises to magenta A.
	{name: "purple to magenta", info: blync(0x0001), state: solid(rgb(0xA0, 0, 0xFF)),
		want: ops(write(b("00 55 53 42 43 00 40 02 AF")))},
	// PROTOCOLS.md#early-blync palette: a dim yellow stays yellow (C), white is 8.
	{name: "dim yellow", info: blync(0x0001), state: solid(rgb(0x40, 0x30, 0)),
		want: ops(write(b("00 55 53 42 43 00 40 02 CF")))},
	{name: "white", info: blync(0x0001), state: solid(white),
		want: ops(write(b("00 55 53 42 43 00 40 02 8F")))},
})

var blyncUSB20Vectors = vectors("blyncusb20", []vector{
	// PROTOCOLS.md#early-blync BLYNCUSB20: reset 73, then the colour code (60 red), 64 bytes.
	{name: "red", info: blync(0x1E00), state: solid(red),
		want: ops(write(b("00 73", zeros(63))), write(b("00 60", zeros(63))))},
	// PROTOCOLS.md#early-blync: green D8, cyan 17.
	{name: "green then cyan", info: blync(0x1E00),
		do: func(d *devices.Device) error { return all(d.Set(solid(green)), d.Set(solid(rgb(0, 0xFF, 0xFF)))) },
		want: ops(
			write(b("00 73", zeros(63))), write(b("00 D8", zeros(63))),
			write(b("00 73", zeros(63))), write(b("00 17", zeros(63))),
		)},
	// PROTOCOLS.md#early-blync: off is 73.
	{name: "off", info: blync(0x1E00), state: off,
		want: ops(write(b("00 73", zeros(63))))},
})

func TestEmbravaVectors(t *testing.T)     { runVectors(t, embravaVectors) }
func TestPlantronicsVectors(t *testing.T) { runVectors(t, plantronicsVectors) }
func TestBlyncUSB10Vectors(t *testing.T)  { runVectors(t, blyncUSB10Vectors) }
func TestBlyncUSB20Vectors(t *testing.T)  { runVectors(t, blyncUSB20Vectors) }

func TestBlyncWrongInterface(t *testing.T) {
	// PROTOCOLS.md#early-blync: only interface 1 works; interface 0 is not claimed.
	i := blync(0x0001)
	i.Interface = 0
	_, err := devices.Lookup(i)
	wantErr(t, err, devices.ErrUnknownDevice)
}
