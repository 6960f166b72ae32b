package devices_test

import (
	"testing"

	"github.com/onair-dev/onair/devices"
)

var blink1Info = devices.Info{VID: 0x27B8, PID: 0x01ED, Product: "blink(1) mk3", Serial: "30001234", Bus: devices.HID, Interface: 0}

var blink1Vectors = vectors("blink1", []vector{
	// PROTOCOLS.md#blink1 example "red, 100 ms fade".
	{name: "red fade 100ms", info: blink1Info, state: solid(red),
		want: ops(feature(b("01 63 FF 00 00 00 0A 00 00")))},
	// PROTOCOLS.md#blink1 example "off (fade to black)".
	{name: "off", info: blink1Info, state: off,
		want: ops(feature(b("01 63 00 00 00 00 0A 00 00")))},
	// PROTOCOLS.md#blink1 brightness: blink(1) has none; the scaled colour is sent.
	{name: "half-bright white", info: blink1Info, state: solid(rgb(0x80, 0x80, 0x80)),
		want: ops(feature(b("01 63 80 80 80 00 0A 00 00")))},
	// PROTOCOLS.md#blink1 example "green now (frame)": software frames use 'n' (set now).
	{name: "frame green", info: blink1Info, do: func(d *devices.Device) error { return d.Frame(green) },
		want: ops(feature(b("01 6E 00 FF 00 00 00 00 00")))},
	// PROTOCOLS.md#blink1: effects are software; Set of a pulse shows its first frame
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
