package devices_test

import (
	"testing"

	"github.com/onair-dev/onair/devices"
)

var blink1Info = devices.Info{VID: 0x27B8, PID: 0x01ED, Product: "blink(1) mk3", Serial: "30001234", Bus: devices.HID, Interface: 0}

var blink1Vectors = vectors("blink1", []vector{
	// §6.4 "red, 100 ms fade, both LEDs".
	{name: "red fade 100ms", info: blink1Info, state: solid(red),
		want: ops(feature(b("01 63 FF 00 00 00 0A 00 00")))},
	// §6.4 "off (fade to black, 100 ms)".
	{name: "off", info: blink1Info, state: off,
		want: ops(feature(b("01 63 00 00 00 00 0A 00 00")))},
	// §6.3 brightness: blink(1) has none; the scaled colour is sent.
	{name: "half-bright white", info: blink1Info, state: solid(rgb(0x80, 0x80, 0x80)),
		want: ops(feature(b("01 63 80 80 80 00 0A 00 00")))},
	// §6.4 "green immediately": software frames use 'n' (set now).
	{name: "frame green", info: blink1Info, do: func(d *devices.Device) error { return d.Frame(green) },
		want: ops(feature(b("01 6E 00 FF 00 00 00 00 00")))},
	// §6.4 "Blink/pulse: host-driven": Set of a pulse shows its first frame
	// (full colour, set now) and a later frame a dimmer one.
	{name: "pulse is software", info: blink1Info,
		do: func(d *devices.Device) error {
			s := devices.State{Color: blue, Effect: devices.Pulse}
			return all(d.Set(s), d.Frame(s.At(devices.DefaultPulsePeriod/2)))
		},
		want: ops(
			feature(b("01 6E 00 00 FF 00 00 00 00")),
			feature(b("01 6E 00 00 1A 00 00 00 00")),
		)},
})

func TestBlink1Vectors(t *testing.T) { runVectors(t, blink1Vectors) }
